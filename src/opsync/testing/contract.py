"""The connector contract: the checks opsync's own connectors pass, shipped so that a
third-party connector runs them too (as the Singer SDK ships its tap and target tests).

A connector author writes a small harness over their target (:class:`Harness` for a
tracker, :class:`WikiHarness` for a wiki that holds records and generated pages), then
either subclasses :class:`ContractSuite` and provides a ``harness`` fixture, or calls the
``check_*`` functions. Every check runs the real engine (:func:`opsync.engine.run.run`) on
one small fixed organisation (:data:`RELEASES`, tiers 1 to 3, so bundle pages, release
records and a weekly update are written), with the releases, messages and calendar feed
in local files under a temporary folder, so only the connector under test talks to its
service. Each run gets a fresh connector from the harness, as each cron run builds its own.

A kill is simulated in the process: the N-th checkpoint of a write raises :class:`Killed`,
a ``BaseException`` the engine does not catch, so the run stops there as a killed process
would. Checkpoints are the call of the connector's write, each step the harness reports
inside it (each HTTP request through :func:`http_steps`, each file put in place through
:func:`file_steps`), and the return before the journal records it. A connector must not
finish a write in a ``finally`` block: a real kill runs none (tests/reliability SIGKILLs a
subprocess for that).
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import httpx
import pytest
import yaml

from opsync.calendar import BusinessCalendar
from opsync.connectors.base import PageWrite, RecordWrite, Role, WikiConnector
from opsync.connectors.config import ConnectorConfig
from opsync.connectors.context import ConnectorContext
from opsync.connectors.local.workspace import LocalWorkspace
from opsync.connectors.registry import ConnectorFactory
from opsync.documents.model import region_keys
from opsync.domain import Person, ProductArea
from opsync.domain import Role as PersonRole
from opsync.engine.plan import Plan
from opsync.engine.report import RunReport
from opsync.engine.run import RunSpec, run
from opsync.settings import Settings
from opsync.state import MemoryStateStore, SqliteStateStore, StateStore

NOW = datetime.fromisoformat("2026-12-03T15:00:00-05:00")
#: The organisation's releases as tracker rows: a tracker harness seeds its service with them.
#: Each says whether it launched, as a tracker does: a wiki must hold ``False`` as written
#: (a Notion checkbox cannot tell it from unknown without opsync's hash).
RELEASES: tuple[dict[str, Any], ...] = tuple(
    {"key": key, "title": title, "tier": tier, "launch_date": day}
    | {"product_area": "core", "pm": "ana", "eng_lead": "dev"}
    | {"launched": day < NOW.date()}
    for key, title, tier, day in (
        ("CT-1", "Alpha", 1, date(2026, 12, 17)),
        ("CT-2", "Beta", 2, date(2026, 12, 10)),
        ("CT-3", "Gamma", 3, date(2026, 12, 8)),
        ("CT-4", "Delta", 2, date(2026, 11, 30)),
    )
)
#: The organisation the releases belong to, handed to every connector in its context.
PEOPLE = (
    Person(key="ana", name="Ana Ruiz", role=PersonRole.PM),
    Person(key="dev", name="Dev Patel", role=PersonRole.ENG_LEAD),
)
AREAS = (ProductArea(key="core", name="Core", pm="ana", eng_lead="dev"),)
EDIT = "Typed by a person inside opsync's region."
WRITES = ("update_page", "create_page", "update_record", "create_record")
#: The writes the kill test cuts short: the ones every Thursday's run of the organisation has.
KILLED = ("create_record", "create_page", "update_page")

Step = Callable[[str], None]


class Killed(BaseException):
    """The simulated kill: a ``BaseException``, so the engine's per-operation ``except
    Exception`` does not take it for one failed write and go on."""


class Harness(Protocol):
    """What a connector author writes to run the suite: their factory (what their entry
    point names) and the settings of a target the suite may write to. The suite builds
    every connector through ``factory.create`` with a :class:`ConnectorContext`, as a run
    does, so a connector that keeps state outside its context fails the lost-state check."""

    factory: ConnectorFactory
    settings: ConnectorConfig


class WikiHarness(Harness, Protocol):
    def keys(self) -> Counter[str]:
        """Every record ref (``collection/key``) and generated page key the target holds,
        with how many objects hold each, counted in the target, not through the
        connector's read (which would hide a duplicate)."""
        ...

    def edit_region(self, page: str, region: str, text: str) -> None:
        """Put ``text`` inside the page's owned region as a person would, in the service."""
        ...

    def text(self, page: str) -> str:
        """The page as a person reads it, in any format that shows the text typed in it."""
        ...

    def steps(self, hit: Step) -> AbstractContextManager[None]:
        """Call ``hit(label)`` at each step a write takes in the target while active."""
        ...


