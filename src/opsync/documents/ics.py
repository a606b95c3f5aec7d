"""The cadence calendar as an iCalendar feed people subscribe to (RFC 5545).

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

The feed is written directly, line by line (:func:`_fold`, :func:`_text`, :func:`_param`),
not through ``icalendar``'s component tree, which cost several times more at tens of thousands
of events (docs/benchmarks.md). The bytes are those ``icalendar`` wrote for the same events:
its property order, its parameter quoting, its folding at 75 octets, its VTIMEZONE.
``icalendar`` is imported only to read the events of the previous feed that changed (or a
previous feed this module did not write); the tests parse every feed back with it.

SEQUENCE tells a subscribed client that an event it holds changed (RFC 5545 3.8.7.4); without
a raise, some clients ignore a moved launch. It comes from the feed as last published: an
event whose UID is there with the same summary, times and description keeps its SEQUENCE (so
a no-op run gives the same bytes), a changed one gets the previous one + 1, a new one 0.
A changed list of attendees is a change too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple, Protocol
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from icalendar import Component

PRODID = "-//opsync//Product Ops rituals//EN"
# The longest line written unfolded, in octets: icalendar folds before the 75th.
_LINE_OCTETS = 74


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
    published = _Previous(previous)
    if generated_at is not None and generated_at.tzinfo is None:
        raise ValueError("generated_at must be timezone-aware")
    ordered = sorted(events, key=lambda e: (e.start, e.uid))
    head = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{_text(PRODID)}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        # icalendar wrote these two X- properties unescaped, as clients read them; a line
        # break, which made it fail, becomes a space.
        f"X-WR-CALNAME:{' '.join(name.splitlines())}",
        f"X-WR-TIMEZONE:{timezone}",
    ]
    utc = tz.key in _UTC_ZONES  # the ``Z`` form: no TZID, no VTIMEZONE
    zoned = f";TZID={_param(tz.key, cn=False)}:"
    timezones: list[str] = []  # folded already
    if ordered and not utc:
        # Whole years: the usual shape of a VTIMEZONE, and it only changes once a year.
        first = date(min(e.start.astimezone(tz) for e in ordered).year, 1, 1)
        last = date(max(e.end.astimezone(tz) for e in ordered).year + 1, 1, 1)
        timezones.append(_vtimezone(tz.key, first, last))
    lines: list[str] = []
    for source in ordered:
        for value in (source.start, source.end):
            if value.tzinfo is None:
                raise ValueError(f"event {source.uid} has a naive time {value.isoformat()}")
        stamp = generated_at if generated_at is not None else source.start
        start, end = _times(source, tz)
        if source.all_day:
            times = (f"DTSTART;VALUE=DATE:{_date(start)}", f"DTEND;VALUE=DATE:{_date(end)}")
        elif utc:
            times = (f"DTSTART:{_datetime(start)}Z", f"DTEND:{_datetime(end)}Z")
        else:
            times = (f"DTSTART{zoned}{_datetime(start)}", f"DTEND{zoned}{_datetime(end)}")
        uid = _text(source.uid)
        # The event's lines but DTSTAMP and SEQUENCE, in icalendar's order: what the previous
        # feed's lines are compared with.
        content = [f"SUMMARY:{_text(source.summary)}", *times, f"UID:{uid}"]
        for person in source.attendees:
            content.append(
                f"ATTENDEE;CN={_param(person.name, cn=True)};{_ASKED}:mailto:{person.email}"
            )
        if source.description:
            content.append(f"DESCRIPTION:{_text(source.description)}")
        if source.organizer is not None:
            organizer = source.organizer
            content.append(
                f"ORGANIZER;CN={_param(organizer.name, cn=True)}:mailto:{organizer.email}"
            )
        sequence = published.sequence(uid, "\r\n".join(content), source, start, end)
        lines.append("BEGIN:VEVENT")
        lines.extend(content[:3])
        lines.append(f"DTSTAMP:{_datetime(stamp.astimezone(UTC))}Z")
        lines.append(content[3])
        lines.append(f"SEQUENCE:{sequence}")
        lines.extend(content[4:])
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    feed = [*map(_fold, head), *timezones, *map(_fold, lines), ""]
    return "\r\n".join(feed).encode("utf-8")


# The zones icalendar (7.3) writes in the ``Z`` form, as UTC: those its table of equivalent
# zones holds equal to UTC. A test checks the list against icalendar's for every zone.
_UTC_ZONES = frozenset(
    {
        *("UTC", "UCT", "GMT", "GMT0", "GMT+0", "GMT-0", "Greenwich", "Universal", "Zulu"),
        *("Etc/UTC", "Etc/UCT", "Etc/GMT", "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0"),
        *("Etc/Greenwich", "Etc/Universal", "Etc/Zulu", "Iceland", "Atlantic/Reykjavik"),
        *("Atlantic/St_Helena", "Africa/Abidjan", "Africa/Accra", "Africa/Bamako"),
        *("Africa/Banjul", "Africa/Conakry", "Africa/Dakar", "Africa/Freetown", "Africa/Lome"),
        *("Africa/Nouakchott", "Africa/Ouagadougou", "Africa/Timbuktu"),
    }
)
# What an ATTENDEE line says besides the name: required, not answered, no answer asked for.
_ASKED = "PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=FALSE"
# RFC 5545 3.3.11: a TEXT value escapes backslash, semicolon, comma and line breaks.
_TEXT_ESCAPES = str.maketrans({"\\": "\\\\", ";": "\\;", ",": "\\,", "\n": "\\n"})


def _text(value: str) -> str:
    """A TEXT value, escaped (a CR LF or a lone CR is a line break too)."""
    return value.replace("\r\n", "\n").replace("\r", "\n").translate(_TEXT_ESCAPES)


def _param(value: str, *, cn: bool) -> str:
    """A parameter value as icalendar writes it: RFC 6868 escapes (``^^``, ``^n``, ``^'``),
    double quotes around a value holding ``,``, ``;``, ``:`` or ``’``, and, for a CN, around
    one that held a space or an apostrophe before those escapes."""
    quote = cn and (" " in value or "'" in value)
    value = (
        value.replace("^", "^^")
        .replace("\r\n", "^n")
        .replace("\r", "^n")
        .replace("\n", "^n")
        .replace('"', "^'")
    )
    quote = quote or any(c in value for c in ",;:\u2019")
    return f'"{value}"' if quote else value


def _date(value: date | datetime) -> str:
    return f"{value.year:04}{value.month:02}{value.day:02}"


def _datetime(value: date | datetime) -> str:
    """A DATE-TIME's digits, seconds included, without the zone (the caller adds it)."""
    assert isinstance(value, datetime)
    return f"{_date(value)}T{value.hour:02}{value.minute:02}{value.second:02}"


def _fold(line: str) -> str:
    """RFC 5545 3.1 line folding, as icalendar does it: at most 74 octets a line (then CR LF
    and a space), never inside a UTF-8 character, and a line does not end on a ``\\`` or ``^``
    (an escape stays whole on the next line, for clients that unfold badly)."""
    if line.isascii():
        if len(line) <= _LINE_OCTETS:
            return line
        return _fold_ascii(line)
    return _fold_chars(line)


def _fold_ascii(line: str) -> str:
    """:func:`_fold` of an ASCII line, where a character is an octet: cut by slicing."""
    chunks: list[str] = []
    start, end = 0, len(line)
    while end - start > _LINE_OCTETS:
        cut = start + _LINE_OCTETS
        if line[cut - 1] in "\\^":
            cut -= 1  # the escape goes whole to the next line
        chunks.append(line[start:cut])
        start = cut
    chunks.append(line[start:])
    return "\r\n ".join(chunks)


def _fold_chars(line: str) -> str:
    """:func:`_fold` of any line, a character at a time."""
    chunks: list[str] = []
    current: list[str] = []
    octets = 0
    for char in line:
        size = 1 if char < "\x80" else len(char.encode("utf-8"))
        if current and octets + size > _LINE_OCTETS:
            carried = current.pop() if len(current) > 1 and current[-1] in "\\^" else ""
            chunks.append("".join(current))
            current = [carried] if carried else []
            octets = len(carried)
        current.append(char)
        octets += size
    chunks.append("".join(current))
    return "\r\n ".join(chunks)


# The steps of icalendar's search for a zone's transitions, longest first.
_SKIPS = (
    *(timedelta(days=days) for days in (64, 32, 16, 8, 4, 2, 1)),
    timedelta(hours=4),
    timedelta(hours=1),
    timedelta(minutes=20),
    timedelta(minutes=5),
    timedelta(minutes=1),
    timedelta(seconds=20),
    timedelta(seconds=5),
    timedelta(seconds=1),
)


@lru_cache(maxsize=8)
def _vtimezone(tzid: str, first: date, last: date) -> str:
    """The VTIMEZONE of ``tzid`` from ``first`` to ``last``, its lines folded, without the
    last line break: what icalendar's ``Timezone.from_tzid`` gives (its search for the
    transitions and its layout, ported; a test compares the two on many zones), without
    importing icalendar on every run. The same for every run of a year."""
    zone = ZoneInfo(tzid)
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    end_of_range = datetime(last.year, last.month, last.day, tzinfo=zone)
    # (offset from, offset to, name, standard?) -> the local times it starts at
    periods: dict[tuple[timedelta | None, timedelta, str, bool], list[datetime]] = {}
    offset_to: timedelta | None = None
    while start < end_of_range:
        offset_from, end = offset_to, start
        offset_to = _offset(end)
        for skip in _SKIPS:
            last_end = end
            end = end + skip
            try:
                while _offset(end) == offset_to:
                    last_end, end = end, end + skip
            except OverflowError:
                break
            end = last_end
        standard = start.dst() == timedelta()
        name = start.tzname() or str(offset_to)
        periods.setdefault((offset_from, offset_to, name, standard), []).append(
            start.replace(tzinfo=None)
        )
        start = end + _SKIPS[-1]
    lines = [
        "BEGIN:VTIMEZONE",
        f"TZID:{_text(tzid)}",
        f"COMMENT:{_text(f'This timezone only works from {first} to {last}.')}",
    ]
    for (offset_from, offset_to, name, standard), starts in periods.items():
        first_start = min(starts)
        starts.remove(first_start)
        if first_start.date() == last:
            first_start = datetime(last.year, last.month, last.day)
        kind = "STANDARD" if standard else "DAYLIGHT"
        lines.append(f"BEGIN:{kind}")
        lines.append(f"DTSTART:{_datetime(first_start)}")
        if starts:
            lines.append(f"RDATE:{','.join(map(_datetime, starts))}")
        lines.append(f"TZNAME:{_text(name)}")
        lines.append(
            f"TZOFFSETFROM:{_utc_offset(offset_to if offset_from is None else offset_from)}"
        )
        lines.append(f"TZOFFSETTO:{_utc_offset(offset_to)}")
        lines.append(f"END:{kind}")
    lines.append("END:VTIMEZONE")
    return "\r\n".join(map(_fold, lines))


def _offset(moment: datetime) -> timedelta:
    offset = moment.utcoffset()
    assert offset is not None  # a ZoneInfo time
    return offset


def _utc_offset(offset: timedelta) -> str:
    """A UTC-OFFSET value: ``-0500``, ``+0530``, seconds only when there are some."""
    sign = "-" if offset < timedelta(0) else "+"
    seconds = abs(int(offset.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return (
        f"{sign}{hours:02}{minutes:02}{seconds:02}" if seconds else f"{sign}{hours:02}{minutes:02}"
    )


def _times(source: EventLike, tz: ZoneInfo) -> tuple[date | datetime, date | datetime]:
    """DTSTART and DTEND values: local dates for an all-day event, zoned times otherwise."""
    start, end = source.start.astimezone(tz), source.end.astimezone(tz)
    if source.all_day:
        return start.date(), end.date()
    return start, end


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


class _Previous:
    """The previous feed, read no further than the SEQUENCE of each event needs.

    A feed this module wrote is split into its events as text: an event whose lines, but
    DTSTAMP and SEQUENCE, are the ones it would be written with now is unchanged and keeps
    its SEQUENCE, without parsing; an event whose UID is not there is new. Only a changed
    event's own lines are parsed with icalendar and compared field by field as
    :func:`_sequence` does, so that a feed from an earlier version raises nothing that did not
    change. A feed that does not split cleanly (not written here, or damaged) is parsed whole,
    as before the writer existed.
    """

    def __init__(self, previous: bytes | None) -> None:
        self._data = previous
        self._blocks = _blocks(previous) if previous is not None else {}
        self._parsed: dict[str, _Published] | None = None

    def sequence(
        self,
        uid: str,
        content: str,
        source: EventLike,
        start: date | datetime,
        end: date | datetime,
    ) -> int:
        """The SEQUENCE of ``source``, whose escaped UID is ``uid`` and lines ``content``."""
        if self._blocks is None:  # not a feed written here: parsed whole, once
            if self._parsed is None:
                self._parsed = _published(self._data)
            return _sequence(self._parsed.get(source.uid), source, start, end)
        found = self._blocks.get(uid)
        if found is None:
            return 0
        lines, sequence = found
        if lines == content:
            return sequence
        event = f"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n{lines}\r\nSEQUENCE:{sequence}\r\n"
        one = _published(f"{event}END:VEVENT\r\nEND:VCALENDAR\r\n".encode())
        return _sequence(one.get(source.uid), source, start, end)


# The property lines a comparison of events leaves out.
_STAMPS = ("DTSTAMP:", "SEQUENCE:")


def _blocks(previous: bytes) -> dict[str, tuple[str, int]] | None:
    """The previous feed's events by escaped UID: their unfolded lines but DTSTAMP and
    SEQUENCE, and their SEQUENCE; None when the feed does not split into such events."""
    try:
        text = previous.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not (text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")):
        return None
    text = text.replace("\r\n ", "")
    found: dict[str, tuple[str, int]] = {}
    chunks = text.split("\r\nBEGIN:VEVENT\r\n")[1:]
    for chunk in chunks:
        # the split took the line break after END:VEVENT, but after the last one
        block, ended, rest = chunk.partition("\r\nEND:VEVENT")
        lines = block.split("\r\n")
        uids = [line[4:] for line in lines if line.startswith("UID:")]
        sequences = [line[9:] for line in lines if line.startswith("SEQUENCE:")]
        whole = ended and (rest == "" or rest.startswith("\r\n"))
        if not whole or len(uids) != 1 or len(sequences) != 1 or not sequences[0].isdigit():
            return None
        content = "\r\n".join(line for line in lines if not line.startswith(_STAMPS))
        found[uids[0]] = (content, int(sequences[0]))
    if len(found) != len(chunks) or text.count("BEGIN:VEVENT") != len(chunks):
        return None
    return found


def _published(previous: bytes | None) -> dict[str, _Published]:
    """The previous feed's events by UID; empty when there is none or it cannot be read."""
    if previous is None:
        return {}
    from icalendar import Calendar

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
