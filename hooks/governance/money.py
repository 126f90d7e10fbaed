"""Money inside the governor is an ``int`` of micro-USD (1 USD = 1_000_000); never a float."""

from __future__ import annotations

import math
from decimal import Decimal

MICROS_PER_USD = 1_000_000


def usd_to_micros(usd: Decimal) -> int:
    """Exact for up to six decimal places; anything finer is rounded up (a budget or price never shrinks)."""
    if not usd.is_finite():
        raise ValueError(f"not a finite amount: {usd}")
    return math.ceil(usd * MICROS_PER_USD)


def micros_to_usd(micros: int) -> Decimal:
    return Decimal(micros) / MICROS_PER_USD


def format_usd(micros: int) -> str:
    return f"${micros_to_usd(micros):.6f}".rstrip("0").rstrip(".")
