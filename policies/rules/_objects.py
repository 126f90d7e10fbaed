"""Views over a stack's resources for stack policies: the Kubernetes objects, by kind and by namespace."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from policies.k8s import is_patch, kind_of, labels_of, name_of, namespace_of

TASK_NAMESPACE_COMPONENT = "task-namespace"
HOOKS_CONFIG_COMPONENT = "hooks-runtime-config"
COMPONENT_LABEL = "app.kubernetes.io/component"


@dataclass(frozen=True)
class K8sObject:
    kind: str
    props: Mapping[str, Any]
    urn: str

    @property
    def name(self) -> str:
        return name_of(self.props)

    @property
    def namespace(self) -> str:
        return namespace_of(self.props)

    @property
    def labels(self) -> Mapping[str, Any]:
        return labels_of(self.props)


def _plain(value: Any) -> Any:
    """A plain copy of engine props (``pulumi_policy`` proxies raise ``UnknownValueError`` on unknown values)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(value[k]) for k in value}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_plain(v) for v in value]
    return value


def objects(args: Any) -> list[K8sObject]:
    """Every whole Kubernetes object among the stack's resources (custom resources included).

    Patches are left out (partial objects; the resource policies judge them). So is an object with a value still
    unknown during ``pulumi preview``: the rest of the stack is judged now, that object at ``pulumi up``, instead
    of one unknown silencing the whole policy."""
    out: list[K8sObject] = []
    for resource in args.resources:
        kind = kind_of(resource.resource_type)
        if not kind or is_patch(resource.resource_type) or not isinstance(resource.props, Mapping):
            continue
        try:
            props = _plain(resource.props)
        except UnknownValueError:
            continue
        out.append(K8sObject(kind, props, resource.urn))
    return out


def of_kind(objs: list[K8sObject], *kinds: str) -> Iterator[K8sObject]:
    return (o for o in objs if o.kind in kinds)


def task_namespaces(objs: list[K8sObject]) -> list[K8sObject]:
    """The Namespace objects labelled as the task namespace."""
    return [o for o in of_kind(objs, "Namespace") if o.labels.get(COMPONENT_LABEL) == TASK_NAMESPACE_COMPONENT]


def hooks_config(objs: list[K8sObject]) -> list[K8sObject]:
    """The hooks runtime ConfigMap(s)."""
    return [o for o in of_kind(objs, "ConfigMap") if o.labels.get(COMPONENT_LABEL) == HOOKS_CONFIG_COMPONENT]
