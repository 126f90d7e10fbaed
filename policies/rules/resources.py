"""Resource quotas (BSH-QTA-01): a ResourceQuota and a LimitRange on the task namespace, and requests and
limits on every container of the stack."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, Severity

from policies.k8s import as_list, container_label, containers, get, judged_whole, workload_of
from policies.rules._objects import objects, of_kind, task_namespaces
from policies.spec import PolicySpec

QUOTA_KEYS = {
    "cpu": ("requests.cpu", "limits.cpu", "cpu"),
    "memory": ("requests.memory", "limits.memory", "memory"),
    "pods": ("pods", "count/pods"),
    "Jobs": ("count/jobs.batch",),
}


def task_quota(args: Any, report: ReportViolation) -> None:
    objs = objects(args)
    tasks = task_namespaces(objs)
    if not tasks:
        report("The stack has no task namespace (Namespace labelled app.kubernetes.io/component=task-namespace).", None)
    for namespace in tasks:
        quotas = [q for q in of_kind(objs, "ResourceQuota") if q.namespace == namespace.name]
        hard: dict[str, Any] = {}
        for quota in quotas:
            spec_hard = get(quota.props, "spec", "hard")
            if isinstance(spec_hard, Mapping):
                hard.update(spec_hard)
        if not quotas:
            report(f"Task namespace {namespace.name} has no ResourceQuota.", namespace.urn)
        else:
            for what, keys in QUOTA_KEYS.items():
                if not any(k in hard for k in keys):
                    report(f"The ResourceQuota of {namespace.name} sets no {what} ceiling ({' / '.join(keys)}).", None)
            for quota in quotas:
                if get(quota.props, "spec", "scopes") or get(quota.props, "spec", "scopeSelector"):
                    report(
                        f"ResourceQuota {namespace.name}/{quota.name} is scoped (scopes/scopeSelector): it may apply "
                        "to no task pod at all.",
                        quota.urn,
                    )
        ranges = [r for r in of_kind(objs, "LimitRange") if r.namespace == namespace.name]
        container_limits = [
            item
            for r in ranges
            for item in as_list(get(r.props, "spec", "limits"))
            if isinstance(item, Mapping) and item.get("type") == "Container"
        ]
        if not container_limits:
            report(f"Task namespace {namespace.name} has no LimitRange for containers.", namespace.urn)
            continue
        for field in ("default", "defaultRequest", "max"):
            for resource in ("cpu", "memory"):
                if not any(get(item, field, resource) not in (None, "") for item in container_limits):
                    report(f"The container LimitRange of {namespace.name} sets no {field}.{resource}.", None)


def container_resources(args: Any, report: ReportViolation) -> None:
    workload = workload_of(args.resource_type, args.props)
    if workload is None:
        return
    for list_name, container in containers(workload.spec):
        if list_name == "ephemeralContainers":
            continue
        if not judged_whole(workload, container):
            continue  # a patch states only what it changes
        missing = [
            f"{part}.{resource}"
            for part in ("requests", "limits")
            for resource in ("cpu", "memory")
            if get(container, "resources", part, resource) in (None, "")
        ]
        if missing:
            report(f"{workload.what} {container_label(list_name, container)} sets no {', '.join(missing)}.", args.urn)


SPECS = [
    PolicySpec(
        name="task-namespace-quota",
        kind="stack",
        description="The task namespace has an unscoped ResourceQuota (CPU, memory, pods, Jobs) and a container "
        "LimitRange (default, defaultRequest and max for CPU and memory).",
        validate=task_quota,
        remediation="set bakerst:taskQuota and bakerst:taskLimits (the TaskNamespace component creates both).",
        severity=Severity.HIGH,
    ),
    PolicySpec(
        name="container-resources-set",
        kind="resource",
        description="Every container declares CPU and memory requests and limits.",
        validate=container_resources,
        remediation="set resources.requests and resources.limits for cpu and memory on the container.",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
    ),
]
