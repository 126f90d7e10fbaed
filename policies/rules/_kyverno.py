"""Reading Kyverno ClusterPolicies (wire format) for stack policies."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policies.k8s import as_list, get
from policies.rules._objects import K8sObject, of_kind


def rules(policy: K8sObject) -> Iterator[Mapping[str, Any]]:
    for rule in as_list(get(policy.props, "spec", "rules")):
        if isinstance(rule, Mapping):
            yield rule


def cluster_policy_rules(objs: list[K8sObject]) -> Iterator[tuple[K8sObject, Mapping[str, Any]]]:
    for policy in of_kind(objs, "ClusterPolicy"):
        for rule in rules(policy):
            yield policy, rule


def matched_namespaces(rule: Mapping[str, Any]) -> set[str] | None:
    """Namespaces a rule's ``match`` is limited to; None when it matches every namespace."""
    match = rule.get("match")
    if not isinstance(match, Mapping):
        return None
    blocks = as_list(match.get("any")) + as_list(match.get("all"))
    if isinstance(match.get("resources"), Mapping):
        blocks.append({"resources": match["resources"]})
    names: set[str] = set()
    for block in blocks:
        namespaces = as_list(get(block, "resources", "namespaces"))
        if not namespaces:
            return None
        names.update(str(n) for n in namespaces)
    return names if blocks else None


def covers(rule: Mapping[str, Any], namespace: str) -> bool:
    names = matched_namespaces(rule)
    return names is None or namespace in names


def failure_action(policy: K8sObject, rule_part: Mapping[str, Any] | None) -> str:
    """The effective failure action: the rule part's own, else the (deprecated) policy-wide one, else Audit."""
    own = rule_part.get("failureAction") if isinstance(rule_part, Mapping) else None
    if own:
        return str(own)
    return str(get(policy.props, "spec", "validationFailureAction") or "Audit")
