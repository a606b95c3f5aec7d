"""Markdown back into the document tree: the text people wrote on a page, as a wiki
connector reads it (``PageState.text``), made into blocks any target can write.

``opsync migrate`` carries the person-written sections of a bundle page from one wiki to
another with it. It reads the Markdown the renderer writes and the connectors read back
(headings, paragraphs, bullet and numbered lists nested by indentation, pipe tables,
``**bold**``, ``*italic*``, ``[links](url)``), which is what those sections hold; anything
else (a code fence, a quote) arrives as the text of a paragraph, its words intact. Owned
regions are not parsed: each becomes an empty region of its key, which the next sync fills.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from opsync.documents.model import (
    Block,
    BulletList,
    Document,
    Heading,
    Inline,
    Link,
    ListItem,
    Paragraph,
    Table,
    Text,
    para,
    region,
)

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^(\s*)([-*+•]|\d+[.)])(?:\s+(.*))?$")
_REGION = re.compile(r"<!-- opsync:begin (\S+)[^>]*-->.*?<!-- opsync:end \1 -->", re.DOTALL)
_INLINE = re.compile(
    r"\*\*(?P<bold>.+?)\*\*|__(?P<bold2>.+?)__|(?<![\w\\])\*(?P<it>[^*\s][^*]*?)\*"
    r"|(?<![\w\\])_(?P<it2>[^_\s][^_]*?)_(?!\w)|\[(?P<text>[^\]]*)\]\((?P<url>[^)\s]*)\)"
)
_ESCAPED = re.compile(r"\\(.)")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}")
#: What an owned region holds until the next sync writes it.
PENDING = "opsync fills this in on the next sync."


def _plain(value: str) -> str:
    return _ESCAPED.sub(r"\1", value)


def inlines(line: str) -> tuple[Inline, ...]:
    """One line of Markdown as inline nodes: bold, italic and links kept, escapes undone."""
    out: list[Inline] = []
    at = 0
    for match in _INLINE.finditer(line):
        if match.start() > at:
            out.append(Text(text=_plain(line[at : match.start()])))
        if match.group("url") is not None:
            out.append(Link(text=_plain(match.group("text")), url=match.group("url")))
        else:
            bold = match.group("bold") or match.group("bold2")
            body = bold if bold is not None else match.group("it") or match.group("it2") or ""
            out.append(Text(text=_plain(body), bold=bold is not None, italic=bold is None))
        at = match.end()
    if at < len(line):
        out.append(Text(text=_plain(line[at:])))
    return tuple(n for n in out if not isinstance(n, Text) or n.text)


@dataclass
class _Item:
    indent: int
    text: list[str]
    children: list[_Item] = field(default_factory=list)

    def node(self) -> ListItem:
        return ListItem(
            inlines=inlines(" ".join(self.text)), children=tuple(c.node() for c in self.children)
        )


@dataclass
class _Builder:
    """Blocks from lines, one open paragraph, list or table at a time."""

    blocks: list[Block] = field(default_factory=list)
    paragraph: list[str] = field(default_factory=list)
    items: list[_Item] = field(default_factory=list)
    ordered: bool = False
    open: list[_Item] = field(default_factory=list)  # the item at each depth, outermost first
    rows: list[list[str]] = field(default_factory=list)

    def close(self) -> None:
        if self.paragraph:
            self.blocks.append(Paragraph(inlines=inlines(" ".join(self.paragraph))))
        if self.items:
            self.blocks.append(
                BulletList(items=tuple(i.node() for i in self.items), ordered=self.ordered)
            )
        if self.rows:
            header, *body = self.rows
            width = len(header)
            self.blocks.append(
                Table(
                    header=tuple(_plain(h) for h in header),
                    rows=tuple(tuple(inlines(c) for c in (r + [""] * width)[:width]) for r in body),
                )
            )
        self.paragraph, self.items, self.open, self.rows = [], [], [], []

    def item(self, indent: int, ordered: bool, text: str) -> None:
        if self.paragraph or self.rows:
            self.close()
        while self.open and self.open[-1].indent >= indent:
            self.open.pop()
        if not self.open and self.items and ordered != self.ordered:
            self.close()  # a numbered list after a bulleted one (or back) is a list of its own
        entry = _Item(indent, [text] if text else [])
        if self.open:
            self.open[-1].children.append(entry)
        else:
            if not self.items:
                self.ordered = ordered
            self.items.append(entry)
        self.open.append(entry)

    def line(self, line: str) -> None:
        stripped = line.strip()
        if not stripped:
            if not self.items:  # a blank line inside a list keeps the list open
                self.close()
            return
        heading = _HEADING.match(stripped)
        if heading:
            self.close()
            level = min(len(heading.group(1)), 4)
            self.blocks.append(Heading(level=level, text=_plain(heading.group(2))))
            return
        listed = _ITEM.match(line)
        if listed:
            ordered = listed.group(2)[0].isdigit()
            self.item(len(listed.group(1).expandtabs(4)), ordered, listed.group(3) or "")
            return
        if stripped.startswith("|") and not self.items and not self.paragraph:
            if not _TABLE_RULE.match(stripped):
                self.rows.append([c.strip() for c in stripped.strip("|").split("|")])
            return
        if self.items and line[:1].isspace():  # a continuation of the open item
            self.open[-1].text.append(stripped)
            return
        if self.items or self.rows:
            self.close()
        self.paragraph.append(stripped)


def parse_blocks(text: str) -> list[Block]:
    """The blocks of ``text`` (Markdown), owned regions as empty regions of their keys."""
    builder = _Builder()
    at = 0
    for match in _REGION.finditer(text):
        for line in text[at : match.start()].splitlines():
            builder.line(line)
        builder.close()
        builder.blocks.append(region(match.group(1), para(PENDING)))
        at = match.end()
    for line in text[at:].splitlines():
        builder.line(line)
    builder.close()
    return builder.blocks


def parse_document(text: str, title: str) -> Document:
    """A page from its Markdown: a first-level heading on its first line is its title (as
    the Markdown renderer writes it), else ``title``."""
    blocks = parse_blocks(text)
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    if blocks and isinstance(blocks[0], Heading) and blocks[0].level == 1 and first[:2] == "# ":
        title, blocks = blocks[0].text, blocks[1:]
    return Document(title=title, children=tuple(blocks))
