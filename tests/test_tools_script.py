"""``scripts/tools``: the pinned versions, the cache layout and the env it prints (no build here: the e2e lane
builds; this only checks the command's contract on an empty cache)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

TOOLS = REPO_ROOT / "scripts" / "tools"
PINNED = {
    "etcd": "v3.7.3",
    "kwok": "v0.8.0",
    "kube": "v1.35.4",
    "pulumi": "v3.274.0",
    "pulumi-kubernetes": "4.25.0",
    # the supply-chain tools (bakerst-hardened deploy)
    "crane": "v0.22.1",
    "cosign": "v3.1.3",
    "syft": "v1.57.2",
    "trivy": "v0.74.0",
    "kubectl-kyverno": "v1.18.2",
    "trivy-db-fixture": "v1",
    # Kyverno's admission and reports controllers (the e2e lane's supply-chain deploy)
    "kyverno": "v1.18.2",
}


def _tools(cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BSH_TOOLS_CACHE": str(cache)}
    return subprocess.run([sys.executable, str(TOOLS), *args], capture_output=True, text=True, env=env, check=False)


def test_status_lists_every_pinned_tool_as_missing_on_an_empty_cache(tmp_path: Path) -> None:
    proc = _tools(tmp_path, "status")
    assert proc.returncode == 0, proc.stderr
    for name, version in PINNED.items():
        assert any(line.split()[:3] == [name, version, "missing"] for line in proc.stdout.splitlines()), name


def test_env_puts_one_bin_directory_per_tool_version_first_on_path(tmp_path: Path) -> None:
    proc = _tools(tmp_path, "env", "--json")
    assert proc.returncode == 0, proc.stderr
    env = json.loads(proc.stdout)
    bins = [str(tmp_path / f"{name}-{version}" / "bin") for name, version in PINNED.items()]
    assert env["PATH"].split(os.pathsep)[: len(bins)] == bins
    assert env["BSH_TOOLS_MISSING"].split() == list(PINNED)
    assert env["PULUMI_SKIP_UPDATE_CHECK"] == "true"
    shell = _tools(tmp_path, "env")
    assert shell.stdout.startswith("export PATH=")


def test_an_unknown_tool_is_refused_by_name(tmp_path: Path) -> None:
    proc = _tools(tmp_path, "build", "kubelet")
    assert proc.returncode == 2
    assert "unknown tool(s) ['kubelet']" in proc.stderr
    assert not any(tmp_path.iterdir())


def test_the_kube_minor_is_inside_the_supported_range() -> None:
    from components.supported import NEWEST_KUBERNETES_MINOR, OLDEST_KUBERNETES_MINOR

    minor = int(PINNED["kube"].split(".")[1])
    assert OLDEST_KUBERNETES_MINOR <= minor <= NEWEST_KUBERNETES_MINOR
