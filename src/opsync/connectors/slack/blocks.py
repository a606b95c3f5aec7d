"""A message's document as Block Kit, inside Slack's limits, with no mention made from text.

Limits, checked here before anything is sent (https://api.slack.com/reference/block-kit/blocks,
https://api.slack.com/methods/chat.postMessage): at most 50 blocks per message; a section's
text at most 3,000 characters; a header's plain text at most 150; a context block at most 10
elements; the top-level ``text`` (the notification and the fallback) best under 4,000 and cut
by Slack past 40,000; all the blocks' text together at most ``MAX_TOTAL``. A document
longer than that keeps its first blocks and ends with
"… and more on the page", linking to the page, so a message is never refused for its size
(Slack answers ``invalid_blocks`` or ``msg_too_long``) and never silently shortened.

Text in ``mrkdwn`` is escaped as Slack documents (https://api.slack.com/reference/surfaces/
formatting#escaping): ``&``, ``<`` and ``>`` become entities, so a person's text can never
form ``<!channel>``, ``<!here>``, ``<@U…>`` or a link. A bare ``@channel``/``@here``/
``@everyone`` typed in a record is broken with a zero-width joiner as well, since some
clients and ``link_names`` turn it into a mention.
"""

from __future__ import annotations

import re
from typing import Any

from opsync.documents.model import (
    Block,
    BulletList,
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

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_TEXT = 3900  # the top-level text, under the 4,000 Slack advises
# All the blocks' text together. Slack refuses a message whose blocks are too long as a
# whole (``msg_blocks_too_long``) without documenting the figure; 12,000 characters keeps
# a safe margin under what users report (about 13,000) and is a long read already.
MAX_TOTAL = 12_000

_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_TONE = {
    Tone.GREEN: "🟢",
    Tone.YELLOW: "🟡",
    Tone.RED: "🔴",
    Tone.BLUE: "🔵",
    Tone.NEUTRAL: "⚪",
}

Payload = dict[str, Any]


def escape(value: str) -> str:
    """A person's text, safe in ``mrkdwn``: no entity, link or mention can come of it."""
    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: "@\u2060" + m[1], text)


def _safe_url(url: str) -> str | None:
    if not url.lower().startswith(("https://", "http://", "mailto:")):
        return None
    return url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")


def inline(node: Inline) -> str:
    if isinstance(node, Text):
        body = escape(node.text)
        if body.strip():
            if node.bold:
                body = f"*{body.strip()}*"
            if node.italic:
                body = f"_{body.strip()}_"
        return body
    if isinstance(node, Link):
        url = _safe_url(node.url)
        label = escape(node.text) or escape(node.url)
        return f"<{url}|{label}>" if url else label
    if isinstance(node, StatusChip):
        return f"{_TONE[node.tone]} *{escape(node.label)}*"
    return ""


def inlines(nodes: tuple[Inline, ...]) -> str:
    return "".join(inline(n) for n in nodes).strip()


def _items(items: tuple[ListItem, ...], ordered: bool, depth: int) -> list[str]:
    lines: list[str] = []
    for number, entry in enumerate(items, start=1):
        bullet = f"{number}." if ordered else "•"
        lines.append(f"{'    ' * depth}{bullet} {inlines(entry.inlines)}")
        lines.extend(_items(entry.children, ordered, depth + 1))
    return lines


def _sections(lines: list[str]) -> list[Payload]:
    """Lines as sections of at most MAX_SECTION characters, never splitting a line
    (a line longer than that is cut with an ellipsis)."""
    sections: list[Payload] = []
    chunk: list[str] = []
    size = 0
    for line in lines:
        if len(line) > MAX_SECTION:
            line = line[: MAX_SECTION - 1] + "…"
        if chunk and size + len(line) + 1 > MAX_SECTION:
            sections.append(_section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        sections.append(_section("\n".join(chunk)))
    return sections


def _section(text: str) -> Payload:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _header(text: str) -> Payload:
    plain = text if len(text) <= MAX_HEADER else text[: MAX_HEADER - 1] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": plain, "emoji": True}}


def block(node: Block) -> list[Payload]:
    if isinstance(node, Heading):
        if node.level == 1:
            return [_header(node.text)]
        return _sections([f"*{escape(node.text)}*"])
    if isinstance(node, Paragraph):
        text = inlines(node.inlines)
        return _sections([text]) if text else []
    if isinstance(node, BulletList):
        return _sections(_items(node.items, node.ordered, 0))
    if isinstance(node, Table):
        lines = [" · ".join(f"*{escape(h)}*" for h in node.header)]
        lines += [" · ".join(inlines(cell) for cell in row) for row in node.rows]
        return _sections(lines)
    if isinstance(node, Region):
        return [b for child in node.children for b in block(child)]
    return []


def render(document: Document, link: str | None) -> list[Payload]:
    """The document as at most MAX_BLOCKS blocks, the page's link last."""
    blocks = [_header(document.title)] if document.title else []
    for node in document.children:
        blocks.extend(block(node))
    url = _safe_url(link) if link else None
    footer = [_section(f"<{url}|Open the page>")] if url else []
    room, size = MAX_BLOCKS - len(footer), 0
    kept: list[Payload] = []
    for entry in blocks:
        size += len(entry["text"]["text"])
        if (len(kept) == room - 1 and len(blocks) > room) or size > MAX_TOTAL:
            kept.append(_section("… and more on the page." if url else "… and more."))
            break
        kept.append(entry)
    return kept + footer


def fallback(text: str, link: str | None) -> str:
    """The top-level ``text``: the notification, and what clients without blocks show."""
    body = escape(text)
    url = _safe_url(link) if link else None
    tail = f"\n<{url}|Open the page>" if url else ""
    if len(body) + len(tail) > MAX_TEXT:
        body = body[: MAX_TEXT - len(tail) - 1] + "…"
    return body + tail
