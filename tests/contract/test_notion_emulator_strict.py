"""The Notion emulator refuses what Notion refuses (issue 14, "Trust"), seen through notion-client.

Each test drives the real notion-client SDK against a running emulator and pins one rule
the documentation or the published OpenAPI document states (the emulator's comments cite
each source): text lengths in UTF-16 code units, no comma in a select option, a 400 for an
unknown page property item, no relative link URL, the documented code languages only, whole
tables, and the insert position each Notion-Version takes. Every test failed on the lenient
emulator this replaced.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from notion_client import APIResponseError, Client

from opsync.testing import pytest_plugin
from opsync.testing.emulators.notion import NotionEmulator

LOG = logging.getLogger("tests.notion_emulator_strict")
notion_emulator = pytest_plugin.notion_emulator
EMOJI = "😀"  # beyond the Basic Multilingual Plane: two UTF-16 code units


def text(content: str, link: str | None = None) -> list[dict[str, Any]]:
    run: dict[str, Any] = {"content": content}
    if link is not None:
        run["link"] = {"url": link}
    return [{"type": "text", "text": run}]


def para(content: str = "x", link: str | None = None) -> dict[str, Any]:
    return {"type": "paragraph", "paragraph": {"rich_text": text(content, link)}}


def row(*cells: str) -> dict[str, Any]:
    return {"type": "table_row", "table_row": {"cells": [text(c) for c in cells]}}


def table(width: int, *rows: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = {"table_width": width, "has_column_header": True}
    if rows:
        content["children"] = list(rows)
    return {"type": "table", "table": content}


def refused(call: Callable[[], Any]) -> APIResponseError:
    with pytest.raises(APIResponseError) as caught:
        call()
    assert (caught.value.status, caught.value.code) == (400, "validation_error")
    return caught.value


def sdk(emulator: NotionEmulator, version: str | None = None) -> Client:
    options = {"notion_version": version} if version else {}
    return Client(
        auth=emulator.token, base_url=emulator.base_url, retry=False, logger=LOG, **options
    )


@pytest.fixture
def notion(notion_emulator: NotionEmulator) -> Iterator[Client]:
    client = sdk(notion_emulator)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def page(notion: Client, notion_emulator: NotionEmulator) -> str:
    made = notion.pages.create(
        parent={"page_id": notion_emulator.root_page_id}, properties={"title": text("Doc")}
    )
    return str(made["id"])


def source(notion: Client, parent: str, schema: dict[str, Any]) -> str:
    database = notion.databases.create(
        parent={"type": "page_id", "page_id": parent},
        title=text("Releases"),
        initial_data_source={"properties": schema},
    )
    return str(notion.databases.retrieve(database["id"])["data_sources"][0]["id"])


def children(notion: Client, block: str) -> list[str]:
    listed = notion.blocks.children.list(block)["results"]
    return [b["paragraph"]["rich_text"][0]["plain_text"] for b in listed]


# 1. Rich-text lengths are UTF-16 code units -------------------------------------------


def test_text_content_length_counts_utf16_code_units(notion: Client, page: str) -> None:
    append = notion.blocks.children.append
    assert append(page, children=[para(EMOJI * 1000)])["results"]  # 2000 units: the limit
    emoji = refused(lambda: append(page, children=[para(EMOJI * 1001)]))
    assert (
        "body.children[0].paragraph.rich_text[0].text.content.length should be ≤ `2000`, "
        "instead was `2002`." in str(emoji)
    )
    refused(lambda: append(page, children=[para("a" * 1999 + EMOJI)]))  # 1999 + 2 = 2001
    assert append(page, children=[para("é" * 2000)])["results"]  # BMP: one unit each


# 2. No comma in a select or multi-select option -----------------------------------------


def test_a_comma_in_a_select_option_name_is_refused_in_schemas(
    notion: Client, notion_emulator: NotionEmulator
) -> None:
    root = notion_emulator.root_page_id
    schema = {"Name": {"title": {}}, "Area": {"select": {"options": [{"name": "BI, Data"}]}}}
    error = refused(lambda: source(notion, root, schema))
    assert str(error) == "Invalid select option, commas not allowed: BI, Data"
    made = source(notion, root, {"Name": {"title": {}}, "Area": {"select": {}}})
    tags = {"Tags": {"multi_select": {"options": [{"name": "a"}, {"name": "b,c"}]}}}
    refused(lambda: notion.data_sources.update(made, properties=tags))
    fine = {"Tags": {"multi_select": {"options": [{"name": "a"}, {"name": "b / c"}]}}}
    assert notion.data_sources.update(made, properties=fine)["properties"]["Tags"]


def test_a_comma_in_a_select_value_is_refused(
    notion: Client, notion_emulator: NotionEmulator
) -> None:
    schema = {"Name": {"title": {}}, "Area": {"select": {}}, "Tags": {"multi_select": {}}}
    made = source(notion, notion_emulator.root_page_id, schema)

    def create(**values: Any) -> Any:
        properties = {"Name": {"title": text("R")}, **values}
        return notion.pages.create(parent={"data_source_id": made}, properties=properties)

    error = refused(lambda: create(Area={"select": {"name": "BI, Data"}}))
    assert "commas not allowed: BI, Data" in str(error)
    refused(lambda: create(Tags={"multi_select": [{"name": "ok"}, {"name": "x,y"}]}))
    assert create(Area={"select": {"name": "BI / Data"}})["properties"]["Area"]["select"]


# 3. An unknown page property item is a 400 ---------------------------------------------


def test_an_unknown_property_item_is_a_validation_error(
    notion: Client, notion_emulator: NotionEmulator
) -> None:
    made = source(notion, notion_emulator.root_page_id, {"Name": {"title": {}}})
    row_page = notion.pages.create(
        parent={"data_source_id": made}, properties={"Name": {"title": text("R")}}
    )
    error = refused(lambda: notion.pages.properties.retrieve(row_page["id"], "nope"))
    assert str(error) == "nope is not a property that exists."
    items = notion.pages.properties.retrieve(row_page["id"], "title")
    assert items["results"][0]["title"]["plain_text"] == "R"


# 4. Relative link URLs are refused ---------------------------------------------------


@pytest.mark.parametrize("url", ["/pages/x", "weekly.md", "#top", "zotero://select/1", "https://"])
def test_a_link_notion_cannot_open_is_refused(notion: Client, page: str, url: str) -> None:
    error = refused(lambda: notion.blocks.children.append(page, children=[para("w", url)]))
    assert str(error) == "Content creation Failed. Fix the following: \nInvalid URL for link."


def test_absolute_links_are_kept_and_a_property_link_is_checked_too(
    notion: Client, page: str, notion_emulator: NotionEmulator
) -> None:
    links = ["https://example.com/a?b=c", "http://example.com", "mailto:pm@example.com"]
    made = notion.blocks.children.append(page, children=[para("w", u) for u in links])
    assert [b["paragraph"]["rich_text"][0]["href"] for b in made["results"]] == links
    ds = source(notion, notion_emulator.root_page_id, {"Name": {"title": {}}})
    error = refused(
        lambda: notion.pages.create(
            parent={"data_source_id": ds}, properties={"Name": {"title": text("R", "r.md")}}
        )
    )
    assert str(error) == "Invalid URL for link."


# 5. Code blocks take the documented languages only ----------------------------------


def test_a_code_language_outside_the_documented_list_is_refused(notion: Client, page: str) -> None:
    def code(**extra: Any) -> dict[str, Any]:
        return {"type": "code", "code": {"rich_text": text("x = 1"), **extra}}

    error = refused(lambda: notion.blocks.children.append(page, children=[code(language="ts")]))
    message = str(error)
    assert message.startswith("body failed validation: body.children[0].code.language should be")
    assert '"plain text"' in message and message.endswith('instead was `"ts"`.')
    made = notion.blocks.children.append(page, children=[code(language="typescript"), code()])
    assert [b["code"]["language"] for b in made["results"]] == ["typescript", "plain text"]
    first = made["results"][0]["id"]
    refused(lambda: notion.blocks.update(first, code={"language": "py"}))
    assert notion.blocks.update(first, code={"language": "python"})["code"]["language"] == "python"


# 6. Tables: rows are required, full width, and the width is fixed ---------------------


def test_a_table_needs_rows_of_its_full_width(notion: Client, page: str) -> None:
    append = notion.blocks.children.append
    empty = refused(lambda: append(page, children=[table(2)]))
    assert "body.children[0].table.children should contain at least 1 table_row" in str(empty)
    short = refused(lambda: append(page, children=[table(2, row("a", "b"), row("c"))]))
    assert (
        "body.children[0].table.children[1].table_row.cells.length should be the table's "
        "table_width `2`, instead was `1`." in str(short)
    )
    refused(lambda: append(page, children=[table(2, row("a", "b", "c"))]))
    made = append(page, children=[table(2, row("a", "b"))])["results"][0]
    refused(lambda: append(made["id"], children=[row("only")]))  # a later row, too
    refused(lambda: append(made["id"], children=[para()]))  # a table holds rows only
    assert append(made["id"], children=[row("c", "d")])["results"]
    assert len(notion.blocks.children.list(made["id"])["results"]) == 2


def test_a_table_keeps_its_width(notion: Client, page: str) -> None:
    made = notion.blocks.children.append(page, children=[table(2, row("a", "b"))])
    table_id = made["results"][0]["id"]
    error = refused(lambda: notion.blocks.update(table_id, table={"table_width": 3}))
    assert "table_width cannot be changed" in str(error)
    kept = notion.blocks.update(table_id, table={"table_width": 2, "has_row_header": True})
    assert kept["table"]["table_width"] == 2 and kept["table"]["has_row_header"] is True
    [first] = notion.blocks.children.list(table_id)["results"]
    refused(lambda: notion.blocks.update(first["id"], table_row={"cells": [text("x")]}))
    notion.blocks.update(first["id"], table_row={"cells": [text("x"), text("y")]})


# 7. Where appended blocks go: `after` in 2025-09-03, `position` from 2026-03-11 ---------


def test_2025_09_03_takes_after_and_not_position(notion: Client, page: str) -> None:
    first = notion.blocks.children.append(page, children=[para("a"), para("c")])["results"][0]
    notion.blocks.children.append(page, children=[para("b")], after=first["id"])
    assert children(notion, page) == ["a", "b", "c"]
    position = {"type": "after_block", "after_block": {"id": first["id"]}}
    error = refused(
        lambda: notion.blocks.children.append(page, children=[para()], position=position)
    )
    assert "body.position should be not present" in str(error)


def test_2026_03_11_takes_position_and_not_after(
    notion_emulator: NotionEmulator, page: str
) -> None:
    newer = sdk(notion_emulator, "2026-03-11")
    try:
        append = newer.blocks.children.append
        first = append(page, children=[para("b"), para("d")])["results"][0]
        after_b = {"type": "after_block", "after_block": {"id": first["id"]}}
        append(page, children=[para("c")], position=after_b)
        append(page, children=[para("a")], position={"type": "start"})
        append(page, children=[para("e")], position={"type": "end"})
        assert children(newer, page) == ["a", "b", "c", "d", "e"]
        error = refused(lambda: append(page, children=[para()], after=first["id"]))
        assert "body.after should be not present" in str(error)
        refused(lambda: append(page, children=[para()], position={"type": "middle"}))
        refused(lambda: append(page, children=[para()], position={"type": "after_block"}))
        block = newer.blocks.retrieve(first["id"])
        assert "archived" not in block and block["in_trash"] is False
        refused(lambda: newer.blocks.update(first["id"], archived=True))
        assert newer.blocks.update(first["id"], in_trash=True)["in_trash"] is True
    finally:
        newer.close()
