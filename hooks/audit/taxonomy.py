"""The audit taxonomy: categories, actions and the schema of each action's detail.

A schema maps a detail field to its type and whether it is required. Money is integer micro-USD
(``*_micro_usd``); no floats anywhere (the canonical encoding rejects them). Unknown detail fields are
rejected, so a typo cannot silently carry data past review. Inputs are passed through a sanitizer (the
same one as tool results) before they are recorded: :func:`make_event` takes it as ``sanitize``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hooks.types import AuditEvent

CATEGORIES = ("auth", "tool", "secret", "admin", "llm")

_STR, _INT, _BOOL, _MAP, _LIST = str, int, bool, dict, list


@dataclass(frozen=True)
class Field:
    type: type
    required: bool = True


def _f(kind: type, required: bool = True) -> Field:
    return Field(kind, required)


ORIGIN_APP = "app"
"""``detail.origin`` of an event the application reported itself (through the hooks service), not the hooks."""

_REPORTED_EXTRAS: dict[str, Field] = {
    "origin": _f(_STR, False),
    "reported_at": _f(_STR, False),
    "extra": _f(_MAP, False),
    "problems": _f(_LIST, False),
    "replay": _f(_BOOL, False),
}
"""Optional on the actions an application reports: who reported it, its own timestamp, its unmapped fields, what
did not fit the taxonomy, and ``replay: true`` when the application resent it without knowing whether the first
attempt was recorded (so a verifier can tell a possible duplicate from a forged one)."""

APP_REQUIRED: dict[str, frozenset[str]] = {
    "tool.blocked": frozenset({"tool"}),
    "tool.executed": frozenset({"tool"}),
    "auth.rejected": frozenset(),
}
"""For an event with ``detail.origin == "app"``: the only required fields. The application knows less than the
chain does (upstream Baker Street sends ``{tool, reason}`` for a block, ``{tool, jobId}`` for an execution and
``{path, reason}`` for a refused token), and an application's record is kept rather than refused."""

REPORTED_ACTIONS = tuple(f"{category}.reported" for category in ("auth", "tool", "secret", "admin", "llm"))
"""Catch-all per category: an application-reported event that fits no schema, kept whole with its problems named."""

