"""The hooks service's ASGI app (FastAPI on Starlette): routes, authentication, error shapes.

``create_app(build)`` takes a function that builds the :class:`~hooks.service.runtime.Runtime` (called in the
lifespan, inside the serving event loop) and returns the app. Every decision fails closed: an exception inside
the chain, the store or the governor is a deny (or a withheld result, or a 503) with the reason, and an audit
event. Errors always have the :class:`~hooks.service.models.ErrorBody` shape.
"""

# No `from __future__ import annotations` here: FastAPI reads the route annotations (local aliases) at runtime.
import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Body, Depends, FastAPI, Header, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from hooks.audit.taxonomy import make_event
from hooks.governance.pricing import UnknownModelError
from hooks.governance.router import BudgetExhaustedError
from hooks.guardrails.approvals import UnknownApprovalError
from hooks.service.approvals import NotPendingError, may_decide
from hooks.service.auth import APPROVER_HEADER, Principal, Rejection, authenticate
from hooks.service.events import ReportedEvent, map_event
from hooks.service.limits import BodyLimitMiddleware, TimingMiddleware
from hooks.service.metrics import CONTENT_TYPE
from hooks.service.models import (
    AdmitRequest,
    AdmitResponse,
    AfterRequest,
    AfterResponse,
    Approval,
    ApprovalList,
    AuditAccepted,
    BeforeResponse,
    Decision,
    ErrorBody,
    FieldProblem,
    Health,
    Readiness,
    RecordedEvent,
    SettleRequest,
    SettleResponse,
    ToolCall,
    UpstreamAuditEvent,
)
from hooks.service.page import add_approvals_page
from hooks.service.runtime import Runtime
from hooks.types import AuditEvent, GuardrailContext, GuardrailResult

T = TypeVar("T")
log = logging.getLogger("hooks.service")
MAX_EVENTS_PER_REQUEST = 1000
TITLE = "Baker Street hardened hooks service"
VERSION = "1.0.0"


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        *,
        fields: list[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = ErrorBody(error=error, message=message, fields=fields or [], retry_after=retry_after)
        self.headers = dict(headers or {})
        if retry_after is not None:
            self.headers.setdefault("Retry-After", str(retry_after))


def _error_response(status: int, body: ErrorBody, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body.model_dump(mode="json", by_alias=True, exclude_none=True), status, headers=headers)


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "(body)"


def validation_error_response(exc: RequestValidationError) -> JSONResponse:
    """400 for a body that is not JSON, 422 naming each bad or unknown field otherwise."""
    errors = list(exc.errors())
    for err in errors:
        if err.get("type") == "json_invalid":
            reason = (err.get("ctx") or {}).get("error", err.get("msg", "invalid JSON"))
            body = ErrorBody(error="invalid_json", message=f"the body is not valid JSON: {reason}")
            return _error_response(400, body)
    fields = [FieldProblem(field=_loc(err.get("loc", ())), problem=str(err.get("msg", ""))) for err in errors]
    unknown = [f.field for f, err in zip(fields, errors, strict=True) if err.get("type") == "extra_forbidden"]
    if unknown:
        body = ErrorBody(error="unknown_field", message=f"unknown field(s): {', '.join(unknown)}", fields=fields)
    else:
        body = ErrorBody(
            error="invalid_request",
            message="; ".join(f"{f.field}: {f.problem}" for f in fields) or "invalid request",
            fields=fields,
        )
    return _error_response(422, body)


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body is not valid JSON."},
    401: {"model": ErrorBody, "description": "Missing or wrong bearer token (audited as auth.rejected)."},
    403: {"model": ErrorBody, "description": "The token's identity may not do this."},
    413: {"model": ErrorBody, "description": "The body is larger than the configured limit."},
    422: {"model": ErrorBody, "description": "A field is missing, invalid or unknown (named in `fields`)."},
}


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {code: _ERRORS[code] for code in (400, 401, 413, 422)}
    for code in codes:
        out[code] = _ERRORS.get(code) or {"model": ErrorBody}
    return out


