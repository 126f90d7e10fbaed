"""Validate custom resources against the real CRD schemas in ``shared/crds/``, rejecting unknown fields.

The CRDs (Kyverno v1.19.0, External Secrets Operator v2.9.0) live beside the repository and are never copied
into it. For every *served* version, ``spec.versions[].schema.openAPIV3Schema`` becomes a Draft 7 validator
after these changes, which make it stricter than the API server (which prunes unknown fields silently):

* every ``type: object`` node that has ``properties`` and neither ``additionalProperties`` nor
  ``x-kubernetes-preserve-unknown-fields: true`` gets ``additionalProperties: false``, so a typo is an error;
* ``nullable: true`` also accepts ``null``; ``x-kubernetes-int-or-string: true`` accepts an integer or a string;
* a ``required`` field that has a ``default`` is optional (the API server defaults before it validates);
* the formats ``byte``, ``date-time``, ``int32`` and ``int64`` are checked.

``metadata`` (a bare ``type: object`` in a CRD) is validated with a small strict schema of its own, and a
namespace on a cluster-scoped kind is rejected. ``x-kubernetes-validations`` (CEL rules) are not evaluated.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import functools
import json
import re
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator, FormatChecker

CRD_DIR = Path(__file__).resolve().parents[2] / "shared" / "crds"

#: The C loader parses the 1.4 MB Kyverno CRDs several times faster than the pure-Python one.
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_SUBDOMAIN = rf"{_DNS_LABEL}(\.{_DNS_LABEL})*"
#: A Kubernetes qualified name: an optional DNS-subdomain prefix (at most 253 characters) and ``/``, then a
#: name of 1-63 alphanumerics, ``-``, ``_`` or ``.`` that starts and ends with an alphanumeric.
_QUALIFIED_NAME = rf"^((?=[^/]{{1,253}}/){_DNS_SUBDOMAIN}/)?[A-Za-z0-9]([-A-Za-z0-9_.]{{0,61}}[A-Za-z0-9])?$"
_QUALIFIED_NAME_HINT = (
    "a qualified name: an optional DNS-subdomain prefix and '/', then 1-63 alphanumerics, '-', '_' or '.'"
    " starting and ending with an alphanumeric"
)

#: ``metadata`` as a manifest may carry it (what a program sets, not what the server adds).
METADATA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": {
            "type": "string",
            "maxLength": 253,
            "pattern": f"^{_DNS_SUBDOMAIN}$",
            "x-error": "must be a DNS subdomain: lowercase alphanumerics, '-' and '.', at most 253 characters",
        },
        "namespace": {
            "type": "string",
            "maxLength": 63,
            "pattern": f"^{_DNS_LABEL}$",
            "x-error": "must be a DNS label: lowercase alphanumerics and '-', at most 63 characters",
        },
        "labels": {
            "type": "object",
            "propertyNames": {"pattern": _QUALIFIED_NAME, "x-error": f"label keys must be {_QUALIFIED_NAME_HINT}"},
            "additionalProperties": {
                "type": "string",
                "pattern": r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$",
                "x-error": "label values must be empty or 1-63 alphanumerics, '-', '_' or '.'"
                " starting and ending with an alphanumeric",
            },
        },
        "annotations": {
            "type": "object",
            # The API server lower-cases an annotation key before it checks it.
            "propertyNames": {
                "pattern": f"(?i){_QUALIFIED_NAME}",
                "x-error": f"annotation keys must be {_QUALIFIED_NAME_HINT}",
            },
            "additionalProperties": {"type": "string"},
        },
    },
}


class UnknownKindError(KeyError):
    """No served CRD schema exists for an object's apiVersion and kind."""

    def __init__(self, api_version: object, kind: object, detail: str) -> None:
        super().__init__(api_version, kind)
        self.api_version = api_version
        self.kind = kind
        self.detail = detail

    def __str__(self) -> str:  # KeyError would print the repr of its arguments
        return self.detail


@dataclass(frozen=True)
class ServedKind:
    """One served version of one CRD kind."""

    api_version: str
    kind: str
    crd_name: str
    cluster_scoped: bool
    storage: bool
    schema: dict[str, Any]  # the hardened openAPIV3Schema
    validator: Any  # jsonschema.Draft7Validator


