"""The document tree as Notion blocks, and the essence of blocks read back, without I/O.

A ``Region`` becomes a callout whose first rich-text run is the marker ``opsync · <key>``:
opsync owns the callout's children and nothing else on the page, so people may write around
it, and even retitle it after the marker.

Whether a region changed, and whether a person edited it, is judged on the *essence* of its
blocks (kopf's diffbase): what remains of a block once the noise Notion adds is gone (ids,
timestamps, authors, ``plain_text``/``href`` copies, default annotations and colours, empty
fields new API versions add, such as a paragraph's ``"icon": null``). What opsync sends and
what Notion returns for it have the same essence, so :func:`region_hash` of a payload equals
the hash of its read-back. Adjacent runs of one style are merged, so how text was cut into
2000-character items does not matter either.

Blocks read back carry their children under ``"children"`` (the reader fetches them); request
payloads carry them inside the type object, as Notion wants them.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from opsync.connectors.notion.chunks import (
    MAX_TEXT,
    Payload,
    block_type,
    children_of,
    group_rich_text,
    utf16_len,
    with_children,
)
from opsync.documents import model as doc
from opsync.documents.markdown import checksum

MARKER = "opsync · "
REGION_ICON = "🤖"
REGION_COLOR = "gray_background"
TONE_COLOR = {t: f"{'gray' if t is doc.Tone.NEUTRAL else t.value}_background" for t in doc.Tone}
_STYLES = ("bold", "italic", "strikethrough", "underline", "code")
_DEFAULT_ANNOTATIONS: dict[str, Any] = {**dict.fromkeys(_STYLES, False), "color": "default"}
_RUN_TYPES = ("text", "mention", "equation")
_TEXT_KEYS = ("rich_text", "color")
# What each block type opsync writes is made of; any other key is Notion's addition.
_ESSENCE_KEYS: dict[str, tuple[str, ...]] = {
    "paragraph": _TEXT_KEYS,
    "heading_1": (*_TEXT_KEYS, "is_toggleable"),
    "heading_2": (*_TEXT_KEYS, "is_toggleable"),
    "heading_3": (*_TEXT_KEYS, "is_toggleable"),
    "bulleted_list_item": _TEXT_KEYS,
    "numbered_list_item": _TEXT_KEYS,
    "callout": (*_TEXT_KEYS, "icon"),
    "table": ("table_width", "has_column_header", "has_row_header"),
    "table_row": ("cells",),
    # the picture's URL is signed afresh on every read: its caption says which one it is
    "image": ("caption",),
}
_FLAGS = ("is_toggleable", "has_column_header", "has_row_header")
_DEFAULTS: dict[str, Any] = {"color": "default", **dict.fromkeys(_FLAGS, False)}
# Block types whose shape cannot be changed by an update: a new shape is a new block.


def _run(content: str, *, link: str | None = None, **style: Any) -> dict[str, Any]:
    text: dict[str, Any] = {"content": content}
    if link is not None:
        text["link"] = {"url": link}
    run: dict[str, Any] = {"type": "text", "text": text}
    annotations = {k: v for k, v in style.items() if v != _DEFAULT_ANNOTATIONS[k]}
    if annotations:
        run["annotations"] = annotations
    return run


def linkable(url: str) -> bool:
    """Whether Notion takes ``url`` as a link. It refuses one it cannot open with 400 "Invalid
    URL for link.": a relative path (a local page's "weekly.md", "/pages/x"), another scheme,
    a URL without a host, or one over 2000 UTF-16 units. Such a link stays plain text."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if utf16_len(url) > MAX_TEXT or parts.scheme not in ("http", "https", "mailto"):
        return False
    return bool(parts.path) if parts.scheme == "mailto" else bool(parts.hostname)


