"""The wire: request and response bodies, camelCase as in upstream's ``guardrails.ts``. Unknown fields are refused.

Every request model forbids extra fields (a typo is a 422 that names the field, never silently ignored). Response
models describe what the service sends; the checked-in OpenAPI document is generated from these.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from hooks.guardrails.approvals import ApprovalRequest


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, alias_generator=to_camel, allow_inf_nan=False)


class ToolCall(_Wire):
    """Upstream's ``GuardrailContext``."""

    conversation_id: str = Field(min_length=1, max_length=256)
    user_id: str | None = Field(default=None, min_length=1, max_length=256)
    tool_name: str = Field(min_length=1, max_length=256)
    tool_input: dict[str, Any] = Field(description="The tool's arguments (a JSON object).")
    call_id: str | None = Field(
        default=None,
        max_length=128,
        description="Extension: the `callId` returned by `before`, passed back to `after` (durations in the audit).",
    )
    user_messages: list[str] | None = Field(
        default=None, max_length=1000, description="Extension: the user's own messages (argument provenance)."
    )


class BeforeResponse(_Wire):
    allow: bool
    reason: str | None = None
    rule: str | None = None
    approval_id: str | None = None
    call_id: str


class AfterRequest(_Wire):
    context: ToolCall
    result: Any = Field(description="The tool's result (upstream: a string).")


class AfterResponse(_Wire):
    result: Any = Field(description="The result to give the model: sanitized, or the withheld-notice.")
    withheld: bool = False
    redactions: dict[str, int] = Field(default_factory=dict)


class UpstreamAuditEvent(_Wire):
    """Upstream's ``AuditEvent`` as ``agent.ts`` and ``api.ts`` emit it."""

    timestamp: str | None = Field(default=None, max_length=64)
    category: str = Field(min_length=1, max_length=32)
    action: str = Field(min_length=1, max_length=128)
    actor: str = Field(max_length=256)
    detail: dict[str, Any] = Field(default_factory=dict)


class RecordedEvent(_Wire):
    action: str = Field(description="The taxonomy action the event was recorded as.")
    problems: list[str] = Field(default_factory=list)


class AuditAccepted(_Wire):
    accepted: int
    recorded: list[RecordedEvent]


class AdmitRequest(_Wire):
    user_id: str = Field(min_length=1, max_length=256)
    model: str = Field(min_length=1, max_length=256)
    prompt_tokens: int = Field(ge=0, le=100_000_000)
    max_output_tokens: int | None = Field(default=None, ge=1, le=100_000_000)


class AdmitResponse(_Wire):
    model: str = Field(description="The model to call (the requested one, or a cheaper one on the downgrade chain).")
    requested_model: str
    downgraded: bool
    reservation_id: str
    reserved_micro_usd: int


class SettleRequest(_Wire):
    reservation_id: str = Field(min_length=1, max_length=128)
    usage: dict[str, Any] | None = Field(
        default=None,
        description="Provider usage: `input_tokens`/`output_tokens`, `prompt_tokens`/`completion_tokens`, or the "
        "camelCase `inputTokens`/`outputTokens` a JavaScript client reports.",
    )
    outcome: Literal["completed", "aborted", "not_sent"] = Field(
        default="completed",
        description="`completed`: settle from usage (missing usage: at the reservation); `aborted`: the call broke "
        "off (charged at the reservation); `not_sent`: never sent (released).",
    )


class SettleResponse(_Wire):
    charged_micro_usd: int
    source: str
    applied: bool


class Approval(_Wire):
    id: str
    tool: str
    tool_input: dict[str, Any] = Field(description="Sanitized before it was stored.")
    requester: str
    conversation_id: str
    reason: str
    risk: str
    created_at: datetime
    expires_at: datetime
    status: Literal["pending", "approved", "denied", "expired"]
    decided_by: str | None = None
    decided_at: datetime | None = None
    comment: str | None = None

    @classmethod
    def of(cls, request: ApprovalRequest) -> Approval:
        return cls(
            id=request.id,
            tool=request.tool,
            tool_input=dict(request.tool_input),
            requester=request.requester,
            conversation_id=request.conversation_id,
            reason=request.reason,
            risk=request.risk,
            created_at=request.created_at,
            expires_at=request.expires_at,
            status=request.status,
            decided_by=request.decided_by,
            decided_at=request.decided_at,
            comment=request.comment,
        )


class ApprovalList(_Wire):
    approvals: list[Approval]


class Decision(_Wire):
    comment: str | None = Field(default=None, max_length=2000, description="Optional to approve, required to deny.")


class FieldProblem(_Wire):
    field: str
    problem: str


class ErrorBody(_Wire):
    """Every error the service answers with."""

    error: str = Field(description="Machine-readable kind, e.g. `invalid_json`, `unknown_field`, `unauthorized`.")
    message: str
    fields: list[FieldProblem] = Field(default_factory=list)
    retry_after: int | None = None


class Health(_Wire):
    status: Literal["ok"] = "ok"


class Readiness(_Wire):
    ready: bool
    checks: dict[str, bool]
