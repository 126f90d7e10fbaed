"""Upstream's audit events, mapped into the taxonomy. Pure: an event in, a valid ``AuditEvent`` out, never a drop.

Upstream Baker Street emits short actions with a small detail: ``agent.ts`` sends ``tool/blocked`` with
``{tool, reason}`` (actor ``guardrail``) and ``tool/executed`` with ``{tool, jobId}`` (actor ``agent``); ``api.ts``
sends ``auth/rejected`` with ``{path, reason}`` and the client address as actor. These map to ``tool.blocked``,
``tool.executed`` and ``auth.rejected`` with ``detail.origin = "app"`` (the taxonomy then requires only what the
application knows), upstream's fields kept (``jobId`` as ``job_id``; the actor address also as ``source_ip``),
and its own timestamp as ``reported_at`` (the record's time is the service's, so the trail stays in order).

Whatever does not fit is still recorded: unfamiliar detail fields go under ``extra``; an event whose action is
unknown, or whose detail breaks its action's schema, becomes ``<category>.reported`` with the whole detail under
``reported`` and each problem named in ``problems``. Floats become text and large details are cut (the audit
encoding takes no floats and only ASCII keys, so other keys are escaped, and a record stays bounded).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hooks.audit.canonical import check_canonical
from hooks.audit.taxonomy import CATEGORIES, ORIGIN_APP, SchemaError, validate
from hooks.guardrails.chain import audit_safe
from hooks.types import AuditEvent

MAX_DETAIL_CHARS = 16_384

#: (category, upstream action) -> (taxonomy action, {upstream field: taxonomy field}).
UPSTREAM_ACTIONS: dict[tuple[str, str], tuple[str, dict[str, str]]] = {
    ("tool", "blocked"): ("tool.blocked", {"tool": "tool", "reason": "reason"}),
    ("tool", "executed"): ("tool.executed", {"tool": "tool", "jobId": "job_id"}),
    ("auth", "rejected"): ("auth.rejected", {"path": "path", "reason": "reason"}),
}


@dataclass(frozen=True)
class ReportedEvent:
    """An application's event as received (before mapping)."""

    category: str
    action: str
    actor: str
    detail: Mapping[str, Any]
    timestamp: str | None = None


def _ascii_keys(value: Any, renamed: list[str], depth: int = 0) -> Any:
    """Keys escaped to ASCII (the canonical encoding takes no other keys); each renamed key is listed."""
    if depth > 64:
        return "[too deep]"
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            safe = key if key.isascii() else key.encode("ascii", "backslashreplace").decode("ascii")
            if safe != key:
                renamed.append(safe)
            out[safe] = _ascii_keys(item, renamed, depth + 1)
        return out
    if isinstance(value, list):
        return [_ascii_keys(item, renamed, depth + 1) for item in value]
    return value


def _bounded(detail: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    renamed: list[str] = []
    safe = _ascii_keys(audit_safe(dict(detail)), renamed)
    problems = [f"non-ASCII keys escaped: {', '.join(renamed[:10])}"] if renamed else []
    text = json.dumps(safe, ensure_ascii=False)
    if len(text) <= MAX_DETAIL_CHARS:
        return safe, problems
    return {"truncated": text[:MAX_DETAIL_CHARS]}, [
        *problems,
        f"detail is {len(text)} characters; cut to {MAX_DETAIL_CHARS}",
    ]


def _short(action: str, category: str) -> str:
    """``tool.blocked`` and ``blocked`` (category ``tool``) both name the short action ``blocked``."""
    prefix = f"{category}."
    return action[len(prefix) :] if action.startswith(prefix) else action


def _reported(event: ReportedEvent, category: str, actor: str, now: datetime, problems: list[str]) -> AuditEvent:
    reported, cut = _bounded(event.detail)
    detail: dict[str, Any] = {
        "action": event.action,
        "origin": ORIGIN_APP,
        "problems": [*problems, *cut],
        "reported": reported,
    }
    if event.timestamp:
        detail["reported_at"] = event.timestamp
    return AuditEvent(category=category, action=f"{category}.reported", actor=actor, detail=detail, timestamp=now)


def map_event(event: ReportedEvent, now: datetime) -> tuple[AuditEvent, list[str]]:
    """The taxonomy event to record for ``event`` and the problems found (empty when it mapped cleanly)."""
    problems: list[str] = []
    actor = event.actor.strip()
    if not actor:
        actor = "unknown"
        problems.append("actor is empty; recorded as 'unknown'")
    category = event.category
    if category not in CATEGORIES:
        problems.append(f"category {category!r} is not one of {', '.join(CATEGORIES)}; recorded under admin")
        return _reported(event, "admin", actor, now, problems), problems
    mapping = UPSTREAM_ACTIONS.get((category, _short(event.action, category)))
    if mapping is None:
        problems.append(f"action {event.action!r} is not one the application is known to send; kept as reported")
        return _reported(event, category, actor, now, problems), problems
    action, fields = mapping
    safe, cut = _bounded(event.detail)
    problems += cut
    detail: dict[str, Any] = {"origin": ORIGIN_APP}
    extra: dict[str, Any] = {}
    for name, value in safe.items():
        if name in fields and value is not None:
            detail[fields[name]] = value
        elif value is not None:
            extra[name] = value
    if extra:
        detail["extra"] = extra
        problems.append(f"unfamiliar detail fields kept under extra: {', '.join(sorted(extra))}")
    if action == "auth.rejected" and event.actor.strip():
        detail["source_ip"] = event.actor.strip()
    if event.timestamp:
        detail["reported_at"] = event.timestamp
    if problems:
        detail["problems"] = list(problems)
    mapped = AuditEvent(category=category, action=action, actor=actor, detail=detail, timestamp=now)
    try:
        validate(mapped)
        check_canonical(mapped.detail)
    except (SchemaError, ValueError) as exc:
        problems.append(str(exc))
        return _reported(event, category, actor, now, problems), problems
    return mapped, problems
