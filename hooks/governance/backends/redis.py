"""Redis backend: windows and counters shared by every replica, one round trip and one Lua script per decision.

Each decision is a single ``EVALSHA`` (redis-py re-sends the script on ``NOSCRIPT``), and Redis runs a script
atomically, so checking every window or counter and consuming them is one indivisible step across replicas.
All keys share the hash tag ``{<prefix>}``, so the scripts also work on a Redis Cluster (one slot).

Time: the rate-limit windows use the caller's wall clock in epoch milliseconds (replicas should run NTP; a skew
of a few milliseconds shifts a window by as much). Budget counters are keyed by UTC calendar period, and expire
with ``PEXPIREAT`` 35 days after their period ends. Reservations expire with ``PEXPIRE``; their amount stays
in the counters. State survives a restart as far as the server persists it (run Redis with AOF).

Why not the ``limits`` library: its Redis strategies are atomic per key, but our decision spans two keys (user
and global) that must be checked before either is consumed, and ``limits`` has no multi-key operation; doing
``test`` then ``hit`` per key is two to four round trips and races. It has no budget/reservation notion either.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis

from hooks.governance.budget import BudgetBackendError, Counter, ReserveResult, SettleResult
from hooks.governance.clock import Clock, SystemClock, epoch_ms
from hooks.governance.rate_limit import AcquireResult, BackendUnavailableError, LimitSpec, WindowState

# KEYS: one sorted set per window. ARGV: now_ms, member, then (limit, window_ms) per key.
# Returns: admitted (0/1), then (used, reset_ms) per key.
ACQUIRE = """
local now = tonumber(ARGV[1])
local n = #KEYS
local used = {}
local admitted = 1
for i = 1, n do
  local limit = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  used[i] = redis.call('ZCARD', KEYS[i])
  if used[i] >= limit then admitted = 0 end
