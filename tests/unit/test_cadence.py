"""R8 cadence calendar: the pack's rituals as org-local events, moved (and said so) when they
fall on a non-business day, with UIDs that stay put when an event moves."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from conftest import NY, MakeCtx, ny
from opsync.domain import Readiness, Release, Tier, WeeklySubmission
from opsync.rules import cadence
from opsync.rules.output import CalendarEvent, RuleOutput
from opsync.settings import Settings


def events(
    make_ctx: MakeCtx, now: datetime, settings: Settings | None = None, **records: object
) -> dict[str, CalendarEvent]:
    out = cadence.evaluate(make_ctx(now, settings, **records), RuleOutput())
    return {e.uid: e for e in out.events}


def settings(**sections: object) -> Settings:
    return Settings.model_validate(sections)


def local(event: CalendarEvent) -> tuple[date, time, time]:
    start, end = event.start.astimezone(NY), event.end.astimezone(NY)
    return start.date(), start.time(), end.time()


def test_weekly_update_runs_thursday_from_submission_deadline_to_publication(
    make_ctx: MakeCtx,
) -> None:
    found = events(make_ctx, ny(2026, 12, 1, 9), settings(cadence={"horizon_days": 14}))
    weekly = sorted(uid for uid in found if uid.startswith("weekly-update-"))
    assert weekly == ["weekly-update-2026-W49@opsync", "weekly-update-2026-W50@opsync"]
    event = found["weekly-update-2026-W49@opsync"]
    assert local(event) == (date(2026, 12, 3), time(14, 0), time(16, 0))
    assert "submissions due 14:00" in event.summary and "published by 16:00" in event.summary
    assert "5-bullet update" in event.description and "Moved" not in event.description


def test_holiday_thursday_moves_the_weekly_update_to_the_previous_business_day(
    make_ctx: MakeCtx,
) -> None:
    found = events(make_ctx, ny(2026, 11, 23, 9), settings(cadence={"horizon_days": 7}))
    event = found["weekly-update-2026-W48@opsync"]  # the UID keeps the nominal week
    assert local(event) == (date(2026, 11, 25), time(14, 0), time(16, 0))
    assert "Moved from Thursday 2026-11-26 (Thanksgiving Day)." in event.description


def test_moved_update_may_land_in_the_window_from_the_week_after(make_ctx: MakeCtx) -> None:
    # Window Mon 23 - Wed 25 Nov: Thursday is outside, but the update moved to Wednesday.
    found = events(make_ctx, ny(2026, 11, 23, 9), settings(cadence={"horizon_days": 3}))
    assert "weekly-update-2026-W48@opsync" in found


def test_dst_week_keeps_wall_clock_times(make_ctx: MakeCtx) -> None:
    found = events(make_ctx, ny(2026, 10, 26, 9), settings(cadence={"horizon_days": 14}))
    before = found["weekly-update-2026-W44@opsync"]  # Thu 29 Oct, EDT
    after = found["weekly-update-2026-W45@opsync"]  # Thu 5 Nov, after the 1 Nov change: EST
    assert local(before)[1:] == local(after)[1:] == (time(14, 0), time(16, 0))
    assert before.start.astimezone(UTC).hour == 18
    assert after.start.astimezone(UTC).hour == 19
    assert after.end - after.start == timedelta(hours=2)


def test_roadmap_review_is_biweekly_from_any_configured_review(make_ctx: MakeCtx) -> None:
    expected = ["roadmap-review-2026-12-08@opsync", "roadmap-review-2026-12-22@opsync"]
    for anchor in ("2026-06-09", "2027-03-02"):  # one review in the past, one in the future
        conf = settings(roadmap={"first_review": anchor}, cadence={"horizon_days": 28})
        found = events(make_ctx, ny(2026, 12, 1, 9), conf)
        assert sorted(uid for uid in found if uid.startswith("roadmap-review-")) == expected
    event = found["roadmap-review-2026-12-08@opsync"]
    assert local(event) == (date(2026, 12, 8), time(10, 0), time(10, 45))
    assert "within 24 hours" in event.description


def test_roadmap_review_on_a_holiday_moves_to_the_next_business_day(make_ctx: MakeCtx) -> None:
    conf = settings(roadmap={"first_review": "2026-11-11"}, cadence={"horizon_days": 3})
    found = events(make_ctx, ny(2026, 11, 10, 9), conf)
    event = found["roadmap-review-2026-11-11@opsync"]
    assert local(event)[0] == date(2026, 11, 12)
    assert "Moved from Wednesday 2026-11-11 (Veterans Day)." in event.description


def test_no_roadmap_review_without_a_configured_date(make_ctx: MakeCtx) -> None:
    found = events(make_ctx, ny(2026, 12, 1, 9))
    assert not [uid for uid in found if uid.startswith("roadmap-review-")]


def test_readiness_check_on_recorded_meeting_or_placeholder(make_ctx: MakeCtx) -> None:
    releases = (
        Release(
            key="sso",
            title="SAML SSO",
            tier=Tier.HIGH,
            launch_date=date(2026, 11, 19),
            pm="ben",
            readiness=Readiness(meeting_on=date(2026, 11, 16)),
        ),
        # L = Thu 12 Nov; Wed 11 Nov is Veterans Day, so the last business day before is Tue 10.
        Release(key="inv", title="Invoices v2", tier=Tier.MEDIUM, launch_date=date(2026, 11, 12)),
        Release(key="copy", title="Copy fix", tier=Tier.LOW, launch_date=date(2026, 11, 12)),
        Release(
            key="out",
            title="Shipped",
            tier=Tier.HIGH,
            launch_date=date(2026, 11, 20),
            launched=True,
        ),
        Release(key="undated", title="Someday", tier=Tier.HIGH),
        Release(key="far", title="Later", tier=Tier.HIGH, launch_date=date(2027, 6, 1)),
    )
    found = events(
        make_ctx, ny(2026, 11, 9, 9), settings(cadence={"horizon_days": 30}), releases=releases
    )
    readiness = sorted(uid for uid in found if uid.startswith("readiness-check-"))
    assert readiness == ["readiness-check-inv@opsync", "readiness-check-sso@opsync"]
    meeting = found["readiness-check-sso@opsync"]
    assert local(meeting) == (date(2026, 11, 16), time(11, 0), time(11, 30))
    assert meeting.summary == "Launch Readiness Check: SAML SSO"
    assert "PM: Ben Okafor" in meeting.description
    placeholder = found["readiness-check-inv@opsync"]
    assert local(placeholder)[0] == date(2026, 11, 10)
    assert placeholder.summary == "Launch Readiness Check (to schedule): Invoices v2"
    assert "Placeholder" in placeholder.description


def test_monthly_insights_review_on_nth_weekday(make_ctx: MakeCtx) -> None:
    found = events(make_ctx, ny(2026, 11, 20, 9), settings(cadence={"horizon_days": 60}))
    reviews = {uid: local(e) for uid, e in found.items() if uid.startswith("insights-review-")}
    # Default: first Tuesday. December 2026 -> 1 Dec, January 2027 -> 5 Jan.
    assert reviews == {
        "insights-review-2026-12@opsync": (date(2026, 12, 1), time(14, 0), time(14, 45)),
        "insights-review-2027-01@opsync": (date(2027, 1, 5), time(14, 0), time(14, 45)),
    }
    second_thursday = settings(insights={"review_weekday": 4, "review_week_of_month": 2})
    found = events(make_ctx, ny(2026, 12, 1, 9), second_thursday)
    assert local(found["insights-review-2026-12@opsync"])[0] == date(2026, 12, 10)


def test_insights_review_on_a_holiday_moves_forward(make_ctx: MakeCtx) -> None:
    first_friday = settings(insights={"review_weekday": 5}, cadence={"horizon_days": 10})
    event = events(make_ctx, ny(2026, 12, 30, 9), first_friday)["insights-review-2027-01@opsync"]
    assert local(event)[0] == date(2027, 1, 4)  # Fri 1 Jan is New Year's Day
    assert "Moved from Friday 2027-01-01 (New Year's Day)." in event.description


def test_quarterly_planning_is_half_a_day_on_the_first_business_day(make_ctx: MakeCtx) -> None:
    found = events(make_ctx, ny(2026, 12, 15, 9), settings(cadence={"horizon_days": 30}))
    event = found["quarterly-planning-2027-Q1@opsync"]
    assert local(event) == (date(2027, 1, 4), time(9, 0), time(13, 0))
    assert event.summary == "Quarterly Planning / QBR 2027 Q1"


def test_horizon_bounds_and_order(make_ctx: MakeCtx) -> None:
    conf = settings(roadmap={"first_review": "2026-12-01"}, cadence={"horizon_days": 90})
    out = cadence.evaluate(make_ctx(ny(2026, 12, 1, 9), conf), RuleOutput())
    days = [e.start.astimezone(NY).date() for e in out.events]
    assert min(days) >= date(2026, 12, 1)
    assert max(days) <= date(2026, 12, 1) + timedelta(days=89)
    assert [(e.start, e.uid) for e in out.events] == sorted((e.start, e.uid) for e in out.events)
    assert len({e.uid for e in out.events}) == len(out.events)
    again = cadence.evaluate(make_ctx(ny(2026, 12, 1, 23), conf), RuleOutput())
    assert again == out  # same local date, same calendar


def test_quarter_start_months_are_validated() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        settings(cadence={"quarter_start_months": [0, 13]})
    with pytest.raises(ValidationError):
        settings(cadence={"quarter_start_months": []})
    assert settings(
        cadence={"quarter_start_months": [10, 1, 4, 7, 1]}
    ).cadence.quarter_start_months == (1, 4, 7, 10)


def test_weekly_submissions_count_for_adoption_late_and_missing_against_it(
    make_ctx: MakeCtx,
) -> None:
    def sub(area: str, pm: str, at: datetime) -> WeeklySubmission:
        key = f"2026-W49-{area}-{pm}"
        return WeeklySubmission(
            key=key, week="2026-W49", pm=pm, product_area=area, wins="x", submitted_at=at
        )

    subs = (
        sub("billing", "ana", ny(2026, 12, 3, 14)),  # on the dot: on time
        sub("billing", "ben", ny(2026, 12, 3, 14, 40)),  # a second PM, late
        sub("onboarding", "ben", ny(2026, 12, 2, 9)),
    )  # Reporting (Chen) sent nothing
    before = cadence.due_artifacts(make_ctx(ny(2026, 12, 3, 14), weekly_submissions=subs))[0]
    assert [a for a in before if a.component == "weekly submissions"] == []
    found, _ = cadence.due_artifacts(make_ctx(ny(2026, 12, 3, 15), weekly_submissions=subs))
    mine = [(a.label, a.on_time) for a in found if a.component == "weekly submissions"]
    assert mine == [
        ("2026-W49 weekly submission, Billing (Ana Ruiz)", True),
        ("2026-W49 weekly submission, Billing (Ben Okafor)", False),
        ("2026-W49 weekly submission, Onboarding (Ben Okafor)", True),
        ("2026-W49 weekly submission, Reporting (Chen Li)", False),
    ]


def test_tier3_release_gets_launch_day_training_and_day14_sync(make_ctx: MakeCtx) -> None:
    releases = (
        # L = Thu 12 Nov; Wed 11 Nov is Veterans Day, so the last business day before is Tue 10.
        Release(key="sso", title="SAML SSO", tier=Tier.HIGH, launch_date=date(2026, 11, 12)),
        Release(
            key="api",
            title="API v3",
            tier=Tier.HIGH,
            launch_date=date(2026, 11, 19),
            readiness=Readiness(training_on=date(2026, 11, 13)),
        ),
        Release(key="inv", title="Invoices v2", tier=Tier.MEDIUM, launch_date=date(2026, 11, 12)),
        Release(key="copy", title="Copy fix", tier=Tier.LOW, launch_date=date(2026, 11, 12)),
    )
    conf = settings(cadence={"horizon_days": 30})
    found = events(make_ctx, ny(2026, 11, 9, 9), conf, releases=releases)
    launches = sorted(uid for uid in found if uid.startswith("launch-"))
    assert launches == ["launch-api@opsync", "launch-inv@opsync", "launch-sso@opsync"]
    launch = found["launch-sso@opsync"]
    assert launch.all_day and launch.summary == "Launch: SAML SSO (Tier 3)"
    assert local(launch) == (date(2026, 11, 12), time(0, 0), time(0, 0))
    assert launch.end - launch.start == timedelta(days=1)
    assert found["launch-inv@opsync"].summary == "Launch: Invoices v2 (Tier 2)"
    training = sorted(uid for uid in found if uid.startswith("training-"))
    assert training == ["training-api@opsync", "training-sso@opsync"]
    placeholder = found["training-sso@opsync"]
    assert local(placeholder) == (date(2026, 11, 10), time(13, 0), time(14, 0))
    assert placeholder.summary == "Tier 3 Training (to schedule): SAML SSO"
    assert local(found["training-api@opsync"])[0] == date(2026, 11, 13)
    assert found["training-api@opsync"].summary == "Tier 3 Training: API v3"
    # Day 14 of 12 Nov is Thu 26 Nov, Thanksgiving: the retro's due date rolls to Fri 27.
    syncs = {uid: local(e) for uid, e in found.items() if uid.startswith("day14-sync-")}
    assert syncs == {
        "day14-sync-sso@opsync": (date(2026, 11, 27), time(11, 0), time(11, 30)),
        "day14-sync-api@opsync": (date(2026, 12, 3), time(11, 0), time(11, 30)),
    }


def test_launch_events_follow_the_rollout_and_the_configured_times(make_ctx: MakeCtx) -> None:
    releases = (
        Release(key="sso", title="SAML SSO", tier=Tier.HIGH, launch_date=date(2026, 11, 12)),
    )
    conf = settings(
        cadence={"horizon_days": 30, "day14_sync_time": "15:30", "day14_sync_minutes": 60},
        rollout=[{"name": "pilot", "starts_on": "2026-01-01", "rules": ["cadence", "enablement"]}],
    )
    found = events(make_ctx, ny(2026, 11, 9, 9), conf, releases=releases)
    assert not [uid for uid in found if uid.startswith("day14-sync-")]
    assert "launch-sso@opsync" in found and "training-sso@opsync" in found
    conf = settings(cadence={"horizon_days": 30, "day14_sync_time": "15:30"})
    found = events(make_ctx, ny(2026, 11, 9, 9), conf, releases=releases)
    assert local(found["day14-sync-sso@opsync"])[1:] == (time(15, 30), time(16, 0))


def test_weekly_description_names_the_configured_channels(make_ctx: MakeCtx) -> None:
    conf = settings(weekly={"slack_channel": "#prod-news", "email_channel": "email:leads"})
    found = events(make_ctx, ny(2026, 12, 1, 9), conf)
    description = found["weekly-update-2026-W49@opsync"].description
    assert "to #prod-news and email (leads) by 16:00" in description
    assert "#product-updates" not in description
