"""Shared fixtures: the repo root, the shared material beside it, and a mock-runtime harness."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime.settings as pulumi_settings
import pytest

from bakerst_hardened.recording_mocks import RecordedResource, RecordingMocks

pytest_plugins = ["tests.clock_shift"]

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"


def run_under_mocks(build: Callable[[], Any]) -> RecordingMocks:
    """Run ``build`` (which creates resources) under fresh mocks; return every registration.

    Assertions belong after this returns: ``pulumi.runtime.test`` waits for every outstanding
    registration, whereas an ``apply`` callback may run before its siblings are registered.
    """
    mocks = RecordingMocks()
    asyncio.set_event_loop(asyncio.new_event_loop())  # earlier asyncio.run() calls leave the thread without one
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project="bakerst-test", stack="test", preview=False, monitor=mocks.monitor)

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> None:
        build()

    program()
    return mocks


def one(mocks: RecordingMocks, type_token: str, k8s_name: str) -> dict[str, Any]:
    """The inputs of the single recorded resource of a type with a given metadata.name."""
    found = [r for r in mocks.of_type(type_token) if r.inputs["metadata"]["name"] == k8s_name]
    assert len(found) == 1, f"expected one {type_token} named {k8s_name}, got {len(found)}"
    return found[0].inputs


def kubernetes_objects(mocks: RecordingMocks) -> list[RecordedResource]:
    return [r for r in mocks.resources if r.custom and r.type.startswith("kubernetes:")]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


UPSTREAM_K8S = SHARED / "upstream" / "baker-street" / "k8s"
BASE_DIR_OVERRIDE = {"bakerst:baseDir": str(UPSTREAM_K8S)}


def require_upstream() -> None:
    """Skip the calling test when the shared upstream manifests or kubectl are not on this machine."""
    import shutil

    if not UPSTREAM_K8S.is_dir():
        pytest.skip(f"upstream Baker Street manifests not found at {UPSTREAM_K8S} (../shared is absent)")
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not on PATH; the offline render expands kustomize with `kubectl kustomize`")
