"""A person editing between opsync's read and its write (guard.py): one query per data
source and batch of updates finds the rows someone else edited since the read; a change to
what the write would overwrite is a conflict and stays, anything else is written around."""

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
from opsync.state.memory import MemoryStateStore
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


def test_a_page_write_after_nobody_else_edited_costs_one_query_and_no_listing(
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
    assert env.counts.of("GET", "/v1/pages/{page_id}") == 0
    assert env.counts.of("POST", "/v1/data_sources/{data_source_id}/query") == 1
    assert env.counts.of("GET", "/v1/blocks/{block_id}/children") == 0
    assert env.counts.reads == 2  # the check, the schema (opsync's id came with its create)
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
    wiki = NotionWiki(config, bucket=fast())
    try:
        wiki.write_record(RecordWrite(ref="releases/A-1", values={"tier": 2}, create=True))
        wiki.read()
        [row] = sdk.data_sources.query(ds)["results"]
        sdk.pages.update(row["id"], properties={"Tier": {"select": {"name": "Tier 1"}}})
        env.reset_counts()
        with pytest.raises(ConflictError, match="tier") as raised:
            wiki.write_record(RecordWrite(ref="releases/A-1", values={"tier": 3}))
    finally:
        wiki.close()
    assert raised.value.target == "releases/A-1" and raised.value.region == "tier"
    assert env.counts.writes == 0
    props = sdk.pages.retrieve(row["id"])["properties"]
    assert props["Tier"]["select"]["name"] == "Tier 1"


def test_a_person_own_field_edited_after_the_read_is_written_around_for_one_query(
    env: NotionEmulator, sdk: Client
) -> None:
    config, ds = releases_only(sdk, env.root_page_id)
    sdk.data_sources.update(ds, properties={"Notes": {"rich_text": {}}})
    wiki = NotionWiki(config, bucket=fast())
    try:
        for key in ("A-1", "A-2", "A-3"):
            wiki.write_record(RecordWrite(ref=f"releases/{key}", values={"tier": 2}, create=True))
        wiki.read()
        rows = sdk.data_sources.query(ds)["results"]
        sdk.pages.update(rows[0]["id"], properties={"Notes": {"rich_text": text("theirs")}})
        env.reset_counts()
        for key in ("A-1", "A-2", "A-3"):
            wiki.write_record(RecordWrite(ref=f"releases/{key}", values={"tier": 3}))
    finally:
        wiki.close()
    # one check for the batch of three updates, no GET before each
    assert env.counts.of("POST", "/v1/data_sources/{data_source_id}/query") == 1
    assert env.counts.of("GET", "/v1/pages/{page_id}") == 0
    assert env.counts.of("PATCH", "/v1/pages/{page_id}") == 3
    props = sdk.pages.retrieve(rows[0]["id"])["properties"]
    assert props["Tier"]["select"]["name"] == "Tier 3"
    assert plain_text(props["Notes"]["rich_text"]) == "theirs"


def test_an_edit_after_a_check_is_found_by_the_next_batch_check(
    env: NotionEmulator, sdk: Client
) -> None:
    config, _ = releases_only(sdk, env.root_page_id)
    wiki = NotionWiki(config, bucket=fast())
    ticks = [0.0]
    wiki.writer.guard.clock = lambda: ticks[0]
    try:
        for key in ("A-1", "A-2"):
            wiki.write_record(RecordWrite(ref=f"releases/{key}", values={"tier": 2}, create=True))
        wiki.read()
        wiki.write_record(RecordWrite(ref="releases/A-1", values={"tier": 3}))
        second = wiki.reader.known.records["releases/A-2"]
        sdk.pages.update(second, properties={"Tier": {"select": {"name": "Tier 1"}}})
        ticks[0] += wiki.writer.guard.window_seconds  # the first check's window is over
        with pytest.raises(ConflictError, match="tier"):
            wiki.write_record(RecordWrite(ref="releases/A-2", values={"tier": 3}))
    finally:
        wiki.close()
    props = sdk.pages.retrieve(second)["properties"]
    assert props["Tier"]["select"]["name"] == "Tier 1"


def test_a_row_moved_to_the_trash_after_the_read_is_left_there(
    env: NotionEmulator, sdk: Client
) -> None:
    config, _ = releases_only(sdk, env.root_page_id)
    wiki = NotionWiki(config, bucket=fast())
    try:
        wiki.write_record(RecordWrite(ref="releases/A-1", values={"tier": 2}, create=True))
        wiki.read()
        row = wiki.reader.known.records["releases/A-1"]
        sdk.pages.update(row, in_trash=True)
        with pytest.raises(PermanentError, match="trash"):
            wiki.write_record(RecordWrite(ref="releases/A-1", values={"tier": 3}))
    finally:
        wiki.close()
    assert sdk.pages.retrieve(row)["in_trash"] is True


def test_a_schema_kept_from_an_earlier_run_is_read_again_when_notion_refuses_a_renamed_property(
    env: NotionEmulator, sdk: Client
) -> None:
    config, ds = releases_only(sdk, env.root_page_id)
    sdk.data_sources.update(ds, properties={"opsync hashes": {"rich_text": {}}})
    store = MemoryStateStore()
    first = NotionWiki(config, bucket=fast(), state=store.connector("notion"))
    try:
        first.read()
        first.write_record(RecordWrite(ref="releases/A-1", values={"tier": 2}, create=True))
    finally:
        first.close()
    store.commit()
    sdk.data_sources.update(ds, properties={"opsync hashes": {"name": "Old hashes"}})
    later = NotionWiki(config, bucket=fast(), state=store.connector("notion"))
    try:
        later.read()
        env.reset_counts()
        later.write_record(RecordWrite(ref="releases/A-1", values={"tier": 3}))
    finally:
        later.close()
    # the kept schema first (no GET), Notion's 400 on the renamed property, then read again
    assert env.counts.of("GET", "/v1/data_sources/{data_source_id}") == 1
    assert env.counts.by_status.get(400) == 1
    [row] = sdk.data_sources.query(ds)["results"]
    assert row["properties"]["Tier"]["select"]["name"] == "Tier 3"


def test_a_schema_kept_from_an_earlier_run_spares_the_schema_request(
    env: NotionEmulator, sdk: Client
) -> None:
    config, _ = releases_only(sdk, env.root_page_id)
    store = MemoryStateStore()
    for tier in (2, 3):
        wiki = NotionWiki(config, bucket=fast(), state=store.connector("notion"))
        try:
            wiki.read()
            env.reset_counts()
            wiki.write_record(
                RecordWrite(ref="releases/A-1", values={"tier": tier}, create=tier == 2)
            )
        finally:
            wiki.close()
        store.commit()
    assert env.counts.of("GET", "/v1/data_sources/{data_source_id}") == 0
