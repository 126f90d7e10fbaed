"""The policy pack loads from a virtualenv made from ``policies/requirements.txt`` alone.

``pulumi preview --policy-pack policies`` runs the pack in ``policies/venv`` (``PulumiPolicy.yaml``), which a
user creates from ``policies/requirements.txt`` (``cd policies && pulumi install``, which runs ``pip install -r
requirements.txt``; that file is a copy of ``requirements.lock``, so the hashes are checked): nothing of the project's
``.venv`` is there. This test builds such a virtualenv (cached per machine by the files' hashes, so a warm run
costs a second) and executes the pack's ``__main__.py`` in it, with the PolicyPack constructor (which would
start the analyzer's gRPC server and never return) replaced by a recorder. It is the test that would have
caught the missing ``httpx``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

REQUIREMENTS = REPO_ROOT / "policies" / "requirements.txt"
LOCK = REPO_ROOT / "policies" / "requirements.lock"

LOAD_PACK = """
import json, runpy, sys
import pulumi_policy
seen = {}
class Recorder:
    def __init__(self, name, policies, **kwargs):
        seen["name"] = name
        seen["policies"] = [p.name for p in policies]
pulumi_policy.PolicyPack = Recorder
runpy.run_path("__main__.py", run_name="__main__")
outside = sorted(
    m.__name__ for m in list(sys.modules.values())
    if getattr(m, "__file__", None) and "/.venv/" in m.__file__
)
print(json.dumps({**seen, "from_project_venv": outside}))
"""


def policy_venv(requirements: Path, cache: str, *pip_args: str) -> Path:
    """A virtualenv with exactly ``requirements`` (pip ``pip_args`` added), cached per machine under ``cache`` by the
    hash of ``requirements`` and the lock."""
    digest = hashlib.sha256(requirements.read_bytes() + LOCK.read_bytes()).hexdigest()[:16]
    root = Path(os.environ.get("BSH_CACHE", Path.home() / ".cache" / "bakerst-hardened")) / cache
    venv = root / digest
    if (venv / ".done").is_file():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    proc = subprocess.run([*pip, *pip_args, "-r", str(requirements)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"could not install policies/{requirements.name} (package registry?): {proc.stderr[-500:]}")
    (venv / ".done").touch()
    return venv


def load_pack(venv: Path) -> subprocess.CompletedProcess[str]:
    """Run the pack's ``__main__.py`` in ``venv`` (where the CLI runs it), with the PolicyPack recorder."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return subprocess.run(
        [str(venv / "bin" / "python"), "-s", "-c", LOAD_PACK],
        cwd=REPO_ROOT / "policies",
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.slow
def test_the_pack_loads_from_a_virtualenv_of_its_own_requirements() -> None:
    proc = load_pack(policy_venv(REQUIREMENTS, "policy-venvs"))
    assert proc.returncode == 0, f"the pack does not load from policies/requirements.txt alone:\n{proc.stderr}"
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert loaded["from_project_venv"] == []
    assert loaded["name"] and len(loaded["policies"]) >= 10, loaded
