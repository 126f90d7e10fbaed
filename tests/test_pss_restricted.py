"""The Pod Security Standards ``restricted`` checker: one case per published control, and upstream Baker Street."""

from __future__ import annotations

import copy
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.pss_restricted import Violation, check_object, check_pod_spec, pod_specs_of

UPSTREAM_K8S = Path(__file__).resolve().parents[2] / "shared" / "upstream" / "baker-street" / "k8s"

Pod = dict[str, Any]
Mutator = Callable[[Pod], object]  # edits {"metadata": ..., "spec": ...} in place; the result is ignored


def _hardened_container(name: str) -> Pod:
    return {
        "name": name,
        "image": "registry.example/app@sha256:0",
        "ports": [{"containerPort": 8080, "name": "http"}],
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
        },
    }


def compliant() -> tuple[Pod, Pod]:
    """A pod spec and metadata that meet every baseline and restricted control."""
    spec: Pod = {
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "runAsGroup": 10001,
            "fsGroup": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "initContainers": [_hardened_container("init")],
        "containers": [_hardened_container("app")],
        "volumes": [
            {"name": "cm", "configMap": {"name": "cfg"}},
            {"name": "tmp", "emptyDir": {}},
            {"name": "sec", "secret": {"secretName": "s"}},
            {"name": "proj", "projected": {"sources": []}},
            {"name": "api", "downwardAPI": {"items": []}},
            {"name": "pvc", "persistentVolumeClaim": {"claimName": "data"}},
            {"name": "csi", "csi": {"driver": "secrets-store.csi.k8s.io"}},
            {"name": "eph", "ephemeral": {"volumeClaimTemplate": {"spec": {}}}},
        ],
    }
    metadata: Pod = {"labels": {"app": "x"}}
    return spec, metadata


def _sc(pod: Pod, list_name: str = "containers", index: int = 0) -> Pod:
    """The securityContext of one container of ``pod`` ({"metadata", "spec"}), created if absent."""
    sc: Pod = pod["spec"][list_name][index].setdefault("securityContext", {})
    return sc


def _pod_sc(pod: Pod) -> Pod:
    """The pod-level securityContext of ``pod``, created if absent."""
    sc: Pod = pod["spec"].setdefault("securityContext", {})
    return sc


def test_compliant_pod_has_no_violations() -> None:
    spec, metadata = compliant()
    assert check_pod_spec(spec, metadata) == []
    assert check_pod_spec(spec) == []


C0 = "spec.containers[0].securityContext"
I0 = "spec.initContainers[0].securityContext"

