"""Every exception opsync raises, grouped by what the caller does next.

```
OpsyncError            anything opsync raises on purpose                         exit code
├── ConfigError        stop; a person fixes opsync.toml (file, key path, fix)        2
├── ConnectorError     a tool (tracker, wiki, notifier) refused or failed a request
│   ├── TransientError wait and retry (only the HTTP policy retries)                 1
│   ├── PermanentError give up this operation; report its record and request         1
│   └── AuthError      stop using this connector; fix credentials (`opsync doctor`)  1
├── ConflictError      a person edited what opsync owns: report it, never overwrite  3
├── RecordError        one record is unusable: a finding on it, the run goes on     (5)
├── LockHeld           another run holds the lock; try again later                   4
├── DiskError          the disk refused a write (full, read-only, no permission):    6
│                      stop; a person frees space or fixes permissions, then reruns
└── StalePlan          a saved plan no longer matches the targets: nothing applied;   7
                       make a new plan, read it, apply that one
```

A run that completes exits 0, or 1 (an operation failed), 3 (conflicts) or 5: it completed
but some input could not be read (a ``record.invalid`` finding, the form a ``RecordError``
takes; see ``opsync.engine.report.exit_code``). The class's own code, 1, applies only if
one ever escaped and stopped the run.

Grouping by next action (as the Singer SDK and dlt do) rather than by origin lets the
engine and the CLI branch on a handful of classes, and ``exit_code`` gives cron a code
that tells "findings" apart from "failed" and "come back later". Vendor exceptions are
chained (``raise ... from e``) inside the connector and never escape it; this module
imports nothing outside the standard library for the same reason.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar


class OpsyncError(Exception):
    """Root of opsync's exceptions; ``except OpsyncError`` catches everything deliberate.

    ``started`` is set by the engine on an error that stopped a run after it had begun (the
    lock taken, the targets being read): its JSON report replaces the previous one. An error
    before that (the config, the clock, a lock held by another run) leaves it.
    """

    exit_code: ClassVar[int] = 1
    started: bool = False


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in a config file.

    Attributes:
        key: the key path in TOML notation (``org.product_areas[2].pm``); empty when the
            problem concerns the file as a whole.
        message: what is wrong and what was expected.
        hint: how to fix it, in words a person can act on.
    """

    key: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.key}: " if self.key else ""
        fix = f"\n    fix: {self.hint}" if self.hint else ""
        return f"{where}{self.message}{fix}"


class ConfigError(OpsyncError):
    """The configuration cannot be used as written.

    Raise it with one problem (``ConfigError(message, key=..., hint=...)``) or with every
    problem of a file (``ConfigError(problems=[...])``), so that a person fixes them all in
    one pass instead of one per run. ``key``, ``message`` and ``hint`` are those of the
    first problem.
    """

    exit_code: ClassVar[int] = 2

    def __init__(
        self,
        message: str = "",
        *,
        file: str | os.PathLike[str] | None = None,
        key: str = "",
        hint: str = "",
        problems: Iterable[ConfigProblem] = (),
    ) -> None:
        self.file = os.fspath(file) if file is not None else None
        self.problems = tuple(problems) or (ConfigProblem(key, message, hint),)
        super().__init__(str(self))

    @property
    def key(self) -> str:
        return self.problems[0].key

    @property
    def message(self) -> str:
        return self.problems[0].message

    @property
    def hint(self) -> str:
        return self.problems[0].hint

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        if len(self.problems) == 1:
            return f"{where}{self.problems[0]}"
        listed = "\n".join("  - " + str(p).replace("\n", "\n  ") for p in self.problems)
        return f"{where}{len(self.problems)} problems\n{listed}"


class ConnectorError(OpsyncError):
    """A connector's request failed.

    Args:
        message: what failed, in plain language.
        connector: the connector's name in ``[connectors.<name>]``.
        request: the request that failed, e.g. ``PATCH /v1/pages/…`` (never its credentials).
        record: the record the request concerned, as ``collection/key``, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        connector: str | None = None,
        request: str | None = None,
        record: str | None = None,
    ) -> None:
        self.connector = connector
        self.request = request
        self.record = record
        super().__init__(message)

    def __str__(self) -> str:
        context = [
            f"{label} {value}"
            for label, value in (
                ("connector", self.connector),
                ("record", self.record),
                ("request", self.request),
            )
            if value
        ]
        base = super().__str__()
        return f"{base} ({'; '.join(context)})" if context else base


class TransientError(ConnectorError):
    """Worth retrying: rate limited, timed out, a 5xx. ``retry_after`` in seconds, if told."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, **context: str | None
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, **context)


