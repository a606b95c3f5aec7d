"""The shared state store: the same data as the SQLite file, in a PostgreSQL database.

For runs on machines whose disk does not survive the run (a Kubernetes CronJob, a
scheduled CI workflow) and for a platform team running many organisations: every table
has an ``org`` column holding the store's key (the organisation), so organisations share
one database without seeing each other's rows, and the run lock is a PostgreSQL advisory
lock keyed by a hash of the same key, so two runners of one organisation exclude each
other across machines while runners of different organisations never wait on each other.

As with SQLite, nothing is created by a run that writes nothing: the tables are made (or
brought up to date) by the first write, under a transaction-scoped advisory lock so that
two runners starting at once do not race on ``CREATE TABLE``. psycopg (the ``postgres``
extra) is imported only when this store is used.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import urlsplit, urlunsplit

from opsync.errors import AuthError, LockHeld, TransientError
from opsync.state.base import CacheChanges, MirrorKey, StateStore

if TYPE_CHECKING:
    import psycopg

SCHEMA_VERSION = 2

# Each statement brings the schema from the version before it to its own; the version
# reached is kept in ``opsync_schema``. Tables are prefixed so that opsync can share a
# database (and schema) with other applications; they live in the connection's current
# schema, so a DBA places them with the role's ``search_path``.
_MIGRATIONS: dict[int, str] = {
    1: """
CREATE TABLE IF NOT EXISTS opsync_runs (
    org TEXT NOT NULL, run_id TEXT NOT NULL, started_at TEXT NOT NULL, clock TEXT NOT NULL,
    finished_at TEXT, status TEXT NOT NULL DEFAULT 'running', PRIMARY KEY (org, run_id));
CREATE TABLE IF NOT EXISTS opsync_journal (
    seq BIGINT GENERATED ALWAYS AS IDENTITY, org TEXT NOT NULL, run_id TEXT NOT NULL,
    op_key TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL, reason TEXT NOT NULL,
    status TEXT NOT NULL, error TEXT, updated_at TEXT NOT NULL,
    PRIMARY KEY (org, run_id, op_key));
CREATE INDEX IF NOT EXISTS opsync_journal_target ON opsync_journal (org, target, seq);
CREATE TABLE IF NOT EXISTS opsync_mirrors (
    org TEXT NOT NULL, connector TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (org, connector, name));
CREATE TABLE IF NOT EXISTS opsync_meta (
    org TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (org, name));
""",
    2: """
CREATE TABLE IF NOT EXISTS opsync_read_cache (
    org TEXT NOT NULL, connector TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (org, connector, key));
""",
}
# The key of the transaction-scoped lock that serialises schema changes (any constant
# distinct from the run locks' hashes; the run locks use the two-int form, this the one).
_MIGRATION_LOCK = 0x6F7073796E63  # "opsync"

# Keepalives let the server notice a runner's machine that vanished (its process cannot
# close the connection) and so release that runner's advisory lock within minutes.
_KEEPALIVE = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 6,
    "application_name": "opsync",
}


def redacted(url: str) -> str:
    """``url`` with its password replaced by ``***``: what opsync prints or logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def lock_key(key: str, schema: str = "public") -> tuple[int, int]:
    """The advisory lock of the organisation ``key`` in ``schema``: a stable 64-bit hash
    (the same on every machine and Python version, unlike ``hash()``), split as
    PostgreSQL's two-int form so it never collides with the one-int migration lock.

    Advisory locks belong to the database, not the schema, while a schema of its own (a
    ``search_path`` in the URL) holds a separate store; so the schema is part of the key,
    or two organisations of one name in two schemas would refuse each other's runs. The
    default schema hashes the key alone, as before, so runners of older versions still
    exclude newer ones there."""
    named = key if schema == "public" else f"{schema}\0{key}"
    digest = hashlib.sha256(f"opsync run lock\0{named}".encode()).digest()
    high, low = (int.from_bytes(digest[i : i + 4], "big", signed=True) for i in (0, 4))
    return high, low


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - depends on the install
        from opsync.errors import ConfigError

        raise ConfigError(
            "the state store is a PostgreSQL URL but psycopg is not installed",
            key="state.url",
            hint='pip install "opsync[postgres]"',
        ) from None
    return psycopg


def _failure(exc: Exception, url: str) -> TransientError | AuthError:
    """A database that refuses or fails: named by its URL without the password."""
    text = str(exc).replace(url, redacted(url)).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    request = f"state store {redacted(url)}"
    if "authentication failed" in text or "no password supplied" in text:
        return AuthError(f"the state database refused the credentials: {first}", request=request)
    return TransientError(f"the state database failed: {first}", request=request)


_P = ParamSpec("_P")
_T = TypeVar("_T")


