"""The local workspace's read cache: each file's parsed content, kept in the state store
and used again while the file is unchanged, so a run parses only the files that changed.

- **Key.** A row is keyed by the file's path and holds its ``lstat`` as read: size,
  ``mtime_ns``, inode and ``ctime_ns``. The listing's ``os.scandir`` pass gives that stat,
  so a file whose stat is unchanged is neither opened nor parsed. ``ctime`` cannot be set by
  a person (``touch -d``, ``cp -p``, ``rsync -t`` set ``mtime`` only), and every write,
  rename or replacement changes it (and a replacement the inode).
- **Racy files.** A file rewritten with the same size within one tick of its timestamp
  (a few milliseconds on Linux, 2 s on FAT) keeps its whole stat. As git does for its
  index ("racy git"), a row records when its stat was taken; while the file's ``mtime`` is
  less than :data:`RACY_NS` (2 s) before that moment, the row is *racy* and is used only
  after the file's bytes hash to the digest it holds (read and hashed, never parsed). A
  writing run that finds such a row's file unchanged later, when its ``mtime`` is old
  enough, re-stamps it (:meth:`ReadCache.settle`), as does a later run that checks it
  and stores rows anyway; a run that would store nothing else does not, so a no-op run
  still writes nothing (it hashes the few files written in the last 2 s of the run that
  wrote them, until a run stores something).
- **Content.** The parsed front matter (or a page's regions) as JSON with tags for the
  types JSON lacks (dates, datetimes, nested mappings); a value of any other type leaves the
  file uncached. JSON, not pickle: a shared database must not be able to run code in
  opsync. Every row carries :data:`VERSION`; a row of another version is ignored.
- **Only a cache.** Without the store, with the rows deleted or of another version, the
  read parses every file as it always did: same result, slower.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from opsync._version import __version__
from opsync.connectors.local import files
from opsync.state import ConnectorState
from opsync.state.base import CacheChanges

#: The format of a row, and the opsync version that wrote it: a row of another version of
#: either is ignored (what a file parses to may change between versions).
VERSION = f"2/{__version__}"
RACY_NS = 2_000_000_000
StatKey = tuple[int, int, int, int]  # size, mtime_ns, inode (0 where none), ctime_ns


def stat_key(st: os.stat_result) -> StatKey:
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def lstat_key(path: Path) -> StatKey | None:
    try:
        return stat_key(os.lstat(path))
    except OSError:
        return None


digest = files.digest


class Uncacheable(ValueError):
    """A parsed value of a type the row format does not hold exactly."""


def encode(value: Any) -> Any:
    """``value`` as JSON data that :func:`decode` turns back into an equal value of the
    same types; :class:`Uncacheable` for anything else (a set, bytes, a key that is not
    text or that starts with ``$``, which the tags of dates use)."""
    kind = type(value)
    if value is None or kind in (str, int, float, bool):
        return value
    if kind is date:
        return {"$d": value.isoformat()}
    if kind is datetime:
        return {"$t": value.isoformat()}
    if kind is list:
        return [encode(v) for v in value]
    if kind is dict:
        return encode_fields(value)
    raise Uncacheable(f"a value of type {kind.__name__}")


def encode_fields(data: dict[str, Any]) -> dict[str, Any]:
    """A mapping (front matter, or one nested in it)."""
    if not all(type(k) is str and not k.startswith("$") for k in data):
        raise Uncacheable("a mapping with a key that is not text, or that starts with $")
    return {k: encode(v) for k, v in data.items()}


def _tagged(value: dict[str, Any]) -> Any:
    """The ``object_hook`` of :func:`loads`: a tagged object is the value it stands for
    (no mapping the rows hold has a key starting with ``$``)."""
    if len(value) != 1:
        return value
    if "$d" in value:
        return date.fromisoformat(value["$d"])
    if "$t" in value:
        return datetime.fromisoformat(value["$t"])
    return value


def loads(text: str) -> Any:
    """A row as JSON data, its tagged values decoded while parsing (in C, with a hook per
    object only)."""
    return json.loads(text, object_hook=_tagged)


def _reencoded(row: dict[str, Any]) -> dict[str, Any]:
    """A row read back (its dates decoded) as it is stored."""
    return {k: encode(v) for k, v in row.items()}


def _dump(row: dict[str, Any]) -> str:
    """A row as its JSON text, every character past ASCII escaped: Python holds a string at
    the width of its widest character, so one status emoji in a large page's region made
    its row four bytes a character in memory, staged until the commit, against one now
    (rows written before read the same)."""
    return json.dumps(row, ensure_ascii=True, separators=(",", ":"), allow_nan=True)


@dataclass(frozen=True)
class Hit:
    digest: str
    payload: Any  # the JSON data the workspace stored (decoded by it)


class ReadCache:
    """The rows of one read: looked up by path and stat, new rows staged until a commit."""

    def __init__(self, state: ConnectorState | None) -> None:
        self.state = state
        self._rows: dict[str, str] = {}  # the rows of the folder being read
        self._changes: dict[str, str | None] = {}
        self._racy: dict[str, tuple[StatKey, str]] = {}  # rows to re-stamp once settled
        self._verified: dict[str, str] = {}  # racy rows found right, re-stamped
        if state is not None:
            state.keep_cache(self._hand_over)

    def _hand_over(self) -> CacheChanges:
        self.settle()
        if self._changes:  # a run that stores rows anyway re-stamps the racy rows it checked
            self._changes.update(self._verified)  # (a no-op run writes nothing)
            self._verified.clear()
        changes, self._changes = self._changes, {}
        return changes

    def lookup(
        self, path: str, key: StatKey, read: Callable[[], bytes], taken: int = 0
    ) -> Hit | None:
        """The row of ``path`` when it was made from the file as it is; ``read`` gives the
        file's bytes, asked for only to check a racy row. ``taken``: when ``key`` was taken
        (ns), for re-stamping a racy row found right."""
        text = self._rows.pop(path, None)  # each row is used once: its text is freed now
        return None if text is None else self._check(path, text, key, read, taken)[0]

    def lookup_file(
        self, path: str, key: StatKey, read: Callable[[], bytes], taken: int = 0
    ) -> tuple[Hit | None, Any]:
        """:meth:`lookup` for a file read outside the folders (the tracker export), whose
        row is loaded alone; with a miss, the payload its row held (None without one), for
        a parse that reuses what did not change."""
        if self.state is None:
            return None, None
        text = self.state.cached(path).get(path)
        return (None, None) if text is None else self._check(path, text, key, read, taken)

    def _check(
        self, path: str, text: str, key: StatKey, read: Callable[[], bytes], taken: int
    ) -> tuple[Hit | None, Any]:
        try:
            row = loads(text)
            if row["v"] != VERSION:
                return None, None
            if tuple(row["s"]) != key:
                return None, row["p"]
            if key[1] + RACY_NS > row["t"]:
                if digest(read()) != row["d"]:
                    return None, row["p"]  # a racy row is used only while the bytes match
                if key[1] + RACY_NS <= taken:
                    self._verified[path] = _dump(_reencoded({**row, "t": taken}))
            return Hit(row["d"], row["p"]), None
        except (ValueError, KeyError, TypeError, IndexError):
            return None, None  # a damaged row is no row

    def store(self, path: str, key: StatKey | None, taken: int, sum_: str, payload: Any) -> None:
        """Stage the row of ``path``: its stat ``key`` taken at ``taken`` (ns, before the
        bytes of digest ``sum_`` were read), and what they parse to. None drops the row."""
        self._verified.pop(path, None)
        if key is None or payload is None:
            self._changes[path] = None
            self._racy.pop(path, None)
            return
        text = _dump({"v": VERSION, "s": key, "t": taken, "d": sum_, "p": payload})
        self._changes[path] = text
        if key[1] + RACY_NS > taken:
            self._racy[path] = (key, text)
        else:
            self._racy.pop(path, None)

    def forget(self, path: str) -> None:
        self.store(path, None, 0, "", None)

    def settle(self) -> None:
        """Re-stamp the racy rows whose file is unchanged and old enough now (its stat, then
        its bytes, checked), so the next run uses them without reading the file."""
        now = time.time_ns()
        for path, (key, text) in list(self._racy.items()):
            if key[1] + RACY_NS > now:
                continue
            del self._racy[path]
            taken = time.time_ns()
            if lstat_key(Path(path)) != key:
                continue
            try:
                data = files.read_file(Path(path))[0]
            except OSError:
                continue
            row = loads(text)
            if digest(data) == row["d"]:
                row["t"] = taken
                self._changes[path] = _dump(_reencoded(row))

    def folder(self, root: Path) -> None:
        """Read the rows of the files below ``root`` next (one folder's rows in memory at a
        time); the rows of the folder before that no file used are dropped."""
        self.drop_unused()
        if self.state is not None:  # the folders' files are Markdown (not a tracker in one)
            rows = self.state.cached(os.path.join(root, ""))
            self._rows = {k: v for k, v in rows.items() if k.endswith(".md")}

    def drop_unused(self) -> None:
        """Drop the rows of the folder read that no file used (deleted or moved files)."""
        for path in self._rows:
            self._changes[path] = None
        self._rows = {}


def fingerprint(roots: Iterable[tuple[str, Path]], extra: str = "") -> str | None:
    """A digest of every ``*.md`` file and link below ``roots`` as a read lists them, and
    of every ``*.png`` (a page's chart picture, which the read checks is there; names
    starting with a dot are skipped, as the read skips them):
    relative path, size, ``mtime_ns``, inode and ``ctime_ns``, from one ``scandir`` pass
    (``lstat`` only, no file opened). Equal digests: the read would see the same files
    unchanged. None (unknown) while a file's ``mtime`` is less than :data:`RACY_NS` old: a
    rewrite within its timestamp's tick would keep its whole stat (the racy rows above)."""
    hasher = hashlib.blake2b(digest_size=16)
    hasher.update(f"{VERSION}\0{extra}\0".encode())
    newest = 0
    for role, root in roots:
        found, links = files.scan_md_relative(root, suffixes=(".md", ".png"))
        hasher.update(f"{role}\0{root}\0{root.is_dir()}\0".encode())
        for rel, st in found:
            newest = max(newest, st.st_mtime_ns)
            hasher.update(f"f\0{rel}\0{stat_key(st)}\n".encode())
        for rel in links:
            hasher.update(f"l\0{rel}\0{lstat_key(root / rel)}\n".encode())
    if newest + RACY_NS > time.time_ns():
        return None
    return hasher.hexdigest()


def files_fingerprint(paths: Iterable[Path]) -> str | None:
    """The same for single files, whatever their name (a link counts as a link); None
    while one of them is less than :data:`RACY_NS` old."""
    hasher = hashlib.blake2b(digest_size=16)
    for path in paths:
        key = lstat_key(path)
        if key is not None and key[1] + RACY_NS > time.time_ns():
            return None
        hasher.update(f"{path.name}\0{key}\n".encode())
    return hasher.hexdigest()


__all__ = [
    "RACY_NS",
    "VERSION",
    "Hit",
    "ReadCache",
    "StatKey",
    "Uncacheable",
    "digest",
    "encode",
    "encode_fields",
    "files_fingerprint",
    "fingerprint",
    "loads",
    "lstat_key",
    "stat_key",
]
