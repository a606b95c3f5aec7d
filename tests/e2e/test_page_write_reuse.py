"""A page update on the local workspace writes the regions as the plan rendered them
(``PageWrite.rendered``), not rendered a second time: a large page's region (the action
list of a big organisation is megabytes of Markdown) is seconds of work and a hundred
megabytes of strings each time. What it writes is what rendering again would write."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from support import ACME_NOW

from opsync import api
from opsync.connectors.base import PageWrite
from opsync.connectors.local.workspace import LocalWorkspace
from opsync.documents import markdown
from opsync.engine.report import RunReport

NOW = datetime.fromisoformat(ACME_NOW)


def _rename(config: Path) -> None:
    """The tracker export renames a release that pages show."""
    path = config.parent / "tracker" / "releases.yaml"
    text = path.read_text("utf-8")
    old = "title: BigQuery incremental sync"
    assert old in text
    path.write_text(text.replace(old, "title: BigQuery sync, incremental"), "utf-8")


def _pages(config: Path) -> dict[str, bytes]:
    root = config.parent / "pages"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@contextmanager
def _writes(
    monkeypatch: pytest.MonkeyPatch, keep: bool
) -> Iterator[tuple[list[PageWrite], list[int]]]:
    """The page updates of the run, and how many times a region was rendered while they
    were written; ``keep`` False drops the plan's renderings first (the write renders)."""
    seen: list[PageWrite] = []
    renders = [0]
    writing = [False]
    write_page: Callable[[LocalWorkspace, PageWrite], None] = LocalWorkspace.write_page
    render_blocks: Callable[..., str] = markdown.render_blocks

    def counted(*args: Any, **kwargs: Any) -> str:
        if writing[0]:
            renders[0] += 1
        return render_blocks(*args, **kwargs)

    def write(self: LocalWorkspace, op: PageWrite) -> None:
        if op.create:
            return write_page(self, op)
        seen.append(op)
        writing[0] = True
        try:
            write_page(self, op if keep else replace(op, rendered=None))
        finally:
            writing[0] = False

    with monkeypatch.context() as patch:
        patch.setattr(markdown, "render_blocks", counted)
        patch.setattr(LocalWorkspace, "write_page", write)
        yield seen, renders


def _sync(config: Path) -> RunReport:
    report = api.sync(config, now=NOW)
    assert report.failed == [] and report.plan.conflicts == ()
    return report


def test_a_page_update_writes_the_plans_rendering_byte_for_byte(
    acme: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sync(acme)
    again = tmp_path / "again" / "acme"
    shutil.copytree(acme.parent, again)
    twin = again / acme.name
    _rename(acme)
    _rename(twin)
    with _writes(monkeypatch, keep=True) as (reused, renders):
        _sync(acme)
    assert reused, "the rename updates pages"
    assert all(op.rendered is not None and set(op.regions) <= set(op.rendered) for op in reused)
    assert {"weekly-update/2026-W49", "action-list"} <= {op.key for op in reused}
    assert renders == [0]  # no region rendered again for the write
    with _writes(monkeypatch, keep=False) as (rendered, renders_again):
        _sync(twin)
    assert [op.key for op in rendered] == [op.key for op in reused]
    assert renders_again[0] > 0
    assert _pages(acme) == _pages(twin)
    assert _sync(acme).plan.operations == ()  # and what it wrote is what the plan wants


def test_renderings_go_when_a_link_resolves_otherwise_at_the_write() -> None:
    """``rendered`` belongs to the document the plan rendered: when the apply fills in a
    link the plan could not (a page this run created, engine/pagelinks.py), the document
    differs and is rendered again; links that resolve as for the plan keep them."""
    from opsync.documents.model import Document, Paragraph, Text, region
    from opsync.engine.apply import Targets, _linked

    named = Document(
        title="T", children=(region("r", Paragraph(inlines=(Text(text="view", page="v"),))),)
    )
    urls: dict[str, str] = {}

    class Wiki:
        def page_url(self, key: str) -> str | None:
            return urls.get(key)

    targets = Targets(wiki=Wiki(), notifier=None, feeds=None)  # type: ignore[arg-type]
    op = PageWrite(key="p", document=named, regions=("r",), linked=named, rendered={"r": "x"})
    assert _linked(targets, op).rendered == {"r": "x"}  # no URL then, none now
    urls["v"] = "https://wiki.example.com/v"  # created by this run, after the plan
    written = _linked(targets, op)
    assert written.rendered is None and written.document != named