@contextmanager
def no_steps(hit: Step) -> Iterator[None]:
    """For a connector whose every write is one step (a kill lands before or after it)."""
    yield


@contextmanager
def http_steps(hit: Step) -> Iterator[None]:
    """Each HTTP request through httpx is two steps: before it is sent, and after the
    service answered but before the connector read the answer."""
    send = httpx.HTTPTransport.handle_request

    def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        hit(f"before {request.method} {request.url.path}")
        response = send(self, request)
        hit(f"answered {response.status_code}, not read: {request.method} {request.url.path}")
        return response

    httpx.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign]
    try:
        yield
    finally:
        httpx.HTTPTransport.handle_request = send  # type: ignore[method-assign]


@contextmanager
def file_steps(hit: Step) -> Iterator[None]:
    """Each file put in place by ``os.replace`` is one step, before it moves."""
    replace = os.replace

    def put(source: Any, target: Any, *args: Any, **kwargs: Any) -> None:
        hit(f"before putting {os.fspath(target)} in place")
        replace(source, target, *args, **kwargs)

    os.replace = put  # type: ignore[assignment]
    try:
        yield
    finally:
        os.replace = replace


@dataclass
class Kill:
    """Dies at checkpoint ``at`` (1-based) of the first write of ``kind``: 1 is its call,
    the connector's steps follow; a write with fewer steps dies after it returned."""

    kind: str
    at: int
    seen: int = 0
    armed: bool = False
    where: str = ""

    def hit(self, label: str) -> None:
        if self.armed:
            self.seen += 1
            if self.seen == self.at:
                self.die(label)

    def die(self, label: str) -> None:
        self.armed, self.where = False, label
        raise Killed(label)


class _Killable:
    """The connector, with the kill's checkpoints around its record and page writes."""

    def __init__(self, inner: Any, kill: Kill) -> None:
        self._inner, self._kill = inner, kill

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def write_record(self, op: RecordWrite) -> None:
        kind = "create_record" if op.create else "update_record"
        self._write(kind, op.ref, lambda: self._inner.write_record(op))

    def write_page(self, op: PageWrite) -> None:
        kind = "create_page" if op.create else "update_page"
        self._write(kind, op.key, lambda: self._inner.write_page(op))

    def _write(self, kind: str, target: str, call: Callable[[], None]) -> None:
        kill = self._kill
        if kind != kill.kind or kill.where:
            call()
            return
        kill.armed = True
        kill.hit(f"before {kind} {target}")
        call()
        kill.die(f"after {kind} {target} returned, not journaled")


@dataclass
class Org:
    """The fixed organisation in ``root``: the tracker file, the local folders that take
    the messages and the feed, the state store, and the connector's state beside it."""

    root: Path
    role: Role = Role.WIKI
    tracker: Path = field(init=False)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.tracker = self.root / "tracker.yaml"
        rows = [dict(row) for row in RELEASES]
        self.tracker.write_text(yaml.safe_dump(rows, sort_keys=False), encoding="utf-8")

    @property
    def state(self) -> Path:
        return self.root / "state"

    def connect(self, harness: Harness, store: StateStore) -> Any:
        """A fresh connector on the harness's target, as a new run builds it."""
        name = harness.factory.name
        return harness.factory.create(
            ConnectorContext(
                name=name,
                settings=harness.settings,
                state=store.connector(name),
                people=PEOPLE,
                areas=AREAS,
                base_dir=self.root,
            )
        )

    def lose_state(self) -> None:
        shutil.rmtree(self.state, ignore_errors=True)

    def local(self) -> LocalWorkspace:
        root = self.root
        return LocalWorkspace(self.tracker, root / "wiki", root / "pages", root / "outbox")

    def sync(
        self, harness: Harness, now: datetime = NOW, *, write: bool = True, kill: Kill | None = None
    ) -> Synced:
        """One run with a fresh connector and state store; its counts are read before it is
        closed."""
        self.state.mkdir(parents=True, exist_ok=True)
        store = SqliteStateStore(self.state / "state.db")
        connector = self.connect(harness, store)
        local = self.local()
        serving: Any = _Killable(connector, kill) if kill is not None else connector
        wiki: WikiConnector = serving if self.role is Role.WIKI else local
        spec = RunSpec(
            workspace=wiki,
            tracker=local if self.role is Role.WIKI else connector,
            notifier=local,
            feeds=local,
            calendar=BusinessCalendar(timezone="America/New_York", country="US"),
            settings=Settings(),
            state=store,
            identity="contract",
            people=PEOPLE,
            areas=AREAS,
        )
        steps = harness.steps if kill is not None and isinstance(harness, _Stepped) else no_steps
        try:
            with steps(kill.hit if kill is not None else _ignore):
                report = run(spec, now, write=write)
            return Synced(report, connector.counts())
        finally:
            connector.close()
            store.close()


