"""Reading a Notion workspace into a snapshot, and into the state of what opsync owns there.

Each collection is one data source; generated pages are rows of a ``pages`` data source
whose bodies hold opsync's region callouts. A read queries every data source (only the rows
edited lately when a :class:`~opsync.connectors.notion.mirror.Mirror` holds the others),
lists the blocks of each generated page whose row moved since they were last seen, and
remembers every row so that the writes of the same run go straight to the right page.
Reading writes nothing in Notion (``opsync plan``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from opsync.connectors.base import Ownership, PageState, ReadResult, RecordState, RegionState
from opsync.connectors.bundles import reads_text
from opsync.connectors.lease import LEASE_KEY
from opsync.connectors.notion.blocks import (
    find_regions,
    region_hash,
    region_marker,
    repeated_regions,
)
from opsync.connectors.notion.catalog import (
    PAGES,
    Catalog,
    page_property_names,
)
from opsync.connectors.notion.chunks import block_type, children_of
from opsync.connectors.notion.config import (
    property_names,
)
from opsync.connectors.notion.hashes import HASHES_FIELD, edited_fields, load_hashes, value_hash
from opsync.connectors.notion.kept import region_trees
from opsync.connectors.notion.mirror import PageMemo
from opsync.connectors.notion.page_fields import page_to_fields
from opsync.connectors.notion.pending import only_edited_by, parse_regions
from opsync.connectors.notion.properties import parse_value, plain_text, property_type
from opsync.connectors.records import (
    DERIVED_FIELDS,
    MIRRORED_FIELDS,
    TITLE_FIELDS,
    WRITTEN_WHOLE,
    domain_fields,
)
from opsync.domain import Collection, Finding, Level, Release, ref
from opsync.domain.findings import duplicate

if TYPE_CHECKING:
    from opsync.connectors.notion.lease import NotionLease

# Owned fields that may be unknown (None) but that a checkbox can only show as unticked:
# an unticked box reads back as "not set", so a mirrored unknown does not look changed.
_NULLABLE_FLAGS = frozenset(
    name for name in MIRRORED_FIELDS if Release.model_fields[name].annotation == (bool | None)
)


_FALSE = value_hash(False)


def owned_fields(collection: Collection) -> tuple[str, ...]:
    """The fields the engine writes on a record of ``collection``."""
    if collection in WRITTEN_WHOLE:
        return domain_fields(collection)[1:]  # all but the key
    mirrored = MIRRORED_FIELDS if collection is Collection.RELEASES else ()
    return (*mirrored, *DERIVED_FIELDS.get(collection, ()))


@dataclass
class PageRead:
    """A generated page as read: its row, its blocks (children attached) and stored hashes."""

    id: str
    url: str
    title: str
    blocks: list[dict[str, Any]]
    stored: dict[str, str]
    pending: dict[str, str] = field(default_factory=dict)  # see pending.py
    trash: dict[str, list[str]] = field(default_factory=dict)  # see pending.py
    # True when ``blocks`` are the region callouts kept in the mirror (kept.py), not a
    # listing; ``text`` is then the bundle's text around the regions, as kept with them
    kept: bool = False
    text: str | None = None


@dataclass
class Known:
    """What a read found, for the writes of the same run: row ids by record ref, the hashes
    each row holds of what opsync last wrote, related page id → key, pages whose blocks were
    read, and every generated page's row (blocks read when written). ``seen`` keeps each
    record's row and owned values, and ``regions`` each page's regions, as the plan saw
    them: a write checks against them that nobody changed what it overwrites (guard.py)."""

    records: dict[str, str] = field(default_factory=dict)
    hashes: dict[str, dict[str, str]] = field(default_factory=dict)
    page_keys: dict[str, str] = field(default_factory=dict)
    pages: dict[str, PageRead] = field(default_factory=dict)
    rows: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    seen: dict[str, tuple[Mapping[str, Any], dict[str, Any]]] = field(default_factory=dict)
    regions: dict[str, dict[str, RegionState]] = field(default_factory=dict)


def _duplicate(record: str, url: str, first: str) -> Finding:
    return duplicate(
        record,
        "key",
        f"{url} has the same opsync key as {first}; opsync keeps the older one and leaves "
        "this one alone. Delete it, or give it another key",
    )


def _copied(key: str, url: str, regions: Mapping[str, RegionState]) -> list[Finding]:
    return [
        Finding(
            code="page.markers",
            record=f"pages/{key}",
            field=region,
            level=Level.WARNING,
            message=(
                f"{url}: region {region} is there twice, or was not written on this page by "
                "opsync (a copy from another page?); opsync neither rewrites nor removes it. "
                "Delete the copy, or move its content out of the region callout"
            ),
        )
        for region, state in sorted(regions.items())
        if state.ownership is Ownership.DAMAGED
    ]


def outside_text(key: str, blocks: Sequence[Mapping[str, Any]]) -> str | None:
    """For a page whose text the rules read (a bundle), the text people wrote around the
    regions; None for other pages."""
    return "\n".join(_lines(blocks)) if reads_text(key) else None


def _lines(blocks: Sequence[Mapping[str, Any]], depth: int = 0) -> Iterator[str]:
    """The text of blocks outside opsync's regions, as Markdown-like lines."""
    for block in blocks:
        if region_marker(block) is not None:
            continue
        kind = block_type(block)
        text = plain_text((block.get(kind) or {}).get("rich_text"))
        if kind.startswith("heading_") and kind[-1].isdigit():
            yield "#" * int(kind[-1]) + " " + text
        elif kind == "bulleted_list_item":
            yield "  " * depth + "- " + text
        elif kind == "numbered_list_item":
            yield "  " * depth + "1. " + text
        else:
            yield text
        yield from _lines(children_of(block), depth + 1)


