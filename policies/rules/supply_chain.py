"""Image signing, provenance and SBOM (BSH-IMG-01, BSH-SBM-01): images pinned by digest, from allow-listed
registries, covered by an enforcing Kyverno verifyImages rule that also demands a signed SBOM attestation."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import ReportViolation, Severity

from policies.k8s import as_list, container_label, containers, describe, get, is_patch, kind_of, pod_spec
from policies.k8s import registry_of as image_registry
from policies.rules._kyverno import (
    Exemption,
    cluster_policy_rules,
    covers,
    failure_action,
    policy_exceptions,
    wildcard,
)
from policies.rules._objects import UNKNOWN, K8sObject, objects, of_kind
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
    """Every container image of the stack's workloads (an image still unknown during preview is judged at up)."""
    for obj in objs:
        for who, image in _images(obj.kind, obj.props):
            if image != UNKNOWN:
                yield obj, who, image


def pinned_by_digest(args: Any, report: ReportViolation) -> None:
    kind = kind_of(args.resource_type)
    what = describe(kind, args.props)
    for who, image in _images(kind, args.props):
        if not image:
            if not is_patch(args.resource_type):
                report(f"{what} {who} has no image.", args.urn)
        elif not _DIGEST.search(image):
            report(f"{what} {who} image {image!r} is not pinned by digest (@sha256:<64 hex>).", args.urn)


_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def _pattern_images(pattern_spec: Any, list_name: str) -> list[str]:
    """The ``image`` patterns a Kyverno validate.pattern sets for one container list (plain or ``=()`` anchored)."""
    if not isinstance(pattern_spec, Mapping):
        return []
    entries = as_list(pattern_spec.get(list_name)) + as_list(pattern_spec.get(f"=({list_name})"))
    # An entry with any other key (a conditional anchor such as "(name)") applies to some containers only.
    return [
        str(c.get("image"))
        for c in entries
        if isinstance(c, Mapping) and isinstance(c.get("image"), str) and set(c) == {"image"}
    ]


def _registry_rules(objs: list[K8sObject]) -> Iterator[tuple[K8sObject, Mapping[str, Any], list[str], list[str]]]:
    """Rules whose validate.pattern restricts container images: ``(policy, rule, allowed alternatives, container
    lists left unrestricted)``."""
    for policy, rule in cluster_policy_rules(objs):
        pattern_spec = get(rule, "validate", "pattern", "spec")
        per_list = {name: _pattern_images(pattern_spec, name) for name in _CONTAINER_LISTS}
        if not per_list["containers"]:
            continue
        alternatives = [alt.strip() for patterns in per_list.values() for p in patterns for alt in p.split("|")]
        unrestricted = [name for name, patterns in per_list.items() if not patterns]
        yield policy, rule, [a for a in alternatives if a], unrestricted


def registry_allowed(args: Any, report: ReportViolation) -> None:
    objs = objects(args)
    configured = {str(r) for r in args.get_config().get("allowedRegistries", [])}
    rules = list(_registry_rules(objs))
    alternatives = {alt for _, _, alts, _ in rules for alt in alts}
    allowed = configured or {alt.removesuffix("/*") for alt in alternatives}
    for policy, rule, alts, unrestricted in rules:
        where = f"{policy.name}/{rule.get('name')}"
        if unrestricted:
            report(f"The registry rule {where} leaves {', '.join(unrestricted)} unrestricted.", None)
        loose = sorted(a for a in alts if not any(a == f"{r}/*" for r in allowed))
        if configured and loose:
            report(f"The registry rule {where} admits {', '.join(loose)}, beyond the allowed registries.", None)
    namespaces = sorted({o.name for o in of_kind(objs, "Namespace")})
    exemptions = policy_exceptions(objs)
    for namespace in namespaces:
        if not any(
            covers(rule, namespace, policy, exemptions)
            and failure_action(policy, rule.get("validate"), namespace) == "Enforce"
            for policy, rule, _, unrestricted in rules
            if not unrestricted
        ):
            report(
                f"No Kyverno ClusterPolicy restricts image registries with failureAction Enforce for namespace "
                f"{namespace}; any registry is admitted there at run time.",
                None,
            )
    if not namespaces and not rules:
        report("No Kyverno ClusterPolicy restricts image registries with failureAction Enforce.", None)
    for obj, who, image in _workload_images(objs):
        if image and image_registry(image) not in allowed:
            report(
                f"{describe(obj.kind, obj.props)} {who} image {image!r} comes from {image_registry(image)!r}, "
                f"not an allowed registry ({', '.join(sorted(allowed)) or 'none configured'}).",
                obj.urn,
            )


