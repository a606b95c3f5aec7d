"""Fit block payloads into Notion's request limits, without any I/O.

Notion answers an over-limit request with a 400 ``validation_error`` and writes nothing, so
every payload is cut to size before it is sent (NOTES.md 4, 11):

- a rich-text item holds at most 2000 characters, counted as JavaScript counts them (UTF-16
  code units: an emoji counts two), and any array holds at most 100 elements;
- one append holds at most 100 children, 1000 blocks in all and 500 KB of JSON;
- one append nests at most two levels below its ``children`` array. Real traffic shows where
  the limit bites: ``body.children[0].callout.children[1].callout.children[0].callout.children
  should be not present`` (ultimate-notion/ultimate-notion#305), so a request carries three
  levels of blocks.

Append answers with the ids of the first-level blocks it created only, so anything deeper than
a request may carry is appended in a follow-up call to the id of its first-level ancestor. The
plan is computed up front; a follow-up names its parent as :class:`NewBlock`, resolved once the
earlier call has answered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT = 2000
MAX_ARRAY = 100
MAX_NESTING = 2
MAX_REQUEST_BLOCKS = 1000
MAX_REQUEST_BYTES = 500_000
# Room left in each request for the envelope (``{"children": …, "after": …}``).
_REQUEST_BUDGET = MAX_REQUEST_BYTES - 10_000
# One block never takes more than this, so a few always fit in a request: 100 items of 2000
# characters of CJK text would be 600 KB on their own.
MAX_BLOCK_BYTES = 200_000

Payload = dict[str, Any]  # a block as a request body carries it


def utf16_len(text: str) -> int:
    """The length Notion checks: UTF-16 code units, as ``String.length`` in JavaScript."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def payload_size(payload: Any) -> int:
    """Bytes of ``payload`` on the wire, encoded as httpx encodes a ``json=`` body."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return len(text.encode("utf-8"))


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """``text`` in pieces of at most ``limit`` UTF-16 units, never inside a surrogate pair."""
    pieces: list[str] = []
    start = used = 0
    for index, ch in enumerate(text):
        width = 2 if ord(ch) > 0xFFFF else 1
        if used + width > limit:
            pieces.append(text[start:index])
            start, used = index, 0
        used += width
    if start < len(text) or not pieces:
        pieces.append(text[start:])
    return pieces


def split_rich_text(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rich text with every over-long text item cut into items of the same style and link."""
    out: list[dict[str, Any]] = []
    for item in items:
        text = item.get("text")
        if not isinstance(text, Mapping) or utf16_len(text.get("content", "")) <= MAX_TEXT:
            out.append(dict(item))
            continue
        for piece in split_text(text["content"]):
            out.append({**item, "text": {**text, "content": piece}})
    return out


def group_rich_text(items: Sequence[Mapping[str, Any]]) -> list[list[dict[str, Any]]]:
    """Split rich text, then group it so each group fits one block (100 items, byte cap).

    A text block whose rich text needs several groups becomes several blocks of its type.
    """
    groups: list[list[dict[str, Any]]] = [[]]
    used = 0
    for item in split_rich_text(items):
        size = payload_size(item) + 1
        if groups[-1] and (len(groups[-1]) == MAX_ARRAY or used + size > MAX_BLOCK_BYTES):
            groups.append([])
            used = 0
        groups[-1].append(item)
        used += size
    return groups


def block_type(block: Mapping[str, Any]) -> str:
    """A block's type, also for request bodies that leave out ``"type"``."""
    declared = block.get("type")
    if isinstance(declared, str):
        return declared
    return next(k for k in block if k not in ("object", "id", "children"))


def children_of(block: Mapping[str, Any]) -> list[Payload]:
    """Child blocks of a payload (inside the type object) or of a read-back block that the
    reader attached them to (``block["children"]``)."""
    content = block.get(block_type(block))
    inner = content.get("children") if isinstance(content, Mapping) else None
    found = inner if inner is not None else block.get("children")
    return list(found or [])


