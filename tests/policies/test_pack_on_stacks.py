"""The whole pack over real renders: the enterprise stack passes, the dev stack passes its own (relaxed) config
with the expected advisories, a deliberately weakened stack and the raw upstream manifests fail where they should."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bakerst_hardened.policy_check import REPORT_FILE, check_render
from bakerst_hardened.recording_mocks import RecordingMocks, kustomize_build
from bakerst_hardened.render import run_program
from policies.offline import PolicyInput, PolicyReport, run_pack, urn_of
from tests.conftest import BASE_DIR_OVERRIDE, REPO_ROOT, UPSTREAM_K8S, require_upstream

pytestmark = pytest.mark.slow

#: Everything the enterprise stack gets right, switched off one way or another in one render.
WEAKENED = {
    **BASE_DIR_OVERRIDE,
    "bakerst:admission": '{"failureAction": "Audit"}',
    "bakerst:podSecurity": '{"version": "v1.30", "appNamespaceLevel": "baseline"}',
    "bakerst:networkIsolation": '{"adminNetworkPolicy": false}',
    "bakerst:audit": '{"tamperEvidence": false, "sinks": [{"type": "file", "path": "/var/log/a.jsonl"}]}',
    "bakerst:rateLimits": '{"perUserPerMinute": 5000, "globalPerMinute": 10000}',
    "bakerst:budgets": '{"dailyUsd": 50, "monthlyUsd": 1000, "alertThreshold": 0.99}',
    "bakerst:appHardening": '{"sysadminAccess": "upstream", "tokenServiceAccounts": ["brain", "sysadmin"]}',
    "bakerst:imageSignature": '{"keyless": {"issuer": "https://token.actions.githubusercontent.com", '
    '"subject": "ci"}, "sbomAttestation": "none"}',
}


def _render(stack: str, overrides: dict[str, str]) -> PolicyReport:
    require_upstream()
    mocks = RecordingMocks()
    result = run_program(REPO_ROOT, stack, mocks=mocks, config_overrides=overrides)
    report, _ = check_render(result, mocks, REPO_ROOT)
    return report


def _failing(report: PolicyReport, level: str) -> set[str]:
    return {o.name for o in report.outcomes if o.violations and o.enforcement == level}


def test_enterprise_passes_every_policy() -> None:
    report = _render("enterprise", dict(BASE_DIR_OVERRIDE))
    failures = {o.name: [v.message for v in o.violations] for o in report.outcomes if o.violations}
    assert failures == {}
    assert report.ok and len(report.outcomes) == 28


def test_dev_has_no_mandatory_violation_and_the_expected_advisories() -> None:
    report = _render("dev", dict(BASE_DIR_OVERRIDE))
    assert report.ok, _failing(report, "mandatory")
    assert _failing(report, "advisory") == {
        "task-namespace-admin-deny",  # no AdminNetworkPolicy in dev
        "kyverno-pod-security-enforced",  # Kyverno audits only
        "image-registry-allowed",
        "image-signature-verified",
        "image-sbom-attested",  # sbomAttestation: none
        "rbac-secrets-read-limited",  # upstream sysadmin Role
        "audit-remote-tamper-evident",  # file sink only
        "brain-runs-hooks-sidecar",  # hooksSidecar off in dev
    }


def test_weakened_enterprise_fails_exactly_where_it_was_weakened() -> None:
    report = _render("enterprise", WEAKENED)
    assert not report.ok
    assert _failing(report, "mandatory") == {
        "namespace-pod-security-enforced",
        "kyverno-pod-security-enforced",
        "image-registry-allowed",
        "image-signature-verified",
        "image-sbom-attested",
        "audit-remote-tamper-evident",
        "rate-limits-sane",
        "budgets-sane",
    }
    assert _failing(report, "advisory") == {"task-namespace-admin-deny", "rbac-secrets-read-limited"}
    messages = [v.message for o in report.outcomes for v in o.violations]
    assert any("Namespace bakerst enforces Pod Security 'baseline'" in m for m in messages)
    assert any("turns tamper evidence off" in m for m in messages)
    assert any("perUserPerMinute 5000 is not between 1 and 600" in m for m in messages)
    assert any("alertThreshold '0.99'" in m for m in messages)


def test_raw_upstream_manifests_fail_the_workload_policies() -> None:
    """Upstream as shipped (no hardening): root chown init containers, tags, literal secrets checks."""
    require_upstream()
    objects = kustomize_build(str(UPSTREAM_K8S))
    inputs = []
    for index, obj in enumerate(objects):
        group_version = obj["apiVersion"] if "/" in obj["apiVersion"] else f"core/{obj['apiVersion']}"
        type_ = f"kubernetes:{group_version}:{obj['kind']}"
        inputs.append(PolicyInput(type_, f"u{index}", obj, urn_of("upstream", "bakerst", type_, f"u{index}")))
    report = run_pack(inputs)
    failing = _failing(report, "mandatory")
    assert {"pod-no-privilege", "pod-restricted-profile", "image-pinned-by-digest"} <= failing
    messages = [v.message for v in report.outcome("pod-restricted-profile").violations]
    assert any("init container fix-data-ownership" in m for m in messages), messages[:5]
    assert any(
        "'bakerst-brain:latest' is not pinned" in v.message for v in report.outcome("image-pinned-by-digest").violations
    )


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bakerst_hardened.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )


def test_cli_exits_3_on_a_mandatory_violation_and_writes_the_report(tmp_path: Path) -> None:
    require_upstream()
    args = ["render", "--stack", "enterprise", "--out", str(tmp_path / "out"), "--json"]
    for key, value in {**BASE_DIR_OVERRIDE, "bakerst:rateLimits": WEAKENED["bakerst:rateLimits"]}.items():
        args += ["--config", f"{key}={value}"]
    proc = _cli(*args)
    assert proc.returncode == 3, proc.stderr
    assert "1 mandatory policy violation(s)" in proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout)
    assert out["ok"] is False and out["policyReport"]["mandatoryViolations"] == 1
    assert out["policyReport"]["config"].endswith("policies/config/enterprise.json")
    written = json.loads((tmp_path / "out" / REPORT_FILE).read_text())
    [failed] = [r for r in written["results"] if not r["passed"]]
    assert failed["policy"] == "rate-limits-sane" and failed["controls"] == ["BSH-RTL-01"]
    assert "Fix: " in failed["violations"][0]["message"]


def test_cli_policy_config_errors_name_the_policy(tmp_path: Path) -> None:
    require_upstream()
    bad = tmp_path / "bad.json"
    bad.write_text('{"budgets-sane": {"maxDailyUsd": "lots"}}')
    proc = _cli("render", "--stack", "enterprise", "--out", str(tmp_path / "out"), "--policy-config", str(bad),
                "--config", f"bakerst:baseDir={UPSTREAM_K8S}")  # fmt: skip
    assert proc.returncode == 2
    assert "budgets-sane.maxDailyUsd: 'lots' is not of type" in proc.stderr
    assert not (tmp_path / "out").exists(), "nothing is written when the policy config is bad"