class PermanentError(ConnectorError):
    """Retrying will not help (a 4xx other than auth or 429): report and move on."""


class AuthError(ConnectorError):
    """Credentials missing, wrong or lacking a scope: nothing this connector does will work."""


class ConflictError(OpsyncError):
    """Someone edited a field or page region that opsync owns since opsync last wrote it.

    Args:
        message: what was edited and what a person should decide.
        target: the page or record concerned (``collection/key`` or a page key).
        region: the owned region or field that was edited, if one.
    """

    exit_code: ClassVar[int] = 3

    def __init__(self, message: str, *, target: str | None = None, region: str | None = None):
        self.target = target
        self.region = region
        super().__init__(message)


class RecordError(OpsyncError):
    """One record cannot be read into the domain model; it becomes a finding on that record.

    Args:
        message: what is wrong with the record, in plain language.
        record: the record as ``collection/key``.
        field: the field concerned, if one.
    """

    def __init__(self, message: str, *, record: str, field: str | None = None) -> None:
        self.record = record
        self.field = field
        super().__init__(message)


class LockHeld(OpsyncError):
    """Another run holds the run lock; this run did nothing and can simply be retried.

    Args:
        message: who holds the lock and since when, as far as known.
        holder: a description of the holder (host, pid, start time), if known.
    """

    exit_code: ClassVar[int] = 4

    def __init__(self, message: str, *, holder: str | None = None) -> None:
        self.holder = holder
        super().__init__(message)


class DiskError(OpsyncError):
    """The disk refused to store what opsync writes: full, read-only, or not writable by
    the user running opsync. The run stops at once (every later write would fail too);
    what was written stays written, and the next run finishes the rest.

    Args:
        message: what was refused and why, e.g. ``cannot write: the disk is full``.
        path: the file or folder (or the state database) concerned.
        hint: how to fix it.
    """

    exit_code: ClassVar[int] = 6

    # (what, fix) of each errno that means the disk refuses writes, not a bug
    WHY: ClassVar[dict[int, tuple[str, str]]] = {
        errno.ENOSPC: (
            "the disk is full",
            "free space on that disk, then sync again: the next run finishes what this one did not",
        ),
        errno.EDQUOT: (
            "the disk quota is exceeded",
            "free space or raise the quota, then sync again",
        ),
        errno.EROFS: (
            "the file system is read-only",
            "remount it read-write (or point the config at a writable folder), then sync again",
        ),
        errno.EACCES: (
            "permission denied",
            "give the user running opsync write access to it (chmod/chown), then sync again",
        ),
        errno.EPERM: (
            "operation not permitted",
            "give the user running opsync write access to it (chmod/chown), then sync again",
        ),
    }
    ERRNOS: ClassVar[frozenset[int]] = frozenset(WHY)

    @classmethod
    def of(cls, exc: OSError, path: str) -> DiskError:
        """The error for ``exc`` (one of :attr:`ERRNOS`) on ``path``; chain ``exc`` to it."""
        what, fix = cls.WHY.get(exc.errno or 0, (exc.strerror or str(exc), "fix the disk"))
        return cls(f"cannot write: {what}", path=path, hint=fix)

    def __init__(self, message: str, *, path: str, hint: str = "") -> None:
        self.path = path
        self.message = message
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        fix = f"\n    fix: {self.hint}" if self.hint else ""
        return f"{self.path}: {self.message}{fix}"


__all__ = [
    "AuthError",
    "ConfigError",
    "ConfigProblem",
    "ConflictError",
    "ConnectorError",
    "DiskError",
    "LockHeld",
    "OpsyncError",
    "PermanentError",
    "RecordError",
    "TransientError",
]


class StalePlan(OpsyncError):
    """``opsync apply plan.json`` found that the plan the targets call for now is not the
    saved one: something the plan read changed since in a way that changes what it would
    write (a tracker edit, a person's edit, another sync). Nothing was written.

    Args:
        message: what differs, as far as it can be said in a line.
    """

    exit_code: ClassVar[int] = 7
