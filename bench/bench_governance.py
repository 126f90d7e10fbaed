"""Governance decision throughput, next to a bare Redis ``INCR`` round trip measured in the same run.

Rate-limit decisions (per user + global, moving window) and budget admissions (reserve + settle) per second, on
one core, for the in-process backend and the Redis backend (a ``redis-server`` on loopback: started in a temporary
directory unless ``--redis-url`` is given). Sequential numbers are one decision at a time (latency-bound);
``concurrent`` runs ``--concurrency`` asyncio tasks over one connection pool.

Run: ``.venv/bin/python bench/bench_governance.py [--n N] [--concurrency C] [--redis-url URL] [--json]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hooks.governance.backends.memory import MemoryBackend
from hooks.governance.backends.redis import RedisBackend
from hooks.governance.budget import BudgetGovernor, Reservation
from hooks.governance.config import BudgetSettings, RateLimitSettings
from hooks.governance.pricing import PriceTable
from hooks.governance.rate_limit import RateLimiter

USERS = 1000
PRICES = PriceTable.from_mapping({"m": {"input_usd_per_mtok": 3, "output_usd_per_mtok": 15}})


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server) and no --redis-url given")
    with tempfile.TemporaryDirectory() as tmp, socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp, "--save", "", "--appendonly", "no"]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(500):
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2) as c:
                    c.sendall(b"PING\r\n")
                    if c.recv(8).startswith(b"+PONG"):
                        break
                time.sleep(0.02)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(10)


async def rate(n: int, fn: Callable[[int], Awaitable[Any]], concurrency: int = 1) -> float:
    """Operations per second of ``fn(i)`` for i < n, ``concurrency`` at a time."""
    started = time.perf_counter()
    if concurrency == 1:
        for i in range(n):
            await fn(i)
    else:

        async def worker(offset: int) -> None:
            for i in range(offset, n, concurrency):
                await fn(i)

        await asyncio.gather(*(worker(k) for k in range(concurrency)))
    return n / (time.perf_counter() - started)


def _limiter(backend: Any) -> RateLimiter:
    settings = RateLimitSettings(per_user_per_minute=100_000, global_per_minute=10_000_000)
    return RateLimiter(settings, backend, key_prefix="bench")


def _governor(backend: Any) -> BudgetGovernor:
    settings = BudgetSettings.model_validate({"daily_usd": 10_000_000, "monthly_usd": 100_000_000})
    return BudgetGovernor(settings, PRICES, backend, key_prefix="bench")


async def _admission(gov: BudgetGovernor, i: int) -> None:
    res = await gov.reserve(f"u{i % USERS}", "m", 1000, 500)
    assert isinstance(res, Reservation)
    await gov.settle(res, {"input_tokens": 1000, "output_tokens": 200})


async def measure(n: int, concurrency: int, url: str) -> dict[str, float]:
    out: dict[str, float] = {}
    memory = MemoryBackend()
    limiter, gov = _limiter(memory), _governor(memory)
    out["memory.ratelimit"] = await rate(n, lambda i: limiter.check(f"u{i % USERS}"))
    out["memory.budget"] = await rate(n, lambda i: _admission(gov, i))

    backend = RedisBackend.from_url(url, max_connections=max(concurrency, 4))
    try:
        client = backend.client
        await client.flushall()
        limiter, gov = _limiter(backend), _governor(backend)
        for _ in range(200):  # warm-up: connections, script cache
            await client.incr("bench:warm")
            await limiter.check("warm")
        out["redis.incr"] = await rate(n, lambda _i: client.incr("bench:incr"))
        out["redis.ratelimit"] = await rate(n, lambda i: limiter.check(f"u{i % USERS}"))
        out["redis.budget"] = await rate(n // 2, lambda i: _admission(gov, i))
        out["redis.incr.concurrent"] = await rate(n, lambda _i: client.incr("bench:incr"), concurrency)
        out["redis.ratelimit.concurrent"] = await rate(n, lambda i: limiter.check(f"c{i % USERS}"), concurrency)
    finally:
        await backend.aclose()
    return out


LABELS = {
    "memory.ratelimit": "in-process rate-limit decision (user + global)",
    "memory.budget": "in-process budget admission (reserve + settle)",
    "redis.incr": "bare Redis INCR round trip (anchor)",
    "redis.ratelimit": "Redis rate-limit decision (1 EVALSHA)",
    "redis.budget": "Redis budget admission (reserve + settle, 2 EVALSHA)",
    "redis.incr.concurrent": "bare Redis INCR, concurrent",
    "redis.ratelimit.concurrent": "Redis rate-limit decision, concurrent",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="operations per measurement")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--redis-url", default=None, help="use this server (it is FLUSHALLed) instead of a temp one")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        url = args.redis_url or stack.enter_context(redis_server())
        results = asyncio.run(measure(args.n, args.concurrency, url))
    incr = results["redis.incr"]
    if args.json:
        ratios = {
            k: v / (results["redis.incr.concurrent"] if k.endswith("concurrent") else incr)
            for k, v in results.items()
            if k.startswith("redis.")
        }
        print(json.dumps({"n": args.n, "concurrency": args.concurrency, "ops_per_s": results,
                          "ratio_to_incr": ratios, "python": sys.version.split()[0]}, indent=2))  # fmt: skip
        return
    print(f"governance decisions per second ({args.n} ops each, concurrent = {args.concurrency} tasks)")
    for key, value in results.items():
        anchor = results["redis.incr.concurrent"] if key.endswith("concurrent") else incr
        extra = f"  ({value / anchor:.2f}x INCR, {1e6 / value:.0f} us each)" if key.startswith("redis.") else ""
        if key.startswith("memory."):
            extra = f"  ({1e6 / value:.1f} us each)"
        print(f"  {LABELS[key]:<52} {value:>10,.0f}/s{extra}")


if __name__ == "__main__":
    main()
