"""Roadmap items and the stakeholder views published from them (pack sections 3-4)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from opsync.domain.base import Model


class RoadmapStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in progress"
    SHIPPED = "shipped"
    AT_RISK = "at risk"
    DROPPED = "dropped"


class RoadmapItem(Model):
    key: str
    title: str
    product_area: str | None = None
    start: date | None = None
    end: date | None = None
    status: RoadmapStatus = RoadmapStatus.PLANNED
    stakeholder_description: str = ""
    internal_description: str = ""
    quarter: str | None = None
    """Target quarter such as ``2027-Q1`` while no start/end dates are known yet."""
    depends_on: tuple[str, ...] = ()
    """Keys of the roadmap items this one needs first (pack section 3: dependency flags)."""


class RoadmapViewEntry(Model):
    """What a published view showed of one item, kept to compute the next view's changes."""

    key: str
    title: str
    date_range: str
    status: RoadmapStatus
    product_area: str | None = None
    depends_on: tuple[str, ...] = ()
    """Absent from views published before items had dependencies: read as none."""


class RoadmapView(Model):
    """A Stakeholder Roadmap View as published."""

    key: str
    published_at: datetime
    entries: tuple[RoadmapViewEntry, ...] = ()