# The languages a code block may name (https://developers.notion.com/reference/block#code);
# Notion refuses any other with 400 `validation_error`.
CODE_LANGUAGES = frozenset(
    {
        "abap", "abc", "agda", "arduino", "ascii art", "assembly", "bash", "basic", "bnf", "c",
        "c#", "c++", "clojure", "coffeescript", "coq", "css", "dart", "dhall", "diff",
        "docker", "ebnf", "elixir", "elm", "erlang", "f#", "flow", "fortran", "gherkin",
        "glsl", "go", "graphql", "groovy", "haskell", "hcl", "html", "idris", "java",
        "javascript", "json", "julia", "kotlin", "latex", "less", "lisp", "livescript",
        "llvm ir", "lua", "makefile", "markdown", "markup", "matlab", "mathematica", "mermaid",
        "nix", "notion formula", "objective-c", "ocaml", "pascal", "perl", "php", "plain text",
        "powershell", "prolog", "protobuf", "purescript", "python", "r", "racket", "reason",
        "ruby", "rust", "sass", "scala", "scheme", "scss", "shell", "smalltalk", "solidity",
        "sql", "swift", "toml", "typescript", "vb.net", "verilog", "vhdl", "visual basic",
        "webassembly", "xml", "yaml", "java/c/c++/c#",
    }
)  # fmt: skip
_LANGUAGE_ALIASES = {
    "": "plain text", "text": "plain text", "txt": "plain text", "plaintext": "plain text",
    "sh": "shell", "zsh": "shell", "console": "shell", "py": "python", "js": "javascript",
    "ts": "typescript", "yml": "yaml", "md": "markdown", "cpp": "c++", "cs": "c#",
    "csharp": "c#", "rb": "ruby", "rs": "rust", "dockerfile": "docker", "proto": "protobuf",
}  # fmt: skip


def code_language(name: str | None) -> str:
    """The language a code block is sent with: ``name`` when Notion knows it, a common alias
    spelled its way ("py" → "python"), and "plain text" for anything else."""
    folded = (name or "").strip().lower()
    if folded in CODE_LANGUAGES:
        return folded
    return _LANGUAGE_ALIASES.get(folded, "plain text")


def render_inline(node: doc.Inline) -> dict[str, Any]:
    if isinstance(node, doc.Text):
        return _run(node.text, bold=node.bold, italic=node.italic)
    if isinstance(node, doc.Link):
        return _run(node.text, link=node.url if linkable(node.url) else None)
    return _run(node.label, bold=True, color=TONE_COLOR[node.tone])


def render_inlines(nodes: Sequence[doc.Inline]) -> list[dict[str, Any]]:
    """Rich text for ``nodes``: empty runs dropped (Notion drops them too)."""
    return [
        render_inline(n) for n in nodes if (n.label if isinstance(n, doc.StatusChip) else n.text)
    ]


def _text_blocks(
    kind: str, rich_text: list[dict[str, Any]], children: list[Payload]
) -> list[Payload]:
    """One block, or several when its text outgrows one block; children go on the last."""
    groups = group_rich_text(rich_text)
    out: list[Payload] = [{"type": kind, kind: {"rich_text": group}} for group in groups]
    out[-1] = with_children(out[-1], children)
    return out


def _items(items: Sequence[doc.ListItem], kind: str) -> list[Payload]:
    out: list[Payload] = []
    for entry in items:
        out.extend(_text_blocks(kind, render_inlines(entry.inlines), _items(entry.children, kind)))
    return out


def _cells(cells: Sequence[Sequence[dict[str, Any]]], width: int) -> Payload:
    fitted = []
    for cell in [*cells, *[[]] * (width - len(cells))]:
        groups = group_rich_text(cell)
        if len(groups) > 1:
            raise ValueError("a table cell holds more text than one Notion cell can")
        fitted.append(groups[0])
    return {"type": "table_row", "table_row": {"cells": fitted}}


