"""Reading Kubernetes objects in the wire format policies receive (camelCase inputs, plain mappings).

Pure functions over mappings: resource type tokens, pod templates of every workload kind, containers,
images, namespaces. Nothing here depends on the engine, so the same code runs under ``pulumi preview`` and
in the offline render.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Workload kinds and the path from the object to its pod spec.
_POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "PodTemplate": ("template", "spec"),
}
WORKLOAD_KINDS = frozenset(_POD_SPEC_PATHS)
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def is_patch(resource_type: str) -> bool:
    """Server-side-apply patches (``kubernetes:apps/v1:DeploymentPatch``) carry a partial object."""
    return resource_type.startswith("kubernetes:") and resource_type.endswith("Patch")


def kind_of(resource_type: str) -> str:
    """``kubernetes:apps/v1:Deployment`` -> ``Deployment`` (``DeploymentPatch`` -> ``Deployment`` too: a patch can
    make an object non-compliant); '' for anything that is not a Kubernetes object."""
    if not resource_type.startswith("kubernetes:") or resource_type.startswith("kubernetes:kustomize"):
        return ""
    kind = resource_type.rsplit(":", 1)[-1]
    return kind.removesuffix("Patch") if is_patch(resource_type) else kind


def get(obj: Any, *path: str) -> Any:
    """Nested lookup that returns None for any missing or non-mapping step."""
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str | bytes) else []


def metadata(props: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = props.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def name_of(props: Mapping[str, Any]) -> str:
    return str(metadata(props).get("name") or "")


def namespace_of(props: Mapping[str, Any]) -> str:
    return str(metadata(props).get("namespace") or "")


def labels_of(props: Mapping[str, Any]) -> Mapping[str, Any]:
    labels = metadata(props).get("labels")
    return labels if isinstance(labels, Mapping) else {}


def describe(kind: str, props: Mapping[str, Any]) -> str:
    """``Deployment bakerst/brain`` (or ``Namespace bakerst``) for messages."""
    namespace = namespace_of(props)
    return f"{kind} {namespace + '/' if namespace else ''}{name_of(props) or '(unnamed)'}"


def pod_spec(kind: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The pod spec of a workload object (None for other kinds or when absent)."""
    path = _POD_SPEC_PATHS.get(kind)
    if path is None:
        return None
    spec = get(props, *path)
    return spec if isinstance(spec, Mapping) else None


@dataclass(frozen=True)
class Workload:
    """A workload object seen by a resource policy: its kind, pod spec and a name for messages."""

    kind: str
    spec: Mapping[str, Any]
    what: str
    patch: bool = False
    """A partial object: only settings it states can be judged, not settings it leaves out."""


def workload_of(resource_type: str, props: Mapping[str, Any]) -> Workload | None:
    """The workload view of a resource (None when it is not a workload or has no pod spec)."""
    kind = kind_of(resource_type)
    spec = pod_spec(kind, props)
    if spec is None:
        return None
    patch = is_patch(resource_type)
    return Workload(kind, spec, f"{describe(kind, props)}{' (patch)' if patch else ''}", patch)


def judged_whole(workload: Workload, container: Mapping[str, Any]) -> bool:
    """Whether missing settings of ``container`` count: always for whole objects; in a patch, for a container the
    patch defines (it states an image), since nothing else will give it a securityContext."""
    return not workload.patch or "image" in container


def containers(spec: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """``(list name, container)`` for every init, regular and ephemeral container."""
    for list_name in CONTAINER_LISTS:
        for container in as_list(spec.get(list_name)):
            if isinstance(container, Mapping):
                yield list_name, container


def container_label(list_name: str, container: Mapping[str, Any]) -> str:
    prefix = {"initContainers": "init container", "ephemeralContainers": "ephemeral container"}.get(
        list_name, "container"
    )
    return f"{prefix} {container.get('name') or '(unnamed)'}"


def registry_of(image: str) -> str:
    """The registry host of an image reference (``docker.io`` when the first part is not a host)."""
    first, sep, _rest = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def image_matches(image: str, patterns: Sequence[str]) -> bool:
    """Kyverno-style wildcard match of an image reference against any pattern."""
    return any(fnmatch.fnmatchcase(image, pattern) for pattern in patterns)
