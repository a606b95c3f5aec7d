"""The one interface to opsync's own state: the journal, the run lock, the connectors'
read mirrors and the config's identity fingerprint.

Everything a run remembers between runs goes through a :class:`StateStore`, so that a
second backend (a shared database for runs on several machines) is one class, and so that
a run that must write nothing (``opsync plan``) can be sure nothing is written: mirrors
are kept in memory while a run reads and reach the store only when a writing run commits.
Losing the store costs a slower run, never a duplicate: identity lives in the targets.

A connector may also keep a *read cache* there: one row per item it read (a file's parsed
content, keyed by its path), so that the next run parses only what changed. Rows are
staged like mirrors and reach the store only when a writing run commits; a cache row is
never more than a cache, and a run is correct with none.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager

MirrorKey = tuple[str, str]  # (connector name, mirror name)
#: The rows of a connector's read cache that changed: a new value, or None for a row to drop.
CacheChanges = Mapping[str, str | None]


class ConnectorState:
    """One connector's part of the store, the only way a connector reaches it.

    A connector reads its mirrors with :meth:`get` and hands :meth:`keep` a function that
    serialises them; the function is called only when a writing run commits, after its
    writes, so what the writes left in the mirror is kept too, and a plan keeps nothing.
    """

    def __init__(self, store: StateStore, connector: str) -> None:
        self.store = store
        self.connector = connector

    def get(self, name: str) -> str | None:
        """The mirror ``name`` as last committed, or None when there is none."""
        return self.store.read_mirror(self.connector, name)

    def keep(self, name: str, dump: Callable[[], str]) -> None:
        """Have a writing run store ``dump()`` as mirror ``name`` when it commits."""
        self.store.kept[(self.connector, name)] = dump

    def cached(self, prefix: str = "") -> dict[str, str]:
        """The rows of this connector's read cache whose key starts with ``prefix``, as
        last committed, by key."""
        return self.store.load_cache(self.connector, prefix)

    def keep_cache(self, changes: Callable[[], CacheChanges]) -> None:
        """Have each commit of a writing run store ``changes()``: the rows changed since
        the previous call (the function hands each change over once)."""
        self.store.cache_kept[self.connector] = changes


class StateStore(ABC):
    """What a run keeps between runs. Subclasses implement the storage primitives; the
    staging of mirrors (in memory until :meth:`commit`) is shared by every backend."""

    def __init__(self) -> None:
        self.kept: dict[MirrorKey, Callable[[], str]] = {}
        self.cache_kept: dict[str, Callable[[], CacheChanges]] = {}
        self._known: dict[MirrorKey, str | None] = {}

    def connector(self, name: str) -> ConnectorState:
        return ConnectorState(self, name)

    def read_mirror(self, connector: str, name: str) -> str | None:
        key = (connector, name)
        if key not in self._known:
            self._known[key] = self.load_mirror(connector, name)
        return self._known[key]

    def commit(self) -> None:
        """Store every kept mirror that changed since it was read, in one transaction."""
        changed: dict[MirrorKey, str] = {}
        for key, dump in self.kept.items():
            text = dump()
            if text != self.read_mirror(*key):
                changed[key] = text
        if changed:
            self.save_mirrors(changed)
            self._known.update(changed)
        for connector, changes in self.cache_kept.items():
            rows = changes()
            if rows:
                self.save_cache(connector, rows)

    @abstractmethod
    def lock(self) -> AbstractContextManager[object]:
        """Held by a writing run for its whole length; raises ``LockHeld`` when taken."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def load_mirror(self, connector: str, name: str) -> str | None: ...

    @abstractmethod
    def save_mirrors(self, values: Mapping[MirrorKey, str]) -> None:
        """Replace these mirrors together: a reader sees all of them new, or none."""

    @abstractmethod
    def load_cache(self, connector: str, prefix: str = "") -> dict[str, str]:
        """The read-cache rows of ``connector`` whose key starts with ``prefix``, by key;
        empty when there is none. A connector loads one folder's rows at a time, so no
        more than those are in memory at once."""

    @abstractmethod
    def save_cache(self, connector: str, rows: CacheChanges) -> None:
        """Set (or, for None, delete) these read-cache rows of ``connector`` together."""

    @abstractmethod
    def get_meta(self, name: str) -> str | None: ...

    @abstractmethod
    def set_meta(self, name: str, value: str) -> None: ...

    @abstractmethod
    def start_run(self, run_id: str, clock: str) -> None: ...

    @abstractmethod
    def finish_run(self, run_id: str, status: str) -> None: ...

    @abstractmethod
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
        """Record an operation as ``planned``, ``started``, ``done`` or ``failed``."""

    @abstractmethod
    def close_interrupted(self) -> int:
        """Mark operations that a killed run left planned or started as ``interrupted``,
        and return how many there were.

        Nothing is replayed from the journal: the new run recomputes its plan from what the
        targets hold, and every create is found again by its key, so redoing is safe.
        """

    @abstractmethod
    def unfinished(self, kind: str) -> frozenset[str]:
        """Targets of ``kind`` operations that a run started and did not finish (killed,
        or failed part-way), with no successful write to the same target since."""

    @abstractmethod
    def finished(self, kind: str) -> frozenset[str]:
        """Targets of ``kind`` operations some run journaled ``done``: for sends, the record
        of every message sent, which no notifier has to be asked about again."""

    @abstractmethod
    def journal_rows(self, run_id: str | None = None) -> list[tuple[str, str]]:
        """(operation key, status) of one run, or of every run, in the order recorded."""
