"""The scorecard's history and trend (R8; RULES.md R10, last bullet).

The scorecard counts everything recorded up to today, so each run's figures are the
metric's value as of that day. One record per ISO week keeps them (the scorecard history
collection, opsync's own): the run updates the current week's record, and a week that is
over keeps what its last run wrote. The page reads the weeks back to show each metric's last
weeks, its direction, and where it stood at the end of the previous quarter; the chart is
the same weeks as data, which a connector draws where its target shows pictures.

A week belongs to the quarter holding its Thursday, as an ISO week belongs to the year
holding its Thursday: the previous quarter's value is its last such week's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from opsync.documents.model import Block, Chart, Inline, Series, cell, heading, para, table
from opsync.domain.base import Collection
from opsync.domain.scorecard import METRIC_KEYS, ScorecardWeek
from opsync.rules.output import RecordSeed

#: Weeks the page's trend table shows, and weeks the chart draws (a quarter's worth).
WEEKS_SHOWN = 4
CHART_WEEKS = 13
#: Metrics where a lower value is the better one.
LOWER_IS_BETTER = frozenset({"stakeholder_surprise"})


def week_key(day: date) -> str:
    """The ISO week ``day`` falls in, as the weekly update names it: ``2026-W49``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def stored(value: Fraction | None) -> float | None:
    """A ratio as the history keeps it: a percentage with one decimal, as the page shows it,
    so what a person reads in the history is what the page said."""
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator) * 100
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def this_week(today: date, values: dict[str, float | None]) -> ScorecardWeek:
    """The current week's record: today's values (None for a metric not measured)."""
    start = today - timedelta(days=today.weekday())
    known = {k: values.get(k) for k in METRIC_KEYS}
    return ScorecardWeek(key=week_key(today), week_start=start, **known)


def seed(week: ScorecardWeek) -> RecordSeed:
    """The write that keeps ``week``'s record as this run measured it."""
    values = week.model_dump(exclude={"key"})
    return RecordSeed(
        collection=Collection.SCORECARD_HISTORY, key=week.key, values=values, updates=True
    )


def weeks(history: Sequence[ScorecardWeek], current: ScorecardWeek) -> list[ScorecardWeek]:
    """Every recorded week up to the current one, oldest first; the current week as this run
    measured it (its record may hold an earlier run's values). A record dated after today
    (a clock set back, a hand-made row) is left out."""
    earlier = {w.key: w for w in history if w.week_start < current.week_start}
    return [*sorted(earlier.values(), key=lambda w: w.week_start), current]


def quarter_end_value(
    recorded: Sequence[ScorecardWeek], metric: str, start: date, end: date
) -> float | None:
    """``metric`` in the last week whose Thursday falls in ``[start, end)``, if recorded."""
    inside = [w for w in recorded if start <= w.week_start + timedelta(days=3) < end]
    return inside[-1].value(metric) if inside else None


def shown(metric: str, value: float | None) -> str:
    """A stored value as the page writes it (status pings are a drop: fewer, or more)."""
    if value is None:
        return "—"
    number = f"{abs(value) if metric == 'status_pings' else value:g}%"
    if metric == "status_pings":
        return f"{number} fewer" if value >= 0 else f"{number} more"
    return number


def change(metric: str, values: Sequence[float | None]) -> str:
    """The latest value against the one before it: up, down or no change, and whether that
    is better or worse for this metric."""
    known = [v for v in values if v is not None]
    if len(known) < 2 or values[-1] is None:
        return "—"
    delta = round(known[-1] - known[-2], 1)
    if delta == 0:
        return "→ no change"
    better = (delta < 0) == (metric in LOWER_IS_BETTER)
    points = "point" if abs(delta) == 1 else "points"
    arrow, word = ("↑", "up") if delta > 0 else ("↓", "down")
    return f"{arrow} {word} {abs(delta):g} {points} ({'better' if better else 'worse'})"


def _short(key: str) -> str:
    """A week's label in a column or on an axis: ``W49``."""
    return key.rpartition("-")[2]


@dataclass(frozen=True)
class Trend:
    """What the page shows of the history, for the metrics on the scorecard."""

    metrics: tuple[tuple[str, str], ...]  # (key, name), in page order
    recorded: tuple[ScorecardWeek, ...]
    previous: tuple[str, date, date]  # the previous quarter: label, start, end
    chart_name: str  # the chart's file name stem, unique beside the page

    def window(self, count: int) -> list[tuple[str, ScorecardWeek | None]]:
        """The last ``count`` calendar weeks up to the current one, oldest first, each with
        its record (None: a week no run measured)."""
        by_key = {w.key: w for w in self.recorded}
        current = self.recorded[-1].week_start
        starts = [current - timedelta(weeks=back) for back in range(count - 1, -1, -1)]
        return [(week_key(s), by_key.get(week_key(s))) for s in starts]

    def blocks(self) -> tuple[Block, ...]:
        label, start, end = self.previous
        last = self.window(WEEKS_SHOWN)
        header = (
            "Metric",
            *(_short(k) for k, _ in last),
            "Change",
            f"End of {label}",
        )
        rows: list[tuple[tuple[Inline, ...], ...]] = []
        for key, name in self.metrics:
            values = [w.value(key) if w else None for _, w in last]
            before = quarter_end_value(self.recorded, key, start, end)
            rows.append(
                (
                    cell(name),
                    *(cell(shown(key, v)) for v in values),
                    cell(change(key, values)),
                    cell(shown(key, before)),
                )
            )
        charted = self.window(CHART_WEEKS)
        chart = Chart(
            name=self.chart_name,
            title=f"Scorecard by week, {charted[0][0]} to {charted[-1][0]}",
            labels=tuple(_short(k) for k, _ in charted),
            series=tuple(
                Series(name=name, values=tuple(w.value(key) if w else None for _, w in charted))
                for key, name in self.metrics
            ),
            unit="%",
            text="The chart of these weeks is not drawn here; the table above shows the trend.",
        )
        return (
            heading(2, "Trend"),
            para(
                "Each metric at the end of its last weeks (ISO weeks, the current one as of "
                f"today) and at the end of {label}, from the scorecard history."
            ),
            table(header, rows),
            chart,
        )