def _table(node: doc.Table) -> list[Payload]:
    """A table block, with every row as wide as the table: Notion refuses a table without a
    row, a row with fewer cells than ``table_width``, and a change of width later
    (https://developers.notion.com/reference/block#table). A table with nothing to show
    (no header, no row) is left out rather than sent empty."""
    if not node.header and not node.rows:
        return []
    width = max([len(node.header), *(len(r) for r in node.rows), 1])
    rows = [_cells([[_run(h)] if h else [] for h in node.header], width)]
    rows += [_cells([render_inlines(c) for c in row], width) for row in node.rows]
    table = {"table_width": width, "has_column_header": True, "children": rows}
    return [{"type": "table", "table": table}]


def region_header(key: str) -> dict[str, Any]:
    """The callout's own content for region ``key`` (no children): also an update body."""
    return {
        "rich_text": [_run(f"{MARKER}{key}", color="gray")],
        "icon": {"type": "emoji", "emoji": REGION_ICON},
        "color": REGION_COLOR,
    }


def render_block(node: doc.Block) -> list[Payload]:
    """The blocks for one node of the tree (a long paragraph may take several)."""
    if isinstance(node, doc.Heading):
        kind = f"heading_{min(node.level, 3)}"
        return _text_blocks(kind, [_run(node.text)] if node.text else [], [])
    if isinstance(node, doc.Paragraph):
        return _text_blocks("paragraph", render_inlines(node.inlines), [])
    if isinstance(node, doc.BulletList):
        return _items(node.items, "numbered_list_item" if node.ordered else "bulleted_list_item")
    if isinstance(node, doc.Table):
        return _table(node)
    if isinstance(node, doc.Chart):
        return [chart_block(node)]
    return [render_region(node)]


#: The id an image block carries until the writer uploads its chart (``uploads.py``).
UPLOAD_PLACEHOLDER = "opsync-chart:"


def chart_block(node: doc.Chart) -> Payload:
    """An image block for the chart, to be uploaded under ``node.filename``. Notion gives an
    uploaded picture back as a fresh signed URL on every read, so what tells that the
    picture is current is its caption: it ends with the chart's fingerprint."""
    image = {
        "type": "file_upload",
        "file_upload": {"id": f"{UPLOAD_PLACEHOLDER}{node.filename}"},
        "caption": [_run(f"{node.title} · {node.fingerprint}")],
    }
    return {"type": "image", "image": image}


def render_blocks(nodes: Sequence[doc.Block]) -> list[Payload]:
    return [block for node in nodes for block in render_block(node)]


def render_region(node: doc.Region) -> Payload:
    callout = {"type": "callout", "callout": region_header(node.key)}
    return with_children(callout, render_blocks(node.children))


def region_marker(block: Mapping[str, Any]) -> str | None:
    """The key of the region ``block`` holds, if it is an opsync region callout."""
    if block_type(block) != "callout":
        return None
    runs = _rich_text((block.get("callout") or {}).get("rich_text") or [])
    first = runs[0].get("text", {}).get("content", "") if runs else ""
    words = first[len(MARKER) :].split() if first.startswith(MARKER) else []
    return words[0] if words else None  # a person may type on after the key


