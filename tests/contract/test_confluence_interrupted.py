"""Confluence writes interrupted between their requests (as a killed run leaves them), and
pages people trash while opsync runs: the next read must take opsync's own half-done write
for opsync's, never for a person's edit, and never undo the person's trash."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from test_confluence_pages import _doc
from test_confluence_records import OWNED, _connect, _create, _page, _read

from opsync.connectors.base import PageWrite, RecordWrite, TrackerRead
from opsync.connectors.confluence.config import ConfluenceConnectorConfig
from opsync.connectors.confluence.connector import ConfluenceWiki
from opsync.errors import ConnectorError, PermanentError
from opsync.http import RetryPolicy
from opsync.testing.emulators.confluence import ConfluenceEmulator

BODY = r"/api/v2/pages/\d+$"  # a page's body, not its properties


@pytest.fixture
def wiki(
    confluence_emulator: ConfluenceEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ConfluenceWiki]:
    connector = _connect(confluence_emulator, monkeypatch)
    yield connector
    connector.close()


@pytest.fixture
def pages(
    confluence_emulator: ConfluenceEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ConfluenceWiki]:
    monkeypatch.setenv("OPSYNC_CONFLUENCE_BASE_URL", confluence_emulator.base_url)
    monkeypatch.setenv("CONFLUENCE_EMAIL", confluence_emulator.email)
    monkeypatch.setenv("CONFLUENCE_TOKEN", confluence_emulator.token)
    config = ConfluenceConnectorConfig(space="OPS", pages_parent=confluence_emulator.root_page_id)
    connector = ConfluenceWiki(config, policy=RetryPolicy(sleep=lambda _: None))
    yield connector
    connector.close()


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
    pages.read(TrackerRead())
    pages.write_page(PageWrite(key="weekly/2026-W49", document=_doc(1), create=True))
    pages.read(TrackerRead())
    confluence_emulator.fail("PUT", BODY, 400)
    with pytest.raises(ConnectorError):
        pages.write_page(PageWrite(key="weekly/2026-W49", document=_doc(2)))
    regions = pages.read(TrackerRead()).pages["weekly/2026-W49"].regions
    assert not any(state.edited for state in regions.values())
    assert regions["summary"].content != pages.render_region(_doc(2), "summary")


def test_a_page_created_without_its_property_is_adopted_not_duplicated(
    pages: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    pages.read(TrackerRead())
    confluence_emulator.fail("POST", r"/properties$", 500)  # a create is never repeated
    with pytest.raises(ConnectorError):
        pages.write_page(PageWrite(key="weekly/2026-W49", document=_doc(1), create=True))
    assert pages.read(TrackerRead()).pages == {}  # without its key, the page is not found
    pages.write_page(PageWrite(key="weekly/2026-W49", document=_doc(1), create=True))
    made = [p for p in confluence_emulator.world.pages.values() if p.title.startswith("Weekly")]
    assert len(made) == 1 and made[0].props["opsync"].value["key"] == "weekly/2026-W49"
    assert "opsync" in made[0].labels
    assert pages.read(TrackerRead()).pages["weekly/2026-W49"].regions


def test_a_hand_made_page_with_the_title_is_still_refused(
    pages: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    world = confluence_emulator.world
    world.add_page("OPS", "Weekly Product Update", world.root_page_id, "<p>mine</p>", "person")
    pages.read(TrackerRead())
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
