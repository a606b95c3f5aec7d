"""Apply a plan: execute exactly its operations, each through the journal.

Each operation is journaled ``planned`` → ``started`` → ``done`` | ``failed`` | ``conflict``.
One failing operation is recorded and the others still run; the run then exits 1. A write
that finds a person edited its target since the read (a ``ConflictError``) is a conflict,
as the plan would have reported had the edit come earlier: journaled as ``conflict``, not
``failed``, because a failed page write is finished over "edited" regions by the next run,
which would overwrite the person's edit the write just refused to touch. A service that stays
down (``STOP_AFTER`` operations in a row to one role whose retries ran out) is not asked
again in this run: each retry budget is bounded, but thirty of them back to back are not, so
that role's remaining operations are reported as not attempted and left in the journal as
planned for the next run. A disk that refuses a write (a ``DiskError``: full,
read-only) stops the run: every later write would fail the same way. Creates are safe to
repeat after a crash because every created file, record and message carries its key in the
target and the next run's read finds it (the plan then has nothing to create).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from opsync.connectors.base import (
    FeedStore,
    PageWrite,
    TrackerSink,
    TrackerWrite,
    WikiConnector,
)
from opsync.engine import pagelinks
from opsync.engine.notify import Delivery
from opsync.engine.plan import Conflict, Operation, Plan
from opsync.engine.report import Reporter
from opsync.engine.writeback import resolve
from opsync.errors import ConflictError, DiskError, LockHeld, TransientError
from opsync.state import StateStore


@dataclass(frozen=True)
class Targets:
    """Which connector each kind of operation goes to (the config's roles)."""

    wiki: WikiConnector
    notifier: Delivery
    feeds: FeedStore
    tracker: TrackerSink | None = None  # when it writes back (engine/writeback.py)


@dataclass
class Applied:
    """What became of each operation of the plan."""

    done: list[Operation] = field(default_factory=list)
    failed: list[tuple[Operation, str]] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    # not attempted because the page they follow was not written (a conflict or a failure
    # there, reported already): they wait for the run that writes it, and fail nothing
    waiting: list[tuple[Operation, str]] = field(default_factory=list)


STOP_AFTER = 3  # transient failures in a row after which a role's service counts as down


#: Where each kind of operation goes: the role whose connector serves it, and the call.
#: One table, so a new kind of operation is one row here and one in the plan.
DISPATCH: Mapping[str, tuple[str, Callable[[Targets, Any], None]]] = {
    "create_record": ("wiki", lambda t, p: t.wiki.write_record(p)),
    "update_record": ("wiki", lambda t, p: t.wiki.write_record(p)),
    "create_page": ("wiki", lambda t, p: t.wiki.write_page(_linked(t, p))),
    "update_page": ("wiki", lambda t, p: t.wiki.write_page(_linked(t, p))),
    "write_file": ("feeds", lambda t, p: t.feeds.write_file(p)),
    "send": ("notifier", lambda t, p: t.notifier.send(p)),
    "update_tracker": ("tracker", lambda t, p: _write_back(t, p)),
}


def _linked(targets: Targets, op: PageWrite) -> PageWrite:
    """The page with its links to other generated pages as their URLs are now: a page this
    run created (written before, engine/plan.py) is linked already (engine/pagelinks.py).
    Where a link resolves otherwise than for the plan, its renderings are dropped."""
    if op.linked is None:
        return op
    url_of = pagelinks.web_only(targets.wiki.page_url)
    document = pagelinks.resolve(op.linked, url_of)
    # the plan's renderings hold while the links resolve as they did for the plan
    rendered = op.rendered if document == op.document else None
    return replace(op, document=document, linked=None, rendered=rendered)


def _write_back(targets: Targets, op: TrackerWrite) -> None:
    """Write back onto the tracker, with the URL of the bundle page the write waited for."""
    tracker = targets.tracker
    if tracker is None:  # the plan has no such operation then; a guard, not a path
        raise ValueError("no tracker writes back in this run")
    tracker.write_release(resolve(op, tracker.writes_back(), targets.wiki.page_url))


def _conflict(op: Operation, error: ConflictError) -> Conflict:
    part = "fields" if op.kind.endswith(("_record", "_tracker")) else "region"
    return Conflict(
        target=op.target,
        part=f"{part} {error.region}" if error.region else part,
        message=str(error),
    )


def apply(
    plan: Plan, targets: Targets, store: StateStore, run_id: str, reporter: Reporter
) -> Applied:
    applied = Applied()
    for op in plan.operations:
        store.journal(run_id, op.key, op.kind, op.target, op.reason, "planned")
    down: dict[str, int] = {}  # role → transient failures in a row
    unwritten: set[str] = set()  # pages whose write failed or met a conflict in this run
    for index, op in enumerate(plan.operations, start=1):
        role, execute = DISPATCH[op.kind]
        if op.after is not None and op.after in unwritten:
            applied.waiting.append((op, f"waits for the page {op.after!r}, not written"))
            reporter.progress(index, len(plan.operations), op)
            continue
        if down.get(role, 0) >= STOP_AFTER:
            applied.failed.append((op, f"not attempted: {_down_message(role)}"))
            reporter.progress(index, len(plan.operations), op)
            continue
        store.journal(run_id, op.key, op.kind, op.target, op.reason, "started")
        try:
            execute(targets, op.payload)
        except ConflictError as exc:
            store.journal(run_id, op.key, op.kind, op.target, op.reason, "conflict", str(exc))
            applied.conflicts.append(_conflict(op, exc))
            down[role] = 0
            unwritten.add(op.target)
        except LockHeld as exc:  # the target's lease was taken over: stop writing at once
            store.journal(run_id, op.key, op.kind, op.target, op.reason, "failed", str(exc))
            raise
        except DiskError:
            raise  # a full or read-only disk fails every write after it: the run stops
        except Exception as exc:  # one operation failing must not stop the others
            message = f"{type(exc).__name__}: {exc}"
            store.journal(run_id, op.key, op.kind, op.target, op.reason, "failed", message)
            applied.failed.append((op, message))
            unwritten.add(op.target)
            down[role] = down.get(role, 0) + 1 if isinstance(exc, TransientError) else 0
        else:
            store.journal(run_id, op.key, op.kind, op.target, op.reason, "done")
            applied.done.append(op)
            down[role] = 0
        reporter.progress(index, len(plan.operations), op)
    return applied


def _down_message(role: str) -> str:
    return (
        f"the {role} service failed {STOP_AFTER} operations in a row after its retries; "
        "the next run does it"
    )
