"""``pulumi preview --policy-pack policies`` through the Automation API, as PR review runs it, against the offline
report of ``bakerst-hardened render`` for the same stack."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.e2e.cluster import REPO_ROOT
from tests.e2e.stacks import UPSTREAM_K8S, Project, Run, resource_of

#: As in tests/policies/test_pack_on_stacks.py: everything the enterprise stack gets right, switched off.
WEAKENED = {
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

DEV_ADVISORIES = {
    "task-namespace-admin-deny",
    "kyverno-pod-security-enforced",
    "image-registry-allowed",
    "image-signature-verified",
    "image-sbom-attested",
    "rbac-secrets-read-limited",
    "audit-remote-tamper-evident",
}


def offline_report(project: Project, stack: str, overrides: Mapping[str, str], out: Path) -> dict[str, Any]:
    """The policy report of ``bakerst-hardened render`` (the CLI, as a user runs it) for the same stack."""
    args = [str(REPO_ROOT / ".venv" / "bin" / "bakerst-hardened"), "render", "--stack", stack, "--out", str(out)]
    args += ["--json", "--project", str(project.directory)]
    for key, value in {"bakerst:baseDir": str(UPSTREAM_K8S), **overrides}.items():
        args += ["--config", f"{key}={value}"]
    proc = subprocess.run(args, capture_output=True, text=True, check=False, cwd=project.directory, timeout=300)
    assert proc.returncode in (0, 3), proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout)["policyReport"]
    return report


def offline_failing(report: Mapping[str, Any], enforcement: str) -> dict[str, list[str]]:
    return {
        r["policy"]: sorted(resource_of(v["urn"] or "") for v in r["violations"])
        for r in report["results"]
        if r["violations"] and r["enforcement"] == enforcement
    }


def _preview(project: Project, name: str, source: str, config: Mapping[str, str] | None = None) -> Run:
    return project.preview(project.stack(name, source=source, config=config), source)


def test_enterprise_preview_passes_the_pack(project: Project, tmp_path: Path) -> None:
    run = _preview(project, "preview-enterprise", "enterprise")
    assert run.error == "", run.error[-3000:]
    assert run.policies == [], run.policies
    assert run.changes.get("create", 0) >= 60, run.changes
    offline = offline_report(project, "enterprise", {}, tmp_path / "out")
    assert offline["ok"] and offline["mandatoryViolations"] == offline["advisoryViolations"] == 0


def test_dev_preview_reports_the_advisories_of_the_offline_report(project: Project, tmp_path: Path) -> None:
    run = _preview(project, "preview-dev", "dev")
    assert run.error == "", run.error[-3000:]
    offline = offline_report(project, "dev", {}, tmp_path / "out")
    assert run.failing("mandatory") == offline_failing(offline, "mandatory") == {}
    # The offline report is the expectation; tests/policies/test_pack_on_stacks.py pins its exact contents.
    assert run.failing("advisory") == offline_failing(offline, "advisory")
    assert set(run.failing("advisory")) >= DEV_ADVISORIES


def test_weakened_stack_engine_and_offline_report_agree_policy_by_policy(project: Project, tmp_path: Path) -> None:
    run = _preview(project, "preview-weakened", "enterprise", WEAKENED)
    assert run.error != "", "a mandatory violation must fail the preview"
    offline = offline_report(project, "enterprise", WEAKENED, tmp_path / "out")
    assert not offline["ok"]
    engine_mandatory, offline_mandatory = run.failing("mandatory"), offline_failing(offline, "mandatory")
    assert (
        set(engine_mandatory)
        == set(offline_mandatory)
        >= {
            "namespace-pod-security-enforced",
            "kyverno-pod-security-enforced",
            "image-registry-allowed",
            "image-signature-verified",
            "image-sbom-attested",
            "audit-remote-tamper-evident",
            "rate-limits-sane",
            "budgets-sane",
        }
    )
    disagreements = {
        policy: {"engine": engine_mandatory.get(policy), "offline": offline_mandatory.get(policy)}
        for policy in set(engine_mandatory) | set(offline_mandatory)
        if engine_mandatory.get(policy) != offline_mandatory.get(policy)
    }
    assert disagreements == {}
    assert run.failing("advisory") == offline_failing(offline, "advisory")


def test_the_pack_runs_from_its_own_virtualenv(project: Project) -> None:
    """``pulumi install`` made policies/venv from policies/requirements.txt (a copy of the lock): exactly the
    hash-locked versions; the project's .venv is not in it."""
    venv = project.directory / "policies" / "venv"
    assert (venv / "bin" / "python").exists()
    assert not (venv / "bin" / "python").resolve().is_relative_to((REPO_ROOT / ".venv").resolve())
    probe = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import httpx, pulumi_policy, sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    frozen = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "freeze", "--all", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installed = {_pep503(line.split("==")[0]): line.split("==")[1] for line in frozen.splitlines() if "==" in line}
    locked = {
        _pep503(line.split("==")[0]): line.split("==")[1].split()[0].rstrip("\\")
        for line in (project.directory / "policies" / "requirements.lock").read_text().splitlines()
        if line and not line.startswith((" ", "#")) and "==" in line
    }
    # Every locked version, and besides them only the installer (`pulumi install` upgrades pip and wheel first).
    assert {name: installed.get(name) for name in locked} == locked
    assert set(installed) - set(locked) <= {"pip", "wheel"}, set(installed) - set(locked)


def _pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
