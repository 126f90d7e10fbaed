"""Schema enforcement: tool arguments validated against the tool's JSON Schema (draft 2020-12), strictly.

Unexpected fields are rejected: every object schema that lists ``properties`` and says nothing about
``additionalProperties`` is compiled with ``additionalProperties: false``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator

from hooks.guardrails.checks.base import ALLOW, Verdict
from hooks.guardrails.config import ToolPolicy, prefix_policy
from hooks.types import GuardrailContext

_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_SINGLE = ("items", "additionalItems", "contains", "not", "if", "then", "else", "unevaluatedItems")


def strict_schema(schema: Any) -> Any:
    """A copy of ``schema`` where objects with ``properties`` reject unlisted fields."""
    schema = copy.deepcopy(schema)
    _tighten(schema)
    return schema


def _tighten(node: Any) -> None:
    if not isinstance(node, dict):
        return
    if "properties" in node and "additionalProperties" not in node and "unevaluatedProperties" not in node:
        node["additionalProperties"] = False
    for key in _SUBSCHEMA_MAPS:
        for sub in (node.get(key) or {}).values():
            _tighten(sub)
    for key in _SUBSCHEMA_LISTS:
        for sub in node.get(key) or []:
            _tighten(sub)
    for key in _SUBSCHEMA_SINGLE:
        _tighten(node.get(key))
    if isinstance(node.get("additionalProperties"), dict):
        _tighten(node["additionalProperties"])


def describe_error(error: Any) -> str:
    """``argument 'amount': -5 is less than the minimum of 0`` — names the field and what is wrong."""
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
    where = f"argument '{path}'" if path else "arguments"
    message = str(error.message)
    if error.validator == "additionalProperties":
        message += "; remove it or add it to the tool's schema"
    return f"{where}: {message}"


class SchemaCheck:
    """Validates each call's arguments against its registered schema; unknown tools and schemaless tools block."""

    name = "schema"

    def __init__(self, tools: Mapping[str, ToolPolicy], prefixes: Mapping[str, ToolPolicy] | None = None) -> None:
        self._validators = {
            name: Draft202012Validator(strict_schema(policy.json_schema))
            for name, policy in tools.items()
            if policy.json_schema is not None
        }
        self._tools = set(tools)
        self._prefixes = dict(prefixes or {})
        self._prefix_validators = {
            prefix: Draft202012Validator(strict_schema(policy.json_schema))
            for prefix, policy in self._prefixes.items()
            if policy.json_schema is not None
        }

    def check_input(self, ctx: GuardrailContext) -> Verdict:
        if ctx.tool_name not in self._tools:
            prefix, _ = prefix_policy(self._prefixes, ctx.tool_name)
            if prefix is None:
                return Verdict("block", rule="unknown-tool", reason=f"tool {ctx.tool_name!r} is not registered")
            validator = self._prefix_validators.get(prefix)
        else:
            validator = self._validators.get(ctx.tool_name)
        if validator is None:
            return Verdict(
                "block", rule="schema.missing", reason=f"tool {ctx.tool_name!r} has no schema registered; add one"
            )
        errors = sorted(validator.iter_errors(dict(ctx.tool_input)), key=lambda e: list(e.absolute_path))
        if not errors:
            return ALLOW
        shown = "; ".join(describe_error(e) for e in errors[:5])
        more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
        return Verdict("block", rule="schema.invalid", reason=f"{shown}{more}")
