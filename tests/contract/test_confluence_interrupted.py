"""Confluence writes interrupted between their requests (as a killed run leaves them), and
pages people trash while opsync runs: the next read must take opsync's own half-done write
for opsync's, never for a person's edit, and never undo the person's trash."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from test_confluence_pages import _doc
from test_confluence_records import OWNED, _connect, _create, _page, _read

from opsync.connectors.base import Ownership, PageWrite, RecordWrite
from opsync.connectors.confluence.config import (
    ConfluenceCollection,
    ConfluenceConnectorConfig,
    row_names,
)
from opsync.connectors.confluence.connector import ConfluenceWiki
from opsync.connectors.confluence.details import row, table
from opsync.connectors.confluence.records import record_title
from opsync.domain import Collection
from opsync.engine import reasons
from opsync.engine.actual import Actual
from opsync.engine.desired import Desired, DesiredRecord, plain
from opsync.engine.plan import Plan, make_plan
from opsync.errors import ConnectorError, PermanentError
from opsync.testing.emulators.confluence import ConfluenceEmulator
from opsync.testing.emulators.confluence_model import PageRec

BODY = r"/api/v2/pages/\d+$"  # a page's body, not its properties


@pytest.fixture
def wiki(
    confluence_emulator: ConfluenceEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ConfluenceWiki]:
    connector = _connect(confluence_emulator, monkeypatch)
    yield connector
    connector.close()


@pytest.fixture
def pages(confluence_pages: ConfluenceWiki) -> ConfluenceWiki:
    return confluence_pages


def test_a_record_update_whose_body_never_arrived_is_finished_not_a_conflict(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _create(wiki)
    _read(wiki)
    confluence_emulator.fail("PUT", BODY, 400)  # the property is stored, the body is not
    later = {**OWNED, "launch_date": date(2026, 12, 8)}
    with pytest.raises(ConnectorError):
        wiki.write_record(RecordWrite(ref="releases/R-101", values=later))
    state = _read(wiki).records["releases/R-101"]
    assert state.edited == frozenset()  # the old cell is opsync's own, not a person's
    assert state.owned["launch_date"] != date(2026, 12, 8)  # so the write is planned again
    wiki.write_record(RecordWrite(ref="releases/R-101", values=later))
    state = _read(wiki).records["releases/R-101"]
    assert state.edited == frozenset() and state.owned["launch_date"] == date(2026, 12, 8)
    assert "2026-12-08" in _page(confluence_emulator).body


def test_a_page_update_whose_body_never_arrived_is_finished_not_a_conflict(
    pages: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    pages.read()
    pages.write_page(PageWrite(key="weekly/2026-W49", document=_doc(1), create=True))
    pages.read()
    confluence_emulator.fail("PUT", BODY, 400)
    with pytest.raises(ConnectorError):
        pages.write_page(PageWrite(key="weekly/2026-W49", document=_doc(2)))
    regions = pages.read().pages["weekly/2026-W49"].regions
    assert not any(s.ownership is Ownership.EDITED for s in regions.values())
    assert regions["summary"].content != pages.render_region(_doc(2), "summary")


def test_a_page_created_without_its_property_is_adopted_not_duplicated(
    pages: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    pages.read()
    confluence_emulator.fail("POST", r"/properties$", 500)  # a create is never repeated
    with pytest.raises(ConnectorError):
        pages.write_page(PageWrite(key="weekly/2026-W49", document=_doc(1), create=True))
    assert pages.read().pages == {}  # without its key, the page is not found
    pages.write_page(PageWrite(key="weekly/2026-W49", document=_doc(1), create=True))
    made = [p for p in confluence_emulator.world.pages.values() if p.title.startswith("Weekly")]
    assert len(made) == 1 and made[0].props["opsync"].value["key"] == "weekly/2026-W49"
    assert "opsync" in made[0].labels
    assert pages.read().pages["weekly/2026-W49"].regions


def test_a_hand_made_page_with_the_title_is_still_refused(
    pages: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    world = confluence_emulator.world
    world.add_page("OPS", "Weekly Product Update", world.root_page_id, "<p>mine</p>", "person")
    pages.read()
    with pytest.raises(PermanentError, match="already exists"):
        pages.write_page(PageWrite(key="weekly/2026-W49", document=_doc(1), create=True))


def test_a_record_page_trashed_since_the_read_stays_in_the_trash(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _create(wiki)
    _read(wiki)
    page = _page(confluence_emulator)
    body, page.status = page.body, "trashed"
    with pytest.raises(PermanentError, match="trashed"):
        wiki.write_record(RecordWrite(ref="releases/R-101", values={**OWNED, "launched": True}))
    assert page.status == "trashed" and page.body == body


def test_the_emulator_restores_a_trashed_page_an_update_calls_current(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    """Confluence's documented behaviour, which is why the connector looks first."""
    _create(wiki)
    page = _page(confluence_emulator)
    body, version, page.status = page.body, page.version, "trashed"
    raw = wiki.api.call(
        "PUT",
        f"/api/v2/pages/{page.id}",
        body={
            "id": page.id,
            "status": "current",
            "title": page.title,
            "body": {"representation": "storage", "value": "<p>new</p>"},
            "version": {"number": version + 1},
        },
    )
    assert raw["status"] == "current" and page.status == "current"
    assert page.body == body and page.version == version + 1  # restored, body not changed


