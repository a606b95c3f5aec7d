"""Payloads cut to Notion's request limits: every plan is checked against the limits the way
the API checks them, and deeper levels go to the ids earlier calls return."""

from __future__ import annotations

from typing import Any

from opsync.connectors.notion.chunks import (
    MAX_REQUEST_BYTES,
    AppendCall,
    NewBlock,
    children_of,
    count_blocks,
    group_rich_text,
    payload_size,
    plan_appends,
    resolve,
    split_rich_text,
    split_text,
    utf16_len,
)


def para(text: str) -> dict[str, Any]:
    return {"type": "paragraph", "paragraph": {"rich_text": [{"text": {"content": text}}]}}


def item(text: str, *children: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"rich_text": [{"type": "text", "text": {"content": text}}]}
    if children:
        body["children"] = list(children)
    return {"type": "bulleted_list_item", "bulleted_list_item": body}


def depth(block: dict[str, Any]) -> int:
    return 1 + max((depth(c) for c in children_of(block)), default=0)


def assert_within_limits(calls: list[AppendCall]) -> None:
    """What Notion validates on each append (NOTES.md 4, 11)."""

    def arrays_ok(block: dict[str, Any]) -> bool:
        kids = children_of(block)
        return len(kids) <= 100 and all(arrays_ok(k) for k in kids)

    for call in calls:
        assert 0 < len(call.children) <= 100
        assert sum(count_blocks(b) for b in call.children) <= 1000
        assert payload_size({"children": call.children}) <= MAX_REQUEST_BYTES
        assert all(depth(b) <= 3 and arrays_ok(b) for b in call.children)


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    out = []
    for block in blocks:
        kind = block["type"]
        out.append(block[kind]["rich_text"][0]["text"]["content"])
        out.extend(texts(children_of(block)))
    return out


def replay(calls: list[AppendCall], root: str = "page") -> dict[str, list[str]]:
    """Run a plan against a fake store: the text of each container's children, in order,
    checking that every parent and ``after`` exists when its call is made."""
    store: dict[str, list[tuple[str, str]]] = {root: []}
    created: list[list[str]] = []
    for number, call in enumerate(calls):
        parent = resolve(call.parent, created)
        assert parent in store, f"call {number} appends to a block not created yet"
        ids = []
        position = len(store[parent])
        if call.after is not None:
            after = resolve(call.after, created)
            position = [i for i, _ in store[parent]].index(after) + 1
        for offset, block in enumerate(call.children):
            new_id = f"b{number}.{offset}"
            ids.append(new_id)
            store[parent].insert(
                position + offset, (new_id, block[block["type"]]["rich_text"][0]["text"]["content"])
            )
            _store_nested(store, new_id, children_of(block))
        created.append(ids)
    return {k: [t for _, t in v] for k, v in store.items()}


def _store_nested(
    store: dict[str, list[tuple[str, str]]], parent: str, kids: list[dict[str, Any]]
) -> None:
    store[parent] = []
    for n, kid in enumerate(kids):
        kid_id = f"{parent}/{n}"
        store[parent].append((kid_id, kid[kid["type"]]["rich_text"][0]["text"]["content"]))
        _store_nested(store, kid_id, children_of(kid))


def test_text_over_2000_characters_is_split_into_items_of_the_same_style() -> None:
    run = {
        "type": "text",
        "text": {"content": "x" * 4500, "link": {"url": "https://a.example"}},
        "annotations": {"bold": True},
    }
    items = split_rich_text([run])
    assert [len(i["text"]["content"]) for i in items] == [2000, 2000, 500]
    assert all(i["annotations"] == {"bold": True} and i["text"]["link"] for i in items)
    assert "".join(i["text"]["content"] for i in items) == "x" * 4500


def test_length_is_counted_in_utf16_units_and_never_splits_an_emoji() -> None:
    text = "🚀" * 1500  # 1500 code points, 3000 UTF-16 units: too long for one item
    pieces = split_text(text)
    assert [utf16_len(p) for p in pieces] == [2000, 1000]
    assert "".join(pieces) == text
    odd = "a" + "🚀" * 1000  # the 1000th emoji would straddle the limit
    assert [utf16_len(p) for p in split_text(odd)] == [1999, 2]


