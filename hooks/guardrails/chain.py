"""GuardrailChain: the checks in priority order, short-circuiting on the first block, failing closed.

Data flows one way: tool call -> checks -> decision -> audit event. Before a call: size limits, then
injection, schema, risk (each may block; risk may ask for review), then a human decision when needed.
After a call: injection on the result (a result that carries one is withheld and replaced by a notice),
then sanitization (secrets and PII redacted). Every block emits ``tool.blocked``, every allowed call
``tool.executed`` with its duration, every failure inside a check ``tool.error``; an exception or a
timeout in any check blocks the call with a reason.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from hooks.guardrails.approvals import ApprovalBackend, ApprovalStore
from hooks.guardrails.checks.base import ALLOW, Verdict
from hooks.guardrails.checks.injection import InjectionCheck
from hooks.guardrails.checks.risk import RiskCheck
from hooks.guardrails.checks.schema import SchemaCheck
from hooks.guardrails.config import GuardrailConfig
from hooks.guardrails.provenance import ConversationMemory
from hooks.injection.detector import InjectionDetector
from hooks.sanitize.sanitizer import Sanitizer
from hooks.types import AuditEvent, AuditSink, GuardrailContext, GuardrailResult

T = TypeVar("T")
log = logging.getLogger("hooks.guardrails")
AUDIT_INPUT_CHARS = 4096
_STARTS_KEPT = 100_000


class CheckTimeoutError(TimeoutError):
    """A check ran past its budget."""


class LimitExceededError(ValueError):
    """An input or result is larger or deeper than the chain's limits allow."""


