"""Run the real guardrail chain over labelled rows and measure it: recall, false-positive rate, latency.

Rates are computed on unique texts (a corpus that repeats a text must not count it twice); latency is
measured on every row, around the chain call alone. ``--kind output`` scans each text as a tool result
(after the call); ``--kind input`` passes it as a tool's arguments (before the call).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from hooks.audit.memory import MemoryAuditSink
from hooks.guardrails.chain import GuardrailChain
from hooks.guardrails.config import GuardrailConfig, ToolPolicy
from hooks.types import GuardrailContext

Kind = Literal["output", "input"]
EVAL_TOOL = "eval_tool"
_BFCL_TYPES = {"dict": "object", "float": "number", "tuple": "array", "any": None, "list": "array", "str": "string"}


@dataclass(frozen=True)
class LabelledRow:
    """One evaluation row."""

    index: int
    text: Any
    positive: bool
    tool_name: str = EVAL_TOOL
    tool_schema: Mapping[str, Any] | None = None
    group: str = ""
    """The row's value of the ``--by`` field, if any: figures are also reported per group."""


@dataclass(frozen=True)
class Decision:
    index: int
    positive: bool
    flagged: bool
    score: float | None
    rule: str
    ms: float


@dataclass
class EvalReport:
    rows: int = 0
    positives: int = 0
    negatives: int = 0
    unique_positives: int = 0
    unique_negatives: int = 0
    true_positives: int = 0
    false_positives: int = 0
    recall: float = 0.0
    fpr: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    rules: dict[str, int] = field(default_factory=dict)
    groups: dict[str, EvalReport] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["groups"] = {name: report.as_dict() for name, report in self.groups.items()}
        if not self.groups:
            del out["groups"]
        return out


def function_schema_to_json_schema(schema: Any) -> dict[str, Any]:
    """Convert a function-calling schema (OpenAI / BFCL dialect: ``parameters``, ``"type": "dict"``, ``float``,
    ``tuple``, ``any``) into JSON Schema draft 2020-12."""
    node = schema.get("parameters", schema) if isinstance(schema, Mapping) else {}

    def convert(value: Any) -> Any:
        if isinstance(value, list):
            return [convert(v) for v in value]
        if not isinstance(value, Mapping):
            return value
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == "type" and isinstance(item, str):
                mapped = _BFCL_TYPES.get(item, item)
                if mapped is not None:
                    out["type"] = mapped
            elif key == "properties" and isinstance(item, Mapping):
                out["properties"] = {name: convert(sub) for name, sub in item.items()}
            elif key in ("items", "additionalProperties", "anyOf", "oneOf", "allOf"):
                out[key] = convert(item)
            elif key in ("required", "enum", "description", "default", "minimum", "maximum", "format"):
                out[key] = item
        if out.get("type") == "number" and "enum" in out:
            out.pop("enum")  # BFCL lists sample values there
        if "default" in value and value["default"] is None and isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]  # an optional parameter whose default is null accepts null
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        return out

    converted = convert(node)
    return converted if isinstance(converted, dict) else {}


def eval_config(base: GuardrailConfig, rows: Iterable[LabelledRow]) -> GuardrailConfig:
    """``base`` with the rows' tools registered (their schema, or an open object) at low risk, provenance off."""
    tools = dict(base.tools)
    for row in rows:
        if row.tool_name not in tools:
            schema = function_schema_to_json_schema(row.tool_schema) if row.tool_schema else {"type": "object"}
            tools[row.tool_name] = ToolPolicy.model_validate({"schema": schema})
    return base.model_copy(update={"tools": tools, "provenance": base.provenance.model_copy(update={"enabled": False})})


async def _decide(chain: GuardrailChain, row: LabelledRow, kind: Kind) -> Decision:
    text = row.text
    started = time.perf_counter()
    if kind == "output":
        ctx = GuardrailContext(
            conversation_id=f"eval-{row.index}", user_id="eval", tool_name=row.tool_name, tool_input={}
        )
        result = await chain.after_tool_execution(ctx, text)
        flagged = not result.allow
    else:
        tool_input = text if isinstance(text, Mapping) else {"input": text}
        ctx = GuardrailContext(
            conversation_id=f"eval-{row.index}", user_id="eval", tool_name=row.tool_name, tool_input=tool_input
        )
        result = await chain.before_tool_execution(ctx)
        flagged = not result.allow
    ms = (time.perf_counter() - started) * 1000
    return Decision(row.index, row.positive, flagged, result.score, result.rule or "none", ms)


def _key(text: Any) -> str:
    return text if isinstance(text, str) else json.dumps(text, sort_keys=True, default=str)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[min(998, max(0, round(q * 1000) - 1))]


def summarize(rows: list[LabelledRow], decisions: list[Decision], *, per_group: bool = True) -> EvalReport:
    report = EvalReport(rows=len(rows))
    report.positives = sum(r.positive for r in rows)
    report.negatives = len(rows) - report.positives
    unique: dict[tuple[str, bool], bool] = {}
    for row, decision in zip(rows, decisions, strict=True):
        unique.setdefault((_key(row.text), row.positive), decision.flagged)
    report.unique_positives = sum(1 for (_, positive) in unique if positive)
    report.unique_negatives = len(unique) - report.unique_positives
    report.true_positives = sum(1 for (_, positive), flagged in unique.items() if positive and flagged)
    report.false_positives = sum(1 for (_, positive), flagged in unique.items() if not positive and flagged)
    report.recall = report.true_positives / report.unique_positives if report.unique_positives else 0.0
    report.fpr = report.false_positives / report.unique_negatives if report.unique_negatives else 0.0
    latencies = [d.ms for d in decisions]
    report.p50_ms = round(_percentile(latencies, 0.50), 4)
    report.p99_ms = round(_percentile(latencies, 0.99), 4)
    report.rules = dict(Counter(d.rule for d in decisions if d.flagged).most_common())
    names = sorted({row.group for row in rows if row.group}) if per_group else []
    for name in names:
        pairs = [(r, d) for r, d in zip(rows, decisions, strict=True) if r.group == name]
        report.groups[name] = summarize([r for r, _ in pairs], [d for _, d in pairs], per_group=False)
    return report


def evaluate(
    rows: list[LabelledRow],
    *,
    kind: Kind,
    config: GuardrailConfig | None = None,
    progress: Callable[[int, int], None] = lambda _done, _total: None,
) -> tuple[EvalReport, list[Decision]]:
    """Run the chain on every row (in order) and summarize."""
    chain = GuardrailChain(eval_config(config or GuardrailConfig(), rows), audit=MemoryAuditSink(capacity=1000))

    async def run_all() -> list[Decision]:
        decisions = []
        for done, row in enumerate(rows, 1):
            decisions.append(await _decide(chain, row, kind))
            if done % 500 == 0 or done == len(rows):
                progress(done, len(rows))
        return decisions

    decisions = asyncio.run(run_all())
    return summarize(rows, decisions), decisions
