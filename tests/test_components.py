"""Each component under the Pulumi mock runtime: exact labels, quota, RBAC rules and network peers."""

from __future__ import annotations

from typing import Any

import pytest

from components.brain_task_access import BrainTaskAccess, BrainTaskAccessArgs
from components.config_loader import parse_stack_config
from components.labels import standard_labels
from components.platform import HardenedPlatform, HardenedPlatformArgs
from components.task_namespace import TaskNamespace, TaskNamespaceArgs
from components.task_network_policies import TaskNetworkPolicies, TaskNetworkPoliciesArgs
from tests.conftest import kubernetes_objects, one, run_under_mocks

BASE_LABELS = standard_labels("test", {"team": "platform"})
NS = "kubernetes:core/v1:Namespace"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
ANP = "kubernetes:policy.networking.k8s.io/v1alpha1:AdminNetworkPolicy"


def _labels(component: str) -> dict[str, str]:
    return {
        "team": "platform",
        "app.kubernetes.io/part-of": "baker-street",
        "app.kubernetes.io/managed-by": "pulumi",
        "bakerst.io/environment": "test",
        "app.kubernetes.io/component": component,
    }


# --------------------------------------------------------------------------------------------- TaskNamespace


def _task_namespace(**overrides: Any) -> TaskNamespace:
    cfg = parse_stack_config({})
    args = {
        "name": "agent-tasks",
        "pod_security_version": "v1.31",
        "quota": cfg.task_quota,
        "limits": cfg.task_limits,
        "service_account": "bakerst-task",
        "labels": BASE_LABELS,
        **overrides,
    }
    return TaskNamespace("tasks", TaskNamespaceArgs(**args))


def test_task_namespace_has_pinned_restricted_pod_security_labels() -> None:
    mocks = run_under_mocks(_task_namespace)
    ns = one(mocks, NS, "agent-tasks")
    assert ns["metadata"]["labels"] == {
        **_labels("task-namespace"),
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "v1.31",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "v1.31",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "v1.31",
    }


def test_task_quota_caps_cpu_memory_pods_and_jobs() -> None:
    mocks = run_under_mocks(_task_namespace)
    quota = one(mocks, "kubernetes:core/v1:ResourceQuota", "task-quota")
    assert quota["metadata"]["namespace"] == "agent-tasks"
    assert quota["metadata"]["labels"] == _labels("task-namespace")
    assert quota["spec"] == {
        "hard": {
            "requests.cpu": "4",
            "limits.cpu": "4",
            "requests.memory": "2Gi",
            "limits.memory": "2Gi",
            "pods": "10",
            "count/jobs.batch": "10",
        }
    }


def test_limit_range_gives_defaults_so_pods_without_requests_are_admitted() -> None:
    mocks = run_under_mocks(_task_namespace)
    limit_range = one(mocks, "kubernetes:core/v1:LimitRange", "task-limits")
    assert limit_range["metadata"]["namespace"] == "agent-tasks"
    assert limit_range["spec"] == {
        "limits": [
            {
                "type": "Container",
                "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                "default": {"cpu": "500m", "memory": "512Mi"},
                "max": {"cpu": "1", "memory": "1Gi"},
            }
        ]
    }


def test_task_service_account_has_no_token_and_no_binding() -> None:
    mocks = run_under_mocks(_task_namespace)
    sa = one(mocks, "kubernetes:core/v1:ServiceAccount", "bakerst-task")
    assert sa["metadata"]["namespace"] == "agent-tasks"
    assert sa["automountServiceAccountToken"] is False
    assert mocks.of_type(BINDING) == []
    assert mocks.of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding") == []


def test_task_namespace_children_are_parented_to_the_component() -> None:
    mocks = run_under_mocks(_task_namespace)
    kinds = sorted(r.inputs["kind"] for r in kubernetes_objects(mocks))
    assert kinds == ["LimitRange", "Namespace", "ResourceQuota", "ServiceAccount"]
    assert [r.type for r in mocks.resources if not r.custom] == ["bakerst:security:TaskNamespace"]


# --------------------------------------------------------------------------------------- TaskNetworkPolicies


