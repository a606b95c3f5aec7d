"""One run at a time per config: an OS file lock, released by the system when the process
dies, so a lock left by a killed run never needs cleaning up by hand.

The lock is ``portalocker``'s: ``flock`` on Linux and macOS, ``LockFileEx`` on Windows.
It is taken on a descriptor the caller opened, so that the local workspace's write lease
(``connectors/local/lease.py``), which keeps the lease's text in the very file it locks,
uses the same two functions as the run lock here.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

import portalocker

from opsync.errors import DiskError, LockHeld


class _Descriptor:
    """An open descriptor as the file object portalocker takes (every version of it)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def fileno(self) -> int:
        return self.fd


def try_lock(fd: int) -> bool:
    """Lock the open file ``fd`` exclusively without waiting; False when another open of
    the file, in this process or another, holds it."""
    try:
        portalocker.lock(
            _Descriptor(fd), portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING
        )
    except portalocker.AlreadyLocked:
        return False
    return True


def unlock(fd: int) -> None:
    portalocker.unlock(_Descriptor(fd))


class RunLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            if exc.errno not in DiskError.ERRNOS:
                raise
            raise DiskError.of(exc, str(exc.filename or self.path)) from exc
        if not try_lock(fd):
            os.close(fd)
            raise LockHeld(
                f"another opsync run holds {self.path}; wait for it to finish (a lock left by a "
                "killed run is released by the system on its own)"
            )
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            unlock(self._fd)
            os.close(self._fd)
            self._fd = None
