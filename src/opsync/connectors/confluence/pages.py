"""Generated pages: found by the key in their content property, rewritten region by region.

Every generated page is a child of the pages parent and carries the ``opsync`` content
property ``{"key", "version", "regions": {region: hash}}``: its stable key, the page
version opsync's last write produced, and the hash of what opsync rendered per region. So

- a lost state store finds the page by listing the parent's children and reading the key,
  never by title, and creates no duplicate;
- each region's canonical hash (:func:`~opsync.connectors.confluence.regions.region_hash`)
  is compared with the stored one, and a changed region is reported as edited (a
  conflict), never overwritten;
- an update stores the new hashes (and, as ``previous``, the ones they replace) *before*
  it sends the body, the version read plus one: a run killed between the two requests
  leaves a page whose regions match either, which the next run takes as opsync's own and
  finishes, where the other order would leave opsync's own write looking like a person's
  edit. A 409 re-reads the page and plans it again;
- a chart's picture is a file attached to the page, named after its data, uploaded before
  the hashes and the body that show it (:meth:`PageStore._attach`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from opsync.connectors import charts
from opsync.connectors.base import Ownership, PageState, PageWrite, RegionState
from opsync.connectors.bundles import reads_text
from opsync.connectors.confluence.client import ApiError, StaleVersion
from opsync.connectors.confluence.regions import (
    find_regions,
    fragment,
    region_hash,
    repeated,
    splice,
)
from opsync.connectors.confluence.site import Page, Site
from opsync.connectors.confluence.storage import Renderer, attachments
from opsync.connectors.confluence.text import outside_text
from opsync.documents.model import Block, Chart, Document, find_region, region_keys
from opsync.domain import Finding, Level
from opsync.domain.findings import duplicate
from opsync.errors import ConflictError, PermanentError

_ATTEMPTS = 3  # an update re-planned after this many 409s in a row is left to the next run


def stored_regions(page: Page) -> dict[str, str]:
    regions = page.prop.value.get("regions") if page.prop else None
    return {str(k): str(v) for k, v in regions.items()} if isinstance(regions, dict) else {}


def _previous(page: Page) -> dict[str, str]:
    regions = page.prop.value.get("previous") if page.prop else None
    return {str(k): str(v) for k, v in regions.items()} if isinstance(regions, dict) else {}


def region_states(page: Page) -> dict[str, RegionState]:
    """Each region found in the page: its hash, and its state. A region holding what
    opsync's last write rendered is clean; one holding what that write replaced is the write
    cut short before the body (the hashes are stored first); anything else a person
    edited. A region opsync cannot prove it wrote on this page (its key is not in the page's
    property: a copy from another page; or its key appears twice) is ``DAMAGED``: never
    written, removed or added again (:func:`marker_problems` says why)."""
    stored, previous = stored_regions(page), _previous(page)
    states: dict[str, RegionState] = {}
    twice = repeated(page.body)
    for key, span in find_regions(page.body).items():
        current = region_hash(fragment(page.body, span))
        if key in twice or (page.prop is not None and key not in stored and key not in previous):
            state = Ownership.DAMAGED
        elif key not in stored or current == stored[key]:
            state = Ownership.CLEAN
        elif current == previous.get(key):
            state = Ownership.INTERRUPTED
        else:
            state = Ownership.EDITED
        states[key] = RegionState(content=current, ownership=state)
    return states


def marker_problems(key: str, page: Page, states: Mapping[str, RegionState]) -> list[Finding]:
    """A finding for each region of ``page`` that opsync cannot prove it wrote there."""
    twice = repeated(page.body)
    found: list[Finding] = []
    for region, state in states.items():
        if state.ownership is not Ownership.DAMAGED:
            continue
        why = (
            f"region {region} appears more than once, so opsync cannot tell its own from a "
            "copy; delete the copies (or move their content outside the region macros)"
            if region in twice
            else f"region {region} was not written on this page by opsync (a copy from "
            "another page?); it is the page's text: move its content out of the region macro, "
            "or delete the macro"
        )
        found.append(
            Finding(
                code="page.markers",
                record=f"pages/{key}",
                field=region,
                level=Level.WARNING,
                message=f"page {page.id} ({page.title}), {why}; until then opsync neither "
                "rewrites, removes nor adds that region (--force too)",
            )
        )
    return found


class PageStore:
    """Reads and writes the generated pages under ``parent`` (a page id)."""

    def __init__(self, site: Site, renderer: Renderer, parent: str | None, name: str, label: str):
        self.site, self.renderer, self.parent = site, renderer, parent
        self.name, self.label = name, label
        self.known: dict[str, Page] = {}
        self._attached: set[tuple[str, str]] = set()  # (page id, file name) seen there

    def render_region(self, document: Document, key: str) -> str:
        return region_hash(self.renderer.region(document, key))

    def read(self) -> tuple[dict[str, PageState], list[Finding]]:
        self.known = {}
        states: dict[str, PageState] = {}
        findings: list[Finding] = []
        if self.parent is None:
            return states, findings
        for page in self.site.listing(self.parent, "the generated pages"):
            key = page.key
            if key is None:
                continue  # a page people put there by hand
            if key in self.known:
                findings.append(
                    duplicate(
                        f"pages/{key}",
                        "key",
                        f"page {page.id} ({page.title}) carries the same opsync key as page "
                        f"{self.known[key].id}; opsync keeps the older one and leaves this one "
                        "alone. Delete it",
                    )
                )
                continue
            self.known[key] = page
            text = outside_text(page.body) if reads_text(key) else None
            regions = region_states(page)
            findings.extend(marker_problems(key, page, regions))
            states[key] = PageState(
                key=key, path=self.site.web(page.url), regions=regions, text=text
            )
        return states, findings

    def write_page(self, op: PageWrite) -> None:
        record = f"pages/{op.key}"
        if self.parent is None:
            raise PermanentError(
                "no page is configured to hold the generated pages",
                connector=self.name,
                record=record,
            )
        page = self.known.get(op.key)
        if page is None:
            page = self._create(op, record)
            if page is None:
                return
            op = PageWrite(key=op.key, document=op.document)  # adopted: rewrite every region
        self._update(op, page, record)

    def _value(
        self,
        key: str,
        version: int,
        regions: Mapping[str, str],
        previous: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        value: dict[str, Any] = {
            "key": key,
            "version": version,
            "regions": dict(sorted(regions.items())),
        }
        if previous:
            value["previous"] = dict(sorted(previous.items()))
        return value

    def _create(self, op: PageWrite, record: str) -> Page | None:
        """Create the page; returns the existing page to update instead when a page with
        the title is already opsync's page for this key (a create whose answer was lost)."""
        doc = op.document
        assert self.parent is not None
        try:
            page = self.site.create(
                self.parent, doc.title, self.renderer.document(doc), record=record
            )
        except ApiError as exc:
            if exc.status != 400 or "already exists" not in str(exc):
                raise
            existing = self.site.by_title(doc.title, record=record)
            if existing is not None and existing.status == "current":
                if existing.key == op.key:
                    return existing
                if existing.prop is None and self._half_made(existing, doc):
                    self.site.label(existing.id, self.label, record=record)
                    return existing
            where = f"page {existing.id}" if existing else "an archived or restricted page"
            raise PermanentError(
                f'a page titled "{doc.title}" already exists in the space ({where}) and is not '
                "opsync's page for this key; rename or move that page (archived pages keep "
                "their titles too), then sync again",
                connector=self.name,
                record=record,
            ) from exc
        # A file needs its page: the one request a new page's picture comes after the body
        # (shown as a placeholder meanwhile); the page has no attachments yet, so none is
        # listed, and the upload comes before the property whose hashes vouch for it.
        for chart in charts.charts(doc.children):
            self._attach(page, chart, record, fresh=True)
        hashes = {k: self.render_region(doc, k) for k in region_keys(doc.children)}
        self.site.label(page.id, self.label, record=record)
        page = self.site.store(page, self._value(op.key, page.version, hashes), record=record)
        self.known[op.key] = page
        return None

    def _half_made(self, page: Page, doc: Document) -> bool:
        """Whether ``page`` is this page as a killed run left it, created without its
        property yet: under the pages parent, holding exactly the document's regions."""
        parent = page.raw.get("parentId")
        if parent is not None and str(parent) != self.parent:
            return False
        return set(find_regions(page.body)) == set(region_keys(doc.children))

    def _update(self, op: PageWrite, page: Page, record: str) -> None:
        doc = op.document
        regions = op.regions or tuple(region_keys(doc.children))
        for _ in range(_ATTEMPTS):
            present = find_regions(page.body)
            blocked = {
                r for r, s in region_states(page).items() if s.ownership is Ownership.DAMAGED
            }
            replace = {
                r: self.renderer.region(doc, r)
                for r in regions
                if r in present and r not in blocked
            }
            new = [
                r for r in regions if r not in present and find_region(doc.children, r) is not None
            ]
            added = [self.renderer.region(doc, r) for r in new]
            body = splice(page.body, replace, added)
            before = stored_regions(page)
            hashes = dict(before)
            for r in regions:
                if r in blocked:
                    continue
                if find_region(doc.children, r) is None:
                    hashes.pop(r, None)
                else:
                    hashes[r] = self.render_region(doc, r)
            value = self._value(op.key, page.version + 1, hashes, before)
            try:
                self.site.writable(page, record=record)
                for chart in _charts(doc, [*replace, *new]):
                    self._attach(page, chart, record)
                page = self.site.store(page, value, record=record)
                written = self.site.update(page, page.title, body, record=record)
            except StaleVersion:
                page = self.site.page(page.id, record=record)
                edited = [
                    r
                    for r, s in region_states(page).items()
                    if s.ownership is Ownership.EDITED and r in regions
                ]
                if edited:
                    raise ConflictError(
                        f"{record}: a person edited the opsync region(s) {', '.join(edited)} "
                        "while opsync was updating the page; left as they are",
                        target=record,
                        region=edited[0],
                    ) from None
                continue
            self.known[op.key] = written
            return
        raise PermanentError(
            f"the page changed {_ATTEMPTS} times while opsync was updating it; the next run "
            "will try again",
            connector=self.name,
            record=record,
        )

    def _attach(self, page: Page, chart: Chart, record: str, *, fresh: bool = False) -> None:
        """Attach the chart's picture to ``page`` before a body showing it is sent, unless
        it is there: the name carries the chart's fingerprint, so a name on the page is
        these very bytes. Known without a request when a region opsync provably wrote (its
        hash is the stored one, stored only after the upload) shows it; else one listing
        filtered by the name. Once per page and name in a run, 409 retries included."""
        if (page.id, chart.filename) in self._attached:
            return
        there = not fresh and (
            _shown(page, chart.filename)
            or self.site.attached(page.id, chart.filename, record=record)
        )
        if not there:
            data = charts.draw(chart)
            self.site.attach(page.id, chart.filename, data, "image/png", record=record)
        self._attached.add((page.id, chart.filename))


def _charts(doc: Document, regions: Sequence[str]) -> Iterator[Chart]:
    """The charts of the regions ``regions`` of ``doc``, the ones a write sends."""
    for key in regions:
        node = find_region(doc.children, key)
        children: tuple[Block, ...] = node.children if node is not None else ()
        yield from charts.charts(children)


def _shown(page: Page, filename: str) -> bool:
    """Whether a region of ``page`` as read shows ``filename`` and holds what opsync's last
    write stored the hash of: that write came after the file's upload."""
    stored = stored_regions(page)
    for key, span in find_regions(page.body).items():
        markup = fragment(page.body, span)
        if key in stored and region_hash(markup) == stored[key] and filename in attachments(markup):
            return True
    return False
