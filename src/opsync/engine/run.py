"""One run: lock → read → rules → desired → plan → (apply) → report.

``plan`` stops before apply and takes no lock (it writes nothing); ``sync`` holds the run
lock for the whole run, so two overlapping cron runs can never both write.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from opsync.calendar import BusinessCalendar
from opsync.connectors.base import Workspace
from opsync.documents.ics import render_ics
from opsync.engine.apply import apply
from opsync.engine.desired import build
from opsync.engine.plan import make_plan
from opsync.engine.report import Reporter, RunReport, SilentReporter
from opsync.errors import ConfigError
from opsync.rules import evaluate
from opsync.rules.context import RuleContext
from opsync.settings import Settings
from opsync.state import RunLock, StateStore

FEED_NAME = "rituals.ics"


@dataclass(frozen=True)
class RunSpec:
    workspace: Workspace
    calendar: BusinessCalendar
    settings: Settings
    state_dir: Path
    identity: str  # fingerprint of what decides the identity of written records
    org_name: str = "Product Ops"


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Hold off Python's cyclic garbage collector for the run.

    A run over a large workspace allocates millions of small objects (records, document
    nodes) and frees almost none until it ends; the collector would walk them again and again
    for nothing, which took 40% of a plan's time at 10,000 releases. Nothing a run makes is
    cyclic garbage (reference counting frees it), so memory does not grow; the collector is
    switched back on afterwards if it was on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run(
    spec: RunSpec,
    now: datetime,
    *,
    write: bool,
    force: bool = False,
    accept_identity_change: bool = False,
    reporter: Reporter | None = None,
) -> RunReport:
    """Run the pack once; with ``write=False`` nothing is written anywhere (a dry run)."""
    progress = reporter or SilentReporter()
    store = StateStore(spec.state_dir / "state.db")
    lock: AbstractContextManager[object] = (
        RunLock(spec.state_dir / "lock") if write else nullcontext()
    )
    with lock, _gc_paused():
        try:
            progress.stage("read")
            actual = spec.workspace.read()
            progress.stage("rules")
            ctx = RuleContext(actual.snapshot, now, spec.calendar, spec.settings)
            output = evaluate(ctx)
            feed = render_ics(
                output.events, spec.calendar.timezone, name=f"{spec.org_name} rituals"
            )
            existing = set(actual.records)
            desired = build(
                actual.snapshot.releases, output, {FEED_NAME: feed.decode("utf-8")}, existing
            )
            progress.stage("plan")
            plan = make_plan(desired, actual, spec.workspace, force=force)
            known = store.get_meta("identity")
            identity_change = None
            if known is not None and known != spec.identity and plan.operations:
                identity_change = (
                    "this change to the config changes where or under which keys opsync's "
                    "records live, so a sync would create them again instead of updating them"
                )
                if write and not accept_identity_change:
                    raise ConfigError(
                        identity_change,
                        key="connectors",
                        hint=(
                            "move the existing records to the new place (or undo the change), "
                            "then run `opsync sync --accept-identity-change` once"
                        ),
                    )
            report = RunReport(
                now=now.isoformat(),
                applied=write,
                plan=plan,
                findings=[*actual.findings, *output.findings],
                scorecard=[row.model_dump() for row in output.scorecard],
                identity_change=identity_change,
            )
            if write:
                report.interrupted = store.close_interrupted()
            if write and plan.operations:
                progress.stage("apply")
                run_id = uuid.uuid4().hex
                store.start_run(run_id, now.isoformat())
                report.done, report.failed = apply(plan, spec.workspace, store, run_id, progress)
                store.finish_run(run_id, "failed" if report.failed else "done")
                store.set_meta("identity", spec.identity)
            report.requests = {spec.workspace.name: spec.workspace.counts()}
            return report
        finally:
            store.close()