def depth_of(value: Any, limit: int) -> int:
    """Nesting depth of a JSON-like value, counting only up to ``limit + 1`` (iterative: no recursion limit)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return depth
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list | tuple):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def audit_safe(value: Any, depth: int = 0) -> Any:
    """A JSON value with no floats (as text) and only string keys; anything else becomes its ``str``."""
    if depth > 64:
        return "[too deep]"
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): audit_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [audit_safe(v, depth + 1) for v in value]
    return str(value)


class GuardrailChain:
    """The enterprise ``GuardrailHook``."""

    def __init__(
        self,
        config: GuardrailConfig,
        *,
        audit: AuditSink,
        approvals: ApprovalStore | None = None,
        approval_backend: ApprovalBackend | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.config = config
        self._audit = audit
        self.approvals = approvals if approvals is not None else ApprovalStore()
        self._approval_backend: ApprovalBackend = approval_backend if approval_backend is not None else self.approvals
        self._clock = clock
        self.memory = ConversationMemory(
            max_conversations=config.limits.conversations, max_chars=config.provenance.memory_chars
        )
        self.sanitizer = Sanitizer(config.sanitizer)
        self._injection = InjectionCheck(InjectionDetector(config.injection))
        self._before: list[tuple[str, Callable[[GuardrailContext], Verdict]]] = []
        for name in config.checks:
            if name == "injection":
                self._before.append((name, self._injection.check_input))
            elif name == "schema":
                self._before.append((name, SchemaCheck(config.tools, config.tool_prefixes).check_input))
            elif name == "risk":
                self._before.append((name, RiskCheck(config, self.memory).check_input))
        self._starts: OrderedDict[str, float] = OrderedDict()

    # ------------------------------------------------------------------------------------------------ before

    async def before_tool_execution(self, ctx: GuardrailContext) -> GuardrailResult:
        try:
            self._check_input_limits(ctx)
        except LimitExceededError as exc:
            return self._block(ctx, "limits.input", str(exc))
        except Exception as exc:  # an input we cannot even measure is refused (fail closed)
            return self._error(ctx, "limits", "limits.error", f"{type(exc).__name__}: {exc}")
        review: Verdict | None = None
        score: float | None = None
        for name, check in self._before:
            try:
                verdict = await self._run(check, ctx)
            except CheckTimeoutError as exc:
                return self._error(ctx, name, f"{name}.timeout", str(exc))
            except Exception as exc:  # any failure inside a check blocks the call (fail closed)
                return self._error(ctx, name, f"{name}.error", f"{type(exc).__name__}: {exc}")
            score = verdict.score if verdict.score is not None else score
            if verdict.action == "block":
                return self._block(ctx, verdict.rule, verdict.reason, score=score)
            if verdict.action == "review" and review is None:
                review = verdict
        policy = self.config.policy_for(ctx.tool_name)
        if review is None and policy is not None and policy.requires_approval:
            review = Verdict("review", rule="approval.required", reason="the tool requires approval", risk=policy.risk)
        if review is not None:
            return await self._hold_for_approval(ctx, review)
        self._started(ctx)
        return GuardrailResult(allow=True, score=score)

    def _check_input_limits(self, ctx: GuardrailContext) -> None:
        limits = self.config.limits
        if depth_of(ctx.tool_input, limits.max_depth) > limits.max_depth:
            raise LimitExceededError(f"tool input is nested deeper than {limits.max_depth} levels")
        size = len(json.dumps(ctx.tool_input, default=str, ensure_ascii=False).encode("utf-8", "replace"))
        if size > limits.max_input_bytes:
            raise LimitExceededError(f"tool input is {size} bytes, over the limit of {limits.max_input_bytes}")

    async def _hold_for_approval(self, ctx: GuardrailContext, review: Verdict) -> GuardrailResult:
        if "approval" not in self.config.checks:
            return self._block(ctx, review.rule, f"needs human approval, and approval is disabled: {review.reason}")
        try:
            sanitized, _ = self.sanitizer.sanitize_value(dict(ctx.tool_input))
        except Exception as exc:  # an approver must never see an unsanitized input: refuse instead
            return self._error(ctx, "approval", "approval.error", f"{type(exc).__name__}: {exc}")
        try:
            request = await self._approval_backend.submit(
                tool=ctx.tool_name,
                tool_input=sanitized if isinstance(sanitized, dict) else {"input": sanitized},
                requester=ctx.user_id,
                conversation_id=ctx.conversation_id,
                reason=review.reason,
                risk=review.risk,
                ttl_seconds=self.config.approval.timeout_seconds,
            )
        except Exception as exc:  # a store that cannot record the request: nobody can approve it, so refuse
            return self._error(ctx, "approval", "approval.error", f"{type(exc).__name__}: {exc}")
        self._emit(
            ctx,
            "tool.approval_requested",
            approval_id=request.id,
            rule=review.rule,
            reason=review.reason,
            risk=review.risk,
            expires_at=request.expires_at.isoformat(),
            input=self._audit_input(ctx),
        )
        try:
            decided = await self._approval_backend.wait(request.id)
        except Exception as exc:  # the store failed while we waited: no decision is a deny
            return self._error(ctx, "approval", "approval.error", f"{type(exc).__name__}: {exc}")
        comment = {"comment": decided.comment} if decided.comment else {}
        if decided.status == "approved":
            self._emit(
                ctx, "tool.approval_granted", approval_id=request.id, approver=decided.decided_by or "", **comment
            )
            self._started(ctx)
            return GuardrailResult(allow=True, rule=review.rule, approval_id=request.id)
        why = "no decision before the request expired" if decided.status == "expired" else "an approver denied it"
        if decided.status == "expired":
            self._emit(ctx, "tool.approval_expired", approval_id=request.id)
        else:
            self._emit(
                ctx,
                "tool.approval_denied",
                approval_id=request.id,
                approver=decided.decided_by or "",
                reason=why,
                **comment,
            )
        return self._block(ctx, f"approval.{decided.status}", f"{why} ({review.reason})", approval_id=request.id)

    # ------------------------------------------------------------------------------------------------- after

    async def after_tool_execution(self, ctx: GuardrailContext, result: Any) -> GuardrailResult:
        limits = self.config.limits
        try:
            if depth_of(result, limits.max_depth) > limits.max_depth:
                raise LimitExceededError(f"tool result is nested deeper than {limits.max_depth} levels")
            if isinstance(result, str) and len(result) > limits.max_result_chars:
                raise LimitExceededError(f"tool result is {len(result)} characters, over {limits.max_result_chars}")
        except LimitExceededError as exc:
            return self._withhold(ctx, "limits.result", str(exc))
        score: float | None = None
        if "injection" in self.config.checks:
            try:
                verdict = await self._run(self._injection.check_result, result)
                score = verdict.score
            except CheckTimeoutError as exc:
                return self._withhold(ctx, "injection.timeout", str(exc), error=True)
            except Exception as exc:  # fail closed: the result never reaches the model unchecked
                return self._withhold(ctx, "injection.error", f"{type(exc).__name__}: {exc}", error=True)
            if verdict.flagged:
                try:
                    evidence, _ = self.sanitizer.sanitize_value(verdict.evidence)
                except Exception:  # evidence that cannot be sanitized is left out, never logged raw
                    evidence = ""
                return self._withhold(
                    ctx,
                    f"injection.result.{verdict.rule}",
                    f"the result carries instructions aimed at the assistant (score {verdict.score:.2f})",
                    evidence=evidence,
                    score=score,
                )
        self.memory.record_result(ctx.conversation_id, result)
        output: Any = result
        redactions: Mapping[str, int] = {}
        if "sanitization" in self.config.checks:
            try:
                output, redactions = await self._run(self.sanitizer.sanitize_value, result)
            except Exception as exc:  # fail closed: the result never reaches the model unchecked
                return self._withhold(ctx, "sanitization.error", f"{type(exc).__name__}: {exc}", error=True)
        detail: dict[str, Any] = {"input": self._audit_input(ctx), "redactions": dict(redactions)}
        duration_us = self._duration_us(ctx)
        if duration_us is not None:
            detail["duration_us"] = duration_us
        self._emit(ctx, "tool.executed", **detail)
        return GuardrailResult(allow=True, output=output, redactions=redactions, score=score)

    def _withhold(
        self,
        ctx: GuardrailContext,
        rule: str,
        reason: str,
        *,
        error: bool = False,
        evidence: Any = None,
        score: float | None = None,
    ) -> GuardrailResult:
        if error:
            self._emit(ctx, "tool.error", phase="result", rule=rule, error=reason)
        detail: dict[str, Any] = {"phase": "result", "rule": rule, "reason": reason, "input": self._audit_input(ctx)}
        if evidence:
            detail["evidence"] = str(evidence)
        self._emit(ctx, "tool.blocked", **detail)
        self._starts.pop(ctx.call_id, None)
        return GuardrailResult(allow=False, rule=rule, reason=reason, output=self.config.result_notice, score=score)

    # ----------------------------------------------------------------------------------------------- helpers

    async def _run(self, check: Callable[[Any], T], arg: Any) -> T:
        """Run one check within its budget; past it, raise ``CheckTimeoutError``."""
        budget = self.config.limits.check_timeout_ms / 1000
        started = self._clock()
        if self.config.limits.preemptive_timeouts:
            try:
                value = await asyncio.wait_for(asyncio.to_thread(check, arg), timeout=budget)
            except TimeoutError:
                raise CheckTimeoutError(f"check ran past its {budget * 1000:.0f} ms budget") from None
        else:
            try:
                value = check(arg)
            except Exception:  # a check that overran and then failed is reported as the timeout it was
                if self._clock() - started > budget:  # it overran first: report the timeout
                    raise CheckTimeoutError(f"check ran past its {budget * 1000:.0f} ms budget") from None
                raise
        elapsed = self._clock() - started
        if elapsed > budget:
            raise CheckTimeoutError(f"check took {elapsed * 1000:.0f} ms, over its {budget * 1000:.0f} ms budget")
        return value

    def _block(self, ctx: GuardrailContext, rule: str, reason: str, **extra: Any) -> GuardrailResult:
        self._emit(ctx, "tool.blocked", phase="input", rule=rule, reason=reason, input=self._audit_input(ctx))
        return GuardrailResult(allow=False, rule=rule, reason=reason, **extra)

    def _error(self, ctx: GuardrailContext, check: str, rule: str, error: str) -> GuardrailResult:
        self._emit(ctx, "tool.error", phase="input", check=check, rule=rule, error=error)
        return self._block(ctx, rule, f"the {check} check failed, so the call is blocked: {error}")

    def _audit_input(self, ctx: GuardrailContext) -> dict[str, Any]:
        """The tool input as audit detail: sanitized, JSON-safe (floats as text: none in MAC'd records), bounded."""
        try:
            sanitized, _ = self.sanitizer.sanitize_value(dict(ctx.tool_input))
            safe = audit_safe(sanitized)
            text = json.dumps(safe, ensure_ascii=False)
        except Exception:  # any failure: the decision stands, the detail says why it is missing
            return {"unavailable": "the input could not be sanitized"}
        if len(text) <= AUDIT_INPUT_CHARS and isinstance(safe, dict):
            return safe
        return {"truncated": text[:AUDIT_INPUT_CHARS]}

    def _emit(self, ctx: GuardrailContext, action: str, **detail: Any) -> None:
        payload = {"tool": ctx.tool_name, "conversation_id": ctx.conversation_id, "call_id": ctx.call_id, **detail}
        try:
            self._audit.emit(AuditEvent(category="tool", action=action, actor=ctx.user_id, detail=payload))
        except Exception:  # the decision stands; a sink that cannot take an event is reported loudly
            log.exception("audit sink refused %s for call %s of %s", action, ctx.call_id, ctx.tool_name)

    def _started(self, ctx: GuardrailContext) -> None:
        self._starts[ctx.call_id] = self._clock()
        while len(self._starts) > _STARTS_KEPT:
            self._starts.popitem(last=False)

    def _duration_us(self, ctx: GuardrailContext) -> int | None:
        """Microseconds since the call was allowed (integers only: audit records carry no floats)."""
        started = self._starts.pop(ctx.call_id, None)
        return None if started is None else round((self._clock() - started) * 1_000_000)


__all__ = ["ALLOW", "GuardrailChain"]
