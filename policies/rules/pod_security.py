"""Pod security (BSH-PSS-01): Pod Security admission labels, the restricted profile on every pod template, and
a Kyverno rule that enforces it on pods created at run time."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, Severity

from policies.k8s import (
    as_list,
    container_label,
    containers,
    describe,
    get,
    is_patch,
    judged_whole,
    kind_of,
    labels_of,
    workload_of,
)
from policies.rules._kyverno import cluster_policy_rules, covers, failure_action, policy_exceptions
from policies.rules._objects import objects, of_kind
from policies.spec import PolicySpec

PSS_LEVELS = ("privileged", "baseline", "restricted")
#: Oldest profile version accepted (the oldest Kubernetes minor the project supports).
MIN_VERSION = "v1.30"
RESTRICTED_VOLUME_TYPES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
)
ALLOWED_ADDED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})
SELINUX_TYPES = ("container_t", "container_init_t", "container_kvm_t", "container_engine_t")
SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    }
)


# ------------------------------------------------------------------------------------------- namespace labels


def namespace_pod_security(args: Any, report: ReportViolation) -> None:
    if kind_of(args.resource_type) != "Namespace":
        return
    config = args.get_config()
    minimum = str(config.get("minVersion", MIN_VERSION))
    wanted = str(config.get("level", "restricted"))
    labels = labels_of(args.props)
    what = describe("Namespace", args.props)
    enforce = labels.get("pod-security.kubernetes.io/enforce")
    if is_patch(args.resource_type) and enforce is None and "pod-security.kubernetes.io/enforce-version" not in labels:
        return  # a patch that leaves Pod Security alone
    if enforce is None:
        report(f"{what} has no pod-security.kubernetes.io/enforce label (wanted {wanted!r}).", args.urn)
    elif enforce not in PSS_LEVELS or PSS_LEVELS.index(str(enforce)) < PSS_LEVELS.index(wanted):
        report(f"{what} enforces Pod Security {enforce!r}, weaker than {wanted!r}.", args.urn)
    if config.get("requireVersionPin", True) and enforce is not None:
        version = labels.get("pod-security.kubernetes.io/enforce-version")
        if not version or version == "latest":
            report(
                f"{what} does not pin pod-security.kubernetes.io/enforce-version (got {version!r}); "
                "'latest' changes the profile under you on every cluster upgrade.",
                args.urn,
            )
        elif not _version_ok(version, minimum):
            report(f"{what} pins Pod Security version {version!r}, older than {minimum}.", args.urn)


# ------------------------------------------------------------------------------------------ host access


def no_host_access(args: Any, report: ReportViolation) -> None:
    workload = workload_of(args.resource_type, args.props)
    if workload is None:
        return
    spec, what = workload.spec, workload.what
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field) is True:
            report(f"{what} sets {field}: true (shares the node's namespace).", args.urn)
    for volume in as_list(spec.get("volumes")):
        if isinstance(volume, Mapping) and "hostPath" in volume:
            path = get(volume, "hostPath", "path")
            report(f"{what} mounts hostPath volume {volume.get('name')!r} ({path}).", args.urn)
    for list_name, container in containers(spec):
        for port in as_list(container.get("ports")):
            if isinstance(port, Mapping) and port.get("hostPort") not in (None, 0):
                report(
                    f"{what} {container_label(list_name, container)} binds hostPort {port.get('hostPort')}.",
                    args.urn,
                )


# ------------------------------------------------------------------------------------------- privilege


def no_privilege(args: Any, report: ReportViolation) -> None:
    workload = workload_of(args.resource_type, args.props)
    if workload is None:
        return
    spec, what = workload.spec, workload.what
    if get(spec, "securityContext", "windowsOptions", "hostProcess") is True:
        report(f"{what} runs as a Windows HostProcess pod.", args.urn)
    for list_name, container in containers(spec):
        who = f"{what} {container_label(list_name, container)}"
        context = container.get("securityContext")
        context = context if isinstance(context, Mapping) else {}
        if context.get("privileged") is True:
            report(f"{who} is privileged.", args.urn)
        if context.get("allowPrivilegeEscalation") is True or (
            judged_whole(workload, container) and context.get("allowPrivilegeEscalation") is not False
        ):
            report(f"{who} does not set allowPrivilegeEscalation: false.", args.urn)
        if get(context, "windowsOptions", "hostProcess") is True:
            report(f"{who} runs as a Windows HostProcess container.", args.urn)
        dropped = {str(c) for c in as_list(get(context, "capabilities", "drop"))}
        if "ALL" not in dropped and judged_whole(workload, container):
            report(f"{who} does not drop ALL capabilities.", args.urn)
        added = sorted({str(c) for c in as_list(get(context, "capabilities", "add"))} - ALLOWED_ADDED_CAPABILITIES)
        if added:
            report(f"{who} adds capabilities {', '.join(added)} (only NET_BIND_SERVICE is allowed).", args.urn)


# ------------------------------------------------------------------------------------- restricted profile


def _baseline_problems(context: Mapping[str, Any]) -> list[str]:
    """What a pod or container securityContext sets that the baseline (and so the restricted) profile forbids."""
    problems = []
    if context.get("procMount") not in (None, "Default"):
        problems.append(f"sets procMount {context.get('procMount')!r}")
    selinux = context.get("seLinuxOptions")
    if isinstance(selinux, Mapping):
        if selinux.get("type") not in (None, "", *SELINUX_TYPES):
            problems.append(f"sets seLinuxOptions.type {selinux.get('type')!r}")
        if selinux.get("user") or selinux.get("role"):
            problems.append("sets seLinuxOptions.user or role")
    if get(context, "appArmorProfile", "type") == "Unconfined":
        problems.append("runs AppArmor-unconfined")
    return problems


#: Where each workload kind keeps its pod template's annotations.
_TEMPLATE_ANNOTATIONS = {
    "Pod": ("metadata", "annotations"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "metadata", "annotations"),
    "PodTemplate": ("template", "metadata", "annotations"),
}
for _kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"):
    _TEMPLATE_ANNOTATIONS[_kind] = ("spec", "template", "metadata", "annotations")


def restricted_profile(args: Any, report: ReportViolation) -> None:
    workload = workload_of(args.resource_type, args.props)
    if workload is None:
        return
    spec, what = workload.spec, workload.what
    pod_context = spec.get("securityContext")
    pod_context = pod_context if isinstance(pod_context, Mapping) else {}
    pod_non_root = pod_context.get("runAsNonRoot") is True
    pod_seccomp = get(pod_context, "seccompProfile", "type")
    if pod_context.get("runAsUser") == 0:
        report(f"{what} sets runAsUser: 0 for the pod.", args.urn)
    if pod_seccomp not in (None, "RuntimeDefault", "Localhost"):
        report(f"{what} sets seccompProfile {pod_seccomp!r} for the pod (RuntimeDefault or Localhost).", args.urn)
    for problem in _baseline_problems(pod_context):
        report(f"{what} pod {problem}.", args.urn)
    unsafe = sorted(
        str(get(s, "name")) for s in as_list(pod_context.get("sysctls")) if get(s, "name") not in SAFE_SYSCTLS
    )
    if unsafe:
        report(f"{what} sets sysctls outside the safe set: {', '.join(unsafe)}.", args.urn)
    annotations = get(args.props, *_TEMPLATE_ANNOTATIONS.get(workload.kind, ("metadata", "annotations")))
    for key, value in annotations.items() if isinstance(annotations, Mapping) else []:
        if str(key).startswith("container.apparmor.security.beta.kubernetes.io/") and value == "unconfined":
            report(f"{what} runs {str(key).rsplit('/', 1)[-1]} AppArmor-unconfined (annotation).", args.urn)
    for volume in as_list(spec.get("volumes")):
        if not isinstance(volume, Mapping) or "hostPath" in volume:
            continue  # hostPath is pod-no-host-access's finding
        types = set(volume) - {"name"}
        if types and not types <= RESTRICTED_VOLUME_TYPES:
            report(
                f"{what} volume {volume.get('name')!r} is of type {', '.join(sorted(types))}, "
                "not allowed by the restricted profile.",
                args.urn,
            )
    for list_name, container in containers(spec):
        who = f"{what} {container_label(list_name, container)}"
        context = container.get("securityContext")
        context = context if isinstance(context, Mapping) else {}
        non_root = context.get("runAsNonRoot")
        if non_root is False or (non_root is None and not pod_non_root and judged_whole(workload, container)):
            report(f"{who} may run as root (runAsNonRoot is not true for it or its pod).", args.urn)
        if context.get("runAsUser") == 0:
            report(f"{who} sets runAsUser: 0.", args.urn)
        seccomp = get(context, "seccompProfile", "type")
        if seccomp is None and pod_seccomp is None and judged_whole(workload, container):
            report(f"{who} has no seccompProfile (set RuntimeDefault on the pod or the container).", args.urn)
        elif seccomp not in (None, "RuntimeDefault", "Localhost"):
            report(f"{who} sets seccompProfile {seccomp!r} (RuntimeDefault or Localhost).", args.urn)
        for problem in _baseline_problems(context):
            report(f"{who} {problem}.", args.urn)


def read_only_rootfs(args: Any, report: ReportViolation) -> None:
    workload = workload_of(args.resource_type, args.props)
    if workload is None:
        return
    spec, what = workload.spec, workload.what
    for list_name, container in containers(spec):
        if list_name == "ephemeralContainers":
            continue
        flag = get(container, "securityContext", "readOnlyRootFilesystem")
        if flag is False or (flag is not True and judged_whole(workload, container)):
            report(f"{what} {container_label(list_name, container)} has a writable root filesystem.", args.urn)


# ----------------------------------------------------------------------------------- run-time enforcement


def _version_ok(version: Any, minimum: str) -> bool:
    """``latest`` or a pinned ``v1.N`` at least ``minimum`` (older pins lack checks the profile gained later)."""
    if version == "latest":
        return True
    match = re.fullmatch(r"v1\.(\d{1,3})", str(version))
    wanted = re.fullmatch(r"v1\.(\d{1,3})", minimum)
    return bool(match and wanted and int(match.group(1)) >= int(wanted.group(1)))


def kyverno_pod_security(args: Any, report: ReportViolation) -> None:
    objs = objects(args)
    minimum = str(args.get_config().get("minVersion", MIN_VERSION))
    exemptions = policy_exceptions(objs)
    candidates = [
        (policy, rule)
        for policy, rule in cluster_policy_rules(objs)
        if get(rule, "validate", "podSecurity", "level") == "restricted"
    ]
    if not candidates:
        report(
            "No Kyverno ClusterPolicy validates podSecurity level 'restricted'; pods the brain creates at run time "
            "are checked by nothing but admission labels.",
            None,
        )
        return
    sound = []
    for policy, rule in candidates:
        pss = get(rule, "validate", "podSecurity")
        where = f"{policy.name}/{rule.get('name')}"
        if as_list(pss.get("exclude")):
            controls = ", ".join(str(get(e, "controlName")) for e in as_list(pss.get("exclude")))
            report(f"The podSecurity rule {where} exempts controls ({controls}) from the restricted profile.", None)
        elif not _version_ok(pss.get("version", "latest"), minimum):
            report(f"The podSecurity rule {where} pins version {pss.get('version')!r}, older than {minimum}.", None)
        else:
            sound.append((policy, rule))
    for namespace in (o.name for o in of_kind(objs, "Namespace")):
        covering = [(p, r) for p, r in sound if covers(r, namespace, p, exemptions)]
        actions = {failure_action(p, r.get("validate"), namespace) for p, r in covering}
        if "Enforce" in actions:
            continue
        if not covering:
            report(f"Namespace {namespace} is not matched by an enforcing podSecurity 'restricted' rule.", None)
        else:
            report(
                f"The podSecurity 'restricted' rule for namespace {namespace} only audits "
                f"({', '.join(sorted(actions))}); set failureAction: Enforce.",
                None,
            )


SPECS = [
    PolicySpec(
        name="namespace-pod-security-enforced",
        kind="resource",
        description="Every namespace enforces the configured Pod Security level (default restricted), version pinned.",
        validate=namespace_pod_security,
        remediation="set the namespace's pod-security.kubernetes.io/enforce label to the required level and "
        "enforce-version to a pinned minor (bakerst:podSecurity).",
        severity=Severity.HIGH,
        config={
            "level": {"type": "string", "enum": list(PSS_LEVELS), "default": "restricted"},
            "requireVersionPin": {"type": "boolean", "default": True},
            "minVersion": {"type": "string", "pattern": "^v1\\.[0-9]{1,3}$", "default": MIN_VERSION},
        },
    ),
    PolicySpec(
        name="pod-no-host-access",
        kind="resource",
        description="No pod template uses hostNetwork, hostPID, hostIPC, hostPath volumes or hostPorts.",
        validate=no_host_access,
        remediation="remove host namespaces, hostPath volumes and hostPort from the pod template "
        "(use emptyDir/PVCs and Services instead).",
        severity=Severity.CRITICAL,
    ),
    PolicySpec(
        name="pod-no-privilege",
        kind="resource",
        description="No container is privileged, escalates privileges, keeps default capabilities or adds any "
        "(except NET_BIND_SERVICE).",
        validate=no_privilege,
        remediation="set securityContext.privileged: false, allowPrivilegeEscalation: false and "
        "capabilities.drop: [ALL] on every container; add nothing but NET_BIND_SERVICE.",
        severity=Severity.CRITICAL,
    ),
    PolicySpec(
        name="pod-restricted-profile",
        kind="resource",
        description="Every pod template meets the rest of the restricted profile: non-root, RuntimeDefault "
        "seccomp, allowed volume types, default procMount, no custom SELinux or unconfined AppArmor, safe sysctls.",
        validate=restricted_profile,
        remediation="set runAsNonRoot: true and seccompProfile.type: RuntimeDefault in the pod securityContext, "
        "never runAsUser: 0, and use only configMap/secret/emptyDir/PVC/projected/downwardAPI/csi/ephemeral volumes.",
        severity=Severity.HIGH,
    ),
    PolicySpec(
        name="container-read-only-rootfs",
        kind="resource",
        description="Every container runs with a read-only root filesystem.",
        validate=read_only_rootfs,
        remediation="set securityContext.readOnlyRootFilesystem: true and mount an emptyDir for each path the "
        "container writes (bakerst:appHardening.writablePaths).",
        severity=Severity.MEDIUM,
        enforcement=EnforcementLevel.ADVISORY,
    ),
    PolicySpec(
        name="kyverno-pod-security-enforced",
        kind="stack",
        description="A Kyverno ClusterPolicy enforces podSecurity 'restricted' on every namespace of the stack "
        "(covers task Jobs created at run time).",
        validate=kyverno_pod_security,
        remediation="deploy the pod-security-restricted ClusterPolicy with failureAction Enforce "
        "(bakerst:admission.failureAction) matching Pods in the app and task namespaces, with no exclusions.",
        severity=Severity.HIGH,
        config={"minVersion": {"type": "string", "pattern": "^v1\\.[0-9]{1,3}$", "default": MIN_VERSION}},
    ),
]
