"""HTML renderer for the document tree, for HTML email (and any other HTML preview).

Email clients are the narrowest HTML readers there are: Gmail and Outlook drop ``<style>``
blocks and ``<head>`` CSS, so every element carries its look in a ``style`` attribute, and
the markup stays to the tags every client renders the same (headings, paragraphs, lists,
tables, ``<a>``, ``<strong>``, ``<em>``, ``<span>``).

All escaping for HTML lives here, as it does for Markdown in :mod:`.markdown`: text from
records (a release named ``<script>`` or ``Tom & Jerry``) renders as literal text through
:func:`html.escape`, and a link becomes an ``<a>`` only for an ``http``/``https`` URL with a
host, or a ``mailto:`` address; any other URL (``javascript:``, ``data:``, a path) is shown
as text, never as a link. Owned regions have no meaning in a message, so a region renders
as its children.

Pure: no I/O and nothing outside the standard library, so the Slack, email or any later
notifier can reuse it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

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
    StatusChip,
    Table,
    Text,
    Tone,
)

FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif"
TEXT_COLOUR = "#1f2328"
LINK_COLOUR = "#0969da"
BODY_STYLE = f"font-family:{FONT};font-size:14px;line-height:1.5;color:{TEXT_COLOUR};"
_HEADING_SIZE = {1: 22, 2: 18, 3: 16, 4: 14}
_P = "margin:0 0 12px 0;"
_LIST = "margin:0 0 12px 0;padding-left:24px;"
_NESTED_LIST = "margin:4px 0 0 0;padding-left:20px;"
_LI = "margin:0 0 4px 0;"
_TABLE = "border-collapse:collapse;margin:0 0 12px 0;"
_CELL = "border:1px solid #d0d7de;padding:6px 10px;text-align:left;vertical-align:top;"
_TH = _CELL + "background-color:#f6f8fa;font-weight:600;"
_A = f"color:{LINK_COLOUR};text-decoration:underline;"
# background, text colour of each status chip
_TONES = {
    Tone.NEUTRAL: ("#eaeef2", "#24292f"),
    Tone.GREEN: ("#dafbe1", "#116329"),
    Tone.YELLOW: ("#fff8c5", "#7d4e00"),
    Tone.RED: ("#ffebe9", "#a40e26"),
    Tone.BLUE: ("#ddf4ff", "#0a3069"),
}
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
# Control characters and whitespace inside a URL: browsers drop some of them when parsing
# (``java\tscript:``), so a URL holding any is never trusted as a link.
_UNSAFE_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f]")


def escape(value: str) -> str:
    """Literal text for HTML (``<``, ``>``, ``&`` and both quotes escaped)."""
    return html.escape(value, quote=True)


def safe_url(url: str) -> str | None:
    """``url`` when it is safe to link to (``http``/``https`` with a host, or ``mailto:``
    with an address), else None: such a URL is shown as text."""
    url = url.strip()
    if not url or _UNSAFE_CHARS.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed IPv6 host, say
        return None
    scheme = parts.scheme.lower()
    if scheme not in _SAFE_SCHEMES:
        return None
    if scheme == "mailto":
        return url if "@" in parts.path else None
    return url if parts.hostname else None


def link(text: str, url: str) -> str:
    """An ``<a>`` to ``url`` when it is safe, else the text (and the URL) as plain text."""
    target = safe_url(url)
    if target is None:
        shown = text if not url or url == text else f"{text} ({url})"
        return escape(shown)
    return f'<a href="{escape(target)}" style="{_A}">{escape(text or target)}</a>'


def render_inline(node: Inline) -> str:
    if isinstance(node, Text):
        body = escape(node.text)
        if not body:
            return ""
        if node.italic:
            body = f"<em>{body}</em>"
        if node.bold:
            body = f"<strong>{body}</strong>"
        return body
    if isinstance(node, Link):
        return link(node.text, node.url)
    return chip(node)


def chip(node: StatusChip) -> str:
    background, colour = _TONES[node.tone]
    style = (
        f"display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;"
        f"font-weight:600;background-color:{background};color:{colour};"
    )
    return f'<span style="{style}">{escape(node.label)}</span>'


def render_inlines(nodes: Iterable[Inline]) -> str:
    return "".join(render_inline(n) for n in nodes).strip()


def heading(level: int, value: str) -> str:
    size = _HEADING_SIZE.get(level, 14)
    style = f"margin:16px 0 8px 0;font-size:{size}px;line-height:1.3;font-weight:600;"
    return f'<h{level} style="{style}">{escape(value)}</h{level}>'


def paragraph(inner_html: str) -> str:
    """A paragraph around HTML already escaped (the caller's inlines or text)."""
    return f'<p style="{_P}">{inner_html}</p>'


def _render_items(items: tuple[ListItem, ...], ordered: bool, nested: bool) -> str:
    tag = "ol" if ordered else "ul"
    lines = [f'<{tag} style="{_NESTED_LIST if nested else _LIST}">']
    for entry in items:
        inner = render_inlines(entry.inlines)
        if entry.children:
            inner += _render_items(entry.children, ordered, nested=True)
        lines.append(f'<li style="{_LI}">{inner}</li>')
    lines.append(f"</{tag}>")
    return "".join(lines)


def _render_table(node: Table) -> str:
    head = "".join(f'<th style="{_TH}">{escape(h)}</th>' for h in node.header)
    rows = "".join(
        "<tr>" + "".join(f'<td style="{_CELL}">{render_inlines(c)}</td>' for c in row) + "</tr>"
        for row in node.rows
    )
    return (
        f'<table role="presentation" cellpadding="0" cellspacing="0" style="{_TABLE}">'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )


def render_block(node: Block) -> str:
    if isinstance(node, Heading):
        return heading(node.level, node.text)
    if isinstance(node, Paragraph):
        return paragraph(render_inlines(node.inlines))
    if isinstance(node, BulletList):
        return _render_items(node.items, node.ordered, nested=False)
    if isinstance(node, Table):
        return _render_table(node)
    if isinstance(node, Chart):
        return paragraph(escape(node.text))  # a message carries no attachment to show
    return render_region(node)


def render_region(node: Region) -> str:
    """A region's children: what opsync owns on a page means nothing in a message."""
    return render_blocks(node.children)


def render_blocks(blocks: Iterable[Block]) -> str:
    return "\n".join(render_block(b) for b in blocks)


def text_paragraphs(value: str) -> str:
    """Plain text as HTML: a paragraph per blank-line-separated block, a ``<br>`` per line
    break, everything escaped (for a message that has no document)."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", value.replace("\r\n", "\n"))]
    return "\n".join(
        paragraph("<br>".join(escape(line) for line in block.split("\n")))
        for block in blocks
        if block
    )


def page(title: str, body_html: str, *, lang: str = "en") -> str:
    """A whole HTML document around ``body_html`` (already HTML), the look inline on a
    wrapping ``<div>``: no ``<style>`` for a client to strip."""
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n</head>\n"
        f'<body style="margin:0;padding:0;">\n<div style="{BODY_STYLE}padding:16px;">\n'
        f"{body_html}\n</div>\n</body>\n</html>\n"
    )


def render(document: Document) -> str:
    """The document as a whole HTML page: its title as the first heading, then its blocks."""
    body = heading(1, document.title) + "\n" + render_blocks(document.children)
    return page(document.title, body)


__all__ = [
    "escape",
    "link",
    "page",
    "paragraph",
    "render",
    "render_block",
    "render_blocks",
    "render_inline",
    "render_inlines",
    "safe_url",
    "text_paragraphs",
]