# (id, mutation, control, path): the mutation must produce a violation of ``control`` at ``path``.
VIOLATIONS: list[tuple[str, Mutator, str, str]] = [
    (
        "allowPrivilegeEscalation-unset",
        lambda p: _sc(p).pop("allowPrivilegeEscalation"),
        "Privilege Escalation",
        f"{C0}.allowPrivilegeEscalation",
    ),
    (
        "allowPrivilegeEscalation-true",
        lambda p: _sc(p).update(allowPrivilegeEscalation=True),
        "Privilege Escalation",
        f"{C0}.allowPrivilegeEscalation",
    ),
    (
        "no-securityContext-at-all",
        lambda p: p["spec"]["containers"][0].pop("securityContext"),
        "Privilege Escalation",
        f"{C0}.allowPrivilegeEscalation",
    ),
    (
        "runAsNonRoot-missing",
        lambda p: _pod_sc(p).pop("runAsNonRoot"),
        "Running as Non-root",
        f"{C0}.runAsNonRoot",
    ),
    (
        "runAsNonRoot-pod-false",
        lambda p: _pod_sc(p).update(runAsNonRoot=False),
        "Running as Non-root",
        "spec.securityContext.runAsNonRoot",
    ),
    (
        "container-runAsNonRoot-false-overrides-pod-true",
        lambda p: _sc(p).update(runAsNonRoot=False),
        "Running as Non-root",
        f"{C0}.runAsNonRoot",
    ),
    (
        "runAsUser-0-pod",
        lambda p: _pod_sc(p).update(runAsUser=0),
        "Running as Non-root user",
        "spec.securityContext.runAsUser",
    ),
    (
        "runAsUser-0-container",
        lambda p: _sc(p).update(runAsUser=0),
        "Running as Non-root user",
        f"{C0}.runAsUser",
    ),
    (
        "capabilities-not-dropping-ALL",
        lambda p: _sc(p).update(capabilities={"drop": ["NET_RAW"]}),
        "Capabilities",
        f"{C0}.capabilities.drop",
    ),
    (
        "capabilities-unset",
        lambda p: _sc(p).pop("capabilities"),
        "Capabilities",
        f"{C0}.capabilities.drop",
    ),
    (
        "capabilities-add-NET_RAW",
        lambda p: _sc(p)["capabilities"].update(add=["NET_RAW"]),
        "Capabilities",
        f"{C0}.capabilities.add[0]",
    ),
    (
        "capabilities-add-SYS_ADMIN",
        lambda p: _sc(p)["capabilities"].update(add=["NET_BIND_SERVICE", "SYS_ADMIN"]),
        "Capabilities",
        f"{C0}.capabilities.add[1]",
    ),
    (
        "capabilities-add-CHOWN-baseline-only",
        lambda p: _sc(p)["capabilities"].update(add=["CHOWN"]),
        "Capabilities",
        f"{C0}.capabilities.add[0]",
    ),
    (
        "seccomp-unset",
        lambda p: _pod_sc(p).pop("seccompProfile"),
        "Seccomp",
        f"{C0}.seccompProfile.type",
    ),
    (
        "seccomp-Unconfined-container",
        lambda p: _sc(p).update(seccompProfile={"type": "Unconfined"}),
        "Seccomp",
        f"{C0}.seccompProfile.type",
    ),
    (
        "seccomp-Unconfined-pod",
        lambda p: _pod_sc(p).update(seccompProfile={"type": "Unconfined"}),
        "Seccomp",
        "spec.securityContext.seccompProfile.type",
    ),
    (
        "hostPath-volume",
        lambda p: p["spec"]["volumes"].append({"name": "host", "hostPath": {"path": "/var/run"}}),
        "HostPath Volumes",
        "spec.volumes[8].hostPath",
    ),
    (
        "hostPath-volume-is-also-a-restricted-volume-type",
        lambda p: p["spec"]["volumes"].append({"name": "host", "hostPath": {"path": "/var/run"}}),
        "Volume Types",
        "spec.volumes[8]",
    ),
    (
        "nfs-volume",
        lambda p: p["spec"]["volumes"].append({"name": "share", "nfs": {"server": "nas", "path": "/"}}),
        "Volume Types",
        "spec.volumes[8]",
    ),
    ("hostNetwork", lambda p: p["spec"].update(hostNetwork=True), "Host Namespaces", "spec.hostNetwork"),
    ("hostPID", lambda p: p["spec"].update(hostPID=True), "Host Namespaces", "spec.hostPID"),
    ("hostIPC", lambda p: p["spec"].update(hostIPC=True), "Host Namespaces", "spec.hostIPC"),
    (
        "privileged",
        lambda p: _sc(p).update(privileged=True),
        "Privileged Containers",
        f"{C0}.privileged",
    ),
    (
        "hostPort",
        lambda p: p["spec"]["containers"][0]["ports"][0].update(hostPort=8080),
        "Host Ports",
        "spec.containers[0].ports[0].hostPort",
    ),
    (
        "unsafe-sysctl",
        lambda p: _pod_sc(p).update(
            sysctls=[{"name": "net.ipv4.tcp_syncookies", "value": "1"}, {"name": "kernel.msgmax", "value": "1"}]
        ),
        "Sysctls",
        "spec.securityContext.sysctls[1].name",
    ),
    (
        "selinux-bad-type",
        lambda p: _sc(p).update(seLinuxOptions={"type": "spc_t"}),
        "SELinux",
        f"{C0}.seLinuxOptions.type",
    ),
    (
        "selinux-user-pod",
        lambda p: _pod_sc(p).update(seLinuxOptions={"user": "system_u"}),
        "SELinux",
        "spec.securityContext.seLinuxOptions.user",
    ),
    (
        "selinux-role",
        lambda p: _sc(p).update(seLinuxOptions={"type": "container_t", "role": "system_r"}),
        "SELinux",
        f"{C0}.seLinuxOptions.role",
    ),
    (
        "procMount-Unmasked",
        lambda p: _sc(p).update(procMount="Unmasked"),
        "/proc Mount Type",
        f"{C0}.procMount",
    ),
    (
        "apparmor-unconfined-annotation",
        lambda p: (
            p["metadata"]
            .setdefault("annotations", {})
            .update({"container.apparmor.security.beta.kubernetes.io/app": "unconfined"})
        ),
        "AppArmor",
        "metadata.annotations['container.apparmor.security.beta.kubernetes.io/app']",
    ),
    (
        "apparmor-Unconfined-pod-field",
        lambda p: _pod_sc(p).update(appArmorProfile={"type": "Unconfined"}),
        "AppArmor",
        "spec.securityContext.appArmorProfile.type",
    ),
    (
        "apparmor-Unconfined-container-field",
        lambda p: _sc(p).update(appArmorProfile={"type": "Unconfined"}),
        "AppArmor",
        f"{C0}.appArmorProfile.type",
    ),
    (
        "hostProcess-pod",
        lambda p: _pod_sc(p).update(windowsOptions={"hostProcess": True}),
        "HostProcess",
        "spec.securityContext.windowsOptions.hostProcess",
    ),
    (
        "hostProcess-container",
        lambda p: _sc(p).update(windowsOptions={"hostProcess": True}),
        "HostProcess",
        f"{C0}.windowsOptions.hostProcess",
    ),
    (
        "probe-host",
        lambda p: p["spec"]["containers"][0]["readinessProbe"]["httpGet"].update(host="10.0.0.1"),
        "Host Probes / Lifecycle Hooks",
        "spec.containers[0].readinessProbe.httpGet.host",
    ),
    (
        "lifecycle-host",
        lambda p: p["spec"]["containers"][0].update(lifecycle={"preStop": {"tcpSocket": {"host": "node", "port": 1}}}),
        "Host Probes / Lifecycle Hooks",
        "spec.containers[0].lifecycle.preStop.tcpSocket.host",
    ),
    (
        "initContainer-allowPrivilegeEscalation",
        lambda p: _sc(p, "initContainers").update(allowPrivilegeEscalation=True),
        "Privilege Escalation",
        f"{I0}.allowPrivilegeEscalation",
    ),
    (
        "initContainer-runAsUser-0",
        lambda p: _sc(p, "initContainers").update(runAsUser=0, runAsNonRoot=False),
        "Running as Non-root user",
        f"{I0}.runAsUser",
    ),
    (
        "initContainer-privileged",
        lambda p: _sc(p, "initContainers").update(privileged=True),
        "Privileged Containers",
        f"{I0}.privileged",
    ),
    (
        "ephemeralContainer-without-securityContext",
        lambda p: p["spec"].update(ephemeralContainers=[{"name": "debug", "image": "busybox"}]),
        "Privilege Escalation",
        "spec.ephemeralContainers[0].securityContext.allowPrivilegeEscalation",
    ),
    (
        "ephemeralContainer-capabilities",
        lambda p: p["spec"].update(ephemeralContainers=[{"name": "debug", "image": "busybox"}]),
        "Capabilities",
        "spec.ephemeralContainers[0].securityContext.capabilities.drop",
    ),
]


