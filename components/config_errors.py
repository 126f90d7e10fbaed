"""Turn pydantic validation errors into messages that name the key, the value and the fix.

Example: ``bakerst:taskQuota.memory: "2 gigs" is not a Kubernetes quantity, e.g. "2Gi" or "500m"``.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from components.stack_config import CONFIG_NAMESPACE, CrossFieldError, StackConfig


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in the stack config."""

    key: str  # fully qualified, e.g. "bakerst:taskQuota.memory"
    value: Any
    reason: str

    def __str__(self) -> str:
        if self.value is _ABSENT:
            return f"{self.key}: {self.reason}"
        return f"{self.key}: {_show(self.value)} {self.reason}"


class StackConfigError(ValueError):
    """The stack config is invalid; nothing was created. ``issues`` lists every problem."""

    def __init__(self, issues: Sequence[ConfigIssue]) -> None:
        self.issues = list(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(
            f"invalid stack config ({len(self.issues)} problem{'s' if len(self.issues) != 1 else ''}); "
            f"no resource was created:\n{lines}"
        )


#: Error types raised by this project's own validators; their messages already say what is expected.
_CUSTOM_ERROR_PREFIXES = (
    "k8s_",
    "dns_",
    "reserved_",
    "label_",
    "pss_",
    "duplicate_",
    "digest_",
    "registry_",
    "https_",
    "go_",
    "env_",
    "pem_",
    "secret_",
)


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


_ABSENT: Any = _Absent()


def _show(value: Any) -> str:
    try:
        return json.dumps(value, default=str, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


def _dotted(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            out += " (the key)"
        else:
            out += ("." if out else "") + part
    return out


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class that holds the field at ``loc`` (for listing its known keys)."""
    model: type[BaseModel] = StackConfig
    for part in loc:
        by_alias = {info.alias or name: info for name, info in model.model_fields.items()}
        info = by_alias.get(str(part))
        annotation = getattr(info, "annotation", None)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            return None
    return model


def _field_info(loc: Sequence[str | int]) -> Any:
    parent = _model_at(loc[:-1]) if loc else None
    if parent is None or not loc:
        return None
    by_alias = {info.alias or name: info for name, info in parent.model_fields.items()}
    return by_alias.get(str(loc[-1]))


def _issue(error: ErrorDetails) -> ConfigIssue:
    loc = tuple(error["loc"])
    ctx = error.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, CrossFieldError):
        return ConfigIssue(f"{CONFIG_NAMESPACE}:{cause.key}", cause.value, cause.reason)
    key = f"{CONFIG_NAMESPACE}:{_dotted(loc)}"
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        known = sorted(info.alias or name for name, info in parent.model_fields.items()) if parent else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        return ConfigIssue(key, _ABSENT, f"is not a known key{hint}; remove it or use one of: {', '.join(known)}")
    info = _field_info(loc)
    description = getattr(info, "description", None)
    expected = f" (the key sets: {description.rstrip('.')})" if description else ""
    if kind == "missing":
        return ConfigIssue(key, _ABSENT, f"is missing{expected}")
    message = str(error["msg"])
    if kind.startswith(_CUSTOM_ERROR_PREFIXES):
        return ConfigIssue(key, error["input"], message)
    return ConfigIssue(key, error["input"], f"is invalid: {message}{expected}")


def issues_from_validation_error(exc: ValidationError) -> list[ConfigIssue]:
    """Every problem pydantic found, as ``ConfigIssue`` (order preserved, duplicates dropped)."""
    seen: set[str] = set()
    issues: list[ConfigIssue] = []
    for error in exc.errors():
        issue = _issue(error)
        if str(issue) not in seen:
            seen.add(str(issue))
            issues.append(issue)
    return issues
