"""Persona scoring: the jailbreak behaviours scored together over windows wider than the detector's."""

from __future__ import annotations

import math
from typing import Final

from hooks.injection.hits import Hit
from hooks.injection.scoring import RULE_RANK

__all__ = ["PERSONA_RULES", "persona_score"]

PERSONA_RULES: Final = frozenset({"jailbreak-persona", "safety-bypass", "unconditional-compliance"})
_PERSONA_WINDOW: Final = 2_000
_PERSONA_STRIDE: Final = 1_000
_PERSONA_REPEAT: Final = 0.5
_PERSONA_MAX_HITS: Final = 16
"""The strongest hits of a window that are combined (a bound on the work per window, not a tuning knob)."""


def persona_score(hits: list[Hit]) -> tuple[float, Hit | None]:
    """The jailbreak behaviours (a persona, switching off its safety rules, promising to answer anything) scored
    together over wider windows: a role-play jailbreak sets them up paragraphs apart, not within one window.

    A window counts when it shows two of the behaviours, or one of them at three places or more in at least two
    wordings (one phrase repeated, "developer mode" three times in a how-to, is still one phrase). Each rule's
    strongest hit counts at its weight; further hits of the same rule count at ``_PERSONA_REPEAT`` of theirs (the
    same behaviour said again is weaker evidence than a second behaviour, but a persona described three ways is not
    one phrase). Hits starting within 20 characters of a counted one are the same phrase and are skipped."""
    windows: dict[int, list[Hit]] = {}
    for hit in hits:
        if hit.rule not in PERSONA_RULES:
            continue
        first = max(0, math.ceil((hit.start - _PERSONA_WINDOW + 1) / _PERSONA_STRIDE))
        for k in range(first, hit.start // _PERSONA_STRIDE + 1):
            windows.setdefault(k, []).append(hit)
    score, strongest = 0.0, None
    for found in windows.values():
        ranked = sorted(found, key=lambda h: (-h.weight, RULE_RANK[h.rule], h.start))
        miss = 1.0
        used: set[str] = set()
        starts: set[int] = set()
        sources: set[int] = set()
        for hit in ranked[:_PERSONA_MAX_HITS]:
            if any(abs(hit.start - s) < 20 for s in starts):
                continue
            starts.add(hit.start)
            sources.add(hit.source)
            miss *= 1.0 - (hit.weight if hit.rule not in used else _PERSONA_REPEAT * hit.weight)
            used.add(hit.rule)
        if len(used) < 2 and (len(starts) < 3 or len(sources) < 2):
            continue
        if 1.0 - miss > score:
            score = 1.0 - miss
            strongest = ranked[0]
    return score, strongest
