"""The default state store: one SQLite file (``.opsync/state.db`` beside the config).

The journal records each operation as planned, started, done or failed, keyed by run and
idempotency key, so a run that died can be inspected and resumed; ``mirrors`` keeps what
each connector last read, by connector name and mirror name; ``meta`` keeps the identity
fingerprint of the config. The database is created only when there is something to
record, so a no-op run writes no file, and the schema is brought up to date only by a
write, so a plan writes nothing even to a database made by an older opsync.
"""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from opsync.errors import DiskError
from opsync.state.base import CacheChanges, MirrorKey, StateStore
from opsync.state.lock import RunLock

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, clock TEXT NOT NULL,
    finished_at TEXT, status TEXT NOT NULL DEFAULT 'running');
CREATE TABLE IF NOT EXISTS journal (
    run_id TEXT NOT NULL, op_key TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL,
    reason TEXT NOT NULL, status TEXT NOT NULL, error TEXT, updated_at TEXT NOT NULL,
    PRIMARY KEY (run_id, op_key));
CREATE TABLE IF NOT EXISTS mirrors (
    connector TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (connector, name));
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS read_cache (
    connector TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (connector, key));
DROP TABLE IF EXISTS written;
DROP TABLE IF EXISTS cursors;
"""
# ``written`` was written and never read, ``cursors`` read by nothing and never written:
# the mirrors hold the connectors' cursors now, with the rows the cursors belong to.


_P = ParamSpec("_P")
_T = TypeVar("_T")

# SQLite's words for a disk that refuses the database, and what a person does about each.
_REFUSED = {
    "database or disk is full": (
        "the disk is full",
        "free space on that disk, then sync again: the next run finishes what this one did not",
    ),
    "attempt to write a readonly database": (
        "the state database is read-only (its file, its folder or the file system)",
        "give the user running opsync write access to the file and its folder (chmod/chown), "
        "or remount the disk read-write, then sync again",
    ),
    "unable to open database file": (
        "the state database cannot be opened or created there",
        "make sure its folder exists and the user running opsync may write in it, or point "
        "the state path of the config at a writable place, then sync again",
    ),
    "disk i/o error": (
        "the disk failed a read or write",
        "check the disk (space, health, a network share gone), then sync again",
    ),
}


def _refused(exc: sqlite3.Error, path: Path) -> DiskError | None:
    text = str(exc).lower()
    for words, (what, fix) in _REFUSED.items():
        if words in text:
            return DiskError(f"cannot write the state database: {what}", path=str(path), hint=fix)
    return None


def _guarded(
    method: Callable[Concatenate[SqliteStateStore, _P], _T],
) -> Callable[Concatenate[SqliteStateStore, _P], _T]:
    """A database the disk refuses (full, read-only, cannot be created) stops the run with a
    :class:`DiskError` naming the file and the fix, not a traceback."""

    @functools.wraps(method)
    def guarded(self: SqliteStateStore, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.OperationalError as exc:
            error = _refused(exc, self.path)
            if error is None:
                raise
            raise error from exc
        except OSError as exc:
            if exc.errno not in DiskError.ERRNOS:
                raise
            raise DiskError.of(exc, str(exc.filename or self.path)) from exc

    return guarded


def _after(prefix: str) -> str:
    """The least text after every text that starts with ``prefix`` (SQLite compares text
    by its UTF-8 bytes, which order as the code points do)."""
    for at in range(len(prefix) - 1, -1, -1):
        if ord(prefix[at]) < 0x10FFFF:
            return prefix[:at] + chr(ord(prefix[at]) + 1)
    return "\U0010ffff" * (len(prefix) + 1)


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SqliteStateStore(StateStore):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._migrated = False

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    def _conn(self, *, write: bool = True) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # The mirrors hold people's names and what they wrote: readable by opsync only
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL with NORMAL syncs at checkpoints, not at each of the journal's several
            # commits per operation (ten times fewer fsyncs). A process crash loses nothing;
            # power loss may drop the last entries, as it may the workspace files themselves,
            # which are replaced atomically but not fsynced, and the next run re-plans anyway.
            self._db.execute("PRAGMA synchronous=NORMAL")
        if write and not self._migrated:
            self._db.executescript(_SCHEMA)
            self._migrated = True
        return self._db

    def lock(self) -> AbstractContextManager[object]:
        return RunLock(self.path.with_name(self.path.name + ".lock"))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
            self._migrated = False

    @_guarded
    def load_mirror(self, connector: str, name: str) -> str | None:
        if not self.exists:
            return None
        try:
            row = (
                self._conn(write=False)
                .execute(
                    "SELECT value FROM mirrors WHERE connector = ? AND name = ?", (connector, name)
                )
                .fetchone()
            )
        except sqlite3.OperationalError:  # a database from before mirrors were kept here
            return None
        return str(row[0]) if row else None

    @_guarded
    def save_mirrors(self, values: Mapping[MirrorKey, str]) -> None:
        db = self._conn()
        with db:  # one transaction: the mirrors of one run land together
            db.execute("BEGIN")
            db.executemany(
                "INSERT INTO mirrors(connector, name, value) VALUES(?, ?, ?) "
                "ON CONFLICT(connector, name) DO UPDATE SET value = excluded.value",
                [(c, n, v) for (c, n), v in values.items()],
            )

    @_guarded
    def load_cache(self, connector: str, prefix: str = "") -> dict[str, str]:
        if not self.exists:
            return {}
        try:  # a range of the primary key: the keys that start with the prefix, in order
            rows = (
                self._conn(write=False)
                .execute(
                    "SELECT key, value FROM read_cache WHERE connector = ? AND key >= ? "
                    "AND key < ?",
                    (connector, prefix, _after(prefix)),
                )
                .fetchall()
            )
        except sqlite3.OperationalError:  # a database from before the cache was kept
            return {}
        return dict(rows)

    @_guarded
    def save_cache(self, connector: str, rows: CacheChanges) -> None:
        db = self._conn()
        with db:
            db.execute("BEGIN")
            db.executemany(
                "INSERT INTO read_cache(connector, key, value) VALUES(?, ?, ?) "
                "ON CONFLICT(connector, key) DO UPDATE SET value = excluded.value",
                [(connector, k, v) for k, v in rows.items() if v is not None],
            )
            db.executemany(
                "DELETE FROM read_cache WHERE connector = ? AND key = ?",
                [(connector, k) for k, v in rows.items() if v is None],
            )

    @_guarded
    def get_meta(self, name: str) -> str | None:
        if not self.exists:
            return None
        row = (
            self._conn(write=False)
            .execute("SELECT value FROM meta WHERE name = ?", (name,))
            .fetchone()
        )
        return str(row[0]) if row else None

    @_guarded
    def set_meta(self, name: str, value: str) -> None:
        self._conn().execute(
            "INSERT INTO meta(name, value) VALUES(?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (name, value),
        )

    @_guarded
    def start_run(self, run_id: str, clock: str) -> None:
        self._conn().execute(
            "INSERT INTO runs(run_id, started_at, clock) VALUES(?, ?, ?)", (run_id, _stamp(), clock)
        )

    @_guarded
    def finish_run(self, run_id: str, status: str) -> None:
        self._conn().execute(
            "UPDATE runs SET finished_at = ?, status = ? WHERE run_id = ?",
            (_stamp(), status, run_id),
        )

    @_guarded
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
        self._conn().execute(
            "INSERT INTO journal(run_id, op_key, kind, target, reason, status, error, updated_at) "
            "VALUES(?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(run_id, op_key) DO UPDATE SET "
            "status = excluded.status, error = excluded.error, updated_at = excluded.updated_at",
            (run_id, op_key, kind, target, reason, status, error, _stamp()),
        )

    @_guarded
    def close_interrupted(self) -> int:
        if not self.exists:
            return 0
        cursor = self._conn().execute(
            "UPDATE journal SET status = 'interrupted', updated_at = ? "
            "WHERE status IN ('planned', 'started')",
            (_stamp(),),
        )
        return int(cursor.rowcount)

    @_guarded
    def unfinished(self, kind: str) -> frozenset[str]:
        if not self.exists:
            return frozenset()
        rows = (
            self._conn(write=False)
            .execute(
                "SELECT DISTINCT j.target FROM journal j WHERE j.kind = ? "
                "AND j.status IN ('started', 'interrupted', 'failed') AND NOT EXISTS ("
                "SELECT 1 FROM journal d WHERE d.target = j.target AND d.status = 'done' "
                "AND d.rowid > j.rowid)",
                (kind,),
            )
            .fetchall()
        )
        return frozenset(str(r[0]) for r in rows)

    @_guarded
    def finished(self, kind: str) -> frozenset[str]:
        if not self.exists:
            return frozenset()
        rows = (
            self._conn(write=False)
            .execute(
                "SELECT DISTINCT target FROM journal WHERE kind = ? AND status = 'done'", (kind,)
            )
            .fetchall()
        )
        return frozenset(str(r[0]) for r in rows)

    @_guarded
    def journal_rows(self, run_id: str | None = None) -> list[tuple[str, str]]:
        if not self.exists:
            return []
        query = "SELECT op_key, status FROM journal"
        db = self._conn(write=False)
        rows = (
            db.execute(query + " WHERE run_id = ? ORDER BY rowid", (run_id,))
            if run_id is not None
            else db.execute(query + " ORDER BY rowid")
        ).fetchall()
        return [(str(r[0]), str(r[1])) for r in rows]
