"""What a check decides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Action = Literal["allow", "block", "review"]


@dataclass(frozen=True)
class Verdict:
    """``allow``; ``block`` (refuse now); or ``review`` (hold for a human decision)."""

    action: Action
    rule: str = ""
    reason: str = ""
    risk: str = "low"
    score: float | None = None


ALLOW = Verdict("allow")
