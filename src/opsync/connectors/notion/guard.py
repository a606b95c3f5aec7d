"""Checking, just before a write, that nobody changed what it is about to overwrite since
the read the plan was made from (docs/reliability.md, "Edits during a run").

A person may edit a row or a page between opsync's read and its write, and Notion has no
conditional update to refuse a stale write. So each write of a row or page the read saw
first fetches the row again (one GET per write; a no-op run writes nothing and pays
nothing). For a record the fresh row holds the owned values, so they are compared with what
the read saw. For a page whose last editor is not opsync, the blocks are listed again and
each region the write would rewrite is compared with its fingerprint as read. A change
there raises a :class:`~opsync.errors.ConflictError`: the engine reports it, the person's
text stays, and the next run's plan shows the edit as a conflict. Anything else (a
person-owned field, text outside the regions) is left to the write, which never touches it.

A moved ``last_edited_time`` is not what decides: Notion rounds it down to the minute
(NOTES.md 9), so a person editing in the minute of the read leaves the page's stamp and
editor as the read saw them. Only a page opsync itself edited last (its stamp unmoved, or
moved by another opsync run) is written from the blocks it holds without a second look.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from opsync.connectors.base import RecordWrite
from opsync.connectors.notion.hashes import HASHES_FIELD, load_hashes, value_hash
from opsync.connectors.notion.mirror import edited, is_live
from opsync.connectors.notion.page_fields import page_to_fields
from opsync.connectors.notion.reader import PageRead, Reader
from opsync.domain import Collection
from opsync.errors import ConflictError, PermanentError


class Guard:
    """The check before each write of a row or page the run's read saw."""

    def __init__(self, reader: Reader, name: str) -> None:
        self.reader = reader
        self.api = reader.api
        self.name = name

    def _fetch(self, row_id: str, record: str) -> Mapping[str, Any]:
        fresh: Mapping[str, Any] = self.api.call(self.api.sdk.pages.retrieve, row_id, record=record)
        if not is_live(fresh):
            raise PermanentError(
                f"{record} was moved to the trash after opsync read it; left there (restore it "
                "from the trash for opsync to update it again)",
                connector=self.name,
                record=record,
            )
        return fresh

    def _by_opsync(self, before: Mapping[str, Any], fresh: Mapping[str, Any]) -> bool:
        """Whether opsync itself is the last to have edited ``fresh`` since ``before``."""
        return edited(fresh) != edited(before) and edited(fresh)[1] == self.reader.bot()

    def record(self, op: RecordWrite, collection: Collection, row_id: str) -> None:
        """Raise a conflict when a person changed a field ``op`` writes since the read."""
        seen = self.reader.known.seen.get(op.ref)
        if seen is None:
            return  # found by its key, not by the read: there is nothing to compare with
        before, owned = seen
        fresh = self.reader.catalog.whole(self._fetch(row_id, op.ref))
        if self._by_opsync(before, fresh):
            return
        fields, _ = page_to_fields(
            fresh, self.reader.config, collection, self.reader.known.page_keys
        )
        # What opsync itself wrote (its hashes ride in the same request as the values) is not
        # a person's edit, even when a killed run wrote it after the mirror was saved.
        stored = load_hashes(fields.get(HASHES_FIELD))
        now = self.reader.owned(collection, fields, fresh, stored)
        clash = sorted(
            f
            for f in op.values
            if value_hash(now.get(f)) != value_hash(owned.get(f))
            and stored.get(f) != value_hash(now.get(f))
        )
        if clash:
            raise ConflictError(
                f"{op.ref}: a person edited {', '.join(clash)}, which opsync owns, after opsync "
                "read it and before it wrote; left as they are. Rerun to see the conflict and "
                "decide (or force it)",
                target=op.ref,
                region=clash[0],
            )

    def page(self, key: str, regions: Iterable[str]) -> PageRead | None:
        """Page ``key`` as it is now, its blocks read (None when the read did not see it);
        a conflict when a person changed one of ``regions`` since the read."""
        known = self.reader.known
        before = known.rows.get(key)
        if before is None:
            return None
        record = f"pages/{key}"
        fresh = self._fetch(str(before["id"]), record)
        if edited(fresh)[1] == self.reader.bot():  # nobody else touched it since opsync
            if edited(fresh) == edited(before):
                return known.pages.get(key) or self.reader.page(fresh, key)
            return self.reader.page(fresh, key)
        page = self.reader.page(fresh, key)
        now = self.reader.regions(page)
        then = known.regions.get(key, {})
        clash = [
            r
            for r in regions
            if (now[r].content if r in now else None) != (then[r].content if r in then else None)
        ]
        if clash:
            raise ConflictError(
                f"{record}: a person edited the opsync region(s) {', '.join(clash)} after opsync "
                "read the page and before it wrote; left as they are. Rerun to see the conflict "
                "and decide (or force it)",
                target=record,
                region=clash[0],
            )
        return page


__all__ = ["Guard"]