@runtime_checkable
class _Stepped(Protocol):
    def steps(self, hit: Step) -> AbstractContextManager[None]: ...


def _ignore(label: str) -> None:
    return None


@dataclass(frozen=True)
class Synced:
    report: RunReport
    counts: dict[str, int]

    @property
    def plan(self) -> Plan:
        return self.report.plan


def _clean(synced: Synced) -> None:
    report = synced.report
    assert report.failed == [], [(op.key, why) for op, why in report.failed]
    assert report.plan.conflicts == (), report.plan.conflicts


def _once(keys: Counter[str]) -> None:
    twice = sorted(k for k, n in keys.items() if n != 1)
    assert not twice, f"held more than once: {twice}"


def check_second_run_writes_nothing(harness: Harness, org: Org) -> None:
    """A run over what the previous run left plans nothing and writes nothing."""
    first = org.sync(harness)
    _clean(first)
    assert first.plan.operations, "the first run planned nothing: the organisation did not load"
    second = org.sync(harness)
    _clean(second)
    assert second.plan.operations == (), [op.key for op in second.plan.operations]
    assert second.counts["writes"] == 0


def check_lost_state_makes_no_duplicate(harness: WikiHarness, org: Org) -> None:
    """After the state store is deleted, the next run finds every record and page by the
    key it stored in the target, and creates none of them again."""
    first = org.sync(harness)
    _clean(first)
    before = harness.keys()
    _once(before)
    org.lose_state()
    again = org.sync(harness)
    _clean(again)
    creates = [op.key for op in again.plan.operations if op.kind.startswith("create")]
    assert creates == [], creates
    assert harness.keys() == before
    assert org.sync(harness).plan.operations == ()


def check_region_edit_is_a_conflict(harness: WikiHarness, org: Org) -> None:
    """A person's edit inside an owned region is reported (exit code 3), never written
    over."""
    first = org.sync(harness)
    _clean(first)
    page, region = next(
        (op.target, region_keys(op.payload.document.children)[0])
        for op in first.plan.operations
        if isinstance(op.payload, PageWrite) and region_keys(op.payload.document.children)
    )
    harness.edit_region(page, region, EDIT)
    after = org.sync(harness)
    assert [(c.target, c.part) for c in after.plan.conflicts] == [(page, f"region {region}")]
    assert after.report.exit_code == 3
    assert after.report.failed == []
    assert EDIT in harness.text(page)


def check_killed_runs_are_finished(
    harness: WikiHarness, org: Org, kind: str, points: int
) -> list[str]:
    """Runs killed at checkpoints 1 to ``points`` of a ``kind`` write, and once after it
    returned, each run again the next day by a fresh connector (as the next cron run, which
    has other content to write), end as clean runs would: each wanted record and page once,
    no conflict, and nothing left to do. The state store is deleted before every rerun but
    the first (a kill before the write): the journal would otherwise tell the engine which
    page write was cut short, and the connector must tell it alone. After a first run a week
    before :data:`NOW`, each trial is the next Thursday's run, which creates the week's
    update (page and record) and updates the scorecard. Returns where each kill landed."""
    _clean(org.sync(harness, NOW - WEEK))
    landed: list[str] = []
    for trial, at in enumerate([*range(1, points + 1), _AFTER]):
        day = NOW + trial * WEEK
        rerun = day + timedelta(days=1)
        planned = org.sync(harness, rerun, write=False).plan
        wanted = set(harness.keys()) | {op.target for op in planned.operations if op.kind in WRITES}
        kill = Kill(kind, at)
        try:
            org.sync(harness, day, kill=kill)
        except Killed:
            landed.append(kill.where)
        assert kill.where, f"the run of {day:%Y-%m-%d} had no {kind} to cut short"
        if trial:
            org.lose_state()
        _clean(org.sync(harness, rerun))
        keys = harness.keys()
        _once(keys)
        assert set(keys) == wanted, (kill.where, set(keys) ^ wanted)
        left = org.sync(harness, rerun)
        assert left.plan.operations == (), (kill.where, [op.key for op in left.plan.operations])
        assert left.counts["writes"] == 0, kill.where
        if kill.where.startswith("after"):
            break
    return landed


