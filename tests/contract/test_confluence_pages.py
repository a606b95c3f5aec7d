"""Generated Confluence pages through atlassian-python-api over real HTTP to the emulator."""

from __future__ import annotations

import pytest

from opsync.connectors.base import Ownership, PageWrite, ReadResult, TrackerRead
from opsync.connectors.bundles import parse_bundle
from opsync.connectors.confluence.connector import ConfluenceWiki
from opsync.connectors.confluence.site import Site
from opsync.documents import markdown
from opsync.documents.model import Document, bullets, heading, para, region
from opsync.domain import BundleKind, EnablementBundle, Release, Section
from opsync.engine.snapshot import build_snapshot
from opsync.errors import ConflictError, PermanentError, TransientError
from opsync.http import RetryPolicy
from opsync.rules.bundles import _skeleton as skeleton
from opsync.rules.bundles import incomplete_sections, sections_complete_label, sections_for
from opsync.testing.emulators.confluence import ConfluenceEmulator

LITE = BundleKind.LITE
PERSON = "<p>Maya: context people need, kept by every sync.</p>"


@pytest.fixture
def wiki(confluence_pages: ConfluenceWiki) -> ConfluenceWiki:
    return confluence_pages


def _doc(week: int) -> Document:
    return Document(
        title="Weekly Product Update",
        children=(
            heading(1, "Weekly Product Update"),
            region("summary", para(f"Week {week}: three launches")),
            region("launches", bullets(f"ACME-{week}", "ACME-2")),
        ),
    )


def _read(wiki: ConfluenceWiki) -> ReadResult:
    return wiki.read()


def _changed(wiki: ConfluenceWiki, doc: Document, result: ReadResult) -> tuple[str, ...]:
    state = result.pages["weekly/2026-W49"]
    return tuple(
        r for r in ("summary", "launches") if state.regions[r].content != wiki.render_region(doc, r)
    )


def _body(emulator: ConfluenceEmulator) -> str:
    (page,) = [p for p in emulator.world.pages.values() if p.title == "Weekly Product Update"]
    return page.body


def _page_id(emulator: ConfluenceEmulator) -> str:
    return next(p.id for p in emulator.world.pages.values() if p.title == "Weekly Product Update")


