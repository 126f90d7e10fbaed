"""The guardrail checks: each a small object with one job, returning a ``Verdict``."""

from hooks.guardrails.checks.base import ALLOW, Verdict

__all__ = ["ALLOW", "Verdict"]
