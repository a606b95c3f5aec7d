"""A chart on a Confluence page is a file attached to it, shown by ``<ac:image>``: uploaded
once, before the body that shows it, and never again while its name (its data) stands;
whether it is there comes from the page's stored hashes when they vouch for it, else from
one filtered listing."""

from __future__ import annotations

import pytest

from opsync.connectors import charts
from opsync.connectors.base import PageWrite
from opsync.connectors.confluence.connector import ConfluenceWiki
from opsync.connectors.confluence.storage import Renderer
from opsync.documents.model import Chart, Document, Series, heading, para, region
from opsync.testing.emulators.confluence import ConfluenceEmulator
from opsync.testing.emulators.confluence_model import PageRec

ATTACHMENTS = "/wiki/rest/api/content/{id}/child/attachment"
KEY = "scorecard/2026-Q4"
pytestmark = pytest.mark.skipif(not charts.available(), reason="needs the charts extra")


def _chart(values: tuple[float, ...] = (40.0, 55.0)) -> Chart:
    return Chart(
        name="scorecard-2026-Q4",
        title="Scorecard by week",
        labels=("W47", "W48"),
        series=(Series(name="Adoption", values=values),),
        unit="%",
        text="The chart is not drawn here.",
    )


def _doc(note: str, chart: Chart | None = None) -> Document:
    trend = (para(note), chart) if chart is not None else (para(note),)
    return Document(
        title="Scorecard 2026-Q4", children=(heading(1, "Scorecard"), region("trend", *trend))
    )


def _sync(wiki: ConfluenceWiki, doc: Document) -> None:
    state = wiki.read().pages.get(KEY)
    regions = ("trend",) if state is not None else ()
    wiki.write_page(PageWrite(key=KEY, document=doc, regions=regions))


def _page(emulator: ConfluenceEmulator) -> PageRec:
    (page,) = [p for p in emulator.world.pages.values() if p.title == "Scorecard 2026-Q4"]
    return page


def test_the_chart_renders_as_an_attached_image_with_its_title() -> None:
    markup = Renderer().block(_chart())
    assert f'<ri:attachment ri:filename="{_chart().filename}" />' in markup
    assert 'ac:alt="Scorecard by week"' in markup and "<em>Scorecard by week</em>" in markup


def test_uploaded_once_and_known_from_the_stored_hashes_after(
    confluence_pages: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _sync(confluence_pages, _doc("first", _chart()))
    page = _page(confluence_emulator)
    assert [a.title for a in page.attachments] == [_chart().filename]
    assert confluence_emulator.counts.of("GET", ATTACHMENTS) == 0  # a new page has none

    confluence_emulator.reset_counts()
    _sync(confluence_pages, _doc("second", _chart()))  # the region changes, its chart does not
    assert _chart().filename in page.body
    assert "second" in page.body
    assert confluence_emulator.counts.of("GET", ATTACHMENTS) == 0  # the stored hash vouches
    assert confluence_emulator.counts.of("POST", ATTACHMENTS) == 0


def test_a_new_chart_is_looked_for_once_and_uploaded_before_the_body(
    confluence_pages: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _sync(confluence_pages, _doc("no chart yet"))
    confluence_emulator.reset_counts()
    _sync(confluence_pages, _doc("now drawn", _chart((10.0, 20.0))))
    page = _page(confluence_emulator)
    assert [a.title for a in page.attachments] == [_chart((10.0, 20.0)).filename]
    assert confluence_emulator.counts.of("GET", ATTACHMENTS) == 1
    assert confluence_emulator.counts.of("POST", ATTACHMENTS) == 1


def test_a_file_a_killed_run_attached_is_found_and_not_sent_again(
    confluence_pages: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _sync(confluence_pages, _doc("no chart yet"))
    chart = _chart((1.0, 2.0))
    page_id = _page(confluence_emulator).id
    confluence_pages.site.attach(
        page_id, chart.filename, charts.draw(chart), "image/png", record=None
    )
    confluence_emulator.reset_counts()
    _sync(confluence_pages, _doc("drawn", chart))
    assert confluence_emulator.counts.of("GET", ATTACHMENTS) == 1
    assert confluence_emulator.counts.of("POST", ATTACHMENTS) == 0
    assert chart.filename in _page(confluence_emulator).body