def create_app(build: Callable[[], Runtime], *, max_body_bytes: int = 2_000_000) -> FastAPI:  # noqa: PLR0915
    holder: dict[str, Runtime] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        holder["rt"] = build()
        try:
            yield
        finally:
            await holder.pop("rt").aclose()

    app = FastAPI(
        title=TITLE,
        version=VERSION,
        description="Guardrails, tamper-evident audit, rate limits and budgets for Baker Street, over HTTP. "
        "JSON in and out, camelCase on the wire.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )

    def rt() -> Runtime:
        return holder["rt"]

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _error_response(exc.status, exc.body, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        kinds = {400: "invalid_json", 404: "not_found", 405: "method_not_allowed"}
        detail = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 400:
            detail = f"the body is not valid JSON: {detail}"
        body = ErrorBody(error=kinds.get(exc.status_code, "http_error"), message=detail)
        return _error_response(exc.status_code, body, dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        body = ErrorBody(error="internal_error", message=f"{type(exc).__name__}: the request was refused")
        return _error_response(500, body)

    def observe(route: str, seconds: float) -> None:
        runtime = holder.get("rt")
        if runtime is not None:
            runtime.metrics.latency.labels(route).observe(seconds)

    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    app.add_middleware(TimingMiddleware, observe=observe)

    # ------------------------------------------------------------------------------------------------ auth

    def _emit(event: AuditEvent) -> None:
        try:
            rt().sink.emit(event)
        except Exception:  # the decision stands; a sink that refuses is reported loudly
            log.exception("audit sink refused %s", event.action)

    def _reject(request: Request, reason: str, status: int = 401, kind: str = "") -> ApiError:
        """Audit and count a refusal; ``kind`` (default: the reason) is the bounded metric label."""
        client = request.client.host if request.client else "unknown"
        rt().metrics.auth_rejections.labels(kind or reason).inc()
        _emit(make_event("auth.rejected", client or "unknown", {
            "method": "bearer", "reason": reason, "source_ip": client or "unknown", "path": request.url.path,
        }))  # fmt: skip
        message = "missing or wrong bearer token" if status == 401 else f"not allowed: {reason}"
        return ApiError(status, "unauthorized" if status == 401 else "forbidden", message)

    def _identify(request: Request) -> Principal:
        found = authenticate(
            request.headers.get("authorization"), request.headers.get(APPROVER_HEADER), rt().credentials
        )
        if isinstance(found, Rejection):
            raise _reject(request, found.reason)
        return found

    async def any_principal(request: Request) -> Principal:
        return _identify(request)

    async def application(request: Request) -> Principal:
        principal = _identify(request)
        if principal.role != "application":
            raise _reject(request, f"{principal.identity} is an approver, not the application", 403, "wrong_role")
        return principal

    async def approver(request: Request) -> Principal:
        principal = _identify(request)
        if principal.role != "approver":
            raise _reject(request, "only an approver may decide", 403, "wrong_role")
        return principal

    AppAuth = Annotated[Principal, Depends(application)]
    ApproverAuth = Annotated[Principal, Depends(approver)]
    AnyAuth = Annotated[Principal, Depends(any_principal)]
    ApprovalId = Annotated[str, Path(alias="approvalId", min_length=1, max_length=128)]

    # ------------------------------------------------------------------------------------------- guardrails

    def _ctx(call: ToolCall) -> GuardrailContext:
        extra: dict[str, Any] = {}
        if call.call_id:
            extra["call_id"] = call.call_id
        return GuardrailContext(
            conversation_id=call.conversation_id,
            user_id=call.user_id or "anonymous",
            tool_name=call.tool_name,
            tool_input=call.tool_input,
            user_messages=tuple(call.user_messages or ()),
            **extra,
        )

    def _failed(ctx: GuardrailContext, phase: str, exc: BaseException) -> str:
        error = f"{type(exc).__name__}: {exc}"
        base = {"tool": ctx.tool_name, "call_id": ctx.call_id, "conversation_id": ctx.conversation_id}
        _emit(make_event("tool.error", ctx.user_id, {**base, "error": error, "phase": phase, "rule": "service.error"}))
        reason = f"the guardrail service failed, so the call is refused: {error}"
        _emit(make_event("tool.blocked", ctx.user_id, {
            **base, "rule": "service.error", "reason": reason, "input": {"unavailable": "not recorded"}, "phase": phase,
        }))  # fmt: skip
        return reason

    @app.post(
        "/v1/guardrail/before",
        response_model=BeforeResponse,
        response_model_exclude_none=True,
        responses=_responses(),
        summary="Decide a tool call before it runs (waits for a person when the call needs one)",
    )
    async def before(call: ToolCall, _: AppAuth) -> BeforeResponse:
        ctx = _ctx(call)
        try:
            result = await rt().chain.before_tool_execution(ctx)
        except Exception as exc:  # fail closed
            result = GuardrailResult.blocked("service.error", _failed(ctx, "input", exc))
        outcome = "allow" if result.allow else "deny"
        rt().metrics.decisions.labels("before", outcome, result.rule or "-").inc()
        return BeforeResponse(
            allow=result.allow,
            reason=result.reason or None,
            rule=result.rule or None,
            approval_id=result.approval_id,
            call_id=ctx.call_id,
        )

    @app.post(
        "/v1/guardrail/after",
        response_model=AfterResponse,
        responses=_responses(),
        summary="Check and sanitize a tool's result before the model sees it",
    )
    async def after(body: AfterRequest, _: AppAuth) -> AfterResponse:
        ctx = _ctx(body.context)
        chain = rt().chain
        try:
            result = await chain.after_tool_execution(ctx, body.result)
        except Exception as exc:  # fail closed: the model gets the notice, never the unchecked result
            reason = _failed(ctx, "result", exc)
            result = GuardrailResult.blocked("service.error", reason, output=chain.config.result_notice)
        outcome = "pass" if result.allow else "withhold"
        rt().metrics.decisions.labels("after", outcome, result.rule or "-").inc()
        return AfterResponse(result=result.output, withheld=not result.allow, redactions=dict(result.redactions))

    # ------------------------------------------------------------------------------------------------ audit

    EventsBody = Annotated[
        UpstreamAuditEvent | Annotated[list[UpstreamAuditEvent], Field(min_length=1, max_length=1000)],
        Body(description="One event, or an array of events, as upstream's AuditSink.emit receives them."),
    ]

    @app.post(
        "/v1/audit/events",
        status_code=202,
        response_model=AuditAccepted,
        responses=_responses(503),
        summary="Record application audit events (202 once they are in the spool)",
    )
    async def audit_events(
        events: EventsBody,
        _: AppAuth,
        replay: Annotated[
            bool,
            Header(
                alias="X-Audit-Replay",
                description="true when these events are resent after an attempt whose outcome is unknown (no 202): "
                "each is recorded with replay: true, so a duplicate in the trail is marked as one.",
            ),
        ] = False,
    ) -> AuditAccepted:
        runtime = rt()
        batch = events if isinstance(events, list) else [events]
        if runtime.sink.queue_depth() + len(batch) > runtime.sink.queue_max:
            raise ApiError(503, "audit_unavailable", "the audit queue is full; retry shortly", retry_after=5)
        recorded: list[RecordedEvent] = []
        for item in batch:
            mapped, problems = map_event(
                ReportedEvent(item.category, item.action, item.actor, item.detail, item.timestamp), runtime.clock()
            )
            if replay:
                mapped = AuditEvent(mapped.category, mapped.action, mapped.actor, {**mapped.detail, "replay": True},
                                    mapped.timestamp)  # fmt: skip
            runtime.sink.emit(mapped)
            runtime.metrics.audit_events.labels(mapped.action).inc()
            recorded.append(RecordedEvent(action=mapped.action, problems=problems))
        timeout = runtime.config.service.audit_flush_timeout_seconds
        if not await asyncio.to_thread(runtime.sink.flush, timeout):
            raise ApiError(503, "audit_unavailable", "the events could not be spooled in time", retry_after=5)
        return AuditAccepted(accepted=len(batch), recorded=recorded)

    # -------------------------------------------------------------------------------------------------- llm

    @app.post(
        "/v1/llm/admit",
        response_model=AdmitResponse,
        responses=_responses(429, 503),
        summary="Admit an LLM call: rate limits, then budgets (possibly a cheaper model)",
    )
    async def admit(body: AdmitRequest, _: AppAuth) -> AdmitResponse:
        runtime = rt()
        gov = runtime.governance
        decision = await gov.limiter.check(f"user:{body.user_id}", path="/v1/llm/admit")
        if not decision.allowed:
            runtime.metrics.llm_admissions.labels("rate_limited").inc()
            kind = "rate_limited" if decision.status == 429 else "rate_limiter_unavailable"
            raise ApiError(
                decision.status,
                kind,
                f"over the rate limit ({', '.join(decision.blocked) or 'backend'}); retry in {decision.retry_after} s",
                headers=dict(decision.headers()),
                retry_after=decision.retry_after,
            )
        try:
            admission = await gov.router.admit(body.user_id, body.model, body.prompt_tokens, body.max_output_tokens)
        except BudgetExhaustedError as exc:
            runtime.metrics.llm_admissions.labels("budget").inc()
            raise ApiError(503, "budget_exhausted", str(exc), retry_after=exc.retry_after) from None
        except UnknownModelError as exc:
            runtime.metrics.llm_admissions.labels("unknown_model").inc()
            raise ApiError(
                422, "unknown_model", str(exc), fields=[FieldProblem(field="model", problem=str(exc))]
            ) from None
        except Exception as exc:  # fail closed: no admission without a budget decision
            runtime.metrics.llm_admissions.labels("error").inc()
            raise ApiError(503, "governance_unavailable", f"{type(exc).__name__}: {exc}", retry_after=5) from None
        try:
            await runtime.reservations.keep(admission.reservation)
        except Exception as exc:  # a reservation nobody can settle: give it back and refuse (fail closed)
            await gov.governor.release(admission.reservation)
            raise ApiError(503, "governance_unavailable", f"{type(exc).__name__}: {exc}", retry_after=5) from None
        runtime.metrics.llm_admissions.labels("downgraded" if admission.downgraded else "admitted").inc()
        return AdmitResponse(
            model=admission.model,
            requested_model=admission.requested_model,
            downgraded=admission.downgraded,
            reservation_id=admission.reservation.id,
            reserved_micro_usd=admission.reservation.amount,
        )

    @app.post(
        "/v1/llm/settle",
        response_model=SettleResponse,
        responses=_responses(404, 503),
        summary="Settle an admitted call from the provider's usage",
    )
    async def settle(body: SettleRequest, _: AppAuth) -> SettleResponse:
        runtime = rt()
        try:
            reservation = await runtime.reservations.take(body.reservation_id)
        except Exception as exc:
            raise ApiError(503, "governance_unavailable", f"{type(exc).__name__}: {exc}", retry_after=5) from None
        if reservation is None:
            raise ApiError(
                404, "unknown_reservation", f"no open reservation {body.reservation_id!r} (settled, or never made here)"
            )
        governor = runtime.governance.governor
        if body.outcome == "aborted":
            settled = await governor.abort(reservation, reason="reported_aborted")
        elif body.outcome == "not_sent":
            settled = await governor.release(reservation)
        else:
            settled = await governor.settle(reservation, body.usage)
        return SettleResponse(charged_micro_usd=settled.charged, source=settled.source, applied=settled.applied)

    # -------------------------------------------------------------------------------------------- approvals

    async def _store(call: Awaitable[T]) -> T:
        """A store call; a store that is down is a 503 (never a decision taken without it)."""
        try:
            return await call
        except (UnknownApprovalError, NotPendingError):
            raise
        except Exception as exc:
            raise ApiError(
                503, "approvals_unavailable", f"the approval store failed: {type(exc).__name__}: {exc}", retry_after=5
            ) from None

    async def _get(approval_id: str) -> Approval:
        try:
            return Approval.of(await _store(rt().approvals.get(approval_id)))
        except UnknownApprovalError:
            raise ApiError(404, "unknown_approval", f"no approval request {approval_id!r}") from None

    @app.get("/v1/approvals", response_model=ApprovalList, responses=_responses(503), summary="Pending requests")
    async def list_pending(_: AnyAuth) -> ApprovalList:
        return ApprovalList(approvals=[Approval.of(r) for r in await _store(rt().approvals.pending())])

    @app.get(
        "/v1/approvals/{approvalId}", response_model=Approval, responses=_responses(404, 503), summary="One request"
    )
    async def get_one(approval_id: ApprovalId, _: AnyAuth) -> Approval:
        return await _get(approval_id)

    async def _decide(
        request: Request, approval_id: str, principal: Principal, approve: bool, comment: str | None
    ) -> Approval:
        store = rt().approvals
        try:
            current = await _store(store.get(approval_id))
        except UnknownApprovalError:
            raise ApiError(404, "unknown_approval", f"no approval request {approval_id!r}") from None
        refusal = may_decide(current, principal.person)
        if refusal is not None:
            raise _reject(request, f"self_approval: {refusal}", 403, "self_approval")
        try:
            decided = await _store(store.decide(approval_id, approved=approve, by=principal.identity, comment=comment))
        except NotPendingError as exc:
            raise ApiError(409, "not_pending", str(exc)) from None
        except UnknownApprovalError:
            raise ApiError(404, "unknown_approval", f"no approval request {approval_id!r}") from None
        detail: dict[str, Any] = {
            "approval_id": approval_id, "approver": principal.identity, "decision": decided.status,
            "tool": current.tool, "requester": current.requester, "conversation_id": current.conversation_id,
        }  # fmt: skip
        if comment:
            detail["comment"] = comment
        _emit(make_event("tool.approval_decided", principal.identity, detail))
        return Approval.of(decided)

    @app.post(
        "/v1/approvals/{approvalId}/approve",
        response_model=Approval,
        responses=_responses(403, 404, 409, 503),
        summary="Approve a held call (comment optional)",
    )
    async def approve(
        approval_id: ApprovalId, request: Request, principal: ApproverAuth, body: Decision | None = None
    ) -> Approval:
        return await _decide(request, approval_id, principal, True, body.comment if body else None)

    @app.post(
        "/v1/approvals/{approvalId}/deny",
        response_model=Approval,
        responses=_responses(403, 404, 409, 503),
        summary="Deny a held call (comment required)",
    )
    async def deny(approval_id: ApprovalId, request: Request, principal: ApproverAuth, body: Decision) -> Approval:
        if not (body.comment or "").strip():
            raise ApiError(
                422,
                "invalid_request",
                "comment: a denial needs a comment",
                fields=[FieldProblem(field="comment", problem="required (non-empty) to deny")],
            )
        return await _decide(request, approval_id, principal, False, body.comment)

    add_approvals_page(app)

    # --------------------------------------------------------------------------------------------- probes

    @app.get("/healthz", response_model=Health, summary="The process is up")
    async def healthz() -> Health:
        return Health()

    @app.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}}, summary="Ready to serve")
    async def readyz() -> JSONResponse:
        runtime = rt()
        checks: dict[str, bool] = {"spool": await runtime.spool_writable()}
        redis = await runtime.redis_up()
        if redis is not None:
            checks["redis"] = redis
        checks["approvals"] = await runtime.approvals.ready()
        ready = all(checks.values())
        return JSONResponse(Readiness(ready=ready, checks=checks).model_dump(), 200 if ready else 503)

    @app.get(
        "/metrics",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format"}},
        summary="Prometheus metrics",
    )
    async def metrics() -> Response:
        runtime = rt()
        m = runtime.metrics
        m.audit_queue_depth.set(runtime.sink.queue_depth())
        for name, value in dict(runtime.sink.metrics).items():
            m.audit_sink.labels(name).set(value)
        spool = runtime.sink.spool
        for shipper in runtime.sink.shippers:
            count = len(await asyncio.to_thread(spool.dead_letters, shipper.name))
            m.audit_dlq_batches.labels(shipper.name).set(count)
        governor = runtime.governance.governor
        with contextlib.suppress(Exception):  # a store that is down shows in /readyz, not as a scrape failure
            for scope, value in (await governor.spent()).items():
                if scope.startswith("global"):
                    m.budget_spent.labels(scope).set(value)
        for (kind, period), limit in governor.settings.limits_micros().items():
            if kind == "global":
                m.budget_limit.labels(f"global/{period}").set(limit)
        with contextlib.suppress(Exception):
            m.approvals_pending.set(len(await runtime.approvals.pending()))
        return Response(m.exposition(), media_type=CONTENT_TYPE)

    return app


def openapi_document(app: FastAPI) -> str:
    """The OpenAPI document as checked in (sorted keys, two-space indent, trailing newline)."""
    return json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"
