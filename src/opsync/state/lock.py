"""One run at a time per config: an OS file lock (``filelock``: ``flock`` on POSIX,
``msvcrt`` locking on Windows), released by the system when the process dies, so a lock
left by a killed run never needs cleaning up by hand."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from filelock import FileLock, Timeout

from opsync.errors import DiskError, LockHeld


class RunLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        # not thread-local and not shared: a second RunLock on the same file, even in this
        # process, is a second run and must be refused, as flock on another descriptor was
        self._lock = FileLock(path, mode=0o644, thread_local=False, is_singleton=False)

    def __enter__(self) -> RunLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock.acquire(timeout=0)
        except Timeout:
            raise LockHeld(
                f"another opsync run holds {self.path}; wait for it to finish (a lock left by a "
                "killed run is released by the system on its own)"
            ) from None
        except OSError as exc:
            if exc.errno not in DiskError.ERRNOS:
                raise
            raise DiskError.of(exc, str(exc.filename or self.path)) from exc
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._lock.is_locked:
            self._lock.release(force=True)
