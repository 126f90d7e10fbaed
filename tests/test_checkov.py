"""checkov (its own virtualenv, offline): the enterprise render fails no check beyond the documented exclusions,
and fails far fewer than the upstream base alone."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bakerst_hardened.recording_mocks import kustomize_build
from bakerst_hardened.render import run_program, write_render
from tests.conftest import BASE_DIR_OVERRIDE, REPO_ROOT, UPSTREAM_K8S, require_upstream

CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"

#: Checks excluded on the enterprise render, each with the reason (README, "checkov exclusions", repeats them).
EXCLUDED_CHECKS = {
    "CKV_K8S_40": "upstream images run as UID 1000 and own their files as 1000; a UID >= 10000 breaks that "
    "contract. Pod Security restricted (non-root, no escalation, no capabilities) is enforced instead.",
    "CKV_K8S_35": "the upstream services read their credentials from environment variables (envFrom); files "
    "need an application change. The values come from External Secrets, never from config.",
    "CKV_K8S_8": "the upstream gateway (a chat bridge) exposes no health endpoint to probe.",
    "CKV_K8S_9": "the upstream gateway (a chat bridge) exposes no health endpoint to probe.",
}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHECKOV.exists(), reason="checkov is not installed in .venv-checkov (run scripts/install-checkov)"
    ),
]


def _checkov(directory: Path, skip: list[str]) -> dict[str, Any]:
    command = [str(CHECKOV), "-d", str(directory), "--framework", "kubernetes", "--skip-download", "-o", "json"]
    if skip:
        command += ["--skip-check", ",".join(skip)]
    proc = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    report = json.loads(proc.stdout)
    reports = report if isinstance(report, list) else [report]
    assert len(reports) == 1, proc.stderr[-2000:]
    return reports[0]  # type: ignore[no-any-return]


def _failed(report: dict[str, Any]) -> Counter[str]:
    return Counter(c["check_id"] for c in report["results"]["failed_checks"])


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    require_upstream()
    base = tmp_path_factory.mktemp("upstream")
    (base / "upstream.yaml").write_text("\n---\n".join(json.dumps(obj) for obj in kustomize_build(str(UPSTREAM_K8S))))
    out = tmp_path_factory.mktemp("render") / "enterprise"
    write_render(run_program(REPO_ROOT, "enterprise", config_overrides=BASE_DIR_OVERRIDE), out)
    return {
        "upstream": _checkov(base, []),
        "enterprise-all": _checkov(out, []),
        "enterprise": _checkov(out, sorted(EXCLUDED_CHECKS)),
    }


def test_enterprise_render_fails_no_check_beyond_the_exclusions(reports: dict[str, dict[str, Any]]) -> None:
    report = reports["enterprise"]
    assert report["summary"]["parsing_errors"] == 0
    assert [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]] == []
    assert report["summary"]["passed"] > 500


def test_every_exclusion_is_still_needed(reports: dict[str, dict[str, Any]]) -> None:
    """An exclusion that no longer fires must be removed from the list (and the README)."""
    failing = set(_failed(reports["enterprise-all"]))
    assert failing == set(EXCLUDED_CHECKS)


def test_enterprise_render_fixes_what_upstream_fails(reports: dict[str, dict[str, Any]]) -> None:
    upstream, enterprise = _failed(reports["upstream"]), _failed(reports["enterprise-all"])
    assert sum(upstream.values()) > 3 * sum(enterprise.values())
    for fixed in ("CKV_K8S_43", "CKV_K8S_14", "CKV_K8S_15", "CKV_K8S_20", "CKV_K8S_22", "CKV_K8S_28", "CKV_K8S_38"):
        assert upstream[fixed] > 0, f"{fixed} expected to fail upstream"
        assert enterprise[fixed] == 0, f"{fixed} still fails on the enterprise render"


def test_readme_lists_every_exclusion_with_its_reason() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    for check_id in EXCLUDED_CHECKS:
        assert f"`{check_id}`" in readme, f"README does not explain the {check_id} exclusion"
