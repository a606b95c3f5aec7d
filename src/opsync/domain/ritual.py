"""Ritual occurrences: one held instance of a cadence, used for ritual adoption."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from opsync.domain.base import Model


class RitualKind(StrEnum):
    WEEKLY_UPDATE = "weekly update"
    ROADMAP_REVIEW = "roadmap review"
    READINESS_CHECK = "readiness check"
    INSIGHTS_REVIEW = "insights review"
    QUARTERLY_PLANNING = "quarterly planning"


class RitualOccurrence(Model):
    key: str
    kind: RitualKind
    held_on: date
    artifact_published_at: datetime | None = None
    release_key: str | None = None