@pytest.mark.parametrize(("mutate", "control", "path"), [pytest.param(*case[1:], id=case[0]) for case in VIOLATIONS])
def test_each_control_finds_its_violation(mutate: Mutator, control: str, path: str) -> None:
    spec, metadata = compliant()
    mutate({"metadata": metadata, "spec": spec})
    found = check_pod_spec(spec, metadata)
    assert (control, path) in {(v.control, v.path) for v in found}, found


# (id, mutation): each stays compliant under the published rules.
ALLOWED: list[tuple[str, Mutator]] = [
    ("add-NET_BIND_SERVICE", lambda p: _sc(p)["capabilities"].update(add=["NET_BIND_SERVICE"])),
    ("drop-ALL-among-others", lambda p: _sc(p)["capabilities"].update(drop=["NET_RAW", "ALL"])),
    (
        "seccomp-only-on-every-container",
        lambda p: [
            _pod_sc(p).pop("seccompProfile"),
            _sc(p).update(seccompProfile={"type": "RuntimeDefault"}),
            _sc(p, "initContainers").update(seccompProfile={"type": "Localhost", "localhostProfile": "p.json"}),
        ],
    ),
    (
        "runAsNonRoot-only-on-every-container",
        lambda p: [
            _pod_sc(p).pop("runAsNonRoot"),
            _sc(p).update(runAsNonRoot=True),
            _sc(p, "initContainers").update(runAsNonRoot=True),
        ],
    ),
    ("runAsUser-unset", lambda p: _pod_sc(p).pop("runAsUser")),
    ("hostPort-0", lambda p: p["spec"]["containers"][0]["ports"][0].update(hostPort=0)),
    ("host-namespaces-false", lambda p: p["spec"].update(hostNetwork=False, hostPID=False, hostIPC=False)),
    ("privileged-false", lambda p: _sc(p).update(privileged=False)),
    ("procMount-Default", lambda p: _sc(p).update(procMount="Default")),
    (
        "safe-sysctls",
        lambda p: _pod_sc(p).update(
            sysctls=[{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}, {"name": "kernel.shm_rmid_forced"}]
        ),
    ),
    ("selinux-container_engine_t", lambda p: _sc(p).update(seLinuxOptions={"type": "container_engine_t"})),
    ("selinux-level-only", lambda p: _pod_sc(p).update(seLinuxOptions={"level": "s0:c123,c456"})),
    (
        "apparmor-allowed",
        lambda p: [
            _pod_sc(p).update(appArmorProfile={"type": "RuntimeDefault"}),
            _sc(p).update(appArmorProfile={"type": "Localhost", "localhostProfile": "k8s-app"}),
            p["metadata"]
            .setdefault("annotations", {})
            .update(
                {
                    "container.apparmor.security.beta.kubernetes.io/app": "localhost/k8s-app",
                    "container.apparmor.security.beta.kubernetes.io/init": "runtime/default",
                }
            ),
        ],
    ),
    ("hostProcess-false", lambda p: _sc(p).update(windowsOptions={"hostProcess": False})),
    ("probe-host-empty", lambda p: p["spec"]["containers"][0]["readinessProbe"]["httpGet"].update(host="")),
]


