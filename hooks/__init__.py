"""Runtime hooks the application calls at every tool call and LLM call.

Guardrails (injection detection, schema enforcement, destructive-operation gate, human approval, output
sanitization), audit, rate limiting and cost governance. Nothing in this package imports Pulumi.

The public seams are re-exported here; heavier parts are imported from their modules, so that
``import hooks`` stays cheap and a no-op configuration costs nothing.
"""

from hooks.noop import NoopAuditSink, NoopGuardrailHook
from hooks.types import AuditEvent, AuditSink, GuardrailContext, GuardrailHook, GuardrailResult

__all__ = [
    "AuditEvent",
    "AuditSink",
    "GuardrailContext",
    "GuardrailHook",
    "GuardrailResult",
    "NoopAuditSink",
    "NoopGuardrailHook",
]
