"""Checking, before writes, that nobody changed what they are about to overwrite since the
read the plan was made from (docs/reliability.md, "Edits during a run").

A person may edit a row or a page between opsync's read and its write, and Notion has no
conditional update to refuse a stale write. So before it updates a row or page the read
saw, opsync asks its data source once for the rows edited since the read by someone other
than opsync: ``last_edited_time`` on or after the read's time less a minute (Notion rounds
the stamp down to the minute, NOTES.md 9), and, when the data source has a "Last edited by"
property, not last edited by opsync's own user (``does_not_contain``; without it such rows
are left out after the answer). One query covers a batch of updates: it holds for the next
:data:`WINDOW_REQUESTS` requests of the connector and at most :data:`WINDOW_SECONDS`, after
which the next update asks again, for the rows edited since the last answer (its Date less
a minute); every row an answer of this run held is kept, so an edit found once is never
forgotten. A run applies its row updates right after its read, before its creates
(engine/plan.py), so the first batches follow the read closely.

A row absent from every answer was edited by nobody but opsync since the read, and is
written as the read saw it. For a row a person edited, its owned values are compared with
what the read saw; for a page a person edited since the read, or last edited before it, its
blocks are listed again and each region the write would rewrite is compared with its
fingerprint as read. A change there raises a
:class:`~opsync.errors.ConflictError`: the engine reports it, the person's text stays, and
the next run's plan shows the edit as a conflict. Anything else (a person-owned field, text
outside the regions) is left to the write, which never touches it.

What this leaves unguarded is an edit made in the window between a check's answer and the
write it covers: at most :data:`WINDOW_REQUESTS` requests, about 11 seconds at the default
pace of 2.8 a second, and never more than :data:`WINDOW_SECONDS`. The one GET before each
write that this replaces left about one request (0.4 s) open.

A row moved to the trash after the read is in no answer (a query lists live rows only);
Notion refuses the update ("Can't edit block that is archived"), which the writer reports
as a row left in the trash.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from opsync.connectors.base import RecordWrite
from opsync.connectors.notion.catalog import PAGES
from opsync.connectors.notion.hashes import HASHES_FIELD, load_hashes, value_hash
from opsync.connectors.notion.mirror import ANSWER_SLACK, OVERLAP, edited, stamp, when
from opsync.connectors.notion.page_fields import page_to_fields
from opsync.connectors.notion.properties import property_type
from opsync.connectors.notion.reader import Known, PageRead, Reader
from opsync.domain import Collection
from opsync.errors import ConflictError

# How long one check's answer covers the updates after it: a number of the connector's
# requests (its pace turns it into seconds), and a cap in seconds for slow answers (retries)
WINDOW_REQUESTS = 30
WINDOW_SECONDS = 12.0


class _Check:
    """The last check of one data source: where the next check starts, the connector's
    requests sent before it, and the monotonic clock when it was made."""

    def __init__(self, since: str | None, requests: int, at: float) -> None:
        self.since, self.requests, self.at = since, requests, at


class Guard:
    """The batched check before the writes of rows and pages the run's read saw."""

    def __init__(
        self, reader: Reader, name: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.reader = reader
        self.api = reader.api
        self.name = name
        self.clock = clock
        self.window_requests = WINDOW_REQUESTS
        self.window_seconds = WINDOW_SECONDS
        self._known: Known | None = None  # the read the checks below belong to
        self._checks: dict[str, _Check] = {}
        self._edited: dict[str, Mapping[str, Any]] = {}  # row id → as a person left it
        self.queries = 0  # the check requests sent, over the connector's life (for tests)

    def _sent(self) -> int:
        counts = self.api.counts()
        return counts["reads"] + counts["writes"]

    def _start(self, where: str) -> str | None:
        """Where the first check of ``where`` starts: the read's first answer less a minute;
        else the watermark less the overlap, or the newest stamp read less it; else (no
        read of it this run) it asks for every row not last edited by opsync. The read is
        never taken as a check itself: planning may take seconds, and the first update of
        each data source is the one most likely to meet an edit made since the read."""
        catalog = self.reader.catalog
        read = catalog.read_at.get(where)
        if read is None:
            return None
        if read.answered is not None:
            return stamp(read.answered - ANSWER_SLACK)
        since = catalog.mirror.since(catalog.source(where), False) if catalog.mirror else None
        if since is None and read.newest:
            since = stamp(when(read.newest) - OVERLAP)
        return since

    def edited_since_read(self, where: str, row_id: str) -> Mapping[str, Any] | None:
        """Row ``row_id`` of ``where`` as it is now when someone other than opsync edited it
        since the read, else None; asks Notion only when the last check is out of window."""
        if self._known is not self.reader.known:  # a new read: checks start again
            self._known, self._checks, self._edited = self.reader.known, {}, {}
        last = self._checks.get(where)
        fresh = (
            last is not None
            and self._sent() - last.requests < self.window_requests
            and self.clock() - last.at < self.window_seconds
        )
        if last is None:
            self._check(where, self._start(where))
        elif not fresh:
            self._check(where, last.since)
        return self._edited.get(row_id)

    def _check(self, where: str, since: str | None) -> None:
        catalog = self.reader.catalog
        bot = self.reader.bot()
        clauses: list[dict[str, Any]] = []
        if since is not None:
            clauses.append(
                {"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": since}}
            )
        name = catalog.edited_by(where)
        if property_type(catalog.schema(where).get(name) or {}) == "last_edited_by":
            clauses.append({"property": name, "last_edited_by": {"does_not_contain": bot}})
        extra: dict[str, Any] = {}
        if clauses:
            extra["filter"] = clauses[0] if len(clauses) == 1 else {"and": clauses}
        at, sent = self.clock(), self._sent()  # the window runs from the query on

        def query(*args: Any, **kw: Any) -> Any:
            self.queries += 1
            return self.api.sdk.data_sources.query(*args, **kw)

        self.api.mark()
        rows = catalog.sources.using(
            where,
            lambda source: list(
                self.api.paginate(
                    query,
                    source,
                    what=f"the {where} data source (edits since the read)",
                    **extra,
                )
            ),
        )
        for row in rows:
            if edited(row)[1] != bot:
                self._edited[str(row["id"])] = row
        answered = self.api.answered_since_mark()
        nxt = stamp(answered - ANSWER_SLACK) if answered is not None else since
        self._checks[where] = _Check(nxt, sent, at)

    def record(self, op: RecordWrite, collection: Collection, row_id: str) -> None:
        """Raise a conflict when a person changed a field ``op`` writes since the read."""
        seen = self.reader.known.seen.get(op.ref)
        if seen is None:
            return  # found by its key, not by the read: there is nothing to compare with
        _, owned = seen
        now_row = self.edited_since_read(collection.value, row_id)
        if now_row is None:
            return  # nobody but opsync edited it since the read
        fresh = self.reader.catalog.whole(now_row)
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
        fresh = self.edited_since_read(PAGES, str(before["id"]))
        if fresh is None and edited(before)[1] == self.reader.bot():
            # opsync edited it last, and nobody since the read: as listed by the read, else
            # as the block ids kept of its last write or listing say (kept.py), else listed
            return (
                known.pages.get(key)
                or self.reader.kept(before, key)
                or self.reader.page(before, key)
            )
        # A person edited it since the read, or was its last editor when it was read: its
        # blocks are listed again either way, so that what a write costs does not depend on
        # whether the person's edit fell within the minute before the read
        page = self.reader.page(fresh or before, key)
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


__all__ = ["WINDOW_REQUESTS", "WINDOW_SECONDS", "Guard"]