SCHEMAS: dict[str, dict[str, Field]] = {
    "auth.success": {"method": _f(_STR), "subject": _f(_STR), "source_ip": _f(_STR, False)},
    "auth.rejected": {
        "method": _f(_STR),
        "reason": _f(_STR),
        "source_ip": _f(_STR, False),
        "path": _f(_STR, False),
        **_REPORTED_EXTRAS,
    },
    "auth.token_rotated": {"token_id": _f(_STR), "expires_at": _f(_STR, False)},
    # tool.* -- emitted by hooks.guardrails.GuardrailChain (inputs sanitized, cut to a bounded size)
    "tool.executed": {
        "tool": _f(_STR),
        "call_id": _f(_STR),
        "input": _f(_MAP),
        "conversation_id": _f(_STR, False),
        "duration_us": _f(_INT, False),
        "redactions": _f(_MAP, False),
        "job_id": _f(_STR, False),
        **_REPORTED_EXTRAS,
    },
    "tool.blocked": {
        "tool": _f(_STR),
        "call_id": _f(_STR),
        "rule": _f(_STR),
        "reason": _f(_STR),
        "input": _f(_MAP),
        "conversation_id": _f(_STR, False),
        "phase": _f(_STR, False),
        "evidence": _f(_STR, False),
        **_REPORTED_EXTRAS,
    },
    "tool.error": {
        "tool": _f(_STR),
        "call_id": _f(_STR),
        "error": _f(_STR),
        "conversation_id": _f(_STR, False),
        "phase": _f(_STR, False),
        "check": _f(_STR, False),
        "rule": _f(_STR, False),
    },
    "tool.approval_requested": {
        "tool": _f(_STR),
        "call_id": _f(_STR),
        "approval_id": _f(_STR),
        "input": _f(_MAP),
        "conversation_id": _f(_STR, False),
        "rule": _f(_STR, False),
        "reason": _f(_STR, False),
        "risk": _f(_STR, False),
        "expires_at": _f(_STR, False),
    },
    "tool.approval_granted": {
        "call_id": _f(_STR),
        "approval_id": _f(_STR),
        "approver": _f(_STR),
        "tool": _f(_STR, False),
        "conversation_id": _f(_STR, False),
        "comment": _f(_STR, False),
    },
    "tool.approval_denied": {
        "call_id": _f(_STR),
        "approval_id": _f(_STR),
        "approver": _f(_STR),
        "reason": _f(_STR),
        "tool": _f(_STR, False),
        "conversation_id": _f(_STR, False),
        "comment": _f(_STR, False),
    },
    "tool.approval_decided": {
        "approval_id": _f(_STR),
        "approver": _f(_STR),
        "decision": _f(_STR),
        "tool": _f(_STR),
        "requester": _f(_STR),
        "conversation_id": _f(_STR, False),
        "comment": _f(_STR, False),
    },
    "tool.approval_expired": {
        "call_id": _f(_STR),
        "approval_id": _f(_STR),
        "tool": _f(_STR, False),
        "conversation_id": _f(_STR, False),
    },
    "secret.read": {"secret": _f(_STR), "purpose": _f(_STR, False)},
    "secret.updated": {"secret": _f(_STR), "version": _f(_STR, False)},
    "secret.rotated": {"secret": _f(_STR), "version": _f(_STR, False)},
    "admin.config_changed": {"key": _f(_STR), "old": _f(_STR, False), "new": _f(_STR, False)},
    "admin.model_switched": {"old_model": _f(_STR), "new_model": _f(_STR), "reason": _f(_STR, False)},
    "admin.audit_dropped": {"dropped": _f(_INT), "reason": _f(_STR)},
    "llm.request": {
        "model": _f(_STR),
        "request_id": _f(_STR),
        "input_tokens": _f(_INT),
        "reserved_micro_usd": _f(_INT, False),
    },
    "llm.response": {
        "model": _f(_STR),
        "request_id": _f(_STR),
        "input_tokens": _f(_INT),
        "output_tokens": _f(_INT),
        "cost_micro_usd": _f(_INT),
    },
    # llm.* governance -- emitted by hooks.governance (money in integer micro-USD)
    "llm.fallback": {
        "from_model": _f(_STR),
        "to_model": _f(_STR),
        "reason": _f(_STR),
        "reserved_micro_usd": _f(_INT, False),
        "over_budget": _f(_LIST, False),
    },
    "llm.budget_exceeded": {
        "requested_model": _f(_STR),
        "strategy": _f(_STR),
        "retry_after": _f(_INT),
        "tried": _f(_LIST),
    },
    "llm.budget_alert": {
        "scope": _f(_STR),
        "period": _f(_STR),
        "period_key": _f(_STR),
        "level": _f(_STR),
        "spent_micro_usd": _f(_INT),
        "limit_micro_usd": _f(_INT),
        "spent": _f(_STR),
        "limit": _f(_STR),
        "refused": _f(_BOOL),
    },
    "llm.rate_limited": {
        "blocked": _f(_LIST),
        "retry_after": _f(_INT),
        "limits": _f(_MAP),
        "path": _f(_STR, False),
    },
    "llm.usage_missing": {"model": _f(_STR), "reservation_id": _f(_STR), "charged_micro_usd": _f(_INT)},
    "llm.call_aborted": {
        "model": _f(_STR),
        "reservation_id": _f(_STR),
        "reason": _f(_STR),
        "charged_micro_usd": _f(_INT),
    },
    "llm.governance_backend_error": {
        "error": _f(_STR),
        "failure_mode": _f(_STR, False),
        "path": _f(_STR, False),
        "reservation_id": _f(_STR, False),
    },
    **{
        action: {
            "action": _f(_STR),
            "origin": _f(_STR),
            "problems": _f(_LIST),
            "reported": _f(_MAP),
            "reported_at": _f(_STR, False),
            "replay": _f(_BOOL, False),
        }
        for action in REPORTED_ACTIONS
    },
}
"""Detail schema per action. The category is the action's prefix."""

CHECKPOINT_ACTION = "audit.checkpoint"
"""Written by the sink itself (category ``admin``); not emitted by applications."""


