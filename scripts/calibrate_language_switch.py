#!/usr/bin/env python3
"""Choose ``LearnedStage.switch_threshold``: the lower bar of the learned model for a window in another language.

Negatives only, training data only (no evaluation set is read): the documentation corpus's ``train`` half, and the
written training look-alikes (``scripts/data/injection_train/T*-benign.jsonl``) each planted as its own paragraph at
a random place of a random training document longer than 1,500 characters (seeded). For each bar on a fixed grid
it counts the texts the language switch adds to what the model flags at its own threshold, with the detector's
own code (``CharNgramModel.best_windows``, ``first_shifted_window``). The chosen bar is the lowest at which the
switch adds at most 0.1% of the documents and 0.5% of the planted look-alikes: 0.8 with the shipped model (0 of
6,903 documents, 12 of 2,940 look-alikes). Both sets were seen by the model in training, so these rates are
optimistic; the README reports the held-out ones.

    .venv/bin/python scripts/calibrate_language_switch.py --docs out/injection-docs-train.jsonl.gz [--json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hooks.injection.charmodel import CharNgramModel, load_packaged_charmodel, prepare  # noqa: E402
from hooks.injection.language_switch import (  # noqa: E402
    CANDIDATE_WINDOWS,
    Identify,
    first_shifted_window,
    load_identifier,
)

GRID = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9)
DOC_BUDGET = 0.001
LOOKALIKE_BUDGET = 0.005
WRITTEN = REPO / "scripts" / "data" / "injection_train"


def scores(model: CharNgramModel, identify: Identify, text: str) -> tuple[float, float]:
    """(best window's probability, best probability among the candidate windows in another language)."""
    windows = model.best_windows(text, CANDIDATE_WINDOWS)
    if not windows:
        return 0.0, 0.0
    shifted = first_shifted_window(identify, prepare(text), windows, 0.0)
    return windows[0].probability, shifted.probability if shifted is not None else 0.0


def added(model: CharNgramModel, pairs: list[tuple[float, float]]) -> dict[float, int]:
    """Texts the switch flags at each bar that the model does not flag at its own threshold."""
    return {bar: sum(best < model.threshold and switched >= bar for best, switched in pairs) for bar in GRID}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=Path, required=True, help="the documentation corpus's train half")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    model, identify = load_packaged_charmodel(), load_identifier()
    with gzip.open(args.docs, "rt", encoding="utf-8") as fh:
        docs = [json.loads(line)["text"] for line in fh if line.strip()]
    lookalikes = [
        json.loads(line)["text"]
        for path in sorted(WRITTEN.glob("T*-benign.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    rng = random.Random(1)
    carriers = [d for d in docs if len(d) > 1500]

    def planted(piece: str) -> str:
        carrier = rng.choice(carriers)
        cut = rng.randrange(0, len(carrier))
        return f"{carrier[:cut]}\n\n{piece}\n\n{carrier[cut:]}"

    doc_added = added(model, [scores(model, identify, d) for d in docs])
    look_added = added(model, [scores(model, identify, planted(p)) for p in lookalikes])
    fits = [
        b
        for b in GRID
        if doc_added[b] <= DOC_BUDGET * len(docs) and look_added[b] <= LOOKALIKE_BUDGET * len(lookalikes)
    ]
    report = {
        "documents": len(docs),
        "lookalikes": len(lookalikes),
        "added_documents": doc_added,
        "added_lookalikes": look_added,
        "switch_threshold": min(fits) if fits else None,
    }
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        for bar in GRID:
            print(
                f"bar {bar}: +{doc_added[bar]}/{len(docs)} documents, +{look_added[bar]}/{len(lookalikes)} look-alikes"
            )
        print(f"switch_threshold: {report['switch_threshold']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
