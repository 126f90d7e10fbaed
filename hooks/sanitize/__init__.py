"""Output sanitizer of the runtime guardrails: redacts secrets and PII from tool results and audit inputs.

Offline, stdlib + pydantic only. ``Sanitizer(config).sanitize(text)`` returns the text with each finding replaced by
``[REDACTED:<kind>]`` and the count per kind; ``sanitize_value`` does the same through nested dict/list/tuple values.
"""

from hooks.sanitize.pii import PII_KINDS
from hooks.sanitize.sanitizer import TOO_DEEP, Finding, Sanitizer, SanitizerConfig, SanitizeResult
from hooks.sanitize.secrets import DEFAULT_SECRET_KINDS, SECRET_KINDS

__all__ = [
    "DEFAULT_SECRET_KINDS",
    "PII_KINDS",
    "SECRET_KINDS",
    "TOO_DEEP",
    "Finding",
    "SanitizeResult",
    "Sanitizer",
    "SanitizerConfig",
]
