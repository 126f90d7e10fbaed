"""Approval requests in Redis: shared by every replica, surviving restarts (as far as Redis persists: run it with AOF).

One hash per request (``{prefix}:approval:<id>``: the immutable request as JSON in ``doc``, plus ``status``,
``decided_by``, ``decided_at``, ``comment``, ``used``, ``expires_ms``), a sorted set of pending ids scored by expiry,
and a fingerprint key per request for :meth:`submit`'s "same call" lookup. Deciding and expiring are Lua scripts
(atomic: a request is decided once, never both approved and expired). A held call polls its request every
``poll_interval`` seconds, so a decision taken on another replica reaches it within that interval. All keys share
the hash tag ``{prefix}`` (one Redis Cluster slot).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis

from hooks.guardrails.approvals import ApprovalRequest, Status, UnknownApprovalError
from hooks.service.approvals import NotPendingError, fingerprint
from hooks.types import utc_now

# KEYS: request hash, pending zset. ARGV: id, now_ms, status, decided_by, comment, decided_at.
# Returns 1 decided, 0 not pending (decided or expired: expired ones are marked so), -1 unknown.
DECIDE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local status = redis.call('HGET', KEYS[1], 'status')
local expires = tonumber(redis.call('HGET', KEYS[1], 'expires_ms'))
if status ~= 'pending' then return 0 end
if tonumber(ARGV[2]) >= expires then
  redis.call('HSET', KEYS[1], 'status', 'expired', 'decided_at', ARGV[6])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'decided_by', ARGV[4], 'comment', ARGV[5], 'decided_at', ARGV[6])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
"""

# KEYS: request hash, pending zset. ARGV: id, now_ms, decided_at. Marks a due pending request expired.
EXPIRE = """
if redis.call('HGET', KEYS[1], 'status') == 'pending'
   and tonumber(ARGV[2]) >= tonumber(redis.call('HGET', KEYS[1], 'expires_ms')) then
  redis.call('HSET', KEYS[1], 'status', 'expired', 'decided_at', ARGV[3])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 1
end
return 0
"""


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()


def _text(raw: Any) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


