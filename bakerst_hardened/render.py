"""Offline render: run the real Pulumi program under the SDK's mock runtime and write plain YAML.

Like the Kubernetes provider's render-to-directory mode, but needing no engine, no cluster and
no Pulumi CLI: the program's own code runs unchanged, every registration is recorded, and each
Kubernetes object becomes one YAML file, grouped by namespace, plus ``summary.json``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import runpy
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime.settings as pulumi_settings
import yaml

from bakerst_hardened.recording_mocks import RecordedResource, RecordingMocks, intify
from bakerst_hardened.stack_file import StackSettings, read_stack_settings, with_overrides

CLUSTER_SCOPE_DIR = "_cluster"
SUMMARY_FILE = "summary.json"

#: Kinds that have no namespace (the ones this project can create).
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "ClusterPolicy",
        "ClusterSecretStore",
        "AdminNetworkPolicy",
        "BaselineAdminNetworkPolicy",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "PriorityClass",
        "StorageClass",
        "PersistentVolume",
    }
)


class RenderError(RuntimeError):
    """The program's output cannot be written as Kubernetes YAML."""


@dataclass
class RenderResult:
    """Everything one program run registered."""

    settings: StackSettings
    resources: list[RecordedResource]
    exports: dict[str, Any]
    manifests: list[dict[str, Any]] = field(default_factory=list)


def _is_kubernetes_object(resource: RecordedResource) -> bool:
    return (
        resource.custom
        and resource.type.startswith("kubernetes:")
        and not resource.type.startswith("pulumi:providers:")
        and "apiVersion" in resource.inputs
        and "kind" in resource.inputs
    )


_TOP_LEVEL_ORDER = ("apiVersion", "kind", "metadata", "spec")
_METADATA_ORDER = ("name", "namespace", "labels", "annotations")


def _sorted_mapping(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_mapping(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_mapping(v) for v in value]
    return value


def canonical_order(obj: dict[str, Any]) -> dict[str, Any]:
    """Keys in a stable, readable order: apiVersion, kind, metadata, spec, then the rest; nested keys sorted."""
    first = [k for k in _TOP_LEVEL_ORDER if k in obj]
    ordered = {k: _sorted_mapping(obj[k]) for k in first + sorted(set(obj) - set(first))}
    metadata = ordered.get("metadata")
    if isinstance(metadata, dict):
        head = [k for k in _METADATA_ORDER if k in metadata]
        ordered["metadata"] = {k: metadata[k] for k in head + sorted(set(metadata) - set(head))}
    return ordered


def manifests_of(resources: list[RecordedResource]) -> list[dict[str, Any]]:
    """The Kubernetes objects among the recorded resources, sorted, each checked to have a name."""
    manifests: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str, str]] = set()
    for resource in resources:
        if not _is_kubernetes_object(resource):
            continue
        obj = intify(resource.inputs)
        metadata = obj.get("metadata") or {}
        name = metadata.get("name")
        if not name:
            raise RenderError(
                f"{resource.type} {resource.name!r} has no metadata.name; every object must have an explicit, "
                "deterministic Kubernetes name"
            )
        identity = (obj["apiVersion"], obj["kind"], metadata.get("namespace", ""), name)
        if identity in seen:
            raise RenderError(f"two objects share apiVersion/kind/namespace/name {identity}")
        seen.add(identity)
        manifests.append(canonical_order(obj))
    return sorted(manifests, key=lambda o: (o["metadata"].get("namespace", ""), o["kind"], o["metadata"]["name"]))


