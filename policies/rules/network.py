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
        types = {"Ingress"} | ({"Egress"} if as_list(get(policy.props, "spec", "egress")) else set())
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


NAMESPACE_NAME = "kubernetes.io/metadata.name"


def _labels(selector: Any) -> dict[str, str]:
    labels = get(selector, "matchLabels")
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) else {}


def _peer_problem(peer: Any, port: Any, config: Mapping[str, Any], nats_namespaces: set[str]) -> str | None:
    """Why ``peer`` on ``port`` is not NATS or cluster DNS (None when it is)."""
    if not isinstance(peer, Mapping):
        return "is not an object"
    nats_port, dns_port = int(config.get("natsPort", 4222)), int(config.get("dnsPort", 53))
    if "ipBlock" in peer:
        cidr = get(peer, "ipBlock", "cidr")
        if port == dns_port and cidr in config.get("dnsAddresses", []) and not get(peer, "ipBlock", "except"):
            return None
        return f"allows the IP block {cidr}"
    namespace = _labels(peer.get("namespaceSelector")).get(NAMESPACE_NAME)
    pods = _labels(peer.get("podSelector"))
    if not namespace:
        return "does not name a namespace (namespaceSelector.matchLabels kubernetes.io/metadata.name)"
    if not pods:
        return "does not select specific pods (podSelector.matchLabels)"
    if port == nats_port and pods == dict(config.get("natsPodLabels", {"app": "nats"})):
        if namespace in nats_namespaces:
            return None
        where = ", ".join(sorted(nats_namespaces)) or "unknown"
        return f"on port {port!r} selects NATS-labelled pods in {namespace}, not where NATS runs ({where})"
    dns_labels = dict(config.get("dnsPodLabels", {"k8s-app": "kube-dns"}))
    if port == dns_port and namespace == config.get("dnsNamespace", "kube-system") and pods == dns_labels:
        return None
    return f"on port {port!r} selects {namespace}/{pods}, which is neither the NATS pods nor cluster DNS"


def selector_may_match(selector: Any, labels: Mapping[str, Any]) -> bool:
    """Whether a label selector may select an object with ``labels`` (anything it cannot evaluate: yes)."""
    if not isinstance(selector, Mapping):
        return True
    for key, value in _labels(selector).items():
        if str(labels.get(key)) != value:
            return False
    for expression in as_list(selector.get("matchExpressions")):
        if not isinstance(expression, Mapping):
            return True
        key, operator = str(expression.get("key")), expression.get("operator")
        values = {str(v) for v in as_list(expression.get("values"))}
        present, value = key in labels, str(labels.get(key))
        if (
            (operator == "In" and (not present or value not in values))
            or (operator == "NotIn" and present and value in values)
            or (operator == "Exists" and not present)
            or (operator == "DoesNotExist" and present)
        ):
            return False
    return True


def _anp_subject_covers(anp: K8sObject, namespace: K8sObject) -> bool:
    """Whether an (Baseline)AdminNetworkPolicy's subject may include ``namespace`` (fail closed)."""
    subject = get(anp.props, "spec", "subject")
    if not isinstance(subject, Mapping):
        return True
    selector = subject.get("namespaces")
    if selector is None and isinstance(subject.get("pods"), Mapping):
        selector = get(subject, "pods", "namespaceSelector")
    labels = {**namespace.labels, NAMESPACE_NAME: namespace.name}
    return selector_may_match(selector, labels)


def _nats_namespaces(objs: list[K8sObject], config: Mapping[str, Any], tasks: set[str]) -> set[str]:
    """Where NATS runs: the namespaces of the stack's workloads whose pods carry the NATS labels, else the stack's
    other (non-task) namespaces."""
    wanted = dict(config.get("natsPodLabels", {"app": "nats"}))
    found = set()
    for obj in objs:
        template_labels = get(obj.props, "spec", "template", "metadata", "labels")
        if isinstance(template_labels, Mapping) and all(str(template_labels.get(k)) == v for k, v in wanted.items()):
            found.add(obj.namespace)
    return found or {o.name for o in of_kind(objs, "Namespace")} - tasks


