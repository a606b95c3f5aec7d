"""The cadence calendar as an iCalendar feed people subscribe to (RFC 5545, via ``icalendar``).

The feed is a generated artifact like any page: the same events give the same bytes. So
DTSTAMP is never the wall clock — it is ``generated_at`` when the caller passes one, else the
event's own start — and events are sorted. Times carry the org's TZID with a VTIMEZONE that
covers the years of the events, so clients show 16:00 as 16:00 on both sides of a DST
change (a UTC calendar uses the ``Z`` form, which needs none). Events are taken structurally
(uid, summary, start, end, description) so this module does not depend on the rules package.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

PRODID = "-//opsync//Product Ops rituals//EN"


class EventLike(Protocol):
    """What a calendar event must offer; :class:`opsync.rules.output.CalendarEvent` does."""

    @property
    def uid(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...
    @property
    def description(self) -> str: ...


def render_ics(
    events: Iterable[EventLike],
    timezone: str,
    *,
    name: str = "Product Ops rituals",
    generated_at: datetime | None = None,
) -> bytes:
    """The events as one VCALENDAR in ``timezone`` (an IANA name), CRLF line endings.

    Raises ValueError for a naive datetime: an event without a zone has no single meaning.
    """
    tz = ZoneInfo(timezone)
    if generated_at is not None and generated_at.tzinfo is None:
        raise ValueError("generated_at must be timezone-aware")
    ordered = sorted(events, key=lambda e: (e.start, e.uid))
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", timezone)
    for source in ordered:
        for value in (source.start, source.end):
            if value.tzinfo is None:
                raise ValueError(f"event {source.uid} has a naive time {value.isoformat()}")
        event = Event()
        event.add("uid", source.uid)
        stamp = generated_at if generated_at is not None else source.start
        event.add("dtstamp", stamp.astimezone(UTC))
        event.add("dtstart", source.start.astimezone(tz))
        event.add("dtend", source.end.astimezone(tz))
        event.add("summary", source.summary)
        if source.description:
            event.add("description", source.description)
        calendar.add_component(event)
    if ordered:
        # Whole years: the usual shape of a VTIMEZONE, and it only changes once a year.
        first = date(min(e.start.astimezone(tz) for e in ordered).year, 1, 1)
        last = date(max(e.end.astimezone(tz) for e in ordered).year + 1, 1, 1)
        calendar.add_missing_timezones(first_date=first, last_date=last)
    data: bytes = calendar.to_ical()
    return data
