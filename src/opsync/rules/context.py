"""The inputs every rule receives: snapshot, clock reading, calendar and settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property

from opsync.calendar import BusinessCalendar
from opsync.documents.model import Link, Text
from opsync.domain.snapshot import Snapshot
from opsync.settings import RuleFamily, Settings

_TICK = timedelta(microseconds=1)


def _utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)


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
    # every instant at which what the rules read of the clock changes: the run's memo holds
    # only until the first of them (engine/memo.py). Rules read the clock through reached,
    # after and stamp, never ``now`` itself, so that no such instant goes unnoticed.
    turns: list[datetime] = field(default_factory=list, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("RuleContext.now must be timezone-aware")

    def page_link(self, words: str, key: str, *, italic: bool = False) -> Text | Link:
        """``words`` naming generated page ``key``: a link where the read gave its URL,
        else the words, which become a link once the page is written (a page made in this
        run: engine/pagelinks.py; list ``key`` in the page's ``links_to``)."""
        url = self.links.get(key)
        if url:
            return Link(text=words, url=url)
        return Text(text=words, italic=italic, page=key)

    def reached(self, instant: datetime) -> bool:
        """The clock is at or past ``instant`` (a deadline that has come)."""
        self.turns.append(instant)
        return self.now >= instant

    def after(self, instant: datetime) -> bool:
        """The clock is strictly past ``instant`` (a deadline missed)."""
        self.turns.append(instant + _TICK)
        return self.now > instant

    def stamp(self) -> datetime:
        """The clock itself, written into the output (a publication time): what depends on
        it changes at every instant, so nothing computed with it is remembered."""
        self.turns.append(self.now + _TICK)
        return self.now

    def valid_until(self) -> datetime:
        """The first instant after ``now`` at which the rules could decide otherwise on the
        same input: the next of the instants they compared the clock with, or the next
        midnight of the organisation's timezone (every rule reads ``today``)."""
        midnight = self.calendar.at(self.today + timedelta(days=1), time(0))
        return min([midnight, *(t for t in self.turns if t > self.now)], key=_utc)

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
