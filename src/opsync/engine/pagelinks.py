"""Links between generated pages, filled in when the linking page is written.

A rule that links to another generated page (the weekly update to the roadmap view, a
readiness check to its enablement bundle) knows the page's key, not always its URL: on
Notion or Confluence a page created in this run has a URL only once it is created. Were the
link taken from what the read saw, a first sync would write the page without it and the next
run would rewrite it with it: a sync that settles in two runs, and a "no-op" that writes.

Instead the rule names the page (:meth:`RuleContext.page_link`: its words, with the page's
key in ``Text.page``) and lists the pages it names (``GeneratedDocument.links_to``). The plan
compares the page with those names linked as the read knows their URLs, and orders the pages
named before the pages naming them; the apply links the names again with the URLs known at
that moment (the target's ``page_url``, which knows the pages this run created). A page
without a web address (a folder's page without a base URL) stays a name: a link must open
from wherever the page is read.
"""

from __future__ import annotations

from collections.abc import Callable

from opsync.documents.model import (
    Block,
    BulletList,
    Document,
    Inline,
    Link,
    ListItem,
    Paragraph,
    Region,
    Table,
    Text,
)

UrlOf = Callable[[str], str | None]


def web_only(url_of: UrlOf) -> UrlOf:
    """``url_of`` answering web addresses only (a folder's relative path is no link)."""

    def url(key: str) -> str | None:
        found = url_of(key)
        return found if found and found.startswith(("https://", "http://")) else None

    return url


def resolve(document: Document, url_of: UrlOf) -> Document:
    """``document`` with each page's name made a link to its URL, where it has one."""
    return document.model_copy(update={"children": _blocks(document.children, url_of)})


def _blocks(blocks: tuple[Block, ...], url_of: UrlOf) -> tuple[Block, ...]:
    return tuple(_block(block, url_of) for block in blocks)


def _block(block: Block, url_of: UrlOf) -> Block:
    if isinstance(block, Region):
        return block.model_copy(update={"children": _blocks(block.children, url_of)})
    if isinstance(block, Paragraph):
        return block.model_copy(update={"inlines": _inlines(block.inlines, url_of)})
    if isinstance(block, BulletList):
        return block.model_copy(update={"items": tuple(_item(i, url_of) for i in block.items)})
    if isinstance(block, Table):
        rows = tuple(tuple(_inlines(c, url_of) for c in row) for row in block.rows)
        return block.model_copy(update={"rows": rows})
    return block  # a heading or a chart holds no link


def _item(entry: ListItem, url_of: UrlOf) -> ListItem:
    return entry.model_copy(
        update={
            "inlines": _inlines(entry.inlines, url_of),
            "children": tuple(_item(c, url_of) for c in entry.children),
        }
    )


def _inlines(inlines: tuple[Inline, ...], url_of: UrlOf) -> tuple[Inline, ...]:
    return tuple(_inline(node, url_of) for node in inlines)


def _inline(node: Inline, url_of: UrlOf) -> Inline:
    if not isinstance(node, Text) or node.page is None:
        return node
    url = url_of(node.page)
    return Link(text=node.text, url=url) if url else node
