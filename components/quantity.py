"""Kubernetes resource quantities: parsing and comparison (pure functions, no Pulumi).

The grammar is the one the API server accepts (``k8s.io/apimachinery/pkg/api/resource``):
a signed decimal number followed by a binary suffix (Ki, Mi, Gi, Ti, Pi, Ei), a decimal
suffix (n, u, m, k, M, G, T, P, E) or a decimal exponent (e3, E-2). Negative values are
rejected here because no quota or limit in this project may be negative.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_QUANTITY = re.compile(
    r"^(?P<number>[+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))?$"
)

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}


class QuantityError(ValueError):
    """The text is not a non-negative Kubernetes quantity."""


def parse_quantity(text: str) -> Decimal:
    """Return the value of a Kubernetes quantity in base units (cores, bytes).

    >>> parse_quantity("500m")
    Decimal('0.500')
    >>> parse_quantity("2Gi")
    Decimal('2147483648')
    """
    match = _QUANTITY.match(text.strip()) if isinstance(text, str) else None
    if match is None or text != text.strip():
        raise QuantityError(text)
    try:
        number = Decimal(match["number"])
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid decimals
        raise QuantityError(text) from exc
    suffix = match["suffix"] or ""
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    return number * (Decimal(10) ** Decimal(suffix[1:]))


def is_quantity(text: object) -> bool:
    """True when ``text`` is a string holding a non-negative Kubernetes quantity."""
    if not isinstance(text, str):
        return False
    try:
        parse_quantity(text)
    except QuantityError:
        return False
    return True