end
local out = {admitted}
for i = 1, n do
  local window = tonumber(ARGV[2 + 2 * i])
  if admitted == 1 then
    redis.call('ZADD', KEYS[i], now, ARGV[2])
    redis.call('PEXPIRE', KEYS[i], window)
    used[i] = used[i] + 1
  end
  local first = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
  local reset = 0
  if first[2] then reset = tonumber(first[2]) + window - now end
  out[#out + 1] = used[i]
  out[#out + 1] = reset
end
return out
"""

# KEYS: reservation hash, then the counters. ARGV: amount, ttl_ms, then (limit, expire_at_ms) per counter.
# Returns: status (1 admitted, 0 refused, -1 duplicate id), then (value, blocked) per counter.
RESERVE = """
local amount = tonumber(ARGV[1])
local n = #KEYS - 1
local values = {}
local admitted = 1
local blocked = {}
for i = 1, n do
  values[i] = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
  blocked[i] = 0
  if values[i] + amount > tonumber(ARGV[1 + 2 * i]) then
    blocked[i] = 1
    admitted = 0
  end
end
if admitted == 1 and redis.call('EXISTS', KEYS[1]) == 1 then admitted = -1 end
if admitted == 1 then
  for i = 1, n do
    values[i] = redis.call('INCRBY', KEYS[i + 1], amount)
    redis.call('PEXPIREAT', KEYS[i + 1], ARGV[2 + 2 * i])
  end
  redis.call('SET', KEYS[1], amount, 'PX', ARGV[2])
end
local out = {admitted}
for i = 1, n do
  out[#out + 1] = values[i]
  out[#out + 1] = blocked[i]
end
return out
"""

# KEYS: reservation, then the counters it was made in. ARGV: actual, then expire_at_ms per counter.
# Returns: applied (0/1), reserved amount, then the counter values.
SETTLE = """
local held = redis.call('GET', KEYS[1])
local out = {}
if not held then
  out[1] = 0
  out[2] = 0
  for i = 2, #KEYS do out[#out + 1] = tonumber(redis.call('GET', KEYS[i]) or '0') end
  return out
end
local delta = tonumber(ARGV[1]) - tonumber(held)
redis.call('DEL', KEYS[1])
out[1] = 1
out[2] = tonumber(held)
for i = 2, #KEYS do
  out[#out + 1] = redis.call('INCRBY', KEYS[i], delta)
  redis.call('PEXPIREAT', KEYS[i], ARGV[i])
end
return out
"""


def _ints(raw: Any, length: int) -> list[int]:
    if not isinstance(raw, list) or len(raw) != length or not all(isinstance(v, int) for v in raw):
        raise BackendUnavailableError(f"unexpected reply from Redis script: {raw!r}")
    return raw


class RedisBackend:
    """Both backends (rate limits and budgets) over one ``redis.asyncio.Redis`` client."""

    def __init__(self, client: Redis, clock: Clock | None = None) -> None:
        self._redis = client
        self._clock = clock or SystemClock()
        self._acquire = client.register_script(ACQUIRE)
        self._reserve = client.register_script(RESERVE)
        self._settle = client.register_script(SETTLE)

    @classmethod
    def from_url(
        cls, url: str, clock: Clock | None = None, *, max_connections: int = 32, pool_timeout_s: float = 2.0
    ) -> RedisBackend:
        """A client whose pool makes bursts wait for a connection (up to ``pool_timeout_s``) instead of failing."""
        pool = BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=pool_timeout_s)
        return cls(Redis(connection_pool=pool), clock)

    @property
    def client(self) -> Redis:
        return self._redis

    async def aclose(self) -> None:
        await self._redis.aclose()
        await self._redis.connection_pool.disconnect()

    async def acquire(self, specs: Sequence[LimitSpec], request_id: str) -> AcquireResult:
        args: list[int | str] = [epoch_ms(self._clock.now()), request_id]
        for spec in specs:
            args += [spec.limit, spec.window_ms]
        raw = await self._acquire(keys=[s.key for s in specs], args=args)
        values = _ints(raw, 1 + 2 * len(specs))
        states = tuple(
            WindowState(spec.name, spec.limit, spec.window_ms, values[1 + 2 * i], values[2 + 2 * i])
            for i, spec in enumerate(specs)
        )
        return AcquireResult(values[0] == 1, states)

    async def reserve(
        self, counters: Sequence[Counter], amount: int, reservation_key: str, ttl_ms: int
    ) -> ReserveResult:
        args: list[int] = [amount, ttl_ms]
        for c in counters:
            args += [c.limit, c.expire_at_ms]
        try:
            raw = await self._reserve(keys=[reservation_key, *(c.key for c in counters)], args=args)
            values = _ints(raw, 1 + 2 * len(counters))
        except BackendUnavailableError as exc:
            raise BudgetBackendError(str(exc)) from exc
        status = values[0]
        return ReserveResult(
            admitted=status == 1,
            values=tuple(values[1::2]),
            blocked=tuple(bool(b) for b in values[2::2]),
            duplicate=status == -1,
        )

    async def settle(self, reservation_key: str, counters: Sequence[Counter], actual: int) -> SettleResult:
        raw = await self._settle(
            keys=[reservation_key, *(c.key for c in counters)], args=[actual, *(c.expire_at_ms for c in counters)]
        )
        try:
            values = _ints(raw, 2 + len(counters))
        except BackendUnavailableError as exc:
            raise BudgetBackendError(str(exc)) from exc
        return SettleResult(values[0] == 1, values[1], tuple(values[2:]))

    async def claim_once(self, key: str, expire_at_ms: int) -> bool:
        return bool(await self._redis.set(key, "1", nx=True, pxat=expire_at_ms))

    async def read(self, keys: Sequence[str]) -> tuple[int, ...]:
        if not keys:
            return ()
        raw = await self._redis.mget(list(keys))
        return tuple(int(v) if v is not None else 0 for v in raw)
