"""Read a labelled JSONL file (plain or gzip) into evaluation rows, with errors that name the line and field."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

from hooks.guardrails.evaluation import EVAL_TOOL, LabelledRow


class RowsError(ValueError):
    """The file or one of its lines is not usable; the message names the line and the field."""


def _lines(path: Path) -> list[str]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RowsError(f"{path}: cannot read: {exc.strerror}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise RowsError(f"{path}: not a valid gzip file: {exc}") from None
    return raw.decode("utf-8", errors="replace").splitlines()


def read_labelled_rows(
    path: Path,
    *,
    text_field: str,
    label_field: str,
    positive: str,
    tool_field: str | None = None,
    schema_field: str | None = None,
    group_field: str | None = None,
) -> list[LabelledRow]:
    rows: list[LabelledRow] = []
    for number, line in enumerate(_lines(path), 1):
        if not line.strip():
            continue
        try:
            doc: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RowsError(f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(doc, dict):
            raise RowsError(f"{path}:{number}: expected a JSON object per line")
        for name in (text_field, label_field, *((group_field,) if group_field else ())):
            if name not in doc:
                raise RowsError(f"{path}:{number}: field {name!r} is missing (fields here: {', '.join(sorted(doc))})")
        tool_name = str(doc.get(tool_field, EVAL_TOOL)) if tool_field else EVAL_TOOL
        schema = doc.get(schema_field) if schema_field else None
        if schema is not None:  # one registration per distinct schema: names repeat with different schemas
            digest = hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()[:10]
            tool_name = f"{tool_name}#{digest}"
        rows.append(
            LabelledRow(
                index=len(rows),
                text=doc[text_field],
                positive=str(doc[label_field]) == positive,
                tool_name=tool_name,
                tool_schema=schema,
                group=str(doc[group_field]) if group_field else "",
            )
        )
    if not rows:
        raise RowsError(f"{path}: no rows")
    return rows
