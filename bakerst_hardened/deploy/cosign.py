"""cosign's flags for this project: the signature format Kyverno verifies, and offline (air-gapped) signing.

Kyverno cannot see cosign v3's default Sigstore bundle (attached through the referrers API), so every
signature and attestation is written in the older format (``--new-bundle-format=false``: a ``.sig``/``.att``
tag next to the image). When the stack's policy ignores the transparency log (``imageSignature.keys.ignoreTlog``)
nothing is uploaded to Rekor and cosign does not fetch a signing config from the public TUF repository.
"""

from __future__ import annotations

import ipaddress
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from components.app_config import ImageSignatureConfig


def _loopback(reference: str) -> bool:
    host = reference.split("/", 1)[0].rsplit(":", 1)[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def write_flags(signature: ImageSignatureConfig, reference: str) -> list[str]:
    """Flags for ``cosign sign`` and ``cosign attest``."""
    flags = ["--yes", "--new-bundle-format=false"]
    if signature.keys is not None and signature.keys.ignore_tlog:
        flags += ["--tlog-upload=false", "--use-signing-config=false"]
    if _loopback(reference):
        flags += ["--allow-http-registry", "--allow-insecure-registry"]
    return flags


def identity_flags(signature: ImageSignatureConfig, public_key: Path | None) -> list[str]:
    """Flags for ``cosign verify``/``verify-attestation``: the identity the stack's Kyverno policy checks."""
    if signature.keys is not None:
        assert public_key is not None
        flags = ["--key", str(public_key)]
        if signature.keys.ignore_tlog:
            flags.append("--insecure-ignore-tlog")
        if signature.keys.ignore_sct:
            flags.append("--insecure-ignore-sct")
        return flags
    keyless = signature.keyless
    assert keyless is not None
    flags = ["--certificate-oidc-issuer", str(keyless.issuer), "--rekor-url", str(keyless.rekor_url)]
    if keyless.subject is not None:
        return [*flags, "--certificate-identity", keyless.subject]
    return [*flags, "--certificate-identity-regexp", str(keyless.subject_reg_exp)]


def read_flags(reference: str) -> list[str]:
    return ["--allow-http-registry", "--allow-insecure-registry"] if _loopback(reference) else []


@contextmanager
def public_key_files(signature: ImageSignatureConfig) -> Iterator[list[Path]]:
    """The stack's public keys as files (none for keyless), removed afterwards."""
    keys = signature.keys.public_keys if signature.keys is not None else []
    with tempfile.TemporaryDirectory(prefix="bakerst-keys-") as tmp:
        paths = []
        for index, key in enumerate(keys):
            path = Path(tmp) / f"key-{index}.pub"
            path.write_text(key.strip() + "\n", encoding="utf-8")
            paths.append(path)
        yield paths


def normalise_pem(text: str) -> str:
    return "".join(text.split())
