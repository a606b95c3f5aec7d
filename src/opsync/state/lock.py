"""One run at a time per config: an OS file lock, released by the kernel when the process
dies, so a lock left by a killed run never needs cleaning up by hand."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from opsync.errors import DiskError, LockHeld


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
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LockHeld(
                f"another opsync run holds {self.path}; wait for it to finish (a lock left by a "
                "killed run is released by the system on its own)"
            ) from None
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
