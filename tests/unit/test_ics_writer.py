"""The feed's direct RFC 5545 writer: the bytes icalendar wrote for the same events (its
property order, parameter quoting and folding), and every field parses back with icalendar.

Events are drawn from a seeded generator over the awkward cases: text with ``, ; \\`` and line
breaks (LF, CR LF, lone CR), non-ASCII characters of 2 to 4 octets near the fold, names
that need quoting or RFC 6868 escapes, all-day events, SEQUENCE from a previous feed, and
zones with and without daylight saving (UTC takes the ``Z`` form). Text never holds a
backslash before ``n``/``N``: icalendar's own reader turns that into a line break.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from icalendar import Calendar, Event, Timezone, vCalAddress

from opsync.documents import ics
from opsync.documents.ics import PRODID, render_ics
from opsync.rules.output import Attendee, CalendarEvent

ZONES = ("America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney", "UTC", "Etc/UTC")
PIECES = (
    "Launch", "review", " ", " ", ",", ";", ":", "\\", "^", "'", '"', "\u2019", "\n", "\r\n",
    "\r", "\t", "é", "€", "中文", "😀", "x" * 70, "Tier 1", "a,b;c", "\\\\", "\\;",
)  # fmt: skip


def text(rng: random.Random, longest: int) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, longest)))


def person(rng: random.Random, n: int) -> Attendee:
    # a name is a parameter: no TEXT escapes there; and icalendar's reader strips its tabs
    name = text(rng, 6).replace("\\", "/").replace("\t", " ")
    return Attendee(name=name or "x", email=f"p{n}@x.example")


def random_events(rng: random.Random, zone: str, count: int) -> list[CalendarEvent]:
    tz = ZoneInfo(zone)
    events = []
    for n in range(count):
        day = date(2026, 1, 1) + timedelta(days=rng.randint(0, 800))
        if rng.random() < 0.2:
            start = datetime(day.year, day.month, day.day, tzinfo=tz)
            end, all_day = start + timedelta(days=1), True
        else:
            start = datetime(day.year, day.month, day.day, rng.randint(0, 23), 15, tzinfo=tz)
            end, all_day = start + timedelta(minutes=rng.choice((30, 45, 120))), False
        events.append(
            CalendarEvent(
                uid=f"{plain(text(rng, 3))}-{n}@opsync",  # a key: no carriage return
                summary=text(rng, 12),
                start=start,
                end=end,
                description=text(rng, 40) if rng.random() < 0.8 else "",
                all_day=all_day,
                attendees=tuple(person(rng, k) for k in range(rng.randint(0, 4))),
                organizer=person(rng, 99) if rng.random() < 0.7 else None,
            )
        )
    return events


def address(who: Attendee, *, attendee: bool) -> vCalAddress:
    found = vCalAddress(f"mailto:{who.email}")
    found.params["CN"] = who.name
    if attendee:
        found.params["ROLE"] = "REQ-PARTICIPANT"
        found.params["PARTSTAT"] = "NEEDS-ACTION"
        found.params["RSVP"] = "FALSE"
    return found


def through_icalendar(
    events: Sequence[CalendarEvent], zone: str, sequences: dict[str, int], stamp: datetime | None
) -> bytes:
    """The feed as opsync wrote it through icalendar's component tree, before the writer."""
    tz = ZoneInfo(zone)
    ordered = sorted(events, key=lambda e: (e.start, e.uid))
    calendar = Calendar()
    for key, value in (
        ("prodid", PRODID),
        ("version", "2.0"),
        ("calscale", "GREGORIAN"),
        ("method", "PUBLISH"),
        ("x-wr-calname", "Acme, Inc. rituals"),
        ("x-wr-timezone", zone),
    ):
        calendar.add(key, value)
    for source in ordered:
        event = Event()
        event.add("uid", source.uid)
        event.add("dtstamp", (stamp or source.start).astimezone(UTC))
        start, end = source.start.astimezone(tz), source.end.astimezone(tz)
        event.add("dtstart", start.date() if source.all_day else start)
        event.add("dtend", end.date() if source.all_day else end)
        event.add("summary", source.summary)
        if source.description:
            event.add("description", source.description)
        if source.organizer is not None:
            event.add("organizer", address(source.organizer, attendee=False))
        for who in source.attendees:
            event.add("attendee", address(who, attendee=True))
        event.add("sequence", sequences.get(source.uid, 0))
        calendar.add_component(event)
    if ordered:
        first = date(min(e.start.astimezone(tz) for e in ordered).year, 1, 1)
        last = date(max(e.end.astimezone(tz) for e in ordered).year + 1, 1, 1)
        calendar.add_missing_timezones(first_date=first, last_date=last)
    data: bytes = calendar.to_ical()
    return data


