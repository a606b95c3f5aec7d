"""A digest of what the local workspace's reads would see, taken from the files' stats
without opening any: the run's memo (engine/memo.py) skips a run whose inputs it equals.

Each file counts by its path, type, size, inode, and its modification and change times to
the nanosecond: an edit, a touch, a rename, a copy over it or a file made a link all change
one of them. A file changed within the clock's grain of the scan could still keep them all
(git's "racy" files), so a scan that finds a file changed in the last two seconds says
nothing (None) and the run is a full one.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Sequence
from pathlib import Path

RACY_NS = 2_000_000_000  # a file this recent may change again within its stat's grain


class _Racy(Exception):
    pass


def _entry(digest: hashlib.blake2b, where: str, st: os.stat_result, since: int) -> None:
    if st.st_mtime_ns >= since or st.st_ctime_ns >= since:
        raise _Racy
    kind = stat.S_IFMT(st.st_mode)
    digest.update(
        f"{where}\0{kind}\0{st.st_size}\0{st.st_ino}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\n".encode(
            "utf-8", "surrogateescape"
        )
    )


def _tree(digest: hashlib.blake2b, root: Path, since: int) -> None:
    """Every entry below ``root`` but hidden ones (opsync's temporary files), as the reads
    list them: links are entries, never followed."""
    pending = [("", str(root))]
    while pending:
        relative, folder = pending.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except FileNotFoundError:
            digest.update(f"{relative}\0absent\n".encode("utf-8", "surrogateescape"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            where = f"{relative}/{entry.name}"
            st = entry.stat(follow_symlinks=False)
            _entry(digest, where, st, since)
            if stat.S_ISDIR(st.st_mode):
                pending.append((where, entry.path))


def of(files: Sequence[Path], trees: Sequence[Path]) -> str | None:
    """The digest of ``files`` (followed, as they are read) and of every entry below each
    of ``trees``; None when one of them changed too recently to be told by its stat."""
    since = time.time_ns() - RACY_NS
    digest = hashlib.blake2b(digest_size=20)
    try:
        for path in files:
            try:
                st = os.stat(path)
            except FileNotFoundError:
                digest.update(f"file\0{path}\0absent\n".encode("utf-8", "surrogateescape"))
                continue
            _entry(digest, f"file\0{path}", st, since)
        for root in trees:
            digest.update(f"tree\0{root}\n".encode("utf-8", "surrogateescape"))
            _tree(digest, root, since)
    except _Racy:
        return None
    return digest.hexdigest()
