"""TaskNetworkPolicies: task pods may reach NATS and cluster DNS, and nothing else.

Task pods are selected by namespace (``podSelector: {}``), never by a pod label: the Jobs the
brain creates put their labels on the Job only, so their pods carry none of them.

Objects:
* task namespace: ``default-deny-all`` (ingress and egress) and ``allow-egress-nats-dns``;
* app namespace: ``allow-nats-from-<task namespace>``, the NATS-side ingress rule;
* optionally, a cluster-scoped AdminNetworkPolicy that denies task-namespace traffic to every app
  pod but NATS before any NetworkPolicy is consulted (a deny that a later, looser NetworkPolicy
  cannot undo).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.labels import component_labels, namespace_selector
from components.ordering import Dependencies, after

DEFAULT_DENY_NAME = "default-deny-all"
TASK_EGRESS_NAME = "allow-egress-nats-dns"
DNS_PORT = 53


def nats_ingress_name(task_namespace: str) -> str:
    """Name of the NATS-side ingress NetworkPolicy in the app namespace."""
    return f"allow-nats-from-{task_namespace}"[:253]


def admin_network_policy_name(task_namespace: str) -> str:
    """Name of the cluster-scoped AdminNetworkPolicy isolating one task namespace."""
    return f"{task_namespace}-isolation"[:253]


@dataclass(frozen=True)
class TaskNetworkPoliciesArgs:
    """Inputs of ``TaskNetworkPolicies``."""

    task_namespace: pulumi.Input[str]
    """The task namespace (pass the TaskNamespace output to order creation after it)."""
    task_namespace_name: str
    """The task namespace's name as plain text (for selectors and names)."""
    app_namespace: str
    """The app namespace, where NATS runs."""
    nats_pod_labels: Mapping[str, str]
    nats_port: int
    dns_namespace: str
    dns_pod_labels: Mapping[str, str]
    admin_network_policy: bool
    """Also create the AdminNetworkPolicy deny (needs a CNI that implements it)."""
    admin_network_policy_priority: int
    labels: Mapping[str, str]
    app_namespace_dependencies: Dependencies = ()
    """What creates the app namespace (``BakerStreetApp.namespace_resources``): the NATS-side rule waits for it."""


class TaskNetworkPolicies(pulumi.ComponentResource):
    """Default deny for the task namespace, NATS-and-DNS-only egress, and the NATS-side ingress rule."""

    policy_names: pulumi.Output[list[str]]

    def __init__(self, name: str, args: TaskNetworkPoliciesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("bakerst:security:TaskNetworkPolicies", name, {}, opts)
        labels = component_labels(args.labels, "task-network-isolation")
        child = pulumi.ResourceOptions(parent=self)
        all_task_pods = k8s.meta.v1.LabelSelectorArgs()  # podSelector: {} selects every pod in the namespace

        nats_peer = k8s.networking.v1.NetworkPolicyPeerArgs(
            namespace_selector=_namespace_label_selector(args.app_namespace),
            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(args.nats_pod_labels)),
        )
        dns_peer = k8s.networking.v1.NetworkPolicyPeerArgs(
            namespace_selector=_namespace_label_selector(args.dns_namespace),
            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(args.dns_pod_labels)),
        )
        task_namespace_peer = k8s.networking.v1.NetworkPolicyPeerArgs(
            namespace_selector=_namespace_label_selector(args.task_namespace_name)
        )

        self.default_deny = k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=DEFAULT_DENY_NAME, namespace=args.task_namespace, labels=labels),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=all_task_pods, policy_types=["Ingress", "Egress"]
            ),
            opts=child,
        )
        self.task_egress = k8s.networking.v1.NetworkPolicy(
            f"{name}-task-egress",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=TASK_EGRESS_NAME, namespace=args.task_namespace, labels=labels),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=all_task_pods,
                policy_types=["Egress"],
                egress=[
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[nats_peer],
                        ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=args.nats_port)],
                    ),
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[dns_peer],
                        ports=[
                            k8s.networking.v1.NetworkPolicyPortArgs(protocol="UDP", port=DNS_PORT),
                            k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=DNS_PORT),
                        ],
                    ),
                ],
            ),
            opts=child,
        )
        self.nats_ingress = k8s.networking.v1.NetworkPolicy(
            f"{name}-nats-ingress",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=nats_ingress_name(args.task_namespace_name), namespace=args.app_namespace, labels=labels
            ),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(args.nats_pod_labels)),
                policy_types=["Ingress"],
                ingress=[
                    k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                        from_=[task_namespace_peer],
                        ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=args.nats_port)],
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=after(args.app_namespace_dependencies)),
        )
        names = [DEFAULT_DENY_NAME, TASK_EGRESS_NAME, nats_ingress_name(args.task_namespace_name)]

        self.admin_policy: k8s.apiextensions.CustomResource | None = None
        if args.admin_network_policy:
            self.admin_policy = k8s.apiextensions.CustomResource(
                f"{name}-admin-network-policy",
                api_version="policy.networking.k8s.io/v1alpha1",
                kind="AdminNetworkPolicy",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=admin_network_policy_name(args.task_namespace_name), labels=labels
                ),
                spec=admin_network_policy_spec(args),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.default_deny]),
            )
            names.append(admin_network_policy_name(args.task_namespace_name))

        self.policy_names = pulumi.Output.from_input(names)
        self.register_outputs({"policyNames": self.policy_names})


def _namespace_label_selector(namespace: str) -> k8s.meta.v1.LabelSelectorArgs:
    return k8s.meta.v1.LabelSelectorArgs(match_labels=dict(namespace_selector(namespace)["matchLabels"]))


def admin_network_policy_spec(args: TaskNetworkPoliciesArgs) -> dict[str, object]:
    """Egress rules for task pods, evaluated before any NetworkPolicy.

    NATS and DNS are passed on to the NetworkPolicies above (which allow them); everything
    else addressed to the app namespace is denied outright.
    """
    app_namespace = {"namespaceSelector": namespace_selector(args.app_namespace)}
    return {
        "priority": args.admin_network_policy_priority,
        "subject": {"namespaces": namespace_selector(args.task_namespace_name)},
        "egress": [
            {
                "name": "pass-nats",
                "action": "Pass",
                "to": [{"pods": {**app_namespace, "podSelector": {"matchLabels": dict(args.nats_pod_labels)}}}],
                "ports": [{"portNumber": {"protocol": "TCP", "port": args.nats_port}}],
            },
            {
                "name": "pass-cluster-dns",
                "action": "Pass",
                "to": [
                    {
                        "pods": {
                            "namespaceSelector": namespace_selector(args.dns_namespace),
                            "podSelector": {"matchLabels": dict(args.dns_pod_labels)},
                        }
                    }
                ],
                "ports": [
                    {"portNumber": {"protocol": "UDP", "port": DNS_PORT}},
                    {"portNumber": {"protocol": "TCP", "port": DNS_PORT}},
                ],
            },
            {
                "name": "deny-app-namespace",
                "action": "Deny",
                "to": [{"namespaces": namespace_selector(args.app_namespace)}],
            },
        ],
    }