@pytest.mark.parametrize("zone", ZONES)
def test_the_writer_gives_the_bytes_icalendar_gave(zone: str) -> None:
    rng = random.Random(zone)
    for round_ in range(4):
        events = random_events(rng, zone, 40)
        stamp = datetime(2026, 12, 3, 20, 1, 2, tzinfo=UTC) if round_ % 2 else None
        first = render_ics(events, zone, name="Acme, Inc. rituals", generated_at=stamp)
        assert first == through_icalendar(events, zone, {}, stamp)
        moved = [e.model_copy(update={"summary": e.summary + "!"}) for e in events[::3]]
        again = [*moved, *events[1::3]]
        second = render_ics(
            again, zone, name="Acme, Inc. rituals", generated_at=stamp, previous=first
        )
        raised = {
            str(e["UID"]): int(e["SEQUENCE"]) for e in Calendar.from_ical(second).walk("VEVENT")
        }
        assert set(raised.values()) <= {0, 1}  # SEQUENCE: tested where the text is plain
        assert second == through_icalendar(again, zone, raised, stamp)


def plain(value: str) -> str:
    """Text as it reads back: every kind of line break is a line feed."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def unfolded(data: bytes) -> list[bytes]:
    return data.replace(b"\r\n ", b"").split(b"\r\n")


def test_lines_are_folded_at_75_octets_between_characters() -> None:
    rng = random.Random(7)
    data = render_ics(random_events(rng, "Europe/Berlin", 60), "Europe/Berlin")
    assert data.endswith(b"END:VCALENDAR\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    physical = data.split(b"\r\n")
    assert max(len(line) for line in physical) == 75  # 74 octets and the fold's space
    for line in physical:
        line.decode("utf-8")  # no character split across a fold
        assert len(line) <= (75 if line.startswith(b" ") else 74)
    assert len(unfolded(data)) < len(physical)


def test_an_ascii_line_is_folded_by_slicing_as_a_character_at_a_time() -> None:
    """The ASCII shortcut cuts where the general fold cuts, escapes at the cut included."""
    rng = random.Random(11)
    for _ in range(3000):
        size = rng.choice((73, 74, 75, 76, 147, 148, 149, rng.randrange(300)))
        line = "".join(rng.choice("ab \\^;,") for _ in range(size))
        assert ics._fold(line) == ics._fold_chars(line)


def test_text_is_escaped_and_parameters_quoted() -> None:
    tz = ZoneInfo("America/New_York")
    event = CalendarEvent(
        uid="a,b@opsync",
        summary="Q&A: plan, ship; back\\slash",
        start=datetime(2026, 12, 3, 14, tzinfo=tz),
        end=datetime(2026, 12, 3, 15, tzinfo=tz),
        description="one\ntwo\r\nthree\rfour",
        attendees=(Attendee(name="Ana", email="ana@x.example"),),
        organizer=Attendee(name='O\'Neil; ^ "Bo"', email="bo@x.example"),
    )
    lines = unfolded(render_ics((event,), "America/New_York"))
    assert b"SUMMARY:Q&A: plan\\, ship\\; back\\\\slash" in lines
    assert b"DESCRIPTION:one\\ntwo\\nthree\\nfour" in lines
    assert b"UID:a\\,b@opsync" in lines
    assert (
        b"ATTENDEE;CN=Ana;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:ana@x.example"
        in lines
    )
    assert b"ORGANIZER;CN=\"O'Neil; ^^ ^'Bo^'\":mailto:bo@x.example" in lines
    assert b"DTSTART;TZID=America/New_York:20261203T140000" in lines


@pytest.mark.parametrize("zone", ZONES)
def test_every_field_parses_back_with_icalendar(zone: str) -> None:
    rng = random.Random(f"back {zone}")
    events = random_events(rng, zone, 60)
    stamp = datetime(2026, 12, 3, 20, tzinfo=UTC)
    first = render_ics(events, zone, name="Acme; rituals")
    changed = [e.model_copy(update={"description": "moved"}) for e in events[:10]]
    data = render_ics(
        [*changed, *events[10:]], zone, name="Acme; rituals", generated_at=stamp, previous=first
    )
    calendar = Calendar.from_ical(data)
    assert str(calendar["X-WR-CALNAME"]) == "Acme; rituals"
    tzids = [str(t["TZID"]) for t in calendar.walk("VTIMEZONE")]
    assert tzids == ([] if zone in ics._UTC_ZONES else [zone])
    back = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert len(back) == len(events)
    tz = ZoneInfo(zone)
    for n, source in enumerate([*changed, *events[10:]]):
        parsed = back[plain(source.uid)]
        assert str(parsed["SUMMARY"]) == plain(source.summary)
        assert str(parsed.get("DESCRIPTION", "")) == plain(source.description)
        assert parsed.decoded("DTSTAMP") == stamp
        if n < 10:  # a changed event: the SEQUENCE it had + 1
            assert int(parsed["SEQUENCE"]) == 1
        if source.all_day:
            assert parsed.decoded("DTSTART") == source.start.astimezone(tz).date()
            assert parsed.decoded("DTEND") == source.end.astimezone(tz).date()
        else:
            assert parsed.decoded("DTSTART") == source.start
            assert parsed.decoded("DTEND") == source.end
            assert parsed["DTSTART"].params.get("TZID") == (
                None if zone in ics._UTC_ZONES else zone
            )
        found = parsed.get("ATTENDEE", [])
        found = found if isinstance(found, list) else [found]
        assert [(str(a), a.params["CN"]) for a in found] == [
            (f"mailto:{a.email}", plain(a.name)) for a in source.attendees
        ]
        assert all(a.params["RSVP"] == "FALSE" for a in found)
        organizer = parsed.get("ORGANIZER")
        if source.organizer is None:
            assert organizer is None
        else:
            assert str(organizer) == f"mailto:{source.organizer.email}"
            assert organizer.params["CN"] == plain(source.organizer.name)


def test_an_unchanged_event_keeps_its_sequence_and_a_changed_one_raises_it() -> None:
    tz = ZoneInfo("Europe/Berlin")
    events = [
        CalendarEvent(
            uid=f"e{n}@opsync",
            summary=f"Review {n}, part; two",
            start=datetime(2026, 12, n + 1, 10, tzinfo=tz),
            end=datetime(2026, 12, n + 1, 11, tzinfo=tz),
            description="Agenda:\nfirst\\second",
            attendees=(Attendee(name="Ana Ruiz", email="ana@x.example"),),
            organizer=Attendee(name="O'Neil", email="o@x.example"),
        )
        for n in range(4)
    ]
    first = render_ics(events, "Europe/Berlin")
    assert render_ics(events, "Europe/Berlin", previous=first) == first
    moved = events[0].model_copy(update={"end": events[0].end + timedelta(minutes=15)})
    second = render_ics([moved, *events[1:]], "Europe/Berlin", previous=first)
    found = {str(e["UID"]): int(e["SEQUENCE"]) for e in Calendar.from_ical(second).walk("VEVENT")}
    assert found == {"e0@opsync": 1, "e1@opsync": 0, "e2@opsync": 0, "e3@opsync": 0}


def test_a_feed_written_elsewhere_is_read_whole_for_its_sequences() -> None:
    tz = ZoneInfo("Europe/Berlin")
    events = [
        CalendarEvent(
            uid=f"e{n}@opsync",
            summary=f"Review {n}",
            start=datetime(2026, 12, n + 1, 10, tzinfo=tz),
            end=datetime(2026, 12, n + 1, 11, tzinfo=tz),
        )
        for n in range(3)
    ]
    first = render_ics(events, "Europe/Berlin")
    raised = first.replace(b"SEQUENCE:0", b"SEQUENCE:4")
    elsewhere = raised.replace(b"\r\n", b"\n")  # bare line feeds: not split as text
    for previous in (raised, elsewhere):
        moved = events[0].model_copy(update={"summary": "Review, moved"})
        feed = render_ics([moved, *events[1:]], "Europe/Berlin", previous=previous)
        found = {str(e["UID"]): int(e["SEQUENCE"]) for e in Calendar.from_ical(feed).walk("VEVENT")}
        assert found == {"e0@opsync": 5, "e1@opsync": 4, "e2@opsync": 4}


def test_text_with_a_carriage_return_keeps_its_sequence_on_a_no_op_run() -> None:
    tz = ZoneInfo("Europe/Berlin")
    event = CalendarEvent(
        uid="cr@opsync",
        summary="Title\rfrom a tracker",
        start=datetime(2026, 12, 1, 10, tzinfo=tz),
        end=datetime(2026, 12, 1, 11, tzinfo=tz),
        description="line\r\nbreaks",
    )
    first = render_ics((event,), "Europe/Berlin")
    assert render_ics((event,), "Europe/Berlin", previous=first) == first


def test_a_no_op_render_reads_its_own_previous_feed_without_parsing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random("no-op")
    events = random_events(rng, "America/New_York", 50)
    first = render_ics(events, "America/New_York")
    changed = events[0].model_copy(update={"summary": "changed"})
    parsed: list[bytes] = []
    real = ics._published

    def counted(previous: bytes | None) -> dict[str, object]:
        parsed.append(previous or b"")
        return real(previous)  # type: ignore[return-value]

    monkeypatch.setattr(ics, "_published", counted)
    assert render_ics(events, "America/New_York", previous=first) == first
    assert parsed == []  # unchanged events are compared as text
    again = render_ics([changed, *events[1:]], "America/New_York", previous=first)
    assert len(parsed) == 1 and b"BEGIN:VEVENT" in parsed[0] and parsed[0].count(b"UID:") == 1
    found = {str(e["UID"]): int(e["SEQUENCE"]) for e in Calendar.from_ical(again).walk("VEVENT")}
    assert found[changed.uid] == 1 and sum(found.values()) == 1


TRICKY_ZONES = (
    "America/New_York", "Europe/London", "Australia/Lord_Howe", "Africa/Casablanca",
    "Asia/Tehran", "America/Sao_Paulo", "Pacific/Chatham", "Europe/Dublin", "Etc/GMT+5",
    "America/St_Johns", "Antarctica/Troll", "Asia/Kathmandu", "Pacific/Apia",
)  # fmt: skip


@pytest.mark.parametrize(
    ("first", "last"),
    [(date(2026, 1, 1), date(2028, 1, 1)), (date(1990, 1, 1), date(2040, 1, 1))],
)
def test_the_vtimezone_is_the_one_icalendar_builds(first: date, last: date) -> None:
    zones = sorted(available_timezones())
    for zone in (*TRICKY_ZONES, *zones[:: len(zones) // 40]):
        theirs = Timezone.from_tzid(zone, first_date=first, last_date=last).to_ical()
        assert ics._vtimezone(zone, first, last).encode() + b"\r\n" == theirs, zone


def test_the_zones_written_as_utc_are_those_icalendar_writes_as_utc() -> None:
    from icalendar.timezone.tzid import tzid_from_dt

    def utc(zone: str) -> bool:
        return tzid_from_dt(datetime(2026, 1, 1, tzinfo=ZoneInfo(zone))) == "UTC"

    assert {zone for zone in available_timezones() if utc(zone)} == ics._UTC_ZONES