# --- formats ------------------------------------------------------------------------------------------

_FORMATS: Any = FormatChecker(formats=())
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _is_byte(instance: object) -> bool:
    if isinstance(instance, str):
        base64.b64decode(instance, validate=True)
    return True


def _is_date_time(instance: object) -> bool:
    return not isinstance(instance, str) or _RFC3339.match(instance) is not None


def _int_range(bits: int) -> Any:
    def check(instance: object) -> bool:
        if isinstance(instance, bool) or not isinstance(instance, int):
            return True
        return -(1 << (bits - 1)) <= instance < 1 << (bits - 1)

    return check


_FORMATS.checks("byte", raises=(binascii.Error, ValueError))(_is_byte)
_FORMATS.checks("date-time")(_is_date_time)
_FORMATS.checks("int32")(_int_range(32))
_FORMATS.checks("int64")(_int_range(64))


# --- schema hardening ---------------------------------------------------------------------------------


def harden(node: Any) -> Any:
    """A strict copy of an OpenAPI v3 (structural) schema node; descriptions are dropped.

    Only schema positions are descended into (``properties``, ``items``, ``additionalProperties``, ``allOf``,
    ``anyOf``, ``oneOf``, ``not``), never values such as ``default``, ``enum`` or ``example``.
    """
    if not isinstance(node, Mapping):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "description":
            continue
        if key == "properties" and isinstance(value, Mapping):
            out[key] = {name: harden(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            out[key] = [harden(sub) for sub in value] if isinstance(value, list) else harden(value)
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [harden(sub) for sub in value]
        else:
            out[key] = value

    if out.get("x-kubernetes-int-or-string") is True:
        out["type"] = ["integer", "string"]
        # controller-gen also emits anyOf [{type: integer}, {type: string}]; the type list replaces it.
        if all(isinstance(sub, Mapping) and set(sub) <= {"type"} for sub in out.get("anyOf", [])):
            out.pop("anyOf", None)
    if out.get("nullable") is True:
        types = out.get("type")
        if isinstance(types, str):
            out["type"] = [types, "null"]
        elif isinstance(types, list) and "null" not in types:
            out["type"] = [*types, "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    properties = out.get("properties")
    if isinstance(properties, Mapping):
        if isinstance(out.get("required"), list):
            required = [
                name
                for name in out["required"]
                if not (isinstance(properties.get(name), Mapping) and "default" in properties[name])
            ]
            if required:
                out["required"] = required
            else:
                del out["required"]
        if (
            out.get("type") == "object"
            and "additionalProperties" not in out
            and out.get("x-kubernetes-preserve-unknown-fields") is not True
        ):
            out["additionalProperties"] = False
    return out


# --- error rendering ----------------------------------------------------------------------------------

_SHORT = reprlib.Repr()
_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxdict = 4
_SHORT.maxlist = 4
_SHORT.maxlevel = 2
_PLAIN_SEGMENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")
_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))


def json_path(parts: Iterable[str | int], prefix: str = "") -> str:
    """``spec.rules[0].verifyImages[0].failureAction``; keys that are not plain names are quoted."""
    path = prefix
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _PLAIN_SEGMENT.match(part):
            path += f".{part}" if path else part
        else:
            path += f"[{json.dumps(part)}]"
    return path or "(root)"


def _json_type(instance: object) -> str:
    if instance is None:
        return "null"
    if isinstance(instance, Mapping):
        return "object"
    if isinstance(instance, list):
        return "array"
    return next((name for cls, name in _JSON_TYPES if isinstance(instance, cls)), type(instance).__name__)


def _fields(names: Iterable[object]) -> str:
    return ", ".join(repr(name) for name in names)


def _required_only(schemas: object) -> list[list[str]] | None:
    """The field lists of ``[{required: [...]}, ...]``, or None if any branch says more than that."""
    branches = schemas if isinstance(schemas, list) else [schemas]
    lists: list[list[str]] = []
    for branch in branches:
        if not (isinstance(branch, Mapping) and set(branch) == {"required"} and isinstance(branch["required"], list)):
            return None
        lists.append([str(name) for name in branch["required"]])
    return lists or None


def _messages(error: Any, prefix: str) -> list[str]:
    """Human-readable ``path: message`` lines for one jsonschema error (an unknown-fields error may give several)."""
    keyword: str = error.validator
    value: Any = error.validator_value
    instance: Any = error.instance
    schema: Any = error.schema
    parts: list[str | int] = list(error.absolute_path)
    where = json_path(parts, prefix)
    short = _SHORT.repr(instance)

    if keyword == "additionalProperties" and value is False and isinstance(instance, Mapping):
        known = list(schema.get("properties", {}))
        patterns = list(schema.get("patternProperties", {}))
        lines = []
        for key in instance:
            if key in known or any(re.search(p, key) for p in patterns):
                continue
            hint = difflib.get_close_matches(str(key), known, n=1, cutoff=0.7)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
            allowed = f"; allowed: {', '.join(sorted(known))}" if not hint and len(known) <= 12 else ""
            lines.append(f"{json_path([*parts, key], prefix)}: unknown field {key!r}{suggestion}{allowed}")
        return lines
    if "propertyNames" in error.relative_schema_path:
        return [f"{json_path([*parts, str(instance)], prefix)}: invalid key {short}: {schema.get('x-error', keyword)}"]
    if keyword == "pattern" and "x-error" in schema:
        message = f"{short} {schema['x-error']}"
    elif keyword == "required":
        missing = [name for name in value if isinstance(instance, Mapping) and name not in instance]
        message = f"missing required field{'s' if len(missing) > 1 else ''} {_fields(missing)}"
    elif keyword == "type":
        expected = " or ".join(value) if isinstance(value, list) else value
        message = f"expected {expected}, got {_json_type(instance)} {short}"
    elif keyword == "enum":
        message = f"{short} is not one of {_fields(value)}"
    elif keyword == "format":
        message = f"{short} is not a valid {value!r} value"
    elif keyword in ("minProperties", "maxProperties") and isinstance(instance, Mapping):
        bound = "at least" if keyword == "minProperties" else "at most"
        message = f"must set {bound} {value} field(s), got {len(instance)}: {_fields(instance)}"
    elif keyword == "not" and (lists := _required_only(value)) is not None:
        message = f"fields {_fields(lists[0])} must not all be set together"
        if len(lists[0]) == 2:
            message = f"fields {lists[0][0]!r} and {lists[0][1]!r} are mutually exclusive"
    elif keyword in ("oneOf", "anyOf") and (lists := _required_only(value)) is not None:
        choices = " | ".join("+".join(names) for names in lists)
        message = f"{'exactly' if keyword == 'oneOf' else 'at least'} one of these must be set: {choices}"
    elif keyword in ("oneOf", "anyOf", "allOf", "not"):
        message = f"{short} does not satisfy {keyword} {_SHORT.repr(value)}"
    else:
        message = error.message if len(error.message) <= 300 else error.message[:297] + "..."
    return [f"{where}: {message}"]


def _plain(value: Any) -> Any:
    """JSON-like builtins: any Mapping becomes a dict and any non-string Sequence a list."""
    if isinstance(value, Mapping):
        return {key: _plain(sub) for key, sub in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes | bytearray):
        return [_plain(sub) for sub in value]
    return value


def _sort_key(line: str) -> tuple[str, str]:
    path, _, message = line.partition(": ")
    return path, message


# --- the registry -------------------------------------------------------------------------------------

_METADATA_VALIDATOR: Any = Draft7Validator(METADATA_SCHEMA)


class CrdSchemas:
    """Served CRD versions by ``(apiVersion, kind)``, each with a strict Draft 7 validator."""

    def __init__(self, crds: Iterable[Mapping[str, Any]]) -> None:
        self._served: dict[tuple[str, str], ServedKind] = {}
        self._unserved: dict[tuple[str, str], str] = {}
        for crd in crds:
            self._add(crd)

    @classmethod
    def from_directory(cls, directory: Path = CRD_DIR) -> CrdSchemas:
        """Every CustomResourceDefinition in ``directory/*/*.yaml``."""
        files = sorted(directory.glob("*/*.yaml"))
        if not files:
            raise FileNotFoundError(f"no CRD files under {directory}")
        crds = []
        for path in files:
            for doc in yaml.load_all(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER):
                if isinstance(doc, Mapping) and doc.get("kind") == "CustomResourceDefinition":
                    crds.append(doc)
        return cls(crds)

    def _add(self, crd: Mapping[str, Any]) -> None:
        spec = crd["spec"]
        group: str = spec["group"]
        kind: str = spec["names"]["kind"]
        cluster_scoped = spec["scope"] == "Cluster"
        for version in spec["versions"]:
            key = (f"{group}/{version['name']}", kind)
            if not version.get("served", False):
                deprecated = " (deprecated)" if version.get("deprecated") else ""
                self._unserved[key] = f"{crd['metadata']['name']} has version {version['name']}{deprecated}"
                continue
            schema = harden(version["schema"]["openAPIV3Schema"])
            self._served[key] = ServedKind(
                api_version=key[0],
                kind=kind,
                crd_name=crd["metadata"]["name"],
                cluster_scoped=cluster_scoped,
                storage=bool(version.get("storage", False)),
                schema=schema,
                validator=Draft7Validator(schema, format_checker=_FORMATS),
            )

    def known_kinds(self) -> set[tuple[str, str]]:
        """Every served ``(apiVersion, kind)``."""
        return set(self._served)

    def lookup(self, api_version: object, kind: object) -> ServedKind:
        """The served kind, or an :class:`UnknownKindError` that says why there is none."""
        if not isinstance(api_version, str) or not isinstance(kind, str):
            raise UnknownKindError(
                api_version, kind, f"object needs string apiVersion and kind, got {api_version!r} and {kind!r}"
            )
        key = (api_version, kind)
        if key in self._served:
            return self._served[key]
        served = sorted(v for v, k in self._served if k == kind)
        alternatives = f"; served: {', '.join(served)}" if served else ""
        if key in self._unserved:
            detail = f"{api_version} {kind} is not served: {self._unserved[key]} with served: false{alternatives}"
        else:
            detail = f"no CRD schema for {api_version} {kind}{alternatives}"
        raise UnknownKindError(api_version, kind, detail)

    def validate(self, obj: Mapping[str, Any]) -> list[str]:
        """Every schema violation of ``obj`` as ``path: message`` (sorted); empty when it is valid.

        Raises :class:`UnknownKindError` when no served schema exists for its apiVersion and kind.
        """
        if not isinstance(obj, Mapping):
            raise TypeError(f"expected a mapping, got {type(obj).__name__}")
        served = self.lookup(obj.get("apiVersion"), obj.get("kind"))
        instance = _plain(obj)
        lines: list[str] = []
        for error in served.validator.iter_errors(instance):
            lines.extend(_messages(error, ""))
        metadata = instance.get("metadata")
        if metadata is None:
            lines.append("metadata: missing required field 'metadata'")
        elif isinstance(metadata, Mapping):  # a non-object is already reported by the CRD schema
            for error in _METADATA_VALIDATOR.iter_errors(metadata):
                lines.extend(_messages(error, "metadata"))
            if served.cluster_scoped and "namespace" in metadata:
                lines.append(
                    f"metadata.namespace: {served.kind} is cluster-scoped ({served.crd_name}),"
                    " so metadata.namespace must not be set"
                )
        return sorted(dict.fromkeys(lines), key=_sort_key)


@functools.cache
def crd_schemas(directory: Path = CRD_DIR) -> CrdSchemas:
    """The CRDs under ``directory``, loaded once per process."""
    return CrdSchemas.from_directory(directory)


def validate(obj: Mapping[str, Any]) -> list[str]:
    """Every schema violation of ``obj`` against the shared CRDs; see :meth:`CrdSchemas.validate`."""
    return crd_schemas().validate(obj)


def known_kinds() -> set[tuple[str, str]]:
    """Every served ``(apiVersion, kind)`` in the shared CRDs."""
    return crd_schemas().known_kinds()
