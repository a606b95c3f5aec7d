"""The clock every rule and pacer reads, injected so that runs are reproducible.

Rules never call ``datetime.now()``: a run with ``--now`` must give byte-identical output
tomorrow, and tests must be able to stand on any instant (a DST change, a year end).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Anything that can tell the current, timezone-aware instant."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class FixedClock:
    """A clock stopped at one instant; ``at`` must be timezone-aware."""

    at: datetime

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime, e.g. 2026-12-03T15:00-05:00")

    def now(self) -> datetime:
        return self.at
