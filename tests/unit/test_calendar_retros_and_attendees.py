"""R8/R10 on the calendar: the rollout retros as events at their configured time, and each
event's attendees by role (pack section 3), only people with an address."""

from __future__ import annotations

from datetime import date, datetime, time

from conftest import NY, PEOPLE, MakeCtx, ny
from opsync.domain import Person, Readiness, Release, Role, Tier
from opsync.rules import cadence
from opsync.rules.output import CalendarEvent, RuleOutput
from opsync.settings import Settings

STAFF = (
    *(p.model_copy(update={"email": f"{p.key}@x.example"}) for p in PEOPLE),
    Person(key="hope", name="Hope Adams", role=Role.HEAD_OF_PRODUCT, email="hope@x.example"),
    Person(key="omar", name="Omar Haddad", role=Role.PRODUCT_OPS, email="omar@x.example"),
    Person(key="sue", name="Sue Kim", role=Role.SUPPORT, email="sue@x.example"),
    Person(key="sam", name="Sam Sales", role=Role.SALES, email="sam@x.example"),
    Person(key="cara", name="Cara CS", role=Role.CS, email="cara@x.example"),
    Person(key="dan", name="Dan Data", role=Role.DATA, email="dan@x.example"),
    Person(key="nomail", name="No Mail", role=Role.SUPPORT),
)
# The pilot pod (Onboarding) gets every rule from 1 Oct; every PM the weekly update.
PHASES = [
    {"name": "pilot", "starts_on": "2026-10-01", "areas": ["onboarding"]},
    {"name": "weekly", "starts_on": "2026-10-01", "rules": ["weekly"]},
    {"name": "org-wide", "starts_on": "2026-11-02"},
]


def events(
    make_ctx: MakeCtx, now: datetime, **cadence_settings: object
) -> dict[str, CalendarEvent]:
    conf = Settings.model_validate(
        {"cadence": {"horizon_days": 100, **cadence_settings}, "rollout": PHASES}
    )
    release = Release(
        key="sso",
        title="SAML SSO",
        tier=Tier.HIGH,
        launch_date=date(2026, 12, 10),
        product_area="billing",
        pm="ana",
        readiness=Readiness(meeting_on=date(2026, 12, 7)),
    )
    ctx = make_ctx(now, conf, releases=(release,), people=STAFF)
    return {e.uid: e for e in cadence.evaluate(ctx, RuleOutput()).events}


def emails(event: CalendarEvent) -> list[str]:
    return [a.email.split("@")[0] for a in event.attendees]


def test_rollout_retros_are_events_on_their_days_at_the_configured_time(
    make_ctx: MakeCtx,
) -> None:
    found = events(make_ctx, ny(2026, 10, 1, 9), retro_time="15:30", retro_minutes=90)
    retros = {uid: e for uid, e in found.items() if uid.startswith("rollout-retro-")}
    assert sorted(retros) == [
        "rollout-retro-week-12@opsync",
        "rollout-retro-week-4@opsync",
        "rollout-retro-week-8@opsync",
    ]
    week4 = retros["rollout-retro-week-4@opsync"]
    start, end = week4.start.astimezone(NY), week4.end.astimezone(NY)
    assert (start.date(), start.time(), end.time()) == (date(2026, 10, 28), time(15, 30), time(17))
    assert "What's working?" in week4.description and "pilot pod" in week4.description
    # Day 90 is Tue 29 Dec; Day 56 (Wed 25 Nov) is a business day: neither moves
    assert retros["rollout-retro-week-12@opsync"].start.date() == date(2026, 12, 29)
    assert "Moved" not in retros["rollout-retro-week-8@opsync"].description


def test_no_rollout_phases_means_no_retros(make_ctx: MakeCtx) -> None:
    conf = Settings.model_validate({"cadence": {"horizon_days": 100}})
    ctx = make_ctx(ny(2026, 10, 1, 9), conf, people=STAFF)
    assert not [e for e in cadence.evaluate(ctx, RuleOutput()).events if "retro" in e.uid]


def test_each_retro_invites_its_audience(make_ctx: MakeCtx) -> None:
    found = events(make_ctx, ny(2026, 10, 1, 9))
    assert emails(found["rollout-retro-week-4@opsync"]) == ["ben"]  # the pilot pod's PM
    assert emails(found["rollout-retro-week-8@opsync"]) == ["sam", "cara", "sue", "dev", "eve"]
    everyone = emails(found["rollout-retro-week-12@opsync"])
    assert set(everyone) == {p.key for p in STAFF} - {"nomail"}
    for key in ("week-4", "week-8", "week-12"):
        organizer = found[f"rollout-retro-{key}@opsync"].organizer
        assert organizer is not None and organizer.email == "omar@x.example"


def test_ritual_attendees_follow_the_pack_table(make_ctx: MakeCtx) -> None:
    found = events(make_ctx, ny(2026, 12, 1, 9))
    weekly = found["weekly-update-2026-W49@opsync"]
    assert emails(weekly) == ["ana", "ben", "chen"]
    insights = found["insights-review-2026-12@opsync"]
    assert emails(insights) == ["ana", "ben", "chen", "cara", "sue", "dan", "omar"]
    qbr = found["quarterly-planning-2027-Q1@opsync"]
    assert emails(qbr) == [
        "ana", "ben", "chen", "dev", "eve", "sam", "cara", "sue", "omar", "hope"
    ]  # fmt: skip
    assert qbr.organizer is not None and qbr.organizer.email == "hope@x.example"
    # a release's events: its PM, its area's Eng lead (the release names none), Support, Sales
    for uid in ("launch-sso", "training-sso", "readiness-check-sso"):
        want = ["ana", "dev", "sue", "sam"] + (["omar"] if uid.startswith("readiness") else [])
        assert emails(found[f"{uid}@opsync"]) == want


def test_attendees_switch_off(make_ctx: MakeCtx) -> None:
    found = events(make_ctx, ny(2026, 12, 1, 9), attendees=False)
    assert all(not e.attendees and e.organizer is None for e in found.values())


def test_readiness_check_and_quarterly_planning_are_on_the_calendar(make_ctx: MakeCtx) -> None:
    found = events(make_ctx, ny(2026, 12, 1, 9))
    readiness = found["readiness-check-sso@opsync"]
    assert readiness.start == datetime(2026, 12, 7, 11, tzinfo=NY)
    assert readiness.summary == "Launch Readiness Check: SAML SSO"
    qbr = found["quarterly-planning-2027-Q1@opsync"]  # 1 Jan is a holiday: Sat 2, Sun 3
    assert qbr.start == datetime(2027, 1, 4, 9, tzinfo=NY)
    assert "Moved from Friday 2027-01-01" in qbr.description
