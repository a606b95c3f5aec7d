"""Writing the engine's operations into Notion: owned properties, and generated pages.

Creates look their key up first (a data source query on the "opsync key" property): after a
create whose answer was lost, or with the state store gone, the row found is updated instead
of a second one made (NOTES.md 13). A page update rewrites only the blocks of a region that
differ (``diff_children``), then stores the regions' hashes in the page's "opsync regions"
property, so the next read can tell a person's edit from opsync's own. Each write leaves
the row Notion answered with, and a page's regions as written, in the connector's mirror, so
the next run does not read again what it has just written; with them, when all are known,
the ids of the regions' blocks, so that the page's next update lists none (kept.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opsync.connectors import charts
from opsync.connectors.base import Ownership, PageWrite, RecordWrite, RegionState
from opsync.connectors.notion.blocks import (
    UPLOAD_PLACEHOLDER,
    BlockOp,
    DeleteBlock,
    InsertBlocks,
    diff_children,
    find_regions,
    holds,
    normalise,
    region_hash,
    render_blocks,
    render_region,
)
from opsync.connectors.notion.catalog import PAGES, page_property_names
from opsync.connectors.notion.chunks import Payload, children_of, plan_appends, resolve
from opsync.connectors.notion.client import NotFoundError, ValidationError
from opsync.connectors.notion.config import NotionConnectorConfig, property_names
from opsync.connectors.notion.guard import Guard
from opsync.connectors.notion.hashes import HASHES_FIELD, dump_hashes, value_hash
from opsync.connectors.notion.kept import Essence, region_trees, replay
from opsync.connectors.notion.mirror import PageMemo
from opsync.connectors.notion.page_fields import fields_to_properties, page_to_fields
from opsync.connectors.notion.pending import dump_regions
from opsync.connectors.notion.properties import build_value, property_type
from opsync.connectors.notion.reader import PageRead, Reader, outside_text
from opsync.documents.model import Chart, Document, find_region, region_keys
from opsync.domain import Collection, Finding
from opsync.errors import ConflictError, ConnectorError, PermanentError

# Notion-Version from which `after` became `position` (NOTES.md 1, 11).
_POSITION_VERSION = "2026-03-11"


def region_content(document: Document, key: str) -> str:
    """The hash a region of ``document`` has once written (what the reader reads back)."""
    node = find_region(document.children, key)
    return region_hash(render_blocks(node.children) if node is not None else [])


@contextmanager
def _about(record: str) -> Iterator[None]:
    """Name ``record`` in any connector error raised inside, also by shared lookups."""
    try:
        yield
    except ConnectorError as exc:
        exc.record = exc.record or record
        raise


def _kind(page_key: str) -> str:
    return page_key.split("/", 1)[0]


class Writer:
    """Applies record and page writes, using what the run's read found."""

    def __init__(self, reader: Reader, name: str) -> None:
        self.reader = reader
        self.catalog = reader.catalog
        self.api = reader.api
        self.config: NotionConnectorConfig = reader.config
        self.name = name
        self.guard = Guard(reader, name)
        self._charts: dict[str, Chart] = {}  # the charts of the page being written, by file
        self._sent: dict[str, str] = {}  # pictures uploaded this run: file name → upload id

    # Records ---------------------------------------------------------------------

    def lookup(self, where: str, key_property: str, key: str) -> str | None:
        """The oldest live row of ``where`` whose key property equals ``key``; asked only
        when this run's read did not list every row of ``where`` (after a killed run, rows
        it created may be missing from an incremental read and its mirror)."""
        if where in self.catalog.listed:
            return None
        kind = property_type(self.catalog.schema(where).get(key_property) or {}) or "rich_text"
        flt = {"property": key_property, kind: {"equals": key}}
        found = self.api.call(
            self.api.sdk.data_sources.query, self.catalog.source(where), filter=flt, page_size=10
        )
        live = self.catalog.oldest_first(found.get("results", []))
        return str(live[0]["id"]) if live else None

    def _remember(self, where: str, row: Mapping[str, Any]) -> None:
        self.catalog.wrote(row)
        if self.catalog.mirror is not None:
            self.catalog.mirror.remember(self.catalog.source(where), row)

    def _settle(
        self,
        key: str,
        row: Mapping[str, Any],
        regions: Mapping[str, RegionState],
        text: str | None,
        blocks: Mapping[str, Essence] | None = None,
    ) -> None:
        """Keep what page ``key`` now holds (``blocks``: its regions' block ids, when all
        are known), valid while its row keeps this stamp and editor."""
        self._remember(PAGES, row)
        if self.catalog.mirror is not None:
            self.catalog.mirror.keep(key, PageMemo.of(row, regions, text, blocks))
        self.reader.known.rows[key] = row

    def _problems(self, findings: list[Finding], record: str) -> PermanentError:
        return PermanentError(
            "; ".join(f.message for f in findings), connector=self.name, record=record
        )

    def write_record(self, op: RecordWrite) -> None:
        if self.reader.lease is not None:
            self.reader.lease.tick()
        with _about(op.ref):
            self._again(op.ref.partition("/")[0], lambda: self._write_record(op))

    def _again(self, where: str, write: Callable[[], None], page: str | None = None) -> None:
        """``write()``; once more with the schema of ``where`` read again when the one kept
        from an earlier run did not fit: Notion refused a property (renamed or retyped since,
        400 ``validation_error``) or the config names one the kept schema lacks. A refused
        request wrote nothing; a page update may have rewritten blocks before its property
        write was refused, so its blocks (``page``) are listed again for the second try
        (the ids kept of them are out of date)."""
        try:
            write()
        except (ValidationError, _Unknown):
            if not self.catalog.stale(where):
                raise
            self.catalog.forget_schema(where)
            if page is not None:
                self.reader.known.pages.pop(page, None)
                if self.catalog.mirror is not None:
                    self.catalog.mirror.forget_blocks(page)
            write()

    def _with_hashes(
        self,
        collection: Collection,
        op: RecordWrite,
        props: dict[str, Any],
        schema: Mapping[str, Any],
    ) -> dict[str, Any]:
        """``props`` plus the row's hashes of what opsync wrote, this write's fields updated
        (read back from the body as a read parses the row); unchanged without the property."""
        name = property_names(self.config, collection)[HASHES_FIELD]
        if property_type(schema.get(name) or {}) != "rich_text":
            return props  # doctor reports it: without it, edits cannot be told apart
        fields, _ = page_to_fields(
            {"properties": props}, self.config, collection, self.reader.known.page_keys
        )
        meant = {f: value_hash(v) for f, v in op.values.items()}
        written = self.reader.owned(collection, fields, {"properties": props}, meant)
        record = op.ref
        before = self.reader.known.hashes.get(record, {})
        hashes = {**before, **{f: value_hash(v) for f, v in written.items()}}
        if not written or hashes == before:
            return props
        self.reader.known.hashes[record] = hashes
        return {**props, name: build_value("rich_text", dump_hashes(hashes))}

    def _write_record(self, op: RecordWrite) -> None:
        name, _, key = op.ref.partition("/")
        collection = Collection(name)
        schema = self.catalog.schema(name)
        known = self.reader.known.records
        # people's fields ride in the same request; the hashes cover only opsync's own
        props, problems = fields_to_properties(
            {**op.people, **op.values}, schema, self.config, collection, record=op.ref
        )
        if problems and self.catalog.stale(name):
            raise _Unknown(problems[0].message, connector=self.name, record=op.ref)
        props = self._with_hashes(collection, op, props, schema)
        page_id = known.get(op.ref)
        if page_id is None:
            keyed, missing = fields_to_properties(
                {"key": key}, schema, self.config, collection, record=op.ref
            )
            if missing:
                raise self._problems(missing, op.ref)
            page_id = self.lookup(name, next(iter(keyed)), key)
            if page_id is None:
                title = next((n for n, p in schema.items() if property_type(p) == "title"), None)
                if title is not None and title not in props and title not in keyed:
                    keyed[title] = build_value("title", key)  # a row never goes without a name
                created = self.api.call(
                    self.api.sdk.pages.create,
                    parent={"type": "data_source_id", "data_source_id": self.catalog.source(name)},
                    properties={**props, **keyed},
                    record=op.ref,
                )
                known[op.ref] = str(created["id"])
                self._remember(name, created)
                if problems:
                    raise self._problems(problems, op.ref)
                return
            known[op.ref] = page_id
        elif props:
            self.guard.record(op, collection, page_id)
        if props:
            try:
                row = self.api.call(
                    self.api.sdk.pages.update, page_id, properties=props, record=op.ref
                )
            except ValidationError as exc:
                if "archived" not in str(exc):
                    raise
                raise PermanentError(
                    f"{op.ref} was moved to the trash after opsync read it; left there (restore "
                    "it from the trash for opsync to update it again)",
                    connector=self.name,
                    record=op.ref,
                ) from exc
            self._remember(name, row)
        if problems:
            raise self._problems(problems, op.ref)

    # Pages -----------------------------------------------------------------------

    def _page_properties(
        self,
        op: PageWrite,
        stored: Mapping[str, str],
        pending: Mapping[str, str] | None = None,
        trash: Mapping[str, list[str]] | None = None,
    ) -> dict[str, Any]:
        names = page_property_names(self.catalog.pages)
        schema = self.catalog.schema(PAGES)
        values = {
            "key": op.key,
            "title": op.document.title,
            "kind": _kind(op.key),
            "regions": dump_regions(stored, pending, trash),
        }
        props: dict[str, Any] = {}
        for field, value in values.items():
            entry = schema.get(names[field])
            if entry is None:
                if field in ("key", "regions"):
                    raise _Unknown(
                        f'the pages data source has no property "{names[field]}"; add it (text), '
                        "or run `opsync bootstrap notion`",
                        connector=self.name,
                        record=f"pages/{op.key}",
                    )
                continue
            props[names[field]] = build_value(property_type(entry), value)
        return props

    def write_page(self, op: PageWrite) -> None:
        if self.reader.lease is not None:
            self.reader.lease.tick()
        with _about(f"pages/{op.key}"):
            self._again(PAGES, lambda: self._write_page(op), page=op.key)

    def _write_page(self, op: PageWrite) -> None:
        self._charts = {c.filename: c for c in charts.charts(op.document.children)}
        regions = op.regions or tuple(region_keys(op.document.children))
        page = self.guard.page(op.key, regions)
        if page is None:
            names = page_property_names(self.catalog.pages)
            found = self.lookup(PAGES, names["key"], op.key)
            if found is None:
                self._create_page(op)
                return
            row = self.api.call(self.api.sdk.pages.retrieve, found, record=f"pages/{op.key}")
            page = self.reader.page(row, op.key)
            op = PageWrite(key=op.key, document=op.document)  # rewrite every region
        try:
            self._update_page(op, page)
        except _Stale:
            self._update_page(op, self._relisted(op.key, regions))

    def _relisted(self, key: str, regions: tuple[str, ...]) -> PageRead:
        """Page ``key`` listed again, after a block whose id was kept turned out gone: a
        conflict, before anything more is written, when a region the write rewrites now
        differs from the read and holds a block someone other than opsync edited last.
        What the failed attempt wrote before it stopped is opsync's own (its deletes were
        each checked, writer ``_delete``), so the update starts again from the listing."""
        if self.catalog.mirror is not None:
            self.catalog.mirror.forget_blocks(key)
        page = self.reader.page(self.reader.known.rows[key], key)
        now = self.reader.regions(page)
        then = self.reader.known.regions.get(key, {})
        clash = [
            r
            for r in regions
            if r in now
            and now[r].by_person
            and now[r].content != (then[r].content if r in then else None)
        ]
        if clash:
            raise ConflictError(
                f"pages/{key}: a person edited the opsync region(s) {', '.join(clash)} after "
                "opsync read the page and before it wrote; left as they are. Rerun to see the "
                "conflict and decide (or force it)",
                target=f"pages/{key}",
                region=clash[0],
            )
        return page

    def _create_page(self, op: PageWrite) -> None:
        record = f"pages/{op.key}"
        blocks = render_blocks(op.document.children)
        done = {key: region_content(op.document, key) for key in region_keys(op.document.children)}
        parent = {"type": "data_source_id", "data_source_id": self.catalog.source(PAGES)}
        calls = plan_appends("", blocks)
        regions = {k: RegionState(content=h) for k, h in done.items()}
        text = outside_text(op.key, blocks)
        if len(calls) <= 1:  # one request holds it all: properties, hashes and blocks at once
            children = self._uploaded(calls[0].children, record) if calls else []
            row = self.api.call(
                self.api.sdk.pages.create,
                parent=parent,
                properties=self._page_properties(op, done),
                children=children,
                record=record,
            )
            self._settle(op.key, row, regions, text)
            return
        # The hashes go last, marked pending until then: a page left half-written by a failure
        # reads as opsync's own unfinished write and is completed by the next run, instead of
        # looking like a person's edit.
        created = self.api.call(
            self.api.sdk.pages.create,
            parent=parent,
            properties=self._page_properties(op, {}, done),
            record=record,
        )
        page_id = str(created["id"])
        self._append(page_id, blocks, None, record)
        row = self.api.call(
            self.api.sdk.pages.update,
            page_id,
            properties=self._page_properties(op, done),
            record=record,
        )
        self._settle(op.key, row, regions, text)

    def _update_page(self, op: PageWrite, page: PageRead) -> None:
        record = f"pages/{op.key}"
        regions = op.regions or tuple(region_keys(op.document.children))
        present = find_regions(page.blocks)
        stored = dict(page.stored)
        states = dict(self.reader.regions(page))
        writes: dict[str, list[BlockOp]] = {}
        pending: dict[str, str] = {}
        for key in regions:
            if key in states and states[key].ownership is Ownership.DAMAGED:
                continue  # a copy a person made: theirs (reader.regions)
            node = find_region(op.document.children, key)
            callout = present.get(key)
            if node is None:
                if callout is not None:
                    expected = normalise([callout], ids=True)[0]
                    writes[key] = [DeleteBlock(str(callout["id"]), expected)]
                stored.pop(key, None)
                states.pop(key, None)
                continue
            if callout is None:
                writes[key] = [InsertBlocks(page.id, None, [render_region(node)])]
            else:
                current = normalise(children_of(callout), ids=True)
                ops = diff_children(str(callout["id"]), current, render_blocks(node.children))
                writes[key] = ops
            pending[key] = region_content(op.document, key)
        contested = [key for key, ids in sorted(page.trash.items()) if self._rescue(ids, record)]
        trash = {key: [i for w in ops for i in _doomed(w)] for key, ops in writes.items()}
        if _requests([w for ops in writes.values() for w in ops]) > 1 or any(trash.values()):
            # killed between them, the page must say the write is ours (pending.py)
            self.api.call(
                self.api.sdk.pages.update,
                page.id,
                properties=self._page_properties(op, page.stored, pending, trash),
                record=record,
            )
        created: dict[str, dict[int, list[str]]] = {key: {} for key in writes}
        try:
            contested += [
                key for key, ops in writes.items() if not self._apply(ops, record, created[key])
            ]
        except (NotFoundError, ValidationError) as exc:
            if not page.kept:
                raise
            raise _Stale(str(exc)) from exc  # a kept id is out of date: list, start again
        for key, content in pending.items():
            if key in contested:  # the old hash stays: the next read sees the person's edit
                if key in page.stored:
                    stored[key] = page.stored[key]
                continue
            stored[key] = content
            states[key] = RegionState(content=content)
        for key in contested:  # so says the page's memo, valid while nobody else edits it:
            # what the region holds now is not known here, but it is a person's
            states[key] = RegionState(content="", ownership=Ownership.EDITED, by_person=True)
        row = self.api.call(
            self.api.sdk.pages.update,
            page.id,
            properties=self._page_properties(op, stored),
            record=record,
        )
        self.reader.known.pages.pop(op.key, None)  # stale now: a later write reads it again
        self.reader.known.regions[op.key] = states
        text = page.text if page.kept else outside_text(op.key, page.blocks)
        kept = None if contested else self._kept(op.document, page, writes, created)
        self._settle(op.key, row, states, text, kept)
        if contested:
            raise ConflictError(
                f"a person edited the owned region {contested[0]!r} of page {op.key!r} while "
                "opsync was rewriting it: their text is kept, next to opsync's new text; "
                "merge the two, then rerun (or `opsync sync --force "
                f"{op.key}` to keep only opsync's)",
                target=op.key,
                region=contested[0],
            )

    @staticmethod
    def _kept(
        document: Document,
        page: PageRead,
        writes: Mapping[str, list[BlockOp]],
        created: Mapping[str, Mapping[int, list[str]]],
    ) -> dict[str, Essence] | None:
        """The ids of the page's region blocks once ``writes`` ran (kept.py), when every one
        is known: the trees the update started from, with its deletes and appends replayed."""
        trees = region_trees(page.blocks)
        if trees is None:
            return None
        for key, ops in writes.items():
            node = find_region(document.children, key)
            if node is None:
                trees.pop(key, None)
                continue
            tree = (
                replay(trees[key], ops, created[key], render_blocks(node.children))
                if key in trees
                else None  # a region added whole: the ids of its children are in no answer
            )
            if tree is None:
                return None
            trees[key] = tree
        return trees

    def _apply(self, ops: list[BlockOp], record: str, created: dict[int, list[str]]) -> bool:
        """Run one region's writes, noting in ``created`` the ids each append answered;
        False when a block it deleted turned out to hold a person's edit made since the
        read, which is then restored from the trash."""
        for i, op in enumerate(ops):
            if isinstance(op, InsertBlocks):
                created[i] = self._append(op.parent_id, op.blocks, op.after, record)
            elif not self._delete(op, record):
                return False
        return True

    def _delete(self, op: DeleteBlock, record: str) -> bool:
        """Delete ``op``'s block, children first (deepest first), each compared, as the trash
        received it, with what the read saw. Notion refuses edits to a block in the trash
        ("Can't edit block that is archived"), so what the answer shows is final: the window
        that a PATCH would leave open (a person's typing overwritten) is closed. On a
        difference everything this op deleted is restored, in reverse order."""
        done: list[str] = []

        def trash(essence: Mapping[str, Any]) -> bool:
            for child in essence.get("children", []):
                if not trash(child):
                    return False
            block_id = str(essence["id"])
            answer = self.api.call(self.api.sdk.blocks.delete, block_id, record=record)
            done.append(block_id)
            return holds(answer, essence)

        if op.expected is None:
            self.api.call(self.api.sdk.blocks.delete, op.block_id, record=record)
            return True
        if trash(op.expected):
            return True
        for block_id in reversed(done):
            self._restore(block_id, record)
        return False

    def _restore(self, block_id: str, record: str) -> None:
        flag = "in_trash" if self.config.notion_version >= _POSITION_VERSION else "archived"
        self.api.call(self.api.sdk.blocks.update, block_id, **{flag: False}, record=record)

    def _rescue(self, ids: list[str], record: str) -> bool:
        """After a run killed mid-update (pending.py): restore each block that run sent to the
        trash that a person had edited, with the blocks of that list above it; True when
        one was found, so the region is a conflict and keeps its old hash."""
        bot = self.reader.bot()
        seen: dict[str, Mapping[str, Any]] = {}
        for block_id in ids:
            try:
                seen[block_id] = self.api.call(
                    self.api.sdk.blocks.retrieve, block_id, record=record
                )
            except PermanentError:  # gone for good (emptied trash): nothing to restore
                continue
        theirs = [
            i
            for i, b in seen.items()
            if _trashed(b) and str((b.get("last_edited_by") or {}).get("id") or "") != bot
        ]
        restore: list[str] = []
        for block_id in theirs:
            chain = [block_id]
            parent = str((seen[block_id].get("parent") or {}).get("block_id") or "")
            while parent in seen and parent not in chain:
                chain.append(parent)
                parent = str((seen[parent].get("parent") or {}).get("block_id") or "")
            restore += [i for i in reversed(chain) if i not in restore and _trashed(seen[i])]
        for block_id in restore:
            self._restore(block_id, record)
        return bool(theirs)

    def _append(
        self, parent: str, blocks: list[Payload], after: str | None, record: str
    ) -> list[str]:
        """Append ``blocks`` under ``parent``; the ids Notion answered for them (the
        first-level blocks of each request; not those of their children)."""
        created: list[list[str]] = []
        top: list[str] = []
        for call in plan_appends(parent, blocks, after):
            where: dict[str, Any] = {}
            if call.after is not None:
                anchor = resolve(call.after, created)
                where = (
                    {"position": {"type": "after_block", "after_block": {"id": anchor}}}
                    if self.config.notion_version >= _POSITION_VERSION
                    else {"after": anchor}
                )
            answer = self.api.call(
                self.api.sdk.blocks.children.append,
                resolve(call.parent, created),
                children=self._uploaded(call.children, record),
                **where,
                record=record,
            )
            created.append([str(r["id"]) for r in answer.get("results", [])])
            if call.parent == parent:
                top += created[-1]
        return top

    def _uploaded(self, blocks: list[Payload], record: str) -> list[Payload]:
        """``blocks`` with each chart's image pointing at its uploaded picture: drawn and
        sent (File Upload API, single part) only when a block that shows it is about to
        be written, once per picture and run."""
        out: list[Payload] = []
        for block in blocks:
            kind = str(block.get("type"))
            content = dict(block.get(kind) or {})
            ref = (content.get("file_upload") or {}).get("id", "")
            if kind == "image" and str(ref).startswith(UPLOAD_PLACEHOLDER):
                name = str(ref).removeprefix(UPLOAD_PLACEHOLDER)
                content["file_upload"] = {"id": self._upload(name, record)}
            if "children" in content:
                content["children"] = self._uploaded(content["children"], record)
            out.append({**block, kind: content})
        return out

    def _upload(self, name: str, record: str) -> str:
        """The id of the uploaded picture ``name`` (a chart of the page being written)."""
        if name not in self._sent:
            data = charts.draw(self._charts[name])
            created = self.api.call(
                self.api.sdk.file_uploads.create,
                mode="single_part",
                filename=name,
                content_type="image/png",
                record=record,
            )
            self.api.call(
                self.api.sdk.file_uploads.send,
                str(created["id"]),
                file=(name, data, "image/png"),
                record=record,
            )
            self._sent[name] = str(created["id"])
        return self._sent[name]


class _Unknown(PermanentError):
    """A property the config names is missing from the data source's schema."""


class _Stale(Exception):
    """A block whose id was kept (kept.py) is gone: the page is listed and written again."""


def _trashed(block: Mapping[str, Any]) -> bool:
    return bool(block.get("in_trash", block.get("archived")))


def _doomed(op: BlockOp) -> list[str]:
    """The blocks ``op`` sends to the trash, children before their parent, as it deletes."""
    if not isinstance(op, DeleteBlock):
        return []
    if op.expected is None:
        return [op.block_id]

    def walk(essence: Mapping[str, Any]) -> list[str]:
        below = [i for child in essence.get("children", []) for i in walk(child)]
        return [*below, str(essence["id"])]

    return walk(op.expected)


def _requests(writes: list[BlockOp]) -> int:
    """How many requests ``writes`` take (a long insert is several appends)."""
    return sum(
        len(plan_appends(w.parent_id, w.blocks, w.after)) if isinstance(w, InsertBlocks) else 1
        for w in writes
    )


__all__ = ["Writer", "find_region", "region_content"]
