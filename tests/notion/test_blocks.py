"""The document tree as Notion blocks; the essence of read-back blocks, checked on real
recordings; and block diffs that rewrite only what changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsync.connectors.notion.blocks import (
    DeleteBlock,
    InsertBlocks,
    diff_children,
    find_regions,
    normalise,
    region_hash,
    region_marker,
    render_block,
    render_blocks,
    render_region,
)
from opsync.connectors.notion.chunks import children_of
from opsync.documents.model import (
    Link,
    StatusChip,
    Tone,
    bullets,
    cell,
    heading,
    item,
    para,
    region,
    table,
    text,
)

SDK = Path(__file__).resolve().parents[2] / "cassettes" / "notion" / "notion-sdk-py"


def exchanges(name: str) -> list[tuple[str, str, Any, Any]]:
    """(method, uri, request body, response body) of each interaction of a cassette."""
    data = yaml.safe_load((SDK / name).read_text(encoding="utf-8"))
    out = []
    for entry in data["interactions"]:
        request, response = entry["request"], entry["response"]
        body = json.loads(request["body"]) if request["body"] else None
        out.append(
            (request["method"], request["uri"], body, json.loads(response["body"]["string"]))
        )
    return out


def appended(name: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The children a cassette appends, and the blocks Notion answered with."""
    for method, uri, sent, answer in exchanges(name):
        if method == "PATCH" and uri.endswith("/children"):
            return sent["children"], answer["results"]
    raise AssertionError("no append in " + name)


def test_a_sent_paragraph_and_its_read_back_hash_the_same() -> None:
    sent, returned = appended("test_blocks_children_create.yaml")
    assert "created_time" in returned[0] and "plain_text" in json.dumps(returned)
    assert region_hash(sent) == region_hash(returned)
    assert normalise(returned) == [
        {
            "type": "paragraph",
            "paragraph": {"rich_text": [{"type": "text", "text": {"content": "I'm a paragraph."}}]},
        }
    ]


def test_an_update_with_annotations_hashes_as_its_answer() -> None:
    ((_, _, sent, answer),) = [
        e
        for e in exchanges("test_blocks_update.yaml")
        if e[0] == "PATCH" and "children" not in e[1]
    ]
    assert answer["paragraph"]["rich_text"][0]["annotations"]["italic"] is False  # defaults added
    assert region_hash([sent]) == region_hash([answer])
    assert region_hash([sent]) != region_hash(appended("test_blocks_update.yaml")[1])


def test_a_mention_hashes_as_its_answer() -> None:
    sent, returned = appended("test_is_mention_rich_text_item_response.yaml")
    assert returned[0]["paragraph"]["rich_text"][0]["mention"]["date"]["time_zone"] is None
    assert region_hash(sent) == region_hash(returned)


def test_what_opsync_renders_hashes_as_notion_would_return_it() -> None:
    node = region(
        "weekly.summary",
        heading(2, "Launches"),
        para(text("Bold", bold=True), " and ", Link(text="docs", url="https://x.example/d")),
        bullets(item("one", children=(item("nested"),)), "two"),
        table(
            ("Release", "Status"), [(cell("Alpha"), cell(StatusChip(label="late", tone=Tone.RED)))]
        ),
    )
    sent = render_region(node)
    returned = read_back(sent, 0)
    assert region_hash(children_of(sent)) == region_hash(children_of(returned))
    edited = json.loads(json.dumps(returned).replace("nested", "Nested"))
    assert region_hash(children_of(edited)) != region_hash(children_of(returned))


def read_back(block: dict[str, Any], n: int) -> dict[str, Any]:
    """``block`` as Notion returns it: ids, timestamps, full annotations, ``plain_text``,
    ``href``, defaults and children attached beside the content."""
    kind = block["type"]
    content = {k: v for k, v in block[kind].items() if k != "children"}
    for key in ("rich_text",):
        if key in content:
            content[key] = [full_run(r) for r in content[key]]
    if "cells" in content:
        content["cells"] = [[full_run(r) for r in c] for c in content["cells"]]
    if kind != "table":
        content.setdefault("color", "default")
    kids = children_of(block)
    return {
        "object": "block",
        "id": f"id-{n}",
        "created_time": "2026-07-04T09:08:00.000Z",
        "last_edited_by": {"object": "user", "id": "u"},
        "has_children": bool(kids),
        "in_trash": False,
        "archived": False,
        "type": kind,
        kind: content,
        "children": [read_back(k, n * 10 + i + 1) for i, k in enumerate(kids)],
    }


