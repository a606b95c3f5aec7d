"""The local workspace's write lease: a file beside the wiki folder, locked by the kernel.

The lock file of the state folder keeps apart runs that share ``.opsync/``; this one keeps
apart every run that writes into this wiki, whatever state store it has (a run started
after someone deleted ``.opsync/``, a second checkout pointed at the same folder). On one
host the kernel lock (the run lock's, ``state/lock.py``: flock, or LockFileEx on Windows)
decides and is released when the process dies. The file also holds
the lease (holder, expiry, generation; ``connectors/lease.py``) for a folder shared between
hosts, where a kernel lock may not be seen by the other host: a live lease from another
host stops this run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from opsync.connectors.lease import DEFAULT_TTL, Holder, Lease, held_elsewhere, lost, utc_now
from opsync.errors import DiskError, LockHeld
from opsync.state.lock import try_lock, unlock


def lease_path(wiki: Path) -> Path:
    """Beside the wiki folder, named after it: taking it never creates the wiki folder, and
    two wikis in one parent folder have a lease each."""
    return wiki.parent / f".{wiki.name}.opsync-lease"


def _undo(made: list[Path]) -> None:
    """Remove what taking the lease created (the file, then the folders it needed)."""
    for path in reversed(made):
        try:
            path.unlink() if path.name.endswith(".opsync-lease") else path.rmdir()
        except OSError:
            return  # someone else's now (another run's lease, a folder with files)


class FileLease:
    def __init__(self, wiki: Path, ttl: timedelta = DEFAULT_TTL) -> None:
        self.path = lease_path(wiki)
        self.ttl = ttl
        self._fd: int | None = None
        self._me: Holder | None = None
        self._lease = Lease()
        self._renew_at = 0.0
        self._claimed = False  # whether this hold wrote the lease (and so may have written)

    def _read(self, fd: int) -> Lease:
        os.lseek(fd, 0, os.SEEK_SET)
        return Lease.load(os.read(fd, 4096).decode("utf-8", "replace"))

    def _write(self, fd: int, lease: Lease) -> None:
        data = lease.dump().encode()
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, data)
            os.fsync(fd)
        except OSError as exc:
            if exc.errno in DiskError.ERRNOS:
                raise DiskError.of(exc, str(self.path)) from exc
            raise
        self._lease = lease

    @contextmanager
    def hold(self, writer: str) -> Iterator[None]:
        # what taking the lease creates, outermost first: removed again by a run that wrote
        # nothing (a typo'd wiki path must not leave folders behind)
        ancestors = (self.path.parent, *self.path.parent.parents)
        made = [p for p in reversed(ancestors) if not p.exists()]
        if not os.path.lexists(self.path):
            made.append(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            raise LockHeld(
                f"cannot open the write lease {self.path}: {exc.strerror}; it must be a "
                "regular file opsync can write (a symlink is refused)"
            ) from None
        if not try_lock(fd):
            holder = self._read(fd).holder or "another process"
            os.close(fd)
            raise held_elsewhere(
                str(self.path), f"another opsync run ({holder}) is writing this workspace"
            ) from None
        me = self._me = Holder.me(writer)
        self._claimed = False
        try:
            self._fd = fd
            self._check(fd, me)
            yield
        finally:
            self._fd = None
            try:
                if self._lease.holder == me.text():
                    self._write(fd, self._lease.released())
                elif made and not self._claimed:  # a run that wrote nothing leaves no trace
                    _undo(made)
            finally:
                unlock(fd)
                os.close(fd)

    def _check(self, fd: int, me: Holder) -> Lease:
        """The lease as stored; a live one from another host stops the run (this host's
        kernel lock cannot see that host's runs)."""
        found = self._read(fd)
        why = found.blocks(me, utc_now())
        if why is not None and (Holder.parse(found.holder) or me).host != me.host:
            raise held_elsewhere(str(self.path), why)
        return found

    def claim(self) -> None:
        """Write the lease (holder, expiry, a new generation) before the run's first write.
        A run with nothing to write leaves the file as it was: a no-op changes no byte."""
        if self._fd is None or self._me is None or self._lease.holder == self._me.text():
            return
        found = self._check(self._fd, self._me)
        self._write(self._fd, found.taken_by(self._me, utc_now(), self.ttl))
        self._claimed = True
        self._renew_at = time.monotonic() + self.ttl.total_seconds() / 3

    def tick(self) -> None:
        """Before a write: renew the lease when a third of it has passed, and stop writing
        if a run on another host took it over meanwhile."""
        if self._fd is None or self._me is None or time.monotonic() < self._renew_at:
            return
        if self._lease.holder != self._me.text():
            self.claim()  # a write before the engine's claim (a connector used directly)
            return
        found = self._read(self._fd)
        if found.holder != self._me.text():
            self._lease = found
            raise lost(str(self.path), found)
        self._write(self._fd, found.renewed(utc_now(), self.ttl))
        self._renew_at = time.monotonic() + self.ttl.total_seconds() / 3


__all__ = ["FileLease", "lease_path"]
