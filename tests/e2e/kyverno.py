"""Kyverno's admission controller and reports controller, run out of cluster against the e2e control plane.

Both are built by ``scripts/tools build kyverno`` (v1.18.2, the module the CLI comes from). The admission
controller serves its webhooks on a free loopback port and registers them by URL (``--serverIP=127.0.0.1:PORT``):
it makes its own CA and serving certificate (the address is in the certificate) and keeps them in Secrets of the
``kyverno`` namespace, as in a cluster. The reports controller turns admission results and background scans into
PolicyReports. Every port is a free one on 127.0.0.1 (the metrics servers too: their default is ``:8000`` on all
addresses). ``stop`` ends both and deletes the webhook configurations they registered, so a later request is not
sent to a webhook that is gone.
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.cluster import Cluster, ClusterError, free_port

NAMESPACE = "kyverno"
#: What the chart sets on the pods (names, and the ConfigMaps the controllers read; absent ConfigMaps mean defaults).
ENV = {
    "KYVERNO_NAMESPACE": NAMESPACE,
    "KYVERNO_SVC": "kyverno-svc",
    "INIT_CONFIG": "kyverno",
    "METRICS_CONFIG": "kyverno-metrics",
}
#: The CRDs ``../shared/crds/kyverno`` already holds (the cluster applies those); the rest come from the module.
ALREADY_APPLIED = ("kyverno.io_clusterpolicies.yaml", "kyverno.io_policies.yaml")
WEBHOOK_LABEL = "webhook.kyverno.io/managed-by=kyverno"


@dataclass
class Kyverno:
    cluster: Cluster
    crds: Path
    port: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def _common(self) -> list[str]:
        return [
            f"--kubeconfig={self.cluster.kubeconfig}",
            "--metricsHost=127.0.0.1",
            f"--metricsPort={free_port()}",
            "--allowInsecureRegistry=true",  # the loopback registry speaks HTTP
            "--autoMemLimitEnabled=false",
            "--loggingFormat=json",
            "-v=2",
        ]

    def _spawn(self, name: str, binary: str, deployment: str, argv: list[str]) -> None:
        env = dict(ENV, KYVERNO_SERVICEACCOUNT_NAME=deployment, KYVERNO_DEPLOYMENT=deployment, KYVERNO_POD_NAME=name)
        saved = self.cluster.env
        self.cluster.env = {**saved, **env}
        try:
            self.cluster._spawn(name, [binary, *argv])
        finally:
            self.cluster.env = saved

    def start(self) -> None:
        started = time.monotonic()
        files = sorted(p for p in self.crds.rglob("*.yaml") if p.name not in ALREADY_APPLIED)
        args = ["apply", "--server-side", "--force-conflicts"]
        for path in files:
            args += ["-f", str(path)]
        self.cluster.kubectl(*args)
        self.cluster.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
        if self.cluster.kubectl("get", "namespace", NAMESPACE, check=False).returncode != 0:
            self.cluster.kubectl("create", "namespace", NAMESPACE)
        self.timings["crds"] = time.monotonic() - started
        self.port = free_port()
        self._spawn(
            "kyverno",
            "kyverno",
            "kyverno-admission-controller",
            [
                *self._common(),
                f"--serverIP=127.0.0.1:{self.port}",
                "--webhookServerHost=127.0.0.1",
                f"--webhookServerPort={self.port}",
                "--controllerRuntimeMetricsAddress=0",
                "--caSecretName=kyverno-svc.kyverno.svc.kyverno-tls-ca",
                "--tlsSecretName=kyverno-svc.kyverno.svc.kyverno-tls-pair",
                "--tlsKeyAlgorithm=ECDSA",
                "--reportsServiceAccountName=system:serviceaccount:kyverno:kyverno-reports-controller",
                "--backgroundServiceAccountName=system:serviceaccount:kyverno:kyverno-background-controller",
            ],
        )
        self.cluster._wait("Kyverno's webhook server to be ready", "kyverno", self._ready, timeout=120)
        self.cluster._wait(
            "Kyverno's resource webhooks to be registered", "kyverno", self._webhooks_registered, timeout=120
        )
        self.timings["admission controller"] = time.monotonic() - started
        self._spawn(
            "kyverno-reports",
            "reports-controller",
            "kyverno-reports-controller",
            [*self._common(), "--backgroundScanInterval=30s"],
        )
        self.timings["reports controller started"] = time.monotonic() - started

    def _ready(self) -> bool:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # its own CA; readiness only
        try:
            with urllib.request.urlopen(
                f"https://127.0.0.1:{self.port}/health/readiness", context=context, timeout=2
            ) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def _webhooks_registered(self) -> bool:
        names = set()
        for kind in ("validatingwebhookconfigurations", "mutatingwebhookconfigurations"):
            proc = self.cluster.kubectl("get", kind, "-l", WEBHOOK_LABEL, "-o", "json", check=False)
            if proc.returncode == 0:
                names |= {item["metadata"]["name"] for item in json.loads(proc.stdout)["items"]}
        return {"kyverno-resource-validating-webhook-cfg", "kyverno-resource-mutating-webhook-cfg"} <= names

    def log(self, name: str = "kyverno") -> str:
        return self.cluster._tail(name, 60)

    def stop(self) -> None:
        for name in ("kyverno-reports", "kyverno"):
            proc = self.cluster.processes.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except Exception:
                proc.kill()
                proc.wait(timeout=10)
        for kind in ("validatingwebhookconfigurations", "mutatingwebhookconfigurations"):
            self.cluster.kubectl("delete", kind, "-l", WEBHOOK_LABEL, "--ignore-not-found", check=False)


def kyverno_refusal(message: str) -> bool:
    """A message the API server relays from one of Kyverno's webhooks (``admission webhook "...kyverno.svc..."``)."""
    return "kyverno.svc" in message and "denied the request" in message


__all__ = ["ClusterError", "Kyverno", "kyverno_refusal"]
