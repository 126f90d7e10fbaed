"""Pulumi mocks that record every registration, so a program can run with no engine and no cluster."""

from __future__ import annotations

import copy
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

import pulumi
import yaml


class KubectlMissingError(RuntimeError):
    """``kubectl`` is needed to expand a kustomize directory and is not on PATH."""


@dataclass(frozen=True)
class RecordedResource:
    """One resource registration as the engine would have seen it."""

    type: str
    name: str
    inputs: dict[str, Any]
    custom: bool


def intify(value: Any) -> Any:
    """Integral floats back to ints, recursively.

    The engine's protobuf ``Struct`` carries every number as a double: ``port: 53`` arrives as
    ``53.0``, which a real API server rejects for an int32 field.
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: intify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [intify(v) for v in value]
    return value


class RecordingMonitor(pulumi.runtime.mocks.MockMonitor):
    """The SDK's mock monitor, also recording each registration's parent URN, URN and explicit dependencies."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.parents: dict[tuple[str, str], str] = {}
        self.urns: dict[tuple[str, str], str] = {}
        self.dependencies: dict[tuple[str, str], list[str]] = {}

    def RegisterResource(self, request: Any) -> Any:
        key = (request.type, request.name)
        self.parents[key] = request.parent
        self.dependencies[key] = list(request.dependencies)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        self.urns[key] = response.urn
        return response


class RecordingMocks(pulumi.runtime.Mocks):
    """Echo inputs back as outputs and record every registration and invoke."""

    def __init__(self) -> None:
        self.resources: list[RecordedResource] = []
        self.invokes: list[tuple[str, dict[str, Any]]] = []
        self.monitor = RecordingMonitor(self)

    def parent_of(self, resource: RecordedResource) -> str:
        """URN of the resource's parent ('' for none)."""
        return self.monitor.parents.get((resource.type, resource.name), "")

    def urn_of(self, resource: RecordedResource) -> str:
        """The URN the resource was registered under."""
        return self.monitor.urns[(resource.type, resource.name)]

    def dependencies_of(self, resource: RecordedResource) -> list[str]:
        """URNs the resource's registration declared as dependencies (``depends_on`` and its inputs')."""
        return self.monitor.dependencies.get((resource.type, resource.name), [])

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        inputs = intify(copy.deepcopy(dict(args.inputs)))
        self.resources.append(RecordedResource(args.typ, args.name, inputs, bool(args.custom)))
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        self.invokes.append((args.token, dict(args.args)))
        if args.token == "kubernetes:yaml:decode":
            return {"result": [doc for doc in yaml.safe_load_all(args.args["text"]) if doc]}, []
        if args.token == "kubernetes:kustomize:directory":
            return {"result": kustomize_build(str(args.args["directory"]))}, []
        return {}, []

    def of_type(self, type_token: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_token]


def kustomize_build(directory: str) -> list[dict[str, Any]]:
    """Expand a kustomize directory with ``kubectl kustomize`` (what the provider does for real)."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise KubectlMissingError(
            "kubectl is not on PATH; the offline render needs `kubectl kustomize` to expand "
            f"{directory}. Install kubectl (any version with kustomize v5) and retry."
        )
    proc = subprocess.run([kubectl, "kustomize", directory], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"kubectl kustomize {directory} failed: {proc.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(proc.stdout) if doc]