class RedisApprovalStore:
    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "bakerst:hooks",
        clock: Callable[[], datetime] = utc_now,
        retention_seconds: float = 7 * 86_400,
        poll_interval: float = 0.2,
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self._clock = clock
        self._retention_ms = int(retention_seconds * 1000)
        self._poll = poll_interval
        self._decide = client.register_script(DECIDE)
        self._expire = client.register_script(EXPIRE)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisApprovalStore:
        pool = BlockingConnectionPool.from_url(url, max_connections=32, timeout=2.0, socket_timeout=2.0)
        return cls(Redis(connection_pool=pool), **kwargs)

    # keys
    def _key(self, approval_id: str) -> str:
        return f"{{{self._prefix}}}:approval:{approval_id}"

    @property
    def _pending_key(self) -> str:
        return f"{{{self._prefix}}}:approvals:pending"

    def _fp_key(self, fp: str) -> str:
        return f"{{{self._prefix}}}:approvals:fp:{fp}"

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
        fp = fingerprint(tool=tool, tool_input=tool_input, requester=requester, conversation_id=conversation_id)
        known_id = await self._redis.get(self._fp_key(fp))
        if known_id is not None:
            try:
                known = await self._load(_text(known_id))
            except UnknownApprovalError:
                known = None
            if known is not None:
                request, used = known
                if request.status == "pending" or (request.status == "approved" and not used):
                    return request
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
        doc = {
            "id": request.id, "tool": tool, "tool_input": request.tool_input, "requester": requester,
            "conversation_id": conversation_id, "reason": reason, "risk": risk,
            "created_at": _iso(request.created_at), "expires_at": _iso(request.expires_at),
        }  # fmt: skip
        expires_ms = _ms(request.expires_at)
        keep_until = expires_ms + self._retention_ms
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                self._key(request.id),
                mapping={"doc": json.dumps(doc, default=str), "status": "pending", "expires_ms": str(expires_ms)},
            )
            pipe.pexpireat(self._key(request.id), keep_until)
            pipe.zadd(self._pending_key, {request.id: expires_ms})
            pipe.set(self._fp_key(fp), request.id, pxat=keep_until)
            await pipe.execute()
        return request

    async def wait(self, approval_id: str) -> ApprovalRequest:
        while True:
            request, _ = await self._load(approval_id)
            if request.status == "approved":
                await self._redis.hset(self._key(approval_id), "used", "1")
                return request
            if request.status != "pending":
                return request
            remaining = (request.expires_at - self._clock()).total_seconds()
            if remaining <= 0:
                await self._expire_due(approval_id)
                continue
            await asyncio.sleep(min(self._poll, remaining))

    async def get(self, approval_id: str) -> ApprovalRequest:
        request, _ = await self._load(approval_id)
        return request

    async def pending(self) -> list[ApprovalRequest]:
        now_ms = _ms(self._clock())
        for due in await self._redis.zrangebyscore(self._pending_key, "-inf", now_ms):
            await self._expire_due(_text(due))
        out: list[ApprovalRequest] = []
        for raw_id in await self._redis.zrangebyscore(self._pending_key, now_ms, "+inf"):
            approval_id = _text(raw_id)
            try:
                request, _ = await self._load(approval_id)
            except UnknownApprovalError:  # its hash expired: drop it from the index
                await self._redis.zrem(self._pending_key, approval_id)
                continue
            if request.status == "pending":
                out.append(request)
        return sorted(out, key=lambda r: r.created_at)

    async def decide(self, approval_id: str, *, approved: bool, by: str, comment: str | None) -> ApprovalRequest:
        now = self._clock()
        status = "approved" if approved else "denied"
        result = await self._decide(
            keys=[self._key(approval_id), self._pending_key],
            args=[approval_id, _ms(now), status, by, comment or "", _iso(now)],
        )
        if int(result) == -1:
            raise UnknownApprovalError(approval_id)
        request, _ = await self._load(approval_id)
        if int(result) == 0:
            raise NotPendingError(request)
        return request

    async def ready(self) -> bool:
        try:
            return bool(await asyncio.wait_for(self._redis.ping(), 2.0))
        except Exception:
            return False

    async def aclose(self) -> None:
        await self._redis.aclose()
        await self._redis.connection_pool.disconnect()

    async def _expire_due(self, approval_id: str) -> None:
        now = self._clock()
        await self._expire(keys=[self._key(approval_id), self._pending_key], args=[approval_id, _ms(now), _iso(now)])

    async def _load(self, approval_id: str) -> tuple[ApprovalRequest, bool]:
        raw = await self._redis.hgetall(self._key(approval_id))
        if not raw:
            raise UnknownApprovalError(approval_id)
        fields = {_text(k): _text(v) for k, v in raw.items()}
        doc = json.loads(fields["doc"])
        status: Status = fields["status"]  # type: ignore[assignment]
        expires_at = datetime.fromisoformat(doc["expires_at"])
        if status == "pending" and self._clock() >= expires_at:
            await self._expire_due(approval_id)
            return await self._load(approval_id)
        decided_at = fields.get("decided_at")
        request = ApprovalRequest(
            id=doc["id"],
            tool=doc["tool"],
            tool_input=doc["tool_input"],
            requester=doc["requester"],
            conversation_id=doc["conversation_id"],
            reason=doc["reason"],
            risk=doc["risk"],
            created_at=datetime.fromisoformat(doc["created_at"]),
            expires_at=expires_at,
            status=status,
            decided_by=fields.get("decided_by") or None,
            decided_at=datetime.fromisoformat(decided_at) if decided_at else None,
            comment=fields.get("comment") or None,
        )
        return request, fields.get("used") == "1"
