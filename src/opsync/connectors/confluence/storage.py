"""The document tree as Confluence storage format, escaped and checked before it is sent.

Every dynamic value goes through :func:`escape` (text) or :func:`attr` (attribute values),
so a release called ``<script>`` or ``]]>`` or one holding macro markup arrives as text,
never as markup. Confluence's parser is lenient and saves malformed macros "successfully"
(NOTES.md §10), so :func:`validate` parses every body as XML, with the ``ac:``/``ri:``
namespaces declared, before a request carries it.

An owned region is a panel macro whose ``opsync-region`` parameter holds the region key:
Confluence keeps macro parameters it does not know on save, and a person sees at a glance
which box opsync rewrites; everything outside the panels is theirs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from html.entities import name2codepoint
from xml.etree import ElementTree
from xml.sax.saxutils import escape as _escape

from opsync.documents.model import (
    Block,
    BulletList,
    Chart,
    Document,
    Heading,
    Inline,
    ListItem,
    Paragraph,
    Region,
    StatusChip,
    Table,
    Text,
    Tone,
    find_region,
)

NAMESPACES = {
    "ac": "http://atlassian.com/content",
    "ri": "http://atlassian.com/resource/identifier",
    "at": "http://atlassian.com/template",
}
REGION_MACRO = "panel"
REGION_PARAMETER = "opsync-region"
_COLOURS = {
    Tone.NEUTRAL: "Grey",
    Tone.GREEN: "Green",
    Tone.YELLOW: "Yellow",
    Tone.RED: "Red",
    Tone.BLUE: "Blue",
}
# Storage bodies people saved use HTML's named entities (&nbsp;, &mdash;), which XML lacks.
_ENTITIES = "".join(
    f'<!ENTITY {name} "&#{code};">'
    for name, code in sorted(name2codepoint.items())
    if name not in ("amp", "lt", "gt", "quot", "apos")
)
WRAP_OPEN = (
    f"<!DOCTYPE opsync [{_ENTITIES}]><opsync "
    + " ".join(f'xmlns:{p}="{u}"' for p, u in NAMESPACES.items())
    + ">"
)
WRAP_CLOSE = "</opsync>"


class StorageError(ValueError):
    """A storage body that is not well-formed XML."""


def escape(value: str) -> str:
    """Text content: ``&``, ``<`` and ``>`` as entities (``]]>`` cannot survive that)."""
    return _escape(value)


def attr(value: str) -> str:
    """An attribute value, for double quotes."""
    return _escape(value, {'"': "&quot;"})


def parse(body: str) -> ElementTree.Element:
    """The body as an element tree under a wrapper root; :class:`StorageError` if broken."""
    try:
        return ElementTree.fromstring(WRAP_OPEN + body + WRAP_CLOSE)
    except ElementTree.ParseError as exc:
        raise StorageError(f"not well-formed storage format: {exc}") from None


def validate(body: str) -> str:
    parse(body)
    return body


def macro(name: str, parameters: Iterable[tuple[str, str]], body: str | None = None) -> str:
    params = "".join(
        f'<ac:parameter ac:name="{attr(k)}">{escape(v)}</ac:parameter>' for k, v in parameters
    )
    rich = f"<ac:rich-text-body>{body}</ac:rich-text-body>" if body is not None else ""
    return f'<ac:structured-macro ac:name="{attr(name)}">{params}{rich}</ac:structured-macro>'


class Renderer:
    """Renders document trees; ``jira_url`` turns links to ``<jira_url>/browse/KEY`` into
    the Jira issue macro (with ``server``/``serverId`` when the site needs them)."""

    def __init__(
        self,
        jira_url: str | None = None,
        jira_server: str | None = None,
        jira_server_id: str | None = None,
    ) -> None:
        self.browse = f"{jira_url.rstrip('/')}/browse/" if jira_url else None
        self.jira_server = jira_server
        self.jira_server_id = jira_server_id

    def document(self, document: Document) -> str:
        return validate(self.blocks(document.children))

    def region(self, document: Document, key: str) -> str:
        """The region ``key`` of ``document`` as it is written, or "" when it has none."""
        node = find_region(document.children, key)
        return validate(self.block(node)) if node is not None else ""

    def blocks(self, blocks: Sequence[Block]) -> str:
        return "".join(self.block(b) for b in blocks)

    def block(self, block: Block) -> str:
        if isinstance(block, Heading):
            return f"<h{block.level}>{escape(block.text)}</h{block.level}>"
        if isinstance(block, Paragraph):
            return f"<p>{self.inlines(block.inlines)}</p>"
        if isinstance(block, BulletList):
            return self.items(block.items, block.ordered)
        if isinstance(block, Table):
            head = "".join(f"<th><p>{escape(h)}</p></th>" for h in block.header)
            rows = "".join(
                "<tr>" + "".join(f"<td><p>{self.inlines(c)}</p></td>" for c in row) + "</tr>"
                for row in block.rows
            )
            return f"<table><tbody><tr>{head}</tr>{rows}</tbody></table>"
        if isinstance(block, Chart):
            return self.chart(block)
        if isinstance(block, Region):
            return macro(REGION_MACRO, [(REGION_PARAMETER, block.key)], self.blocks(block.children))
        raise TypeError(f"no storage format for {type(block).__name__}")

    def chart(self, chart: Chart) -> str:
        """The chart's picture, a file attached to the page under the name that carries its
        fingerprint (the writer attaches it before a body shows it), with its title as
        the image's alternative text and as a caption under it for screen readers and
        for pages exported without pictures."""
        return (
            f'<p><ac:image ac:alt="{attr(chart.title)}">'
            f'<ri:attachment ri:filename="{attr(chart.filename)}" /></ac:image></p>'
            f"<p><em>{escape(chart.title)}</em></p>"
        )

    def items(self, items: Sequence[ListItem], ordered: bool) -> str:
        tag = "ol" if ordered else "ul"
        inner = "".join(
            f"<li><p>{self.inlines(i.inlines)}</p>"
            + (self.items(i.children, ordered) if i.children else "")
            + "</li>"
            for i in items
        )
        return f"<{tag}>{inner}</{tag}>"

    def inlines(self, inlines: Sequence[Inline]) -> str:
        return "".join(self.inline(i) for i in inlines)

    def inline(self, inline: Inline) -> str:
        if isinstance(inline, Text):
            out = escape(inline.text)
            if inline.italic:
                out = f"<em>{out}</em>"
            return f"<strong>{out}</strong>" if inline.bold else out
        if isinstance(inline, StatusChip):
            return macro("status", [("colour", _COLOURS[inline.tone]), ("title", inline.label)])
        if self.browse and inline.url.startswith(self.browse):
            return self.jira(inline.url.removeprefix(self.browse).split("?")[0].strip("/"))
        return f'<a href="{attr(inline.url)}">{escape(inline.text)}</a>'

    def jira(self, key: str) -> str:
        params = [("key", key)]
        if self.jira_server:
            params.append(("server", self.jira_server))
        if self.jira_server_id:
            params.append(("serverId", self.jira_server_id))
        return macro("jira", params)


def attachments(markup: str) -> set[str]:
    """The names of the attached files ``markup`` shows (``<ri:attachment ri:filename>``)."""
    ri = "{" + NAMESPACES["ri"] + "}"
    return {
        str(e.get(ri + "filename"))
        for e in parse(markup).iter(ri + "attachment")
        if e.get(ri + "filename")
    }


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