class SchemaError(ValueError):
    """An event whose action is unknown or whose detail does not match the action's schema."""


def validate(event: AuditEvent) -> None:
    schema = SCHEMAS.get(event.action)
    if schema is None:
        raise SchemaError(f"unknown action {event.action!r}")
    if event.category != event.action.split(".", 1)[0]:
        raise SchemaError(f"{event.action}: category {event.category!r} does not match the action")
    if not event.actor:
        raise SchemaError(f"{event.action}: actor is empty")
    relaxed = APP_REQUIRED.get(event.action) if event.detail.get("origin") == ORIGIN_APP else None
    for name, spec in schema.items():
        if name not in event.detail:
            if spec.required and (relaxed is None or name in relaxed):
                raise SchemaError(f"{event.action}: detail.{name} is required")
            continue
        value = event.detail[name]
        ok = isinstance(value, Mapping) if spec.type is dict else isinstance(value, spec.type)
        if spec.type is int and isinstance(value, bool):
            ok = False
        if not ok:
            raise SchemaError(f"{event.action}: detail.{name} must be {spec.type.__name__}")
    extra = set(event.detail) - set(schema)
    if extra:
        raise SchemaError(f"{event.action}: unknown detail fields {sorted(extra)}")


def identity(value: Any) -> Any:
    return value


SANITIZED_FIELDS = frozenset({"input", "reason", "error", "old", "new", "purpose", "comment", "reported", "extra"})
"""Free-form detail fields that can carry user or tool input: these go through the sanitizer before the MAC."""


_SHORTEST_FINDING = 6
"""No detector of ``hooks.sanitize`` reports anything shorter (its ``_MIN_FINDING_LENGTH``)."""
_SMALL_INT = 10**8
"""``hooks.sanitize`` checks only integers at least this large (card-number-like)."""


def _obviously_clean(value: Any) -> bool:
    """A top-level field value the sanitizer would return unchanged: no need to call it.

    Only exact ``None``/``bool``, integers below the sanitizer's card-number threshold and strings shorter than its
    shortest finding (at the top level there is no mapping key to make a short string a keyed secret).
    """
    kind = type(value)
    if value is None or kind is bool:
        return True
    if kind is int:
        return bool(-_SMALL_INT < value < _SMALL_INT)
    return kind is str and len(value) < _SHORTEST_FINDING


def detail_sanitizer(sanitize_value: Callable[[Any], tuple[Any, Any]]) -> Callable[[Any], Any]:
    """Adapt a ``sanitize_value(value) -> (value, counts)`` sanitizer to a detail mapping (input fields only)."""

    def sanitize(detail: Any) -> Any:
        if not isinstance(detail, Mapping):
            return detail
        out = dict(detail)
        for name in SANITIZED_FIELDS.intersection(out):
            value = out[name]
            if not _obviously_clean(value):
                out[name] = sanitize_value(value)[0]
        return out

    return sanitize


def default_sanitizer() -> Callable[[Any], Any]:
    """The tool-result sanitizer of ``hooks.sanitize`` applied to the input fields of every detail."""
    from hooks.sanitize.sanitizer import Sanitizer

    return detail_sanitizer(Sanitizer().sanitize_value)


def make_event(
    action: str,
    actor: str,
    detail: Mapping[str, Any] | None = None,
    *,
    timestamp: datetime | None = None,
    sanitize: Callable[[Any], Any] = identity,
) -> AuditEvent:
    """A validated event; ``sanitize`` is applied to the detail (pass the tool-result sanitizer here)."""
    event = AuditEvent(
        category=action.split(".", 1)[0],
        action=action,
        actor=actor,
        detail=sanitize(dict(detail or {})),
        timestamp=timestamp or datetime.now(UTC),
    )
    validate(event)
    return event


def format_ts(ts: datetime) -> str:
    """RFC 3339 UTC with microseconds, e.g. ``2026-11-24T19:00:00.000000Z``."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    elif ts.tzinfo is not UTC:
        ts = ts.astimezone(UTC)
    if ts.year < 1000:  # isoformat zero-pads such years, glibc's strftime does not: keep its text there
        return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return ts.isoformat(timespec="microseconds")[:26] + "Z"  # same text as strftime, without its per-call cost
