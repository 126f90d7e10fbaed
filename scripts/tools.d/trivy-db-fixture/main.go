// trivy-db-fixture writes a Trivy vulnerability database (a BoltDB trivy.db and metadata.json) from a JSON
// description, for tests that need trivy to judge images without the public database.
//
// Usage: trivy-db-fixture SPEC.json OUTDIR
//
// SPEC is {"metadata": {...}, "buckets": [...]}: metadata is written as OUTDIR/metadata.json; buckets use the
// fixture layout of trivy-db's own tests: {"bucket": NAME, "pairs": [ {"bucket": ...} | {"key": K, "value": V} ]},
// each value stored as JSON.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

type node struct {
	Bucket string          `json:"bucket,omitempty"`
	Pairs  []node          `json:"pairs,omitempty"`
	Key    string          `json:"key,omitempty"`
	Value  json.RawMessage `json:"value,omitempty"`
}

type spec struct {
	Metadata json.RawMessage `json:"metadata"`
	Buckets  []node          `json:"buckets"`
}

func fill(b *bolt.Bucket, pairs []node) error {
	for _, p := range pairs {
		if p.Bucket != "" {
			child, err := b.CreateBucketIfNotExists([]byte(p.Bucket))
			if err != nil {
				return err
			}
			if err := fill(child, p.Pairs); err != nil {
				return err
			}
			continue
		}
		if err := b.Put([]byte(p.Key), p.Value); err != nil {
			return err
		}
	}
	return nil
}

func run(specPath, outDir string) error {
	raw, err := os.ReadFile(specPath)
	if err != nil {
		return err
	}
	var s spec
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("%s: %w", specPath, err)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	db, err := bolt.Open(filepath.Join(outDir, "trivy.db"), 0o644, nil)
	if err != nil {
		return err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, top := range s.Buckets {
			b, err := tx.CreateBucketIfNotExists([]byte(top.Bucket))
			if err != nil {
				return err
			}
			if err := fill(b, top.Pairs); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(outDir, "metadata.json"), s.Metadata, 0o644)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: trivy-db-fixture SPEC.json OUTDIR")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "trivy-db-fixture:", err)
		os.Exit(1)
	}
}
