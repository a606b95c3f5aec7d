"""A page that names another generated page by key (``RuleContext.page_link``) lists it in
``GeneratedDocument.links_to``: only then is the name linked as the page is written
(engine/pagelinks.py). A rule that forgot would write its first sync's page with the bare
name and rewrite it with the link on the next run: a sync that settles in two runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from opsync import api
from opsync.connectors.base import PageWrite
from opsync.documents.model import (
    Block,
    BulletList,
    Inline,
    ListItem,
    Paragraph,
    Region,
    Table,
    Text,
)


def _inlines(blocks: tuple[Block, ...]) -> Iterator[Inline]:
    for block in blocks:
        if isinstance(block, Region):
            yield from _inlines(block.children)
        elif isinstance(block, Paragraph):
            yield from block.inlines
        elif isinstance(block, BulletList):
            yield from _items(block.items)
        elif isinstance(block, Table):
            yield from (node for row in block.rows for cell in row for node in cell)


def _items(items: tuple[ListItem, ...]) -> Iterator[Inline]:
    for entry in items:
        yield from entry.inlines
        yield from _items(entry.children)


@pytest.mark.parametrize(
    "now",
    [
        "2026-12-03T15:00:00-05:00",  # a Thursday: readiness checks, the weekly update
        "2026-12-28T10:00:00-05:00",  # the QBR pack of the quarter to come, its scorecard
        "2027-01-04T10:00:00-05:00",  # a quarter's first business day
    ],
)
def test_every_page_naming_a_generated_page_declares_it(acme: Path, now: str) -> None:
    named = _named(acme, now)
    assert any(named.values())  # not vacuous: some page of the day names another


def _named(acme: Path, now: str) -> dict[str, set[str]]:
    # a plan of a fresh folder workspace: no page exists and none has a web address, so
    # each page name a rule wrote by key stays a name with its key in the plan's document
    report = api.plan(acme, now=datetime.fromisoformat(now))
    pages = [op.payload for op in report.plan.operations if isinstance(op.payload, PageWrite)]
    named = {
        page.key: {
            n.page for n in _inlines(page.document.children) if isinstance(n, Text) and n.page
        }
        for page in pages
    }
    # a page goes to the write with its links to fill in (``linked``) only when it declared them
    assert {k: v for k, v in named.items() if v and _page(pages, k).linked is None} == {}
    return named


def _page(pages: list[PageWrite], key: str) -> PageWrite:
    return next(p for p in pages if p.key == key)
