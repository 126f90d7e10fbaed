"""Operator tooling for baker-street-hardened: the offline renderer and the ``bakerst-hardened`` CLI."""
