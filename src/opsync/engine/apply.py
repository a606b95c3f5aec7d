"""Apply a plan: execute exactly its operations, each through the journal.

Each operation is journaled ``planned`` → ``started`` → ``done`` | ``failed``. One failing
operation is recorded and the others still run; the run then exits 1. A service that stays
down (``STOP_AFTER`` operations in a row to one role whose retries ran out) is not asked
again in this run: each retry budget is bounded, but thirty of them back to back are not, so
that role's remaining operations are reported as not attempted and left in the journal as
planned for the next run. Creates are safe to
repeat after a crash because every created file, record and message carries its key in the
target and the next run's read finds it (the plan then has nothing to create).
"""

from __future__ import annotations

from dataclasses import dataclass

from opsync.connectors.base import (
    FeedStore,
    FileWrite,
    Message,
    Notifier,
    PageWrite,
    RecordWrite,
    WikiConnector,
)
from opsync.engine.plan import Operation, Plan
from opsync.engine.report import Reporter
from opsync.errors import TransientError
from opsync.state import StateStore


@dataclass(frozen=True)
class Targets:
    """Which connector each kind of operation goes to (the config's roles)."""

    wiki: WikiConnector
    notifier: Notifier
    feeds: FeedStore


STOP_AFTER = 3  # transient failures in a row after which a role's service counts as down


def _role(op: Operation) -> str:
    payload = op.payload
    if isinstance(payload, RecordWrite | PageWrite):
        return "wiki"
    return "feeds" if isinstance(payload, FileWrite) else "notifier"


def _execute(targets: Targets, op: Operation) -> None:
    payload = op.payload
    if isinstance(payload, RecordWrite):
        targets.wiki.write_record(payload)
    elif isinstance(payload, PageWrite):
        targets.wiki.write_page(payload)
    elif isinstance(payload, FileWrite):
        targets.feeds.write_file(payload)
    elif isinstance(payload, Message):
        targets.notifier.send(payload)


def apply(
    plan: Plan, targets: Targets, store: StateStore, run_id: str, reporter: Reporter
) -> tuple[list[Operation], list[tuple[Operation, str]]]:
    done: list[Operation] = []
    failed: list[tuple[Operation, str]] = []
    for op in plan.operations:
        store.journal(run_id, op.key, op.kind, op.target, op.reason, "planned")
    down: dict[str, int] = {}  # role → transient failures in a row
    for index, op in enumerate(plan.operations, start=1):
        role = _role(op)
        if down.get(role, 0) >= STOP_AFTER:
            failed.append((op, f"not attempted: {_down_message(role)}"))
            reporter.progress(index, len(plan.operations), op)
            continue
        store.journal(run_id, op.key, op.kind, op.target, op.reason, "started")
        try:
            _execute(targets, op)
        except Exception as exc:  # one operation failing must not stop the others
            message = f"{type(exc).__name__}: {exc}"
            store.journal(run_id, op.key, op.kind, op.target, op.reason, "failed", message)
            failed.append((op, message))
            down[role] = down.get(role, 0) + 1 if isinstance(exc, TransientError) else 0
        else:
            store.journal(run_id, op.key, op.kind, op.target, op.reason, "done")
            done.append(op)
            down[role] = 0
        reporter.progress(index, len(plan.operations), op)
    return done, failed


def _down_message(role: str) -> str:
    return (
        f"the {role} service failed {STOP_AFTER} operations in a row after its retries; "
        "the next run does it"
    )