def _network(admin: bool = True) -> TaskNetworkPolicies:
    return TaskNetworkPolicies(
        "net",
        TaskNetworkPoliciesArgs(
            task_namespace="agent-tasks",
            task_namespace_name="agent-tasks",
            app_namespace="agent",
            nats_pod_labels={"app": "nats"},
            nats_port=4222,
            dns_namespace="kube-system",
            dns_pod_labels={"k8s-app": "kube-dns"},
            admin_network_policy=admin,
            admin_network_policy_priority=20,
            labels=BASE_LABELS,
        ),
    )


NATS_PEER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "agent"}},
    "podSelector": {"matchLabels": {"app": "nats"}},
}
DNS_PEER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}


def test_default_deny_selects_every_task_pod_by_namespace() -> None:
    mocks = run_under_mocks(_network)
    deny = one(mocks, NETPOL, "default-deny-all")
    assert deny["metadata"]["namespace"] == "agent-tasks"
    assert deny["metadata"]["labels"] == _labels("task-network-isolation")
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_task_egress_allows_only_nats_and_dns() -> None:
    mocks = run_under_mocks(_network)
    egress = one(mocks, NETPOL, "allow-egress-nats-dns")
    assert egress["metadata"]["namespace"] == "agent-tasks"
    assert egress["spec"] == {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [
            {"to": [NATS_PEER], "ports": [{"protocol": "TCP", "port": 4222}]},
            {"to": [DNS_PEER], "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
        ],
    }


def test_nats_side_admits_the_task_namespace_on_the_client_port_only() -> None:
    mocks = run_under_mocks(_network)
    ingress = one(mocks, NETPOL, "allow-nats-from-agent-tasks")
    assert ingress["metadata"]["namespace"] == "agent"
    assert ingress["spec"] == {
        "podSelector": {"matchLabels": {"app": "nats"}},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "agent-tasks"}}}],
                "ports": [{"protocol": "TCP", "port": 4222}],
            }
        ],
    }


def test_no_network_policy_selects_task_pods_by_pod_label() -> None:
    mocks = run_under_mocks(_network)
    for policy in mocks.of_type(NETPOL):
        if policy.inputs["metadata"]["namespace"] == "agent-tasks":
            assert policy.inputs["spec"]["podSelector"] == {}


