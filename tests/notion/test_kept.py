"""Region block ids kept after an update: the ids it started from, its deletes and appends
replayed on them, kept only when every id is known and the result is what was written."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from opsync.connectors.notion.blocks import (
    DeleteBlock,
    InsertBlocks,
    diff_children,
    normalise,
    render_blocks,
    render_region,
)
from opsync.connectors.notion.chunks import block_type, children_of
from opsync.connectors.notion.kept import region_trees, replay
from opsync.documents.model import Region, bullets, cell, item, para, region, table


def read_back(payload: dict[str, Any], ids: Iterator[str]) -> dict[str, Any]:
    """``payload`` as a listing gives it back: ids, children under ``children``."""
    kind = block_type(payload)
    children = [read_back(c, ids) for c in children_of(payload)]
    content = {k: v for k, v in payload[kind].items() if k != "children"}
    block = {"id": next(ids), "type": kind, kind: content, "has_children": bool(children)}
    return {**block, "children": children} if children else block


def header(*rows: tuple[str, str]) -> Region:
    return region("bundle.header", table(("Field", "Value"), [(cell(a), cell(b)) for a, b in rows]))


def written(
    before: Region, after: Region
) -> tuple[dict[str, Any], list[Any], dict[int, list[str]]]:
    """The kept tree of ``before`` as listed, the writes that make it ``after``, and the ids
    each append answered with (fresh ones, as Notion's)."""
    ids = (f"id-{n}" for n in itertools.count())
    tree = region_trees([read_back(render_region(before), ids)])
    assert tree is not None
    callout = tree[before.key]
    ops = diff_children(callout["id"], callout.get("children", []), render_blocks(after.children))
    answered = (f"new-{n}" for n in itertools.count())
    created = {
        i: [next(answered) for _ in op.blocks]
        for i, op in enumerate(ops)
        if isinstance(op, InsertBlocks)
    }
    return callout, ops, created


def test_changed_table_rows_keep_the_unchanged_rows_ids_and_take_the_answered_ones() -> None:
    before = header(("Launch", "6 Jan"), ("Owner", "maya"), ("Handoff", "9 Dec"))
    after = header(("Launch", "13 Jan"), ("Owner", "maya"), ("Handoff", "16 Dec"))
    callout, ops, created = written(before, after)
    assert any(isinstance(op, DeleteBlock) for op in ops) and created
    kept = replay(callout, ops, created, render_blocks(after.children))
    assert kept is not None
    rows = kept["children"][0]["children"]
    old_rows = callout["children"][0]["children"]
    assert [r["id"] for r in rows][:1] == [old_rows[0]["id"]]  # the header row stays
    assert rows[2]["id"] == old_rows[2]["id"]  # "Owner" was not rewritten
    assert {rows[1]["id"], rows[3]["id"]} <= {i for ids in created.values() for i in ids}
    assert normalise(kept["children"]) == normalise(render_blocks(after.children))


def test_blocks_appended_with_children_keep_nothing() -> None:
    before = region("r", para("one"))
    after = region("r", para("one"), bullets(item("a", children=(item("nested"),))))
    callout, ops, created = written(before, after)
    assert replay(callout, ops, created, render_blocks(after.children)) is None


def test_a_delete_of_a_block_not_in_the_tree_keeps_nothing() -> None:
    before = region("r", para("one"), para("two"))
    callout, _, _ = written(before, before)
    desired = render_blocks(region("r", para("one")).children)
    assert replay(callout, [DeleteBlock("elsewhere")], {}, desired) is None


def test_an_answer_missing_ids_or_a_result_that_is_not_what_was_written_keeps_nothing() -> None:
    before = region("r", para("one"))
    after = region("r", para("one"), para("two"), para("three"))
    callout, ops, created = written(before, after)
    short = {i: ids[:-1] for i, ids in created.items()}
    assert replay(callout, ops, short, render_blocks(after.children)) is None
    other = render_blocks(region("r", para("one"), para("three"), para("two")).children)
    assert replay(callout, ops, created, other) is None
    assert replay(callout, ops, created, render_blocks(after.children)) is not None


def test_a_region_a_person_copied_is_never_kept() -> None:
    ids = (f"id-{n}" for n in itertools.count())
    twice = [read_back(render_region(region("r", para("x"))), ids) for _ in range(2)]
    assert region_trees(twice) is None
