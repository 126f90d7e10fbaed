"""The typed stack config: seed defaults, the enterprise file, and malformed configs that must fail."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from bakerst_hardened.recording_mocks import RecordingMocks
from bakerst_hardened.render import run_program
from components.config_errors import StackConfigError
from components.config_loader import parse_stack_config
from components.stack_config import StackConfig
from tests.conftest import REPO_ROOT


def test_defaults_follow_the_seed_design() -> None:
    cfg = parse_stack_config({})
    assert cfg.app_namespace == "bakerst"
    assert cfg.task_namespace == "bakerst-tasks"
    assert (cfg.task_quota.cpu, cfg.task_quota.memory, cfg.task_quota.pods) == ("4", "2Gi", 10)
    assert cfg.rate_limits.per_user_per_minute == 30
    assert cfg.rate_limits.global_per_minute == 200
    assert cfg.budgets.daily_usd == Decimal(50)
    assert cfg.budgets.monthly_usd == Decimal(1000)
    assert cfg.budgets.alert_threshold == Decimal("0.8")
    assert cfg.budgets.fallback_strategy == "downgrade"
    assert cfg.brain_access.app_namespace_grants == []


def _unset_keys(model: BaseModel, given: dict[str, Any], prefix: str = "") -> list[str]:
    """Keys of ``model`` with a value (not None) that ``given`` (the file) does not set explicitly.

    Optional alternatives left unset (e.g. the aws block when vault is chosen) are not required;
    free-form maps (images, labels, services) count as one key.
    """
    missing: list[str] = []
    for name, info in type(model).model_fields.items():
        key = info.alias or name
        value = getattr(model, name)
        if value is None:
            continue
        if key not in given:
            missing.append(f"{prefix}{key}")
        elif isinstance(value, BaseModel):
            missing += _unset_keys(value, given[key], f"{prefix}{key}.")
    return missing


def test_enterprise_stack_sets_every_key_explicitly() -> None:
    doc = yaml.safe_load((REPO_ROOT / "Pulumi.enterprise.yaml").read_text())
    config = {k.removeprefix("bakerst:"): v for k, v in doc["config"].items()}
    model = StackConfig.model_validate(config)
    assert _unset_keys(model, config) == []
    # and nothing in the file is unknown to the model (validation above would have failed)


def test_enterprise_stack_has_a_comment_per_group() -> None:
    lines = (REPO_ROOT / "Pulumi.enterprise.yaml").read_text().splitlines()
    # Each key starts a group under a comment, or follows its group's previous key.
    for i, line in enumerate(lines):
        if line.startswith("  bakerst:"):
            above = lines[i - 1]
            in_group = above.startswith(("  bakerst:", "    "))
            assert above.strip().startswith("#") or in_group, f"no comment above {line.strip()}"


def test_enterprise_values_validate() -> None:
    doc = yaml.safe_load((REPO_ROOT / "Pulumi.enterprise.yaml").read_text())
    raw = {
        k.removeprefix("bakerst:"): json.dumps(v) if isinstance(v, dict | list) else str(v)
        for k, v in doc["config"].items()
    }
    cfg = parse_stack_config(raw)
    assert cfg.environment == "enterprise"
    assert cfg.network_isolation.admin_network_policy is True


# Each case: raw Pulumi config (strings, objects as JSON), the key the error must name, and a
# fragment of the message.
BAD_CONFIGS: list[tuple[str, dict[str, str], str, str]] = [
    (
        "quantity-not-k8s",
        {"taskQuota": '{"memory": "2 gigs"}'},
        "bakerst:taskQuota.memory",
        '"2 gigs" is not a Kubernetes quantity, e.g. "2Gi"',
    ),
    ("quantity-negative", {"taskQuota": '{"cpu": "-4"}'}, "bakerst:taskQuota.cpu", "not a Kubernetes quantity"),
    ("pods-wrong-type", {"taskQuota": '{"pods": "ten"}'}, "bakerst:taskQuota.pods", "valid integer"),
    ("pods-negative", {"taskQuota": '{"pods": -1}'}, "bakerst:taskQuota.pods", "greater than or equal to 1"),
    ("pods-fraction", {"taskQuota": '{"pods": 2.5}'}, "bakerst:taskQuota.pods", "integer"),
    ("unknown-top-level-key", {"taskQuotas": '{"cpu": "4"}'}, "bakerst:taskQuotas", 'did you mean "taskQuota"'),
    ("unknown-nested-key", {"taskQuota": '{"memroy": "2Gi"}'}, "bakerst:taskQuota.memroy", 'did you mean "memory"'),
    (
        "task-equals-app-namespace",
        {"taskNamespace": "bakerst"},
        "bakerst:taskNamespace",
        "must differ from appNamespace",
    ),
    ("namespace-not-dns-label", {"taskNamespace": "Bakerst_Tasks"}, "bakerst:taskNamespace", "DNS-1123 label"),
    ("namespace-reserved", {"taskNamespace": "kube-system"}, "bakerst:taskNamespace", "reserves"),
    (
        "unknown-fallback-strategy",
        {"budgets": '{"fallbackStrategy": "random"}'},
        "bakerst:budgets.fallbackStrategy",
        "'downgrade' or 'deny'",
    ),
    ("budget-negative", {"budgets": '{"dailyUsd": -5}'}, "bakerst:budgets.dailyUsd", "greater than 0"),
    (
        "budget-daily-over-monthly",
        {"budgets": '{"dailyUsd": 2000, "monthlyUsd": 1000}'},
        "bakerst:budgets.dailyUsd",
        "larger than budgets.monthlyUsd",
    ),
    ("threshold-out-of-range", {"budgets": '{"alertThreshold": 1.5}'}, "bakerst:budgets.alertThreshold", "less than 1"),
    (
        "rate-wrong-type",
        {"rateLimits": '{"perUserPerMinute": "lots"}'},
        "bakerst:rateLimits.perUserPerMinute",
        "valid integer",
    ),
    (
        "rate-user-over-global",
        {"rateLimits": '{"perUserPerMinute": 500, "globalPerMinute": 200}'},
        "bakerst:rateLimits.perUserPerMinute",
        "larger than rateLimits.globalPerMinute",
    ),
    ("object-not-json", {"taskQuota": "cpu=4"}, "bakerst:taskQuota", "is not an object or list"),
    ("object-given-a-list", {"taskQuota": '["4", "2Gi"]'}, "bakerst:taskQuota", "valid dictionary"),
    (
        "limit-over-quota",
        {"taskLimits": '{"max": {"cpu": "8", "memory": "1Gi"}}'},
        "bakerst:taskLimits.max.cpu",
        "larger than the whole task quota",
    ),
    (
        "request-over-limit",
        {"taskLimits": '{"defaultRequest": {"cpu": "900m", "memory": "128Mi"}}'},
        "bakerst:taskLimits.defaultRequest.cpu",
        "larger than taskLimits.defaultLimit.cpu",
    ),
    ("pss-version-latest", {"podSecurity": '{"version": "latest"}'}, "bakerst:podSecurity.version", "not pinned"),
    (
        "pss-version-unsupported",
        {"podSecurity": '{"version": "v1.12"}'},
        "bakerst:podSecurity.version",
        "v1.30 to v1.35",
    ),
    (
        "unknown-brain-grant",
        {"brainAccess": '{"appNamespaceGrants": ["jobs"]}'},
        "bakerst:brainAccess.appNamespaceGrants[0]",
        "'runtime-secret' or 'restart-deployments'",
    ),
    (
        "duplicate-brain-grant",
        {"brainAccess": '{"appNamespaceGrants": ["runtime-secret", "runtime-secret"]}'},
        "bakerst:brainAccess.appNamespaceGrants",
        "twice",
    ),
    (
        "nats-port-out-of-range",
        {"networkIsolation": '{"natsPort": 70000}'},
        "bakerst:networkIsolation.natsPort",
        "less than or equal to 65535",
    ),
    (
        "label-key-invalid",
        {"commonLabels": '{"bad key!": "x"}'},
        "bakerst:commonLabels.bad key!",
        "not a Kubernetes label key",
    ),
    (
        "label-value-invalid",
        {"commonLabels": '{"team": "has spaces"}'},
        "bakerst:commonLabels.team",
        "not a Kubernetes label value",
    ),
    (
        "label-reserved",
        {"commonLabels": '{"app.kubernetes.io/managed-by": "helm"}'},
        "bakerst:commonLabels.app.kubernetes.io/managed-by",
        "the project sets itself",
    ),
    (
        "bool-wrong-type",
        {"networkIsolation": '{"adminNetworkPolicy": "maybe"}'},
        "bakerst:networkIsolation.adminNetworkPolicy",
        "valid boolean",
    ),
]


@pytest.mark.parametrize(("case", "raw", "key", "fragment"), BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_is_rejected_naming_the_key(case: str, raw: dict[str, str], key: str, fragment: str) -> None:
    with pytest.raises(StackConfigError) as caught:
        parse_stack_config(raw)
    messages = [str(issue) for issue in caught.value.issues]
    assert any(m.startswith(f"{key}:") or m.startswith(f"{key} ") for m in messages), messages
    assert any(fragment in m for m in messages), messages
    assert "no resource was created" in str(caught.value)


def test_there_are_at_least_fifteen_distinct_bad_configs() -> None:
    assert len({c[0] for c in BAD_CONFIGS}) >= 15


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(StackConfigError) as caught:
        parse_stack_config({"taskQuota": '{"memory": "2 gigs", "pods": -1}', "bogus": "1"})
    keys = sorted(issue.key for issue in caught.value.issues)
    assert keys == ["bakerst:bogus", "bakerst:taskQuota.memory", "bakerst:taskQuota.pods"]


def test_the_message_names_key_value_and_expected_form() -> None:
    with pytest.raises(StackConfigError) as caught:
        parse_stack_config({"taskQuota": '{"memory": "2 gigs"}'})
    assert str(caught.value.issues[0]) == (
        'bakerst:taskQuota.memory: "2 gigs" is not a Kubernetes quantity, e.g. "2Gi" or "500m"'
    )


def _project_with_stack(tmp_path: Path, stack_yaml: str) -> Path:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    (tmp_path / "Pulumi.bad.yaml").write_text(stack_yaml)
    return tmp_path


@pytest.mark.parametrize(
    ("case", "raw", "key", "fragment"),
    [BAD_CONFIGS[0], BAD_CONFIGS[5], BAD_CONFIGS[7], BAD_CONFIGS[10]],
    ids=[BAD_CONFIGS[i][0] for i in (0, 5, 7, 10)],
)
def test_bad_config_fails_before_any_resource_is_registered(
    tmp_path: Path, case: str, raw: dict[str, str], key: str, fragment: str
) -> None:
    # JSON is YAML, so the raw values go into the stack file as they are.
    lines = ["config:", *(f"  bakerst:{k}: {v}" for k, v in raw.items())]
    project = _project_with_stack(tmp_path, "\n".join(lines) + "\n")
    mocks = RecordingMocks()
    with pytest.raises(StackConfigError) as caught:
        run_program(project, "bad", mocks=mocks)
    assert mocks.resources == [], f"{case}: resources were registered before validation failed"
    assert any(issue.key == key for issue in caught.value.issues)
