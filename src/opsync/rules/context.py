"""The inputs every rule receives: snapshot, clock reading, calendar and settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from opsync.calendar import BusinessCalendar
from opsync.domain.snapshot import Snapshot
from opsync.settings import RuleFamily, Settings


@dataclass(frozen=True)
class RuleContext:
    snapshot: Snapshot
    now: datetime
    calendar: BusinessCalendar
    settings: Settings = field(default_factory=Settings)
    # keys of the messages already sent (the journal's record): what a digest sent last
    sent: frozenset[str] = frozenset()
    # where a person opens each record (by ref) and generated page (by key), for those the
    # target gives a URL: pages link to them; a rule never needs them to decide anything
    links: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    # the conflicts the last sync saw (target, part, message): content opsync owns that a
    # person edited, for the lead's action list and digest (rules/conflicts.py)
    conflicts: tuple[tuple[str, str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("RuleContext.now must be timezone-aware")

    @cached_property
    def local_now(self) -> datetime:
        return self.calendar.localize(self.now)

    @cached_property
    def today(self) -> date:
        """Today in the organisation's timezone (not UTC): the date every deadline uses.

        Computed once per context (``now`` cannot change): rules ask for it per record."""
        return self.calendar.local_date(self.now)

    def enabled(self, family: RuleFamily, area: str | None) -> bool:
        return self.settings.enabled(family, area, self.today)

    def enabled_anywhere(self, family: RuleFamily) -> bool:
        areas = tuple(a.key for a in self.snapshot.product_areas)
        return self.settings.enabled_anywhere(family, areas, self.today)
