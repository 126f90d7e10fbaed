"""checkov (its own virtualenv, offline) finds no misconfiguration in the enterprise render."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bakerst_hardened.render import run_program, write_render
from tests.conftest import REPO_ROOT

CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"


@pytest.mark.slow
@pytest.mark.skipif(
    not CHECKOV.exists(), reason="checkov is not installed in .venv-checkov (run scripts/install-checkov)"
)
def test_checkov_passes_the_enterprise_render(tmp_path: Path) -> None:
    out = tmp_path / "enterprise"
    summary = write_render(run_program(REPO_ROOT, "enterprise"), out)
    proc = subprocess.run(
        [str(CHECKOV), "-d", str(out), "--framework", "kubernetes", "--skip-download", "--quiet", "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    report = json.loads(proc.stdout)
    reports = report if isinstance(report, list) else [report]
    failed = [(c["check_id"], c["check_name"], c["resource"]) for r in reports for c in r["results"]["failed_checks"]]
    assert failed == []
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = reports[0]["summary"]
    assert result["parsing_errors"] == 0
    assert result["resource_count"] == summary["objectCount"]
    assert result["passed"] > 0
