"""A span of days a measure is taken over, such as one 30-day phase of the rollout.

The scorecard measures everything recorded up to today; a rollout retro measures only what
happened in the phase it closes (pack section 7: Days 1-30, 31-60, 61-90). Measures that
take a :class:`Period` count a record only when its day falls inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Period:
    """The days from ``first`` to ``last``, both included."""

    first: date
    last: date

    def holds(self, day: date | None) -> bool:
        """Whether ``day`` falls in the period; a record with no day is in no period."""
        return day is not None and self.first <= day <= self.last


def within(period: Period | None, day: date | None) -> bool:
    """Whether a record dated ``day`` counts: always without a period (all time, as the
    scorecard counts), else only inside it."""
    return period is None or period.holds(day)
