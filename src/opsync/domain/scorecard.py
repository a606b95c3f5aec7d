"""The scorecard's memory: one record per ISO week of each metric's value (R8, R10)."""

from __future__ import annotations

from datetime import date

from opsync.domain.base import Model

#: The scorecard's metrics, in page order; each is a field of :class:`ScorecardWeek`.
METRIC_KEYS = (
    "stakeholder_surprise",
    "status_pings",
    "enablement_coverage",
    "pm_satisfaction",
    "ritual_adoption",
)


class ScorecardWeek(Model):
    """The scorecard as it stood in one ISO week (``key`` like ``2026-W49``), each metric as
    a percentage (one decimal; None: no data, or the metric is switched off).

    opsync writes these records and owns every field: a run updates the current week's
    record, and a week that is over is left as its last run wrote it, so the history is
    the target's own and survives a lost state store. ``week_start`` is the week's Monday.
    """

    key: str
    week_start: date
    stakeholder_surprise: float | None = None
    status_pings: float | None = None
    enablement_coverage: float | None = None
    pm_satisfaction: float | None = None
    ritual_adoption: float | None = None

    def value(self, metric: str) -> float | None:
        found = getattr(self, metric)
        return None if found is None else float(found)
