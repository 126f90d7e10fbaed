"""HardenedPlatform: composes the enterprise layer's components from one validated ``StackConfig``.

Data flows one way: ``StackConfig`` -> component args -> components -> Kubernetes objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.brain_task_access import BrainTaskAccess, BrainTaskAccessArgs
from components.labels import standard_labels
from components.stack_config import StackConfig
from components.task_namespace import TaskNamespace, TaskNamespaceArgs
from components.task_network_policies import TaskNetworkPolicies, TaskNetworkPoliciesArgs


@dataclass(frozen=True)
class HardenedPlatformArgs:
    """Inputs of ``HardenedPlatform``: the whole validated stack config."""

    config: StackConfig


class HardenedPlatform(pulumi.ComponentResource):
    """The task isolation, network isolation and narrowed RBAC around a Baker Street install."""

    def __init__(self, name: str, args: HardenedPlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("bakerst:platform:HardenedPlatform", name, {}, opts)
        cfg = args.config
        labels = standard_labels(cfg.environment, cfg.common_labels)
        net = cfg.network_isolation

        self.task_namespace = TaskNamespace(
            f"{name}-tasks",
            TaskNamespaceArgs(
                name=cfg.task_namespace,
                pod_security_version=cfg.pod_security.version,
                quota=cfg.task_quota,
                limits=cfg.task_limits,
                service_account=cfg.task_service_account,
                labels=labels,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.network_policies = TaskNetworkPolicies(
            f"{name}-task-network",
            TaskNetworkPoliciesArgs(
                task_namespace=self.task_namespace.namespace_name,
                task_namespace_name=cfg.task_namespace,
                app_namespace=cfg.app_namespace,
                nats_pod_labels=net.nats_pod_labels,
                nats_port=net.nats_port,
                dns_namespace=net.dns_namespace,
                dns_pod_labels=net.dns_pod_labels,
                admin_network_policy=net.admin_network_policy,
                admin_network_policy_priority=net.admin_network_policy_priority,
                labels=labels,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.brain_access = BrainTaskAccess(
            f"{name}-brain-access",
            BrainTaskAccessArgs(
                task_namespace=self.task_namespace.namespace_name,
                app_namespace=cfg.app_namespace,
                brain_service_account=cfg.brain_access.service_account,
                app_namespace_grants=cfg.brain_access.app_namespace_grants,
                labels=labels,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.exports: dict[str, Any] = {
            "environment": cfg.environment,
            "appNamespace": cfg.app_namespace,
            "taskNamespace": self.task_namespace.namespace_name,
            "taskServiceAccount": self.task_namespace.service_account_name,
            "brainTaskRole": self.brain_access.task_role_name,
            "taskNetworkPolicies": self.network_policies.policy_names,
            # Runtime governance settings, for the hooks runtime and the stack policies.
            "rateLimits": cfg.rate_limits.model_dump(by_alias=True, mode="json"),
            "budgets": cfg.budgets.model_dump(by_alias=True, mode="json"),
        }
        self.register_outputs(self.exports)
