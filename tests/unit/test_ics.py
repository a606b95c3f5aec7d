"""The ritual calendar as an ICS feed: deterministic bytes, org TZID with a VTIMEZONE, and it
parses back (with icalendar) to the same events at the same wall-clock times across DST."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from icalendar import Calendar, Event

from conftest import NY, PEOPLE, MakeCtx, ny
from opsync.documents.ics import PRODID, render_ics
from opsync.domain import Person, Readiness, Release, Role, Tier
from opsync.rules import cadence
from opsync.rules.output import CalendarEvent, RuleOutput
from opsync.settings import Settings

GOLDEN = Path(__file__).parent.parent / "golden"
TZ = "America/New_York"


# The conftest's people with addresses (Chen has none, Eve an unusable one), and the
# people of the other roles.
STAFF = (
    *(
        p.model_copy(
            update={"email": {"chen": None, "eve": "eve"}.get(p.key, f"{p.key}@x.example")}
        )
        for p in PEOPLE
    ),
    Person(key="hope", name="Hope Adams", role=Role.HEAD_OF_PRODUCT, email="hope@x.example"),
    Person(key="omar", name="Omar Haddad", role=Role.PRODUCT_OPS, email="omar@x.example"),
    Person(key="sue", name='Sue "Support" Kim', role=Role.SUPPORT, email="sue@x.example"),
    Person(key="sam", name="Sam Sales", role=Role.SALES, email="sam@x.example"),
)


def ritual_events(make_ctx: MakeCtx, **cadence_settings: object) -> tuple[CalendarEvent, ...]:
    """26 Oct 2026 - 5 Jan 2027: the DST change (1 Nov), Veterans Day, Thanksgiving, New Year;
    the rollout's three retros (it started on 1 Oct)."""
    conf = Settings.model_validate(
        {
            "roadmap": {"first_review": "2026-10-27"},
            "cadence": {"horizon_days": 72, **cadence_settings},
            "rollout": [{"name": "all", "starts_on": "2026-10-01"}],
        }
    )
    releases = (
        Release(
            key="sso",
            title="SAML single sign-on",
            tier=Tier.HIGH,
            launch_date=date(2026, 12, 10),
            pm="ben",
            readiness=Readiness(meeting_on=date(2026, 12, 7)),
        ),
        Release(
            key="inv",
            title="Invoices v2, part 1; beta",
            tier=Tier.MEDIUM,
            launch_date=date(2026, 11, 12),
            pm="ana",
        ),
    )
    ctx = make_ctx(ny(2026, 10, 26, 9), conf, releases=releases, people=STAFF)
    return cadence.evaluate(ctx, RuleOutput()).events


def parsed_events(data: bytes) -> list[Event]:
    return list(Calendar.from_ical(data).walk("VEVENT"))


def test_golden_ics(make_ctx: MakeCtx) -> None:
    data = render_ics(ritual_events(make_ctx), TZ)
    path = GOLDEN / "rituals.ics"
    if os.environ.get("OPSYNC_UPDATE_GOLDEN") == "1":
        path.write_bytes(data)
    assert data == path.read_bytes()


def test_feed_parses_back_to_the_same_events(make_ctx: MakeCtx) -> None:
    events = ritual_events(make_ctx)
    calendar = Calendar.from_ical(render_ics(events, TZ))
    assert str(calendar["PRODID"]) == PRODID and "opsync" in PRODID
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == [TZ]
    back = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert len(back) == len(events) > 20
    for event in events:
        parsed = back[event.uid]
        assert str(parsed["SUMMARY"]) == event.summary
        assert str(parsed["DESCRIPTION"]) == event.description
        if event.all_day:  # a launch day: local dates, no zone
            assert parsed.decoded("DTSTART") == event.start.astimezone(NY).date()
            assert parsed.decoded("DTEND") == event.end.astimezone(NY).date()
            continue
        assert parsed["DTSTART"].params["TZID"] == TZ
        assert parsed.decoded("DTSTART") == event.start
        assert parsed.decoded("DTEND") == event.end


