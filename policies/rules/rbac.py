"""RBAC least privilege (BSH-RBA-01): no wildcards, no cluster-admin, little read access to Secrets, and a task
ServiceAccount with no rights and no token."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, Severity

from policies.k8s import as_list, describe, get, kind_of
from policies.rules._objects import objects, of_kind, task_namespaces
from policies.spec import PolicySpec

ADMIN_ROLES = frozenset({"cluster-admin"})
ADMIN_GROUPS = frozenset({"system:masters"})
#: Built-in roles too broad to grant across every namespace (``edit`` reads Secrets).
CLUSTER_WIDE_FORBIDDEN = frozenset({"admin", "edit"})
#: Groups every ServiceAccount (or every caller) belongs to.
BROAD_GROUPS = frozenset({"system:serviceaccounts", "system:authenticated", "system:unauthenticated"})
SECRET_READ_VERBS = frozenset({"get", "list", "watch", "*"})


def _rules(args: Any) -> list[Mapping[str, Any]]:
    return [r for r in as_list(args.props.get("rules")) if isinstance(r, Mapping)]


def no_wildcards(args: Any, report: ReportViolation) -> None:
    kind = kind_of(args.resource_type)
    if kind not in ("Role", "ClusterRole"):
        return
    what = describe(kind, args.props)
    if args.props.get("aggregationRule") is not None:
        report(f"{what} aggregates other ClusterRoles (aggregationRule); its rights cannot be reviewed here.", args.urn)
    for index, rule in enumerate(_rules(args)):
        for field in ("verbs", "resources", "apiGroups", "resourceNames", "nonResourceURLs"):
            values = [str(v) for v in as_list(rule.get(field))]
            if any("*" in v for v in values):
                report(f"{what} rule {index} uses a wildcard in {field} ({', '.join(values)}).", args.urn)


def no_cluster_admin(args: Any, report: ReportViolation) -> None:
    kind = kind_of(args.resource_type)
    if kind not in ("RoleBinding", "ClusterRoleBinding"):
        return
    what = describe(kind, args.props)
    role = str(get(args.props, "roleRef", "name"))
    if role in ADMIN_ROLES or (kind == "ClusterRoleBinding" and role in CLUSTER_WIDE_FORBIDDEN):
        scope = " cluster-wide" if kind == "ClusterRoleBinding" else ""
        report(f"{what} binds {role}{scope}.", args.urn)
    for subject in as_list(args.props.get("subjects")):
        if isinstance(subject, Mapping) and subject.get("kind") == "Group" and subject.get("name") in ADMIN_GROUPS:
            report(f"{what} binds the group {subject.get('name')}.", args.urn)


def secrets_read_limited(args: Any, report: ReportViolation) -> None:
    kind = kind_of(args.resource_type)
    if kind not in ("Role", "ClusterRole"):
        return
    what = describe(kind, args.props)
    for index, rule in enumerate(_rules(args)):
        groups = {str(g) for g in as_list(rule.get("apiGroups"))}
        resources = {str(r) for r in as_list(rule.get("resources"))}
        verbs = {str(v) for v in as_list(rule.get("verbs"))}
        if groups & {"", "*"} and resources & {"secrets", "*"} and verbs & SECRET_READ_VERBS:
            names = as_list(rule.get("resourceNames"))
            scope = f" (only {', '.join(map(str, names))})" if names else ""
            report(f"{what} rule {index} can read Secrets{scope}: {', '.join(sorted(verbs))}.", args.urn)


def _names_task_subject(subject: Any, binding_namespace: str, task_namespace: str) -> bool:
    """Whether a binding subject can be a task pod's identity (any ServiceAccount of the namespace)."""
    if not isinstance(subject, Mapping):
        return False
    kind, name = subject.get("kind"), str(subject.get("name", ""))
    if kind == "ServiceAccount":
        return bool(subject.get("namespace", binding_namespace) == task_namespace)
    if kind == "User":
        return name.startswith(f"system:serviceaccount:{task_namespace}:")
    if kind == "Group":
        return name in BROAD_GROUPS or name == f"system:serviceaccounts:{task_namespace}"
    return False


def task_service_account(args: Any, report: ReportViolation) -> None:
    objs = objects(args)
    for namespace in task_namespaces(objs):
        for account in (o for o in of_kind(objs, "ServiceAccount") if o.namespace == namespace.name):
            if account.props.get("automountServiceAccountToken") is not False:
                report(
                    f"ServiceAccount {namespace.name}/{account.name} does not set automountServiceAccountToken: false.",
                    account.urn,
                )
        for binding in of_kind(objs, "RoleBinding", "ClusterRoleBinding"):
            for subject in as_list(binding.props.get("subjects")):
                if _names_task_subject(subject, binding.namespace, namespace.name):
                    role = get(binding.props, "roleRef", "name")
                    report(
                        f"{describe(binding.kind, binding.props)} grants {role} to {subject.get('kind')} "
                        f"{subject.get('name')}, an identity task pods of {namespace.name} can hold.",
                        binding.urn,
                    )


SPECS = [
    PolicySpec(
        name="rbac-no-wildcards",
        kind="resource",
        description="No Role or ClusterRole uses '*' in verbs, resources, API groups, resource names or URLs.",
        validate=no_wildcards,
        remediation="list the exact verbs, resources and API groups the subject needs.",
        severity=Severity.HIGH,
    ),
    PolicySpec(
        name="rbac-no-cluster-admin",
        kind="resource",
        description="Nothing binds cluster-admin or the system:masters group, or admin/edit cluster-wide.",
        validate=no_cluster_admin,
        remediation="bind a Role with only the rights needed, in the namespace where they are needed.",
        severity=Severity.CRITICAL,
    ),
    PolicySpec(
        name="rbac-secrets-read-limited",
        kind="resource",
        description="Roles that can read Secrets are flagged for review (CIS 5.1.2).",
        validate=secrets_read_limited,
        remediation="drop get/list/watch on secrets, or limit the rule with resourceNames to the Secrets needed.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
    ),
    PolicySpec(
        name="task-service-account-unprivileged",
        kind="stack",
        description="ServiceAccounts of the task namespace mount no token and are bound to no Role.",
        validate=task_service_account,
        remediation="set automountServiceAccountToken: false on the task ServiceAccount and remove every "
        "binding that names it (task pods need no Kubernetes API access).",
        severity=Severity.CRITICAL,
    ),
]
