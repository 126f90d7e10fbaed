"""Image signing, provenance and SBOM (BSH-IMG-01, BSH-SBM-01): images pinned by digest, from allow-listed
registries, covered by an enforcing Kyverno verifyImages rule that also demands a signed SBOM attestation."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ReportViolation, Severity

from policies.k8s import as_list, container_label, containers, describe, get, image_matches, kind_of, pod_spec
from policies.k8s import registry_of as image_registry
from policies.rules._kyverno import cluster_policy_rules, covers, failure_action
from policies.rules._objects import K8sObject, objects
from policies.spec import PolicySpec

_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
SBOM_TYPES = frozenset({"https://cyclonedx.org/bom", "https://spdx.dev/Document"})


def _images(kind: str, props: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    spec = pod_spec(kind, props)
    if spec is None:
        return
    for list_name, container in containers(spec):
        yield container_label(list_name, container), str(container.get("image") or "")


def _workload_images(objs: list[K8sObject]) -> Iterator[tuple[K8sObject, str, str]]:
    for obj in objs:
        for who, image in _images(obj.kind, obj.props):
            yield obj, who, image


def pinned_by_digest(args: Any, report: ReportViolation) -> None:
    kind = kind_of(args.resource_type)
    what = describe(kind, args.props)
    for who, image in _images(kind, args.props):
        if not image:
            report(f"{what} {who} has no image.", args.urn)
        elif not _DIGEST.search(image):
            report(f"{what} {who} image {image!r} is not pinned by digest (@sha256:<64 hex>).", args.urn)


def _registry_rules(objs: list[K8sObject]) -> Iterator[tuple[K8sObject, Mapping[str, Any], list[str]]]:
    """Rules whose validate.pattern restricts container images, with the registries they allow."""
    for policy, rule in cluster_policy_rules(objs):
        containers_pattern = as_list(get(rule, "validate", "pattern", "spec", "containers"))
        patterns = [str(c.get("image")) for c in containers_pattern if isinstance(c, Mapping) and c.get("image")]
        if patterns:
            registries = [
                alt.strip().removesuffix("/*") for pattern in patterns for alt in pattern.split("|") if alt.strip()
            ]
            yield policy, rule, registries


def registry_allowed(args: Any, report: ReportViolation) -> None:
    objs = objects(args)
    allowed = {str(r) for r in args.get_config().get("allowedRegistries", [])}
    rules = list(_registry_rules(objs))
    enforcing = [(p, r, regs) for p, r, regs in rules if failure_action(p, r.get("validate")) == "Enforce"]
    if not enforcing:
        report(
            "No Kyverno ClusterPolicy restricts image registries with failureAction Enforce; any registry is "
            "admitted at run time.",
            None,
        )
    if not allowed:
        allowed = {registry for _, _, regs in rules for registry in regs}
    for obj, who, image in _workload_images(objs):
        if image and image_registry(image) not in allowed:
            report(
                f"{describe(obj.kind, obj.props)} {who} image {image!r} comes from {image_registry(image)!r}, "
                f"not an allowed registry ({', '.join(sorted(allowed)) or 'none configured'}).",
                obj.urn,
            )


def _verify_entries(objs: list[K8sObject]) -> list[tuple[K8sObject, Mapping[str, Any], Mapping[str, Any]]]:
    return [
        (policy, rule, entry)
        for policy, rule in cluster_policy_rules(objs)
        for entry in as_list(rule.get("verifyImages"))
        if isinstance(entry, Mapping)
    ]


def _entry_problems(policy: K8sObject, entry: Mapping[str, Any]) -> list[str]:
    problems = []
    if failure_action(policy, entry) != "Enforce":
        problems.append("does not enforce (failureAction is not Enforce)")
    if not any(as_list(get(a, "entries")) for a in as_list(entry.get("attestors"))):
        problems.append("has no attestor entries (keys or keyless identity)")
    if entry.get("required") is False:
        problems.append("sets required: false")
    if entry.get("verifyDigest") is False:
        problems.append("sets verifyDigest: false")
    return problems


def _covering(
    entries: list[tuple[K8sObject, Mapping[str, Any], Mapping[str, Any]]], namespace: str, image: str
) -> list[tuple[K8sObject, Mapping[str, Any]]]:
    return [
        (policy, entry)
        for policy, rule, entry in entries
        if covers(rule, namespace) and image_matches(image, [str(r) for r in as_list(entry.get("imageReferences"))])
    ]


def signature_verified(args: Any, report: ReportViolation) -> None:
    objs = objects(args)
    entries = _verify_entries(objs)
    for obj, who, image in _workload_images(objs):
        covering = _covering(entries, obj.namespace, image)
        what = f"{describe(obj.kind, obj.props)} {who} image {image!r}"
        if not covering:
            report(f"{what} is not covered by any Kyverno verifyImages rule.", obj.urn)
            continue
        if not any(not _entry_problems(policy, entry) for policy, entry in covering):
            policy, entry = covering[0]
            problems = "; ".join(_entry_problems(policy, entry))
            report(f"{what}: the verifyImages rule in {policy.name} {problems}.", obj.urn)


def sbom_attested(args: Any, report: ReportViolation) -> None:
    objs = objects(args)
    entries = _verify_entries(objs)
    for obj, who, image in _workload_images(objs):
        covering = _covering(entries, obj.namespace, image)
        ok = any(
            isinstance(att, Mapping)
            and (att.get("type") or att.get("predicateType")) in SBOM_TYPES
            and any(as_list(get(a, "entries")) for a in as_list(att.get("attestors")))
            for _, entry in covering
            for att in as_list(entry.get("attestations"))
        )
        if not ok:
            report(
                f"{describe(obj.kind, obj.props)} {who} image {image!r} is admitted without a verified SBOM "
                "attestation (CycloneDX or SPDX).",
                obj.urn,
            )


SPECS = [
    PolicySpec(
        name="image-pinned-by-digest",
        kind="resource",
        description="Every container image is pinned by digest (no tags, no :latest).",
        validate=pinned_by_digest,
        remediation="map the image to a digest-pinned reference in bakerst:images (registry/repo@sha256:<64 hex>).",
        severity=Severity.HIGH,
    ),
    PolicySpec(
        name="image-registry-allowed",
        kind="stack",
        description="Every image comes from an allow-listed registry, and a Kyverno rule refuses other registries "
        "at admission.",
        validate=registry_allowed,
        remediation="mirror the image into an allowed registry (bakerst:registries) and keep the "
        "restrict-registries ClusterPolicy in Enforce.",
        severity=Severity.HIGH,
        config={"allowedRegistries": {"type": "array", "items": {"type": "string"}, "default": []}},
    ),
    PolicySpec(
        name="image-signature-verified",
        kind="stack",
        description="Every image is covered by an enforcing Kyverno verifyImages rule with attestors, digest "
        "verification and required signatures.",
        validate=signature_verified,
        remediation="configure bakerst:imageSignature (keys or keyless) and bakerst:admission.failureAction: "
        "Enforce so require-image-signature covers every registry in use.",
        severity=Severity.CRITICAL,
    ),
    PolicySpec(
        name="image-sbom-attested",
        kind="stack",
        description="Every image must carry a signed SBOM attestation (CycloneDX or SPDX) verified at admission.",
        validate=sbom_attested,
        remediation="set bakerst:imageSignature.sbomAttestation to cyclonedx or spdx and attest an SBOM for every "
        "image in the build pipeline (cosign attest --type cyclonedx).",
        severity=Severity.MEDIUM,
    ),
]
