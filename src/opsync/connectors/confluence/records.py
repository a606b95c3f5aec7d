"""Records the Confluence way: one page per record under its collection's parent page,
its fields in a page-properties table (see ``details.py``).

A page opsync creates carries the ``opsync`` content property
``{"key", "collection", "version", "values", "hashes"}``: the record's key (so a lost
state store finds it by key, never by title), the page version opsync's last write
produced, and, for each row opsync owns, the value it wrote and the hash of the cell it
rendered. A read compares each owned cell's hash with the stored one: a changed cell is an
edited field (a conflict the plan reports, never overwritten). An update stores the new
values first, with the hashes they replace as ``previous``, then sends the body: a run
killed between the two leaves cells matching either, which the next run takes as opsync's
own and finishes (the other order would make opsync's own write look like an edit). Rows
opsync does not own are read for the domain and never written. Pages people made by hand
under the parent are records too, keyed by their "opsync key" row or else their title.
A page with opsync's title and key row, no property, and no save but opsync's is opsync's
own create cut short before its label and property: it reads as ``unfinished``, and the
engine writes it once more (which adds them) even when the record is create-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opsync.connectors.base import ReadResult, RecordState, RecordWrite
from opsync.connectors.confluence.client import ApiError, StaleVersion
from opsync.connectors.confluence.config import (
    ConfluenceConnectorConfig,
    option_names,
    row_names,
)
from opsync.connectors.confluence.details import (
    Table,
    cell,
    find_table,
    fingerprint,
    header_key,
    parse,
    row,
    splice,
    table,
)
from opsync.connectors.confluence.site import Page, Site
from opsync.connectors.confluence.storage import StorageError, escape
from opsync.connectors.confluence.values import decode, encode, list_fields
from opsync.connectors.records import RECORD_MODELS
from opsync.domain import Collection, Finding, Level, ref
from opsync.errors import ConflictError, PermanentError

READ_ORDER: tuple[Collection, ...] = (Collection.RELEASES, *RECORD_MODELS)
_ATTEMPTS = 3  # a write re-planned after this many 409s in a row is left to the next run


def record_title(collection: Collection, key: str) -> str:
    """The page title: titles are unique per space, and keys are unique per collection
    only (a weekly update and a roadmap view can share a date), so both are in it."""
    return f"{collection.value.replace('_', ' ').capitalize()} {key}"


class RecordStore:
    """Reads every configured collection's record pages and writes opsync's rows."""

    def __init__(self, site: Site, config: ConfluenceConnectorConfig, name: str) -> None:
        self.site, self.config, self.name = site, config, name
        self.known: dict[str, Page] = {}  # record ref → its page as last read or written

    def _problem(self, record: str, field: str, message: str) -> Finding:
        return Finding(
            code="record.invalid", record=record, field=field, level=Level.ERROR, message=message
        )

    def read(self, result: ReadResult) -> None:
        """Fill ``result`` with every record page of the configured collections."""
        self.known = {}
        for collection in READ_ORDER:
            entry = self.config.collections.get(collection)
            if entry is None:
                continue
            for page in self.site.listing(entry.parent, f"the {collection.value} pages"):
                read = self._page(collection, page, result)
                if read is not None:
                    key, fields = read
                    result.fields[ref(collection, key)] = fields

    def _page(
        self, collection: Collection, page: Page, result: ReadResult
    ) -> tuple[str, dict[str, Any]] | None:
        try:
            found = find_table(page.body) or Table()
        except StorageError as exc:
            record = ref(collection, page.key or page.title)
            result.findings.append(
                self._problem(record, "body", f"{page.url}: {exc}; fix the page in the editor")
            )
            return None
        names = row_names(self.config, collection)
        many = list_fields(collection)
        fields: dict[str, Any] = {}
        for field, header in names.items():
            cell_row = found.rows.get(header_key(header))
            if cell_row is not None:
                wording = option_names(self.config, collection, field)
                fields[field] = parse(cell_row, wording, field in many)
        key = page.key or (fields.get("key") if isinstance(fields.get("key"), str) else None)
        key = (key or page.title).strip()
        record = ref(collection, key)
        if record in self.known:
            first = self.known[record]
            result.findings.append(
                self._problem(
                    record,
                    "key",
                    f"page {page.id} ({page.title}) holds the same record as page {first.id}; "
                    "opsync keeps the older one and leaves this one alone. Delete it",
                )
            )
            return None
        self.known[record] = page
        owned, edited = self._owned(collection, page, found, names)
        fields |= {f: v for f, v in owned.items() if f not in edited}
        fields.pop("key", None)
        unfinished = self._unfinished(collection, key, page, found, fields)
        if unfinished:  # every row is what opsync's create wrote: the finish writes them again
            owned = dict(fields)
        result.records[record] = RecordState(
            ref=record,
            path=self.site.web(page.url),
            owned=owned,
            edited=frozenset(edited),
            interrupted=unfinished,
        )
        return key, fields

    def _unfinished(
        self,
        collection: Collection,
        key: str,
        page: Page,
        found: Table,
        values: Mapping[str, Any],
    ) -> bool:
        """opsync's own create that a killed run left without its label and property: its
        title, and a table of the key row and rows exactly as opsync renders ``values``
        (the page's own), no property, and no save since but by opsync's account.
        A page a person made in the editor or saved since does not match, and stays theirs;
        opsync's account is asked only when a page passes the other tests."""
        names = row_names(self.config, collection)
        if page.prop is not None or page.title != record_title(collection, key):
            return False
        if header_key(names["key"]) not in found.rows or len(found.rows) != len(values) + 1:
            return False
        try:
            rendered = all(
                (at := found.rows.get(header_key(names.get(f, f)))) is not None
                and at.fingerprint == fingerprint(v, option_names(self.config, collection, f))
                for f, v in values.items()
            )
        except (TypeError, ValueError, StorageError):
            return False  # a value opsync would not write this way
        return rendered and page.editor is not None and page.editor == self.site.account()

    def _owned(
        self, collection: Collection, page: Page, found: Table, names: Mapping[str, str]
    ) -> tuple[dict[str, Any], set[str]]:
        """The values of the rows opsync owns, and those a person changed since."""
        stored = page.prop.value if page.prop is not None else {}
        values = stored.get("values")
        hashes = stored.get("hashes")
        previous = stored.get("previous")
        values = values if isinstance(values, dict) else {}
        hashes = hashes if isinstance(hashes, dict) else {}
        previous = previous if isinstance(previous, dict) else {}
        owned: dict[str, Any] = {}
        edited: set[str] = set()
        many = list_fields(collection)
        for field, value in values.items():
            current = found.rows.get(header_key(names.get(field, field)))
            if current is not None and current.fingerprint == hashes.get(field):
                owned[field] = decode(value)
                continue
            if current is None:
                # A row people deleted; or one opsync's last write was adding, which a
                # killed run did not get into the body (no hash before that write).
                if "previous" not in stored or field in previous:
                    edited.add(field)
            elif current.fingerprint != previous.get(field):
                edited.add(field)  # else: opsync's write of it did not reach the body
            wording = option_names(self.config, collection, field)
            owned[field] = parse(current, wording, field in many) if current else None
        return owned, edited

    # Writing --------------------------------------------------------------------------

    def write_record(self, op: RecordWrite) -> None:
        name, _, key = op.ref.partition("/")
        collection = Collection(name)
        page = self.known.get(op.ref)
        if page is None:
            if not op.create:
                raise PermanentError(
                    "the record's page is not under its collection's parent page any more; "
                    "move it back or let the next run recreate it",
                    connector=self.name,
                    record=op.ref,
                )
            page = self._create(op, collection, key)
            if page is None:
                return
        self._update(op, collection, key, page)

    def _parent(self, collection: Collection, record: str) -> str:
        entry = self.config.collections.get(collection)
        if entry is None:
            raise PermanentError(
                f"no page holds the {collection.value} records; run `opsync bootstrap "
                f"confluence` and paste the block it prints (connectors.{self.name}."
                f"collections.{collection.value}.parent)",
                connector=self.name,
                record=record,
            )
        return entry.parent

    def _rows(self, collection: Collection, values: Mapping[str, Any]) -> list[str]:
        names = row_names(self.config, collection)
        return [
            row(names.get(f, f), v, option_names(self.config, collection, f))
            for f, v in values.items()
        ]

    def _create(self, op: RecordWrite, collection: Collection, key: str) -> Page | None:
        """Create the record's page; returns the existing page to update instead when the
        title is taken by this very record (a create whose answer was lost)."""
        parent = self._parent(collection, op.ref)
        names = row_names(self.config, collection)
        written = {**op.people, **op.values}  # people's rows too; only opsync's are remembered
        rows = [row(names["key"], key, {}), *self._rows(collection, written)]
        body = table(rows) + (f"<p>{escape(op.body)}</p>" if op.body else "")
        title = record_title(collection, key)
        try:
            page = self.site.create(parent, title, body, record=op.ref)
        except ApiError as exc:
            if exc.status != 400 or "already exists" not in str(exc):
                raise
            existing = self.site.by_title(title, record=op.ref)
            mine = (
                existing is not None
                and existing.key == key
                and existing.prop is not None
                and existing.prop.value.get("collection") == collection.value
                and existing.status == "current"
            )
            if existing is not None and mine:
                return existing
            where = f"page {existing.id}" if existing else "an archived or restricted page"
            raise PermanentError(
                f'a page titled "{title}" already exists in the space ({where}) and is not '
                "this record's page; rename or move that page (archived pages keep their "
                "titles too), then sync again",
                connector=self.name,
                record=op.ref,
            ) from exc
        # Labelled before the property: a page left without the property by a killed run
        # is labelled on the first update (below), as a page people made is.
        self.site.label(page.id, self.config.label, record=op.ref)
        self.known[op.ref] = self._remember(op, collection, key, page, {}, created=True)
        return None

    def _update(self, op: RecordWrite, collection: Collection, key: str, page: Page) -> None:
        names = row_names(self.config, collection)
        if page.prop is None:  # opsync's first write to the page: it gets opsync's label
            self.site.label(page.id, self.config.label, record=op.ref)
        for _ in range(_ATTEMPTS):
            try:
                found = find_table(page.body)
            except StorageError as exc:
                raise PermanentError(
                    f"{page.url}: {exc}; fix the page in the editor",
                    connector=self.name,
                    record=op.ref,
                ) from None
            rows = {**op.people, **op.values}  # people's rows too; only opsync's remembered
            if found is None:  # the table was deleted: a new one goes at the top
                body = table(self._rows(collection, rows)) + page.body
            else:
                cells = {}
                added = {}
                for field, value in rows.items():
                    wording = option_names(self.config, collection, field)
                    at = header_key(names.get(field, field))
                    if at in found.rows:
                        cells[at] = cell(value, wording)
                    else:
                        added[field] = value
                body = splice(page.body, cells, self._rows(collection, added), found)
            stored = page.prop.value if page.prop is not None else {}
            try:
                self.site.writable(page, record=op.ref)
                page = self._remember(op, collection, key, page, stored)
                written = self.site.update(page, page.title, body, record=op.ref)
            except StaleVersion:
                page = self.site.page(page.id, record=op.ref)
                self._refuse_edited(op, collection, page, names)
                continue
            self.known[op.ref] = written
            return
        raise PermanentError(
            f"the page changed {_ATTEMPTS} times while opsync was updating it; the next run "
            "will try again",
            connector=self.name,
            record=op.ref,
        )

    def _refuse_edited(
        self, op: RecordWrite, collection: Collection, page: Page, names: Mapping[str, str]
    ) -> None:
        """After a 409: a person who changed a row this write would rewrite wins."""
        found = find_table(page.body) or Table()
        _, edited = self._owned(collection, page, found, names)
        clash = sorted(edited & set(op.values))
        if clash:
            raise ConflictError(
                f"{op.ref}: a person edited the field(s) {', '.join(clash)} opsync owns while "
                "opsync was updating the page; left as they are",
                target=op.ref,
                region=clash[0],
            )

    def _remember(
        self,
        op: RecordWrite,
        collection: Collection,
        key: str,
        page: Page,
        stored: Mapping[str, Any],
        *,
        created: bool = False,
    ) -> Page:
        """Store the key, the page version the write makes, and each owned row's value and
        cell hash (and the hashes they replace); the values of owned rows this write does
        not touch are kept."""
        values = dict(stored.get("values") or {})
        hashes = dict(stored.get("hashes") or {})
        previous = dict(hashes)
        for field, value in op.values.items():
            values[field] = encode(value)
            hashes[field] = fingerprint(value, option_names(self.config, collection, field))
        prop: dict[str, Any] = {
            "key": key,
            "collection": collection.value,
            "version": page.version if created else page.version + 1,
            "values": dict(sorted(values.items())),
            "hashes": dict(sorted(hashes.items())),
        }
        if previous:
            prop["previous"] = dict(sorted(previous.items()))
        return self.site.store(page, prop, record=op.ref)