def normalized_images(image: str) -> list[str]:
    """The forms Kyverno matches ``imageReferences`` against: registry-qualified (``docker.io`` for short names,
    with and without ``library/``), and with the tag dropped when a digest is present."""
    name, at, digest = image.partition("@")
    if at:
        last = name.rsplit("/", 1)
        if ":" in last[-1]:
            name = name[: name.rfind(":")]
    forms = [name]
    if image_registry(name) == "docker.io" and not name.startswith("docker.io/"):
        forms = [f"docker.io/{name}"] + ([f"docker.io/library/{name}"] if "/" not in name else [])
    return [f"{form}@{digest}" if at else form for form in forms]


def _verify_entries(objs: list[K8sObject]) -> list[tuple[K8sObject, Mapping[str, Any], Mapping[str, Any]]]:
    return [
        (policy, rule, entry)
        for policy, rule in cluster_policy_rules(objs)
        for entry in as_list(rule.get("verifyImages"))
        if isinstance(entry, Mapping)
    ]


def _entry_problems(policy: K8sObject, entry: Mapping[str, Any], namespace: str) -> list[str]:
    problems = []
    action = failure_action(policy, entry, namespace)
    if action != "Enforce":
        problems.append(f"does not enforce ({action})")
    if not any(as_list(get(a, "entries")) for a in as_list(entry.get("attestors"))):
        problems.append("has no attestor entries (keys or keyless identity)")
    if entry.get("required") is False:
        problems.append("sets required: false")
    if entry.get("verifyDigest") is False:
        problems.append("sets verifyDigest: false")
    return problems


def _covering(
    entries: list[tuple[K8sObject, Mapping[str, Any], Mapping[str, Any]]],
    namespace: str,
    image: str,
    exemptions: Sequence[Exemption] = (),
) -> list[tuple[K8sObject, Mapping[str, Any]]]:
    """The verifyImages entries that apply to ``image`` in pods of ``namespace``."""
    forms = normalized_images(image)

    def matches(patterns: Any) -> bool:
        return any(wildcard(str(p), form) for p in as_list(patterns) for form in forms)

    return [
        (policy, entry)
        for policy, rule, entry in entries
        if covers(rule, namespace, policy, exemptions)
        and matches(entry.get("imageReferences"))
        and not matches(entry.get("skipImageReferences"))
    ]


def _probe(registry: str) -> str:
    """An image any pod of the namespace could run from ``registry`` (what the run-time Jobs would use)."""
    return f"{registry}/any/image@sha256:{'0' * 64}"


def _allowed_registries(args: Any, objs: list[K8sObject]) -> set[str]:
    configured = {str(r) for r in args.get_config().get("allowedRegistries", [])}
    return configured or {alt.removesuffix("/*") for _, _, alts, _ in _registry_rules(objs) for alt in alts}


def _sbom_ok(entry: Mapping[str, Any]) -> bool:
    return any(
        isinstance(att, Mapping)
        and str(att.get("type") or att.get("predicateType")) in SBOM_TYPES
        and any(as_list(get(a, "entries")) for a in as_list(att.get("attestors")))
        for att in as_list(entry.get("attestations"))
    )


def _check_images(args: Any, report: ReportViolation, *, sbom: bool) -> None:
    """Every image of the stack, and every allowed registry in every namespace (pods created at run time), must be
    covered by an enforcing verifyImages entry (with a verified SBOM attestation when ``sbom``)."""
    objs = objects(args)
    entries = _verify_entries(objs)
    exemptions = policy_exceptions(objs)

    def sound(namespace: str, image: str) -> list[Mapping[str, Any]]:
        covering = _covering(entries, namespace, image, exemptions)
        good = [e for p, e in covering if not _entry_problems(p, e, namespace)]
        return [e for e in good if _sbom_ok(e)] if sbom else good

    for obj, who, image in _workload_images(objs):
        if sound(obj.namespace, image):
            continue
        what = f"{describe(obj.kind, obj.props)} {who} image {image!r}"
        covering = _covering(entries, obj.namespace, image, exemptions)
        if sbom:
            report(f"{what} is admitted without a verified SBOM attestation (CycloneDX or SPDX) in an enforcing "
                   "verifyImages rule.", obj.urn)  # fmt: skip
        elif not covering:
            report(f"{what} is not covered by any Kyverno verifyImages rule.", obj.urn)
        else:
            policy, entry = covering[0]
            problems = "; ".join(_entry_problems(policy, entry, obj.namespace))
            report(f"{what}: the verifyImages rule in {policy.name} {problems}.", obj.urn)
    registries = _allowed_registries(args, objs)
    for namespace in sorted({o.name for o in of_kind(objs, "Namespace")}):
        for registry in sorted(registries):
            if not sound(namespace, _probe(registry)):
                what = "with a verified SBOM attestation " if sbom else ""
                report(
                    f"Pods created in namespace {namespace} may run images from {registry} that no enforcing "
                    f"verifyImages rule checks {what}(run-time Jobs included).",
                    None,
                )


def signature_verified(args: Any, report: ReportViolation) -> None:
    _check_images(args, report, sbom=False)


def sbom_attested(args: Any, report: ReportViolation) -> None:
    _check_images(args, report, sbom=True)


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
