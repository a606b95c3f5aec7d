"""The target-neutral document tree that every generated page is built as.

Rules build these trees and never know a target's syntax; renderers (Markdown here, Notion
blocks and Confluence storage later) turn them into a target's markup and own all escaping.
``Region`` marks the parts of a page opsync owns: everything outside a region belongs to
people and is never rewritten.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class _Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Tone(StrEnum):
    NEUTRAL = "neutral"
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    BLUE = "blue"


class Text(_Node):
    """Words. With ``page`` (a generated page's key) they name that page and become a link
    to it once its URL is known, when the page holding them is written
    (engine/pagelinks.py): a page created in the same run is linked in that run. Rendered
    as they are, they read as the page's name. ``page`` is left out of dumps."""

    kind: Literal["text"] = "text"
    text: str
    bold: bool = False
    italic: bool = False
    page: str | None = Field(default=None, exclude=True)


class Link(_Node):
    kind: Literal["link"] = "link"
    text: str
    url: str


class StatusChip(_Node):
    """A short status label with a colour, e.g. Notion's status chip or Confluence's macro."""

    kind: Literal["status"] = "status"
    label: str
    tone: Tone = Tone.NEUTRAL


Inline = Annotated[Text | Link | StatusChip, Field(discriminator="kind")]


class Heading(_Node):
    kind: Literal["heading"] = "heading"
    level: int = Field(ge=1, le=4)
    text: str


class Paragraph(_Node):
    kind: Literal["paragraph"] = "paragraph"
    inlines: tuple[Inline, ...]


class ListItem(_Node):
    inlines: tuple[Inline, ...]
    children: tuple[ListItem, ...] = ()


class BulletList(_Node):
    kind: Literal["bullets"] = "bullets"
    items: tuple[ListItem, ...]
    ordered: bool = False


class Table(_Node):
    kind: Literal["table"] = "table"
    header: tuple[str, ...]
    rows: tuple[tuple[tuple[Inline, ...], ...], ...]


class Series(_Node):
    """One line of a chart: a value per label, None where there is none."""

    name: str
    values: tuple[float | None, ...]


class Chart(_Node):
    """A line chart of values over time, kept as data: rules build it and never draw it.
    Where a target shows pictures, its connector draws it (``opsync.connectors.charts``)
    into a file named after ``name`` and the chart's fingerprint, so new data gets a new
    name and unchanged data is never drawn or sent again; elsewhere ``text`` stands in for
    it. ``unit`` follows each value on the axis ("%")."""

    kind: Literal["chart"] = "chart"
    name: str
    title: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    unit: str = ""
    text: str

    @property
    def fingerprint(self) -> str:
        """What the picture is drawn from, hashed: the same data draws the same picture."""
        blob = self.model_dump_json(exclude={"text"}).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:12]

    @property
    def filename(self) -> str:
        return f"{self.name}-{self.fingerprint}.png"


class Region(_Node):
    """A part of a page that opsync owns, identified by a key stable across runs."""

    kind: Literal["region"] = "region"
    key: str
    children: tuple[Block, ...]


Block = Annotated[
    Heading | Paragraph | BulletList | Table | Chart | Region, Field(discriminator="kind")
]


class Document(_Node):
    title: str
    children: tuple[Block, ...]


_N = TypeVar("_N", bound=_Node)
_new = object.__new__
_set = object.__setattr__


def _built(cls: type[_N], values: dict[str, Any]) -> _N:
    """A node of ``cls`` holding ``values`` (every field, stored as validation stores them),
    made without validating them: the helpers below build nodes from nodes and strings the
    type checker has already vouched for, and validating a container walks its children
    again (every cell of every row of a table). Constructing a model directly still
    validates, as does every node read back from a page (:mod:`markdown_read`).

    Every node of a class shares one set of the names it was given (all its fields): a set
    of its own was 216 of a text node's 480 bytes, and a large organisation's pages hold
    millions of nodes. Nothing changes it in place: the nodes are frozen, and
    ``model_copy`` copies it before adding to it."""
    node = _new(cls)
    _set(node, "__dict__", values)
    _set(node, "__pydantic_fields_set__", _fields_set(cls))
    _set(node, "__pydantic_extra__", None)
    _set(node, "__pydantic_private__", None)
    return node


_FIELDS_SETS: dict[type[_Node], set[str]] = {}


def _fields_set(cls: type[_Node]) -> set[str]:
    found = _FIELDS_SETS.get(cls)
    if found is None:
        found = _FIELDS_SETS[cls] = set(cls.model_fields)
    return found


def _text(value: str, bold: bool = False, italic: bool = False) -> Text:
    return _built(
        Text, {"kind": "text", "text": value, "bold": bold, "italic": italic, "page": None}
    )


def text(value: str, *, bold: bool = False, italic: bool = False) -> Text:
    if not isinstance(value, str):  # the one check validation made that the types do not
        raise TypeError(f"text() takes a str, not {type(value).__name__}")
    return _text(value, bold, italic)


def _inlines(parts: tuple[str | Text | Link | StatusChip, ...]) -> tuple[Inline, ...]:
    return tuple([_text(p) if isinstance(p, str) else p for p in parts])


def para(*parts: str | Text | Link | StatusChip) -> Paragraph:
    return _built(Paragraph, {"kind": "paragraph", "inlines": _inlines(parts)})


def item(*parts: str | Text | Link | StatusChip, children: tuple[ListItem, ...] = ()) -> ListItem:
    return _built(ListItem, {"inlines": _inlines(parts), "children": tuple(children)})


def bullets(*items: ListItem | str) -> BulletList:
    entries = tuple([item(i) if isinstance(i, str) else i for i in items])
    return _built(BulletList, {"kind": "bullets", "items": entries, "ordered": False})


def heading(level: int, value: str) -> Heading:
    return Heading(level=level, text=value)


def cell(*parts: str | Text | Link | StatusChip) -> tuple[Inline, ...]:
    return _inlines(parts)


def table(header: tuple[str, ...], rows: list[tuple[tuple[Inline, ...], ...]]) -> Table:
    return _built(Table, {"kind": "table", "header": tuple(header), "rows": tuple(rows)})


def region(key: str, *children: Block) -> Region:
    return _built(Region, {"kind": "region", "key": key, "children": children})


def find_region(blocks: Sequence[Block], key: str) -> Region | None:
    """The owned region ``key`` anywhere in ``blocks``, or None."""
    for block in blocks:
        if isinstance(block, Region):
            if block.key == key:
                return block
            inner = find_region(block.children, key)
            if inner is not None:
                return inner
    return None


def region_keys(blocks: Sequence[Block]) -> list[str]:
    """Keys of the owned regions at the top level of a page, in page order."""
    return [block.key for block in blocks if isinstance(block, Region)]


Region.model_rebuild()
ListItem.model_rebuild()
Document.model_rebuild()
