"""The text people wrote on a page, outside opsync's regions, as Markdown lines.

The rules read an enablement bundle's sections from what the PM wrote under each heading
(:mod:`opsync.connectors.bundles`), the same on every wiki; here a storage-format body
becomes the lines that parser reads: headings as ``#``, list items as ``-``, paragraphs,
table cells and macro bodies as their text. opsync's own regions are cut out first, so a
region's text never counts as something the PM wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree import ElementTree

from opsync.connectors.confluence.regions import find_regions, splice
from opsync.connectors.confluence.storage import NAMESPACES, StorageError, parse

_AC = "{" + NAMESPACES["ac"] + "}"
_SKIPPED = frozenset({_AC + "parameter"})  # a macro's settings, not text a person reads
_LINES = frozenset({"p", "td", "th", "pre", "blockquote", "div"})


def outside_text(body: str) -> str:
    """The body's text outside opsync's regions; "" for a body that is not well-formed or
    nested beyond reason (the page then has no sections, which the bundle rules report as
    incomplete, rather than stopping the read)."""
    try:
        outside = splice(body, dict.fromkeys(find_regions(body), ""), [])
        return "\n".join(_lines(parse(outside), 0))
    except (StorageError, ValueError, RecursionError):  # RecursionError: absurd nesting
        return ""


def _text(element: ElementTree.Element) -> str:
    parts: list[str] = [element.text or ""]
    for child in element:
        if child.tag not in _SKIPPED and child.tag not in ("ul", "ol"):
            parts.append(_text(child))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


def _lines(element: ElementTree.Element, depth: int) -> Iterator[str]:
    for child in element:
        tag = child.tag
        if tag in _SKIPPED:
            continue
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            yield "#" * int(tag[1]) + " " + _text(child)
        elif tag in ("ul", "ol"):
            for item in child:
                if item.tag == "li":
                    yield "  " * depth + ("- " if tag == "ul" else "1. ") + _text(item)
                    yield from (
                        line
                        for nested in item
                        if nested.tag in ("ul", "ol")
                        for line in _lines(_wrap(nested), depth + 1)
                    )
        elif tag in _LINES and not any(c.tag in _LINES or c.tag in ("ul", "ol") for c in child):
            yield _text(child)
        else:
            yield from _lines(child, depth)


def _wrap(element: ElementTree.Element) -> ElementTree.Element:
    root = ElementTree.Element("wrap")
    root.append(element)
    return root
