"""The TypeScript adapter (adapters/bakerst-core) under real Node against the real hooks service.

Runs the npm package's own checks: `npm ci` (pinned TypeScript, committed lockfile), `npm run build` (tsc),
`npm run check:upstream` (tsc --noEmit against upstream's guardrails.ts in ../shared; it skips itself when
../shared is absent) and `npm test` (node --test: adapter, preload, fault and end-to-end tests; the end-to-end
and fault tests start `bakerst-hardened hooks serve` from this virtualenv on loopback as a child process).
Skipped, saying why, when node or npm is missing or node is older than 20.6 (no `module.register`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.server]

REPO = Path(__file__).resolve().parents[2]
ADAPTER = REPO / "adapters" / "bakerst-core"
CLI = Path(sys.executable).parent / "bakerst-hardened"


def _node_version(node: str) -> tuple[int, int]:
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    match = re.match(r"v(\d+)\.(\d+)", out)
    assert match, f"unexpected `node --version`: {out!r}"
    return int(match.group(1)), int(match.group(2))


def _tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed for the TypeScript adapter's tests (Node >= 20.6)")
    if _node_version(node) < (20, 6):
        pytest.skip(f"Node {_node_version(node)} has no module.register (needs >= 20.6)")
    return node, npm


def _run(args: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=ADAPTER, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    command = " ".join(args)
    assert done.returncode == 0, f"`{command}` exited {done.returncode}:\n{done.stdout[-6000:]}\n{done.stderr[-5000:]}"
    return done


def test_adapter_builds_type_checks_and_passes_its_node_tests() -> None:
    _, npm = _tools()
    assert CLI.exists(), f"the hooks service CLI is not at {CLI}"
    env = {**os.environ, "BAKERST_HARDENED_CLI": str(CLI), "npm_config_audit": "false", "npm_config_fund": "false"}
    _run([npm, "ci", "--no-audit", "--no-fund"], env, 600)
    _run([npm, "run", "build"], env, 300)
    upstream = _run([npm, "run", "check:upstream"], env, 300)
    assert "check:upstream" in upstream.stdout
    tests = _run([npm, "test"], env, 900)
    summary = dict(re.findall(r"^# (tests|pass|fail|skipped|cancelled) (\d+)$", tests.stdout, re.MULTILINE))
    assert summary.get("fail") == "0" and summary.get("cancelled") == "0", tests.stdout[-4000:]
    assert summary.get("skipped") == "0", "the service-backed tests were skipped:\n" + tests.stdout[-4000:]
    assert int(summary.get("pass", "0")) >= 30