def find_regions(blocks: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Every region callout among ``blocks`` and their children, by key; the first wins."""
    found: dict[str, Mapping[str, Any]] = {}
    for block in blocks:
        key = region_marker(block)
        if key is not None:
            found.setdefault(key, block)
        for inner_key, inner in find_regions(children_of(block)).items():
            found.setdefault(inner_key, inner)
    return found


def repeated_regions(blocks: Sequence[Mapping[str, Any]]) -> set[str]:
    """Keys of the region callouts that appear more than once (a person copied one)."""
    seen: set[str] = set()
    twice: set[str] = set()

    def walk(level: Sequence[Mapping[str, Any]]) -> None:
        for block in level:
            key = region_marker(block)
            if key is not None:
                (twice if key in seen else seen).add(key)
            walk(children_of(block))

    walk(blocks)
    return twice


def _rich_text(runs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Essence of rich text: style without defaults, text runs of one style and link merged,
    empty runs dropped, line ends as ``\\n``."""
    out: list[dict[str, Any]] = []
    last_text: tuple[Any, ...] | None = None
    for run in runs:
        kind = str(run.get("type") or next((k for k in _RUN_TYPES if k in run), "text"))
        style = {
            k: v
            for k, v in sorted((run.get("annotations") or {}).items())
            if k in _DEFAULT_ANNOTATIONS and v != _DEFAULT_ANNOTATIONS[k]
        }
        item: dict[str, Any]
        if kind == "text":
            text = run.get("text") or {}
            content = str(text.get("content", "")).replace("\r\n", "\n").replace("\r", "\n")
            link = (text.get("link") or {}).get("url")
            if not content:
                continue
            if last_text == (link, style):
                out[-1]["text"]["content"] += content
                continue
            last_text = (link, style)
            item = {"type": "text", "text": {"content": content}}
            if link:
                item["text"]["link"] = {"url": link}
        else:
            last_text = None
            item = {"type": kind, kind: _strip(run.get(kind))}
        if style:
            item["annotations"] = style
        out.append(item)
    return out


def _strip(value: Any) -> Any:
    """``value`` without null fields, recursively: an absent field and a null one are alike."""
    if isinstance(value, Mapping):
        return {k: _strip(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _content(kind: str, content: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _ESSENCE_KEYS.get(kind) or [k for k in content if k != "children"]:
        value = content.get(key)
        if value is None or _DEFAULTS.get(key, object()) == value:
            continue
        if key in ("rich_text", "caption"):
            out[key] = _rich_text(value)
        elif key == "cells":
            out[key] = [_rich_text(cell) for cell in value]
        elif key == "icon" and isinstance(value, Mapping) and "emoji" in value:
            out[key] = {"type": "emoji", "emoji": value["emoji"]}
        else:
            out[key] = _strip(value)
    return out


def normalise(blocks: Sequence[Mapping[str, Any]], *, ids: bool = False) -> list[dict[str, Any]]:
    """The essence of ``blocks`` (payloads or read-back, with children); ``ids`` keeps each
    read-back block's ``id``, for :func:`diff_children`.

    Raises ``ValueError`` for a read-back block whose children were not fetched: its essence
    would silently look empty.
    """
    out: list[dict[str, Any]] = []
    for block in blocks:
        kind = block_type(block)
        children = children_of(block)
        if block.get("has_children") and not children:
            raise ValueError(f"block {block.get('id')} has children that were not read")
        essence: dict[str, Any] = {"type": kind, kind: _content(kind, block.get(kind) or {})}
        if children:
            essence["children"] = normalise(children, ids=ids)
        if ids:
            essence["id"] = block["id"]
        out.append(essence)
    return out


def _canonical(essence: Any) -> str:
    return json.dumps(essence, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def region_hash(children: Sequence[Mapping[str, Any]]) -> str:
    """Fingerprint of a region's children: equal for a payload and for its read-back."""
    return checksum(_canonical(normalise(children)))


@dataclass(frozen=True)
class DeleteBlock:
    """``DELETE /v1/blocks/{block_id}``: the block goes to Notion's trash, where it can be
    restored. ``expected`` is its essence as read (with ``id`` and children): the writer
    compares what the trash received with it, and restores a block a person edited since."""

    block_id: str
    expected: dict[str, Any] | None = None


@dataclass(frozen=True)
class InsertBlocks:
    """Append ``blocks`` under ``parent_id`` right after block ``after`` (None: at the end,
    used only when the container held no block)."""

    parent_id: str
    after: str | None
    blocks: list[Payload]


BlockOp = DeleteBlock | InsertBlocks


def _without_ids(essence: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in essence.items() if k not in ("id", "children")}
    if essence.get("children"):
        out["children"] = [_without_ids(c) for c in essence["children"]]
    return out


def _own(essence: Mapping[str, Any]) -> Any:
    return essence[essence["type"]]


def holds(block: Mapping[str, Any], essence: Mapping[str, Any]) -> bool:
    """Whether read-back ``block`` (a delete's answer, which carries no children) has the
    type and own content of ``essence``, children aside."""
    held = normalise([{**block, "has_children": False, "children": []}])[0]
    return bool(held["type"] == essence["type"] and _own(held) == _own(essence))


def _compatible(have: Mapping[str, Any], want: Mapping[str, Any]) -> bool:
    """Whether ``have`` can stay as ``want``, only its children rewritten."""
    return bool(have["type"] == want["type"] and _own(have) == _own(want))


def _pairs(have: list[dict[str, Any]], want: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Matched (have, want) indexes, in order: equal blocks first (longest common runs), then
    blocks of the same content whose children differ, inside each changed stretch."""
    keys_have = [_canonical(_without_ids(e)) for e in have]
    keys_want = [_canonical(e) for e in want]
    matcher = difflib.SequenceMatcher(None, keys_have, keys_want, autojunk=False)
    pairs: list[tuple[int, int]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs.extend(zip(range(i1, i2), range(j1, j2), strict=True))
        elif tag == "replace":
            i = i1
            for j in range(j1, j2):
                k = next((k for k in range(i, i2) if _compatible(have[k], want[j])), None)
                if k is not None:
                    pairs.append((k, j))
                    i = k + 1
    return pairs


def diff_children(
    parent_id: str, current: Sequence[Mapping[str, Any]], desired: Sequence[Mapping[str, Any]]
) -> list[BlockOp]:
    """The writes that turn container ``parent_id``'s children from ``current``
    (``normalise(..., ids=True)`` of the read-back) into ``desired`` (payloads).

    A block is never edited in place: Notion has no compare-and-set, so a PATCH would
    overwrite what a person typed into it after the read. A changed block is replaced
    instead: the new one inserted in its place, then the old one deleted, which puts it in the
    trash, where the writer can still see what it held and restore it (writer ``_apply``).
    Unchanged blocks are left alone; a block whose own content is unchanged but whose
    children differ keeps its place and has its children diffed the same way. Inserts come
    before deletes, so every insert has a live block to follow: API 2025-09-03 can only
    insert *after* a block, so blocks new in front of the first kept one follow the old block
    just before it, and when that first kept block is the container's first, it is replaced
    too.
    """
    have = [dict(e) for e in current]
    want_payloads = [dict(p) for p in desired]
    want = normalise(want_payloads)
    pairs = _pairs(have, want)
    if pairs and pairs[0] != (0, 0) and pairs[0][0] == 0:
        if _compatible(have[0], want[0]):
            pairs = [(0, 0), *((i + 1, j + 1) for i, j in _pairs(have[1:], want[1:]))]
        else:
            pairs = pairs[1:]
    matched = {j: i for i, j in pairs}
    kept = {i for i, _ in pairs}
    ops: list[BlockOp] = []
    first = pairs[0][0] if pairs else len(have)
    anchor: str | None = have[first - 1]["id"] if first else None
    pending: list[Payload] = []
    for j, payload in enumerate(want_payloads):
        i = matched.get(j)
        if i is None:
            pending.append(payload)
            continue
        if pending:
            ops.append(InsertBlocks(parent_id, anchor, pending))
            pending = []
        if _without_ids(have[i]).get("children", []) != want[j].get("children", []):
            ops.extend(
                diff_children(have[i]["id"], have[i].get("children", []), children_of(payload))
            )
        anchor = have[i]["id"]
    if pending:
        ops.append(InsertBlocks(parent_id, anchor, pending))
    ops.extend(DeleteBlock(e["id"], e) for i, e in enumerate(have) if i not in kept)
    return ops
