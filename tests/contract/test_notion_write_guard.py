"""A person editing between opsync's read and its write (guard.py): what the write would
overwrite is checked with one GET first, a change there is a conflict and stays, anything
else is written around."""

from __future__ import annotations

from typing import Any

import pytest
from notion_client import Client
from test_notion_connector import (
    document,
    env,
    fast,
    pages_database,
    releases_only,
    sdk,
    text,
)

from opsync.connectors.base import PageWrite, RecordWrite
from opsync.connectors.notion.config import NotionConnectorConfig
from opsync.connectors.notion.connector import NotionWiki
from opsync.connectors.notion.properties import plain_text
from opsync.errors import ConflictError, PermanentError
from opsync.testing import pytest_plugin
from opsync.testing.emulators.notion import NotionEmulator

notion_emulator = pytest_plugin.notion_emulator
__all__ = ["env", "sdk"]  # fixtures
KEY = "weekly-update/2026-W49"


def pages_wiki(env: NotionEmulator, sdk: Client) -> NotionWiki:
    return NotionWiki(NotionConnectorConfig(), pages=pages_database(env, sdk), bucket=fast())


def blocks_of(sdk: Client, page: str) -> list[dict[str, Any]]:
    return list(sdk.blocks.children.list(page)["results"])


def summary_lines(sdk: Client, page: str) -> list[str]:
    callout = next(b for b in blocks_of(sdk, page) if b["type"] == "callout")
    inner = blocks_of(sdk, callout["id"])
    return [plain_text(b[b["type"]]["rich_text"]) for b in inner]


def test_a_page_write_after_nobody_else_edited_costs_one_get_and_no_listing(
    env: NotionEmulator, sdk: Client
) -> None:
    wiki = pages_wiki(env, sdk)
    try:
        wiki.write_page(PageWrite(key=KEY, document=document("green"), create=True))
        wiki.read()
        env.reset_counts()
        wiki.write_page(PageWrite(key=KEY, document=document("amber"), regions=("summary",)))
    finally:
        wiki.close()
    assert env.counts.of("GET", "/v1/pages/{page_id}") == 1
    assert env.counts.of("GET", "/v1/blocks/{block_id}/children") == 0
    assert env.counts.reads == 2  # the page, the schema (opsync's id came with its create)
    assert env.counts.of("GET", "/v1/users/me") == 0


def test_a_region_a_person_edits_after_the_read_is_a_conflict_and_stays(
    env: NotionEmulator, sdk: Client
) -> None:
    wiki = pages_wiki(env, sdk)
    try:
        wiki.write_page(PageWrite(key=KEY, document=document("green"), create=True))
        wiki.read()
        page = wiki.reader.known.rows[KEY]["id"]
        callout = next(b for b in blocks_of(sdk, page) if b["type"] == "callout")
        first = blocks_of(sdk, callout["id"])[0]
        sdk.blocks.update(first["id"], paragraph={"rich_text": text("MINE")})
        env.reset_counts()
        with pytest.raises(ConflictError, match="summary") as raised:
            wiki.write_page(PageWrite(key=KEY, document=document("amber"), regions=("summary",)))
    finally:
        wiki.close()
    assert raised.value.target == f"pages/{KEY}" and raised.value.region == "summary"
    assert env.counts.writes == 0
    assert summary_lines(sdk, page)[0] == "MINE"


def test_text_a_person_adds_outside_the_regions_after_the_read_is_written_around(
    env: NotionEmulator, sdk: Client
) -> None:
    wiki = pages_wiki(env, sdk)
    try:
        wiki.write_page(PageWrite(key=KEY, document=document("green"), create=True))
        wiki.read()
        page = wiki.reader.known.rows[KEY]["id"]
        para = {"type": "paragraph", "paragraph": {"rich_text": text("A note of mine")}}
        sdk.blocks.children.append(page, children=[para])
        wiki.write_page(PageWrite(key=KEY, document=document("amber"), regions=("summary",)))
    finally:
        wiki.close()
    assert summary_lines(sdk, page)[-1] == "Status: amber"
    assert plain_text(blocks_of(sdk, page)[-1]["paragraph"]["rich_text"]) == "A note of mine"


def test_an_owned_field_a_person_edits_after_the_read_is_a_conflict_and_stays(
    env: NotionEmulator, sdk: Client
) -> None:
    config, ds = releases_only(sdk, env.root_page_id)
    sdk.data_sources.update(ds, properties={"Notes": {"rich_text": {}}})
    wiki = NotionWiki(config, bucket=fast())
    try:
        wiki.write_record(RecordWrite(ref="releases/A-1", values={"tier": 2}, create=True))
        wiki.read()
        [row] = sdk.data_sources.query(ds)["results"]
        sdk.pages.update(row["id"], properties={"Notes": {"rich_text": text("theirs")}})
        env.reset_counts()
        wiki.write_record(RecordWrite(ref="releases/A-1", values={"tier": 3}))  # goes around
        assert env.counts.of("GET", "/v1/pages/{page_id}") == 1
        sdk.pages.update(row["id"], properties={"Tier": {"select": {"name": "Tier 1"}}})
        with pytest.raises(ConflictError, match="tier"):
            wiki.write_record(RecordWrite(ref="releases/A-1", values={"tier": 2}))
        sdk.pages.update(row["id"], in_trash=True)
        with pytest.raises(PermanentError, match="trash"):
            wiki.write_record(RecordWrite(ref="releases/A-1", values={"tier": 2}))
    finally:
        wiki.close()
    props = sdk.pages.retrieve(row["id"])["properties"]
    assert props["Tier"]["select"]["name"] == "Tier 1"
    assert plain_text(props["Notes"]["rich_text"]) == "theirs"
