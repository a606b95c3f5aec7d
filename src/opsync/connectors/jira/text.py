"""Rich text as plain text: ADF documents (REST v3) and wiki markup (REST v2, Data Center).

Which one arrives depends on the endpoint's version, not on the field (NOTES.md §4), so
every text field goes through :func:`plain_text`. The ADF walker is tolerant: an unknown
node contributes its children's text, a mention its ``attrs.text``, so a new node type in
Atlassian's schema never loses words.
"""

from __future__ import annotations

import re
from typing import Any

_BLOCKS = frozenset(
    {"paragraph", "heading", "listItem", "blockquote", "codeBlock", "rule", "tableRow", "panel"}
)
_INLINE_ATTRS = {"mention": "text", "emoji": "shortName", "status": "text", "date": "timestamp"}
_WIKI_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\{\{(.*?)\}\}"), r"\1"),  # {{monospace}}, before {code} eats its braces
    (re.compile(r"\{(?:code|noformat)(?::[^}]*)?\}"), ""),
    (re.compile(r"\{(?:quote|panel|color)(?::[^}]*)?\}"), ""),
    (re.compile(r"^h[1-6]\.\s*", re.MULTILINE), ""),
    (re.compile(r"^bq\.\s*", re.MULTILINE), ""),
    (re.compile(r"^[*#-]+\s+", re.MULTILINE), ""),
    (re.compile(r"\[([^|\]]+)\|[^\]]+\]"), r"\1"),  # [text|url]
    (re.compile(r"\[(https?://[^\]]+)\]"), r"\1"),
    (re.compile(r"\[~([^\]]+)\]"), r"@\1"),  # user mention
    (re.compile(r"(?<![\w*])\*(\S(?:.*?\S)?)\*(?![\w*])"), r"\1"),  # *bold*
    (re.compile(r"(?<![\w_])_(\S(?:.*?\S)?)_(?![\w_])"), r"\1"),  # _italic_
    (re.compile(r"(?<!\w)\+(\S(?:.*?\S)?)\+(?!\w)"), r"\1"),  # +underline+
    (re.compile(r"\|\|?"), " "),  # table cells
)


def adf_text(node: Any) -> str:
    """The text of an ADF node, blocks separated by newlines."""
    parts: list[str] = []
    _walk(node, parts)
    return re.sub(r"\n{2,}", "\n", "".join(parts)).strip()


def _walk(node: Any, parts: list[str]) -> None:
    if isinstance(node, list):
        for child in node:
            _walk(child, parts)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "text":
        parts.append(str(node.get("text", "")))
    elif kind == "hardBreak":
        parts.append("\n")
    elif kind in _INLINE_ATTRS:
        parts.append(str((node.get("attrs") or {}).get(_INLINE_ATTRS[kind], "")))
    elif kind == "inlineCard":
        parts.append(str((node.get("attrs") or {}).get("url", "")))
    _walk(node.get("content"), parts)
    if kind in _BLOCKS:
        parts.append("\n")


def wiki_text(markup: str) -> str:
    """Wiki markup with its formatting removed and its words kept."""
    text = markup.replace("\r\n", "\n")
    for pattern, replacement in _WIKI_RULES:
        text = pattern.sub(replacement, text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()


def plain_text(value: Any) -> str | None:
    """Plain text of a rich-text field value in either format; None when empty."""
    if value is None:
        return None
    if isinstance(value, dict):
        text = adf_text(value)
    elif isinstance(value, str):
        text = wiki_text(value)
    else:
        return None
    return text or None
