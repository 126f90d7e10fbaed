"""BFCL benign tool calls through schema enforcement: how many pass, and why the others do not.

Separates what strict enforcement (unexpected fields rejected) refuses from what the tool's own schema refuses
without the strictness (BFCL ground-truth artefacts such as "dontcare" or lists of alternatives), and counts
injection flags on the arguments.

    .venv/bin/python scripts/eval_bfcl_schema.py [--input ../shared/corpora/bfcl/bfcl_v4_benign_calls.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from jsonschema import Draft202012Validator

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hooks.guardrails.checks.schema import strict_schema  # noqa: E402
from hooks.guardrails.evaluation import function_schema_to_json_schema  # noqa: E402
from hooks.injection import InjectionDetector  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    default = REPO.parent / "shared" / "corpora" / "bfcl" / "bfcl_v4_benign_calls.jsonl"
    parser.add_argument("--input", type=Path, default=default)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    detector = InjectionDetector()
    seen: set[str] = set()
    total = strict_pass = lax_reject = strict_only_reject = flagged = 0
    for line in args.input.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        key = json.dumps([row["tool_schema"], row["tool_args"]], sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        total += 1
        schema = function_schema_to_json_schema(row["tool_schema"])
        lax = not Draft202012Validator(schema).is_valid(row["tool_args"])
        strict = not Draft202012Validator(strict_schema(schema)).is_valid(row["tool_args"])
        lax_reject += lax
        strict_only_reject += strict and not lax
        strict_pass += not strict
        flagged += detector.scan_value(row["tool_args"]).flagged
    conforming = total - lax_reject
    report = {
        "unique_calls": total,
        "pass_strict_schema": strict_pass,
        "pass_rate": round(strict_pass / total, 4),
        "violate_their_own_schema": lax_reject,
        "rejected_only_by_strictness": strict_only_reject,
        "pass_rate_of_conforming_calls": round((conforming - strict_only_reject) / conforming, 4),
        "flagged_as_injection": flagged,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:>32}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
