"""SBOM: a CycloneDX document per image (syft), attached as a signed cosign attestation (``--type cyclonedx``)."""

from __future__ import annotations

import json
from pathlib import Path

from bakerst_hardened.deploy.cosign import write_flags
from bakerst_hardened.deploy.mirror import MirroredImage
from bakerst_hardened.deploy.settings import DeploySettings
from bakerst_hardened.deploy.sign import check_signing_identity, key_argument
from bakerst_hardened.deploy.stages import StageFailed
from bakerst_hardened.deploy.tools import ToolRunner

#: the stack's ``imageSignature.sbomAttestation`` to cosign's predicate type and syft's output format.
FORMATS = {"cyclonedx": ("cyclonedx", "cyclonedx-json"), "spdx": ("spdxjson", "spdx-json")}


def generate_sbom(runner: ToolRunner, image: MirroredImage, syft_format: str, out: Path) -> int:
    """Write the image's SBOM to ``out``; return the number of components it lists."""
    result = runner.run("syft", ["scan", f"registry:{image.readable}", "-o", f"{syft_format}={out}"])
    if not result.ok or not out.is_file():
        raise StageFailed(f"syft could not make an SBOM of {image.readable}: {result.last_lines()}")
    try:
        document = json.loads(out.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        raise StageFailed(f"syft's SBOM of {image.reference} is not JSON") from None
    return len(document.get("components") or document.get("packages") or [])


def attest_images(
    runner: ToolRunner, settings: DeploySettings, images: list[MirroredImage], work_dir: Path, *, dry_run: bool
) -> str:
    kind = settings.signature.sbom_attestation
    predicate_type, syft_format = FORMATS["cyclonedx" if kind == "none" else kind]
    identity = check_signing_identity(runner, settings)
    counts = []
    for index, image in enumerate(images):
        sbom = work_dir / f"sbom-{index}-{image.name.replace('/', '_').replace(':', '_')}.json"
        counts.append(generate_sbom(runner, image, syft_format, sbom))
        if dry_run:
            continue
        result = runner.run(
            "cosign",
            [
                "attest",
                *key_argument(settings),
                "--type",
                predicate_type,
                "--predicate",
                str(sbom),
                *write_flags(settings.signature, image.reference),
                image.reference,
            ],
        )
        if not result.ok:
            raise StageFailed(f"cosign attest {image.reference} failed: {result.last_lines()}")
    verb = "made (not attached)" if dry_run else f"attested with {identity}"
    return f"{predicate_type} SBOMs {verb} for {len(images)} image(s): {', '.join(map(str, counts))} component(s)"
