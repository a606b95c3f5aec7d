"""The run report: what was planned, applied, failed and found, made for cron and people.

The JSON form is stable (documented in docs/cli.md) and holds at least ``planned``,
``writes``, ``conflicts``, ``findings`` and ``requests``. :func:`exit_code` is the one place
the process's exit code is decided, for a run that completed and for one an error stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from opsync.connectors.base import Message
from opsync.domain.findings import Finding
from opsync.engine.diffs import edit_diff, region_diff
from opsync.engine.plan import Conflict, Operation, Plan
from opsync.errors import OpsyncError
from opsync.rules.output import ScoreRow

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CONFLICTS = 3
EXIT_LOCKED = 4
EXIT_UNREADABLE = 5
EXIT_STALE = 7

#: The JSON report's shape, one for every outcome; raised when a field is added, removed or
#: changes meaning (documented in docs/cli.md, "The JSON report"). 1 was the shape before
#: ``schema_version`` existed, with a different object for a run an error stopped; 2 had no
#: field changes nor region diffs on operations; 3 had no finding ``due`` and scorecard
#: rows held only their page's words (no ``key``, ``value``, ``target_value``, ``met``); 4 had
#: no ``unchanged``.
SCHEMA_VERSION = 5


class Reporter(Protocol):
    """Progress of a run; the library never prints, the CLI decides how to show this."""

    def stage(self, name: str) -> None: ...

    def progress(self, done: int, total: int, op: Operation) -> None: ...


class SilentReporter:
    def stage(self, name: str) -> None:
        return None

    def progress(self, done: int, total: int, op: Operation) -> None:
        return None


@dataclass
class RunReport:
    """What a run planned, wrote, failed at and found, as typed data: findings with their
    ``due`` dates, the scorecard with its ratios as numbers (:class:`ScoreRow`), the plan's
    :class:`Operation` and :class:`Conflict` objects. :meth:`to_json` is the same as the
    stable JSON report of docs/cli.md. ``now`` is the run's clock as ISO text (``at`` as a
    datetime)."""

    now: str
    applied: bool
    plan: Plan
    findings: list[Finding]
    requests: dict[str, dict[str, int]] = field(default_factory=dict)
    done: list[Operation] = field(default_factory=list)
    failed: list[tuple[Operation, str]] = field(default_factory=list)
    waiting: list[tuple[Operation, str]] = field(default_factory=list)
    scorecard: list[ScoreRow] = field(default_factory=list)
    # Operations refused while applying because a person edited their target between the
    # read and the write (the plan could not see it): conflicts like the plan's, not failures.
    conflicted: list[Conflict] = field(default_factory=list)
    identity_change: str | None = None
    interrupted: int = 0  # operations an earlier, killed run started and never finished
    # people's display names by handle, so a plan shows "Maya Chen" where a field holds "maya"
    names: dict[str, str] = field(default_factory=dict)
    # the run found its inputs as a full run that planned nothing left them, before the
    # clock turned, and reports that run's findings without reading (engine/memo.py)
    unchanged: bool = False

    @property
    def conflicts(self) -> tuple[Conflict, ...]:
        """Every conflict waiting for a person: those the plan found, then those found while
        applying."""
        return (*self.plan.conflicts, *self.conflicted)

    @property
    def exit_code(self) -> int:
        return exit_code(self)

    @property
    def at(self) -> datetime:
        """The run's clock (``now``), with its offset."""
        return datetime.fromisoformat(self.now)

    @property
    def planned(self) -> int:
        """How many operations the plan holds (written or not)."""
        return len(self.plan.operations)

    @property
    def writes(self) -> int:
        """How many operations this run applied (0 for a plan)."""
        return len(self.done)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "now": self.now,
            "applied": self.applied,
            "planned": self.planned,
            "writes": self.writes,
            "failed": [
                {"operation": op.key, "target": op.target, "error": error}
                for op, error in self.failed
            ],
            "waiting": [
                {"operation": op.key, "target": op.target, "reason": why}
                for op, why in self.waiting
            ],
            "conflicts": [
                {
                    "target": c.target,
                    "part": c.part,
                    "message": c.message,
                    "not_targeted": c.not_targeted,
                    "diff": "\n".join(edit_diff(c.edit)) if c.edit is not None else None,
                    "reported": c.reported,
                }
                for c in self.conflicts
            ],
            "findings": [
                {
                    "record": f.record,
                    "code": f.code,
                    "message": f.message,
                    "level": f.level.value,
                    "field": f.field,
                    "due": f.due.isoformat() if f.due is not None else None,
                }
                for f in self.findings
            ],
            "operations": [
                {
                    "kind": op.kind,
                    "collection": op.collection,
                    "target": op.target,
                    "reason": op.reason,
                    "key": op.key,
                    **operation_details(op),
                }
                for op in self.plan.operations
            ],
            "requests": self.requests,
            "scorecard": [row.model_dump() for row in self.scorecard],
            "identity_change": self.identity_change,
            "interrupted_before": self.interrupted,
            "unchanged": self.unchanged,
            "exit_code": self.exit_code,
            "error": None,
        }


