"""Guardrail chain latency, as ratios against anchors measured in the same run (machines here are noisy).

Per call, on one core (``--learned``: with the learned injection model enabled): the full before+after chain for a
1 KB argument with a 10 KB or 100 KB tool result;
next to the no-op hook (and a direct call, for the no-op's own cost) and a plain ``re`` scan of the same
text. Run: ``.venv/bin/python bench/bench_guardrails.py [--repeat N] [--json]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hooks import GuardrailContext, NoopGuardrailHook
from hooks.audit.memory import MemoryAuditSink
from hooks.guardrails import GuardrailChain, load_guardrail_config

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "guardrails.example.yaml"
PLAIN = re.compile(r"ignore (all )?(previous|prior) instructions", re.I)  # a plain keyword scan


def _text(size: int, seed: int) -> str:
    rng = random.Random(seed)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(400)]
    out, length = [], 0
    while length < size:
        sentence = " ".join(rng.choices(words, k=rng.randint(6, 16))).capitalize() + ". "
        out.append(sentence)
        length += len(sentence)
    return "".join(out)[:size]


def _percentiles(samples: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return q[49], q[98]


def _time_async(fn: Callable[[], Any], repeat: int) -> list[float]:
    async def loop() -> list[float]:
        samples = []
        for _ in range(repeat):
            started = time.perf_counter_ns()
            await fn()
            samples.append((time.perf_counter_ns() - started) / 1e6)
        return samples

    return asyncio.run(loop())


def _time_sync(fn: Callable[[], Any], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - started) / 1e6)
    return samples


def _with_learned_model(config: Any) -> Any:
    from hooks.injection.detector import LearnedStage

    injection = config.injection.model_copy(update={"learned_model": LearnedStage(enabled=True)})
    return config.model_copy(update={"injection": injection})


def run(repeat: int, learned: bool = False) -> dict[str, Any]:
    config = load_guardrail_config(EXAMPLE)
    chain = GuardrailChain(_with_learned_model(config) if learned else config, audit=MemoryAuditSink(capacity=1000))
    noop = NoopGuardrailHook()
    argument = {"recipients": ["team@example.com"], "subject": "weekly notes", "body": _text(1000, 1)}
    results: dict[str, Any] = {}
    for label, size in (("10KB", 10_240), ("100KB", 102_400)):
        tool_result = _text(size, size)
        ctx = GuardrailContext(conversation_id="bench", user_id="bench", tool_name="send_email", tool_input=argument)
        runs = repeat if size <= 10_240 else max(50, repeat // 5)

        async def chain_call(ctx: GuardrailContext = ctx, tool_result: str = tool_result) -> None:
            before = await chain.before_tool_execution(ctx)
            assert before.allow, before.reason
            after = await chain.after_tool_execution(ctx, tool_result)
            assert after.allow, after.reason

        async def noop_call(ctx: GuardrailContext = ctx, tool_result: str = tool_result) -> None:
            await noop.before_tool_execution(ctx)
            await noop.after_tool_execution(ctx, tool_result)

        _time_async(chain_call, 20)  # warm up
        chain_ms = _time_async(chain_call, runs)
        noop_ms = _time_async(noop_call, runs)
        regex_ms = _time_sync(lambda t=tool_result: PLAIN.findall(argument["body"] + t), runs)
        c50, c99 = _percentiles(chain_ms)
        n50, _ = _percentiles(noop_ms)
        r50, r99 = _percentiles(regex_ms)
        results[label] = {
            "calls": runs,
            "chain_p50_ms": round(c50, 4),
            "chain_p99_ms": round(c99, 4),
            "noop_p50_ms": round(n50, 5),
            "plain_regex_p50_ms": round(r50, 4),
            "plain_regex_p99_ms": round(r99, 4),
            "chain_over_plain_regex_p50": round(c50 / r50, 2) if r50 else None,
        }

    async def direct() -> None:
        return None

    async def via_noop(ctx: GuardrailContext = ctx) -> None:
        await noop.before_tool_execution(ctx)

    direct_ms = _time_async(direct, repeat * 10)
    noop_only = _time_async(via_noop, repeat * 10)
    results["noop_overhead_us_p50"] = round((statistics.median(noop_only) - statistics.median(direct_ms)) * 1000, 3)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--learned", action="store_true", help="with the learned injection model enabled")
    args = parser.parse_args()
    results = run(args.repeat, args.learned)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for label in ("10KB", "100KB"):
        r = results[label]
        print(
            f"{label:>6} result + 1 KB argument, {r['calls']} calls: chain p50 {r['chain_p50_ms']:.3f} ms "
            f"p99 {r['chain_p99_ms']:.3f} ms | plain re p50 {r['plain_regex_p50_ms']:.3f} ms "
            f"(chain = {r['chain_over_plain_regex_p50']}x) | no-op p50 {r['noop_p50_ms']:.4f} ms"
        )
    print(f"no-op hook over a direct coroutine call: {results['noop_overhead_us_p50']:.3f} us (p50)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
