"""AdmissionPolicies: Kyverno ClusterPolicies that hold the line at admission time.

Four policies, each matching the app and task namespaces:

* ``require-image-signature``: every image from the allowed registries must carry a valid signature
  (cosign keys or a keyless identity) and, unless ``imageSignature.sbomAttestation`` is ``none``, an SBOM
  attestation signed by the same identity; the tag is resolved to a digest and the digest verified;
* ``restrict-registries``: images only from the configured registries;
* ``enforce-labels``: the project's labels on every workload, Service, NetworkPolicy and RBAC object;
* ``pod-security-restricted``: the Pod Security ``restricted`` profile, pinned version.

Pods the brain creates at run time (task Jobs) never pass through Pulumi, so these rules, Pod Security
admission and the NetworkPolicies are what governs them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.app_config import ImageSignatureConfig
from components.labels import component_labels

API_VERSION = "kyverno.io/v1"
POLICY_NAMES = ("require-image-signature", "restrict-registries", "enforce-labels", "pod-security-restricted")
LABELLED_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Service", "NetworkPolicy", "Role", "RoleBinding")
REQUIRED_LABEL_KEYS = ("app.kubernetes.io/part-of", "app.kubernetes.io/managed-by", "bakerst.io/environment")


@dataclass(frozen=True)
class AdmissionPoliciesArgs:
    """Inputs of ``AdmissionPolicies``."""

    namespaces: Sequence[str]
    """Namespaces the policies govern (the app and task namespaces)."""
    registries: Sequence[str]
    signature: ImageSignatureConfig
    failure_action: str
    """``Enforce`` or ``Audit``."""
    background: bool
    pod_security_version: str
    required_labels: Mapping[str, str]
    """Label key to required value (``"?*"`` for any non-empty value)."""
    labels: Mapping[str, str]


def _match(kinds: Sequence[str], namespaces: Sequence[str]) -> dict[str, Any]:
    return {"any": [{"resources": {"kinds": list(kinds), "namespaces": list(namespaces)}}]}


def attestor_entries(signature: ImageSignatureConfig) -> list[dict[str, Any]]:
    """Kyverno attestor entries for the configured signing method."""
    if signature.keys is not None:
        offline: dict[str, Any] = {}
        if signature.keys.ignore_tlog:
            offline["rekor"] = {"ignoreTlog": True}
        if signature.keys.ignore_sct:
            offline["ctlog"] = {"ignoreSCT": True}
        return [{"keys": {"publicKeys": key.strip(), **offline}} for key in signature.keys.public_keys]
    keyless = signature.keyless
    assert keyless is not None  # exactly one is guaranteed by ImageSignatureConfig
    entry: dict[str, Any] = {"issuer": keyless.issuer, "rekor": {"url": keyless.rekor_url}}
    if keyless.subject is not None:
        entry["subject"] = keyless.subject
    else:
        entry["subjectRegExp"] = keyless.subject_reg_exp
    return [{"keyless": entry}]


#: in-toto predicate types of the SBOM formats Kyverno can be asked to verify.
SBOM_PREDICATE_TYPES = {"cyclonedx": "https://cyclonedx.org/bom", "spdx": "https://spdx.dev/Document"}


def sbom_attestations(signature: ImageSignatureConfig) -> list[dict[str, Any]]:
    """The attestation an image must carry: an SBOM signed by the same identity as the image."""
    if signature.sbom_attestation == "none":
        return []
    return [
        {
            "type": SBOM_PREDICATE_TYPES[signature.sbom_attestation],
            "attestors": [{"count": 1, "entries": attestor_entries(signature)}],
        }
    ]


def image_signature_spec(args: AdmissionPoliciesArgs) -> dict[str, Any]:
    # Kyverno refuses mutateDigest with an Audit failure action (it would mutate without verifying).
    enforce = args.failure_action == "Enforce"
    verify: dict[str, Any] = {
        "imageReferences": [f"{registry}/*" for registry in args.registries],
        "failureAction": args.failure_action,
        "mutateDigest": enforce,
        "verifyDigest": True,
        "required": True,
        "attestors": [{"count": 1, "entries": attestor_entries(args.signature)}],
    }
    if attestations := sbom_attestations(args.signature):
        verify["attestations"] = attestations
    return {
        "background": args.background,
        "webhookTimeoutSeconds": 30,
        "rules": [
            {
                "name": "verify-image-signatures",
                "match": _match(["Pod"], args.namespaces),
                "verifyImages": [verify],
            }
        ],
    }


def registries_spec(args: AdmissionPoliciesArgs) -> dict[str, Any]:
    allowed = " | ".join(f"{registry}/*" for registry in args.registries)
    image = [{"image": allowed}]
    return {
        "background": args.background,
        "rules": [
            {
                "name": "allowed-registries",
                "match": _match(["Pod"], args.namespaces),
                "validate": {
                    "failureAction": args.failure_action,
                    "message": f"Images must come from an allowed registry: {', '.join(args.registries)}.",
                    "pattern": {
                        "spec": {
                            "=(ephemeralContainers)": image,
                            "=(initContainers)": image,
                            "containers": image,
                        }
                    },
                },
            }
        ],
    }


def labels_spec(args: AdmissionPoliciesArgs) -> dict[str, Any]:
    return {
        "background": args.background,
        "rules": [
            {
                "name": "require-project-labels",
                "match": _match(LABELLED_KINDS, args.namespaces),
                "validate": {
                    "failureAction": args.failure_action,
                    "message": "Objects must carry the labels: " + ", ".join(sorted(args.required_labels)) + ".",
                    "pattern": {"metadata": {"labels": dict(args.required_labels)}},
                },
            }
        ],
    }


def pod_security_spec(args: AdmissionPoliciesArgs) -> dict[str, Any]:
    return {
        "background": args.background,
        "rules": [
            {
                "name": "restricted-profile",
                "match": _match(["Pod"], args.namespaces),
                "validate": {
                    "failureAction": args.failure_action,
                    "podSecurity": {"level": "restricted", "version": args.pod_security_version},
                },
            }
        ],
    }


class AdmissionPolicies(pulumi.ComponentResource):
    """The four Kyverno ClusterPolicies."""

    policy_names: pulumi.Output[list[str]]

    def __init__(self, name: str, args: AdmissionPoliciesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("bakerst:admission:AdmissionPolicies", name, {}, opts)
        labels = component_labels(args.labels, "admission-policies")
        specs = {
            "require-image-signature": image_signature_spec(args),
            "restrict-registries": registries_spec(args),
            "enforce-labels": labels_spec(args),
            "pod-security-restricted": pod_security_spec(args),
        }
        self.policies = {
            policy: k8s.apiextensions.CustomResource(
                f"{name}-{policy}",
                api_version=API_VERSION,
                kind="ClusterPolicy",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=policy,
                    labels=labels,
                    annotations={"policies.kyverno.io/category": "baker-street-hardened"},
                ),
                spec=spec,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for policy, spec in specs.items()
        }
        self.policy_names = pulumi.Output.from_input(list(POLICY_NAMES))
        self.register_outputs({"policyNames": self.policy_names})