def full_run(run: dict[str, Any]) -> dict[str, Any]:
    link = run["text"].get("link")
    annotations = {
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "code": False,
        "color": "default",
    }
    return {
        "type": "text",
        "text": {"content": run["text"]["content"], "link": link},
        "annotations": {**annotations, **run.get("annotations", {})},
        "plain_text": run["text"]["content"],
        "href": link["url"] if link else None,
    }


def test_nodes_become_the_matching_block_types() -> None:
    assert [
        b["type"] for b in render_blocks((heading(1, "a"), heading(3, "b"), heading(4, "c")))
    ] == [
        "heading_1",
        "heading_3",
        "heading_3",
    ]
    numbered = render_block(
        bullets(item("x", children=(item("y"),))).model_copy(update={"ordered": True})
    )
    assert numbered[0]["type"] == "numbered_list_item"
    assert children_of(numbered[0])[0]["type"] == "numbered_list_item"
    runs = render_block(
        para(text("b", bold=True), text("i", italic=True), StatusChip(label="ok", tone=Tone.GREEN))
    )[0]["paragraph"]["rich_text"]
    assert [r.get("annotations") for r in runs] == [
        {"bold": True},
        {"italic": True},
        {"bold": True, "color": "green_background"},
    ]
    neutral = render_block(para(StatusChip(label="n")))[0]["paragraph"]["rich_text"][0]
    assert neutral["annotations"]["color"] == "gray_background"


def test_links_notion_cannot_open_stay_text() -> None:
    runs = render_block(
        para(Link(text="a", url="https://x.example"), Link(text="b", url="pages/x.md"))
    )[0]
    first, second = runs["paragraph"]["rich_text"]
    assert first["text"]["link"] == {"url": "https://x.example"}
    assert "link" not in second["text"]


def test_a_table_has_a_header_row_and_rows_as_wide_as_the_widest() -> None:
    block = render_block(table(("A", "B"), [(cell("1"),), (cell("1"), cell("2"), cell("3"))]))[0]
    assert block["table"]["table_width"] == 3 and block["table"]["has_column_header"] is True
    rows = children_of(block)
    assert [len(r["table_row"]["cells"]) for r in rows] == [3, 3, 3]
    assert rows[0]["table_row"]["cells"][0][0]["text"]["content"] == "A"


def test_a_long_paragraph_is_split_into_items_and_blocks() -> None:
    blocks = render_block(para("x" * 4500))
    assert [len(r["text"]["content"]) for r in blocks[0]["paragraph"]["rich_text"]] == [
        2000,
        2000,
        500,
    ]
    many = render_block(para(*[text(f"{n}", bold=n % 2 == 0) for n in range(150)]))
    assert [len(b["paragraph"]["rich_text"]) for b in many] == [100, 50]


def test_a_region_is_a_marked_callout_found_again_by_its_key() -> None:
    callout = render_region(region("bundle.header", para("hi"), region("inner", para("x"))))
    assert callout["type"] == "callout"
    assert callout["callout"]["rich_text"][0]["text"]["content"] == "opsync · bundle.header"
    assert callout["callout"]["icon"] == {"type": "emoji", "emoji": "🤖"}
    assert region_marker(callout) == "bundle.header"
    page = [read_back(render_block(para("person's text"))[0], 1), read_back(callout, 2)]
    found = find_regions(page)
    assert sorted(found) == ["bundle.header", "inner"]
    assert found["inner"]["id"] == "id-22"
    assert region_marker(read_back(render_block(para("opsync is great"))[0], 3)) is None
    typed_on = read_back(callout, 4)
    typed_on["callout"]["rich_text"][0]["text"]["content"] += " (see below)"
    assert region_marker(typed_on) == "bundle.header"


def test_children_not_fetched_are_refused() -> None:
    block = read_back(render_block(bullets(item("a", children=(item("b"),))))[0], 1)
    block["children"] = []
    with pytest.raises(ValueError, match="not read"):
        normalise([block])


def current(*nodes: Any) -> list[dict[str, Any]]:
    """What a region holds in Notion now, with ids."""
    payloads = render_blocks(nodes)
    return normalise([read_back(p, n + 1) for n, p in enumerate(payloads)], ids=True)


def test_an_unchanged_region_needs_no_write() -> None:
    nodes = (heading(2, "a"), para("b"), bullets("c", "d"))
    assert diff_children("r", current(*nodes), render_blocks(nodes)) == []


