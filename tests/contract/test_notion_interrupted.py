"""Notion page writes cut off before their last request (as a killed run leaves them), read
back with the state store gone: the next run takes the page for opsync's own unfinished
write, finishes it with one property write, and never calls it a person's edit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from notion_client import Client
from test_notion_connector import env, fast, notion_emulator, pages_database, sdk

from opsync.connectors.base import Ownership, PageWrite
from opsync.connectors.notion.client import NotionApi
from opsync.connectors.notion.config import CollectionMapping, NotionConnectorConfig
from opsync.connectors.notion.connector import NotionWiki
from opsync.connectors.notion.pending import PENDING_KEY
from opsync.connectors.notion.properties import plain_text
from opsync.documents.model import Document, bullets, heading, para, region
from opsync.engine.actual import Actual
from opsync.engine.desired import Desired, DesiredPage
from opsync.engine.plan import make_plan
from opsync.errors import ConnectorError
from opsync.testing.emulators.notion import NotionEmulator

__all__ = ["env", "notion_emulator", "sdk"]  # fixtures shared with test_notion_connector

KEY = "weekly-update/2026-W49"


def document(intro: str, status: str) -> Document:
    return Document(
        title="Weekly update",
        children=(
            heading(1, "Weekly update"),
            region("summary", para(intro), bullets("Saved filters", "HubSpot GA")),
            region("status", para(f"Status: {status}")),
            para("Notes people write here stay theirs."),
        ),
    )


@pytest.fixture
def pages(env: NotionEmulator, sdk: Client) -> CollectionMapping:
    return pages_database(env, sdk)


@pytest.fixture
def connect(pages: CollectionMapping) -> Iterator[Callable[[], NotionWiki]]:
    """A new connector each call, as a run with its state store deleted makes."""
    made: list[NotionWiki] = []

    def make() -> NotionWiki:
        made.append(NotionWiki(NotionConnectorConfig(), pages=pages, bucket=fast()))
        return made[-1]

    yield make
    for wiki in made:
        wiki.close()


def cut_last_property_write(
    monkeypatch: pytest.MonkeyPatch, env: NotionEmulator, before: int
) -> None:
    """Refuse the page property write that comes after ``before`` others (the one that
    records the regions' fingerprints), as a run killed just before it would leave things."""
    seen = 0
    call = NotionApi.call

    def counting(api: NotionApi, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        nonlocal seen
        if fn == api.sdk.pages.update:
            seen += 1
            if seen == before + 1:
                env.faults.fail(400, method="PATCH", path="/v1/pages/*")
        return call(api, fn, *args, **kw)

    monkeypatch.setattr(NotionApi, "call", counting)


def interrupted_update(
    wiki: NotionWiki, env: NotionEmulator, monkeypatch: pytest.MonkeyPatch
) -> Document:
    """Create the page, then update two of its regions (several requests) with the final
    property write refused: every block lands, the pending mark stays. The update's document."""
    wiki.write_page(PageWrite(key=KEY, document=document("Shipped:", "green"), create=True))
    wiki.read()
    later = document("Shipped this week:", "amber")
    with monkeypatch.context() as patch:
        cut_last_property_write(patch, env, before=1)  # the pending mark goes through
        with pytest.raises(ConnectorError):
            wiki.write_page(PageWrite(key=KEY, document=later))
    return later


def regions_text(sdk: Client, pages: CollectionMapping) -> str:
    [row] = sdk.data_sources.query(pages.data_source_id)["results"]
    return plain_text(row["properties"]["opsync regions"]["rich_text"])


def test_an_update_cut_before_its_fingerprints_is_finished_by_one_property_write(
    env: NotionEmulator,
    sdk: Client,
    pages: CollectionMapping,
    connect: Callable[[], NotionWiki],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    later = interrupted_update(connect(), env, monkeypatch)
    assert PENDING_KEY in regions_text(sdk, pages)  # every block landed, the mark stayed

    wiki = connect()  # the state store is gone: only the page can say the write was opsync's
    actual = wiki.read()
    state = actual.pages[KEY]
    for name in ("summary", "status"):
        assert state.regions[name].content == wiki.render_region(later, name)
        assert state.regions[name].ownership is Ownership.INTERRUPTED
    env.reset_counts()
    wiki.write_page(PageWrite(key=KEY, document=later, regions=("summary", "status")))
    counts = env.counts
    assert counts.writes == 1  # no block rewritten: only the fingerprints recorded
    assert counts.of("PATCH", "/v1/pages/{page_id}") == 1
    assert PENDING_KEY not in regions_text(sdk, pages)
    again = connect().read().pages[KEY]
    assert all(s.ownership is Ownership.CLEAN for s in again.regions.values())


def test_a_region_holding_the_unfinished_write_is_planned_never_a_conflict(
    env: NotionEmulator,
    sdk: Client,
    connect: Callable[[], NotionWiki],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whether the page now holds exactly what is wanted (without a rewrite the mark would
    stay for good) or what is wanted moved on since the killed run (a rewrite, not a conflict
    as a person's edit would be, since nobody else wrote the region)."""
    later = interrupted_update(connect(), env, monkeypatch)
    wiki = connect()
    actual = wiki.read()
    newer = document("Shipped this week:", "red")
    for wanted, regions in ((later, ("status", "summary")), (newer, ("status", "summary"))):
        desired = Desired(pages={KEY: DesiredPage(key=KEY, kind="weekly_update", document=wanted)})
        plan = make_plan(desired, Actual.of(actual), wiki)
        assert not plan.conflicts
        [op] = plan.operations
        assert op.kind == "update_page"
        assert isinstance(op.payload, PageWrite) and sorted(op.payload.regions) == list(regions)


def test_a_create_cut_before_its_fingerprints_is_adopted_whole_not_half_recorded(
    env: NotionEmulator,
    sdk: Client,
    pages: CollectionMapping,
    connect: Callable[[], NotionWiki],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A page too long for one request is created bare, filled, then given its fingerprints;
    cut before the last step, the next run must record every region, not only a changed one."""
    long = Document(
        title="Weekly update",
        children=(
            region("summary", *(para(f"Line {n}") for n in range(120))),
            region("status", para("Status: green")),
        ),
    )
    with monkeypatch.context() as patch:
        cut_last_property_write(patch, env, before=0)
        with pytest.raises(ConnectorError):
            connect().write_page(PageWrite(key=KEY, document=long, create=True))
    assert PENDING_KEY in regions_text(sdk, pages)
    wiki = connect()
    state = wiki.read().pages[KEY]
    assert all(s.ownership is Ownership.INTERRUPTED for s in state.regions.values())
    desired = Desired(pages={KEY: DesiredPage(key=KEY, kind="weekly_update", document=long)})
    [op] = make_plan(desired, Actual.of(wiki.read()), wiki).operations
    wiki.write_page(op.payload)  # type: ignore[arg-type]
    recorded = regions_text(sdk, pages)
    assert PENDING_KEY not in recorded and '"summary"' in recorded and '"status"' in recorded
    again = connect().read().pages[KEY]
    assert all(s.ownership is Ownership.CLEAN for s in again.regions.values())
