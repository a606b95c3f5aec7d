"""The Notion connector against the strict emulator (issue 14, "Trust"): a page holding what
Notion refuses when sent carelessly (emoji-heavy text past 2000 UTF-16 units, links to local
pages, tables, a table too deep for one request) is written, read back unedited and left
alone by a second write; and a block inserted mid-region goes where it belongs under both
Notion-Versions, with `after` (2025-09-03) and with `position` (2026-03-11)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from notion_client import Client

from opsync.connectors.base import Ownership, PageWrite
from opsync.connectors.notion.config import CollectionMapping, NotionConnectorConfig
from opsync.connectors.notion.connector import NotionWiki
from opsync.connectors.notion.properties import plain_text
from opsync.documents import model as doc
from opsync.http import TokenBucket
from opsync.testing import pytest_plugin
from opsync.testing.emulators.notion import NotionEmulator

notion_emulator = pytest_plugin.notion_emulator
LOG = logging.getLogger("tests.notion_strict_connector")
KEY = "weekly-update/2026-W49"


@pytest.fixture
def env(notion_emulator: NotionEmulator, monkeypatch: pytest.MonkeyPatch) -> NotionEmulator:
    monkeypatch.setenv("NOTION_TOKEN", notion_emulator.token)
    monkeypatch.setenv("OPSYNC_NOTION_BASE_URL", notion_emulator.base_url)
    return notion_emulator


@pytest.fixture
def sdk(env: NotionEmulator) -> Iterator[Client]:
    client = Client(auth=env.person_token, base_url=env.base_url, retry=False, logger=LOG)
    try:
        yield client
    finally:
        client.close()


def pages_database(env: NotionEmulator, sdk: Client) -> CollectionMapping:
    made = sdk.databases.create(
        parent={"type": "page_id", "page_id": env.root_page_id},
        title=[{"type": "text", "text": {"content": "opsync pages"}}],
        initial_data_source={
            "properties": {
                "Name": {"title": {}},
                "opsync key": {"rich_text": {}},
                "Kind": {"select": {}},
                "opsync regions": {"rich_text": {}},
            }
        },
    )
    source = sdk.databases.retrieve(made["id"])["data_sources"][0]["id"]
    return CollectionMapping(database_id=made["id"], data_source_id=source)


def wiki(pages: CollectionMapping, version: str = "2025-09-03") -> NotionWiki:
    config = NotionConnectorConfig(notion_version=version)
    return NotionWiki(config, pages=pages, bucket=TokenBucket(1000.0, 100))


def tricky() -> doc.Document:
    scores = doc.table(("Area", "Score"), [((doc.text("BI 📊"),), (doc.text("4"),))])
    return doc.Document(
        title="Weekly update",
        children=(
            doc.heading(1, "Weekly update"),
            doc.region(
                "summary",
                doc.para("🚀" * 2500),  # 2500 characters, 5000 UTF-16 units
                doc.para(
                    "See ",
                    doc.Link(text="last week", url="weekly/2026-W48.md"),
                    " and ",
                    doc.Link(text="the board", url="https://acme.example/board"),
                ),
                scores,
                doc.region("inner", doc.region("deepest", scores)),  # rows 5 levels down
                doc.table((), []),
            ),
        ),
    )


def test_a_page_notion_would_refuse_if_sent_carelessly_is_written_and_stays_clean(
    env: NotionEmulator, sdk: Client
) -> None:
    pages = pages_database(env, sdk)
    connector = wiki(pages)
    try:
        connector.write_page(PageWrite(key=KEY, document=tricky(), create=True))
        state = connector.read().pages[KEY]
        env.reset_counts()
        connector.write_page(PageWrite(key=KEY, document=tricky(), regions=("summary",)))
        rewritten = env.counts.of("PATCH", "/v1/blocks/{block_id}/children")
        expected = connector.render_region(tricky(), "summary")
    finally:
        connector.close()
    assert state.regions["summary"].content == expected
    assert state.regions["summary"].ownership is not Ownership.EDITED
    assert rewritten == 0
    [row] = sdk.data_sources.query(pages.data_source_id)["results"]
    [callout] = [
        b for b in sdk.blocks.children.list(row["id"])["results"] if b["type"] == "callout"
    ]
    inside = sdk.blocks.children.list(callout["id"])["results"]
    # the empty table is left out
    assert [b["type"] for b in inside] == ["paragraph", "paragraph", "table", "callout"]
    long_text = inside[0]["paragraph"]["rich_text"]
    assert [len(r["plain_text"]) for r in long_text] == [1000, 1000, 500]  # 2000 units each
    runs = inside[1]["paragraph"]["rich_text"]
    assert [r["href"] for r in runs] == [None, None, None, "https://acme.example/board"]


def body(middle: bool) -> doc.Document:
    lines = ["a", "b", "c"] if middle else ["a", "c"]
    return doc.Document(
        title="Weekly update",
        children=(doc.region("summary", *(doc.para(line) for line in lines)),),
    )


@pytest.mark.parametrize("version", ["2025-09-03", "2026-03-11"])
def test_a_block_inserted_mid_region_lands_in_place_under_each_version(
    env: NotionEmulator, sdk: Client, version: str
) -> None:
    pages = pages_database(env, sdk)
    connector = wiki(pages, version)
    sent: list[dict[str, Any]] = []
    try:
        connector.write_page(PageWrite(key=KEY, document=body(False), create=True))
        connector.read()
        original = connector.writer.api.sdk.blocks.children.append

        def spy(block_id: str, **kwargs: Any) -> Any:
            sent.append(kwargs)
            return original(block_id, **kwargs)

        connector.writer.api.sdk.blocks.children.append = spy  # type: ignore[method-assign]
        connector.write_page(PageWrite(key=KEY, document=body(True), regions=("summary",)))
        read = connector.read().pages[KEY]
        expected = connector.render_region(body(True), "summary")
    finally:
        connector.close()
    [insert] = sent
    assert ("position" in insert) == (version == "2026-03-11") != ("after" in insert)
    assert read.regions["summary"].content == expected
    [row] = sdk.data_sources.query(pages.data_source_id)["results"]
    [callout] = sdk.blocks.children.list(row["id"])["results"]
    inside = sdk.blocks.children.list(callout["id"])["results"]
    assert [plain_text(b["paragraph"]["rich_text"]) for b in inside] == ["a", "b", "c"]
