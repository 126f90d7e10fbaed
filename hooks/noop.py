"""No-op implementations: what an application runs with the enterprise layer switched off. They cost nothing."""

from __future__ import annotations

from typing import Any

from hooks.types import AuditEvent, GuardrailContext, GuardrailResult

_ALLOW = GuardrailResult(allow=True)


class NoopGuardrailHook:
    """Allows every call and passes every result through unchanged."""

    __slots__ = ()

    async def before_tool_execution(self, ctx: GuardrailContext) -> GuardrailResult:  # noqa: ARG002
        return _ALLOW

    async def after_tool_execution(self, ctx: GuardrailContext, result: Any) -> GuardrailResult:  # noqa: ARG002
        return GuardrailResult(allow=True, output=result)


class NoopAuditSink:
    """Drops every event."""

    __slots__ = ()

    def emit(self, event: AuditEvent) -> None:
        pass
