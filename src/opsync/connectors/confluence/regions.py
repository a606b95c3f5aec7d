"""Finding opsync's regions in a stored body, comparing them, and rewriting only them.

Confluence rewrites stored markup on save (adds ``ac:macro-id`` and ``ac:schema-version``,
reorders attributes, expands self-closing tags, wraps list text in ``<p>``; NOTES.md §10).
So a region is never compared as stored text: :func:`region_hash` hashes a canonical form
that undoes exactly those rewrites, and the hash of what opsync *rendered* is kept in a
content property (see ``pages.py``). A person's change inside a region changes its
canonical form and shows as an edit; Confluence's own rewriting does not.

A rewrite splices the new region into the stored body at the byte offsets the XML parser
reports, so every byte outside the rewritten regions (people's text, inline comment
markers, macros opsync does not know) goes back exactly as it was read.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree import ElementTree
from xml.parsers import expat

from opsync.connectors.confluence.storage import (
    NAMESPACES,
    REGION_MACRO,
    REGION_PARAMETER,
    WRAP_CLOSE,
    WRAP_OPEN,
    StorageError,
    digest,
    parse,
)

_AC = "{" + NAMESPACES["ac"] + "}"
# Attributes Confluence adds or changes on save, which say nothing about the content.
_VOLATILE = frozenset(
    {_AC + "macro-id", _AC + "schema-version", _AC + "local-id", "local-id", "data-local-id"}
)
_UNWRAPPED = frozenset({"li", "td", "th"})  # containers whose lone <p> Confluence adds or drops


@dataclass(frozen=True)
class Span:
    """A top-level region's place in a body, in UTF-8 byte offsets."""

    key: str
    start: int
    end: int


def find_regions(body: str) -> dict[str, Span]:
    """Top-level regions of ``body`` by key (the first of two with one key wins)."""
    spans: dict[str, Span] = {}
    for span in all_regions(body):
        spans.setdefault(span.key, span)
    return spans


def repeated(body: str) -> set[str]:
    """Keys of the top-level regions that appear more than once in ``body`` (a copy)."""
    seen: set[str] = set()
    twice: set[str] = set()
    for span in all_regions(body):
        (twice if span.key in seen else seen).add(span.key)
    return twice


def all_regions(body: str) -> list[Span]:
    """Every top-level region of ``body``, in order (a key may repeat)."""
    data = (WRAP_OPEN + body + WRAP_CLOSE).encode("utf-8")
    offset = len(WRAP_OPEN.encode("utf-8"))
    parser = expat.ParserCreate()
    spans: list[Span] = []
    depth = 0
    open_at: int | None = None
    key_text: list[str] | None = None
    key: str | None = None

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth, open_at, key_text
        depth += 1
        if depth == 2 and name == "ac:structured-macro" and attrs.get("ac:name") == REGION_MACRO:
            open_at = parser.CurrentByteIndex
        elif (
            depth == 3
            and open_at is not None
            and name == "ac:parameter"
            and attrs.get("ac:name") == REGION_PARAMETER
        ):
            key_text = []

    def end(name: str) -> None:
        nonlocal depth, open_at, key_text, key
        if depth == 3 and key_text is not None:
            key, key_text = "".join(key_text).strip(), None
        if depth == 2 and open_at is not None:
            close = data.index(b">", parser.CurrentByteIndex) + 1
            if key:
                spans.append(Span(key, open_at - offset, close - offset))
            open_at, key = None, None
        depth -= 1

    def chars(text: str) -> None:
        if key_text is not None:
            key_text.append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise StorageError(f"not well-formed storage format: {exc}") from None
    return spans


def fragment(body: str, span: Span) -> str:
    return body.encode("utf-8")[span.start : span.end].decode("utf-8")


def splice(body: str, replacements: dict[str, str], appended: list[str]) -> str:
    """``body`` with the regions named in ``replacements`` swapped for their new markup
    ("" removes one) and ``appended`` added at the end; nothing else changes."""
    spans = find_regions(body)
    data = body.encode("utf-8")
    out: list[bytes] = []
    at = 0
    for span in sorted((spans[k] for k in replacements if k in spans), key=lambda s: s.start):
        out += [data[at : span.start], replacements[span.key].encode("utf-8")]
        at = span.end
    out.append(data[at:])
    out += [a.encode("utf-8") for a in appended]
    return b"".join(out).decode("utf-8")


def _canonical(element: ElementTree.Element, out: list[str]) -> None:
    children = list(element)
    tag = element.tag
    local = tag.rsplit("}", 1)[-1]
    if (
        local in _UNWRAPPED
        and len(children) >= 1
        and children[0].tag == "p"
        and not (element.text or "").strip()
    ):
        lone = children[0]
        children = [*list(lone), *children[1:]]
        text = (lone.text or "") + (lone.tail or "")
    else:
        text = element.text or ""
    attrs = sorted((k, v) for k, v in element.attrib.items() if k not in _VOLATILE)
    out.append("<" + tag + "".join(f" {k}={v!r}" for k, v in attrs) + ">")
    out.append(" ".join(text.split()))
    for child in children:
        _canonical(child, out)
        out.append(" ".join((child.tail or "").split()))
    out.append("</" + tag + ">")


def region_hash(markup: str) -> str:
    """The hash of a region's canonical form: equal for what opsync sent and what
    Confluence stored from it, different once a person changed its content."""
    out: list[str] = []
    for element in parse(markup):
        _canonical(element, out)
    return digest("".join(out))