@pytest.mark.parametrize("mutate", [pytest.param(case[1], id=case[0]) for case in ALLOWED])
def test_published_allowed_values_pass(mutate: Mutator) -> None:
    spec, metadata = compliant()
    mutate({"metadata": metadata, "spec": spec})
    assert check_pod_spec(spec, metadata) == []


def test_a_bare_pod_breaks_the_restricted_controls_only() -> None:
    found = check_pod_spec({"containers": [{"name": "app", "image": "nginx"}]})
    assert {v.control for v in found} == {"Privilege Escalation", "Running as Non-root", "Seccomp", "Capabilities"}
    assert all(v.path.startswith("spec.containers[0].securityContext.") for v in found)


def test_the_linux_only_controls_skip_windows_pods() -> None:
    spec: Pod = {"os": {"name": "windows"}, "securityContext": {"runAsNonRoot": True}, "containers": [{"name": "w"}]}
    assert check_pod_spec(spec) == []
    spec["containers"][0]["securityContext"] = {"seccompProfile": {"type": "Unconfined"}}
    assert [v.control for v in check_pod_spec(spec)] == ["Seccomp"]


def test_violation_is_a_frozen_value() -> None:
    v = Violation("Seccomp", "spec.securityContext.seccompProfile.type", "x")
    with pytest.raises(AttributeError):
        v.control = "other"  # type: ignore[misc]
    assert v == Violation("Seccomp", "spec.securityContext.seccompProfile.type", "x")


def test_the_input_is_not_modified() -> None:
    spec, metadata = compliant()
    spec["securityContext"].pop("seccompProfile")
    before = copy.deepcopy((spec, metadata))
    check_pod_spec(spec, metadata)
    assert (spec, metadata) == before


# --- objects -----------------------------------------------------------------------------------------------------


def _wrap(kind: str, spec: Pod, metadata: Pod) -> Pod:
    template = {"metadata": metadata, "spec": spec}
    if kind == "Pod":
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", **metadata}, "spec": spec}
    if kind == "CronJob":
        body: Pod = {"schedule": "@daily", "jobTemplate": {"spec": {"template": template}}}
        return {"apiVersion": "batch/v1", "kind": kind, "metadata": {"name": "c"}, "spec": body}
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "w"}, "spec": {"template": template}}