def test_rich_text_over_100_items_is_grouped_for_several_blocks() -> None:
    runs = [{"type": "text", "text": {"content": f"{n} "}} for n in range(250)]
    assert [len(g) for g in group_rich_text(runs)] == [100, 100, 50]


def test_250_items_take_three_appends_in_order() -> None:
    blocks = [item(f"item {n}") for n in range(250)]
    calls = plan_appends("page", blocks)
    assert [len(c.children) for c in calls] == [100, 100, 50]
    assert_within_limits(calls)
    assert replay(calls)["page"] == [f"item {n}" for n in range(250)]


def test_batches_inserted_after_a_block_follow_each_other() -> None:
    calls = plan_appends("page", [item(f"n{n}") for n in range(150)], after="x")
    assert calls[0].after == "x"
    assert calls[1].after == NewBlock(0, 99)


def test_three_levels_fit_one_request() -> None:
    tree = item("a", item("b", item("c")))
    calls = plan_appends("page", [tree])
    assert len(calls) == 1
    assert texts(calls[0].children) == ["a", "b", "c"]


def test_a_fourth_level_is_appended_to_the_returned_child_id() -> None:
    # A region callout holding a 3-level list: four levels of blocks.
    callout = {
        "type": "callout",
        "callout": {
            "rich_text": [{"type": "text", "text": {"content": "opsync · r"}}],
            "children": [item("a", item("b", item("c")))],
        },
    }
    calls = plan_appends("page", [callout])
    assert len(calls) == 2
    assert children_of(calls[0].children[0]) == []  # the list would be a 4th level
    assert calls[1].parent == NewBlock(0, 0)  # the callout's id, from the first answer
    assert texts(calls[1].children) == ["a", "b", "c"]
    assert_within_limits(calls)
    result = replay(calls)
    assert result["b1.0"] == ["b"] and result["b1.0/0"] == ["c"]


def test_five_levels_chain_follow_ups() -> None:
    tree = item("1", item("2", item("3", item("4", item("5")))))
    calls = plan_appends("page", [tree])
    assert_within_limits(calls)
    assert texts([c for call in calls for c in call.children]) == ["1", "2", "3", "4", "5"]
    assert calls[1].parent == NewBlock(0, 0)


def test_more_than_100_children_of_one_block_are_partly_deferred() -> None:
    rows = [
        {
            "type": "table_row",
            "table_row": {"cells": [[{"type": "text", "text": {"content": f"r{n}"}}]]},
        }
        for n in range(130)
    ]
    table = {
        "type": "table",
        "table": {"table_width": 1, "has_column_header": True, "children": rows},
    }
    calls = plan_appends("page", [table])
    assert len(children_of(calls[0].children[0])) == 100  # a table is created with its rows
    assert calls[1].parent == NewBlock(0, 0) and len(calls[1].children) == 30
    assert_within_limits(calls)


def test_a_payload_near_1000_blocks() -> None:
    ten = [item(f"p{n}", *(item(f"c{n}.{m}") for m in range(99))) for n in range(10)]
    assert sum(count_blocks(b) for b in ten) == 1000
    assert len(plan_appends("page", ten)) == 1  # exactly at the limit: one request
    eleven = [*ten, item("p10", *(item(f"c10.{m}") for m in range(99)))]
    calls = plan_appends("page", eleven)
    assert [len(c.children) for c in calls] == [10, 1]
    assert_within_limits(calls)
    assert replay(calls)["page"] == [f"p{n}" for n in range(11)]


def test_a_request_stays_under_500_kb() -> None:
    big = "語" * 2000  # 6 KB of UTF-8 per item
    blocks = [
        {
            "type": "paragraph",
            "paragraph": {"rich_text": [{"type": "text", "text": {"content": big}}] * 10},
        }
        for _ in range(100)
    ]
    calls = plan_appends("page", blocks)
    assert len(calls) > 1
    assert_within_limits(calls)
    assert sum(len(c.children) for c in calls) == 100