def task_egress(args: Any, report: ReportViolation) -> None:
    objs = objects(args)
    config = args.get_config()
    tasks = task_namespaces(objs)
    if not tasks:
        report("The stack has no task namespace (Namespace labelled app.kubernetes.io/component=task-namespace).", None)
    allowed_ports = {int(config.get("natsPort", 4222)), int(config.get("dnsPort", 53))}
    nats_namespaces = _nats_namespaces(objs, config, {t.name for t in tasks})
    for namespace in tasks:
        for policy in _policies_in(objs, namespace.name):
            where = f"NetworkPolicy {namespace.name}/{policy.name}"
            if as_list(get(policy.props, "spec", "ingress")):
                report(f"{where} allows ingress into the task namespace.", policy.urn)
            for index, raw_rule in enumerate(as_list(get(policy.props, "spec", "egress"))):
                rule = raw_rule if isinstance(raw_rule, Mapping) else {}
                peers = as_list(rule.get("to"))
                ports = as_list(rule.get("ports"))
                if not peers:
                    report(f"{where} egress rule {index} allows every destination.", policy.urn)
                if not ports:
                    report(f"{where} egress rule {index} allows every port.", policy.urn)
                for port in ports:
                    number = port.get("port") if isinstance(port, Mapping) else None
                    number = number if isinstance(number, int | float | str) else repr(number)
                    if number not in allowed_ports or (isinstance(port, Mapping) and port.get("endPort")):
                        report(
                            f"{where} egress rule {index} allows port {number!r}, not one of "
                            f"{sorted(allowed_ports)} (NATS, DNS).",
                            policy.urn,
                        )
                        continue
                    for peer in peers:
                        if (problem := _peer_problem(peer, number, config, nats_namespaces)) is not None:
                            report(f"{where} egress rule {index}: a peer {problem}.", policy.urn)
        for anp in of_kind(objs, "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"):
            if not _anp_subject_covers(anp, namespace):
                continue
            for direction in ("ingress", "egress"):
                for rule in as_list(get(anp.props, "spec", direction)):
                    if isinstance(rule, Mapping) and rule.get("action") == "Allow":
                        report(
                            f"{anp.kind} {anp.name} {direction} rule {rule.get('name')!r} allows traffic for the task "
                            f"namespace {namespace.name}, above every NetworkPolicy.",
                            anp.urn,
                        )


def _specific_pods(rule: Mapping[str, Any]) -> bool:
    """Every peer of a rule names a namespace and specific pods (so a Pass can only hand NATS/DNS-like traffic on)."""
    peers = as_list(rule.get("to")) + as_list(rule.get("from"))
    return bool(peers) and all(
        _labels(get(p, "pods", "namespaceSelector")).get(NAMESPACE_NAME) and _labels(get(p, "pods", "podSelector"))
        for p in peers
    )


def _deny_first(rules: list[Any]) -> bool:
    """A Deny rule exists and nothing broad is let through before it (ANP rules apply in order): no Allow rule, and
    no Pass rule other than one naming specific pods."""
    for rule in rules:
        action = rule.get("action") if isinstance(rule, Mapping) else None
        if action == "Deny":
            return True
        if action == "Allow" or (action == "Pass" and not _specific_pods(rule)):
            return False
    return False


def admin_deny(args: Any, report: ReportViolation) -> None:
    objs = objects(args)
    anps = list(of_kind(objs, "AdminNetworkPolicy"))
    for namespace in task_namespaces(objs):
        covering = [
            anp
            for anp in anps
            if get(anp.props, "spec", "subject", "namespaces", "matchLabels", NAMESPACE_NAME) == namespace.name
            and (
                _deny_first(as_list(get(anp.props, "spec", "egress")))
                or _deny_first(as_list(get(anp.props, "spec", "ingress")))
            )
        ]
        if not covering:
            report(
                f"No AdminNetworkPolicy denies traffic for task namespace {namespace.name} (a Deny rule with no Allow "
                "before it); a NetworkPolicy added in that namespace could open it up.",
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
        description="Task pods may only reach NATS (where it runs) and cluster DNS (named namespace and pods, listed "
        "ports); nothing may reach them; no (Baseline)AdminNetworkPolicy Allow rule may select them.",
        validate=task_egress,
        remediation="limit the task namespace's egress rules to the NATS pods on the NATS port and kube-dns on 53 "
        "(bakerst:networkIsolation), each peer naming its namespace and pods, remove ingress rules and Allow rules of "
        "(Baseline)AdminNetworkPolicies that select the task namespace; set this policy's nats*/dns* config when "
        "your NATS or DNS pods are labelled differently.",
        severity=Severity.CRITICAL,
        config={
            "natsPort": {"type": "integer", "default": 4222},
            "natsPodLabels": {"type": "object", "additionalProperties": {"type": "string"}, "default": {"app": "nats"}},
            "dnsPort": {"type": "integer", "default": 53},
            "dnsNamespace": {"type": "string", "default": "kube-system"},
            "dnsPodLabels": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "default": {"k8s-app": "kube-dns"},
            },
            "dnsAddresses": {"type": "array", "items": {"type": "string"}, "default": []},
        },
    ),
    PolicySpec(
        name="task-namespace-admin-deny",
        kind="stack",
        description="An AdminNetworkPolicy selecting the task namespace has a Deny rule that nothing broad (Allow, or "
        "Pass beyond specific pods such as NATS and DNS) precedes, above any NetworkPolicy.",
        validate=admin_deny,
        remediation="set bakerst:networkIsolation.adminNetworkPolicy: true (needs a CNI implementing "
        "policy.networking.k8s.io/v1alpha1).",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
    ),
]
