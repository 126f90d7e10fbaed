"""The canonical encoding: exact bytes (test vectors), and what it refuses."""

from __future__ import annotations

import hashlib

import pytest

from hooks.audit.canonical import CanonicalError, canonical_bytes
from hooks.audit.chain import ZERO_MAC, compute_mac, next_key

VECTORS = [
    ({"b": 1, "a": [True, None, "x"]}, b'{"a":[true,null,"x"],"b":1}'),
    ({"z": {"y": 2, "x": 1}, "A": ""}, b'{"A":"","z":{"x":1,"y":2}}'),
    ({"s": "é€😀"}, '{"s":"é€😀"}'.encode()),
    ({"ctl": 'a\nb\t"\\\x01'}, b'{"ctl":"a\\nb\\t\\"\\\\\\u0001"}'),
    ({"n": -12345678901234567890}, b'{"n":-12345678901234567890}'),
    ([], b"[]"),
    ({"t": (1, 2)}, b'{"t":[1,2]}'),
]


@pytest.mark.parametrize(("value", "expected"), VECTORS)
def test_vectors(value: object, expected: bytes) -> None:
    assert canonical_bytes(value) == expected


def test_record_hash_mac_and_ratchet_vectors() -> None:
    """Cross-checked with ``openssl dgst -sha256 -mac HMAC`` over the documented MAC input."""
    body = {
        "v": 1, "log_id": "test/log", "seq": 0, "epoch": 0, "ts": "2026-11-24T12:00:00.000000Z",
        "category": "auth", "action": "auth.success", "actor": "u1", "detail": {"method": "oidc", "subject": "u1"},
    }  # fmt: skip
    encoded = canonical_bytes(body)
    assert encoded == (
        b'{"action":"auth.success","actor":"u1","category":"auth","detail":{"method":"oidc","subject":"u1"},'
        b'"epoch":0,"log_id":"test/log","seq":0,"ts":"2026-11-24T12:00:00.000000Z","v":1}'
    )
    digest = hashlib.sha256(encoded).digest()
    assert digest.hex() == "78e3a79dba2d622d0e80e8d653ffd04af175167cf9d2cf9a67189aad360fabd9"
    mac = compute_mac(bytes(32), "test/log", 0, 0, ZERO_MAC, digest)
    assert mac.hex() == "55f4aaf71bbf47310ccf59c5f2687338c0d57f7f6c22d854af76923926fae803"
    assert next_key(bytes(32), 1).hex() == "d5ebd850745770e38e7f461127c27120d224049b8c99a30af1541560cc1ede78"


@pytest.mark.parametrize("bad", [{"x": 1.5}, {"x": float("nan")}, {"é": 1}, {1: 2}, {"x": b"bytes"}, {"x": {1, 2}}])
def test_refuses(bad: object) -> None:
    with pytest.raises(CanonicalError):
        canonical_bytes(bad)


def test_key_order_independent() -> None:
    assert canonical_bytes({"a": 1, "b": 2}) == canonical_bytes({"b": 2, "a": 1})


def test_spliced_line_equals_canonical_record() -> None:
    from hooks.audit.chain import ChainState

    chain = ChainState("test/log", bytes(32))
    for detail in ({"a": 1}, {"nested": {"seq": 5, "x": ',"seq":'}}, {}):
        record, line = chain.append_line(
            {"ts": "t", "category": "tool", "action": "tool.error", "actor": "u", "detail": detail}
        )
        assert line == canonical_bytes(record)