def shape(ops: list[Any]) -> list[tuple[str, ...]]:
    """``ops`` as (what, where, after / block): inserts with their parent and anchor, deletes
    with the block and the id of the essence they expect (the block as read)."""
    out: list[tuple[str, ...]] = []
    for op in ops:
        if isinstance(op, InsertBlocks):
            out.append(("insert", op.parent_id, str(op.after), str(len(op.blocks))))
        else:
            assert op.expected is not None and op.expected["id"] == op.block_id
            out.append(("delete", op.block_id))
    return out


def test_a_changed_paragraph_is_replaced_never_edited_in_place() -> None:
    """A PATCH would overwrite what a person typed since the read: the new block goes in
    in its place, and the old one goes to the trash, where the writer can check it."""
    have = current(heading(2, "a"), para("b"), para("c"))
    want = render_blocks((heading(2, "a"), para("B!"), para("c")))
    ops = diff_children("r", have, want)
    assert shape(ops) == [("insert", "r", "id-1", "1"), ("delete", "id-2")]
    assert isinstance(ops[0], InsertBlocks) and ops[0].blocks == [want[1]]
    assert isinstance(ops[1], DeleteBlock) and ops[1].expected == have[1]


def test_a_new_block_is_inserted_after_its_predecessor_and_a_gone_one_deleted() -> None:
    have = current(para("a"), para("b"), para("c"))
    ops = diff_children("r", have, render_blocks((para("a"), heading(2, "new"), para("b"))))
    assert shape(ops) == [("insert", "r", "id-1", "1"), ("delete", "id-3")]
    assert isinstance(ops[0], InsertBlocks)
    assert ops[0].blocks == [render_block(heading(2, "new"))[0]]


def test_a_changed_nested_item_is_replaced_where_it_is() -> None:
    have = current(bullets(item("a", children=(item("x"), item("y")))))
    ops = diff_children(
        "r", have, render_blocks((bullets(item("a", children=(item("x"), item("Y")))),))
    )
    assert shape(ops) == [("insert", "id-1", "id-11", "1"), ("delete", "id-12")]


def test_blocks_put_first_follow_the_first_old_block_which_is_then_replaced() -> None:
    have = current(para("a"), para("b"))
    want = render_blocks((para("new"), para("a"), para("b")))
    ops = diff_children("r", have, want)
    assert shape(ops) == [("insert", "r", "id-1", "2"), ("delete", "id-1")]
    assert isinstance(ops[0], InsertBlocks) and ops[0].blocks == want[:2]


def test_blocks_put_first_follow_an_old_block_that_goes() -> None:
    have = current(para("gone"), para("a"))
    want = render_blocks((heading(1, "new"), para("a")))
    assert shape(diff_children("r", have, want)) == [
        ("insert", "r", "id-1", "1"),
        ("delete", "id-1"),
    ]


def test_a_container_with_nothing_kept_gets_the_new_blocks_after_the_old_ones() -> None:
    have = current(para("a"), para("b"))
    want = render_blocks((heading(1, "x"), heading(1, "y")))
    assert shape(diff_children("r", have, want)) == [
        ("insert", "r", "id-2", "2"),
        ("delete", "id-1"),
        ("delete", "id-2"),
    ]
    assert shape(diff_children("r", [], want)) == [("insert", "r", "None", "2")]


def test_a_table_of_another_width_is_replaced_and_a_cell_change_replaces_its_row() -> None:
    have = current(table(("A", "B"), [(cell("1"), cell("2"))]))
    wider = render_blocks((table(("A", "B", "C"), [(cell("1"), cell("2"), cell("3"))]),))
    ops = diff_children("r", have, wider)
    assert shape(ops) == [("insert", "r", "id-1", "1"), ("delete", "id-1")]
    assert isinstance(ops[1], DeleteBlock) and ops[1].expected is not None
    assert len(ops[1].expected["children"]) == 2  # the rows, each checked in the trash
    ops = diff_children("r", have, render_blocks((table(("A", "B"), [(cell("1"), cell("two"))]),)))
    assert shape(ops) == [("insert", "id-1", "id-11", "1"), ("delete", "id-12")]
    assert isinstance(ops[0], InsertBlocks) and ops[0].blocks[0]["type"] == "table_row"


def test_how_text_was_cut_into_runs_does_not_change_the_hash() -> None:
    sent = render_block(para("Hello ", "world", text("!", bold=True)))  # three runs sent
    merged = read_back(sent[0], 1)
    runs = merged["paragraph"]["rich_text"]
    runs[0:2] = [full_run({"text": {"content": "Hello world"}})]  # Notion stores one run
    assert region_hash(sent) == region_hash([merged])
    long = render_block(para("x" * 4500))  # cut in 2000-character items
    assert region_hash(long) == region_hash(render_block(para("x" * 2500, "x" * 2000)))
