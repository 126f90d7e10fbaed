"""TaskNamespace: the dedicated namespace the brain's task Jobs run in.

Creates the namespace with Pod Security ``restricted`` enforced, audited and warned (versions
pinned), a ResourceQuota that caps CPU, memory, pods and Jobs, a LimitRange so task pods that
omit requests are still admitted under the quota, and the task ServiceAccount, which does not
automount a token and is bound to nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.labels import component_labels
from components.stack_config import TaskLimitsConfig, TaskQuotaConfig

#: Kubernetes names of the objects this component creates inside the namespace.
QUOTA_NAME = "task-quota"
LIMIT_RANGE_NAME = "task-limits"

POD_SECURITY_MODES = ("enforce", "audit", "warn")


@dataclass(frozen=True)
class TaskNamespaceArgs:
    """Inputs of ``TaskNamespace``."""

    name: str
    """Kubernetes name of the task namespace."""
    pod_security_version: str
    """Pinned Pod Security Standards version, e.g. ``v1.30``."""
    quota: TaskQuotaConfig
    """Ceiling for all task pods together."""
    limits: TaskLimitsConfig
    """Per-container defaults and maximum."""
    service_account: str
    """Name of the ServiceAccount the task Jobs run as."""
    labels: Mapping[str, str]
    """Labels put on every object (the component adds ``app.kubernetes.io/component``)."""


def pod_security_labels(level: str, version: str) -> dict[str, str]:
    """The six Pod Security admission labels for one level and pinned version."""
    labels: dict[str, str] = {}
    for mode in POD_SECURITY_MODES:
        labels[f"pod-security.kubernetes.io/{mode}"] = level
        labels[f"pod-security.kubernetes.io/{mode}-version"] = version
    return labels


def quota_hard(quota: TaskQuotaConfig) -> dict[str, str]:
    """The ``spec.hard`` map of the task ResourceQuota."""
    return {
        "requests.cpu": quota.cpu,
        "limits.cpu": quota.cpu,
        "requests.memory": quota.memory,
        "limits.memory": quota.memory,
        "pods": str(quota.pods),
        "count/jobs.batch": str(quota.jobs),
    }


class TaskNamespace(pulumi.ComponentResource):
    """The isolated namespace for task pods, with its quota, limits and token-less ServiceAccount."""

    namespace_name: pulumi.Output[str]
    service_account_name: pulumi.Output[str]

    def __init__(self, name: str, args: TaskNamespaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("bakerst:security:TaskNamespace", name, {}, opts)
        labels = component_labels(args.labels, "task-namespace")
        child = pulumi.ResourceOptions(parent=self)

        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.name,
                labels={**labels, **pod_security_labels("restricted", args.pod_security_version)},
            ),
            opts=child,
        )
        namespace = self.namespace.metadata.name

        def meta(object_name: str) -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(name=object_name, namespace=namespace, labels=labels)

        self.quota = k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata=meta(QUOTA_NAME),
            spec=k8s.core.v1.ResourceQuotaSpecArgs(hard=quota_hard(args.quota)),
            opts=child,
        )
        self.limit_range = k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata=meta(LIMIT_RANGE_NAME),
            spec=k8s.core.v1.LimitRangeSpecArgs(
                limits=[
                    k8s.core.v1.LimitRangeItemArgs(
                        type="Container",
                        default_request={
                            "cpu": args.limits.default_request.cpu,
                            "memory": args.limits.default_request.memory,
                        },
                        default={"cpu": args.limits.default_limit.cpu, "memory": args.limits.default_limit.memory},
                        max={"cpu": args.limits.max.cpu, "memory": args.limits.max.memory},
                    )
                ]
            ),
            opts=child,
        )
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata=meta(args.service_account),
            automount_service_account_token=False,
            opts=child,
        )

        self.namespace_name = namespace
        self.service_account_name = self.service_account.metadata.name
        self.register_outputs({"namespaceName": self.namespace_name, "serviceAccountName": self.service_account_name})