class Reader:
    """One read of the workspace; fills ``known`` for the writes that follow."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.api = catalog.api
        self.config = catalog.config
        self.known = Known()
        self.lease: NotionLease | None = None  # set by the connector

    def read(self) -> ReadResult:
        self.catalog.reset()
        self.known = Known()
        mirror = self.catalog.mirror
        full = mirror.begin() if mirror is not None else True
        if self.lease is not None:
            self.lease.read()
            # Rows another writer made are opsync's too (same account): the "edited by
            # someone else" filter would hide them, so everything is listed again; the
            # block ids kept of its pages may be stale in the same minute, so they go too.
            if self.lease.foreign():
                full = True
                if mirror is not None:
                    mirror.forget_blocks()
        self.catalog.full = full
        self.catalog.listed.clear()
        self.catalog.read_at.clear()
        result = ReadResult()
        rows = {c: self.catalog.rows(c.value) for c in self.catalog.configured()}
        if full and mirror is not None and mirror.enabled:
            self.bot()  # asked once, on a full pass, for the lighter reads that follow
        page_keys = {str(r["id"]): k for c, found in rows.items() for k, r in self._keyed(c, found)}
        self.known.page_keys = page_keys
        seen: dict[str, str] = {}
        for collection, found in rows.items():
            for key, row in self._keyed(collection, found):
                record, url = ref(collection, key), str(row.get("url") or row["id"])
                if record in seen:
                    result.findings.append(_duplicate(record, url, seen[record]))
                    continue
                seen[record] = url
                fields, problems = page_to_fields(row, self.config, collection, page_keys)
                result.findings.extend(problems)
                self.known.records[record] = str(row["id"])
                stored = self.known.hashes[record] = load_hashes(fields.pop(HASHES_FIELD, None))
                owned = self.owned(collection, fields, row, stored)
                self.known.seen[record] = (row, owned)
                result.records[record] = RecordState(
                    ref=record, path=url, owned=owned, edited=edited_fields(owned, stored)
                )
                result.fields[record] = fields
        if self.catalog.pages is not None:
            self._pages(result)
        result.findings.extend(self.catalog.sources.notes)
        if mirror is not None:
            mirror.finish(full, result.pages if self.catalog.pages is not None else None)
        return result

    def _keyed(
        self, collection: Collection, rows: list[Mapping[str, Any]]
    ) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """(key, row) of rows with a key: the opsync key, else (made by hand) the title."""
        names = property_names(self.config, collection)
        title = names.get(TITLE_FIELDS.get(collection, "title"), "")
        for row in rows:
            props = row.get("properties") or {}
            for name in (names["key"], title):
                value = parse_value(props[name]) if name in props else None
                if isinstance(value, str) and value.strip():
                    yield value.strip(), row
                    break

    def owned(
        self,
        collection: Collection,
        fields: Mapping[str, Any],
        row: Mapping[str, Any],
        hashes: Mapping[str, str],
    ) -> dict[str, Any]:
        """The owned fields of a row (or of a request body, read back as Notion stores it).

        A checkbox cannot say "unknown": an unticked box is ``False`` when the hash opsync
        stored says it wrote ``False`` there, else unknown (``None``). Either way the value
        reads back as the one opsync wrote, so a second run has nothing to write."""
        owned = {f: fields[f] for f in owned_fields(collection) if f in fields}
        if collection is Collection.RELEASES:
            names = property_names(self.config, collection)
            props = row.get("properties") or {}
            for flag in _NULLABLE_FLAGS:
                kind = property_type(props.get(names[flag]) or {})
                if kind == "checkbox" and owned.get(flag) is False:
                    owned[flag] = False if hashes.get(flag) == _FALSE else None
        return owned

    def tree(self, block_id: str, what: str, *, deep: bool) -> list[dict[str, Any]]:
        """The blocks under ``block_id``, children attached: all of them when ``deep``, else
        only inside opsync's region callouts."""
        blocks = [
            dict(b)
            for b in self.api.paginate(self.api.sdk.blocks.children.list, block_id, what=what)
        ]
        for block in blocks:
            if block.get("has_children") and (deep or region_marker(block) is not None):
                block["children"] = self.tree(str(block["id"]), what, deep=True)
        return blocks

    def page(self, row: Mapping[str, Any], key: str) -> PageRead:
        """A generated page's blocks and stored region hashes (bundles read whole, for the
        text people wrote around the regions)."""
        blocks = self.tree(str(row["id"]), f"the page {key}", deep=reads_text(key))
        return self._marked(row, blocks)

    def _marked(self, row: Mapping[str, Any], blocks: list[dict[str, Any]]) -> PageRead:
        names = page_property_names(self.catalog.pages)
        props = row.get("properties") or {}
        text = parse_value(props[names["regions"]]) if names["regions"] in props else ""
        stored, pending, trash = parse_regions(text)
        title = parse_value(props[names["title"]]) if names["title"] in props else ""
        return PageRead(
            id=str(row["id"]),
            url=str(row.get("url") or row["id"]),
            title=title if isinstance(title, str) else "",
            blocks=blocks,
            stored=stored,
            pending=pending,
            trash=trash,
        )

    def kept(self, row: Mapping[str, Any], key: str) -> PageRead | None:
        """Page ``key`` from the block ids kept in the mirror instead of a listing (kept.py):
        only while its row has the stamp and editor of the memo they were kept with, every
        region's tree is known, none is a person's copy, and no unfinished write is marked
        on the page. None otherwise: the page is listed."""
        mirror = self.catalog.mirror
        memo = mirror.page(key, row) if mirror is not None else None
        if memo is None or memo.blocks is None or set(memo.blocks) != set(memo.regions):
            return None
        if any(r.ownership is Ownership.DAMAGED for r in memo.regions.values()):
            return None
        page = self._marked(row, [copy.deepcopy(memo.blocks[k]) for k in sorted(memo.blocks)])
        if page.pending or page.trash:
            return None
        page.kept, page.text = True, memo.text
        return page

    def _pages(self, result: ReadResult) -> None:
        names = page_property_names(self.catalog.pages)
        mirror = self.catalog.mirror
        for row in self.catalog.rows(PAGES):
            props = row.get("properties") or {}
            key = parse_value(props[names["key"]]) if names["key"] in props else None
            if not isinstance(key, str) or not key.strip():
                continue  # a page people added to the data source by hand
            key = key.strip()
            if key == LEASE_KEY:
                continue  # the write lease (lease.py), no page
            if key in result.pages:
                url = str(row.get("url") or row["id"])
                result.findings.append(_duplicate(f"pages/{key}", url, result.pages[key].path))
                continue
            memo = mirror.page(key, row) if mirror is not None else None
            self.known.rows[key] = row
            if memo is None:
                page = self.known.pages[key] = self.page(row, key)
                text = outside_text(key, page.blocks)
                memo = PageMemo.of(row, self.regions(page), text, region_trees(page.blocks))
                if mirror is not None:
                    mirror.keep(key, memo)
            self.known.regions[key] = dict(memo.regions)
            result.findings.extend(_copied(key, memo.url, memo.regions))
            result.pages[key] = PageState(
                key=key, path=memo.url, regions=memo.regions, text=memo.text
            )

    def regions(self, page: PageRead) -> dict[str, RegionState]:
        """Each region's content hash as read back; edited when it is not the hash opsync
        stored with its last write, nor (pending.py) its own unfinished write."""
        out: dict[str, RegionState] = {}
        twice = repeated_regions(page.blocks)
        for key, callout in find_regions(page.blocks).items():
            content = region_hash(children_of(callout))
            stored = page.stored.get(key)
            mark = page.pending.get(key)
            if key in twice or (page.stored and stored is None and mark is None):
                # a copy: twice in the page, or a region opsync never wrote here (pasted
                # from another page); it is the person's text, never rewritten or removed
                out[key] = RegionState(content=content, ownership=Ownership.DAMAGED)
                continue
            landed = mark == content and stored != content
            edited = stored is not None and stored != content and not landed
            theirs = edited and not only_edited_by(callout, self.bot())
            if edited and mark is not None:
                edited = theirs
            state = (
                Ownership.INTERRUPTED if landed else Ownership.EDITED if edited else Ownership.CLEAN
            )
            out[key] = RegionState(content=content, ownership=state, by_person=theirs)
        return out

    def bot(self) -> str:
        return self.catalog.bot()