def addresses(event: Event) -> list[tuple[str, str]]:
    found = event.get("ATTENDEE", [])
    return [(str(a), str(a.params["CN"])) for a in (found if isinstance(found, list) else [found])]


def test_attendees_and_organizer_round_trip(make_ctx: MakeCtx) -> None:
    events = ritual_events(make_ctx)
    back = {str(e["UID"]): e for e in parsed_events(render_ics(events, TZ))}
    named = 0
    for event in events:
        parsed = back[event.uid]
        want = [(f"mailto:{a.email}", a.name) for a in event.attendees]
        assert addresses(parsed) == want
        named += bool(want)
        for line in parsed.get("ATTENDEE", []) if want else ():
            assert line.params["ROLE"] == "REQ-PARTICIPANT"
            assert line.params["PARTSTAT"] == "NEEDS-ACTION" and line.params["RSVP"] == "FALSE"
        if event.organizer is not None:
            assert str(parsed["ORGANIZER"]) == f"mailto:{event.organizer.email}"
            assert str(parsed["ORGANIZER"].params["CN"]) == event.organizer.name
    assert named == len(events)  # every ritual here involves someone with an address
    review = back["roadmap-review-2026-10-27@opsync"]
    assert str(review["ORGANIZER"]) == "mailto:hope@x.example"  # the Head of Product's
    assert [m for m, _ in addresses(review)] == [
        "mailto:hope@x.example",
        "mailto:ana@x.example",
        "mailto:ben@x.example",
        "mailto:dev@x.example",
        "mailto:omar@x.example",
    ]  # Chen has no address and Eve an unusable one: left out, not a broken mailto
    readiness = back["readiness-check-sso@opsync"]
    assert str(readiness["ORGANIZER"]) == "mailto:omar@x.example"
    assert addresses(readiness) == [
        ("mailto:ben@x.example", "Ben Okafor"),  # the release's PM
        ("mailto:sue@x.example", "Sue 'Support' Kim"),  # no Eng lead with an address
        ("mailto:sam@x.example", "Sam Sales"),
        ("mailto:omar@x.example", "Omar Haddad"),
    ]


def test_attendees_switched_off_leave_no_address_in_the_feed(make_ctx: MakeCtx) -> None:
    data = render_ics(ritual_events(make_ctx, attendees=False), TZ)
    assert b"mailto:" not in data and b"@x.example" not in data
    assert b"ATTENDEE" not in data and b"ORGANIZER" not in data


def test_a_changed_attendee_list_raises_sequence(make_ctx: MakeCtx) -> None:
    events = ritual_events(make_ctx)
    first = render_ics(events, TZ)
    assert render_ics(events, TZ, previous=first) == first
    review = next(e for e in events if e.uid == "roadmap-review-2026-10-27@opsync")
    fewer = review.model_copy(update={"attendees": review.attendees[1:]})
    changed = [fewer if e is review else e for e in events]
    after = sequences(render_ics(changed, TZ, previous=first))
    assert after[review.uid] == 1
    assert {v for k, v in after.items() if k != review.uid} == {0}


def test_dst_change_week_keeps_local_times_and_shifts_utc(make_ctx: MakeCtx) -> None:
    back = {str(e["UID"]): e for e in parsed_events(render_ics(ritual_events(make_ctx), TZ))}
    before = back["weekly-update-2026-W44@opsync"].decoded("DTSTART")  # Thu 29 Oct, EDT
    after = back["weekly-update-2026-W45@opsync"].decoded("DTSTART")  # Thu 5 Nov, EST
    assert before.astimezone(NY).time() == after.astimezone(NY).time() == time(14, 0)
    assert before.astimezone(UTC).hour == 18 and after.astimezone(UTC).hour == 19
    review = back["insights-review-2026-11@opsync"]  # Tue 3 Nov, the week of the change
    assert review.decoded("DTSTART").astimezone(UTC) == datetime(2026, 11, 3, 19, tzinfo=UTC)


def test_text_with_ics_special_characters_round_trips(make_ctx: MakeCtx) -> None:
    back = {str(e["UID"]): e for e in parsed_events(render_ics(ritual_events(make_ctx), TZ))}
    summary = str(back["readiness-check-inv@opsync"]["SUMMARY"])
    assert summary == "Launch Readiness Check (to schedule): Invoices v2, part 1; beta"


