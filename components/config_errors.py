"""Turn pydantic validation errors into messages that name the key, the value and the fix.

Example: ``bakerst:taskQuota.memory: "2 gigs" is not a Kubernetes quantity, e.g. "2Gi" or "500m"``.
"""

from __future__ import annotations

import difflib
import json
import typing
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


def _unwrap(annotation: Any) -> Any:
    """``X`` from ``X | None`` and ``Annotated[X, ...]``."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if type(None) in typing.get_args(annotation) and len(args) == 1:
        return _unwrap(args[0])
    return annotation


def _variant(annotation: Any, tag: str) -> type[BaseModel] | None:
    """The member of a ``type``-discriminated union of models whose tag is ``tag``."""
    for member in typing.get_args(_unwrap(annotation)):
        if not (isinstance(member, type) and issubclass(member, BaseModel)):
            continue
        field = member.model_fields.get("type")
        if field is not None and tag in typing.get_args(field.annotation):
            return member
    return None


def _walk(loc: Sequence[str | int]) -> tuple[type[BaseModel] | None, tuple[str | int, ...]]:
    """The model that holds the field at the end of ``loc`` (None when ``loc`` leaves the models), and ``loc``
    without the union tags pydantic inserts (``sinks.0.loki.url`` -> ``sinks.0.url``)."""
    model: Any = StackConfig
    cleaned: list[str | int] = []
    pending: Any = None  # the annotation of the list/union we are inside
    for part in loc:
        if pending is not None:
            if isinstance(part, int) and typing.get_origin(_unwrap(pending)) is list:
                pending = typing.get_args(_unwrap(pending))[0]
                cleaned.append(part)
                inner = _unwrap(pending)
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    model, pending = inner, None
                continue
            variant = _variant(pending, str(part))
            if variant is not None:
                model, pending = variant, None
                continue
            return None, tuple(cleaned) + tuple(loc[len(cleaned) + 1 :])
        cleaned.append(part)
        if model is None:
            continue
        by_alias = {info.alias or name: info for name, info in model.model_fields.items()}
        info = by_alias.get(str(part))
        annotation = _unwrap(getattr(info, "annotation", None))
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        elif typing.get_origin(annotation) is list:
            model, pending = None, annotation
        else:
            model = None
    return model, tuple(cleaned)


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class that holds the field at ``loc`` (for listing its known keys)."""
    model, _ = _walk(loc)
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
    _, cleaned = _walk(loc)
    key = f"{CONFIG_NAMESPACE}:{_dotted(cleaned)}"
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        known = sorted(info.alias or name for name, info in parent.model_fields.items()) if parent else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        choices = f"; remove it or use one of: {', '.join(known)}" if known else "; remove it"
        return ConfigIssue(key, _ABSENT, f"is not a known key{hint}{choices}")
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
