"""One run: lock → read → rules → desired → plan → (apply) → report.

``plan`` stops before apply and takes no lock (it writes nothing, not even the
connectors' read mirrors, which it keeps in memory); ``sync`` holds the run lock for the
whole run, so two overlapping cron runs can never both write, and commits the mirrors
under it: once after the read (a run killed while it applies keeps what it read, as a
crash-free run would) and once at its end, with what its writes left in them.
"""

from __future__ import annotations

import gc
import json
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from opsync.calendar import BusinessCalendar
from opsync.connectors.base import (
    Connector,
    FeedStore,
    Fingerprinted,
    Leased,
    Notifier,
    TrackerSink,
    TrackerSource,
    WikiConnector,
)
from opsync.documents.ics import render_ics
from opsync.domain import Person, ProductArea
from opsync.domain.reading import Aliases
from opsync.engine import doubts, memo, signals, writeback
from opsync.engine.actual import Actual, settle
from opsync.engine.apply import Targets, apply
from opsync.engine.desired import build
from opsync.engine.notify import Delivery
from opsync.engine.plan import Force, Plan, make_plan
from opsync.engine.report import Reporter, RunReport, SilentReporter
from opsync.engine.saved import SavedPlan
from opsync.engine.snapshot import build_snapshot, links
from opsync.engine.writeback import writes_back
from opsync.errors import ConfigError, ConnectorError, OpsyncError
from opsync.rules import evaluate
from opsync.rules.context import RuleContext
from opsync.rules.output import RuleOutput
from opsync.settings import Settings
from opsync.state import StateStore

FEED_NAME = "rituals.ics"