def test_dtstamp_is_derived_from_inputs_not_the_wall_clock(make_ctx: MakeCtx) -> None:
    events = ritual_events(make_ctx)
    assert render_ics(events, TZ) == render_ics(tuple(reversed(events)), TZ)
    first = parsed_events(render_ics(events, TZ))[0]
    assert first.decoded("DTSTAMP") == events[0].start.astimezone(UTC)
    stamp = datetime(2026, 10, 26, 14, tzinfo=UTC)
    stamps = {
        e.decoded("DTSTAMP") for e in parsed_events(render_ics(events, TZ, generated_at=stamp))
    }
    assert stamps == {stamp}


def test_empty_calendar_and_naive_times() -> None:
    calendar = Calendar.from_ical(render_ics((), TZ))
    assert list(calendar.walk("VEVENT")) == [] and str(calendar["VERSION"]) == "2.0"
    naive = CalendarEvent(
        uid="x@opsync",
        summary="x",
        start=datetime(2026, 12, 3, 14),
        end=datetime(2026, 12, 3, 16),
    )
    with pytest.raises(ValueError, match="naive"):
        render_ics((naive,), TZ)
    with pytest.raises(ValueError):
        render_ics((), TZ, generated_at=datetime(2026, 12, 3))


def launch_feed(make_ctx: MakeCtx, launch: date, previous: bytes | None = None) -> bytes:
    release = Release(key="sso", title="SAML SSO", tier=Tier.HIGH, launch_date=launch)
    ctx = make_ctx(ny(2026, 11, 2, 9), Settings(), releases=(release,))
    return render_ics(cadence.evaluate(ctx, RuleOutput()).events, TZ, previous=previous)


def sequences(data: bytes) -> dict[str, int]:
    return {str(e["UID"]): int(e["SEQUENCE"]) for e in parsed_events(data)}


def test_launch_day_is_an_all_day_event(make_ctx: MakeCtx) -> None:
    back = {str(e["UID"]): e for e in parsed_events(launch_feed(make_ctx, date(2026, 11, 19)))}
    launch = back["launch-sso@opsync"]
    assert launch.decoded("DTSTART") == date(2026, 11, 19)
    assert launch.decoded("DTEND") == date(2026, 11, 20)
    assert str(launch["SUMMARY"]) == "Launch: SAML SSO (Tier 3)"


def test_moved_launch_keeps_its_uid_and_raises_sequence(make_ctx: MakeCtx) -> None:
    first = launch_feed(make_ctx, date(2026, 11, 19))
    assert set(sequences(first).values()) == {0}
    moved = launch_feed(make_ctx, date(2026, 11, 24), previous=first)
    before, after = sequences(first), sequences(moved)
    for uid in ("launch-sso@opsync", "training-sso@opsync", "readiness-check-sso@opsync"):
        assert uid in before and after[uid] == 1
    assert after["weekly-update-2026-W45@opsync"] == 0  # unchanged
    again = launch_feed(make_ctx, date(2026, 11, 25), previous=moved)
    assert sequences(again)["launch-sso@opsync"] == 2
    back = {str(e["UID"]): e for e in parsed_events(again)}
    assert back["launch-sso@opsync"].decoded("DTSTART") == date(2026, 11, 25)


def test_no_op_render_with_previous_gives_the_same_bytes(make_ctx: MakeCtx) -> None:
    first = launch_feed(make_ctx, date(2026, 11, 19))
    moved = launch_feed(make_ctx, date(2026, 11, 24), previous=first)
    assert launch_feed(make_ctx, date(2026, 11, 24), previous=moved) == moved
    assert launch_feed(make_ctx, date(2026, 11, 19), previous=first) == first


def test_broken_previous_feed_is_ignored(make_ctx: MakeCtx) -> None:
    fresh = launch_feed(make_ctx, date(2026, 11, 19))
    for broken in (b"not a calendar", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSEQUENCE:x\r\n", b""):
        assert launch_feed(make_ctx, date(2026, 11, 19), previous=broken) == fresh
