"""The e2e lane (``pytest -m e2e``): the real Pulumi engine, provider and policy pack against a real control plane.

Not part of the fast suite: unless the marker expression names ``e2e``, these tests are deselected (so
``scripts/test`` and ``scripts/test -m "not slow"`` stay as quick as before). They skip, naming the command,
when the tools of ``scripts/tools`` are not built; ``.ci/run`` builds them first.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cluster import SHARED, Cluster, tools_environment
from tests.e2e.stacks import Project

E2E_DIR = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before `-m` is applied, so that `-m e2e` sees the marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    in_lane = [item for item in items if E2E_DIR in Path(str(item.fspath)).parents]
    for item in in_lane:
        item.add_marker(pytest.mark.e2e)
    if "e2e" in (config.option.markexpr or "") or not in_lane:
        return
    config.hook.pytest_deselected(items=in_lane)
    items[:] = [item for item in items if item not in in_lane]


@pytest.fixture(scope="session")
def tools_env() -> dict[str, str]:
    env, missing = tools_environment()
    if missing:
        pytest.skip(f"e2e tools not built: {missing} (run `scripts/tools build {missing}`)")
    if shutil.which("kubectl", path=env["PATH"]) is None:
        pytest.skip("kubectl is not on PATH")
    if not (SHARED / "crds").is_dir() or not (SHARED / "upstream").is_dir():
        pytest.skip(f"{SHARED} (crds, upstream) is not beside the repository")
    return env


@pytest.fixture(scope="session")
def cluster(tools_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    c = Cluster(tmp_path_factory.mktemp("cluster"), dict(tools_env))
    try:
        c.start()
        yield c
    finally:
        c.stop()
        print(f"\ncontrol plane start-up (cumulative s): {c.timings}")


@pytest.fixture(scope="session")
def project(tools_env: dict[str, str], cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """A fresh copy of the working tree, its policy pack installed the way a user installs it."""
    root = tmp_path_factory.mktemp("project")
    p = Project.fresh_copy(root / "baker-street-hardened", root / "backend", tools_env, cluster.kubeconfig)
    started = time.monotonic()
    p.install_policy_pack()
    p.timings["policy pack install"] = time.monotonic() - started
    yield p
    print(f"\npulumi timings (s): { {k: round(v, 1) for k, v in p.timings.items()} }")
