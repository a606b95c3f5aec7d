"""R2 enablement timeline: business-day deadlines, status precedence, findings, announcement."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import MakeCtx, ny
from opsync.calendar import BusinessCalendar
from opsync.domain import (
    Bundle,
    BundleState,
    DateChange,
    GoNoGo,
    Level,
    PostLaunch,
    Readiness,
    Release,
    Tier,
)
from opsync.rules import RuleOutput
from opsync.rules.enablement import (
    EnablementStatus,
    Outcome,
    Step,
    bundle_stage,
    deadlines,
    enablement_status,
    evaluate,
    record_text,
    steps,
)
from opsync.settings import EnablementSettings, RolloutPhase, RuleFamily, Settings

SETTINGS = EnablementSettings()
LAUNCH = date(2026, 12, 10)  # Thursday: handoff Thu Dec 3 (T2), publish Tue Dec 8


def release(**changes: object) -> Release:
    base = Release(
        key="inv",
        title="Usage-based invoices",
        tier=Tier.MEDIUM,
        launch_date=LAUNCH,
        product_area="billing",
        pm="ana",
    )
    return base.model_copy(update=changes)


def codes(out: RuleOutput) -> list[str]:
    return sorted(f.code for f in out.findings)


def test_tier2_deadlines_step_back_over_thanksgiving(calendar: BusinessCalendar) -> None:
    # Mon Nov 30 2026; Thu Nov 26 is Thanksgiving, Nov 28-29 a weekend.
    due = deadlines(release(launch_date=date(2026, 11, 30)), calendar, SETTINGS)
    assert due is not None
    assert due.publish_due == date(2026, 11, 25)  # Fri 27 (1), Wed 25 (2)
    assert due.handoff_due == date(2026, 11, 20)  # 27, 25, 24, 23, Fri 20
    assert due.readiness_due == date(2026, 11, 27)  # L - 1 BD: the Friday, not the Sunday


def test_tier3_handoff_steps_back_over_new_year_and_christmas(calendar: BusinessCalendar) -> None:
    launch = date(2027, 1, 4)  # Monday after New Year's Day (Fri Jan 1)
    due = deadlines(release(tier=Tier.HIGH, launch_date=launch), calendar, SETTINGS)
    assert due is not None
    assert due.publish_due == date(2026, 12, 30)  # Thu Dec 31 (1), Wed Dec 30 (2)
    # Dec 31, 30, 29, 28, (Fri Dec 25 and weekend skipped) 24, 23, 22, 21, 18, 17.
    assert due.handoff_due == date(2026, 12, 17)
    assert due.readiness_due == date(2026, 12, 31)  # New Year's Day and the weekend skipped


def test_weekend_launch_steps_back_from_the_saturday(calendar: BusinessCalendar) -> None:
    due = deadlines(release(launch_date=date(2026, 12, 12)), calendar, SETTINGS)
    assert due is not None
    assert due.publish_due == date(2026, 12, 10)  # Fri 11 (1), Thu 10 (2)
    assert due.handoff_due == date(2026, 12, 7)
    assert due.readiness_due == date(2026, 12, 11)


def test_configured_lead_times_are_used(calendar: BusinessCalendar) -> None:
    custom = EnablementSettings(handoff_bd_tier2=3, publish_bd=1)
    due = deadlines(release(), calendar, custom)
    assert due is not None
    assert (due.handoff_due, due.publish_due) == (date(2026, 12, 7), date(2026, 12, 9))


def test_no_deadlines_without_launch_date_or_for_tier1(calendar: BusinessCalendar) -> None:
    assert deadlines(release(launch_date=None), calendar, SETTINGS) is None
    assert deadlines(release(tier=Tier.LOW), calendar, SETTINGS) is None
    assert deadlines(release(tier=None), calendar, SETTINGS) is None


@pytest.mark.parametrize(
    ("changes", "today", "expected"),
    [
        ({"tier": Tier.LOW}, date(2026, 12, 1), EnablementStatus.NOT_REQUIRED),
        ({}, date(2026, 12, 1), EnablementStatus.NOT_STARTED),
        (
            {"bundle": Bundle(state=BundleState.DRAFTING)},
            date(2026, 12, 3),
            EnablementStatus.DRAFTING,
        ),
        # handoff deadline passed, but "ready for review" means Product Ops has the bundle
        (
            {"bundle": Bundle(state=BundleState.READY_FOR_REVIEW)},
            date(2026, 12, 4),
            EnablementStatus.READY_FOR_REVIEW,
        ),
        (
            {"bundle": Bundle(state=BundleState.PUBLISHED, published_on=date(2026, 12, 8))},
            date(2026, 12, 9),
            EnablementStatus.PUBLISHED,
        ),
        ({"bundle": Bundle(state=BundleState.DRAFTING)}, date(2026, 12, 4), EnablementStatus.LATE),
        (
            {"bundle": Bundle(state=BundleState.READY_FOR_REVIEW)},
            date(2026, 12, 10),
            EnablementStatus.LAUNCHED_WITHOUT_BUNDLE,
        ),
    ],
)
def test_each_enablement_status(
    calendar: BusinessCalendar, changes: dict[str, object], today: date, expected: EnablementStatus
) -> None:
    assert enablement_status(release(**changes), today, calendar, SETTINGS) is expected


def test_status_precedence_edges(calendar: BusinessCalendar) -> None:
    drafting = release(bundle=Bundle(state=BundleState.DRAFTING))
    # tracker says not launched although the date passed: readiness steps missed -> late
    slipped = drafting.model_copy(update={"launched": False})
    assert (
        enablement_status(slipped, date(2026, 12, 11), calendar, SETTINGS) is EnablementStatus.LATE
    )
    # published after launch is still "published"; the late step shows in its outcome
    late_pub = release(bundle=Bundle(published_on=date(2026, 12, 11)))
    assert enablement_status(late_pub, date(2026, 12, 12), calendar, SETTINGS) is (
        EnablementStatus.PUBLISHED
    )
    publish = next(c for c in steps(late_pub, calendar, SETTINGS) if c.step is Step.PUBLISH)
    assert publish.outcome(date(2026, 12, 12)) is Outcome.LATE
    # a recorded publication date counts even when the state was left at "drafting"
    dated = release(bundle=Bundle(state=BundleState.DRAFTING, published_on=date(2026, 12, 7)))
    assert enablement_status(dated, date(2026, 12, 9), calendar, SETTINGS) is (
        EnablementStatus.PUBLISHED
    )
    assert enablement_status(release(tier=None), date(2026, 12, 9), calendar, SETTINGS) is None


def test_bundle_published_on_the_deadline_is_on_time(
    make_ctx: MakeCtx, calendar: BusinessCalendar
) -> None:
    on_time = release(
        bundle=Bundle(
            state=BundleState.PUBLISHED,
            handed_off_on=date(2026, 12, 3),
            published_on=date(2026, 12, 8),
        )
    )
    out = evaluate(make_ctx(ny(2026, 12, 9, 10), releases=(on_time,)), RuleOutput())
    assert out.derived["releases/inv"]["enablement_status"] == "published"
    assert codes(out) == []
    outcomes = {c.step: c.outcome(date(2026, 12, 9)) for c in steps(on_time, calendar, SETTINGS)}
    assert outcomes[Step.HANDOFF] is Outcome.ON_TIME
    assert outcomes[Step.PUBLISH] is Outcome.ON_TIME


def test_deadline_day_uses_new_york_date_not_utc(make_ctx: MakeCtx) -> None:
    drafting = release(bundle=Bundle(state=BundleState.DRAFTING))
    # 23:30 in New York on the handoff deadline is already Dec 4 in UTC: still on time.
    evening = evaluate(make_ctx(ny(2026, 12, 3, 23, 30), releases=(drafting,)), RuleOutput())
    assert codes(evening) == []
    assert evening.derived["releases/inv"]["enablement_status"] == "drafting"
    next_day = evaluate(make_ctx(ny(2026, 12, 4, 0, 30), releases=(drafting,)), RuleOutput())
    assert codes(next_day) == ["enablement.handoff-late"]
    assert next_day.derived["releases/inv"]["enablement_status"] == "late"


def test_derived_fields(make_ctx: MakeCtx) -> None:
    t3 = release(tier=Tier.HIGH, launch_date=date(2027, 1, 4))
    t1 = release(key="copy", tier=Tier.LOW)
    out = evaluate(make_ctx(ny(2026, 12, 1, 9), releases=(t3, t1)), RuleOutput())
    assert out.derived["releases/inv"] == {
        "enablement_status": "not started",
        "handoff_due": date(2026, 12, 17),
        "publish_due": date(2026, 12, 30),
        "readiness_due": date(2026, 12, 31),
        "bundle_kind": "full",
    }
    assert out.derived["releases/copy"] == {
        "enablement_status": "not required",
        "handoff_due": None,
        "publish_due": None,
        "readiness_due": None,
        "bundle_kind": None,
    }


def test_publish_late_and_then_launched_without_bundle(make_ctx: MakeCtx) -> None:
    handed = release(bundle=Bundle(state=BundleState.READY_FOR_REVIEW))
    before = evaluate(make_ctx(ny(2026, 12, 9, 9), releases=(handed,)), RuleOutput())
    assert codes(before) == ["enablement.publish-late"]
    assert "Tuesday, December 8, 2026" in before.findings[0].message
    launched = evaluate(make_ctx(ny(2026, 12, 10, 9), releases=(handed,)), RuleOutput())
    # after launch the late findings give way to one error; readiness steps are now missed too
    assert "enablement.launched-without-bundle" in codes(launched)
    assert "enablement.publish-late" not in codes(launched)
    error = next(f for f in launched.findings if f.code == "enablement.launched-without-bundle")
    assert error.level == "error" and "Usage-based invoices" in error.message


def test_readiness_findings_only_once_launch_day_arrives(make_ctx: MakeCtx) -> None:
    t3 = release(
        tier=Tier.HIGH,
        bundle=Bundle(state=BundleState.PUBLISHED, published_on=date(2026, 12, 1)),
        readiness=Readiness(sales_confirmed_on=date(2026, 12, 9), go_no_go=GoNoGo.GO),
    )
    eve = evaluate(make_ctx(ny(2026, 12, 9, 18), releases=(t3,)), RuleOutput())
    assert codes(eve) == []
    day = evaluate(make_ctx(ny(2026, 12, 10, 9), releases=(t3,)), RuleOutput())
    assert codes(day) == [
        "enablement.go-no-go-missing",
        "enablement.readiness-meeting-missing",
        "enablement.readiness-not-confirmed",
        "enablement.training-missing",
    ]
    messages = {f.code: f.message for f in day.findings}
    assert (
        "Support readiness was not confirmed before"
        in messages["enablement.readiness-not-confirmed"]
    )
    assert "without the date" in messages["enablement.go-no-go-missing"]


def test_readiness_on_launch_day_is_late_but_not_missing(
    make_ctx: MakeCtx, calendar: BusinessCalendar
) -> None:
    t2 = release(
        bundle=Bundle(state=BundleState.PUBLISHED, published_on=date(2026, 12, 8)),
        readiness=Readiness(
            support_confirmed_on=date(2026, 12, 9),
            sales_confirmed_on=date(2026, 12, 10),
            go_no_go=GoNoGo.GO,
        ),
    )
    out = evaluate(make_ctx(ny(2026, 12, 11, 9), releases=(t2,)), RuleOutput())
    # Tier 2: async go/no-go needs no date, no meeting, no training; Sales was late
    assert codes(out) == ["enablement.done-after-deadline"]
    outcomes = {c.step: c.outcome(date(2026, 12, 11)) for c in steps(t2, calendar, SETTINGS)}
    assert outcomes[Step.SUPPORT] is Outcome.ON_TIME
    assert outcomes[Step.SALES] is Outcome.LATE
    assert outcomes[Step.GO_NO_GO] is Outcome.DONE


def test_launch_date_moved_inside_a_passed_deadline(make_ctx: MakeCtx) -> None:
    # Launch pulled in on Fri Dec 4 from Thu Dec 17 to Thu Dec 10: handoff due Dec 3 had passed.
    move = DateChange(changed_on=date(2026, 12, 4), old=date(2026, 12, 17), new=LAUNCH)
    moved = release(launch_date_history=(move,), bundle=Bundle(state=BundleState.DRAFTING))
    out = evaluate(make_ctx(ny(2026, 12, 4, 10), releases=(moved,)), RuleOutput())
    assert codes(out) == ["enablement.handoff-late", "enablement.moved-inside-deadline"]
    finding = next(f for f in out.findings if f.code == "enablement.moved-inside-deadline")
    assert "Thursday, December 17, 2026" in finding.message
    assert "Thursday, December 10, 2026" in finding.message
    assert "bundle handoff" in finding.message and "bundle publication" not in finding.message
    assert finding.field == "launch_date"


def test_move_on_the_deadline_day_itself_counts(make_ctx: MakeCtx) -> None:
    # Moved on Thu Dec 3, the new handoff deadline itself: no lead time was left.
    move = DateChange(changed_on=date(2026, 12, 3), old=date(2026, 12, 17), new=LAUNCH)
    moved = release(launch_date_history=(move,))
    out = evaluate(make_ctx(ny(2026, 12, 3, 10), releases=(moved,)), RuleOutput())
    assert codes(out) == ["enablement.moved-inside-deadline"]  # handoff not late until Dec 4


def test_move_finding_clears_when_step_done_or_date_moved_out(make_ctx: MakeCtx) -> None:
    inside = DateChange(changed_on=date(2026, 12, 4), old=date(2026, 12, 17), new=LAUNCH)
    handed = release(
        launch_date_history=(inside,),
        bundle=Bundle(state=BundleState.DRAFTING, handed_off_on=date(2026, 12, 4)),
    )
    # the move no longer holds anything back; the handoff a day late stays visible
    out = evaluate(make_ctx(ny(2026, 12, 4, 10), releases=(handed,)), RuleOutput())
    assert codes(out) == ["enablement.done-after-deadline"]
    back_out = DateChange(changed_on=date(2026, 12, 5), old=LAUNCH, new=date(2026, 12, 18))
    relaxed = release(
        launch_date=date(2026, 12, 18),
        launch_date_history=(inside, back_out),
        bundle=Bundle(state=BundleState.DRAFTING),
    )
    assert codes(evaluate(make_ctx(ny(2026, 12, 7, 10), releases=(relaxed,)), RuleOutput())) == []


def test_missing_launch_date_is_a_finding(make_ctx: MakeCtx) -> None:
    undated = release(launch_date=None, bundle=Bundle(state=BundleState.DRAFTING))
    out = evaluate(make_ctx(ny(2026, 12, 9, 9), releases=(undated,)), RuleOutput())
    [finding] = out.findings
    assert finding.code == "enablement.launch-date-missing"
    assert finding.field == "launch_date"
    assert out.derived["releases/inv"]["enablement_status"] == "drafting"
    assert out.derived["releases/inv"]["handoff_due"] is None


def test_missing_tier_gets_no_enablement_verdict(make_ctx: MakeCtx) -> None:
    out = evaluate(make_ctx(ny(2026, 12, 11, 9), releases=(release(tier=None),)), RuleOutput())
    assert out.findings == () and out.notifications == ()
    assert set(out.derived["releases/inv"].values()) == {None}


def test_published_bundle_is_announced_once_per_release(make_ctx: MakeCtx) -> None:
    published = Bundle(state=BundleState.PUBLISHED, published_on=date(2026, 12, 7))
    a = release(bundle=published)
    b = release(key="sso", title="SSO", tier=Tier.HIGH, bundle=published)
    drafting = release(key="draft", bundle=Bundle(state=BundleState.DRAFTING))
    minor = release(key="copy", tier=Tier.LOW, bundle=published)
    ctx = make_ctx(ny(2026, 12, 8, 9), releases=(a, b, drafting, minor))
    first, second = evaluate(ctx, RuleOutput()), evaluate(ctx, RuleOutput())
    keys = [n.key for n in first.notifications]
    assert keys == ["bundle-published/inv", "bundle-published/sso"]
    assert len(set(keys)) == len(keys)
    assert first.notifications == second.notifications  # same key every run: sent once
    note = first.notifications[0]
    assert note.channel == "#support-sales"
    assert "Usage-based invoices" in note.text and "Tier 2 (Medium)" in note.text
    assert "Ana Ruiz" in note.text


def test_announcement_channel_and_age_limit(make_ctx: MakeCtx) -> None:
    published = release(bundle=Bundle(state=BundleState.PUBLISHED, published_on=date(2026, 12, 7)))
    custom = Settings(enablement=EnablementSettings(announce_channel="#launches"))
    out = evaluate(make_ctx(ny(2026, 12, 8, 9), custom, releases=(published,)), RuleOutput())
    assert [n.channel for n in out.notifications] == ["#launches"]
    stale = evaluate(make_ctx(ny(2026, 12, 15, 9), releases=(published,)), RuleOutput())
    assert stale.notifications == ()


def test_rollout_area_not_in_pilot_gets_nothing(make_ctx: MakeCtx) -> None:
    pilot = Settings(
        rollout=(
            RolloutPhase(
                name="pilot",
                starts_on=date(2026, 11, 1),
                areas=("onboarding",),
                rules=(RuleFamily.ENABLEMENT,),
            ),
        )
    )
    late = release(bundle=Bundle(state=BundleState.DRAFTING))
    out = evaluate(make_ctx(ny(2026, 12, 11, 9), pilot, releases=(late,)), RuleOutput())
    assert out == RuleOutput()
    in_pilot = late.model_copy(update={"product_area": "onboarding"})
    out = evaluate(make_ctx(ny(2026, 12, 11, 9), pilot, releases=(in_pilot,)), RuleOutput())
    assert "enablement.launched-without-bundle" in codes(out)


def test_a_handed_off_bundle_is_ready_for_review_though_nobody_set_its_state(
    calendar: BusinessCalendar,
) -> None:
    handed = release(bundle=Bundle(handed_off_on=date(2026, 12, 2)))
    assert handed.bundle.state is BundleState.NOT_STARTED
    status = enablement_status(handed, date(2026, 12, 4), calendar, SETTINGS)
    assert status is EnablementStatus.READY_FOR_REVIEW
    # a state set further along than the dates is kept: whichever is further along wins
    both = release(bundle=Bundle(state=BundleState.PUBLISHED, handed_off_on=date(2026, 12, 2)))
    assert bundle_stage(both) is BundleState.PUBLISHED


def test_readiness_for_a_monday_launch_is_due_the_friday_before(make_ctx: MakeCtx) -> None:
    monday = date(2026, 12, 14)
    t2 = release(
        launch_date=monday,
        bundle=Bundle(published_on=date(2026, 12, 9)),
        readiness=Readiness(
            support_confirmed_on=date(2026, 12, 11),  # Friday: on time
            sales_confirmed_on=date(2026, 12, 13),  # Sunday: after L - 1 BD
            go_no_go=GoNoGo.GO,
        ),
    )
    out = evaluate(make_ctx(ny(2026, 12, 14, 9), releases=(t2,)), RuleOutput())
    assert out.derived["releases/inv"]["readiness_due"] == date(2026, 12, 11)
    [late] = out.findings
    assert late.code == "enablement.done-after-deadline"
    assert "Sales readiness confirmation 2 days late" in late.message
    # nothing recorded by Friday: on the Saturday the finding says what to do, with the date
    bare = release(launch_date=monday, bundle=Bundle(published_on=date(2026, 12, 9)))
    weekend = evaluate(make_ctx(ny(2026, 12, 12, 9), releases=(bare,)), RuleOutput())
    [missing] = [f for f in weekend.findings if f.code == "enablement.readiness-not-confirmed"]
    assert "by Friday, December 11, 2026" in missing.message and "Ask" in missing.message


def test_a_step_done_after_its_deadline_is_a_warning_saying_how_late(make_ctx: MakeCtx) -> None:
    late = release(
        bundle=Bundle(handed_off_on=date(2026, 12, 3), published_on=date(2026, 12, 9)),
    )
    out = evaluate(make_ctx(ny(2026, 12, 9, 12), releases=(late,)), RuleOutput())
    assert out.derived["releases/inv"]["enablement_status"] == "published"
    [finding] = out.findings
    assert finding.code == "enablement.done-after-deadline"
    assert finding.level is Level.WARNING
    assert finding.field == "bundle"
    assert finding.message == (
        "Usage-based invoices: done after the deadline: bundle publication 1 BD late "
        "(published Wednesday, December 9, 2026, due Tuesday, December 8, 2026)."
    )


def test_missed_steps_after_launch_say_what_happened_for_the_retro(make_ctx: MakeCtx) -> None:
    t3 = release(tier=Tier.HIGH, bundle=Bundle(published_on=date(2026, 11, 30)))
    out = evaluate(make_ctx(ny(2026, 12, 11, 9), releases=(t3,)), RuleOutput())
    assert codes(out) == [
        "enablement.go-no-go-missing",
        "enablement.readiness-meeting-missing",
        "enablement.readiness-not-confirmed",
        "enablement.training-missing",
    ]
    messages = {f.code: f.message for f in out.findings}
    assert messages["enablement.readiness-not-confirmed"] == (
        "Usage-based invoices: Support and Sales readiness was not confirmed before the launch "
        "on Thursday, December 10, 2026; a point for the Day 14 retro."
    )
    for message in messages.values():
        assert message.endswith("a point for the Day 14 retro.")
        assert not any(word in message for word in ("Ask ", "Hold it", "Schedule it", "should"))


def test_what_happened_at_launch_ends_with_the_recorded_day14_retro(make_ctx: MakeCtx) -> None:
    launched = release(bundle=Bundle(published_on=date(2026, 12, 9)))
    before = evaluate(make_ctx(ny(2026, 12, 28, 9), releases=(launched,)), RuleOutput())
    assert codes(before) == [
        "enablement.done-after-deadline",
        "enablement.go-no-go-missing",
        "enablement.readiness-not-confirmed",
    ]
    retro = launched.model_copy(
        update={"post_launch": PostLaunch(day14_done_on=date(2026, 12, 24))}
    )
    after = evaluate(make_ctx(ny(2026, 12, 28, 9), releases=(retro,)), RuleOutput())
    assert after.findings == ()
    assert after.derived["releases/inv"]["enablement_status"] == "published"


def test_step_record_text_for_the_bundle_page(calendar: BusinessCalendar) -> None:
    t2 = release(
        bundle=Bundle(handed_off_on=date(2026, 12, 3), published_on=date(2026, 12, 9)),
        readiness=Readiness(go_no_go=GoNoGo.GO),
    )
    checks = steps(t2, calendar, SETTINGS)
    texts = {c.step: record_text(c, date(2026, 12, 11), calendar) for c in checks}
    assert texts == {
        Step.HANDOFF: "handed off Thursday, December 3, 2026, on time",
        Step.PUBLISH: "published Wednesday, December 9, 2026, 1 BD late",
        Step.SUPPORT: "not done by its deadline",
        Step.SALES: "not done by its deadline",
        Step.GO_NO_GO: "decided, date not recorded",
    }
    ahead = {c.step: record_text(c, date(2026, 12, 1), calendar) for c in checks}
    assert ahead[Step.SUPPORT] is None
