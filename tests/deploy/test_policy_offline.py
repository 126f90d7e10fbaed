"""The key-based attestor's offline options: config-driven, rendered as Kyverno's rekor/ctlog fields."""

from __future__ import annotations

from components.admission_policies import attestor_entries
from components.app_config import ImageSignatureConfig
from tests.deploy.fakes import PUBLIC_KEY


def _signature(**keys: object) -> ImageSignatureConfig:
    return ImageSignatureConfig.model_validate({"keys": {"publicKeys": [PUBLIC_KEY], **keys}})


def test_online_by_default() -> None:
    assert attestor_entries(_signature()) == [{"keys": {"publicKeys": PUBLIC_KEY.strip()}}]


def test_air_gapped_ignores_tlog_and_sct() -> None:
    (entry,) = attestor_entries(_signature(ignoreTlog=True, ignoreSct=True))
    assert entry["keys"]["rekor"] == {"ignoreTlog": True}
    assert entry["keys"]["ctlog"] == {"ignoreSCT": True}