def with_children(block: Mapping[str, Any], children: Sequence[Payload]) -> Payload:
    """A copy of payload ``block`` carrying exactly ``children`` (none: no key at all)."""
    kind = block_type(block)
    content = {k: v for k, v in block[kind].items() if k != "children"}
    if children:
        content["children"] = list(children)
    return {**{k: v for k, v in block.items() if k != "children"}, kind: content}


def count_blocks(block: Mapping[str, Any]) -> int:
    """The block and every block nested in its payload: what the 1000-block cap counts."""
    return 1 + sum(count_blocks(child) for child in children_of(block))


def _depth(block: Mapping[str, Any]) -> int:
    return 1 + max((_depth(child) for child in children_of(block)), default=0)


@dataclass(frozen=True)
class NewBlock:
    """The id of a block an earlier call of the plan creates: result ``index`` of ``call``."""

    call: int
    index: int


Target = str | NewBlock


@dataclass(frozen=True)
class AppendCall:
    """One ``PATCH /v1/blocks/{parent}/children``; ``after`` None appends at the end."""

    parent: Target
    children: list[Payload]
    after: Target | None = None


def resolve(target: Target, created: Sequence[Sequence[str]]) -> str:
    """The block id ``target`` stands for, given the result ids of the calls made so far."""
    if isinstance(target, NewBlock):
        return created[target.call][target.index]
    return target


@dataclass
class _Batch:
    blocks: list[Payload] = field(default_factory=list)
    deferred: list[list[Payload]] = field(default_factory=list)
    count: int = 0
    size: int = 0

    def fits(self, count: int, size: int) -> bool:
        return (
            len(self.blocks) < MAX_ARRAY
            and self.count + count <= MAX_REQUEST_BLOCKS
            and self.size + size <= _REQUEST_BUDGET
        )


def _trim(block: Payload) -> tuple[Payload, list[Payload]]:
    """``block`` with the longest run of leading children one request may carry; the rest is
    returned, to be appended to the block's id once it exists."""
    children = children_of(block)
    bare = with_children(block, [])
    kept: list[Payload] = []
    count, size = 1, payload_size(bare)
    for child in children:
        child_count, child_size = count_blocks(child), payload_size(child) + 1
        if (
            len(kept) == MAX_ARRAY
            or _depth(child) > MAX_NESTING
            or len(children_of(child)) > MAX_ARRAY
            or count + child_count > MAX_REQUEST_BLOCKS
            or size + child_size > _REQUEST_BUDGET
        ):
            break
        kept.append(child)
        count, size = count + child_count, size + child_size
    return with_children(block, kept), children[len(kept) :]


def plan_appends(
    parent: str, blocks: Sequence[Payload], after: str | None = None
) -> list[AppendCall]:
    """The append calls that create ``blocks`` (payloads with nested ``children``) under
    ``parent``, after block ``after`` or at the end, in the order they must be made."""
    calls: list[AppendCall] = []
    _plan(calls, parent, list(blocks), after)
    return calls


def _plan(
    calls: list[AppendCall], parent: Target, blocks: list[Payload], after: Target | None
) -> None:
    batches: list[_Batch] = [_Batch()]
    for block in blocks:
        trimmed, rest = _trim(block)
        count, size = count_blocks(trimmed), payload_size(trimmed) + 1
        if not batches[-1].fits(count, size):
            batches.append(_Batch())
        batch = batches[-1]
        batch.blocks.append(trimmed)
        batch.deferred.append(rest)
        batch.count, batch.size = batch.count + count, batch.size + size
    followups: list[tuple[NewBlock, list[Payload]]] = []
    for batch in batches:
        if not batch.blocks:
            continue
        index = len(calls)
        calls.append(AppendCall(parent=parent, children=batch.blocks, after=after))
        if after is not None:  # the next batch goes after this one's last block
            after = NewBlock(index, len(batch.blocks) - 1)
        followups.extend(
            (NewBlock(index, position), rest)
            for position, rest in enumerate(batch.deferred)
            if rest
        )
    for target, rest in followups:
        _plan(calls, target, rest, None)
