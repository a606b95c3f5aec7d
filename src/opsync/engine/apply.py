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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from opsync.connectors.base import FeedStore, Notifier, WikiConnector
from opsync.engine.plan import Operation, Plan
from opsync.engine.report import Reporter
from opsync.errors import TransientError
from opsync.state.sqlite import StateStore


@dataclass(frozen=True)
class Targets:
    """Which connector each kind of operation goes to (the config's roles)."""

    wiki: WikiConnector
    notifier: Notifier
    feeds: FeedStore


STOP_AFTER = 3  # transient failures in a row after which a role's service counts as down


#: Where each kind of operation goes: the role whose connector serves it, and the call.
#: One table, so a new kind of operation is one row here and one in the plan.
DISPATCH: Mapping[str, tuple[str, Callable[[Targets, Any], None]]] = {
    "create_record": ("wiki", lambda t, p: t.wiki.write_record(p)),
    "update_record": ("wiki", lambda t, p: t.wiki.write_record(p)),
    "create_page": ("wiki", lambda t, p: t.wiki.write_page(p)),
    "update_page": ("wiki", lambda t, p: t.wiki.write_page(p)),
    "write_file": ("feeds", lambda t, p: t.feeds.write_file(p)),
    "send": ("notifier", lambda t, p: t.notifier.send(p)),
}


def apply(
    plan: Plan, targets: Targets, store: StateStore, run_id: str, reporter: Reporter
) -> tuple[list[Operation], list[tuple[Operation, str]]]:
    done: list[Operation] = []
    failed: list[tuple[Operation, str]] = []
    for op in plan.operations:
        store.journal(run_id, op.key, op.kind, op.target, op.reason, "planned")
    down: dict[str, int] = {}  # role → transient failures in a row
    for index, op in enumerate(plan.operations, start=1):
        role, execute = DISPATCH[op.kind]
        if down.get(role, 0) >= STOP_AFTER:
            failed.append((op, f"not attempted: {_down_message(role)}"))
            reporter.progress(index, len(plan.operations), op)
            continue
        store.journal(run_id, op.key, op.kind, op.target, op.reason, "started")
        try:
            execute(targets, op.payload)
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
