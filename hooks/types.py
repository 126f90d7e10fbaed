"""The framework's seams, in Python: what the application hands the hooks and what it gets back.

Mirrors upstream Baker Street's ``guardrails.ts`` (GuardrailContext, GuardrailResult, GuardrailHook,
AuditEvent, AuditSink) with the extra fields a hardened layer needs. Plain frozen dataclasses and
protocols: no I/O, no Pulumi, nothing global.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable


def _new_call_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class GuardrailContext:
    """One tool call, as the application sees it before (and after) executing it."""

    conversation_id: str
    user_id: str
    tool_name: str
    tool_input: Mapping[str, Any]
    user_messages: tuple[str, ...] = ()
    """The user's own messages in this conversation so far (for argument provenance)."""
    call_id: str = field(default_factory=_new_call_id)
    """Identifies the call across before/after (durations, approvals); generated when not given."""


@dataclass(frozen=True)
class GuardrailResult:
    """The decision on one call (before) or on its result (after)."""

    allow: bool
    reason: str = ""
    rule: str = ""
    """Id of the check or rule that decided, e.g. ``injection``, ``schema``, ``risk.filesystem-delete``."""
    approval_id: str | None = None
    redactions: Mapping[str, int] = field(default_factory=dict)
    """Kinds of redacted values and their counts (never the values)."""
    output: Any = None
    """After a call: the result to hand to the model (sanitized, or a notice when withheld)."""
    score: float | None = None
    """The injection score behind the decision, when the injection check ran."""

    @classmethod
    def allowed(cls, **kwargs: Any) -> GuardrailResult:
        return cls(allow=True, **kwargs)

    @classmethod
    def blocked(cls, rule: str, reason: str, **kwargs: Any) -> GuardrailResult:
        return cls(allow=False, rule=rule, reason=reason, **kwargs)


@runtime_checkable
class GuardrailHook(Protocol):
    """Called by the application around every tool call."""

    async def before_tool_execution(self, ctx: GuardrailContext) -> GuardrailResult: ...

    async def after_tool_execution(self, ctx: GuardrailContext, result: Any) -> GuardrailResult: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class AuditEvent:
    """One audit record's content: what happened, to whom, with a per-action detail."""

    category: str
    """``auth``, ``tool``, ``secret``, ``admin`` or ``llm``."""
    action: str
    """e.g. ``tool.blocked``."""
    actor: str
    """Who caused it (user id, service)."""
    detail: Mapping[str, Any] = field(default_factory=dict)
    timestamp: datetime = field(default_factory=utc_now)


@runtime_checkable
class AuditSink(Protocol):
    """Where audit events go. ``emit`` never blocks on I/O and has no read path."""

    def emit(self, event: AuditEvent) -> None: ...