def test_create_then_a_rewritten_body_reads_back_unchanged(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _read(wiki)
    wiki.write_page(PageWrite(key="weekly/2026-W49", document=_doc(1), create=True))
    page = confluence_emulator.world.pages[_page_id(confluence_emulator)]
    assert page.props["opsync"].value["key"] == "weekly/2026-W49"
    assert "opsync" in page.labels
    assert "ac:macro-id" in page.body  # Confluence rewrote what was sent ...
    result = _read(wiki)
    assert _changed(wiki, _doc(1), result) == ()  # ... and nothing reads as changed


def test_a_page_url_is_the_address_a_person_opens_once_the_page_exists(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _read(wiki)
    assert wiki.page_url("weekly/2026-W49") is None  # a message announcing it must wait
    wiki.write_page(PageWrite(key="weekly/2026-W49", document=_doc(1), create=True))
    page_id = _page_id(confluence_emulator)
    url = wiki.page_url("weekly/2026-W49")
    assert url == f"{confluence_emulator.base_url}/wiki/spaces/OPS/pages/{page_id}", url
    _read(wiki)  # a later run knows it from its read
    assert wiki.page_url("weekly/2026-W49") == url


def test_a_person_paragraph_between_regions_survives_three_syncs(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _read(wiki)
    wiki.write_page(PageWrite(key="weekly/2026-W49", document=_doc(1), create=True))
    page_id = _page_id(confluence_emulator)
    body = confluence_emulator.world.pages[page_id].body
    marker = body.index("<ac:structured-macro", body.index(">summary<"))  # 2nd region
    confluence_emulator.edit(page_id, body[:marker] + PERSON + body[marker:])
    for week in (2, 3, 4):
        doc = _doc(week)
        result = _read(wiki)
        changed = _changed(wiki, doc, result)
        assert changed == ("summary", "launches")
        assert not any(
            s.ownership is Ownership.EDITED
            for s in result.pages["weekly/2026-W49"].regions.values()
        )
        wiki.write_page(PageWrite(key="weekly/2026-W49", document=doc, regions=changed))
        stored = _body(confluence_emulator)
        assert PERSON in stored and f"Week {week}" in stored
        assert stored.index(">summary<") < stored.index(PERSON) < stored.index(">launches<")
    assert _changed(wiki, _doc(4), _read(wiki)) == ()


def test_a_hand_edit_inside_a_region_is_reported_not_overwritten(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _read(wiki)
    wiki.write_page(PageWrite(key="weekly/2026-W49", document=_doc(1), create=True))
    page_id = _page_id(confluence_emulator)
    confluence_emulator.edit(page_id, _body(confluence_emulator).replace("Week 1", "Week one!"))
    regions = _read(wiki).pages["weekly/2026-W49"].regions
    assert regions["summary"].ownership is Ownership.EDITED
    assert regions["launches"].ownership is Ownership.CLEAN


def test_a_409_rereads_and_replans_instead_of_overwriting(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _read(wiki)
    wiki.write_page(PageWrite(key="weekly/2026-W49", document=_doc(1), create=True))
    _read(wiki)
    page_id = _page_id(confluence_emulator)
    body = _body(confluence_emulator)
    confluence_emulator.edit(page_id, body + PERSON)  # saved after opsync's read
    wiki.write_page(PageWrite(key="weekly/2026-W49", document=_doc(2), regions=("summary",)))
    stored = _body(confluence_emulator)
    assert PERSON in stored and "Week 2" in stored
    # The save is seen by the look before the write (as a 409 would be): one write, after
    # the re-read.
    assert confluence_emulator.counts.of("PUT", "/wiki/api/v2/pages/{id}") == 1


def test_a_409_over_a_region_edit_is_a_conflict(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _read(wiki)
    wiki.write_page(PageWrite(key="weekly/2026-W49", document=_doc(1), create=True))
    _read(wiki)
    page_id = _page_id(confluence_emulator)
    confluence_emulator.edit(page_id, _body(confluence_emulator).replace("Week 1", "Week ONE"))
    with pytest.raises(ConflictError):
        wiki.write_page(PageWrite(key="weekly/2026-W49", document=_doc(2), regions=("summary",)))
    assert "Week ONE" in _body(confluence_emulator)


def test_a_lost_state_store_finds_the_page_by_its_key_not_its_title(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _read(wiki)
    wiki.write_page(PageWrite(key="weekly/2026-W49", document=_doc(1), create=True))
    page_id = _page_id(confluence_emulator)
    confluence_emulator.world.pages[page_id].title = "Renamed by a person"
    result = _read(wiki)  # a fresh read: nothing remembered but what Confluence holds
    assert result.pages["weekly/2026-W49"].regions
    assert len(confluence_emulator.world.children(confluence_emulator.root_page_id)) == 1


def test_a_create_whose_answer_was_lost_is_adopted_by_key(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _read(wiki)
    wiki.write_page(PageWrite(key="weekly/2026-W49", document=_doc(1), create=True))
    wiki.pages.known.clear()  # as if the create's answer never came back
    wiki.write_page(PageWrite(key="weekly/2026-W49", document=_doc(2), create=True))
    assert len(confluence_emulator.world.children(confluence_emulator.root_page_id)) == 1
    assert "Week 2" in _body(confluence_emulator)


def test_a_duplicate_title_of_someone_elses_page_is_reported(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    world = confluence_emulator.world
    world.add_page("OPS", "Weekly Product Update", world.root_page_id, "<p>mine</p>")
    world.pages[next(iter(world.pages.keys() - {world.root_page_id}))].status = "current"
    _read(wiki)
    with pytest.raises(PermanentError, match="already exists"):
        wiki.write_page(PageWrite(key="weekly/2026-W49", document=_doc(1), create=True))


def test_a_429_on_the_lookup_is_never_taken_for_not_found(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    wiki.api.transport._policy = RetryPolicy(max_attempts=2, sleep=lambda _: None)
    confluence_emulator.fail("GET", r"/child/page$", 429, times=2, Retry_After="1")
    with pytest.raises(TransientError):
        _read(wiki)
    assert confluence_emulator.counts.of("POST", "/wiki/api/v2/pages") == 0


def test_429_and_5xx_are_retried_by_the_one_policy(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    waits: list[float] = []
    wiki.api.transport._policy = RetryPolicy(sleep=waits.append)
    confluence_emulator.fail("GET", r"/child/page$", 429, Retry_After="2")
    confluence_emulator.fail("GET", r"/child/page$", 503)
    _read(wiki)
    assert waits[0] == 2.0 and len(waits) == 2


def test_a_validation_error_is_not_retried_and_names_the_record(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _read(wiki)
    site = Site(wiki.api, "OPS")
    with pytest.raises(PermanentError) as caught:
        wiki.api.call("POST", "/api/v2/pages", body={"title": "no space"}, record="pages/x")
    assert caught.value.record == "pages/x" and "400" in str(caught.value)
    assert confluence_emulator.counts.of("POST", "/wiki/api/v2/pages") == 1
    assert site.space_id()


def test_a_bundle_page_is_read_into_the_sections_people_wrote_as_on_every_wiki(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    """The engine reads bundle completeness from the page's text outside opsync's regions:
    what a PM writes under a heading counts, the template and opsync's own region do not,
    and the untouched page reads exactly as its Markdown rendering does on the folder."""
    release = Release(key="ACME-1", title="Usage alerts", tier=2)
    doc = Document(
        title="Launch Enablement Bundle — Usage alerts",
        children=(region("bundle.header", para("What changed: opsync's words")), *skeleton(LITE)),
    )
    wiki.write_page(PageWrite(key="bundle/ACME-1", document=doc, create=True))

    def bundle() -> EnablementBundle:
        snapshot, invalid = build_snapshot(
            TrackerRead(rows={"ACME-1": {"title": "Usage alerts", "tier": 2}}), wiki.read(), (), ()
        )
        assert invalid == []
        (found,) = snapshot.bundles
        return found

    untouched = bundle()
    folder = parse_bundle("bundle/ACME-1", markdown.render(doc))
    assert folder is not None and untouched.sections.keys() == folder.sections.keys()
    assert incomplete_sections(release, untouched) == incomplete_sections(release, folder)
    total = len(sections_for(LITE))
    assert sections_complete_label(release, untouched) == f"0/{total}"

    (page,) = [p for p in confluence_emulator.world.pages.values() if p.title == doc.title]
    heading_at = page.body.index("What changed")
    after = page.body.index("</h3>", heading_at) + len("</h3>")
    written = "<ul><li><p>Alerts fire at 80% and 100% of the plan's quota</p></li></ul>"
    page.body = page.body[:after] + written + page.body[after:]
    filled = bundle()
    assert "Alerts fire at 80% and 100%" in filled.sections[Section.WHAT_CHANGED]
    assert "opsync's words" not in " ".join(filled.sections.values())
    assert sections_complete_label(release, filled) == f"1/{total}"


def _other_region(wiki: ConfluenceWiki, key: str, text: str) -> str:
    doc = Document(title="Other", children=(region(key, para(text)),))
    return wiki.pages.renderer.region(doc, key)


def test_a_region_copied_from_another_page_is_never_removed_or_rewritten(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    """Issue 14 "Markers": a region macro opsync did not write on this page is its text."""
    _read(wiki)
    wiki.write_page(PageWrite(key="weekly/2026-W49", document=_doc(1), create=True))
    page_id = _page_id(confluence_emulator)
    copy = _other_region(wiki, "scorecard", "Q4 scorecard, pasted for the QBR")
    confluence_emulator.edit(page_id, _body(confluence_emulator) + copy)
    result = _read(wiki)
    regions = result.pages["weekly/2026-W49"].regions
    assert regions["scorecard"].ownership is Ownership.DAMAGED  # the plan never removes it
    assert any(f.code == "page.markers" and f.field == "scorecard" for f in result.findings), (
        result.findings
    )
    # even a write naming it (a forced plan would not) leaves the copy as it is
    wiki.write_page(
        PageWrite(key="weekly/2026-W49", document=_doc(2), regions=("summary", "scorecard"))
    )
    body = _body(confluence_emulator)
    assert "Q4 scorecard, pasted for the QBR" in body and "Week 2" in body


def test_a_region_pasted_twice_is_left_alone(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    _read(wiki)
    wiki.write_page(PageWrite(key="weekly/2026-W49", document=_doc(1), create=True))
    page_id = _page_id(confluence_emulator)
    copy = _other_region(wiki, "summary", "My own summary, in a copy of the region")
    confluence_emulator.edit(page_id, copy + _body(confluence_emulator))
    regions = _read(wiki).pages["weekly/2026-W49"].regions
    assert regions["summary"].ownership is Ownership.DAMAGED
    wiki.write_page(PageWrite(key="weekly/2026-W49", document=_doc(2), regions=("summary",)))
    assert "My own summary, in a copy of the region" in _body(confluence_emulator)
