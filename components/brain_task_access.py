"""BrainTaskAccess: the narrowed RBAC that lets the brain run task Jobs, and nothing more.

In the task namespace, a Role lets the brain's ServiceAccount (which lives in the app
namespace) create, get, list, watch and delete Jobs, get, list, watch and delete Pods, and read
``pods/log``. A RoleBinding in the task namespace binds it across namespaces.

Rights in the app namespace are opt-in per grant (``brainAccess.appNamespaceGrants``); by
default the brain keeps none there: no Jobs, no Secrets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.labels import component_labels
from components.ordering import Dependencies, after

TASK_ROLE_NAME = "bakerst-brain-task-manager"
APP_ROLE_NAME = "bakerst-brain-app-access"
RUNTIME_SECRET_NAME = "bakerst-secrets"


@dataclass(frozen=True)
class PolicyRule:
    """One RBAC rule, as plain data (so tests and policies can compare rules exactly)."""

    api_groups: tuple[str, ...]
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    resource_names: tuple[str, ...] = ()

    def to_args(self) -> k8s.rbac.v1.PolicyRuleArgs:
        return k8s.rbac.v1.PolicyRuleArgs(
            api_groups=list(self.api_groups),
            resources=list(self.resources),
            verbs=list(self.verbs),
            resource_names=list(self.resource_names) or None,
        )


#: Every right the brain gets in the task namespace.
TASK_NAMESPACE_RULES: tuple[PolicyRule, ...] = (
    PolicyRule(("batch",), ("jobs",), ("create", "delete", "get", "list", "watch")),
    PolicyRule(("",), ("pods",), ("delete", "get", "list", "watch")),
    PolicyRule(("",), ("pods/log",), ("get",)),
)

#: The rights each opt-in app-namespace grant adds.
APP_NAMESPACE_GRANTS: Mapping[str, PolicyRule] = {
    "runtime-secret": PolicyRule(("",), ("secrets",), ("get", "patch", "update"), (RUNTIME_SECRET_NAME,)),
    "restart-deployments": PolicyRule(("apps",), ("deployments",), ("get", "patch")),
}


@dataclass(frozen=True)
class BrainTaskAccessArgs:
    """Inputs of ``BrainTaskAccess``."""

    task_namespace: pulumi.Input[str]
    """The task namespace (pass the TaskNamespace output to order creation after it)."""
    app_namespace: str
    """Namespace of the brain's ServiceAccount."""
    brain_service_account: str
    app_namespace_grants: Sequence[str]
    """Opt-in rights in the app namespace, keys of ``APP_NAMESPACE_GRANTS``."""
    labels: Mapping[str, str]
    app_namespace_dependencies: Dependencies = ()
    """What creates the app namespace (``BakerStreetApp.namespace_resources``): the app Role waits for it."""


class BrainTaskAccess(pulumi.ComponentResource):
    """Role and cross-namespace RoleBinding for the brain in the task namespace (plus opt-in app rights)."""

    task_role_name: pulumi.Output[str]

    def __init__(self, name: str, args: BrainTaskAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("bakerst:security:BrainTaskAccess", name, {}, opts)
        labels = component_labels(args.labels, "brain-task-access")
        child = pulumi.ResourceOptions(parent=self)
        subject = k8s.rbac.v1.SubjectArgs(
            kind="ServiceAccount", name=args.brain_service_account, namespace=args.app_namespace
        )

        self.task_role = k8s.rbac.v1.Role(
            f"{name}-task-role",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=TASK_ROLE_NAME, namespace=args.task_namespace, labels=labels),
            rules=[rule.to_args() for rule in TASK_NAMESPACE_RULES],
            opts=child,
        )
        self.task_binding = k8s.rbac.v1.RoleBinding(
            f"{name}-task-binding",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=TASK_ROLE_NAME, namespace=args.task_namespace, labels=labels),
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=TASK_ROLE_NAME),
            subjects=[subject],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.task_role]),
        )

        self.app_role: k8s.rbac.v1.Role | None = None
        self.app_binding: k8s.rbac.v1.RoleBinding | None = None
        if args.app_namespace_grants:
            unknown = sorted(set(args.app_namespace_grants) - set(APP_NAMESPACE_GRANTS))
            if unknown:
                raise ValueError(f"unknown app namespace grants {unknown}; known: {sorted(APP_NAMESPACE_GRANTS)}")
            self.app_role = k8s.rbac.v1.Role(
                f"{name}-app-role",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=APP_ROLE_NAME, namespace=args.app_namespace, labels=labels),
                rules=[APP_NAMESPACE_GRANTS[grant].to_args() for grant in sorted(args.app_namespace_grants)],
                opts=pulumi.ResourceOptions(parent=self, depends_on=after(args.app_namespace_dependencies)),
            )
            self.app_binding = k8s.rbac.v1.RoleBinding(
                f"{name}-app-binding",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=APP_ROLE_NAME, namespace=args.app_namespace, labels=labels),
                role_ref=k8s.rbac.v1.RoleRefArgs(
                    api_group="rbac.authorization.k8s.io", kind="Role", name=APP_ROLE_NAME
                ),
                subjects=[subject],
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=after(args.app_namespace_dependencies, self.app_role)
                ),
            )

        self.task_role_name = self.task_role.metadata.name
        self.register_outputs({"taskRoleName": self.task_role_name})
