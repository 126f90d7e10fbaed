"""One way to say what is wrong with a runtime config file: every bad field on its own line, by dotted path."""

from __future__ import annotations

from pydantic import ValidationError


def field_problems(exc: ValidationError) -> list[str]:
    """``["checks.1: Input should be ...", ...]``: the dotted path of each bad field and what is wrong."""
    return [f"{'.'.join(str(p) for p in error['loc']) or '(top level)'}: {error['msg']}" for error in exc.errors()]


def invalid_message(source: str, exc: ValidationError) -> str:
    """``"<source> is invalid:"`` followed by one indented line per bad field."""
    return f"{source} is invalid:\n" + "\n".join(f"  - {line}" for line in field_problems(exc))
