"""The run report: what was planned, applied, failed and found, made for cron and people.

The JSON form is stable (documented in docs/cli.md) and holds at least ``planned``,
``writes``, ``conflicts``, ``findings`` and ``requests``; ``exit_code`` tells findings
(normal, 0) apart from failures (1), conflicts waiting for a person (3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from opsync.domain.findings import Finding
from opsync.engine.plan import Conflict, Operation, Plan

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CONFLICTS = 3
EXIT_LOCKED = 4


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
    now: str
    applied: bool
    plan: Plan
    findings: list[Finding]
    requests: dict[str, dict[str, int]] = field(default_factory=dict)
    done: list[Operation] = field(default_factory=list)
    failed: list[tuple[Operation, str]] = field(default_factory=list)
    scorecard: list[dict[str, str]] = field(default_factory=list)
    identity_change: str | None = None
    interrupted: int = 0  # operations an earlier, killed run started and never finished

    @property
    def conflicts(self) -> tuple[Conflict, ...]:
        return self.plan.conflicts

    @property
    def exit_code(self) -> int:
        if self.failed:
            return EXIT_FAILED
        if self.plan.conflicts:
            return EXIT_CONFLICTS
        return EXIT_OK

    def to_json(self) -> dict[str, Any]:
        return {
            "now": self.now,
            "applied": self.applied,
            "planned": len(self.plan.operations),
            "writes": len(self.done),
            "failed": [
                {"operation": op.key, "target": op.target, "error": error}
                for op, error in self.failed
            ],
            "conflicts": [
                {"target": c.target, "part": c.part, "message": c.message}
                for c in self.plan.conflicts
            ],
            "findings": [
                {
                    "record": f.record,
                    "code": f.code,
                    "message": f.message,
                    "level": f.level.value,
                    "field": f.field,
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
                }
                for op in self.plan.operations
            ],
            "requests": self.requests,
            "scorecard": self.scorecard,
            "identity_change": self.identity_change,
            "interrupted_before": self.interrupted,
            "exit_code": self.exit_code,
        }
