"""Sign: cosign over every mirrored digest, key-based (a file or KMS) or keyless, in the format Kyverno verifies.

Before signing (and in a dry run, instead of signing) the signing key's public half is compared with the
stack's ``imageSignature.keys.publicKeys``: a key the stack's policy does not trust would sign images that
admission then refuses.
"""

from __future__ import annotations

from bakerst_hardened.deploy.cosign import normalise_pem, write_flags
from bakerst_hardened.deploy.mirror import MirroredImage
from bakerst_hardened.deploy.settings import DeploySettings
from bakerst_hardened.deploy.stages import StageFailed
from bakerst_hardened.deploy.tools import ToolRunner


def key_argument(settings: DeploySettings) -> list[str]:
    if settings.signing.key is None:
        return []  # keyless: cosign takes the OIDC identity token from SIGSTORE_ID_TOKEN / the CI provider
    key = settings.signing.key
    return ["--key", key if settings.key_is_kms else str(settings.project_dir / key)]


def check_signing_identity(runner: ToolRunner, settings: DeploySettings) -> str:
    """The signing key's public half must be one the stack trusts (key-based); keyless needs no key."""
    signature = settings.signature
    if signature.keys is None:
        return "keyless (identity from the OIDC token)"
    result = runner.run("cosign", ["public-key", *key_argument(settings)])
    if not result.ok:
        raise StageFailed(f"cannot read the signing key {settings.signing.key}: {result.last_lines()}")
    trusted = {normalise_pem(key) for key in signature.keys.public_keys}
    if normalise_pem(result.stdout) not in trusted:
        raise StageFailed(
            f"the signing key {settings.signing.key} is not among the stack's imageSignature.keys.publicKeys: "
            "Kyverno would refuse every image it signs"
        )
    return f"key {settings.signing.key}"


def sign_images(runner: ToolRunner, settings: DeploySettings, images: list[MirroredImage], *, dry_run: bool) -> str:
    identity = check_signing_identity(runner, settings)
    if dry_run:
        return f"would sign {len(images)} image(s) with {identity} (signing key trusted by the stack's policy)"
    for image in images:
        result = runner.run(
            "cosign",
            ["sign", *key_argument(settings), *write_flags(settings.signature, image.reference), image.reference],
        )
        if not result.ok:
            raise StageFailed(f"cosign sign {image.reference} failed: {result.last_lines()}")
    return f"signed {len(images)} image(s) with {identity}"