def _guarded(
    method: Callable[Concatenate[PostgresStateStore, _P], _T],
) -> Callable[Concatenate[PostgresStateStore, _P], _T]:
    """A database that cannot be reached or fails a statement stops the run with an opsync
    error naming the database (never its password), not a driver traceback."""

    @functools.wraps(method)
    def guarded(self: PostgresStateStore, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return method(self, *args, **kwargs)
        except _psycopg().Error as exc:
            raise _failure(exc, self.url) from exc

    return guarded


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def connect(url: str) -> psycopg.Connection[Any]:
    """An autocommit connection (each statement its own transaction, as the SQLite store's
    ``isolation_level=None``); libpq reads what the URL leaves out (host, password, service)
    from its own environment variables (PGHOST, PGPASSWORD, PGSERVICE, ~/.pgpass)."""
    driver = _psycopg()
    try:
        conn: psycopg.Connection[Any] = driver.connect(url, autocommit=True, **_KEEPALIVE)
    except driver.Error as exc:
        raise _failure(exc, url) from exc
    return conn


class AdvisoryLock:
    """The run lock of one organisation: a session-level advisory lock on a connection of
    its own, held for the whole run. PostgreSQL releases it when that connection ends, so
    a killed runner's lock frees itself, as the kernel frees a file lock."""

    def __init__(self, url: str, key: str) -> None:
        self.url = url
        self.key = key
        self._key = lock_key(key)
        self._conn: psycopg.Connection[Any] | None = None

    def __enter__(self) -> AdvisoryLock:
        conn = connect(self.url)
        try:
            found = conn.execute("SELECT coalesce(current_schema(), '')").fetchone()
            self._key = lock_key(self.key, str(found[0]) if found else "")
            row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", self._key).fetchone()
        except _psycopg().Error as exc:
            conn.close()
            raise _failure(exc, self.url) from exc
        if not row or not row[0]:
            conn.close()
            raise LockHeld(
                f"another opsync run of {self.key!r} holds its lock in the state database "
                f"{redacted(self.url)}; wait for it to finish (the lock of a killed run is "
                "released when the database sees its connection end)"
            )
        self._conn = conn
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            # Unlocked by a statement, which the server has done when it answers: closing
            # alone ends the session a moment later, and a run started right after this
            # one (the next cron tick, a retry) could still find the lock held.
            try:
                with contextlib.suppress(_psycopg().Error):  # a lost session lost its locks
                    conn.execute("SELECT pg_advisory_unlock(%s, %s)", self._key)
            finally:
                conn.close()


class PostgresStateStore(StateStore):
    """``key`` names the organisation: its rows, and its run lock, in a shared database."""

    def __init__(self, url: str, key: str) -> None:
        super().__init__()
        self.url = url
        self.key = key
        self._db: psycopg.Connection[Any] | None = None
        self._ready: bool | None = None  # whether the tables exist (None: not looked yet)
        self._migrated = False  # whether this store brought the schema up to date

    def _conn(self) -> psycopg.Connection[Any]:
        if self._db is None:
            self._db = connect(self.url)
        return self._db

    def _exists(self) -> bool:
        """Whether the tables are there to read: a plan on a fresh database reads nothing."""
        if self._ready is None:
            row = self._conn().execute("SELECT to_regclass('opsync_schema')").fetchone()
            self._ready = bool(row and row[0] is not None)
        return self._ready

    def _write(self) -> psycopg.Connection[Any]:
        """The connection, with the schema made or brought up to date (once per store)."""
        db = self._conn()
        if self._migrated:  # tables made by an older opsync are brought up to date too
            return db
        with db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            db.execute("CREATE TABLE IF NOT EXISTS opsync_schema (version INTEGER NOT NULL)")
            row = db.execute("SELECT max(version) FROM opsync_schema").fetchone()
            at = int(row[0]) if row and row[0] is not None else 0
            for version in sorted(v for v in _MIGRATIONS if v > at):
                db.execute(_MIGRATIONS[version])
                db.execute("INSERT INTO opsync_schema(version) VALUES (%s)", (version,))
        self._ready = self._migrated = True
        return db

    @property
    def exists(self) -> bool:
        return self._exists()

    def lock(self) -> AbstractContextManager[object]:
        return AdvisoryLock(self.url, self.key)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
            self._ready = None
            self._migrated = False

    @_guarded
    def load_mirror(self, connector: str, name: str) -> str | None:
        if not self._exists():
            return None
        row = (
            self._conn()
            .execute(
                "SELECT value FROM opsync_mirrors WHERE org = %s AND connector = %s AND name = %s",
                (self.key, connector, name),
            )
            .fetchone()
        )
        return str(row[0]) if row else None

    @_guarded
    def save_mirrors(self, values: Mapping[MirrorKey, str]) -> None:
        db = self._write()
        with db.transaction(), db.cursor() as cursor:  # the mirrors of one run land together
            cursor.executemany(
                "INSERT INTO opsync_mirrors(org, connector, name, value) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (org, connector, name) DO UPDATE SET value = excluded.value",
                [(self.key, c, n, v) for (c, n), v in values.items()],
            )

    @_guarded
    def load_cache(self, connector: str, prefix: str = "") -> dict[str, str]:
        if not self._exists():
            return {}
        db = self._conn()
        if db.execute("SELECT to_regclass('opsync_read_cache')").fetchone() in (None, (None,)):
            return {}  # a database an older opsync made: the next write adds the table
        rows = db.execute(
            "SELECT key, value FROM opsync_read_cache WHERE org = %s AND connector = %s "
            "AND starts_with(key, %s)",
            (self.key, connector, prefix),
        ).fetchall()
        return {str(k): str(v) for k, v in rows}

    @_guarded
    def save_cache(self, connector: str, rows: CacheChanges) -> None:
        db = self._write()
        with db.transaction(), db.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO opsync_read_cache(org, connector, key, value) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (org, connector, key) "
                "DO UPDATE SET value = excluded.value",
                [(self.key, connector, k, v) for k, v in rows.items() if v is not None],
            )
            cursor.executemany(
                "DELETE FROM opsync_read_cache WHERE org = %s AND connector = %s AND key = %s",
                [(self.key, connector, k) for k, v in rows.items() if v is None],
            )

    @_guarded
    def get_meta(self, name: str) -> str | None:
        if not self._exists():
            return None
        row = (
            self._conn()
            .execute("SELECT value FROM opsync_meta WHERE org = %s AND name = %s", (self.key, name))
            .fetchone()
        )
        return str(row[0]) if row else None

    @_guarded
    def set_meta(self, name: str, value: str) -> None:
        self._write().execute(
            "INSERT INTO opsync_meta(org, name, value) VALUES (%s, %s, %s) "
            "ON CONFLICT (org, name) DO UPDATE SET value = excluded.value",
            (self.key, name, value),
        )

    @_guarded
    def start_run(self, run_id: str, clock: str) -> None:
        self._write().execute(
            "INSERT INTO opsync_runs(org, run_id, started_at, clock) VALUES (%s, %s, %s, %s)",
            (self.key, run_id, _stamp(), clock),
        )

    @_guarded
    def finish_run(self, run_id: str, status: str) -> None:
        self._write().execute(
            "UPDATE opsync_runs SET finished_at = %s, status = %s WHERE org = %s AND run_id = %s",
            (_stamp(), status, self.key, run_id),
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
        self._write().execute(
            "INSERT INTO opsync_journal(org, run_id, op_key, kind, target, reason, status, "
            "error, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (org, run_id, op_key) DO UPDATE SET status = excluded.status, "
            "error = excluded.error, updated_at = excluded.updated_at",
            (self.key, run_id, op_key, kind, target, reason, status, error, _stamp()),
        )

    @_guarded
    def close_interrupted(self) -> int:
        if not self._exists():
            return 0
        cursor = self._conn().execute(
            "UPDATE opsync_journal SET status = 'interrupted', updated_at = %s "
            "WHERE org = %s AND status IN ('planned', 'started')",
            (_stamp(), self.key),
        )
        return int(cursor.rowcount)

    @_guarded
    def unfinished(self, kind: str) -> frozenset[str]:
        if not self._exists():
            return frozenset()
        rows = (
            self._conn()
            .execute(
                "SELECT DISTINCT j.target FROM opsync_journal j WHERE j.org = %s AND j.kind = %s "
                "AND j.status IN ('started', 'interrupted', 'failed') AND NOT EXISTS ("
                "SELECT 1 FROM opsync_journal d WHERE d.org = j.org AND d.target = j.target "
                "AND d.status = 'done' AND d.seq > j.seq)",
                (self.key, kind),
            )
            .fetchall()
        )
        return frozenset(str(r[0]) for r in rows)

    @_guarded
    def finished(self, kind: str) -> frozenset[str]:
        if not self._exists():
            return frozenset()
        rows = (
            self._conn()
            .execute(
                "SELECT DISTINCT target FROM opsync_journal "
                "WHERE org = %s AND kind = %s AND status = 'done'",
                (self.key, kind),
            )
            .fetchall()
        )
        return frozenset(str(r[0]) for r in rows)

    @_guarded
    def journal_rows(self, run_id: str | None = None) -> list[tuple[str, str]]:
        if not self._exists():
            return []
        db = self._conn()
        query = "SELECT op_key, status FROM opsync_journal WHERE org = %s"
        rows = (
            db.execute(query + " AND run_id = %s ORDER BY seq", (self.key, run_id))
            if run_id is not None
            else db.execute(query + " ORDER BY seq", (self.key,))
        ).fetchall()
        return [(str(r[0]), str(r[1])) for r in rows]
