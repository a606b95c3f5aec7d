"""The write lease in Confluence: the content property ``opsync-lease`` of the page holding
the generated pages (else the ``parent`` page, else the first collection's page).

Its value is the lease (``connectors/lease.py``: holder, expiry, generation) as JSON.
Content properties carry a version, and an update must send the current version plus one:
"content properties are unique in that they provide a mechanism to handle concurrent
edits. The version field in the request and response ensures that two requests cannot
update the same version of the entity properties data. Attempting to do so will result in
a HTTP error" (Confluence entity properties,
https://developer.atlassian.com/cloud/confluence/confluence-entity-properties/), and v1
updateContentProperty answers "409 Returned if the property version is not correctly
incremented" (``confluence_v1_openapi.json``). So a claim is a real compare-and-set: it
writes version n+1 of the lease as this run read it at version n; a 409 means another
writer wrote it since (took it, renewed it, released it), and this run stops with
``LockHeld`` before its first write. No write-then-read-back wait is needed, as Notion's
is. Creating the property (no lease yet) is the same: of two creates only one succeeds
(v2 refuses a second property with the key; v1 takes "version 1" of a key once).

Cost: one read per writing run (v2 lists the page's properties filtered by key, v1 expands
the one property on the page: neither needs the property's id, so nothing is kept in the
state store), one write to take the lease (only when the plan has operations), one to
release it, and one per renewal (a third of ``lease_minutes``) while the run writes. A dry
run reads nothing. Renewals are compare-and-set too: a 409 means the lease was taken over
(it expired while this run stalled, or a person deleted the property) and the run stops.

Reads of the Confluence connector are always full (every child page of every configured
parent page is listed, with its body and ``opsync`` property, on every run): there is no
mirror trusting "pages opsync wrote", so the generation is kept for the record only; the
compare-and-set of the claim already stops a run that read before another writer wrote.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from opsync.connectors.confluence.client import ApiError
from opsync.connectors.confluence.site import Site
from opsync.connectors.lease import LEASE_KEY, Holder, Lease, held_elsewhere, lost, utc_now
from opsync.errors import ConnectorError

RECORD = "lease/opsync-lease"


@dataclass(frozen=True)
class _Stored:
    """The lease property as last read or written: v2 addresses it by id, v1 by key."""

    id: str | None
    version: int


class _Moved(Exception):
    """The property is not at the version this run knows: another writer wrote it."""


def as_value(lease: Lease) -> dict[str, Any]:
    """The property value holding ``lease``: its JSON as an object."""
    loaded: dict[str, Any] = json.loads(lease.dump())
    return loaded


def from_value(value: object) -> Lease:
    """The lease a property value holds; anything a person broke reads as free."""
    if isinstance(value, str):
        return Lease.load(value)
    if isinstance(value, Mapping):
        return Lease.load(json.dumps(dict(value)))
    return Lease()


class ConfluenceLease:
    def __init__(
        self,
        site: Site,
        page: str | None,
        ttl: timedelta,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.site, self.api = site, site.api
        self.page = page  # the page whose property holds the lease; None: nothing to hold
        self.ttl, self.clock = ttl, clock
        self.seen: Lease | None = None  # as this run's read found it
        self._busy: str | None = None  # why the lease was not ours to take at the read
        self._stored: _Stored | None = None  # the property's id and version, once read
        self._me: Holder | None = None
        self._mine: Lease | None = None  # the lease while this run holds it
        self._renew_at = 0.0

    @property
    def held(self) -> bool:
        """Whether a writing run holds this connector (``hold`` entered)."""
        return self._me is not None and self.page is not None

    @property
    def _where(self) -> str:
        return f"Confluence page {self.page}, content property {LEASE_KEY}"

    # Reading ------------------------------------------------------------------------

    def read(self) -> Lease:
        """The lease as it is now (one request); kept as what this run's read saw."""
        self.seen = self._fetch()
        # a live writer at the read may write after it and then die or release, leaving the
        # version as this read saw it: the claim must refuse then too (two-writer sweep)
        self._busy = None if self._me is None else self.seen.blocks(self._me, self.clock())
        return self.seen

    def _fetch(self) -> Lease:
        assert self.page is not None
        if self.site.cloud:
            found = self.api.call(
                "GET",
                f"/api/v2/pages/{self.page}/properties",
                params={"key": LEASE_KEY},
                record=RECORD,
            )
            results = [r for r in found.get("results") or [] if r.get("key") == LEASE_KEY]
            raw = results[0] if results else None
        else:
            page = self.api.call(
                "GET",
                f"/rest/api/content/{self.page}",
                params={"expand": f"metadata.properties.{LEASE_KEY}"},
                record=RECORD,
            )
            raw = ((page.get("metadata") or {}).get("properties") or {}).get(LEASE_KEY)
        if not raw:
            self._stored = None
            return Lease()
        pid = raw.get("id")
        number = int((raw.get("version") or {}).get("number") or 1)
        self._stored = _Stored(str(pid) if pid else None, number)
        return from_value(raw.get("value"))

    # Holding ------------------------------------------------------------------------

    @contextmanager
    def hold(self, writer: str) -> Iterator[None]:
        self._me = Holder.me(writer)
        self.seen, self._stored, self._mine, self._busy = None, None, None, None
        try:
            yield
        except BaseException:
            with suppress(ConnectorError):  # the run's own error says more; it expires
                self._release()
            raise
        else:
            self._release()
        finally:
            self._me = None

    def _release(self) -> None:
        mine, self._mine = self._mine, None
        if mine is None:
            return
        with suppress(_Moved):  # taken over meanwhile: the other run's lease stays as it is
            self._put(mine.released())

    def claim(self) -> None:
        """Take the lease: version n+1 of the lease read at version n, or fail."""
        if self.page is None or self._me is None or self._mine is not None:
            return
        seen = self.seen if self.seen is not None else self.read()
        why = seen.blocks(self._me, self.clock()) or self._busy
        if why is not None:
            raise held_elsewhere(self._where, why)
        wanted = seen.taken_by(self._me, self.clock(), self.ttl)
        try:
            self._put(wanted)
        except _Moved:
            now = self._fetch()
            if now != wanted:  # else: this write landed and only its answer was lost
                who = now.holder or "a run that has released it since"
                raise held_elsewhere(
                    self._where,
                    f"another opsync run ({who}) wrote the lease since this run read it",
                ) from None
        self._mine = wanted
        self._renew_at = time.monotonic() + self.ttl.total_seconds() / 3

    def tick(self) -> None:
        """Before a write: renew when a third of the lease has passed (compare-and-set);
        stop if another run took it over (it expired while this run stalled, or a person
        deleted the property)."""
        if self._mine is None or time.monotonic() < self._renew_at:
            return
        renewed = self._mine.renewed(self.clock(), self.ttl)
        try:
            self._put(renewed)
        except _Moved:
            now = self._fetch()
            if now != renewed:  # else: the renewal landed and only its answer was lost
                self._mine = None
                raise lost(self._where, now) from None
        self._mine = renewed
        self._renew_at = time.monotonic() + self.ttl.total_seconds() / 3

    # Writing ------------------------------------------------------------------------

    def _put(self, lease: Lease) -> None:
        """Write ``lease`` as the next version of the property as last read or written;
        :class:`_Moved` when Confluence says it is not at that version any more."""
        assert self.page is not None
        value = as_value(lease)
        stored = self._stored
        try:
            if self.site.cloud:
                raw = self._put_v2(value, stored)
            else:
                number = stored.version + 1 if stored is not None else 1
                raw = self.api.call(
                    "PUT",
                    f"/rest/api/content/{self.page}/property/{LEASE_KEY}",
                    body={"key": LEASE_KEY, "value": value, "version": {"number": number}},
                    record=RECORD,
                )
        except ApiError as exc:
            # 409: another version; 404: deleted (v2 by id; v1 Cloud for a version > 1); a
            # create of a key made since: 409 (v1), 400 (v2 createPageProperty, as the
            # emulator answers it), told from a bad request by looking.
            if exc.status in (404, 409):
                raise _Moved from exc
            if exc.status == 400 and stored is None and self._exists():
                raise _Moved from exc
            raise
        pid = raw.get("id")
        self._stored = _Stored(str(pid) if pid else None, int(raw["version"]["number"]))

    def _exists(self) -> bool:
        """Whether the property is there now (after a create was refused)."""
        self._fetch()
        return self._stored is not None

    def _put_v2(self, value: dict[str, Any], stored: _Stored | None) -> Any:
        base = f"/api/v2/pages/{self.page}/properties"
        if stored is None:
            return self.api.call(
                "POST", base, body={"key": LEASE_KEY, "value": value}, record=RECORD
            )
        if stored.id is None:  # v2 always answers the id; kept safe for a lease read by v1
            raise _Moved
        return self.api.call(
            "PUT",
            f"{base}/{stored.id}",
            body={"key": LEASE_KEY, "value": value, "version": {"number": stored.version + 1}},
            record=RECORD,
        )


def lease_page(
    generated: str | None, parent: str | None, collections: Mapping[str, str]
) -> str | None:
    """The page holding the lease: the generated pages' page (bootstrap made it, every
    config that writes pages names it), else ``parent``, else a collection's page."""
    if generated:
        return generated
    if parent:
        return parent
    return next(iter(collections.values()), None)


__all__ = ["RECORD", "ConfluenceLease", "as_value", "from_value", "lease_page"]
