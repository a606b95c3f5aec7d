"""Shared fixtures: a small organisation in New York with US holidays, and a context factory.

Tests build a Snapshot with the records they need and call ``make_ctx(snapshot, now)``;
``now`` is always explicit, so no test depends on the real time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from opsync.calendar import BusinessCalendar
from opsync.domain import Person, ProductArea, Role, Snapshot
from opsync.rules.context import RuleContext
from opsync.settings import Settings

NY = ZoneInfo("America/New_York")

PEOPLE = (
    Person(key="ana", name="Ana Ruiz", role=Role.PM),
    Person(key="ben", name="Ben Okafor", role=Role.PM),
    Person(key="chen", name="Chen Li", role=Role.PM),
    Person(key="dev", name="Dev Patel", role=Role.ENG_LEAD),
    Person(key="eve", name="Eve Martin", role=Role.ENG_LEAD),
)
AREAS = (
    ProductArea(key="billing", name="Billing", pm="ana", eng_lead="dev"),
    ProductArea(key="onboarding", name="Onboarding", pm="ben", eng_lead="eve"),
    ProductArea(key="reporting", name="Reporting", pm="chen", eng_lead="dev"),
)


def ny(*args: int) -> datetime:
    """An aware datetime in the org timezone: ny(2026, 12, 3, 15)."""
    return datetime(*args, tzinfo=NY)  # type: ignore[misc]


@pytest.fixture
def calendar() -> BusinessCalendar:
    return BusinessCalendar(timezone="America/New_York", country="US")


@pytest.fixture
def org() -> Snapshot:
    return Snapshot(people=PEOPLE, product_areas=AREAS)


MakeCtx = Callable[..., RuleContext]


@pytest.fixture
def make_ctx(calendar: BusinessCalendar, org: Snapshot) -> MakeCtx:
    def build(now: datetime, settings: Settings | None = None, **records: object) -> RuleContext:
        snapshot = org.model_copy(update=records)
        return RuleContext(
            snapshot=snapshot, now=now, calendar=calendar, settings=settings or Settings()
        )

    return build
