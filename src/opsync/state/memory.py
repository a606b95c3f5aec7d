"""A state store that lives as long as the process: for ``opsync doctor``, which checks the
services as they are and must neither use nor change what the runs remember, and for
tests and embedders that want no file."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager

from opsync.errors import LockHeld
from opsync.state.base import CacheChanges, MirrorKey, StateStore


class MemoryStateStore(StateStore):
    def __init__(self) -> None:
        super().__init__()
        self.mirrors: dict[MirrorKey, str] = {}
        self.meta: dict[str, str] = {}
        self.cache: dict[str, dict[str, str]] = {}  # connector → key → row
        self.runs: dict[str, str] = {}
        self.rows: list[tuple[str, str, str, str, str]] = []  # run, key, kind, target, status
        self._at: dict[tuple[str, str], int] = {}  # (run, key) → its row, in the order recorded
        self._lock = threading.Lock()

    def lock(self) -> AbstractContextManager[object]:
        return self._held()

    @contextmanager
    def _held(self) -> Iterator[object]:
        if not self._lock.acquire(blocking=False):
            raise LockHeld("another opsync run in this process holds the in-memory state")
        try:
            yield self
        finally:
            self._lock.release()

    def close(self) -> None:
        pass  # nothing to release: the store lives as long as the object

    def load_mirror(self, connector: str, name: str) -> str | None:
        return self.mirrors.get((connector, name))

    def save_mirrors(self, values: Mapping[MirrorKey, str]) -> None:
        self.mirrors.update(values)

    def load_cache(self, connector: str, prefix: str = "") -> dict[str, str]:
        rows = self.cache.get(connector, {})
        return {k: v for k, v in rows.items() if k.startswith(prefix)}

    def save_cache(self, connector: str, rows: CacheChanges) -> None:
        kept = self.cache.setdefault(connector, {})
        for key, value in rows.items():
            if value is None:
                kept.pop(key, None)
            else:
                kept[key] = value

    def get_meta(self, name: str) -> str | None:
        return self.meta.get(name)

    def set_meta(self, name: str, value: str) -> None:
        self.meta[name] = value

    def start_run(self, run_id: str, clock: str) -> None:
        self.runs[run_id] = "running"

    def finish_run(self, run_id: str, status: str) -> None:
        self.runs[run_id] = status

    def journal(
        self,
        run_id: str,
        op_key: str,
        kind: str,
        target: str,
        reason: str,
        status: str,
        error: str | None = None,
    ) -> None:
        at = self._at.get((run_id, op_key))
        if at is not None:
            self.rows[at] = (*self.rows[at][:4], status)
            return
        self._at[(run_id, op_key)] = len(self.rows)
        self.rows.append((run_id, op_key, kind, target, status))

    def close_interrupted(self) -> int:
        stale = [i for i, row in enumerate(self.rows) if row[4] in ("planned", "started")]
        for i in stale:
            self.rows[i] = (*self.rows[i][:4], "interrupted")
        return len(stale)

    def unfinished(self, kind: str) -> frozenset[str]:
        left: set[str] = set()
        for row in self.rows:  # in the order recorded, as the SQLite journal's rowid
            if row[2] == kind and row[4] in ("started", "interrupted", "failed"):
                left.add(row[3])
            elif row[4] == "done":
                left.discard(row[3])
        return frozenset(left)

    def finished(self, kind: str) -> frozenset[str]:
        return frozenset(r[3] for r in self.rows if r[2] == kind and r[4] == "done")

    def journal_rows(self, run_id: str | None = None) -> list[tuple[str, str]]:
        return [(r[1], r[4]) for r in self.rows if run_id is None or r[0] == run_id]
