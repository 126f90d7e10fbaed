"""Whatever breaks inside, a decision is a deny (or a withheld result) with the reason, and it is audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hooks.service.runtime import Runtime
from hooks.types import GuardrailContext, GuardrailResult
from tests.service.conftest import Service

CALL = {"conversationId": "c", "userId": "u1", "toolName": "search", "toolInput": {"query": "q"}}


class BrokenChain:
    def __init__(self, real: Any) -> None:
        self.config = real.config

    async def before_tool_execution(self, ctx: GuardrailContext) -> GuardrailResult:  # noqa: ARG002
        raise RuntimeError("check store unreachable")

    async def after_tool_execution(self, ctx: GuardrailContext, result: Any) -> GuardrailResult:  # noqa: ARG002
        raise RuntimeError("scanner crashed")


def _break(runtime: Runtime) -> None:
    runtime.chain = BrokenChain(runtime.chain)  # type: ignore[assignment]


def test_a_failing_chain_denies_and_withholds_with_the_reason(tmp_path: Path) -> None:
    svc = Service(tmp_path, mutate=_break).start()
    try:
        with svc.client() as c:
            before = c.post("/v1/guardrail/before", json=CALL).json()
            after = c.post("/v1/guardrail/after", json={"context": CALL, "result": "secret result"}).json()
    finally:
        svc.stop()
    assert before["allow"] is False
    assert before["rule"] == "service.error"
    assert "check store unreachable" in before["reason"]
    assert after["withheld"] is True
    assert "secret result" not in str(after["result"])
    actions = [(r["action"], r["detail"].get("rule")) for r in svc.records() if r["action"].startswith("tool.")]
    assert actions == [
        ("tool.error", "service.error"),
        ("tool.blocked", "service.error"),
        ("tool.error", "service.error"),
        ("tool.blocked", "service.error"),
    ]
