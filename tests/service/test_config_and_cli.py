"""The config file, the token variables, and `bakerst-hardened hooks serve` with the shipped example."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from hooks.service.auth import Principal, Rejection, authenticate
from hooks.service.config import (
    Credentials,
    ServiceConfigError,
    load_service_config,
    parse_service_config,
    resolve_tokens,
)
from hooks.service.serve import app_from_config
from tests.service.conftest import ENV, free_port, service_config

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "hooks.example.yaml"
EXAMPLE_TOKENS = ("HOOKS_APP_TOKEN", "HOOKS_APPROVER_ALICE", "HOOKS_APPROVERS_ONCALL")


def test_example_config_loads_with_the_bakerst_policy() -> None:
    config = load_service_config(EXAMPLE, env={})
    assert tuple(config.service.auth.token_envs()) == EXAMPLE_TOKENS
    assert "dispatch_job" in config.guardrails.tools
    assert config.governance.redis_url is None


def test_missing_tokens_are_all_named() -> None:
    auth = load_service_config(EXAMPLE, env={}).service.auth
    with pytest.raises(ServiceConfigError) as err:
        resolve_tokens(auth, {"HOOKS_APP_TOKEN": "x"})
    assert "HOOKS_APPROVER_ALICE, HOOKS_APPROVERS_ONCALL" in str(err.value)
    with pytest.raises(ServiceConfigError, match="same token"):
        resolve_tokens(auth, dict.fromkeys(EXAMPLE_TOKENS, "same"))


def test_unknown_keys_in_the_config_are_named(tmp_path: Path) -> None:
    path = tmp_path / "hooks.yaml"
    path.write_text("service: {auditKeys: k, auth: {applicationTokenEnv: A}, colour: red}\n")
    with pytest.raises(ServiceConfigError, match=r"service\.colour"):
        load_service_config(path, env={})
    path.write_text("service: {auditKeys: k, auth: {applicationTokenEnv: A}}\nguardrails: missing.yaml\n")
    with pytest.raises(ServiceConfigError, match=r"missing\.yaml"):
        load_service_config(path, env={})


def test_missing_audit_keys_stop_the_start_naming_the_directory(tmp_path: Path) -> None:
    data = service_config(tmp_path)
    config = parse_service_config(data, base=tmp_path, env=ENV)
    with pytest.raises(ServiceConfigError, match=r"service\.auditKeys: .*audit keygen"):
        app_from_config(config, ENV)


def test_authenticate() -> None:
    creds = Credentials("app", {"alice": "a1"}, {"ops": ("g1", ("bob",))})
    assert authenticate("Bearer app", None, creds) == Principal("application", "application")
    assert authenticate("Bearer a1", None, creds) == Principal("approver", "alice", "alice")
    assert authenticate("Bearer g1", "bob", creds) == Principal("approver", "ops/bob", "bob")
    assert authenticate("Bearer g1", None, creds) == Rejection("missing_approver")
    assert authenticate("Bearer g1", "eve", creds) == Rejection("unknown_member")
    assert authenticate("Bearer nope", None, creds) == Rejection("invalid_token")
    assert authenticate("Basic app", None, creds) == Rejection("missing_token")
    assert authenticate(None, None, creds) == Rejection("missing_token")


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "bakerst_hardened.cli", *args]


def _env(**tokens: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in EXAMPLE_TOKENS}
    return {**env, **tokens}


@pytest.mark.slow
def test_serve_refuses_to_start_naming_the_missing_tokens(tmp_path: Path) -> None:
    done = subprocess.run(_cli("hooks", "serve", "--config", str(EXAMPLE)), cwd=tmp_path, env=_env(),
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 2
    for name in EXAMPLE_TOKENS:
        assert name in done.stderr


@pytest.mark.slow
def test_the_example_starts_with_only_its_token_variables_set(tmp_path: Path) -> None:
    port = free_port()
    tokens = {name: f"token-{i}-0123456789" for i, name in enumerate(EXAMPLE_TOKENS)}
    proc = subprocess.Popen(
        _cli("hooks", "serve", "--config", str(EXAMPLE), "--port", str(port)),
        cwd=tmp_path, env=_env(**tokens), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        ready = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert ready is not None, proc.stdout.read().decode() if proc.stdout else ""
        assert ready.json()["ready"] is True
        headers = {"Authorization": f"Bearer {tokens['HOOKS_APP_TOKEN']}"}
        body = {"conversationId": "c", "toolName": "memory_search", "toolInput": {"query": "bike"}}
        r = httpx.post(f"http://127.0.0.1:{port}/v1/guardrail/before", json=body, headers=headers, timeout=30)
        assert r.json()["allow"] is True
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    assert proc.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal after its graceful shutdown
    last = (tmp_path / ".hooks-state" / "audit.jsonl").read_text().splitlines()[-1]
    assert '"final":true' in last  # the shutdown wrote the final signed checkpoint


def test_the_hooks_runtime_configmap_manifest_is_a_config(tmp_path: Path) -> None:
    from components.hooks_runtime import audit_document, governance_document, guardrails_document
    from components.stack_config import BudgetsConfig, RateLimitsConfig
    from hooks.audit.config import AuditRuntimeConfig
    from hooks.guardrails.config import load_guardrail_config

    guardrails = load_guardrail_config(REPO / "docs" / "guardrails.bakerst.yaml")
    manifest = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "bakerst-hooks"},
        "data": {
            "service.yaml": yaml.safe_dump({"auditKeys": str(tmp_path), "auth": {"applicationTokenEnv": "T_APP"}}),
            "audit.yaml": yaml.safe_dump(audit_document(AuditRuntimeConfig(spool_dir=str(tmp_path / "spool")))),
            "governance.yaml": yaml.safe_dump(governance_document(RateLimitsConfig(), BudgetsConfig())),
            "guardrails.yaml": yaml.safe_dump(guardrails_document(guardrails)),
        },
    }
    path = tmp_path / "configmap.yaml"
    path.write_text(yaml.safe_dump(manifest))
    config = load_service_config(path, env={})
    assert config.guardrails == guardrails
    assert config.audit.spool_dir == str(tmp_path / "spool")
    assert config.governance.rate_limits.per_user_per_minute == RateLimitsConfig().per_user_per_minute
    del manifest["data"]["service.yaml"]  # type: ignore[attr-defined]
    path.write_text(yaml.safe_dump(manifest))
    with pytest.raises(ServiceConfigError, match=r"service\.yaml"):
        load_service_config(path, env={})
