"""Property tests: no input crashes the chain or makes it hang; it decides, with a reason, every time."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from hooks import GuardrailContext, GuardrailResult  # noqa: E402
from hooks.audit.memory import MemoryAuditSink  # noqa: E402
from hooks.guardrails import GuardrailChain, load_guardrail_config  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "guardrails.example.yaml"
WATCHDOG_SECONDS = 20.0  # generous: a hang, not a slow machine, is what this catches

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=200),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=40,
)
odd_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=2000)


def _chain() -> GuardrailChain:
    return GuardrailChain(load_guardrail_config(EXAMPLE), audit=MemoryAuditSink(capacity=100))


async def _both(chain: GuardrailChain, tool: str, tool_input: Any, result: Any) -> tuple[GuardrailResult, ...]:
    ctx = GuardrailContext(conversation_id="p", user_id="p", tool_name=tool, tool_input=tool_input)
    before = await chain.before_tool_execution(ctx)
    after = await chain.after_tool_execution(ctx, result)
    return before, after


def _decide(tool: str, tool_input: Any, result: Any) -> tuple[GuardrailResult, ...]:
    return asyncio.run(asyncio.wait_for(_both(_chain(), tool, tool_input, result), WATCHDOG_SECONDS))


def _assert_decided(results: tuple[GuardrailResult, ...]) -> None:
    for result in results:
        assert isinstance(result, GuardrailResult)
        if not result.allow:
            assert result.reason, "a block must say why"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tool=st.sampled_from(["search_emails", "send_money", "filesystem_delete", "nope"]),
    tool_input=st.dictionaries(st.text(max_size=20), json_values, max_size=6),
    result=json_values,
)
def test_arbitrary_json_never_crashes(tool: str, tool_input: dict[str, Any], result: Any) -> None:
    _assert_decided(_decide(tool, tool_input, result))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=odd_text)
def test_any_unicode_including_lone_surrogates_never_crashes(text: str) -> None:
    _assert_decided(_decide("search_emails", {"query": text}, text))


def test_undecodable_bytes_decoded_with_replacement_never_crash() -> None:
    raw = bytes(range(256)) * 400
    text = raw.decode("utf-8", errors="surrogateescape")
    _assert_decided(_decide("search_emails", {"query": text[:400]}, text))


def test_a_ten_megabyte_result_is_decided() -> None:
    _assert_decided(_decide("search_emails", {"query": "x"}, "lorem ipsum dolor sit amet " * 400_000))


def test_deeply_recursive_json_is_refused_not_recursed() -> None:
    deep: Any = 1
    for _ in range(100_000):
        deep = [deep]
    before, after = _decide("search_emails", {"query": deep}, deep)
    assert (before.allow, after.allow) == (False, False)