@contextlib.contextmanager
def _hermetic_environment(project_dir: Path) -> Iterator[None]:
    """No ambient PULUMI_CONFIG* variables, the project importable and the working directory (as
    under the Pulumi CLI), for the duration of a run."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("PULUMI_CONFIG")}
    saved_cwd = Path.cwd()
    os.chdir(project_dir)
    for key in saved:
        del os.environ[key]
    added_path = str(project_dir) not in sys.path
    if added_path:
        sys.path.insert(0, str(project_dir))
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.update(saved)
        if added_path:
            with contextlib.suppress(ValueError):
                sys.path.remove(str(project_dir))


def run_program(
    project_dir: Path,
    stack: str,
    *,
    progress: Callable[[str], None] = lambda _msg: None,
    mocks: RecordingMocks | None = None,
    config_overrides: Mapping[str, str] | None = None,
) -> RenderResult:
    """Run ``project_dir/__main__.py`` for ``stack`` under mocks; return what it registered and exported.

    Pass ``mocks`` to inspect the registrations even when the program raises. ``config_overrides``
    (``namespace:key`` to value, as with ``pulumi config set``) win over the stack file.
    """
    project_dir = project_dir.resolve()
    progress(f"reading {project_dir / ('Pulumi.' + stack + '.yaml')}")
    settings = read_stack_settings(project_dir, stack)
    if config_overrides:
        settings = with_overrides(settings, config_overrides)
    mocks = mocks if mocks is not None else RecordingMocks()
    exports: dict[str, Any] = {}

    with _hermetic_environment(project_dir):
        # The SDK schedules on the thread's current event loop; a caller (or an earlier asyncio.run) may
        # have left none, so give this run its own.
        asyncio.set_event_loop(asyncio.new_event_loop())
        pulumi_settings.ROOT.set(None)  # a fresh root stack for every run in this process
        pulumi.runtime.set_mocks(
            mocks, project=settings.project, stack=settings.stack, preview=False, monitor=mocks.monitor
        )
        pulumi.runtime.set_all_config(dict(settings.config), [])

        @pulumi.runtime.test  # type: ignore[untyped-decorator]
        def program() -> pulumi.Output[None]:
            runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")
            root = pulumi.runtime.get_root_resource()
            outputs: dict[str, Any] = dict(getattr(root, "outputs", {}) or {})
            return pulumi.Output.from_input(outputs).apply(exports.update)

        progress("running the Pulumi program under the SDK mock runtime")
        program()

    result = RenderResult(settings=settings, resources=mocks.resources, exports=intify(exports))
    result.manifests = manifests_of(mocks.resources)
    return result


def manifest_path(obj: dict[str, Any]) -> Path:
    """Relative path of one object's file: ``<namespace or _cluster>/<kind>-<name>.yaml``."""
    metadata = obj["metadata"]
    scope = metadata.get("namespace") or CLUSTER_SCOPE_DIR
    return Path(scope) / f"{obj['kind'].lower()}-{metadata['name']}.yaml"


def summarize(result: RenderResult, files: list[str]) -> dict[str, Any]:
    """The machine-readable summary written to ``summary.json`` and printed by ``--json``."""
    by_kind = Counter(m["kind"] for m in result.manifests)
    by_namespace = Counter(m["metadata"].get("namespace") or CLUSTER_SCOPE_DIR for m in result.manifests)
    return {
        "project": result.settings.project,
        "stack": result.settings.stack,
        "objectCount": len(result.manifests),
        "objectsByKind": dict(sorted(by_kind.items())),
        "objectsByNamespace": dict(sorted(by_namespace.items())),
        "files": files,
        "exports": result.exports,
    }


def _looks_like_render(directory: Path) -> bool:
    return (directory / SUMMARY_FILE).is_file()


def write_render(result: RenderResult, out_dir: Path, extra_files: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Write every object and ``summary.json`` (and each of ``extra_files``, name to JSON value) to ``out_dir``,
    all or nothing.

    The files are written to a temporary sibling directory first and moved into place at the end.
    An existing ``out_dir`` is replaced only if it is empty or holds an earlier render.
    """
    out_dir = out_dir.resolve()
    if out_dir.exists() and (not out_dir.is_dir() or (any(out_dir.iterdir()) and not _looks_like_render(out_dir))):
        raise RenderError(
            f"{out_dir} exists and is not an earlier render (no {SUMMARY_FILE}); choose a new or empty directory"
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        files: list[str] = []
        for obj in result.manifests:
            relative = manifest_path(obj)
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(yaml.safe_dump(obj, sort_keys=False, default_flow_style=False), encoding="utf-8")
            files.append(relative.as_posix())
        summary = summarize(result, files)
        (staging / SUMMARY_FILE).write_text(json.dumps(summary, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        for name, value in (extra_files or {}).items():
            (staging / name).write_text(json.dumps(value, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return summary
