"""Plain-text renderer for the document tree: what a person reads in a text-only mail client,
a notification preview or a terminal.

Markdown is not good plain text: its escaping (``\\*``, ``\\[``), ``**bold**`` markers,
``[text](url)`` links and pipe tables are noise to a reader who sees them raw. Here text
stays as written, a link is ``text <url>`` (the URL spelled out, as mail clients turn it
into a link), a status chip is ``[Label]``, lists are ``-``/``1.`` indented two spaces per
level, and a table row is one bullet of ``header: value`` pairs, which survives a narrow
screen and a proportional font where aligned columns would not.

Pure, standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable

from opsync.documents.model import (
    Block,
    BulletList,
    Chart,
    Document,
    Heading,
    Inline,
    Link,
    ListItem,
    Paragraph,
    Table,
    Text,
)
from opsync.documents.whitespace import fold

_UNDERLINE = {1: "=", 2: "-"}


def render_inline(node: Inline) -> str:
    if isinstance(node, Text):
        return fold(node.text)
    if isinstance(node, Link):
        text, url = fold(node.text).strip(), node.url.strip()
        if not url or text == url:
            return text or url
        return f"{text} <{url}>" if text else url
    return f"[{fold(node.label).strip()}]"


def render_inlines(nodes: Iterable[Inline]) -> str:
    return "".join([render_inline(n) for n in nodes]).strip()


def _render_items(items: tuple[ListItem, ...], ordered: bool, depth: int) -> list[str]:
    lines: list[str] = []
    for number, entry in enumerate(items, start=1):
        bullet = f"{number}." if ordered else "-"
        lines.append(f"{'  ' * depth}{bullet} {render_inlines(entry.inlines)}".rstrip())
        lines.extend(_render_items(entry.children, ordered, depth + 1))
    return lines


def _render_table(node: Table) -> str:
    lines = []
    for row in node.rows:
        pairs = []
        for header, cell in zip(node.header, row, strict=False):
            value = render_inlines(cell)
            if value:
                pairs.append(f"{fold(header).strip()}: {value}" if header.strip() else value)
        lines.append("- " + "; ".join(pairs))
    return "\n".join(lines)


def render_block(node: Block) -> str:
    if isinstance(node, Heading):
        title = fold(node.text).strip()
        mark = _UNDERLINE.get(node.level)
        return f"{title}\n{mark * len(title)}" if mark else title
    if isinstance(node, Paragraph):
        return render_inlines(node.inlines)
    if isinstance(node, BulletList):
        return "\n".join(_render_items(node.items, node.ordered, 0))
    if isinstance(node, Table):
        return _render_table(node)
    if isinstance(node, Chart):
        return fold(node.text).strip()  # text cannot hold a picture
    return render_blocks(node.children)  # a region: its content, no markers


def render_blocks(blocks: Iterable[Block]) -> str:
    return "\n\n".join(text for text in (render_block(b) for b in blocks) if text)


def render(document: Document) -> str:
    """The whole document, its title underlined, ending in one newline."""
    title = fold(document.title).strip()
    return f"{title}\n{'=' * len(title)}\n\n{render_blocks(document.children)}\n"


__all__ = ["render", "render_block", "render_blocks", "render_inline", "render_inlines"]
