"""cosign's flags follow the stack's policy: the signature format Kyverno verifies, air-gapped or not, keys or
keyless identity."""

from __future__ import annotations

from pathlib import Path

from bakerst_hardened.deploy.cosign import identity_flags, read_flags, write_flags
from components.app_config import ImageSignatureConfig
from tests.deploy.fakes import PUBLIC_KEY

KEYLESS = ImageSignatureConfig.model_validate(
    {
        "keyless": {
            "issuer": "https://token.actions.githubusercontent.com",
            "subjectRegExp": "^https://github.com/o/r/.+$",
        }
    }
)


def test_always_the_format_kyverno_verifies() -> None:
    for signature in (KEYLESS, ImageSignatureConfig.model_validate({"keys": {"publicKeys": [PUBLIC_KEY]}})):
        assert "--new-bundle-format=false" in write_flags(signature, "registry.example/app@sha256:" + "a" * 64)


def test_air_gapped_keys_sign_without_the_transparency_log() -> None:
    online = ImageSignatureConfig.model_validate({"keys": {"publicKeys": [PUBLIC_KEY]}})
    offline = ImageSignatureConfig.model_validate({"keys": {"publicKeys": [PUBLIC_KEY], "ignoreTlog": True}})
    ref = "registry.example/app@sha256:" + "a" * 64
    assert "--tlog-upload=false" not in write_flags(online, ref)
    assert {"--tlog-upload=false", "--use-signing-config=false"} <= set(write_flags(offline, ref))
    assert "--insecure-ignore-tlog" in identity_flags(offline, Path("k.pub"))
    assert "--insecure-ignore-tlog" not in identity_flags(online, Path("k.pub"))


def test_keyless_verifies_the_policy_identity() -> None:
    flags = identity_flags(KEYLESS, None)
    assert "--key" not in flags
    assert flags[flags.index("--certificate-identity-regexp") + 1] == "^https://github.com/o/r/.+$"
    assert flags[flags.index("--certificate-oidc-issuer") + 1] == "https://token.actions.githubusercontent.com"


def test_plain_http_only_for_loopback_registries() -> None:
    assert "--allow-http-registry" in read_flags("127.0.0.1:5000/app@sha256:" + "a" * 64)
    assert "--allow-http-registry" in read_flags("localhost:5000/app@sha256:" + "a" * 64)
    assert read_flags("registry.example/app@sha256:" + "a" * 64) == []
