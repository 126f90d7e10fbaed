"""A real Kubernetes control plane on loopback for the e2e lane: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler and kwok (fake nodes), built by ``scripts/tools``.

Admission and authorization as a production cluster has them (RBAC, PodSecurity, ResourceQuota, LimitRanger,
ServiceAccount, NamespaceLifecycle, NodeRestriction); every port is a random free one on 127.0.0.1; every
certificate is made here, valid from an hour ago for a year (nothing depends on the date the tests run).
``stop`` ends every process it started (each in its own process group), also after a failed start.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
CRD_DIRS = ("external-secrets", "kyverno", "network-policy-api")
NODE_NAME = "kwok-node-0"
STORAGE_CLASS = "e2e-static"
STATIC_VOLUMES = 12
ADMISSION_PLUGINS = (
    "NamespaceLifecycle,LimitRanger,ServiceAccount,PodSecurity,ResourceQuota,NodeRestriction,"
    "DefaultTolerationSeconds,DefaultStorageClass,StorageObjectInUseProtection,Priority,RuntimeClass,"
    "MutatingAdmissionWebhook,ValidatingAdmissionPolicy,ValidatingAdmissionWebhook"
)
KWOK_STAGES = (
    "node/fast/node-initialize.yaml",
    "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "pod/fast/pod-ready.yaml",
    "pod/fast/pod-complete.yaml",
    "pod/fast/pod-delete.yaml",
)


class ClusterError(RuntimeError):
    """The control plane did not come up; the message names the component and quotes its log."""


#: The tools every test of the lane needs (the control plane and the Pulumi engine); the others (supply chain,
#: Kyverno's controllers) are asked for by the tests that use them, which skip naming their build command.
LANE_TOOLS = ("etcd", "kwok", "kube", "pulumi", "pulumi-kubernetes")


def tools_environment(needed: Sequence[str] = LANE_TOOLS) -> tuple[dict[str, str], str]:
    """The environment ``scripts/tools env`` gives, and which of ``needed`` is missing ('' when all are built)."""
    proc = subprocess.run(
        ["python3", str(REPO_ROOT / "scripts" / "tools"), "env", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    tools: dict[str, str] = json.loads(proc.stdout)
    env = dict(os.environ)
    env.update(tools)
    return env, " ".join(name for name in tools["BSH_TOOLS_MISSING"].split() if name in needed)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _name(common: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@dataclass
class Certificates:
    """CA, API server serving cert, service-account key pair and an admin (system:masters) client cert."""

    directory: Path

    def make(self) -> None:
        now = datetime.datetime.now(datetime.UTC)
        valid_from, valid_to = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=365)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = (
            x509.CertificateBuilder()
            .subject_name(_name("bakerst-e2e-ca"))
            .issuer_name(_name("bakerst-e2e-ca"))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(valid_from)
            .not_valid_after(valid_to)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
            )  # digitalSignature, keyCertSign, cRLSign
            .sign(ca_key, hashes.SHA256())
        )

        def leaf(name: str, subject: x509.Name, usage: x509.ObjectIdentifier, sans: Sequence[x509.GeneralName]) -> None:
            key = ec.generate_private_key(ec.SECP256R1())
            builder = (
                x509.CertificateBuilder()
                .subject_name(subject)
                .issuer_name(ca.subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(valid_from)
                .not_valid_after(valid_to)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            )
            if sans:
                builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
            cert = builder.sign(ca_key, hashes.SHA256())
            (self.directory / f"{name}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            (self.directory / f"{name}.key").write_bytes(_pem_key(key))

        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        dns = ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"]
        sans: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
        sans += [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.IPAddress(ipaddress.ip_address("10.96.0.1"))]
        leaf("apiserver", _name("kube-apiserver"), x509.oid.ExtendedKeyUsageOID.SERVER_AUTH, sans)
        leaf("admin", _name("bakerst-e2e-admin", "system:masters"), x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH, [])
        sa_key = ec.generate_private_key(ec.SECP256R1())
        (self.directory / "sa.key").write_bytes(_pem_key(sa_key))
        (self.directory / "sa.pub").write_bytes(
            sa_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def path(self, name: str) -> str:
        return str(self.directory / name)


@dataclass
class Cluster:
    """The control plane; ``start`` then ``stop`` (always, also when ``start`` raised)."""

    workdir: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    server: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def kubeconfig(self) -> Path:
        return self.workdir / "admin.kubeconfig"

    @property
    def certs(self) -> Certificates:
        return Certificates(self.workdir / "pki")

    def log(self, name: str) -> Path:
        return self.workdir / "logs" / f"{name}.log"

    def _spawn(self, name: str, argv: list[str]) -> None:
        self.log(name).parent.mkdir(parents=True, exist_ok=True)
        with self.log(name).open("wb") as out:
            self.processes[name] = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, env=self.env, start_new_session=True, cwd=self.workdir
            )

    def _tail(self, name: str, lines: int = 30) -> str:
        try:
            return "\n".join(self.log(name).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _wait(self, what: str, component: str, check: Any, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.processes.get(component)
            if proc is not None and proc.poll() is not None:
                raise ClusterError(
                    f"{component} exited ({proc.returncode}) waiting for {what}:\n{self._tail(component)}"
                )
            if check():
                return
            time.sleep(0.3)
        raise ClusterError(
            f"timed out after {timeout:.0f} s waiting for {what}; {component} log:\n{self._tail(component)}"
        )

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True, as_user: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        argv = ["kubectl", f"--kubeconfig={self.kubeconfig}", *args]
        if as_user:
            argv.insert(2, f"--as={as_user}")
        proc = subprocess.run(
            argv, check=False, input=input, capture_output=True, text=True, env=self.env, timeout=timeout
        )
        if check and proc.returncode != 0:
            raise ClusterError(f"kubectl {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc

    def apply(self, objects: list[dict[str, Any]], *extra: str) -> subprocess.CompletedProcess[str]:
        return self.kubectl("apply", "-f", "-", *extra, input=yaml.safe_dump_all(objects), check=False)

    def start(self) -> None:
        started = time.monotonic()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.certs.make()
        c = self.certs
        etcd_client, etcd_peer, api_port = free_port(), free_port(), free_port()
        self.server = f"https://127.0.0.1:{api_port}"
        self._write_kubeconfig()

        self._spawn(
            "etcd",
            [
                "etcd",
                "--name=e2e",
                f"--data-dir={self.workdir / 'etcd'}",
                f"--listen-client-urls=http://127.0.0.1:{etcd_client}",
                f"--advertise-client-urls=http://127.0.0.1:{etcd_client}",
                f"--listen-peer-urls=http://127.0.0.1:{etcd_peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{etcd_peer}",
                f"--initial-cluster=e2e=http://127.0.0.1:{etcd_peer}",
                "--unsafe-no-fsync",
                "--log-level=warn",
            ],
        )
        self._wait("etcd to listen", "etcd", lambda: _port_open(etcd_client), timeout=30)
        self.timings["etcd"] = time.monotonic() - started

        self._spawn(
            "kube-apiserver",
            [
                "kube-apiserver",
                f"--etcd-servers=http://127.0.0.1:{etcd_client}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={api_port}",
                f"--tls-cert-file={c.path('apiserver.crt')}",
                f"--tls-private-key-file={c.path('apiserver.key')}",
                f"--client-ca-file={c.path('ca.crt')}",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={c.path('sa.pub')}",
                f"--service-account-signing-key-file={c.path('sa.key')}",
                "--service-cluster-ip-range=10.96.0.0/24",
                "--authorization-mode=Node,RBAC",
                f"--enable-admission-plugins={ADMISSION_PLUGINS}",
                "--allow-privileged=true",  # so that Pod Security, not the API server's global switch, judges
                "--endpoint-reconciler-type=none",
                "--anonymous-auth=false",
                "--profiling=false",
            ],
        )
        self._wait("/readyz", "kube-apiserver", self._ready, timeout=120)
        self.timings["kube-apiserver"] = time.monotonic() - started

        kubeconfig = f"--kubeconfig={self.kubeconfig}"
        self._spawn(
            "kube-controller-manager",
            [
                "kube-controller-manager",
                kubeconfig,
                f"--authentication-kubeconfig={self.kubeconfig}",
                f"--authorization-kubeconfig={self.kubeconfig}",
                "--bind-address=127.0.0.1",
                f"--secure-port={free_port()}",
                f"--service-account-private-key-file={c.path('sa.key')}",
                f"--root-ca-file={c.path('ca.crt')}",
                "--use-service-account-credentials=true",
                "--leader-elect=false",
                "--service-cluster-ip-range=10.96.0.0/24",
            ],
        )
        self._spawn(
            "kube-scheduler",
            [
                "kube-scheduler",
                kubeconfig,
                f"--authentication-kubeconfig={self.kubeconfig}",
                f"--authorization-kubeconfig={self.kubeconfig}",
                "--bind-address=127.0.0.1",
                f"--secure-port={free_port()}",
                "--leader-elect=false",
            ],
        )
        stages = Path(self.env["BSH_KWOK_STAGES"])
        self._spawn(
            "kwok",
            [
                "kwok",
                kubeconfig,
                f"--manage-single-node={NODE_NAME}",
                "--node-lease-duration-seconds=40",
                "--cidr=10.244.0.0/16",
                "--node-ip=127.0.0.1",
                *[f"--config={stages / s}" for s in KWOK_STAGES],
            ],
        )
        self._create_node()
        self._wait("the kwok node to be Ready", "kwok", self._node_ready, timeout=60)
        self._wait(
            "the default ServiceAccount (controller-manager)",
            "kube-controller-manager",
            lambda: self.kubectl("get", "serviceaccount", "default", "-n", "default", check=False).returncode == 0,
            timeout=90,
        )
        self.timings["controllers+node"] = time.monotonic() - started
        self._create_volumes()
        self.apply_crds()
        self.timings["crds"] = time.monotonic() - started

    def _write_kubeconfig(self) -> None:
        c = self.certs
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": "e2e", "cluster": {"server": self.server, "certificate-authority": c.path("ca.crt")}}
            ],
            "users": [
                {
                    "name": "admin",
                    "user": {"client-certificate": c.path("admin.crt"), "client-key": c.path("admin.key")},
                }
            ],
            "contexts": [{"name": "e2e", "context": {"cluster": "e2e", "user": "admin"}}],
            "current-context": "e2e",
        }
        self.kubeconfig.write_text(yaml.safe_dump(config))

    def _ready(self) -> bool:
        return self.kubectl("get", "--raw=/readyz", check=False, timeout=10).returncode == 0

    def _create_node(self) -> None:
        capacity = {"cpu": "64", "memory": "256Gi", "pods": "250", "ephemeral-storage": "1Ti"}
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": NODE_NAME,
                "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
                "labels": {
                    "kubernetes.io/hostname": NODE_NAME,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "type": "kwok",
                },
            },
            "status": {"allocatable": capacity, "capacity": capacity},
        }
        proc = self.kubectl("create", "-f", "-", input=json.dumps(node), check=False)
        if proc.returncode != 0:
            raise ClusterError(f"creating the kwok node failed: {proc.stderr}")

    def _create_volumes(self) -> None:
        """A default StorageClass with static volumes: no provisioner runs here, and a claim that never binds
        would leave its pods Pending and `pulumi up` waiting for them. The PV controller (controller-manager)
        binds claims to these; the scheduler places their pods on the kwok node."""
        objects: list[dict[str, Any]] = [
            {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "StorageClass",
                "metadata": {
                    "name": STORAGE_CLASS,
                    "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
                },
                "provisioner": "kubernetes.io/no-provisioner",
                "volumeBindingMode": "Immediate",
                "reclaimPolicy": "Retain",
            }
        ]
        for i in range(STATIC_VOLUMES):
            objects.append(
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolume",
                    "metadata": {"name": f"e2e-pv-{i}"},
                    "spec": {
                        "capacity": {"storage": "100Gi"},
                        "accessModes": ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany"],
                        "persistentVolumeReclaimPolicy": "Retain",
                        "storageClassName": STORAGE_CLASS,
                        "hostPath": {"path": str(self.workdir / "volumes" / str(i)), "type": "DirectoryOrCreate"},
                    },
                }
            )
        proc = self.apply(objects)
        if proc.returncode != 0:
            raise ClusterError(f"creating the static volumes failed: {proc.stderr}")

    def _node_ready(self) -> bool:
        proc = self.kubectl("get", "node", NODE_NAME, "-o", "json", check=False)
        if proc.returncode != 0:
            return False
        conditions = json.loads(proc.stdout).get("status", {}).get("conditions") or []
        return any(cond["type"] == "Ready" and cond["status"] == "True" for cond in conditions)

    def apply_crds(self) -> None:
        args = ["apply", "--server-side", "--force-conflicts"]
        for d in CRD_DIRS:
            args += ["-f", str(SHARED / "crds" / d)]
        self.kubectl(*args)
        self.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")

    def stop(self) -> None:
        """End every process started, newest first: SIGTERM to its process group, SIGKILL after 10 s."""
        for name, proc in reversed(list(self.processes.items())):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)
            del self.processes[name]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0