@dataclass(frozen=True)
class RunSpec:
    """What one run works on. ``workspace`` is the wiki connector (records and pages); the
    other roles default to it, as with the embedded local workspace."""

    workspace: WikiConnector
    calendar: BusinessCalendar
    settings: Settings
    state: StateStore  # the journal, the lock and the connectors' mirrors
    identity: str  # fingerprint of what decides the identity of written records
    # The same with the config's paths absolute, as earlier versions stored it. A store that
    # holds it was synced with this config in this very place: the same identity, and the
    # store is given the portable one. Without this, every workspace synced before the
    # upgrade would stop with exit 2 until --accept-identity-change.
    earlier_identities: frozenset[str] = frozenset()
    org_name: str = "Product Ops"
    people: tuple[Person, ...] = ()
    areas: tuple[ProductArea, ...] = ()
    aliases: Aliases = field(default_factory=dict)  # config [aliases], for reading records
    tracker: TrackerSource | None = None
    # the connector that sends messages, or several, each serving its channels (Delivery)
    notifier: Notifier | tuple[Notifier, ...] | None = None
    feeds: FeedStore | None = None
    # the local workspace, keeping a copy of what other notifiers send (engine/notify.py)
    archive: Notifier | None = None
    # [run] on_conflict: "report" lets a conflict an earlier sync reported, unchanged since,
    # stop making the run exit 3
    on_conflict: str = "fail"
    # a digest of the config the run was made from (api.py): with it, a run whose inputs a
    # full run that planned nothing left as they are is skipped (engine/memo.py); None for
    # a spec built by hand, whose runs are always full
    config_digest: str | None = None

    def serving(self, connector: object | None, role: str) -> Any:
        chosen = connector if connector is not None else self.workspace
        needed = {"tracker": "read_releases", "notifier": "sent", "feeds": "read_file"}[role]
        if not hasattr(chosen, needed):
            raise ConfigError(
                f"connector {getattr(chosen, 'name', '?')!r} cannot serve the {role} role",
                key=f"roles.{role}",
                hint="name a connector that can under [roles], e.g. a local one",
            )
        return chosen

    def notifiers(self) -> tuple[Notifier, ...]:
        named = self.notifier if isinstance(self.notifier, tuple) else (self.notifier,)
        return tuple(self.serving(n, "notifier") for n in named)

    def targets(self) -> Targets:
        tracker = self.serving(self.tracker, "tracker")
        return Targets(
            wiki=self.workspace,
            notifier=Delivery(self.notifiers(), self.workspace, self.archive),
            feeds=self.serving(self.feeds, "feeds"),
            tracker=tracker if writes_back(tracker) and isinstance(tracker, TrackerSink) else None,
        )

    def inputs_fingerprints(self) -> list[str] | None:
        """Each distinct connector's fingerprint of what its reads would see; None as soon
        as one cannot tell (no fingerprint, or a file changed too recently), without
        listing the others' files, and for a spec without a config digest."""
        if self.config_digest is None:
            return None
        found = [*self.connectors().values()]
        if isinstance(self.archive, Connector) and all(c is not self.archive for c in found):
            found.append(self.archive)  # the local workspace is most often one of them
        told = [c for c in found if isinstance(c, Fingerprinted)]
        if len(told) < len(found):
            return None
        prints: list[str] = []
        for connector in told:
            made = connector.inputs_fingerprint()
            if made is None:
                return None
            prints.append(made)
        return prints

    def connectors(self) -> dict[str, Connector]:
        """Each distinct connector once, by name, for the report's request counts."""
        found: dict[str, Connector] = {}
        notifiers = self.notifier if isinstance(self.notifier, tuple) else (self.notifier,)
        for item in (self.workspace, self.tracker, *notifiers, self.feeds):
            if item is not None and isinstance(item, Connector):
                found.setdefault(item.name, item)
        return found


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Hold off Python's cyclic garbage collector for the run.

    A run over a large workspace allocates millions of small objects (records, document
    nodes) and frees almost none until it ends; the collector would walk them again and again
    for nothing, which took 40% of a plan's time at 10,000 releases. Nothing a run makes is
    cyclic garbage (reference counting frees it), so memory does not grow; the collector is
    switched back on afterwards if it was on.

    Before it is, what the run still holds is frozen (``gc.freeze``): the collector's first
    pass after a pause would otherwise walk every object the run allocated, which are freed
    by reference counting moments later anyway. Frozen objects are still freed that way;
    only a cycle among them would wait for ``gc.unfreeze``. A process that runs again (the
    library in a long-lived worker, a test session) unfreezes and collects first, so each
    run's cyclic garbage is freed by the next run instead of held for the process's life.
    """
    enabled = gc.isenabled()
    if enabled and gc.get_freeze_count():
        gc.unfreeze()
        gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.enable()


def _claim(target: Leased | None, report: RunReport) -> bool:
    """Take the target's lease before the first write. When the service fails the request
    (after its retries), nothing is written: every operation is reported failed, not
    attempted, and the next run does them (exit 1, as for any failed operation)."""
    if target is None:
        return True
    try:
        target.claim()
    except ConnectorError as exc:
        why = f"not attempted: the write lease could not be taken ({exc})"
        report.failed = [(op, why) for op in report.plan.operations]
        return False
    return True


@contextmanager
def _held(target: Leased | None, store: StateStore) -> Iterator[None]:
    """The target's own write lease, for a writing run (``connectors/lease.py``): the run
    lock keeps apart the runs of one state store, this keeps apart those of any store."""
    if target is None:
        yield
        return
    writer = store.get_meta("writer")
    if writer is None:
        writer = uuid.uuid4().hex[:12]
        store.set_meta("writer", writer)
    with target.hold(writer):
        yield


REPORTED = "reported_conflicts"  # state meta: fingerprints of the last sync's conflicts
CONFLICTS = "last_conflicts"  # state meta: the last sync's conflicts, for the lead's digest


def _last_conflicts(store: StateStore) -> tuple[tuple[str, str, str], ...]:
    """The conflicts the last sync saw, as the rules take them; none if unreadable (a
    cache: the next sync writes it again)."""
    try:
        rows = json.loads(store.get_meta(CONFLICTS) or "[]")
        return tuple((str(t), str(p), str(m)) for t, p, m in rows)
    except (ValueError, TypeError):
        return ()


def _mark_reported(plan: Plan, store: StateStore, on_conflict: str) -> Plan:
    """``plan`` with each conflict the last sync reported, unchanged since, marked
    ``reported`` (``on_conflict = "report"``); as it is otherwise."""
    if on_conflict != "report" or not plan.conflicts:
        return plan
    known = set(json.loads(store.get_meta(REPORTED) or "[]"))
    return replace(
        plan,
        conflicts=tuple(
            replace(c, reported=True) if c.fingerprint and c.fingerprint in known else c
            for c in plan.conflicts
        ),
    )


def run(
    spec: RunSpec,
    now: datetime,
    *,
    write: bool,
    force: Force = False,
    accept_identity_change: bool = False,
    reporter: Reporter | None = None,
    expect: SavedPlan | None = None,
    full: bool = False,
) -> RunReport:
    """Run the pack once; with ``write=False`` nothing is written anywhere (a dry run).
    With ``expect`` (``opsync apply``), the plan must be that saved plan, or nothing is
    written (:class:`~opsync.errors.StalePlan`). A run whose inputs are those a full run
    that planned nothing saw, before the clock turns, is skipped (engine/memo.py) unless
    ``full``, ``force`` or ``expect`` ask for the whole run."""
    progress = reporter or SilentReporter()
    store = spec.state
    lock: AbstractContextManager[object] = store.lock() if write else nullcontext()
    leased = spec.workspace if write and isinstance(spec.workspace, Leased) else None
    with lock, _gc_paused(), ExitStack() as lease:
        try:
            lease.enter_context(_held(leased, store))
            progress.stage("read")
            prints = spec.inputs_fingerprints()
            if not (full or force or expect is not None):
                remembered = memo.recall(
                    store, memo.inputs_key(spec.config_digest, prints, store), now
                )
                if remembered is not None:
                    progress.stage("unchanged")
                    report = RunReport(
                        now=now.isoformat(),
                        applied=write,
                        plan=Plan(),
                        findings=remembered.findings,
                        scorecard=remembered.scorecard,
                        names={person.key: person.name for person in spec.people},
                        unchanged=True,
                    )
                    lease.close()
                    report.requests = {n: c.counts() for n, c in spec.connectors().items()}
                    return report
            targets = spec.targets()
            tracker: TrackerSource = spec.serving(spec.tracker, "tracker")
            rows = tracker.read_releases()
            wiki = spec.workspace.read()
            snapshot, invalid = build_snapshot(rows, wiki, spec.people, spec.areas, spec.aliases)
            # the rows as read are in the snapshot's models now: the run lets them go (a
            # large organisation's raw rows are a tenth of what a run holds); replaced,
            # never cleared, as a connector may keep the mappings it handed out
            rows, wiki = replace(rows, rows={}), replace(wiki, fields={})
            heard, unheard = signals.read(
                spec.notifiers(), signals.ask(spec.settings, str(spec.calendar.timezone), now)
            )
            snapshot, requests = signals.merge(snapshot, heard)
            actual = Actual.of(wiki)
            feed_now = targets.feeds.read_file(FEED_NAME)
            if feed_now is not None:
                actual.files[FEED_NAME] = feed_now
            if write:  # what the read learnt survives a run killed while it applies
                store.commit()
            progress.stage("rules")
            sent = store.finished("send")  # one read of the journal for the rules and the plan
            ctx = RuleContext(
                snapshot,
                now,
                spec.calendar,
                spec.settings,
                sent=sent,
                links=links(wiki),
                conflicts=_last_conflicts(store),
            )
            # a page drawing on a record that could not be read says so (engine/doubts.py)
            output = doubts.annotate(
                evaluate(ctx), doubts.unreadable(rows.findings, [*wiki.findings, *invalid])
            ).merge(RuleOutput(seeds=requests))
            feed = render_ics(
                output.events,
                spec.calendar.timezone,
                name=f"{spec.org_name} rituals",
                previous=feed_now.encode("utf-8") if feed_now is not None else None,
            )
            existing = set(actual.records)
            desired = build(
                snapshot.releases,
                output,
                {FEED_NAME: feed.decode("utf-8")},
                existing,
                spec.workspace.page_url,
            )
            names = writes_back(tracker)
            if names:
                desired.tracker = writeback.wanted(
                    snapshot.releases,
                    output,
                    names,
                    today=ctx.today,
                    calendar=spec.calendar,
                    settings=spec.settings.enablement,
                    page_url=spec.workspace.page_url,
                    created=frozenset(desired.pages.keys() - actual.pages.keys()),
                )
                actual.tracker = rows.owned
            progress.stage("plan")
            delivery = targets.notifier
            wanted = [m.message() for m in desired.messages.values() if delivery.accepts(m.channel)]
            held = delivery.undeliverable([m.message() for m in desired.messages.values()])
            for key in [k for k, m in desired.messages.items() if not delivery.accepts(m.channel)]:
                del desired.messages[key]  # held back (a finding below), not planned
            actual.sent = delivery.sent(
                wanted,
                done=sent,
                unsure=store.unfinished("send"),
                fresh=store.get_meta("identity") is None,
            )
            held += delivery.copies_missing(wanted, sent)
            actual.pages = settle(actual.pages, store.unfinished("update_page"))
            plan = make_plan(desired, actual, spec.workspace, force=force)
            if expect is not None:
                expect.check(plan)
            known = store.get_meta("identity")
            if known is not None and known in spec.earlier_identities:
                known = spec.identity
                if write:
                    store.set_meta("identity", spec.identity)
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
            plan = _mark_reported(plan, store, spec.on_conflict)
            report = RunReport(
                now=now.isoformat(),
                applied=write,
                plan=plan,
                findings=[
                    *rows.findings,
                    *wiki.findings,
                    *invalid,
                    *unheard,
                    *output.findings,
                    *held,
                ],
                scorecard=list(output.scorecard),
                identity_change=identity_change,
                names={person.key: person.name for person in spec.people},
            )
            if write:
                report.interrupted = store.close_interrupted()
            if write and plan.operations and _claim(leased, report):
                progress.stage("apply")
                run_id = uuid.uuid4().hex
                store.start_run(run_id, now.isoformat())
                applied = apply(plan, targets, store, run_id, progress)
                report.done, report.failed = applied.done, applied.failed
                report.waiting = applied.waiting
                report.conflicted = applied.conflicts
                store.finish_run(run_id, "failed" if report.failed else "done")
                store.set_meta("identity", spec.identity)
            if write:  # what the next run counts as reported already
                fingerprints = sorted(c.fingerprint for c in plan.conflicts if c.fingerprint)
                store.set_meta(REPORTED, json.dumps(fingerprints))
                seen = [*plan.conflicts, *report.conflicted]
                notes = sorted({(c.target, c.part, c.message) for c in seen})
                store.set_meta(CONFLICTS, json.dumps(notes))
                settled = not (
                    plan.operations or seen or report.interrupted or report.identity_change
                )
                memo.remember(
                    store,
                    memo.inputs_key(spec.config_digest, prints, store) if settled else None,
                    ctx.valid_until(),
                    report.findings,
                    report.scorecard,
                )
            lease.close()  # released before the count, which includes the release
            report.requests = {n: c.counts() for n, c in spec.connectors().items()}
            return report
        except OpsyncError as error:
            error.started = True  # its JSON report replaces the previous run's
            raise
        finally:
            try:
                if write:  # even after a failure: a mirror is a cache, right as far as it got
                    store.commit()
            finally:
                store.close()