def test_a_date_time_an_owned_row_holds_reads_back_as_a_date_time(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    when = datetime(2026, 11, 19, 16, 30, tzinfo=UTC)
    _read(wiki)
    values = {**OWNED, "published_at": when}
    wiki.write_record(RecordWrite(ref="releases/R-101", values=values, create=True))
    state = _read(wiki).records["releases/R-101"]
    assert state.owned["published_at"] == when and state.edited == frozenset()


# A publication log's record: created once, never written again (DesiredRecord.create_only).
WEEK = "2026-W47"
LOG = f"weekly_updates/{WEEK}"
# As the engine hands values to a connector (opsync.engine.desired.plain: ISO text)
LOG_VALUES = {"week": WEEK, "published_at": plain(datetime(2026, 11, 19, 16, 30, tzinfo=UTC))}
CURRENT_USER = "/wiki/rest/api/user/current"


@pytest.fixture
def logs(confluence_emulator: ConfluenceEmulator) -> dict[Collection, ConfluenceCollection]:
    world = confluence_emulator.world
    parent = world.add_page("OPS", "Weekly updates", world.root_page_id, "<p></p>")
    return {Collection.WEEKLY_UPDATES: ConfluenceCollection(parent=parent.id)}


def _plan(wiki: ConfluenceWiki, *, log: bool = True) -> Plan:
    """The plan of a run whose rules ask for the log (``log``), or not: once the read
    holds a week's log, the rules no longer seed it."""
    if not log:
        return make_plan(Desired(), Actual.of(wiki.read()), wiki)
    desired = Desired(
        records={
            LOG: DesiredRecord(
                collection=Collection.WEEKLY_UPDATES.value,
                key=WEEK,
                values=LOG_VALUES,
                create=True,
                create_only=True,
                reason="publication log of a generated artifact",
            )
        }
    )
    return make_plan(desired, Actual.of(wiki.read()), wiki)


def _apply(wiki: ConfluenceWiki, plan: Plan) -> None:
    for op in plan.operations:
        assert isinstance(op.payload, RecordWrite)
        wiki.write_record(op.payload)


def _log_page(emulator: ConfluenceEmulator) -> PageRec:
    return _page(emulator, record_title(Collection.WEEKLY_UPDATES, WEEK))


def _create_unlabelled(
    emulator: ConfluenceEmulator,
    monkeypatch: pytest.MonkeyPatch,
    logs: dict[Collection, ConfluenceCollection],
) -> PageRec:
    """A run that created the log's page and died on its label, as a killed run leaves it."""
    wiki = _connect(emulator, monkeypatch, logs)
    try:
        plan = _plan(wiki)
        assert [op.kind for op in plan.operations] == ["create_record"]
        emulator.fail("POST", r"/label$", 400)
        with pytest.raises(ConnectorError):
            _apply(wiki, plan)
    finally:
        wiki.close()
    page = _log_page(emulator)
    assert page.labels == [] and page.props == {}
    return page


@pytest.mark.parametrize("log", [True, False], ids=["rules-ask-for-it", "rules-do-not"])
def test_a_log_record_page_created_without_label_and_property_is_finished(
    confluence_emulator: ConfluenceEmulator,
    monkeypatch: pytest.MonkeyPatch,
    logs: dict[Collection, ConfluenceCollection],
    log: bool,
) -> None:
    page = _create_unlabelled(confluence_emulator, monkeypatch, logs)
    wiki = _connect(confluence_emulator, monkeypatch, logs)  # a new run: state lost
    try:
        plan = _plan(wiki, log=log)
        assert plan.conflicts == ()
        (op,) = plan.operations
        assert op.kind == "update_record" and op.reason == reasons.FINISH
        _apply(wiki, plan)
    finally:
        wiki.close()
    assert page.labels == ["opsync"]
    assert page.props["opsync"].value["key"] == WEEK
    assert page.props["opsync"].value["collection"] == "weekly_updates"
    # the values a clean create records, whether they came from the rules or the rows
    assert page.props["opsync"].value["values"] == LOG_VALUES
    assert len([p for p in confluence_emulator.world.pages.values() if WEEK in p.title]) == 1
    confluence_emulator.reset_counts()
    wiki = _connect(confluence_emulator, monkeypatch, logs)
    try:
        assert _plan(wiki) == Plan()
    finally:
        wiki.close()
    # opsync's own account is asked only when a page looks like its unfinished create
    assert confluence_emulator.counts.of("GET", CURRENT_USER) == 0


def test_an_unfinished_create_a_person_saved_since_is_left_as_theirs(
    confluence_emulator: ConfluenceEmulator,
    monkeypatch: pytest.MonkeyPatch,
    logs: dict[Collection, ConfluenceCollection],
) -> None:
    page = _create_unlabelled(confluence_emulator, monkeypatch, logs)
    confluence_emulator.edit(page.id, page.body + "<p>Maya: sent to the exec list.</p>")
    wiki = _connect(confluence_emulator, monkeypatch, logs)
    try:
        assert _plan(wiki) == Plan()  # their page now: never rewritten by opsync
    finally:
        wiki.close()
    assert page.labels == [] and page.props == {}


@pytest.mark.parametrize(
    ("account", "note"),
    [("person", False), ("bot", True)],
    ids=["another-account", "opsyncs-account-with-a-row-of-their-own"],
)
def test_a_log_page_a_person_made_by_hand_with_a_key_row_is_not_unfinished(
    confluence_emulator: ConfluenceEmulator,
    monkeypatch: pytest.MonkeyPatch,
    logs: dict[Collection, ConfluenceCollection],
    account: str,
    note: bool,
) -> None:
    """Also when opsync's token is the person's own (Cloud API tokens are personal): a
    table opsync would not have rendered is not opsync's create."""
    names = row_names(ConfluenceConnectorConfig(space="OPS"), Collection.WEEKLY_UPDATES)
    rows = [row(names["key"], WEEK, {}), row(names["week"], WEEK, {})]
    body = table([*rows, row("Notes", "sent to the exec list", {})] if note else rows)
    title = record_title(Collection.WEEKLY_UPDATES, WEEK)  # even with opsync's own title
    parent = logs[Collection.WEEKLY_UPDATES].parent
    page = confluence_emulator.world.add_page("OPS", title, parent, body, account)
    wiki = _connect(confluence_emulator, monkeypatch, logs)
    try:
        assert wiki.read().records[LOG].interrupted is False
        assert _plan(wiki) == Plan()
    finally:
        wiki.close()
    assert page.labels == [] and page.props == {} and page.version == 1
