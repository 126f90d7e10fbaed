"""Calling the real policies the way the engine does: real ``pulumi_policy`` argument objects, the bound policy
(with the remediation-appending wrapper), a collecting ``report_violation``."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    PolicyResource,
    ResourceValidationArgs,
    StackValidationArgs,
)

from policies.catalog import catalog
from policies.offline import policy_options, resolve_config
from policies.pack import spec_named
from policies.spec import bind

TYPES = {
    "Namespace": "kubernetes:core/v1:Namespace",
    "ServiceAccount": "kubernetes:core/v1:ServiceAccount",
    "ConfigMap": "kubernetes:core/v1:ConfigMap",
    "Secret": "kubernetes:core/v1:Secret",
    "ResourceQuota": "kubernetes:core/v1:ResourceQuota",
    "LimitRange": "kubernetes:core/v1:LimitRange",
    "Deployment": "kubernetes:apps/v1:Deployment",
    "StatefulSet": "kubernetes:apps/v1:StatefulSet",
    "Job": "kubernetes:batch/v1:Job",
    "CronJob": "kubernetes:batch/v1:CronJob",
    "NetworkPolicy": "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    "AdminNetworkPolicy": "kubernetes:policy.networking.k8s.io/v1alpha1:AdminNetworkPolicy",
    "Role": "kubernetes:rbac.authorization.k8s.io/v1:Role",
    "ClusterRole": "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    "RoleBinding": "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    "ClusterRoleBinding": "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    "ClusterPolicy": "kubernetes:kyverno.io/v1:ClusterPolicy",
    "ExternalSecret": "kubernetes:external-secrets.io/v1:ExternalSecret",
    "ClusterExternalSecret": "kubernetes:external-secrets.io/v1:ClusterExternalSecret",
    "NamespacePatch": "kubernetes:core/v1:NamespacePatch",
    "DeploymentPatch": "kubernetes:apps/v1:DeploymentPatch",
    "SecretPatch": "kubernetes:core/v1:SecretPatch",
    "NetworkPolicyPatch": "kubernetes:networking.k8s.io/v1:NetworkPolicyPatch",
    "ClusterPolicyPatch": "kubernetes:kyverno.io/v1:ClusterPolicyPatch",
    "ServiceAccountPatch": "kubernetes:core/v1:ServiceAccountPatch",
    "RoleBindingPatch": "kubernetes:rbac.authorization.k8s.io/v1:RoleBindingPatch",
    "ConfigMapPatch": "kubernetes:core/v1:ConfigMapPatch",
    "PolicyException": "kubernetes:kyverno.io/v2:PolicyException",
}


def urn(kind: str, name: str) -> str:
    return f"urn:pulumi:test::bakerst::{TYPES[kind]}::{name}"


def _config(policy: str, config: Mapping[str, Any] | None) -> dict[str, Any]:
    _level, properties = resolve_config(spec_named(policy), dict(config or {}), "test")
    return properties


def check_resource(policy: str, obj: Mapping[str, Any], config: Mapping[str, Any] | None = None) -> list[str]:
    """Violation messages of one resource policy for one object (``obj`` has apiVersion/kind/metadata)."""
    bound = bind(spec_named(policy), catalog())
    kind = str(obj["kind"])
    name = str(obj.get("metadata", {}).get("name", "x"))
    args = ResourceValidationArgs(
        TYPES[kind], obj, urn(kind, name), name, policy_options(), None, _config(policy, config)
    )
    return _collect(bound, args)


def check_stack(policy: str, objs: Sequence[Mapping[str, Any]], config: Mapping[str, Any] | None = None) -> list[str]:
    """Violation messages of one stack policy over a list of objects."""
    bound = bind(spec_named(policy), catalog())
    resources = []
    for index, obj in enumerate(objs):
        kind = str(obj["kind"])
        name = f"{obj.get('metadata', {}).get('name', 'x')}-{index}"
        resources.append(PolicyResource(TYPES[kind], obj, urn(kind, name), name, policy_options(), None, None, [], {}))
    return _collect(bound, StackValidationArgs(resources, _config(policy, config)))


def _collect(bound: Any, args: Any) -> list[str]:
    """Run the bound policy's validate with a collecting ``report_violation``; return the messages."""
    messages: list[str] = []

    def report(message: str, _urn: str | None = None) -> None:
        messages.append(message)

    bound.validate(args, report)
    return messages


def mutated(obj: Any, change: Callable[[Any], None]) -> Any:
    """A deep copy of ``obj`` with one change applied."""
    copied = copy.deepcopy(obj)
    change(copied)
    return copied


def at(obj: Any, path: str) -> Any:
    """``at(obj, "spec.template.spec.containers.0")``: walk dotted keys and list indices."""
    for part in path.split("."):
        obj = obj[int(part)] if isinstance(obj, list) else obj[part]
    return obj


def setter(path: str, value: Any) -> Callable[[Any], None]:
    parent, _, key = path.rpartition(".")

    def change(obj: Any) -> None:
        target = at(obj, parent) if parent else obj
        if isinstance(target, list):
            target[int(key)] = value
        else:
            target[key] = value

    return change


def deleter(path: str) -> Callable[[Any], None]:
    parent, _, key = path.rpartition(".")

    def change(obj: Any) -> None:
        target = at(obj, parent) if parent else obj
        del target[int(key) if isinstance(target, list) else key]

    return change
