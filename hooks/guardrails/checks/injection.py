"""Injection detection on tool inputs (direct) and tool results (indirect)."""

from __future__ import annotations

from typing import Any

from hooks.guardrails.checks.base import Verdict
from hooks.injection.detector import InjectionDetector, InjectionVerdict
from hooks.types import GuardrailContext


class InjectionCheck:
    """Blocks a call whose arguments carry an injection; reports results that do."""

    name = "injection"

    def __init__(self, detector: InjectionDetector) -> None:
        self._detector = detector

    def check_input(self, ctx: GuardrailContext) -> Verdict:
        verdict = self._detector.scan_value(dict(ctx.tool_input))
        if not verdict.flagged:
            return Verdict("allow", score=verdict.score)
        return Verdict(
            "block",
            score=verdict.score,
            rule=f"injection.input.{verdict.rule}",
            reason=f"the tool arguments carry instructions aimed at the assistant (score {verdict.score:.2f})",
        )

    def check_result(self, result: Any) -> InjectionVerdict:
        return self._detector.scan_value(result)
