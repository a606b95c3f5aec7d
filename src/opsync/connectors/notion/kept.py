"""The block ids of a generated page's regions, kept so that its next update lists no block.

Rewriting a region takes the ids of the blocks it holds: the callout to append under, the
blocks to delete, the block to insert after. Notion gives them in two answers only: a
listing (``GET /v1/blocks/{id}/children``) and an append (``PATCH /v1/blocks/{id}/children``
answers with the first-level blocks it created). A page made by one ``POST /v1/pages``
gets none back, so its first update lists its blocks, as before.

What the writer learns is kept in the page's memo in the mirror (mirror.py), as the essence of
each region callout with every block's id (``normalise(..., ids=True)``): from a listing, or,
after an update, the ids it started from with each delete and append replayed on them
(:func:`replay`). A tree is kept only when every block in it has a known id and it holds
exactly what the update meant to write; anything else (a block appended with children, whose
ids the answer does not give; a region a person copied) keeps nothing, and the next update
lists the page.

The kept ids are trusted on exactly the terms of the memo's region hashes: while the page's
row keeps the stamp and editor of opsync's own last write (a person's edit of any block
changes the page's ``last_edited_time`` or its ``last_edited_by``), no pending mark is on it,
and no other writer took the write lease since. A block still found gone when written (Notion
answers 404, or 400 for a block in the trash or an ``after`` target no longer there) makes the
writer list the page and start the update again from what it finds (writer.py).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from opsync.connectors.notion.blocks import (
    BlockOp,
    DeleteBlock,
    find_regions,
    normalise,
    repeated_regions,
)
from opsync.connectors.notion.chunks import Payload

Essence = dict[str, Any]


def region_trees(blocks: Sequence[Mapping[str, Any]]) -> dict[str, Essence] | None:
    """Each region callout among read-back ``blocks`` (children attached) as its essence
    with ids, by key; None when a region is there twice (a person's copy: never kept)."""
    if repeated_regions(blocks):
        return None
    return {key: normalise([callout], ids=True)[0] for key, callout in find_regions(blocks).items()}


def _strip_ids(essence: Mapping[str, Any]) -> Essence:
    out = {k: v for k, v in essence.items() if k not in ("id", "children")}
    if essence.get("children"):
        out["children"] = [_strip_ids(c) for c in essence["children"]]
    return out


def _complete(essence: Mapping[str, Any]) -> bool:
    return bool(essence.get("id")) and all(_complete(c) for c in essence.get("children", []))


def replay(
    callout: Mapping[str, Any],
    ops: Sequence[BlockOp],
    created: Mapping[int, list[str]],
    desired: Sequence[Payload],
) -> Essence | None:
    """Region ``callout`` (essence with ids) once ``ops`` ran, ``created[i]`` holding the ids
    the appends of ``ops[i]`` answered for its blocks; None unless every block's id is
    known and the children are exactly ``desired`` (the payloads the region was written
    with), so a slip here costs a listing, never a wrong id."""
    root = copy.deepcopy(dict(callout))
    containers: dict[str, Essence] = {}
    parents: dict[str, Essence] = {}

    def index(node: Essence) -> None:
        containers[str(node["id"])] = node
        for child in node.get("children", []):
            parents[str(child["id"])] = node
            index(child)

    index(root)
    for i, op in enumerate(ops):
        if isinstance(op, DeleteBlock):
            parent = parents.pop(op.block_id, None)
            if parent is None:
                return None
            parent["children"] = [c for c in parent["children"] if c["id"] != op.block_id]
            continue
        container = containers.get(op.parent_id)
        ids = created.get(i)
        if container is None or ids is None or len(ids) != len(op.blocks):
            return None
        new = normalise(op.blocks)
        if any(block.get("children") for block in new):
            return None  # their children's ids are in no answer
        children = container.setdefault("children", [])
        at = len(children)
        if op.after is not None:
            at = next((n + 1 for n, c in enumerate(children) if c["id"] == op.after), -1)
            if at < 0:
                return None
        for block, block_id in zip(new, ids, strict=True):
            block["id"] = block_id
            parents[block_id] = container
            containers[block_id] = block
        children[at:at] = new
    _prune(root)
    if not _complete(root):
        return None
    if [_strip_ids(c) for c in root.get("children", [])] != normalise(desired):
        return None
    return root


def _prune(node: Essence) -> None:
    """No empty ``children`` lists: an essence has the key only when there are some."""
    for child in node.get("children", []):
        _prune(child)
    if "children" in node and not node["children"]:
        del node["children"]


__all__ = ["Essence", "region_trees", "replay"]
