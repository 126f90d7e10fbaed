"""Network isolation (BSH-NET-01): default deny in every namespace, NATS/DNS-only egress from the task
namespace, nothing in, and an AdminNetworkPolicy deny namespace owners cannot undo."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, Severity

from policies.k8s import as_list, get
from policies.rules._objects import K8sObject, objects, of_kind, task_namespaces
from policies.spec import PolicySpec


def _selects_all(policy: K8sObject) -> bool:
    selector = get(policy.props, "spec", "podSelector")
    if selector is None:
        return False
    return not (isinstance(selector, Mapping) and (selector.get("matchLabels") or selector.get("matchExpressions")))


def _types(policy: K8sObject) -> set[str]:
    types = {str(t) for t in as_list(get(policy.props, "spec", "policyTypes"))}
    if not types:  # Kubernetes' default: Ingress, plus Egress when egress rules exist
        types = {"Ingress"} | ({"Egress"} if get(policy.props, "spec", "egress") is not None else set())
    return types


def _denies(policy: K8sObject, direction: str) -> bool:
    return (
        _selects_all(policy)
        and direction.capitalize() in _types(policy)
        and not as_list(get(policy.props, "spec", direction))
    )


def _policies_in(objs: list[K8sObject], namespace: str) -> list[K8sObject]:
    return [o for o in of_kind(objs, "NetworkPolicy") if o.namespace == namespace]


def default_deny(args: Any, report: ReportViolation) -> None:
    objs = objects(args)
    tasks = {ns.name for ns in task_namespaces(objs)}
    for namespace in of_kind(objs, "Namespace"):
        policies = _policies_in(objs, namespace.name)
        if not any(_denies(p, "ingress") for p in policies):
            report(f"Namespace {namespace.name} has no default-deny ingress NetworkPolicy.", namespace.urn)
        if namespace.name in tasks and not any(_denies(p, "egress") for p in policies):
            report(f"Task namespace {namespace.name} has no default-deny egress NetworkPolicy.", namespace.urn)


def _peer_problem(peer: Any) -> str | None:
    if not isinstance(peer, Mapping):
        return "is not an object"
    if "ipBlock" in peer:
        return f"allows the IP block {get(peer, 'ipBlock', 'cidr')}"
    if not get(peer, "namespaceSelector", "matchLabels"):
        return "does not name a namespace (namespaceSelector.matchLabels)"
    if not get(peer, "podSelector", "matchLabels"):
        return "does not select specific pods (podSelector.matchLabels)"
    return None


def task_egress(args: Any, report: ReportViolation) -> None:
    objs = objects(args)
    allowed_ports = {int(p) for p in args.get_config().get("allowedEgressPorts", [53, 4222])}
    tasks = task_namespaces(objs)
    if not tasks:
        report("The stack has no task namespace (Namespace labelled app.kubernetes.io/component=task-namespace).", None)
    for namespace in tasks:
        for policy in _policies_in(objs, namespace.name):
            where = f"NetworkPolicy {namespace.name}/{policy.name}"
            if as_list(get(policy.props, "spec", "ingress")):
                report(f"{where} allows ingress into the task namespace.", policy.urn)
            for index, raw_rule in enumerate(as_list(get(policy.props, "spec", "egress"))):
                rule = raw_rule if isinstance(raw_rule, Mapping) else {}
                peers = as_list(rule.get("to"))
                if not peers:
                    report(f"{where} egress rule {index} allows every destination.", policy.urn)
                for peer in peers:
                    if (problem := _peer_problem(peer)) is not None:
                        report(f"{where} egress rule {index}: a peer {problem}.", policy.urn)
                ports = as_list(rule.get("ports"))
                if not ports:
                    report(f"{where} egress rule {index} allows every port.", policy.urn)
                for port in ports:
                    number = port.get("port") if isinstance(port, Mapping) else None
                    if number not in allowed_ports or (isinstance(port, Mapping) and port.get("endPort")):
                        report(
                            f"{where} egress rule {index} allows port {number!r}, not one of "
                            f"{sorted(allowed_ports)} (NATS, DNS).",
                            policy.urn,
                        )


def admin_deny(args: Any, report: ReportViolation) -> None:
    objs = objects(args)
    anps = list(of_kind(objs, "AdminNetworkPolicy"))
    for namespace in task_namespaces(objs):
        covering = [
            anp
            for anp in anps
            if get(anp.props, "spec", "subject", "namespaces", "matchLabels", "kubernetes.io/metadata.name")
            == namespace.name
            and any(
                isinstance(rule, Mapping) and rule.get("action") == "Deny"
                for rule in as_list(get(anp.props, "spec", "egress")) + as_list(get(anp.props, "spec", "ingress"))
            )
        ]
        if not covering:
            report(
                f"No AdminNetworkPolicy denies traffic for task namespace {namespace.name}; a NetworkPolicy added "
                "in that namespace could open it up.",
                namespace.urn,
            )


SPECS = [
    PolicySpec(
        name="namespace-default-deny",
        kind="stack",
        description="Every namespace of the stack has a default-deny ingress NetworkPolicy; the task namespace "
        "also denies egress by default.",
        validate=default_deny,
        remediation="add a NetworkPolicy with podSelector: {} and policyTypes [Ingress] (task namespace: "
        "[Ingress, Egress]) and no rules to the namespace.",
        severity=Severity.HIGH,
    ),
    PolicySpec(
        name="task-egress-nats-dns-only",
        kind="stack",
        description="Task pods may only reach NATS and cluster DNS (named namespace and pods, listed ports), and "
        "nothing may reach them.",
        validate=task_egress,
        remediation="limit the task namespace's egress rules to the NATS pods (bakerst:networkIsolation.natsPort) "
        "and kube-dns on 53, each peer with a namespaceSelector and a podSelector, and remove ingress rules.",
        severity=Severity.CRITICAL,
        config={"allowedEgressPorts": {"type": "array", "items": {"type": "integer"}, "default": [53, 4222]}},
    ),
    PolicySpec(
        name="task-namespace-admin-deny",
        kind="stack",
        description="An AdminNetworkPolicy denies task-namespace traffic beyond NATS and DNS, above any NetworkPolicy.",
        validate=admin_deny,
        remediation="set bakerst:networkIsolation.adminNetworkPolicy: true (needs a CNI implementing "
        "policy.networking.k8s.io/v1alpha1).",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
    ),
]