WEEK = timedelta(days=7)
_AFTER = 1_000_000  # past every write's last step: the kill after the write returned


def check_tracker_reads_only_what_changed(harness: Harness, org: Org) -> None:
    """A second run writes nothing to the tracker, and a tracker that declares incremental
    reads asks for no more than the first read did (fewer, on a tracker bigger than a
    page of results)."""
    first = org.sync(harness)
    _clean(first)
    second = org.sync(harness)
    _clean(second)
    assert second.plan.operations == ()
    assert first.counts["writes"] == second.counts["writes"] == 0
    probe = org.connect(harness, MemoryStateStore())
    try:
        incremental = probe.capabilities.incremental
    finally:
        probe.close()
    if incremental:
        assert second.counts["reads"] <= first.counts["reads"], (first.counts, second.counts)


def check_lost_state_reads_the_same_rows(harness: Harness, org: Org) -> None:
    """A tracker whose state (cursor, mirror) is lost reads the same rows again, and the run
    then has nothing to do."""
    _clean(org.sync(harness))
    before = _rows(harness, org)
    org.lose_state()
    assert _rows(harness, org) == before
    assert org.sync(harness).plan.operations == ()


def _rows(harness: Harness, org: Org) -> dict[str, dict[str, Any]]:
    org.state.mkdir(parents=True, exist_ok=True)
    store = SqliteStateStore(org.state / "state.db")
    connector = org.connect(harness, store)
    try:
        rows: dict[str, dict[str, Any]] = connector.read_releases().rows
        return rows
    finally:
        connector.close()
        store.close()


def _roles(connector: Any) -> frozenset[Role]:
    return frozenset(connector.capabilities.roles)


class ContractSuite:
    """Subclass it in a test module and provide a ``harness`` fixture: pytest collects the
    contract's tests for that connector. A test that needs a role the connector does not
    declare in ``capabilities.roles`` is skipped. ``kill_points`` is how many checkpoints
    of each kind of write are tried (then one kill after the write)."""

    kill_points: ClassVar[int] = 4

    @pytest.fixture
    def org(self, harness: Harness, tmp_path: Path) -> Org:
        org = Org(tmp_path / "org")
        probe = org.connect(harness, MemoryStateStore())
        try:
            roles = _roles(probe)
        finally:
            probe.close()
        if Role.WIKI in roles and Role.PAGES in roles:
            return org
        if Role.TRACKER in roles:
            org.role = Role.TRACKER
            return org
        pytest.skip("the connector serves neither the wiki and pages roles nor the tracker")

    @staticmethod
    def need(org: Org, role: Role) -> None:
        if org.role is not role:
            pytest.skip(f"needs a connector that serves the {role.value} role")

    def test_second_run_writes_nothing(self, harness: Harness, org: Org) -> None:
        check_second_run_writes_nothing(harness, org)

    def test_lost_state_makes_no_duplicate(self, harness: WikiHarness, org: Org) -> None:
        self.need(org, Role.WIKI)
        check_lost_state_makes_no_duplicate(harness, org)

    def test_region_edit_is_a_conflict(self, harness: WikiHarness, org: Org) -> None:
        self.need(org, Role.WIKI)
        check_region_edit_is_a_conflict(harness, org)

    def test_tracker_reads_only_what_changed(self, harness: Harness, org: Org) -> None:
        self.need(org, Role.TRACKER)
        check_tracker_reads_only_what_changed(harness, org)

    def test_lost_state_reads_the_same_rows(self, harness: Harness, org: Org) -> None:
        self.need(org, Role.TRACKER)
        check_lost_state_reads_the_same_rows(harness, org)

    @pytest.mark.parametrize("kind", KILLED)
    def test_killed_run_is_finished(self, harness: WikiHarness, org: Org, kind: str) -> None:
        self.need(org, Role.WIKI)
        check_killed_runs_are_finished(harness, org, kind, self.kill_points)