def error_json(error: OpsyncError, *, now: str | None, applied: bool) -> dict[str, Any]:
    """The report of a run an error stopped: the same keys as a completed run's, nothing
    planned, written or found, and ``error`` set (a monitor reads one shape)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "now": now,
        "applied": applied,
        "planned": 0,
        "writes": 0,
        "failed": [],
        "waiting": [],
        "conflicts": [],
        "findings": [],
        "operations": [],
        "requests": {},
        "scorecard": [],
        "identity_change": None,
        "interrupted_before": 0,
        "unchanged": False,
        "exit_code": exit_code(error),
        "error": {"kind": type(error).__name__, "message": str(error)},
    }


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Failed(_Shape):
    operation: str
    target: str
    error: str


class _Waiting(_Shape):
    operation: str
    target: str
    reason: str


class _Conflict(_Shape):
    target: str
    part: str
    message: str
    not_targeted: bool  # left because ``--force KEY`` named other things
    diff: str | None  # a region's: what opsync would write against the person's edit
    reported: bool  # reported by an earlier sync, unchanged, and on_conflict = "report"


class _Finding(_Shape):
    record: str
    code: str
    message: str
    level: Literal["info", "warning", "error"]
    field: str | None
    due: str | None  # ISO date the owner was to act by


class _Message(_Shape):
    channel: str
    title: str
    text: str
    announces: str | None


class _Change(_Shape):
    field: str
    before: Any
    after: Any


class _RegionDiff(_Shape):
    region: str
    diff: str


class _Operation(_Shape):
    kind: Literal[
        "create_record",
        "update_record",
        "create_page",
        "update_page",
        "write_file",
        "send",
        "update_tracker",
    ]
    collection: str
    target: str
    reason: str
    key: str
    changes: list[_Change]
    regions: list[_RegionDiff]
    message: _Message | None = None


class _ScorecardRow(_Shape):
    key: str
    metric: str
    target: str
    current: str
    status: str
    basis: str
    value: float | None
    target_value: float
    met: bool | None


class _Error(_Shape):
    kind: str
    message: str


class ReportSchema(_Shape):
    """The JSON report, field by field (docs/cli.md): ``ReportSchema.model_validate(data)``
    checks a report a monitor reads; ``model_json_schema()`` gives it as a JSON Schema."""

    schema_version: Literal[5]
    now: str | None
    applied: bool
    planned: int
    writes: int
    failed: list[_Failed]
    waiting: list[_Waiting]
    conflicts: list[_Conflict]
    findings: list[_Finding]
    operations: list[_Operation]
    requests: dict[str, dict[str, int]]
    scorecard: list[_ScorecardRow]
    identity_change: str | None
    interrupted_before: int
    unchanged: bool
    exit_code: Literal[0, 1, 2, 3, 4, 5, 6, 7]
    error: _Error | None


def json_value(value: Any) -> Any:
    """A field's value as JSON holds it: dates as ISO text, the rest as the target stores it."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return value


def operation_details(op: Operation) -> dict[str, Any]:
    """What an operation changes, for a machine: each field before and after, each region's
    unified diff, a message's text and where it goes."""
    return {
        "changes": [
            {"field": name, "before": json_value(old), "after": json_value(new)}
            for name, old, new in op.changes
        ],
        "regions": [{"region": c.region, "diff": "\n".join(region_diff(c))} for c in op.regions],
        **_message(op.payload),
    }


def _message(payload: object) -> dict[str, Any]:
    """A send's message, for a report reader to see what would go out, and where."""
    if not isinstance(payload, Message):
        return {}
    return {
        "message": {
            "channel": payload.channel,
            "title": payload.title,
            "text": payload.text,
            "announces": payload.announces,
        }
    }


def exit_code(outcome: RunReport | OpsyncError) -> int:
    """The code the process exits with, decided here only, so that cron, the JSON report and
    the library agree on what each outcome means.

    ===  ===================================================================================
    0    the run completed; findings are its normal output and never change the code,
         except those saying input could not be read (5)
    1    the run completed, but an operation failed (even if there are conflicts too: a
         failure may need someone now, a conflict waits for its owner); or an error other
         than those below stopped it (a connector could not read its tool)
    2    a :class:`~opsync.errors.ConfigError` stopped it before anything was written
    3    the run completed with conflicts: a person edited what opsync owns, seen by the
         plan or by a write that found the edit made between the read and itself; with
         ``[run] on_conflict = "report"``, not for a conflict an earlier sync reported and
         nobody touched since
    4    :class:`~opsync.errors.LockHeld`: another run holds the lock; this one did nothing
    5    the run completed, but some input could not be read (a finding whose code is in
         :data:`~opsync.domain.findings.UNREADABLE_CODES`: broken front matter, a file that
         is not UTF-8, a tracker row without a key, a record a reader reports unreadable);
         that record was left out and the pages drawing on it say so. Only when the run
         would otherwise exit 0: a failure (1) or a conflict (3) needs a person sooner, and
         its report lists the unreadable records too
    6    :class:`~opsync.errors.DiskError`: the disk refused a write (full, read-only, no
         permission); the run stopped there
    ===  ===================================================================================

    An error's code is its class's ``exit_code`` (the table in :mod:`opsync.errors`).
    """
    if isinstance(outcome, OpsyncError):
        return outcome.exit_code
    if outcome.failed:
        return EXIT_FAILED
    if any(not c.reported for c in outcome.conflicts):
        return EXIT_CONFLICTS
    if any(f.unreadable for f in outcome.findings):
        return EXIT_UNREADABLE
    return EXIT_OK