def test_admin_network_policy_denies_task_traffic_to_every_app_pod_but_nats() -> None:
    mocks = run_under_mocks(_network)
    anp = one(mocks, ANP, "agent-tasks-isolation")
    assert "namespace" not in anp["metadata"]
    assert anp["spec"]["priority"] == 20
    assert anp["spec"]["subject"] == {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "agent-tasks"}}}
    rules = anp["spec"]["egress"]
    assert [(r["name"], r["action"]) for r in rules] == [
        ("pass-nats", "Pass"),
        ("pass-cluster-dns", "Pass"),
        ("deny-app-namespace", "Deny"),
    ]
    assert rules[0]["to"] == [{"pods": NATS_PEER}]
    assert rules[0]["ports"] == [{"portNumber": {"protocol": "TCP", "port": 4222}}]
    assert rules[1]["to"] == [{"pods": DNS_PEER}]
    assert rules[2]["to"] == [{"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "agent"}}}]
    assert "ports" not in rules[2]  # every port


def test_admin_network_policy_is_opt_in() -> None:
    mocks = run_under_mocks(lambda: _network(admin=False))
    assert mocks.of_type(ANP) == []
    assert len(mocks.of_type(NETPOL)) == 3


# ------------------------------------------------------------------------------------------ BrainTaskAccess


def _brain(grants: tuple[str, ...] = ()) -> BrainTaskAccess:
    return BrainTaskAccess(
        "brain",
        BrainTaskAccessArgs(
            task_namespace="agent-tasks",
            app_namespace="agent",
            brain_service_account="brain",
            app_namespace_grants=grants,
            labels=BASE_LABELS,
        ),
    )


TASK_RULES = [
    {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create", "delete", "get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["delete", "get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
]
BRAIN_SUBJECT = {"kind": "ServiceAccount", "name": "brain", "namespace": "agent"}


def test_brain_role_in_task_namespace_has_exactly_the_task_rules() -> None:
    mocks = run_under_mocks(_brain)
    role = one(mocks, ROLE, "bakerst-brain-task-manager")
    assert role["metadata"]["namespace"] == "agent-tasks"
    assert role["metadata"]["labels"] == _labels("brain-task-access")
    assert role["rules"] == TASK_RULES


def test_brain_binding_crosses_namespaces_to_the_brain_service_account() -> None:
    mocks = run_under_mocks(_brain)
    binding = one(mocks, BINDING, "bakerst-brain-task-manager")
    assert binding["metadata"]["namespace"] == "agent-tasks"
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "bakerst-brain-task-manager",
    }
    assert binding["subjects"] == [BRAIN_SUBJECT]


def test_brain_keeps_no_rights_in_the_app_namespace_by_default() -> None:
    mocks = run_under_mocks(_brain)
    assert len(mocks.of_type(ROLE)) == 1
    assert len(mocks.of_type(BINDING)) == 1
    assert all(r.inputs["metadata"]["namespace"] == "agent-tasks" for r in mocks.of_type(ROLE) + mocks.of_type(BINDING))


@pytest.mark.parametrize(
    ("grants", "rules"),
    [
        (
            ("runtime-secret",),
            [
                {
                    "apiGroups": [""],
                    "resources": ["secrets"],
                    "verbs": ["get", "patch", "update"],
                    "resourceNames": ["bakerst-secrets"],
                }
            ],
        ),
        (("restart-deployments",), [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "patch"]}]),
    ],
)
def test_app_namespace_grants_are_opt_in_and_narrow(grants: tuple[str, ...], rules: list[dict[str, Any]]) -> None:
    mocks = run_under_mocks(lambda: _brain(grants))
    role = one(mocks, ROLE, "bakerst-brain-app-access")
    assert role["metadata"]["namespace"] == "agent"
    assert role["rules"] == rules
    binding = one(mocks, BINDING, "bakerst-brain-app-access")
    assert binding["subjects"] == [BRAIN_SUBJECT]


def test_no_rbac_rule_anywhere_uses_wildcards_or_secrets_without_names() -> None:
    mocks = run_under_mocks(lambda: _brain(("runtime-secret", "restart-deployments")))
    for role in mocks.of_type(ROLE):
        for rule in role.inputs["rules"]:
            assert "*" not in rule["verbs"] and "*" not in rule["resources"] and "*" not in rule["apiGroups"]
            if "secrets" in rule["resources"]:
                assert rule.get("resourceNames") == ["bakerst-secrets"]
            assert "jobs" not in rule["resources"] or role.inputs["metadata"]["namespace"] == "agent-tasks"


# ----------------------------------------------------------------------------------------- HardenedPlatform


def test_platform_composes_components_with_every_object_labelled_and_named() -> None:
    cfg = parse_stack_config({"environment": "prod", "networkIsolation": '{"adminNetworkPolicy": true}'})
    mocks = run_under_mocks(lambda: HardenedPlatform("bakerst", HardenedPlatformArgs(config=cfg)))
    components = sorted(r.type for r in mocks.resources if not r.custom)  # registration order is not a contract
    assert components == [
        "bakerst:hooks:HooksRuntime",
        "bakerst:platform:HardenedPlatform",
        "bakerst:security:BrainTaskAccess",
        "bakerst:security:TaskNamespace",
        "bakerst:security:TaskNetworkPolicies",
    ]
    for resource in mocks.resources:
        parent = mocks.parent_of(resource)
        if resource.type == "bakerst:platform:HardenedPlatform":
            assert parent.endswith("::bakerst-test-test")  # the root stack
        elif not resource.custom:
            assert parent.split("::")[-2].endswith("bakerst:platform:HardenedPlatform"), parent
        else:  # every Kubernetes object is a child of one of the security components or the hooks config
            owner = parent.split("::")[-2].split("$")[-1]
            assert owner.startswith(("bakerst:security:", "bakerst:hooks:")), (resource.name, parent)
    objects = kubernetes_objects(mocks)
    assert len(objects) == 11  # 10 isolation objects + the hooks runtime ConfigMap
    for obj in objects:
        labels = obj.inputs["metadata"]["labels"]
        assert labels["app.kubernetes.io/part-of"] == "baker-street"
        assert labels["app.kubernetes.io/managed-by"] == "pulumi"
        assert labels["bakerst.io/environment"] == "prod"
        assert obj.inputs["metadata"]["name"]
