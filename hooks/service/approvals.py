"""Approval stores for the service: the chain's ``ApprovalBackend`` plus what the approvals API (and a page) reads.

Two implementations with one contract (:class:`ApprovalStoreAPI`): :class:`MemoryApprovalStore` (one replica; lost
on restart) and ``hooks.service.approvals_redis.RedisApprovalStore`` (shared by replicas, survives restarts).

Contract:

* ``submit`` records a request, or returns the identical request (same requester, conversation, tool and
  sanitized input) that is still pending, or approved and not yet used, so a call retried after a restart or on
  another replica waits for (or uses) the decision already asked for instead of asking again.
* ``wait`` returns when the request is decided or has expired (expired is final: deny). An approved request is
  marked used by the first waiter.
* ``decide`` records a person's decision on a pending, unexpired request; anything else raises
  :class:`NotPendingError`. Who may decide (not the requester) is the caller's rule: :func:`may_decide`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from hooks.guardrails.approvals import ApprovalRequest, UnknownApprovalError
from hooks.types import utc_now


class NotPendingError(ValueError):
    """The request exists but is no longer pending (decided or expired)."""

    def __init__(self, request: ApprovalRequest) -> None:
        self.request = request
        super().__init__(f"approval {request.id} is {request.status}, not pending")


class ApprovalStoreAPI(Protocol):
    async def submit(
        self,
        *,
        tool: str,
        tool_input: Mapping[str, Any],
        requester: str,
        conversation_id: str,
        reason: str,
        risk: str,
        ttl_seconds: float,
    ) -> ApprovalRequest: ...

    async def wait(self, approval_id: str) -> ApprovalRequest: ...

    async def get(self, approval_id: str) -> ApprovalRequest:
        """Raises ``UnknownApprovalError``."""
        ...

    async def pending(self) -> list[ApprovalRequest]:
        """Undecided, unexpired requests, oldest first."""
        ...

    async def decide(self, approval_id: str, *, approved: bool, by: str, comment: str | None) -> ApprovalRequest:
        """Raises ``UnknownApprovalError`` or ``NotPendingError``."""
        ...

    async def ready(self) -> bool:
        """The store can be written now."""
        ...

    async def aclose(self) -> None: ...


def fingerprint(*, tool: str, tool_input: Mapping[str, Any], requester: str, conversation_id: str) -> str:
    """Identity of "the same call": requester, conversation, tool and (sanitized) input."""
    doc = json.dumps([requester, conversation_id, tool, tool_input], sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(doc.encode()).hexdigest()


def may_decide(request: ApprovalRequest, person: str) -> str | None:
    """None when ``person`` may decide ``request``; else why not."""
    if request.requester == person:
        return f"{person!r} requested this call and cannot decide it (no self-approval)"
    return None


@dataclass
class _Entry:
    request: ApprovalRequest
    fp: str
    used: bool = False
    decided: asyncio.Event = field(default_factory=asyncio.Event)


class MemoryApprovalStore:
    """In-process store (one replica, one event loop). Decided requests are kept ``retention_seconds``."""

    def __init__(self, clock: Callable[[], datetime] = utc_now, *, retention_seconds: float = 7 * 86_400) -> None:
        self._clock = clock
        self._retention = timedelta(seconds=retention_seconds)
        self._entries: dict[str, _Entry] = {}
        self._by_fp: dict[str, str] = {}

    async def submit(
        self,
        *,
        tool: str,
        tool_input: Mapping[str, Any],
        requester: str,
        conversation_id: str,
        reason: str,
        risk: str,
        ttl_seconds: float,
    ) -> ApprovalRequest:
        self._forget_old()
        fp = fingerprint(tool=tool, tool_input=tool_input, requester=requester, conversation_id=conversation_id)
        known = self._entries.get(self._by_fp.get(fp, ""))
        if known is not None:
            status = self._expire_if_due(known).request.status
            if status == "pending" or (status == "approved" and not known.used):
                return known.request
        now = self._clock()
        request = ApprovalRequest.new(
            tool=tool,
            tool_input=tool_input,
            requester=requester,
            conversation_id=conversation_id,
            reason=reason,
            risk=risk,
            now=now,
            ttl_seconds=ttl_seconds,
        )
        self._entries[request.id] = _Entry(request, fp)
        self._by_fp[fp] = request.id
        return request

    async def wait(self, approval_id: str) -> ApprovalRequest:
        entry = self._entry(approval_id)
        remaining = (entry.request.expires_at - self._clock()).total_seconds()
        if entry.request.status == "pending" and remaining > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(entry.decided.wait(), timeout=remaining)
        request = self._expire_if_due(entry, force=entry.request.status == "pending").request
        if request.status == "approved":
            entry.used = True
        return request

    async def get(self, approval_id: str) -> ApprovalRequest:
        return self._expire_if_due(self._entry(approval_id)).request

    async def pending(self) -> list[ApprovalRequest]:
        out = [e.request for e in self._entries.values() if self._expire_if_due(e).request.status == "pending"]
        return sorted(out, key=lambda r: r.created_at)

    async def decide(self, approval_id: str, *, approved: bool, by: str, comment: str | None) -> ApprovalRequest:
        entry = self._entry(approval_id)
        if self._expire_if_due(entry).request.status != "pending":
            raise NotPendingError(entry.request)
        entry.request = replace(
            entry.request,
            status="approved" if approved else "denied",
            decided_by=by,
            decided_at=self._clock(),
            comment=comment or None,
        )
        entry.decided.set()
        return entry.request

    async def ready(self) -> bool:
        return True

    async def aclose(self) -> None:
        return None

    def _entry(self, approval_id: str) -> _Entry:
        entry = self._entries.get(approval_id)
        if entry is None:
            raise UnknownApprovalError(approval_id)
        return entry

    def _expire_if_due(self, entry: _Entry, force: bool = False) -> _Entry:
        if entry.request.status == "pending" and (force or self._clock() >= entry.request.expires_at):
            entry.request = replace(entry.request, status="expired", decided_at=self._clock())
            entry.decided.set()
        return entry

    def _forget_old(self) -> None:
        cutoff = self._clock() - self._retention
        for key in [k for k, e in self._entries.items() if e.request.expires_at < cutoff]:
            entry = self._entries.pop(key)
            if self._by_fp.get(entry.fp) == key:
                del self._by_fp[entry.fp]
