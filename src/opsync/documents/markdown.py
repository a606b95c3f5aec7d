"""Markdown renderer for the document tree (local workspace pages, docs, previews).

All escaping for Markdown lives here: text from records (a release named ``*Beta* | <b>``)
renders as literal text, never as markup. Owned regions become HTML comments carrying a
checksum of their rendered content, as cog does, so a later run can tell a hand edit.
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import quote

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
    Region,
    Table,
    Text,
    Tone,
)
from opsync.documents.whitespace import fold

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])(?=\s|$)")
_TONE_MARK = {
    Tone.NEUTRAL: "⚪",
    Tone.GREEN: "🟢",
    Tone.YELLOW: "🟡",
    Tone.RED: "🔴",
    Tone.BLUE: "🔵",
}


def escape(value: str) -> str:
    """Literal text for Markdown: markup characters escaped, whitespace runs folded to one
    space (a newline inside a list item or table cell would break its structure)."""
    return _SPECIAL.sub(_escaped, fold(value))


def _escaped(match: re.Match[str]) -> str:
    return "\\" + match.group(1)


def checksum(content: str) -> str:
    """A short, stable fingerprint of a region's rendered content."""
    digest = hashlib.sha256(content.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest)[:12].decode("ascii")


def begin_marker(key: str, content: str, page: str | None = None) -> str:
    """The begin marker of region ``key``; with ``page``, it names the page that owns it, so
    a copy of the region in another page is told apart (and left as that page's text)."""
    owner = f" page={quote(page, safe='/')}" if page else ""
    return f"<!-- opsync:begin {key} sum={checksum(content)}{owner} -->"


def end_marker(key: str) -> str:
    return f"<!-- opsync:end {key} -->"


def render_inline(node: Inline) -> str:
    if isinstance(node, Text):
        body = escape(node.text)
        if not body:
            return ""
        if node.bold:
            body = f"**{body}**"
        if node.italic:
            body = f"*{body}*"
        return body
    if isinstance(node, Link):
        url = node.url.replace(" ", "%20").replace(")", "%29").replace("(", "%28")
        return f"[{escape(node.text)}]({url})"
    return f"{_TONE_MARK[node.tone]} **{escape(node.label)}**"


def render_inlines(nodes: tuple[Inline, ...]) -> str:
    """One line of inline content; a leading ``-``/``1.`` is escaped so it stays text."""
    line = "".join([render_inline(n) for n in nodes]).strip()
    return _LINE_START.sub(r"\1\\\2", line) if _LINE_START.match(line) else line


def _render_items(items: tuple[ListItem, ...], ordered: bool, depth: int) -> list[str]:
    lines: list[str] = []
    for number, entry in enumerate(items, start=1):
        bullet = f"{number}." if ordered else "-"
        lines.append(f"{'  ' * depth}{bullet} {render_inlines(entry.inlines)}".rstrip())
        lines.extend(_render_items(entry.children, ordered, depth + 1))
    return lines


def _render_table(node: Table) -> str:
    def row(cells: list[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    lines = [row([escape(h) for h in node.header]), row(["---"] * len(node.header))]
    lines.extend(row([render_inlines(c) for c in r]) for r in node.rows)
    return "\n".join(lines)


def render_block(node: Block, page: str | None = None) -> str:
    if isinstance(node, Heading):
        return f"{'#' * node.level} {escape(node.text)}"
    if isinstance(node, Paragraph):
        return render_inlines(node.inlines)
    if isinstance(node, BulletList):
        return "\n".join(_render_items(node.items, node.ordered, 0))
    if isinstance(node, Table):
        return _render_table(node)
    if isinstance(node, Chart):
        return f"![{escape(node.title)}]({quote(node.filename)})"  # a file beside the page
    return render_region(node, page)


def render_blocks(blocks: tuple[Block, ...], page: str | None = None) -> str:
    return "\n\n".join(render_block(b, page) for b in blocks)


def region_parts(
    node: Region, page: str | None = None, content: str | None = None
) -> tuple[str, str, str]:
    """A region as three strings to join: its begin marker's line, its content, its end
    marker's line. ``page`` is the key of the page that owns it (none for a preview or a
    document that is no page); ``content``: its blocks rendered already. Apart, the
    content is not copied once more to add the markers (a large page's region is
    megabytes)."""
    if content is None:
        content = render_blocks(node.children)
    return f"{begin_marker(node.key, content, page)}\n", content, f"\n{end_marker(node.key)}"


def render_region(node: Region, page: str | None = None, content: str | None = None) -> str:
    """A region with its markers (see :func:`region_parts`)."""
    return "".join(region_parts(node, page, content))


def render(document: Document, page: str | None = None) -> str:
    """The whole page as Markdown, ending in one newline."""
    return f"# {escape(document.title)}\n\n{render_blocks(document.children, page)}\n"
