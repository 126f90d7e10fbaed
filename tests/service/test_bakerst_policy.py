"""The guardrail policy for upstream Baker Street's tool catalogue (docs/guardrails.bakerst.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hooks.guardrails.checks.risk import RiskCheck
from hooks.guardrails.checks.schema import SchemaCheck
from hooks.guardrails.config import GuardrailConfig, load_guardrail_config
from hooks.guardrails.provenance import ConversationMemory
from hooks.types import GuardrailContext

POLICY = Path(__file__).resolve().parents[2] / "docs" / "guardrails.bakerst.yaml"
UPSTREAM_TOOLS = {
    "dispatch_job", "get_job_status", "list_jobs", "memory_store", "memory_search", "memory_delete", "manage_skill",
    "list_skills", "search_registry", "get_system_info", "dispatch_task_pod", "dispatch_companion",
    "manage_standing_order", "list_standing_orders", "trigger_standing_order", "save_prompt", "list_saved_prompts",
    "delete_saved_prompt",
}  # fmt: skip


@pytest.fixture(scope="module")
def policy() -> GuardrailConfig:
    return load_guardrail_config(POLICY)


def _decide(policy: GuardrailConfig, tool: str, tool_input: dict[str, Any]) -> str:
    ctx = GuardrailContext("c", "u", tool, tool_input)
    schema = SchemaCheck(policy.tools, policy.tool_prefixes).check_input(ctx)
    if schema.action == "block":
        return f"block:{schema.rule}"
    verdict = RiskCheck(policy, ConversationMemory()).check_input(ctx)
    return verdict.action if verdict.action != "block" else f"block:{verdict.rule}"


def test_every_upstream_tool_is_registered_with_a_schema(policy: GuardrailConfig) -> None:
    assert set(policy.tools) == UPSTREAM_TOOLS
    assert all(p.json_schema is not None for p in policy.tools.values())
    assert policy.checks == ["injection", "schema", "risk", "approval", "sanitization"]


@pytest.mark.parametrize(
    ("tool", "tool_input", "expected"),
    [
        ("memory_search", {"query": "my bike", "limit": 5}, "allow"),
        ("list_jobs", {}, "allow"),
        ("get_system_info", {}, "allow"),
        ("get_system_info", {"verbose": True}, "block:schema.invalid"),
        ("memory_delete", {"id": "m1"}, "allow"),
        ("delete_saved_prompt", {"id": "p1"}, "allow"),
        ("manage_standing_order", {"action": "disable", "id": "so1"}, "allow"),
        ("manage_standing_order", {"action": "create", "type": "command", "schedule": "0 9 * * *"}, "review"),
        ("dispatch_job", {"type": "agent", "job": "summarise the news"}, "allow"),
        ("dispatch_job", {"type": "command", "command": "ls /tmp"}, "review"),
        ("dispatch_job", {"type": "command", "command": "rm -rf / --no-preserve-root"}, "block:risk.critical"),
        ("dispatch_job", {"type": "shell"}, "block:schema.invalid"),
        ("dispatch_task_pod", {"toolbox": "base", "mode": "agent", "goal": "g",
                               "mounts": [{"hostPath": "/data/in", "permissions": ["read"]}]}, "allow"),
        ("dispatch_task_pod", {"toolbox": "base", "mode": "agent", "goal": "g",
                               "mounts": [{"hostPath": "/data/out", "permissions": ["read", "write"]}]}, "review"),
        ("dispatch_task_pod", {"toolbox": "base", "mode": "agent", "goal": "g",
                               "mounts": [{"hostPath": "/data", "permissions": ["delete"]}]}, "review"),
        ("dispatch_task_pod", {"toolbox": "data", "mode": "script", "goal": "g", "secrets": ["db-creds"]}, "review"),
        ("dispatch_task_pod", {"toolbox": "base", "mode": "agent", "goal": "g",
                               "mounts": [{"hostPath": "/var/run/docker.sock", "permissions": ["read"]}]},
         "block:risk.critical"),
        ("manage_skill", {"action": "create", "name": "notes", "tier": "instruction",
                          "instructionContent": "Be brief."}, "allow"),
        ("manage_skill", {"action": "create", "name": "fs", "tier": "stdio", "stdioCommand": "npx fs-server"},
         "review"),
        ("manage_skill", {"action": "create", "name": "gh", "tier": "service", "httpUrl": "https://mcp.example"},
         "review"),
        ("dispatch_companion", {"companionId": "mycroft", "mode": "script", "goal": "uptime"}, "review"),
        ("some_mcp_server_read_page", {"page": "home"}, "allow"),
        ("some_mcp_server_run", {"command": "whoami"}, "review"),
    ],
)  # fmt: skip
def test_decisions(policy: GuardrailConfig, tool: str, tool_input: dict[str, Any], expected: str) -> None:
    assert _decide(policy, tool, tool_input) == expected


def test_without_prefixes_unknown_tools_stay_blocked(policy: GuardrailConfig) -> None:
    strict = policy.model_copy(update={"tool_prefixes": {}})
    assert _decide(strict, "some_mcp_tool", {}) == "block:unknown-tool"


def test_the_longest_prefix_wins() -> None:
    config = GuardrailConfig.model_validate(
        {
            "tool_prefixes": {
                "": {"risk": "medium", "schema": {"type": "object"}},
                "github_": {"risk": "high", "schema": {"type": "object"}},
            }
        }
    )
    assert config.policy_for("github_delete_repo") is config.tool_prefixes["github_"]
    assert config.policy_for("slack_post") is config.tool_prefixes[""]
    assert _decide(config, "github_delete_repo", {}) == "review"
