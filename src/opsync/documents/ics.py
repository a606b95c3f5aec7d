"""The cadence calendar as an iCalendar feed people subscribe to (RFC 5545, via ``icalendar``).

The feed is a generated artifact like any page: the same events give the same bytes. So
DTSTAMP is never the wall clock — it is ``generated_at`` when the caller passes one, else the
event's own start — and events are sorted. Times carry the org's TZID with a VTIMEZONE that
covers the years of the events, so clients show 16:00 as 16:00 on both sides of a DST
change (a UTC calendar uses the ``Z`` form, which needs none). Events are taken structurally
(uid, summary, start, end, description, all_day, attendees, organizer) so this module does
not depend on the rules package.

Attendees are ATTENDEE lines (``mailto:``, CN, REQ-PARTICIPANT, NEEDS-ACTION, RSVP=FALSE) and
the ritual's owner the ORGANIZER: a subscribed calendar shows who the meeting is for, and
RSVP=FALSE says that nobody is asked to answer a feed. (iTIP's PUBLISH, RFC 5546, is a
scheduling message without attendees; a subscribed feed is no scheduling message, and
organisations that want no address in it switch attendees off in ``[rules.cadence]``.)

SEQUENCE tells a subscribed client that an event it holds changed (RFC 5545 3.8.7.4); without
a raise, some clients ignore a moved launch. It comes from the feed as last published: an
event whose UID is there with the same summary, times and description keeps its SEQUENCE (so
a no-op run gives the same bytes), a changed one gets the previous one + 1, a new one 0.
A changed list of attendees is a change too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo

from icalendar import Calendar, Component, Event, vCalAddress

PRODID = "-//opsync//Product Ops rituals//EN"


class PersonLike(Protocol):
    """An attendee or organizer; :class:`opsync.rules.output.Attendee` is one."""

    @property
    def name(self) -> str: ...
    @property
    def email(self) -> str: ...


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
    @property
    def all_day(self) -> bool: ...
    @property
    def attendees(self) -> Sequence[PersonLike]: ...
    @property
    def organizer(self) -> PersonLike | None: ...


class _Published(NamedTuple):
    """What an event looked like in the previous feed: its content and its SEQUENCE."""

    content: tuple[str, date | datetime, date | datetime, str, tuple[str, ...]]
    sequence: int


def render_ics(
    events: Iterable[EventLike],
    timezone: str,
    *,
    name: str = "Product Ops rituals",
    generated_at: datetime | None = None,
    previous: bytes | None = None,
) -> bytes:
    """The events as one VCALENDAR in ``timezone`` (an IANA name), CRLF line endings.

    ``previous`` is the feed as last published, for SEQUENCE (see the module docstring); an
    unreadable one counts as none, since the feed is regenerated whole either way.
    Raises ValueError for a naive datetime: an event without a zone has no single meaning.
    """
    tz = ZoneInfo(timezone)
    published = _published(previous)
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
        start, end = _times(source, tz)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", source.summary)
        if source.description:
            event.add("description", source.description)
        if source.organizer is not None:
            event.add("organizer", _address(source.organizer))
        for person in source.attendees:
            event.add("attendee", _address(person, attendee=True))
        event.add("sequence", _sequence(published.get(source.uid), source, start, end))
        calendar.add_component(event)
    if ordered:
        # Whole years: the usual shape of a VTIMEZONE, and it only changes once a year.
        first = date(min(e.start.astimezone(tz) for e in ordered).year, 1, 1)
        last = date(max(e.end.astimezone(tz) for e in ordered).year + 1, 1, 1)
        calendar.add_missing_timezones(first_date=first, last_date=last)
    data: bytes = calendar.to_ical()
    return data


def _times(source: EventLike, tz: ZoneInfo) -> tuple[date | datetime, date | datetime]:
    """DTSTART and DTEND values: local dates for an all-day event, zoned times otherwise."""
    start, end = source.start.astimezone(tz), source.end.astimezone(tz)
    if source.all_day:
        return start.date(), end.date()
    return start, end


def _address(person: PersonLike, *, attendee: bool = False) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = person.name
    if attendee:
        address.params["ROLE"] = "REQ-PARTICIPANT"
        address.params["PARTSTAT"] = "NEEDS-ACTION"
        address.params["RSVP"] = "FALSE"
    return address


def _people(source: EventLike) -> tuple[str, ...]:
    """Who the event names, for SEQUENCE: the organizer's address, then the attendees'."""
    organizer = source.organizer.email if source.organizer is not None else ""
    return (organizer, *(f"{p.name} <{p.email}>" for p in source.attendees))


def _sequence(
    before: _Published | None, source: EventLike, start: date | datetime, end: date | datetime
) -> int:
    if before is None:
        return 0
    same = before.content == (source.summary, start, end, source.description, _people(source))
    return before.sequence if same else before.sequence + 1


def _published(previous: bytes | None) -> dict[str, _Published]:
    """The previous feed's events by UID; empty when there is none or it cannot be read."""
    if previous is None:
        return {}
    try:
        found: dict[str, _Published] = {}
        for event in Calendar.from_ical(previous).walk("VEVENT"):
            content = (
                str(event.get("SUMMARY", "")),
                event.decoded("DTSTART"),
                event.decoded("DTEND"),
                str(event.get("DESCRIPTION", "")),
                _published_people(event),
            )
            found[str(event["UID"])] = _Published(content, int(event.get("SEQUENCE", 0)))
    except (ValueError, KeyError, TypeError):
        return {}
    return found


def _published_people(event: Component) -> tuple[str, ...]:
    """:func:`_people` of an event as the previous feed holds it."""
    organizer = event.get("ORGANIZER")
    attendees = event.get("ATTENDEE", [])
    if not isinstance(attendees, list):
        attendees = [attendees]
    email = "" if organizer is None else _mail(organizer)
    return (email, *(f"{a.params.get('CN', '')} <{_mail(a)}>" for a in attendees))


def _mail(address: object) -> str:
    text = str(address)
    return text[len("mailto:") :] if text.lower().startswith("mailto:") else text
