"""The hooks runtime ConfigMap: what the stack renders is exactly what the runtime loads, and bad audit or
guardrail settings fail before any resource, naming the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config_errors import StackConfigError
from components.config_loader import parse_stack_config
from components.hooks_runtime import (
    AUDIT_KEY,
    GOVERNANCE_KEY,
    GUARDRAILS_KEY,
    HooksRuntime,
    HooksRuntimeArgs,
    guardrails_document,
    load_guardrails,
)
from hooks.audit.config import AuditConfigError, build_shippers, parse_audit_config
from hooks.governance.config import GovernanceConfig
from hooks.guardrails.config import GuardrailConfig, load_guardrail_config
from tests.conftest import REPO_ROOT, one, run_under_mocks

ENTERPRISE = yaml.safe_load((REPO_ROOT / "Pulumi.enterprise.yaml").read_text())["config"]


def _stack(**overrides: Any) -> Any:
    raw = {k.split(":", 1)[1]: v for k, v in ENTERPRISE.items()}
    raw.update(overrides)
    return parse_stack_config(raw)


def test_the_config_map_holds_what_the_runtime_loads() -> None:
    cfg = _stack()
    guardrails = load_guardrail_config(REPO_ROOT / "docs" / "guardrails.example.yaml")
    args = HooksRuntimeArgs(
        "bakerst-hooks", "bakerst", cfg.audit, cfg.rate_limits, cfg.budgets, cfg.model_prices, guardrails, {"a": "b"}
    )
    mocks = run_under_mocks(lambda: HooksRuntime("hooks", args))
    data = one(mocks, "kubernetes:core/v1:ConfigMap", "bakerst-hooks")["data"]
    audit = parse_audit_config(yaml.safe_load(data[AUDIT_KEY]))
    assert audit == cfg.audit and [s.type for s in audit.sinks] == ["loki", "syslog", "file"]
    governance = GovernanceConfig.model_validate(yaml.safe_load(data[GOVERNANCE_KEY]))
    assert governance.rate_limits.per_user_per_minute == cfg.rate_limits.per_user_per_minute == 30
    assert governance.rate_limits.failure_mode == "closed"
    assert governance.budgets.daily_usd == cfg.budgets.daily_usd and governance.budgets.monthly_usd == 1000
    assert governance.models == cfg.model_prices and "claude-sonnet-4-20250514" in governance.models
    assert governance.models["claude-sonnet-4-20250514"].fallback == "claude-3-5-haiku-20241022"
    assert GuardrailConfig.model_validate(yaml.safe_load(data[GUARDRAILS_KEY])) == guardrails


def test_guardrails_document_is_deterministic() -> None:
    """Sets (sanitizer kinds) are sorted, so the ConfigMap is byte-identical across runs and hash seeds."""
    document = guardrails_document(GuardrailConfig())
    kinds = document["sanitizer"]["secret_kinds"]
    assert kinds == sorted(kinds) and isinstance(kinds, list)


def test_guardrails_file_is_validated_before_any_resource(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "g.yaml").write_text("checks: [injection, bogus]\ntools: {t: {risk: extreme}}\n")
    with pytest.raises(StackConfigError) as excinfo:
        load_guardrails(_stack(guardrails={"configFile": "g.yaml"}))
    text = str(excinfo.value)
    assert "bakerst:guardrails.configFile" in text
    assert "checks.1 in " in text and "tools.t.risk in " in text
    with pytest.raises(StackConfigError, match="cannot be read as YAML"):
        load_guardrails(_stack(guardrails={"configFile": "missing.yaml"}))
    assert load_guardrails(_stack(guardrails={})) == GuardrailConfig()


@pytest.mark.parametrize(
    ("audit", "expected"),
    [
        ({"sinks": [{"type": "loki", "url": "ftp://x"}]}, "bakerst:audit.sinks[0].url: "),
        ({"sinks": [{"type": "kafka"}]}, "bakerst:audit.sinks[0]: "),
        ({"sinks": [{"type": "syslog", "hots": "x"}]}, 'sinks[0].hots: is not a known key (did you mean "host"?)'),
        ({"flushIntervalSeconds": 0}, "bakerst:audit.flushIntervalSeconds: "),
        ({"tamperEvidence": "maybe"}, "bakerst:audit.tamperEvidence: "),
    ],
)
def test_bad_audit_config_names_the_key(audit: dict[str, Any], expected: str) -> None:
    with pytest.raises(StackConfigError) as excinfo:
        _stack(audit=audit)
    assert expected in str(excinfo.value)


def test_unknown_nested_key_lists_the_known_ones() -> None:
    with pytest.raises(StackConfigError) as excinfo:
        _stack(imageSignature={"keys": {"publicKey": "x"}})
    assert (
        'keys.publicKey: is not a known key (did you mean "publicKeys"?); remove it or use one of: '
        "ignoreSct, ignoreTlog, publicKeys" in str(excinfo.value)
    )


def test_shipper_credentials_come_from_named_variables() -> None:
    cfg = parse_audit_config({"sinks": [{"type": "splunk", "url": "https://splunk.example:8088"}]})
    with pytest.raises(AuditConfigError, match="environment variable SPLUNK_HEC_TOKEN is unset"):
        build_shippers(cfg, env={})
    assert len(build_shippers(cfg, env={"SPLUNK_HEC_TOKEN": "t"})) == 1
    with pytest.raises(AuditConfigError, match="token"):  # a token value has no place in the config
        parse_audit_config({"sinks": [{"type": "splunk", "url": "https://s.example", "token": "abc"}]})
