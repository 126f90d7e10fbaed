"""The stage runner: each stage runs in order, is timed, and either succeeds, fails closed, or is skipped.

A stage is a callable returning a one-line summary; it fails by raising ``StageFailed`` (any other exception
is a failure too, reported with its type). After a failure the remaining stages are ``not-run``. The table
and its JSON form list every stage, so a skipped or not-run stage is visible, never silent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class StageFailed(RuntimeError):
    """A stage's check did not pass; the message says why (it becomes the table's detail)."""


class Status(StrEnum):
    OK = "ok"
    DRY_RUN = "dry-run"
    """Ran with every check that mutates nothing; what it would have changed is in the detail."""
    SKIPPED = "skipped"
    FAILED = "failed"
    NOT_RUN = "not-run"


@dataclass(frozen=True)
class Stage:
    """A named step. ``skip`` (a reason) records it as skipped without running it."""

    name: str
    run: Callable[[], str]
    skip: str | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class StageResult:
    name: str
    status: Status
    seconds: float
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.name,
            "result": str(self.status),
            "seconds": round(self.seconds, 3),
            "detail": self.detail,
        }


@dataclass
class Report:
    """The outcome of one run: every stage in order."""

    stack: str
    dry_run: bool
    results: list[StageResult] = field(default_factory=list)

    @property
    def failed_stage(self) -> str | None:
        return next((r.name for r in self.results if r.status is Status.FAILED), None)

    @property
    def ok(self) -> bool:
        return self.failed_stage is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "dryRun": self.dry_run,
            "ok": self.ok,
            "failedStage": self.failed_stage,
            "stages": [r.as_dict() for r in self.results],
        }


def run_stages(
    stack: str, stages: Sequence[Stage], *, dry_run: bool, clock: Callable[[], float] = time.monotonic
) -> Report:
    """Run ``stages`` in order; stop at the first failure (the rest are ``not-run``)."""
    report = Report(stack=stack, dry_run=dry_run)
    failed = False
    for stage in stages:
        if failed:
            report.results.append(
                StageResult(stage.name, Status.NOT_RUN, 0.0, f"not run: {report.failed_stage} failed")
            )
            continue
        if stage.skip is not None:
            report.results.append(StageResult(stage.name, Status.SKIPPED, 0.0, stage.skip))
            continue
        started = clock()
        try:
            detail = stage.run()
            status = Status.DRY_RUN if stage.dry_run else Status.OK
        except StageFailed as exc:
            detail, status = str(exc), Status.FAILED
        except Exception as exc:  # fail closed: an unexpected error is a failure of this stage, never a pass
            detail, status = f"{type(exc).__name__}: {exc}", Status.FAILED
        report.results.append(StageResult(stage.name, status, clock() - started, detail))
        failed = status is Status.FAILED
    return report


def format_table(report: Report, width: int = 100) -> str:
    """The stage table: stage, duration, result, detail (cut to ``width`` columns per line)."""
    rows = [("stage", "duration", "result", "detail")]
    rows += [(r.name, f"{r.seconds:.1f} s", str(r.status), r.detail) for r in report.results]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for row in rows:
        head = "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=False))
        detail = row[3].replace("\n", " ")
        room = max(20, width - len(head) - 2)
        lines.append(f"{head}  {detail if len(detail) <= room else detail[: room - 1] + '…'}".rstrip())
    verdict = (
        f"deploy of stack {report.stack!r} {'(dry run) ' if report.dry_run else ''}succeeded"
        if report.ok
        else f"deploy of stack {report.stack!r} failed at stage {report.failed_stage!r}"
    )
    return "\n".join([*lines, verdict])
