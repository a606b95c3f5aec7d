"""The write lease in Notion: one row of the pages data source, key ``opsync-lease``.

Notion has no compare-and-set, so the lease is taken by write-then-read-back: read it, write
ours if it is free, wait, read it again and go on only if it is still ours. The wait (two
request intervals at the configured pace and three times the slowest lease request, unless
``lease_settle_seconds`` says) is longer than another run's write, sent after its read
found the lease free, can take to land. Two runs that both found it free both write; the
one whose write landed last reads itself back, the other reads the winner and stops before
its first write. A run reads the lease once (one request: the row's id is kept in the
mirror), and takes it only when it has something to write: a no-op run costs one request.

The generation (``connectors/lease.py``) is compared with the one this state store last
took: another means someone else wrote since, so the read lists every row in full
(``Reader``), and a claim after a generation moved under this run's own read stops rather
than write what a stale read planned. So does a claim by a run whose read found the lease
held by another live writer: that writer may have written after the rows were listed, then
released the lease or died, leaving the generation as it was (a second copy of a record it
created was found this way by the two-writer sweep, ``tests/reliability``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from typing import Any

from opsync.connectors.lease import LEASE_KEY, Holder, Lease, held_elsewhere, lost, utc_now
from opsync.connectors.notion.catalog import PAGES, Catalog, page_property_names
from opsync.connectors.notion.client import ValidationError
from opsync.connectors.notion.mirror import is_live
from opsync.connectors.notion.properties import build_value, parse_value, property_type
from opsync.errors import ConnectorError, TransientError

TITLE = "opsync write lease (kept by opsync; do not edit)"


class NotionLease:
    def __init__(
        self,
        catalog: Catalog,
        ttl: timedelta,
        settle: float | None,
        pace: float,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.catalog, self.api = catalog, catalog.api
        self.ttl, self.settle, self.clock, self.sleep = ttl, settle, clock, sleep
        self.pace = pace  # requests per second, as the connector's bucket allows
        self._slowest = 0.0  # the slowest lease request of this run, in seconds
        self.seen: Lease | None = None  # as this run's read found it
        self._busy: str | None = None  # why the read's lease was not ours to take, if so
        self._unread = False  # the service failed this run's read of the lease
        self._why_unread = ""
        self._me: Holder | None = None
        self._mine: Lease | None = None  # the lease while this run holds it
        self._renew_at = 0.0
        self._page = ""  # the lease row's id, once known

    @property
    def enabled(self) -> bool:
        return self.catalog.pages is not None

    @property
    def _where(self) -> str:
        return "the Notion pages data source, row opsync-lease"

    def _names(self) -> dict[str, str]:
        return page_property_names(self.catalog.pages)

    def _row(self) -> Mapping[str, Any] | None:
        """The lease's row now: by its id once known (kept in the mirror), else looked up."""
        started = time.monotonic()
        try:
            return self._find()
        finally:
            self._slowest = max(self._slowest, time.monotonic() - started)

    def _find(self) -> Mapping[str, Any] | None:
        mirror = self.catalog.mirror
        known = self._page or (mirror.lease_page if mirror is not None else "")
        if known:
            row: Mapping[str, Any] = self.api.call(
                self.api.sdk.pages.retrieve, known, record="pages/opsync-lease"
            )
            if is_live(row):
                self._page = known
                return row
        key = self._names()["key"]
        found = self.api.call(
            self.api.sdk.data_sources.query,
            self.catalog.source(PAGES),
            filter={"property": key, "rich_text": {"equals": LEASE_KEY}},
            page_size=10,
        )
        live = self.catalog.oldest_first(found.get("results", []))
        self._page = str(live[0]["id"]) if live else ""
        if mirror is not None:
            mirror.lease_page = self._page
        return live[0] if live else None

    def _lease(self, row: Mapping[str, Any] | None) -> Lease:
        if row is None:
            return Lease()
        prop = (row.get("properties") or {}).get(self._names()["regions"])
        text = parse_value(prop) if prop else None
        return Lease.load(text if isinstance(text, str) else None)

    def read(self) -> Lease | None:
        """The lease as it is now, kept as what this run's read saw; None when the service
        failed the request: the read goes on (listing every row, as after another writer)
        and this run writes nothing (:meth:`claim`)."""
        self._unread = False
        try:
            self.seen = self._lease(self._row()) if self.enabled else Lease()
        except ConnectorError as exc:
            self.seen, self._unread = None, True
            self._why_unread = str(exc)
            return None
        me = self._me
        self._busy = None if me is None else self.seen.blocks(me, self.clock())
        return self.seen

    def foreign(self) -> bool:
        """Whether someone other than this state store took the lease since it last did
        (or the lease could not be read: then nobody can tell)."""
        mirror = self.catalog.mirror
        if self._unread:
            return True
        if self.seen is None or mirror is None:
            return False
        return self.seen.generation != mirror.lease_generation

    @contextmanager
    def hold(self, writer: str) -> Iterator[None]:
        self._me = Holder.me(writer)
        try:
            yield
        finally:
            mine, self._mine = self._mine, None
            if mine is not None:
                with suppress(ConnectorError):  # unreleased, it expires (or is taken over
                    self._write(mine.released())  # at once by this store's next run)

    def claim(self) -> None:
        if not self.enabled or self._me is None or self._mine is not None:
            return
        if self._unread:  # whether another writer was at work during the read is unknown
            raise TransientError(
                f"the write lease could not be read with the rest ({self._why_unread}); "
                "nothing is written, the next run does it",
                connector=self.catalog.name,
                record="pages/opsync-lease",
            )
        found = self._lease(self._row())
        why = found.blocks(self._me, self.clock())
        if why is not None:
            raise held_elsewhere(self._where, why)
        if self.seen is not None and found.generation != self.seen.generation:
            raise held_elsewhere(
                self._where, f"another opsync run ({found.holder}) wrote since this run read"
            )
        if self._busy is not None and self.seen is not None:
            raise held_elsewhere(
                self._where,
                f"another opsync run ({self.seen.holder}) was writing while this run read",
            )
        wanted = found.taken_by(self._me, self.clock(), self.ttl)
        self._write(wanted)
        self.sleep(self._settle())
        now = self._lease(self._row())
        if now.holder != wanted.holder:
            raise held_elsewhere(self._where, f"another opsync run ({now.holder}) took it first")
        self._mine = wanted
        if self.catalog.mirror is not None:
            self.catalog.mirror.lease_generation = wanted.generation
        self._renew_at = time.monotonic() + self.ttl.total_seconds() / 3

    def _settle(self) -> float:
        """How long another run's write, sent after its read found the lease free, can take
        to land: its wait for the pace, and its request."""
        if self.settle is not None:
            return self.settle
        return 2 / self.pace + 3 * self._slowest

    def tick(self) -> None:
        """Before a write: renew when a third of the lease has passed; stop if another run
        took it over (it expired while this run was stalled, or a person cleared it)."""
        if self._mine is None or time.monotonic() < self._renew_at:
            return
        try:
            found = self._lease(self._row())
            if found.holder == self._mine.holder:
                self._write(found.renewed(self.clock(), self.ttl))
        except ConnectorError:
            return  # the service failed the renewal: the next write tries again
        if found.holder != self._mine.holder:
            self._mine = None
            raise lost(self._where, found)
        self._renew_at = time.monotonic() + self.ttl.total_seconds() / 3

    def _write(self, lease: Lease) -> None:
        """Write the lease into its row (found by the read before it), or create the row;
        once more with the schema read again when Notion refuses the kept one's names."""
        try:
            self._send(lease)
        except ValidationError:
            if not self.catalog.stale(PAGES):
                raise
            self.catalog.forget_schema(PAGES)
            self._send(lease)

    def _send(self, lease: Lease) -> None:
        names = self._names()
        schema = self.catalog.schema(PAGES)
        values = {"key": LEASE_KEY, "title": TITLE, "regions": lease.dump()}
        props = {
            names[f]: build_value(property_type(schema[names[f]]), v)
            for f, v in values.items()
            if names[f] in schema
        }
        if self._page:
            try:
                self._update(props)
            except TransientError:
                # The update may have landed, only its answer lost: setting a property is
                # idempotent, so once more is safe (the policy repeats no PATCH itself).
                self._update(props)
            return
        parent = {"type": "data_source_id", "data_source_id": self.catalog.source(PAGES)}
        row = self.api.call(
            self.api.sdk.pages.create, parent=parent, properties=props, record="pages/opsync-lease"
        )
        self._page = str(row["id"])
        if self.catalog.mirror is not None:
            self.catalog.mirror.lease_page = self._page

    def _update(self, props: Mapping[str, Any]) -> None:
        self.api.call(
            self.api.sdk.pages.update, self._page, properties=props, record="pages/opsync-lease"
        )


__all__ = ["TITLE", "NotionLease"]
