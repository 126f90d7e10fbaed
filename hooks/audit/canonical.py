"""Canonical JSON: the exact bytes that are hashed and MAC'd.

Encoding (``audit-canon-v1``): UTF-8 JSON, object keys sorted by code point, no insignificant whitespace
(``,`` and ``:`` separators), non-ASCII characters emitted as themselves (not ``\\uXXXX``), the JSON escapes
of the standard library for control characters, ``"`` and ``\\``. Allowed values: ``str``, ``int``
(bools as ``true``/``false``), ``None``, lists/tuples and mappings with ASCII ``str`` keys. Floats are
rejected: with no floats and ASCII keys this is byte-identical to RFC 8785 (JCS), so any JCS
implementation reproduces it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


class CanonicalError(ValueError):
    """A value that has no canonical encoding (float, non-ASCII key, unsupported type)."""


_SCALARS = frozenset({str, int, bool, type(None)})


def check_canonical(value: Any, path: str = "$") -> None:
    """Raise :class:`CanonicalError` unless ``value`` is encodable canonically.

    Plain ``dict``/``list`` of exact scalar types (the common case) take a fast path; anything else (subclasses,
    other mappings, floats) goes through the general walk, which accepts and rejects exactly the same values.
    """
    kind = type(value)
    if kind in _SCALARS:
        return
    if kind is dict:
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise CanonicalError(f"{path}: keys must be ASCII strings, got {key!r}")
            if type(item) not in _SCALARS:
                check_canonical(item, f"{path}.{key}")
        return
    if kind is list or kind is tuple:
        for index, item in enumerate(value):
            if type(item) not in _SCALARS:
                check_canonical(item, f"{path}[{index}]")
        return
    _check_general(value, path)


def _check_general(value: Any, path: str) -> None:
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        raise CanonicalError(f"{path}: floats are not allowed in MAC'd data (use integers, e.g. micro-USD)")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise CanonicalError(f"{path}: keys must be ASCII strings, got {key!r}")
            check_canonical(item, f"{path}.{key}")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_canonical(item, f"{path}[{index}]")
        return
    raise CanonicalError(f"{path}: unsupported type {type(value).__name__}")


def canonical_bytes(value: Any, *, checked: bool = True) -> bytes:
    """The canonical encoding of ``value`` (``checked=False`` skips validation for trusted, pre-checked data)."""
    if checked:
        check_canonical(value)
    return _ENCODER.encode(value).encode("utf-8")
