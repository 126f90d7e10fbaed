#!/usr/bin/env python3
"""The blind review sets: attacks and benign texts written by reviewers who saw neither the detector's rules nor
each other's texts, each run once before anything was changed (``tests/hooks/data/blind/set<N>_*.jsonl``).

Sets 1-4 were afterwards used to fix what they found (so today's figures on them are development figures); set 5
was written after the last change and is the honest estimate for text nobody has read. Kinds: ``jailbreak``
(direct prompts), ``indirect`` (instructions planted in tool output), ``benign-ordinary``, ``benign-lookalike``.

    .venv/bin/python scripts/eval_blind_reviews.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hooks.injection import InjectionDetector  # noqa: E402

DATA = REPO / "tests" / "hooks" / "data" / "blind"
FIRST_RUN = {  # the reviewers' own first-run counts (flagged/total), before any fix made from their set
    1: {"jailbreak": (8, 25), "indirect": (5, 5), "benign-lookalike": (17, 60)},
    2: {"jailbreak": (12, 20), "indirect": (11, 20), "benign-ordinary": (0, 40), "benign-lookalike": (12, 40)},
    3: {"indirect": (18, 40), "benign-ordinary": (0, 30), "benign-lookalike": (3, 30)},
    4: {"jailbreak": (7, 25), "indirect": (20, 35), "benign-ordinary": (0, 40), "benign-lookalike": (8, 40)},
    5: {"jailbreak": (3, 20), "indirect": (21, 40), "benign-ordinary": (0, 40), "benign-lookalike": (6, 40)},
}


def evaluate(detector: InjectionDetector) -> dict[int, dict[str, tuple[int, int]]]:
    out: dict[int, dict[str, tuple[int, int]]] = {}
    for n in sorted(FIRST_RUN):
        flagged: Counter[str] = Counter()
        total: Counter[str] = Counter()
        for part in ("attacks", "benign"):
            for line in (DATA / f"set{n}_{part}.jsonl").read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                total[row["kind"]] += 1
                flagged[row["kind"]] += detector.scan(row["text"]).flagged
        out[n] = {kind: (flagged[kind], total[kind]) for kind in sorted(total)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    now = evaluate(InjectionDetector())
    if args.json:
        print(json.dumps({"first_run": FIRST_RUN, "now": now}, indent=1))
        return 0
    print("set  kind               first run   now   (attacks: caught; benign: flagged)")
    for n, kinds in now.items():
        for kind, (hit, total) in kinds.items():
            first = FIRST_RUN[n].get(kind)
            then = f"{first[0]}/{first[1]}" if first else "-"
            print(f"  {n}  {kind:<18} {then:>9}   {hit}/{total}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
