"""A test-side checker for the Kubernetes Pod Security Standards ``restricted`` profile.

It follows the published control tables at
https://kubernetes.io/docs/concepts/security/pod-security-standards/ (latest version; ``restricted`` includes every
``baseline`` control) field by field, over plain dicts with camelCase keys as in Kubernetes YAML. It is not the Pod
Security Admission controller; it reads manifests as written (before API-server defaulting) and reports every
offending field rather than one message per control.

Rules that depend on whether a field is unset follow the published "Allowed Values":

* unset is allowed for the baseline fields (``privileged``, ``hostNetwork``, ``procMount``, ...);
* unset is a violation for ``allowPrivilegeEscalation`` (only ``false`` is allowed), for ``capabilities.drop``
  (must include ``ALL``), and for ``runAsNonRoot`` / ``seccompProfile.type`` unless the pod-level field provides an
  allowed value (an explicit container-level value overrides the pod-level one either way).

The three restricted controls the page marks "Linux only" (Privilege Escalation, Seccomp, Capabilities) do not apply
to a pod with ``spec.os.name: windows``; explicit ``Unconfined`` seccomp stays a baseline violation there.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Violation", "check_object", "check_pod_spec", "pod_specs_of"]

# --- published control names -------------------------------------------------------------------------------------

HOST_PROCESS = "HostProcess"
HOST_NAMESPACES = "Host Namespaces"
PRIVILEGED = "Privileged Containers"
CAPABILITIES = "Capabilities"
HOST_PATH = "HostPath Volumes"
HOST_PORTS = "Host Ports"
HOST_PROBES = "Host Probes / Lifecycle Hooks"
APPARMOR = "AppArmor"
SELINUX = "SELinux"
PROC_MOUNT = "/proc Mount Type"
SECCOMP = "Seccomp"
SYSCTLS = "Sysctls"
VOLUME_TYPES = "Volume Types"
PRIVILEGE_ESCALATION = "Privilege Escalation"
RUN_AS_NON_ROOT = "Running as Non-root"
RUN_AS_NON_ROOT_USER = "Running as Non-root user"

# --- published allowed values ------------------------------------------------------------------------------------

#: Baseline: capabilities a container may add (the container runtime's default set).
BASELINE_ADDABLE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
#: Restricted: the only capability a container may add back after dropping ALL.
RESTRICTED_ADDABLE_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})
APPARMOR_TYPES = frozenset({"RuntimeDefault", "Localhost"})
APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
SECCOMP_TYPES = frozenset({"RuntimeDefault", "Localhost"})
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
RESTRICTED_VOLUME_TYPES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
)
#: Container lists of a PodSpec, each checked by every container-level control.
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
LIFECYCLE_HANDLERS = ("postStart", "preStop")
HANDLER_KINDS = ("httpGet", "tcpSocket")

#: Kinds whose pod template sits at ``spec.template``.
TEMPLATED_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"})


@dataclass(frozen=True)
class Violation:
    """One field that breaks one published control."""

    control: str
    path: str
    detail: str


# --- small readers over untyped YAML -----------------------------------------------------------------------------

_EMPTY: Mapping[str, Any] = {}


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else _EMPTY


def _seq(value: object) -> Sequence[Any]:
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return value
    return ()


def _unset_or_false(value: object) -> bool:
    return value is None or value is False


def _is_zero(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value == 0


@dataclass(frozen=True)
class _Container:
    path: str  # e.g. "spec.initContainers[0]"
    spec: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.spec.get("name", "?"))

    @property
    def security_context(self) -> Mapping[str, Any]:
        return _map(self.spec.get("securityContext"))

    def at(self, field: str) -> str:
        return f"{self.path}.{field}"

    def sc_path(self, field: str) -> str:
        return f"{self.path}.securityContext.{field}"


def _containers(pod_spec: Mapping[str, Any]) -> Iterator[_Container]:
    for list_name in CONTAINER_LISTS:
        for index, container in enumerate(_seq(pod_spec.get(list_name))):
            yield _Container(f"spec.{list_name}[{index}]", _map(container))


def _is_windows(pod_spec: Mapping[str, Any]) -> bool:
    return _map(pod_spec.get("os")).get("name") == "windows"


# --- baseline controls -------------------------------------------------------------------------------------------


def _host_process(pod_spec: Mapping[str, Any], containers: Sequence[_Container]) -> list[Violation]:
    found = []
    pod_value = _map(_map(pod_spec.get("securityContext")).get("windowsOptions")).get("hostProcess")
    if not _unset_or_false(pod_value):
        found.append(
            Violation(HOST_PROCESS, "spec.securityContext.windowsOptions.hostProcess", f"hostProcess={pod_value!r}")
        )
    for c in containers:
        value = _map(c.security_context.get("windowsOptions")).get("hostProcess")
        if not _unset_or_false(value):
            found.append(
                Violation(
                    HOST_PROCESS,
                    c.sc_path("windowsOptions.hostProcess"),
                    f"container {c.name!r}: hostProcess={value!r}",
                )
            )
    return found


def _host_namespaces(pod_spec: Mapping[str, Any]) -> list[Violation]:
    return [
        Violation(HOST_NAMESPACES, f"spec.{field}", f"{field}={pod_spec.get(field)!r} shares a host namespace")
        for field in ("hostNetwork", "hostPID", "hostIPC")
        if not _unset_or_false(pod_spec.get(field))
    ]


def _privileged(containers: Sequence[_Container]) -> list[Violation]:
    return [
        Violation(PRIVILEGED, c.sc_path("privileged"), f"container {c.name!r}: privileged={value!r}")
        for c in containers
        if not _unset_or_false(value := c.security_context.get("privileged"))
    ]


def _capabilities(containers: Sequence[_Container], *, linux: bool) -> list[Violation]:
    found = []
    for c in containers:
        caps = _map(c.security_context.get("capabilities"))
        if linux and "ALL" not in _seq(caps.get("drop")):
            found.append(
                Violation(
                    CAPABILITIES,
                    c.sc_path("capabilities.drop"),
                    f"container {c.name!r}: restricted requires capabilities.drop to include ALL "
                    f"(got {list(_seq(caps.get('drop')))!r})",
                )
            )
        for index, cap in enumerate(_seq(caps.get("add"))):
            path = c.sc_path(f"capabilities.add[{index}]")
            if cap not in BASELINE_ADDABLE_CAPABILITIES:
                found.append(
                    Violation(
                        CAPABILITIES, path, f"container {c.name!r}: adds {cap!r}, beyond the baseline default set"
                    )
                )
            elif linux and cap not in RESTRICTED_ADDABLE_CAPABILITIES:
                found.append(
                    Violation(
                        CAPABILITIES,
                        path,
                        f"container {c.name!r}: adds {cap!r}; restricted allows only NET_BIND_SERVICE",
                    )
                )
    return found


def _host_path_volumes(pod_spec: Mapping[str, Any]) -> list[Violation]:
    return [
        Violation(HOST_PATH, f"spec.volumes[{index}].hostPath", f"volume {_map(volume).get('name')!r} is a hostPath")
        for index, volume in enumerate(_seq(pod_spec.get("volumes")))
        if _map(volume).get("hostPath") is not None
    ]


def _host_ports(containers: Sequence[_Container]) -> list[Violation]:
    found = []
    for c in containers:
        for index, port in enumerate(_seq(c.spec.get("ports"))):
            value = _map(port).get("hostPort")
            if value is not None and not _is_zero(value):
                found.append(
                    Violation(HOST_PORTS, c.at(f"ports[{index}].hostPort"), f"container {c.name!r}: hostPort={value!r}")
                )
    return found


def _host_probes(containers: Sequence[_Container]) -> list[Violation]:
    found = []
    for c in containers:
        handlers: list[tuple[str, Mapping[str, Any]]] = [(probe, _map(c.spec.get(probe))) for probe in PROBES]
        lifecycle = _map(c.spec.get("lifecycle"))
        handlers += [(f"lifecycle.{hook}", _map(lifecycle.get(hook))) for hook in LIFECYCLE_HANDLERS]
        for where, handler in handlers:
            for kind in HANDLER_KINDS:
                host = _map(handler.get(kind)).get("host")
                if host not in (None, ""):
                    found.append(
                        Violation(HOST_PROBES, c.at(f"{where}.{kind}.host"), f"container {c.name!r}: host={host!r}")
                    )
    return found


def _apparmor(
    pod_spec: Mapping[str, Any], pod_metadata: Mapping[str, Any], containers: Sequence[_Container]
) -> list[Violation]:
    found = []
    pod_profile = _map(pod_spec.get("securityContext")).get("appArmorProfile")
    if pod_profile is not None and _map(pod_profile).get("type") not in APPARMOR_TYPES:
        found.append(
            Violation(
                APPARMOR,
                "spec.securityContext.appArmorProfile.type",
                f"type={_map(pod_profile).get('type')!r}; allowed: RuntimeDefault, Localhost",
            )
        )
    for c in containers:
        profile = c.security_context.get("appArmorProfile")
        if profile is not None and _map(profile).get("type") not in APPARMOR_TYPES:
            found.append(
                Violation(
                    APPARMOR,
                    c.sc_path("appArmorProfile.type"),
                    f"container {c.name!r}: type={_map(profile).get('type')!r}; allowed: RuntimeDefault, Localhost",
                )
            )
    for key, value in _map(pod_metadata.get("annotations")).items():
        if not str(key).startswith(APPARMOR_ANNOTATION_PREFIX):
            continue
        text = "" if value is None else str(value)
        if text not in ("", "runtime/default") and not text.startswith("localhost/"):
            found.append(
                Violation(
                    APPARMOR,
                    f"metadata.annotations['{key}']",
                    f"{text!r}; allowed: runtime/default, localhost/*",
                )
            )
    return found


def _selinux_options(options: Mapping[str, Any], path: str, who: str) -> list[Violation]:
    found = []
    se_type = options.get("type")
    if se_type is not None and se_type not in SELINUX_TYPES:
        found.append(
            Violation(SELINUX, f"{path}.type", f"{who}type={se_type!r}; allowed: {sorted(SELINUX_TYPES - {''})}")
        )
    for field in ("user", "role"):
        value = options.get(field)
        if value not in (None, ""):
            found.append(Violation(SELINUX, f"{path}.{field}", f"{who}{field}={value!r} must not be set"))
    return found


def _selinux(pod_spec: Mapping[str, Any], containers: Sequence[_Container]) -> list[Violation]:
    found = _selinux_options(
        _map(_map(pod_spec.get("securityContext")).get("seLinuxOptions")), "spec.securityContext.seLinuxOptions", ""
    )
    for c in containers:
        found += _selinux_options(
            _map(c.security_context.get("seLinuxOptions")), c.sc_path("seLinuxOptions"), f"container {c.name!r}: "
        )
    return found


def _proc_mount(containers: Sequence[_Container]) -> list[Violation]:
    return [
        Violation(PROC_MOUNT, c.sc_path("procMount"), f"container {c.name!r}: procMount={value!r}; allowed: Default")
        for c in containers
        if (value := c.security_context.get("procMount")) not in (None, "Default")
    ]


def _sysctls(pod_spec: Mapping[str, Any]) -> list[Violation]:
    found = []
    for index, sysctl in enumerate(_seq(_map(pod_spec.get("securityContext")).get("sysctls"))):
        name = _map(sysctl).get("name")
        if name not in SAFE_SYSCTLS:
            found.append(
                Violation(SYSCTLS, f"spec.securityContext.sysctls[{index}].name", f"{name!r} is not a safe sysctl")
            )
    return found


# --- seccomp: baseline and restricted together -------------------------------------------------------------------


def _seccomp(pod_spec: Mapping[str, Any], containers: Sequence[_Container], *, linux: bool) -> list[Violation]:
    """Baseline: an explicit type must be RuntimeDefault or Localhost (so never Unconfined), at pod or container level.

    Restricted (Linux): every container must end up with such a type, from its own field or, when that is unset,
    from the pod-level one.
    """
    found = []
    pod_profile = _map(pod_spec.get("securityContext")).get("seccompProfile")
    pod_ok = False
    if pod_profile is not None:
        pod_type = _map(pod_profile).get("type")
        pod_ok = pod_type in SECCOMP_TYPES
        if not pod_ok:
            found.append(
                Violation(
                    SECCOMP,
                    "spec.securityContext.seccompProfile.type",
                    f"type={pod_type!r}; allowed: RuntimeDefault, Localhost",
                )
            )
    for c in containers:
        profile = c.security_context.get("seccompProfile")
        if profile is not None:
            value = _map(profile).get("type")
            if value not in SECCOMP_TYPES:
                found.append(
                    Violation(
                        SECCOMP,
                        c.sc_path("seccompProfile.type"),
                        f"container {c.name!r}: type={value!r}; allowed: RuntimeDefault, Localhost",
                    )
                )
        elif linux and not pod_ok:
            found.append(
                Violation(
                    SECCOMP,
                    c.sc_path("seccompProfile.type"),
                    f"container {c.name!r}: unset, and no allowed pod-level spec.securityContext.seccompProfile.type",
                )
            )
    return found


# --- restricted-only controls ------------------------------------------------------------------------------------


def _volume_types(pod_spec: Mapping[str, Any]) -> list[Violation]:
    found = []
    for index, volume in enumerate(_seq(pod_spec.get("volumes"))):
        sources = {key for key, value in _map(volume).items() if key != "name" and value is not None}
        # A volume naming no source at all is defaulted to emptyDir by the API server.
        if sources and not sources & RESTRICTED_VOLUME_TYPES:
            found.append(
                Violation(
                    VOLUME_TYPES,
                    f"spec.volumes[{index}]",
                    f"volume {_map(volume).get('name')!r} uses {sorted(sources)}; "
                    f"allowed: {sorted(RESTRICTED_VOLUME_TYPES)}",
                )
            )
    return found


def _privilege_escalation(containers: Sequence[_Container]) -> list[Violation]:
    return [
        Violation(
            PRIVILEGE_ESCALATION,
            c.sc_path("allowPrivilegeEscalation"),
            f"container {c.name!r}: allowPrivilegeEscalation={value!r}; must be explicitly false",
        )
        for c in containers
        if (value := c.security_context.get("allowPrivilegeEscalation")) is not False
    ]


def _run_as_non_root(pod_spec: Mapping[str, Any], containers: Sequence[_Container]) -> list[Violation]:
    found = []
    pod_value = _map(pod_spec.get("securityContext")).get("runAsNonRoot")
    if pod_value is not None and pod_value is not True:
        found.append(
            Violation(RUN_AS_NON_ROOT, "spec.securityContext.runAsNonRoot", f"runAsNonRoot={pod_value!r}; must be true")
        )
    for c in containers:
        value = c.security_context.get("runAsNonRoot")
        if value is None:
            if pod_value is not True:
                found.append(
                    Violation(
                        RUN_AS_NON_ROOT,
                        c.sc_path("runAsNonRoot"),
                        f"container {c.name!r}: unset, and spec.securityContext.runAsNonRoot is not true",
                    )
                )
        elif value is not True:
            found.append(
                Violation(
                    RUN_AS_NON_ROOT,
                    c.sc_path("runAsNonRoot"),
                    f"container {c.name!r}: runAsNonRoot={value!r}; must be true (overrides the pod level)",
                )
            )
    return found


def _run_as_non_root_user(pod_spec: Mapping[str, Any], containers: Sequence[_Container]) -> list[Violation]:
    found = []
    if _is_zero(_map(pod_spec.get("securityContext")).get("runAsUser")):
        found.append(Violation(RUN_AS_NON_ROOT_USER, "spec.securityContext.runAsUser", "runAsUser=0 is root"))
    found += [
        Violation(RUN_AS_NON_ROOT_USER, c.sc_path("runAsUser"), f"container {c.name!r}: runAsUser=0 is root")
        for c in containers
        if _is_zero(c.security_context.get("runAsUser"))
    ]
    return found


# --- public API --------------------------------------------------------------------------------------------------


def check_pod_spec(pod_spec: Mapping[str, Any], pod_metadata: Mapping[str, Any] | None = None) -> list[Violation]:
    """Every baseline and restricted violation in one PodSpec; paths start at ``spec.`` (or ``metadata.``)."""
    metadata = pod_metadata if pod_metadata is not None else _EMPTY
    containers = list(_containers(pod_spec))
    linux = not _is_windows(pod_spec)
    return [
        # baseline
        *_host_process(pod_spec, containers),
        *_host_namespaces(pod_spec),
        *_privileged(containers),
        *_capabilities(containers, linux=linux),
        *_host_path_volumes(pod_spec),
        *_host_ports(containers),
        *_host_probes(containers),
        *_apparmor(pod_spec, metadata, containers),
        *_selinux(pod_spec, containers),
        *_proc_mount(containers),
        *_seccomp(pod_spec, containers, linux=linux),
        *_sysctls(pod_spec),
        # restricted
        *_volume_types(pod_spec),
        *(_privilege_escalation(containers) if linux else []),
        *_run_as_non_root(pod_spec, containers),
        *_run_as_non_root_user(pod_spec, containers),
    ]


def pod_specs_of(obj: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    """``(path prefix, pod metadata, pod spec)`` for each pod an object declares; ``[]`` for other kinds."""
    kind = obj.get("kind")
    if kind == "Pod":
        prefix, template = "", obj
    elif kind in TEMPLATED_KINDS:
        prefix, template = "spec.template", _map(_map(obj.get("spec")).get("template"))
    elif kind == "CronJob":
        job_spec = _map(_map(_map(obj.get("spec")).get("jobTemplate")).get("spec"))
        prefix, template = "spec.jobTemplate.spec.template", _map(job_spec.get("template"))
    else:
        return []
    spec = template.get("spec")
    if not isinstance(spec, Mapping):
        return []
    return [(prefix, _map(template.get("metadata")), spec)]


def check_object(obj: Mapping[str, Any]) -> list[Violation]:
    """:func:`check_pod_spec` over each pod of a Kubernetes object, with paths from the object's root."""
    found = []
    for prefix, metadata, spec in pod_specs_of(obj):
        for v in check_pod_spec(spec, metadata):
            found.append(Violation(v.control, f"{prefix}.{v.path}" if prefix else v.path, v.detail))
    return found
