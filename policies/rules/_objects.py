"""Views over a stack's resources for stack policies: the Kubernetes objects, by kind and by namespace."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from policies.k8s import get, is_patch, kind_of, labels_of, name_of, namespace_of

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


#: What a value still unknown during ``pulumi preview`` reads as: a string no check accepts as compliant.
UNKNOWN = "<unknown until pulumi up>"


def _plain(value: Any) -> Any:
    """A plain copy of engine props. ``pulumi_policy`` proxies raise ``UnknownValueError`` on a value not known during
    preview; that one value becomes :data:`UNKNOWN` and the rest of the object is still judged."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in value:
            try:
                out[str(key)] = _plain(value[key])
            except UnknownValueError:
                out[str(key)] = UNKNOWN
        return out
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                items.append(_plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def _merge(base: Any, patch: Any) -> Any:
    """Server-side-apply-like merge: mappings recursively, lists of named items by name, anything else replaced."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    if (
        isinstance(base, list)
        and isinstance(patch, list)
        and all(isinstance(i, dict) and "name" in i for i in base + patch)
    ):
        by_name = {item["name"]: item for item in base}
        for item in patch:
            by_name[item["name"]] = _merge(by_name[item["name"]], item) if item["name"] in by_name else item
        return list(by_name.values())
    return patch


def objects(args: Any) -> list[K8sObject]:
    """Every Kubernetes object among the stack's resources (custom resources included), as it will be after the
    stack's server-side-apply patches: a patch is merged into the object it targets, and a patch of an object the
    stack does not create stands for that object (except Namespaces, which the stack does not thereby manage)."""
    whole: list[K8sObject] = []
    patches: list[K8sObject] = []
    for resource in args.resources:
        kind = kind_of(resource.resource_type)
        if not kind or not isinstance(resource.props, Mapping):
            continue
        obj = K8sObject(kind, _plain(resource.props), resource.urn)
        (patches if is_patch(resource.resource_type) else whole).append(obj)
    for patch in patches:
        key = (patch.kind, patch.name, patch.namespace)
        for index, obj in enumerate(whole):
            if (obj.kind, obj.name, obj.namespace) == key:
                whole[index] = K8sObject(obj.kind, _merge(dict(obj.props), dict(patch.props)), obj.urn)
                break
        else:
            if patch.kind != "Namespace":
                whole.append(patch)
    return whole


def of_kind(objs: list[K8sObject], *kinds: str) -> Iterator[K8sObject]:
    return (o for o in objs if o.kind in kinds)


def external_secret_targets(objs: list[K8sObject]) -> set[tuple[str, str]]:
    """``(namespace, Secret name)`` of every Secret an ExternalSecret of the stack writes."""
    return {
        (es.namespace, str(get(es.props, "spec", "target", "name") or es.name))
        for es in of_kind(objs, "ExternalSecret")
    }


def task_namespaces(objs: list[K8sObject]) -> list[K8sObject]:
    """The Namespace objects labelled as the task namespace."""
    return [o for o in of_kind(objs, "Namespace") if o.labels.get(COMPONENT_LABEL) == TASK_NAMESPACE_COMPONENT]


def hooks_config(objs: list[K8sObject]) -> list[K8sObject]:
    """The hooks runtime ConfigMap(s)."""
    return [o for o in of_kind(objs, "ConfigMap") if o.labels.get(COMPONENT_LABEL) == HOOKS_CONFIG_COMPONENT]
