"""Records as Confluence pages with a page-properties table, through atlassian-python-api
over real HTTP to the emulator: created with their key, read into the snapshot, only
opsync's rows rewritten, hand edits of owned rows reported."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from opsync.connectors.base import ReadResult, RecordWrite, TrackerRead
from opsync.connectors.confluence.config import ConfluenceCollection, ConfluenceConnectorConfig
from opsync.connectors.confluence.connector import ConfluenceWiki
from opsync.domain import Collection, Snapshot
from opsync.engine.snapshot import build_snapshot, links
from opsync.errors import ConflictError, PermanentError
from opsync.http import RetryPolicy
from opsync.testing.emulators.confluence import ConfluenceEmulator
from opsync.testing.emulators.confluence_model import PageRec

ROW = {"title": "Scheduled PDF reports", "launch_date": "2026-12-01", "tier": 1, "pm": "maya"}
OWNED: dict[str, Any] = {
    "title": "Scheduled PDF reports",
    "tier": 1,
    "launch_date": date(2026, 12, 1),
    "launched": False,
    "pm": "maya",
    "handoff_due": date(2026, 11, 17),
    "product_area": None,
}
PERSON_ROW = "<tr><th><p>Bundle state</p></th><td><p>drafting</p></td></tr>"
PERSON_TEXT = "<p>Maya: launch notes people keep under the table.</p>"


def _parents(emulator: ConfluenceEmulator) -> dict[Collection, ConfluenceCollection]:
    world = emulator.world
    out = {}
    for collection in (Collection.RELEASES, Collection.INSIGHTS):
        page = world.add_page("OPS", collection.value, world.root_page_id, "<p></p>")
        out[collection] = ConfluenceCollection(parent=page.id)
    return out


def _connect(
    emulator: ConfluenceEmulator,
    monkeypatch: pytest.MonkeyPatch,
    collections: dict[Collection, ConfluenceCollection] | None = None,
    **extra: Any,
) -> Any:
    monkeypatch.setenv("OPSYNC_CONFLUENCE_BASE_URL", emulator.base_url)
    monkeypatch.setenv("CONFLUENCE_EMAIL", emulator.email)
    monkeypatch.setenv("CONFLUENCE_TOKEN", emulator.token)
    where = collections if collections is not None else _parents(emulator)
    config = ConfluenceConnectorConfig(space="OPS", collections=where, **extra)
    return ConfluenceWiki(config, policy=RetryPolicy(sleep=lambda _: None))


@pytest.fixture
def wiki(
    confluence_emulator: ConfluenceEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ConfluenceWiki]:
    connector = _connect(confluence_emulator, monkeypatch)
    yield connector
    connector.close()


def _read(wiki: ConfluenceWiki) -> ReadResult:
    return wiki.read()


def _snapshot(read: ReadResult) -> Snapshot:
    snapshot, _ = build_snapshot(TrackerRead(rows={"R-101": dict(ROW)}), read, (), ())
    return snapshot


def _page(emulator: ConfluenceEmulator, title: str = "Releases R-101") -> PageRec:
    (page,) = [p for p in emulator.world.pages.values() if p.title == title]
    return page


def _create(wiki: ConfluenceWiki) -> None:
    _read(wiki)
    wiki.write_record(RecordWrite(ref="releases/R-101", values=OWNED, create=True))


def test_a_created_record_reads_back_with_its_owned_values_unchanged(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _create(wiki)
    page = _page(confluence_emulator)
    assert page.parent == wiki.config.collections[Collection.RELEASES].parent
    assert page.props["opsync"].value["key"] == "R-101" and "opsync" in page.labels
    assert 'ac:name="details"' in page.body and "ac:macro-id" in page.body  # rewritten on save
    assert "<p>Tier 1</p>" in page.body and "<p>2026-12-01</p>" in page.body
    read = _read(wiki)
    state = read.records["releases/R-101"]
    assert dict(state.owned) == OWNED  # same types: dates as dates, the tier as its number
    assert state.edited == frozenset()
    # where a person opens it, from any page: the site's /wiki base and the webui link
    # (a relative webui link was no link at all: pages never linked a Confluence record)
    web = f"{confluence_emulator.base_url}/wiki/spaces/OPS/pages/{page.id}"
    assert state.path == links(read)["releases/R-101"] == web


def test_people_rows_and_text_feed_the_snapshot_and_survive_updates(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _create(wiki)
    page = _page(confluence_emulator)
    body = page.body.replace("</tbody>", PERSON_ROW + "</tbody>") + PERSON_TEXT
    confluence_emulator.edit(page.id, body)
    result = _read(wiki)
    (release,) = _snapshot(result).releases
    assert release.bundle.state.value == "drafting"
    assert result.records["releases/R-101"].edited == frozenset()  # only a person's row moved
    before = _page(confluence_emulator).body
    wiki.write_record(
        RecordWrite(ref="releases/R-101", values={**OWNED, "launch_date": date(2026, 12, 8)})
    )
    after = _page(confluence_emulator).body
    assert "<p>2026-12-08</p>" in after and "2026-12-01" not in after
    head, tail = before.split("2026-12-01")
    assert after.startswith(head) and after.endswith(tail)  # every other byte kept
    assert _read(wiki).records["releases/R-101"].owned["launch_date"] == date(2026, 12, 8)


def test_a_hand_edit_of_an_owned_row_is_an_edited_field(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _create(wiki)
    page = _page(confluence_emulator)
    confluence_emulator.edit(page.id, page.body.replace("2026-11-17", "2026-11-20"))
    state = _read(wiki).records["releases/R-101"]
    assert state.edited == frozenset({"handoff_due"})
    assert state.owned["handoff_due"] == "2026-11-20"  # what the person wrote, not opsync's
    assert state.owned["launch_date"] == date(2026, 12, 1)


def test_a_409_keeps_a_persons_row_and_rewrites_only_opsyncs(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _create(wiki)
    _read(wiki)
    page = _page(confluence_emulator)
    confluence_emulator.edit(page.id, page.body.replace("</tbody>", PERSON_ROW + "</tbody>"))
    wiki.write_record(RecordWrite(ref="releases/R-101", values={**OWNED, "launched": True}))
    body = _page(confluence_emulator).body
    assert "drafting" in body and "<p>Yes</p>" in body
    # The save is seen by the look before the write (as a 409 would be): one write, after
    # the re-read.
    assert confluence_emulator.counts.of("PUT", "/wiki/api/v2/pages/{id}") == 1


def test_a_409_over_an_owned_row_edit_is_a_conflict(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _create(wiki)
    _read(wiki)
    page = _page(confluence_emulator)
    confluence_emulator.edit(page.id, page.body.replace("2026-11-17", "2026-11-20"))
    with pytest.raises(ConflictError, match="handoff_due"):
        wiki.write_record(
            RecordWrite(ref="releases/R-101", values={**OWNED, "handoff_due": date(2026, 11, 18)})
        )
    assert "2026-11-20" in _page(confluence_emulator).body


def test_a_lost_state_finds_the_record_by_its_key_even_renamed(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    _create(wiki)
    _page(confluence_emulator, "Releases R-101").title = "PDF reports (renamed by Maya)"
    fresh = _connect(confluence_emulator, monkeypatch, dict(wiki.config.collections))
    try:
        assert dict(_read(fresh).records["releases/R-101"].owned) == OWNED
        fresh.write_record(RecordWrite(ref="releases/R-101", values=OWNED, create=True))
    finally:
        fresh.close()
    parent = wiki.config.collections[Collection.RELEASES].parent
    assert len(confluence_emulator.world.children(parent)) == 1


def test_a_create_whose_answer_was_lost_is_adopted_not_duplicated(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _create(wiki)
    wiki.records.known.clear()
    wiki.write_record(
        RecordWrite(ref="releases/R-101", values={**OWNED, "launched": True}, create=True)
    )
    parent = wiki.config.collections[Collection.RELEASES].parent
    assert len(confluence_emulator.world.children(parent)) == 1
    assert "<p>Yes</p>" in _page(confluence_emulator).body


def test_someone_elses_page_with_the_title_is_reported(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    world = confluence_emulator.world
    world.add_page("OPS", "Releases R-101", world.root_page_id, "<p>mine</p>")
    _read(wiki)
    with pytest.raises(PermanentError, match="already exists") as caught:
        wiki.write_record(RecordWrite(ref="releases/R-101", values=OWNED, create=True))
    assert caught.value.record == "releases/R-101"


def test_markup_in_a_value_arrives_as_text(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    hostile = '<script>alert(1)</script> ]]> & <ac:structured-macro ac:name="x"/>'
    _read(wiki)
    wiki.write_record(
        RecordWrite(ref="releases/R-101", values={**OWNED, "title": hostile}, create=True)
    )
    body = _page(confluence_emulator).body
    assert "<script>" not in body and '<ac:structured-macro ac:name="x"' not in body
    assert "&lt;script&gt;" in body
    assert _read(wiki).records["releases/R-101"].owned["title"] == hostile


def test_a_hand_made_record_page_is_read_and_gets_opsyncs_rows(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    parent = wiki.config.collections[Collection.INSIGHTS].parent
    table = (
        '<ac:structured-macro ac:name="details"><ac:rich-text-body><table><tbody>'
        "<tr><th>Summary</th><td>Exports time out</td></tr>"
        "<tr><th>Severity</th><td>high</td></tr>"
        "<tr><th>Received on</th><td>2026-11-30</td></tr>"
        "</tbody></table></ac:rich-text-body></ac:structured-macro>"
    )
    confluence_emulator.world.add_page("OPS", "INS-7", parent, table, author="person")
    result = _read(wiki)
    (insight,) = _snapshot(result).insights
    assert (insight.key, insight.severity, insight.received_on) == (
        "INS-7",
        insight.severity.__class__("high"),
        date(2026, 11, 30),
    )
    assert result.records["insights/INS-7"].owned == {}
    wiki.write_record(RecordWrite(ref="insights/INS-7", values={"triage_status": "routed"}))
    page = _page(confluence_emulator, "INS-7")
    assert "Triage status" in page.body and "Exports time out" in page.body
    assert _read(wiki).records["insights/INS-7"].owned == {"triage_status": "routed"}


def test_a_broken_record_page_is_a_finding_not_a_crash(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _create(wiki)
    _page(confluence_emulator).body = "<p>unclosed"  # as a buggy app could leave it
    result = _read(wiki)
    assert [f.record for f in result.findings] == ["releases/R-101"]
    assert len(_snapshot(result).releases) == 1  # the tracker's release still syncs


def test_data_center_reads_and_writes_records_through_v1(
    confluence_emulator: ConfluenceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    wiki = _connect(confluence_emulator, monkeypatch, deployment="datacenter")
    try:
        _create(wiki)
        state = _read(wiki).records["releases/R-101"]
        assert dict(state.owned) == OWNED
        # Data Center's webui links are relative to the context path, not /wiki
        assert (
            state.path
            == f"{confluence_emulator.base_url}/spaces/OPS/pages/{_page(confluence_emulator).id}"
        )
    finally:
        wiki.close()
    assert not any(path.startswith("/wiki") for _, path in confluence_emulator.counts.by_endpoint)


def test_a_person_made_insight_action_page_reads_as_the_action(
    confluence_emulator: ConfluenceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One of the collections added for the ritual packs, read like every other: the
    review written as its day is read as its month, as from the files."""
    world = confluence_emulator.world
    parent = world.add_page("OPS", "insight_actions", world.root_page_id, "<p></p>")
    collections = {Collection.INSIGHT_ACTIONS: ConfluenceCollection(parent=parent.id)}
    connector = _connect(confluence_emulator, monkeypatch, collections)
    table = (
        '<ac:structured-macro ac:name="details"><ac:rich-text-body><table><tbody>'
        "<tr><th>Action</th><td>Interview three enterprise admins</td></tr>"
        "<tr><th>Owner</th><td>maya</td></tr>"
        "<tr><th>Review</th><td>2026-10-13</td></tr>"
        "<tr><th>Due on</th><td>2026-11-20</td></tr>"
        "</tbody></table></ac:rich-text-body></ac:structured-macro>"
    )
    world.add_page("OPS", "IA-2", parent.id, table, author="person")
    try:
        (action,) = _snapshot(_read(connector)).insight_actions
    finally:
        connector.close()
    assert (action.key, action.action, action.owner, action.review) == (
        "IA-2",
        "Interview three enterprise admins",
        "maya",
        "2026-10",
    )
    assert (action.due_on, action.done_on) == (date(2026, 11, 20), None)
