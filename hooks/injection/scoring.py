"""Ranking hits and reporting them: which rule wins a tie, and the evidence snippet of a verdict.

A window's score (noisy-OR of each rule's strongest hit) is computed by ``InjectionDetector._verdict``; the wider
persona windows by ``persona.persona_score``. Both rank hits the same way: higher weight first, then the rule that
comes first in ``signals.RULES`` (strongest behaviour first), then the detector's own fail-closed rules.
"""

from __future__ import annotations

from typing import Final

from hooks.injection.hits import Hit
from hooks.injection.signals import RULES

__all__ = ["EVIDENCE_CHARS", "OVER_BUDGET", "RULE_RANK", "TOO_LARGE", "better", "evidence"]

TOO_LARGE: Final = "input-too-large"
OVER_BUDGET: Final = "scan-budget-exceeded"
EVIDENCE_CHARS: Final = 120
RULE_RANK: Final = {rule: i for i, rule in enumerate((*RULES, TOO_LARGE, OVER_BUDGET))}


def better(a: Hit, b: Hit) -> bool:
    """Is ``a`` a stronger representative of its window than ``b``?"""
    if a.weight != b.weight:
        return a.weight > b.weight
    return RULE_RANK[a.rule] < RULE_RANK[b.rule]


def evidence(text: str, hit: Hit) -> str:
    """At most 120 characters of ``text`` around ``hit``, centred on it when it is shorter."""
    if hit.end - hit.start >= EVIDENCE_CHARS:
        return text[hit.start : hit.start + EVIDENCE_CHARS]
    pad = (EVIDENCE_CHARS - (hit.end - hit.start)) // 2
    start = max(0, hit.start - pad)
    return text[start : start + EVIDENCE_CHARS].strip()