@pytest.mark.parametrize(
    ("kind", "prefix"),
    [
        ("Pod", ""),
        ("Deployment", "spec.template"),
        ("StatefulSet", "spec.template"),
        ("DaemonSet", "spec.template"),
        ("ReplicaSet", "spec.template"),
        ("Job", "spec.template"),
        ("CronJob", "spec.jobTemplate.spec.template"),
    ],
)
def test_pod_specs_of_finds_the_pod_template(kind: str, prefix: str) -> None:
    spec, metadata = compliant()
    [(found_prefix, found_metadata, found_spec)] = pod_specs_of(_wrap(kind, spec, metadata))
    assert found_prefix == prefix
    assert found_spec == spec
    assert found_metadata["labels"] == {"app": "x"}


@pytest.mark.parametrize("kind", ["Service", "ConfigMap", "NetworkPolicy", "Namespace"])
def test_pod_specs_of_ignores_other_kinds(kind: str) -> None:
    assert pod_specs_of({"apiVersion": "v1", "kind": kind, "metadata": {"name": "x"}, "spec": {}}) == []
    assert check_object({"apiVersion": "v1", "kind": kind, "metadata": {"name": "x"}}) == []


def test_cronjob_template_is_checked_with_full_paths() -> None:
    spec, metadata = compliant()
    spec["initContainers"][0]["securityContext"].update(allowPrivilegeEscalation=True)
    metadata["annotations"] = {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}
    found = {(v.control, v.path) for v in check_object(_wrap("CronJob", spec, metadata))}
    assert found == {
        (
            "Privilege Escalation",
            "spec.jobTemplate.spec.template.spec.initContainers[0].securityContext.allowPrivilegeEscalation",
        ),
        (
            "AppArmor",
            "spec.jobTemplate.spec.template.metadata.annotations['container.apparmor.security.beta.kubernetes.io/app']",
        ),
    }


def test_check_object_on_a_pod_keeps_pod_paths() -> None:
    spec, metadata = compliant()
    spec["hostNetwork"] = True
    assert [(v.control, v.path) for v in check_object(_wrap("Pod", spec, metadata))] == [
        ("Host Namespaces", "spec.hostNetwork")
    ]


def test_compliant_deployment_passes() -> None:
    spec, metadata = compliant()
    assert check_object(_wrap("Deployment", spec, metadata)) == []


# --- upstream Baker Street ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def upstream_objects() -> dict[tuple[str, str], Pod]:
    if not (UPSTREAM_K8S / "kustomization.yaml").is_file():
        pytest.skip(f"upstream Baker Street manifests are not checked out at {UPSTREAM_K8S}")
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (needed for `kubectl kustomize`)")
    proc = subprocess.run(
        [kubectl, "kustomize", str(UPSTREAM_K8S)], capture_output=True, text=True, check=False, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    docs = [d for d in yaml.safe_load_all(proc.stdout) if isinstance(d, dict)]
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def _found(obj: Pod) -> set[tuple[str, str]]:
    return {(v.control, v.path) for v in check_object(obj)}


@pytest.mark.slow
def test_upstream_brain_root_init_container_is_flagged(upstream_objects: dict[tuple[str, str], Pod]) -> None:
    init = "spec.template.spec.initContainers[0].securityContext"
    assert {
        ("Privilege Escalation", f"{init}.allowPrivilegeEscalation"),
        ("Running as Non-root", f"{init}.runAsNonRoot"),
        ("Running as Non-root user", f"{init}.runAsUser"),
        ("Capabilities", f"{init}.capabilities.drop"),
    } <= _found(upstream_objects[("Deployment", "brain-blue")])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["nats", "qdrant"])
def test_upstream_deployments_without_security_context_are_flagged(
    upstream_objects: dict[tuple[str, str], Pod], name: str
) -> None:
    c0 = "spec.template.spec.containers[0].securityContext"
    assert {
        ("Privilege Escalation", f"{c0}.allowPrivilegeEscalation"),
        ("Running as Non-root", f"{c0}.runAsNonRoot"),
        ("Seccomp", f"{c0}.seccompProfile.type"),
        ("Capabilities", f"{c0}.capabilities.drop"),
    } <= _found(upstream_objects[("Deployment", name)])


@pytest.mark.slow
def test_upstream_has_violations_in_workloads_only(upstream_objects: dict[tuple[str, str], Pod]) -> None:
    flagged = {key for key, obj in upstream_objects.items() if check_object(obj)}
    assert {("Deployment", "brain-blue"), ("Deployment", "nats"), ("Deployment", "qdrant")} <= flagged
    assert all(kind in {"Pod", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"} for kind, _ in flagged)
