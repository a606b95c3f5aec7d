"""SQLite state store (default ``.opsync/state.db`` beside the config).

The journal records each operation as planned, started, done or failed, keyed by run and
idempotency key, so a run that died can be inspected and resumed; ``written`` keeps what
opsync last wrote per target; ``meta`` keeps the identity fingerprint of the config. The
database is opened only when there is something to record, so a no-op run writes no file.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, clock TEXT NOT NULL,
    finished_at TEXT, status TEXT NOT NULL DEFAULT 'running');
CREATE TABLE IF NOT EXISTS journal (
    run_id TEXT NOT NULL, op_key TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL,
    reason TEXT NOT NULL, status TEXT NOT NULL, error TEXT, updated_at TEXT NOT NULL,
    PRIMARY KEY (run_id, op_key));
CREATE TABLE IF NOT EXISTS written (
    target TEXT PRIMARY KEY, op_key TEXT NOT NULL, written_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cursors (
    connector TEXT NOT NULL, collection TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (connector, collection));
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class StateStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL with NORMAL syncs at checkpoints, not at each of the journal's several
            # commits per operation (ten times fewer fsyncs). A process crash loses nothing;
            # power loss may drop the last entries, as it may the workspace files themselves,
            # which are replaced atomically but not fsynced, and the next run re-plans anyway.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def get_meta(self, name: str) -> str | None:
        if not self.exists:
            return None
        row = self._conn().execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, name: str, value: str) -> None:
        self._conn().execute(
            "INSERT INTO meta(name, value) VALUES(?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (name, value),
        )

    def start_run(self, run_id: str, clock: str) -> None:
        self._conn().execute(
            "INSERT INTO runs(run_id, started_at, clock) VALUES(?, ?, ?)", (run_id, _stamp(), clock)
        )

    def finish_run(self, run_id: str, status: str) -> None:
        self._conn().execute(
            "UPDATE runs SET finished_at = ?, status = ? WHERE run_id = ?",
            (_stamp(), status, run_id),
        )

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
        if status == "done":
            self._conn().execute(
                "INSERT INTO written(target, op_key, written_at) VALUES(?, ?, ?) "
                "ON CONFLICT(target) DO UPDATE SET op_key = excluded.op_key, "
                "written_at = excluded.written_at",
                (target, op_key, _stamp()),
            )

    def close_interrupted(self) -> int:
        """Mark operations that a killed run left planned or started as ``interrupted``.

        Nothing is replayed from the journal: the new run recomputes its plan from what the
        targets hold, and every create is found again by its key, so redoing is safe.
        """
        if not self.exists:
            return 0
        cursor = self._conn().execute(
            "UPDATE journal SET status = 'interrupted', updated_at = ? "
            "WHERE status IN ('planned', 'started')",
            (_stamp(),),
        )
        return int(cursor.rowcount)

    def unfinished(self, kind: str) -> frozenset[str]:
        """Targets of ``kind`` operations that a run started and did not finish (killed,
        or failed part-way), with no successful write to the same target since."""
        if not self.exists:
            return frozenset()
        rows = (
            self._conn()
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

    def journal_rows(self, run_id: str | None = None) -> list[tuple[str, str]]:
        """(operation key, status) of one run, or of every run, in the order recorded."""
        if not self.exists:
            return []
        query = "SELECT op_key, status FROM journal"
        rows = (
            self._conn().execute(query + " WHERE run_id = ? ORDER BY rowid", (run_id,))
            if run_id is not None
            else self._conn().execute(query + " ORDER BY rowid")
        ).fetchall()
        return [(str(r[0]), str(r[1])) for r in rows]
