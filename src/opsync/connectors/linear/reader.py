"""Incremental reads of the releases, with a periodic id-only full pass.

After the first run, a run costs one query: the items (issues or projects) the scope
selects that were updated since the cursor minus the overlap (``updatedAt: { gte }``), to
the last page. The cursor is the newest ``updatedAt`` seen; the overlap re-reads what was
written just before it (a write that commits late, clocks of Linear's servers), and the
mirror deduplicates by id. An item removed from the scope (its label taken off, moved to
another team, archived, deleted, or hidden from the key) never matches an
``updatedAt >=`` query, so every ``full_pass_hours`` an id-only pass lists what the scope
holds: the rest is dropped, and ids the mirror lacks are fetched whole. The mirror and
launch-date history are the Jira connector's (``jira/mirror.py``, ``jira/history.py``):
one cache format, one history rule, for every tracker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from opsync.connectors.base import TrackerRead
from opsync.connectors.jira.history import note_moves
from opsync.connectors.jira.mirror import Mirror
from opsync.connectors.linear import queries
from opsync.connectors.linear.client import LinearApi
from opsync.connectors.linear.config import LinearConnectorConfig
from opsync.connectors.linear.rows import RowMapper, rows_of

FETCH_CHUNK = 50


def updated_ms(item: dict[str, Any]) -> int | None:
    """The item's ``updatedAt`` in epoch milliseconds."""
    try:
        stamp = datetime.fromisoformat(str(item.get("updatedAt")).replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return int(stamp.timestamp() * 1000)


def iso_ms(ms: int) -> str:
    """Epoch milliseconds as Linear writes a DateTime: UTC, milliseconds, ``Z``."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


class Reader:
    def __init__(
        self,
        api: LinearApi,
        config: LinearConnectorConfig,
        mapper: RowMapper,
        mirror: Mirror,
        clock: Callable[[], datetime],
    ) -> None:
        self.api = api
        self.config = config
        self.mapper = mapper
        self.mirror = mirror
        self.clock = clock
        self.kind = config.releases
        self.base = queries.scope(self.kind, config.team, config.label)
        self.what = f"the release {self.kind} of team {config.team}"

    def read(self) -> TrackerRead:
        mirror = self.mirror
        now = self.clock()
        first = mirror.cursor_ms is None
        overlap = self.config.overlap_minutes * 60_000
        since = None if first else iso_ms(max((mirror.cursor_ms or 0) - overlap, 0))
        self._store(self._items(queries.updated_since(self.base, since)))
        due = mirror.full_pass_at is None or now - mirror.full_pass_at >= timedelta(
            hours=self.config.full_pass_hours
        )
        if first:
            mirror.full_pass_at = now
        elif due:
            self._full_pass()
            mirror.full_pass_at = now
        rows, findings = rows_of(self.mapper, mirror.issues)
        read = TrackerRead(rows, findings, source=f"Linear team {self.config.team}")
        note_moves(mirror, read, now.date())
        return read

    def _items(self, selection: dict[str, Any]) -> Iterable[dict[str, Any]]:
        return self.api.nodes(
            queries.items(self.kind),
            self.kind,
            {"filter": selection},
            what=self.what,
            size=self.config.page_size,
        )

    def _store(self, items: Iterable[dict[str, Any]]) -> None:
        mirror = self.mirror
        for item in items:
            mirror.issues[str(item["id"])] = item
            stamp = updated_ms(item)
            if stamp is not None and (mirror.cursor_ms is None or stamp > mirror.cursor_ms):
                mirror.cursor_ms = stamp

    def _full_pass(self) -> None:
        """Drop items the scope no longer holds; fetch those the mirror never saw."""
        found = {
            str(node["id"])
            for node in self.api.nodes(
                queries.items(self.kind, ids_only=True),
                self.kind,
                {"filter": self.base},
                what=f"the ids of {self.what}",
                size=queries.ID_PAGE,
            )
        }
        for gone in set(self.mirror.issues) - found:
            del self.mirror.issues[gone]
        missing = sorted(found - set(self.mirror.issues))
        for start in range(0, len(missing), FETCH_CHUNK):
            chunk = missing[start : start + FETCH_CHUNK]
            self._store(self._items(queries.with_ids(self.base, chunk)))
