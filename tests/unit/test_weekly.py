"""R3 Weekly Product Update: deadlines, missing submissions, Tier 1 auto-listing, risks,
exactly-once publication, lateness, reminders and the page itself."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

from conftest import MakeCtx, ny
from opsync.calendar import BusinessCalendar
from opsync.documents.markdown import render
from opsync.domain import (
    Collection,
    Finding,
    Level,
    Release,
    Snapshot,
    Tier,
    WeeklySubmission,
    WeeklyUpdate,
    ref,
)
from opsync.rules.context import RuleContext
from opsync.rules.output import DocumentKind, RuleOutput
from opsync.rules.weekly import evaluate, lines, linked
from opsync.settings import (
    DateStyle,
    OutputSettings,
    RolloutPhase,
    RuleFamily,
    Settings,
    WeeklySettings,
)

GOLDEN = Path(__file__).parent.parent / "golden"
WEEK = "2026-W49"  # Mon 2026-11-30 .. Sun 2026-12-06, update day Thu 2026-12-03
NOTHING = RuleOutput()


def sub(area: str, pm: str, week: str = WEEK, **fields: object) -> WeeklySubmission:
    values: dict[str, object] = {"wins": f"{area} win", "submitted_at": ny(2026, 12, 2, 16)}
    values.update(fields)
    key = str(values.pop("key", f"{week}-{area}"))
    return WeeklySubmission(
        key=key,
        week=week,
        pm=pm,
        product_area=area,
        **values,
    )


ALL_IN = (sub("billing", "ana"), sub("onboarding", "ben"), sub("reporting", "chen"))


def found(code: str, record: str, message: str, level: Level = Level.WARNING) -> Finding:
    return Finding(code=code, record=record, message=message, level=level)


def codes(out: RuleOutput, code: str) -> list[Finding]:
    return [f for f in out.findings if f.code == code]


def page_text(out: RuleOutput) -> str:
    (page,) = out.documents
    return render(page.document)


# --- deadlines and missing submissions --------------------------------------------------


def test_missing_submission_is_a_finding_only_after_14_00(make_ctx: MakeCtx) -> None:
    subs = (sub("billing", "ana"), sub("onboarding", "ben"))
    before = evaluate(make_ctx(ny(2026, 12, 3, 13, 59), weekly_submissions=subs), NOTHING)
    on_the_dot = evaluate(make_ctx(ny(2026, 12, 3, 14), weekly_submissions=subs), NOTHING)
    after = evaluate(make_ctx(ny(2026, 12, 3, 14, 1), weekly_submissions=subs), NOTHING)
    assert codes(before, "weekly.submission-missing") == []
    assert codes(on_the_dot, "weekly.submission-missing") == []
    (missing,) = codes(after, "weekly.submission-missing")
    assert missing.record == ref(Collection.WEEKLY_SUBMISSIONS, f"{WEEK}/reporting")
    assert "Reporting" in missing.message
    assert "Chen Li" in missing.message
    # The page shows the gap before and after the deadline, in the same words.
    assert "No submission yet from Chen Li" in page_text(before)
    assert page_text(before) == page_text(after)


def test_missing_submission_respects_the_autumn_dst_deadline(make_ctx: MakeCtx) -> None:
    # Thu 2026-11-05 is EST: 14:00 local is 19:00 UTC, not 18:00 as it was a week earlier.
    at_1830_utc = datetime(2026, 11, 5, 18, 30, tzinfo=UTC)
    at_1901_utc = datetime(2026, 11, 5, 19, 1, tzinfo=UTC)
    subs = (sub("billing", "ana", week="2026-W45"),)
    early = evaluate(make_ctx(at_1830_utc, weekly_submissions=subs), NOTHING)
    late = evaluate(make_ctx(at_1901_utc, weekly_submissions=subs), NOTHING)
    assert codes(early, "weekly.submission-missing") == []
    assert len(codes(late, "weekly.submission-missing")) == 2


def test_missing_submission_respects_the_spring_dst_deadline(make_ctx: MakeCtx) -> None:
    # Thu 2027-03-18 is EDT: 14:00 local is 18:00 UTC (it was 19:00 UTC on Thu 2027-03-11).
    subs = (sub("billing", "ana", week="2027-W11"),)
    at_1801_utc = datetime(2027, 3, 18, 18, 1, tzinfo=UTC)
    out = evaluate(make_ctx(at_1801_utc, weekly_submissions=subs), NOTHING)
    assert len(codes(out, "weekly.submission-missing")) == 2
    prior_week = (sub("billing", "ana", week="2027-W10"),)
    at_1801_utc_prior = datetime(2027, 3, 11, 18, 1, tzinfo=UTC)
    prior = evaluate(make_ctx(at_1801_utc_prior, weekly_submissions=prior_week), NOTHING)
    assert codes(prior, "weekly.submission-missing") == []


def test_thanksgiving_week_is_due_on_wednesday(make_ctx: MakeCtx) -> None:
    subs = (sub("billing", "ana", week="2026-W48"),)
    out = evaluate(make_ctx(ny(2026, 11, 25, 14, 1), weekly_submissions=subs), NOTHING)
    assert len(codes(out, "weekly.submission-missing")) == 2
    (page,) = out.documents
    assert page.document.title == "Weekly Product Update — November 25, 2026"
    assert {n.key for n in out.notifications} == {
        "weekly-update/2026-W48/slack",
        "weekly-update/2026-W48/email",
    }


def test_an_empty_submission_record_does_not_count(make_ctx: MakeCtx) -> None:
    blank = sub("reporting", "chen", wins="  ")
    out = evaluate(make_ctx(ny(2026, 12, 3, 15), weekly_submissions=(*ALL_IN[:2], blank)), NOTHING)
    assert [f.record for f in codes(out, "weekly.submission-missing")] == [
        ref(Collection.WEEKLY_SUBMISSIONS, f"{WEEK}/reporting")
    ]


def test_latest_submission_for_an_area_wins(make_ctx: MakeCtx) -> None:
    first = sub("billing", "ana", wins="old text", submitted_at=ny(2026, 12, 1, 9))
    second = WeeklySubmission(
        key="again",
        week=WEEK,
        pm="ana",
        product_area="billing",
        wins="new text",
        submitted_at=ny(2026, 12, 2, 9),
    )
    out = evaluate(make_ctx(ny(2026, 12, 3, 9), weekly_submissions=(second, first)), NOTHING)
    assert "new text" in page_text(out)
    assert "old text" not in page_text(out)


def test_submission_for_an_unknown_area_is_a_finding(make_ctx: MakeCtx) -> None:
    stray = sub("payments", "ana")
    out = evaluate(make_ctx(ny(2026, 12, 2, 9), weekly_submissions=(stray,)), NOTHING)
    (finding,) = codes(out, "weekly.submission-unknown-area")
    assert finding.record == ref(Collection.WEEKLY_SUBMISSIONS, stray.key)
    assert finding.field == "product_area"


# --- per PM: merged, never replaced; late marked -----------------------------------------


def test_two_pms_for_one_area_are_merged_each_line_attributed(make_ctx: MakeCtx) -> None:
    ana = sub("billing", "ana", wins="Invoice export live", risks="Legal sign-off pending")
    ben = WeeklySubmission(
        key=f"{WEEK}-billing-ben",
        week=WEEK,
        pm="ben",
        product_area="billing",
        wins="Tax IDs on invoices",
        submitted_at=ny(2026, 12, 3, 9),  # later than Ana's: it used to replace hers
    )
    out = evaluate(make_ctx(ny(2026, 12, 3, 15), weekly_submissions=(ben, ana)), NOTHING)
    billing = page_text(out).split("## Billing — Ana Ruiz and Ben Okafor\n")[1].split("<!--")[0]
    wins = billing.split("- What's next")[0]
    assert "  - Ana Ruiz: Invoice export live\n  - Ben Okafor: Tax IDs on invoices\n" in wins
    assert "- Billing (Ana Ruiz): Legal sign-off pending" in page_text(out)
    assert not any(f.record.endswith("/billing") for f in codes(out, "weekly.submission-missing"))


def test_only_the_configured_pm_is_expected_for_an_area(make_ctx: MakeCtx) -> None:
    ben = sub("billing", "ben", wins="Tax IDs on invoices")
    subs = (ben, sub("onboarding", "ben"), sub("reporting", "chen"))
    out = evaluate(make_ctx(ny(2026, 12, 3, 15), weekly_submissions=subs), NOTHING)
    (missing,) = codes(out, "weekly.submission-missing")
    assert missing.record == ref(Collection.WEEKLY_SUBMISSIONS, f"{WEEK}/billing")
    assert "Ana Ruiz should add" in missing.message
    billing = page_text(out).split("## Billing — Ana Ruiz and Ben Okafor\n")[1].split("<!--")[0]
    assert "*No submission yet from Ana Ruiz (due Thursday, December 3 at 14:00).*" in billing
    assert "  - Ben Okafor: Tax IDs on invoices" in billing


def test_a_pm_without_an_area_is_not_dropped(make_ctx: MakeCtx) -> None:
    none = sub("", "dev", wins="Growth experiment: 2x retention", risks="Needs a data engineer")
    stray = sub("growth", "dev", key="stray", next="Checklist v2")
    out = evaluate(
        make_ctx(ny(2026, 12, 3, 15), weekly_submissions=(*ALL_IN, none, stray)), NOTHING
    )
    (page,) = out.documents
    assert [getattr(b, "key", None) for b in page.document.children][-1] == "weekly.pm.dev"
    own = render(page.document).split("## Dev Patel\n")[1]
    assert "- Wins / shipped:\n  - Growth experiment: 2x retention" in own
    assert "- What's next:\n  - Checklist v2" in own
    assert "- Dev Patel: Needs a data engineer" in page_text(out)
    # a blank area is a PM without an area; an area nobody configured is likely a typo
    (unknown,) = codes(out, "weekly.submission-unknown-area")
    assert unknown.record == ref(Collection.WEEKLY_SUBMISSIONS, "stray")
    post = next(n for n in out.notifications if n.key.endswith("/slack"))
    assert "Dev Patel: Needs a data engineer" in post.text


def test_a_late_submission_is_included_marked_and_a_finding(make_ctx: MakeCtx) -> None:
    late = sub("reporting", "chen", wins="Charts faster", submitted_at=ny(2026, 12, 3, 14, 40))
    on_the_dot = sub("billing", "ana", submitted_at=ny(2026, 12, 3, 14))
    subs = (on_the_dot, sub("onboarding", "ben"), late)
    out = evaluate(make_ctx(ny(2026, 12, 3, 15), weekly_submissions=subs), NOTHING)
    (finding,) = codes(out, "weekly.submission-late")
    assert finding.record == ref(Collection.WEEKLY_SUBMISSIONS, late.key)
    assert finding.level == Level.WARNING
    assert "Thursday, December 3, 2026 at 14:40" in finding.message
    reporting = page_text(out).split("## Reporting — Chen Li\n")[1]
    assert "*Submitted late by Chen Li: Thursday, December 3 at 14:40 (due 14:00).*" in reporting
    assert "  - Charts faster" in reporting
    assert "Submitted late" not in page_text(out).split("## Reporting")[0]


# --- when the page exists ---------------------------------------------------------------


def test_page_waits_for_a_submission_or_the_deadline(make_ctx: MakeCtx) -> None:
    monday_empty = evaluate(make_ctx(ny(2026, 11, 30, 9)), NOTHING)
    monday_one = evaluate(
        make_ctx(ny(2026, 11, 30, 9), weekly_submissions=(sub("billing", "ana"),)), NOTHING
    )
    thursday_empty = evaluate(make_ctx(ny(2026, 12, 3, 14, 30)), NOTHING)
    assert monday_empty.documents == ()
    (page,) = monday_one.documents
    assert page.key == f"weekly-update/{WEEK}"
    assert page.kind == DocumentKind.WEEKLY_UPDATE
    assert page.document.title == "Weekly Product Update — December 3, 2026"
    assert len(thursday_empty.documents) == 1


def test_page_follows_the_template_and_owns_its_regions(make_ctx: MakeCtx) -> None:
    out = evaluate(make_ctx(ny(2026, 12, 3, 15), weekly_submissions=ALL_IN), NOTHING)
    (page,) = out.documents
    keys = [getattr(block, "key", None) for block in page.document.children]
    assert keys == [
        "weekly.highlights",
        "weekly.area.billing",
        "weekly.area.onboarding",
        "weekly.area.reporting",
    ]
    text = render(page.document)
    assert "## Org-wide highlights (Product Ops)" in text
    assert "## Billing — Ana Ruiz" in text
    for label in (
        "Wins / shipped",
        "What's next",
        "Risks / asks",
        "Metrics snapshot",
        "Links (PRDs/specs/notes)",
    ):
        assert text.count(f"- {label}:") == 3


def test_page_is_the_same_all_day(make_ctx: MakeCtx) -> None:
    morning = evaluate(make_ctx(ny(2026, 12, 3, 9), weekly_submissions=ALL_IN), NOTHING)
    evening = evaluate(make_ctx(ny(2026, 12, 3, 22), weekly_submissions=ALL_IN), NOTHING)
    assert morning.documents == evening.documents


def test_rollout_limits_the_page_to_pilot_areas(make_ctx: MakeCtx) -> None:
    pilot = Settings(
        rollout=(
            RolloutPhase(
                name="pilot",
                starts_on=date(2026, 11, 1),
                areas=("billing",),
                rules=(RuleFamily.WEEKLY,),
            ),
        )
    )
    out = evaluate(make_ctx(ny(2026, 12, 3, 15), pilot), NOTHING)
    text = page_text(out)
    assert "## Billing — Ana Ruiz" in text
    assert "Onboarding" not in text
    assert [f.record for f in codes(out, "weekly.submission-missing")] == [
        ref(Collection.WEEKLY_SUBMISSIONS, f"{WEEK}/billing")
    ]


def test_nothing_when_the_family_is_off_everywhere(make_ctx: MakeCtx) -> None:
    other = Settings(
        rollout=(RolloutPhase(name="p", starts_on=date(2026, 1, 1), rules=(RuleFamily.TIERS,)),)
    )
    assert evaluate(make_ctx(ny(2026, 12, 3, 17), other), NOTHING) == RuleOutput()


# --- launches and Tier 1 auto-listing ---------------------------------------------------


def rel(key: str, tier: Tier | None, launch: date, area: str, **fields: object) -> Release:
    fields.setdefault("title", f"Release {key}")
    return Release(
        key=key,
        tier=tier,
        launch_date=launch,
        product_area=area,
        **fields,
    )


def test_tier1_launched_this_week_is_listed_under_its_area(make_ctx: MakeCtx) -> None:
    releases = (
        rel("t1", Tier.LOW, date(2026, 12, 1), "billing"),
        rel("t1-friday", Tier.LOW, date(2026, 12, 4), "billing"),
        rel("t1-slipped", Tier.LOW, date(2026, 12, 2), "billing", launched=False),
        rel("t1-last-week", Tier.LOW, date(2026, 11, 27), "billing"),
        rel("t2", Tier.MEDIUM, date(2026, 12, 2), "billing"),
    )
    ctx = make_ctx(ny(2026, 12, 3, 15), weekly_submissions=ALL_IN, releases=releases)
    out = evaluate(ctx, NOTHING)
    (page,) = out.documents
    billing = render(page.document).split("## Billing — Ana Ruiz")[1].split("## Onboarding")[0]
    wins = billing.split("- What's next")[0]
    assert "  - billing win" in wins
    assert "  - Release t1 (Tier 1, from the release tracker)" in wins
    for absent in ("t1-friday", "t1-slipped", "t1-last-week", "Release t2"):
        assert absent not in wins


def test_tier1_is_listed_even_without_a_submission(make_ctx: MakeCtx) -> None:
    releases = (rel("t1", Tier.LOW, date(2026, 12, 1), "reporting"),)
    out = evaluate(make_ctx(ny(2026, 12, 3, 15), releases=releases), NOTHING)
    reporting = page_text(out).split("## Reporting — Chen Li")[1]
    assert "No submission yet" in reporting
    assert "- Wins / shipped:\n  - Release t1 (Tier 1, from the release tracker)" in reporting


def test_launches_this_week_and_in_the_next_two_weeks(make_ctx: MakeCtx) -> None:
    releases = (
        rel("sun-before", Tier.MEDIUM, date(2026, 11, 29), "billing"),
        rel("mon", Tier.HIGH, date(2026, 11, 30), "billing", url="https://t.example/mon"),
        rel("sun", None, date(2026, 12, 6), "reporting"),
        rel("next-mon", Tier.MEDIUM, date(2026, 12, 7), "onboarding"),
        rel("horizon", Tier.LOW, date(2026, 12, 20), "onboarding"),
        rel("beyond", Tier.MEDIUM, date(2026, 12, 21), "onboarding"),
    )
    out = evaluate(make_ctx(ny(2026, 12, 3, 15), releases=releases), NOTHING)
    highlights = page_text(out).split("## Billing")[0]
    this_week, rest = highlights.split("- Upcoming launches (next 2 weeks):")
    upcoming = rest.split("- Cross-cutting")[0]
    assert "[Release mon](https://t.example/mon) — Billing · Tier 3 (High) · Monday" in this_week
    assert "Release sun — Reporting · tier not set · Sunday, December 6" in this_week
    assert "sun-before" not in highlights
    assert "Release next-mon" in upcoming
    assert "Release horizon" in upcoming
    assert "beyond" not in highlights


# --- cross-cutting risks ----------------------------------------------------------------


def test_every_risk_line_and_every_release_with_findings(make_ctx: MakeCtx) -> None:
    subs = (
        sub("billing", "ana", risks="- Legal sign-off on invoice copy\n- Need 1 more QA"),
        sub("onboarding", "ben", risks="SSO depends on Platform's SAML upgrade"),
        sub("reporting", "chen", risks=""),
    )
    releases = (
        rel("r9", Tier.HIGH, date(2026, 12, 18), "onboarding"),
        rel("r8", Tier.MEDIUM, date(2026, 12, 10), "billing"),
        rel("r7", Tier.MEDIUM, date(2026, 12, 11), "billing"),
    )
    earlier = RuleOutput(
        findings=(
            found("enablement.handoff-late", "releases/r9", "Finish the draft and hand it over."),
            found("enablement.training-missing", "releases/r9", "Hold the training now."),
            found("enablement.handoff-late", "releases/r9", "Said twice, shown once."),
            found("tiers.missing", "releases/r8", "Set a tier.", Level.INFO),
            found("decisions.review-overdue", "decisions/d1", "Not a release."),
            found("enablement.publish-late", "releases/ghost", "Unknown release."),
            found("post-launch.day3-overdue", "releases/r7", "Owner-only: run the Day 3."),
        )
    )
    out = evaluate(
        make_ctx(ny(2026, 12, 3, 15), weekly_submissions=subs, releases=releases), earlier
    )
    risks = page_text(out).split("- Cross-cutting risks/dependencies:")[1].split("<!--")[0]
    assert "  - Billing (Ana Ruiz): Legal sign-off on invoice copy\n" in risks
    assert "  - Billing (Ana Ruiz): Need 1 more QA\n" in risks
    assert "  - Onboarding (Ben Okafor): SSO depends on Platform's SAML upgrade\n" in risks
    assert (
        "  - Release r9 (Onboarding): enablement bundle behind schedule; Support/Sales "
        "training not held yet; launches Friday, December 18\n"
    ) in risks
    for absent in ("Release r8", "Release r7", "Reporting (Chen Li)", "ghost", "Not a release"):
        assert absent not in risks
    for finding in earlier.findings:  # stakeholders read facts, never a finding's message
        assert finding.message not in page_text(out)


def test_risks_are_facts_and_no_ship_decision_once_shipped(make_ctx: MakeCtx) -> None:
    releases = (
        rel("shipped", Tier.MEDIUM, date(2026, 12, 1), "billing"),
        rel("coming", Tier.MEDIUM, date(2026, 12, 8), "billing"),
    )
    earlier = RuleOutput(
        findings=tuple(
            found(code, f"releases/{key}", f"Instruction {n} to the PM.")
            for key in ("shipped", "coming")
            for n, code in enumerate(
                ("enablement.go-no-go-missing", "enablement.readiness-not-confirmed")
            )
        )
    )
    out = evaluate(make_ctx(ny(2026, 12, 3, 15), releases=releases), earlier)
    text = page_text(out)
    assert (
        "Release shipped (Billing): launched before Support/Sales confirmed readiness; "
        "launched Tuesday, December 1\n"
    ) in text
    assert (
        "Release coming (Billing): go/no-go not recorded yet; Support/Sales readiness not "
        "confirmed yet; launches Tuesday, December 8\n"
    ) in text
    post = next(n for n in out.notifications if n.key.endswith("/slack")).text
    assert "Release shipped: launched before Support/Sales confirmed readiness" in post
    assert "go/no-go" not in text.split("Release shipped")[1].split("\n")[0]
    assert "Instruction" not in text and "Instruction" not in post


def test_submission_lines_lose_list_markers_and_keep_links() -> None:
    assert lines("- one\n* two\n\n3. three\n• four\n  plain ") == [
        "one",
        "two",
        "three",
        "four",
        "plain",
    ]
    parts = linked("PRD: https://docs.example/a-b, see notes")
    assert [getattr(p, "url", p) for p in parts] == [
        "PRD: ",
        "https://docs.example/a-b",
        ", see notes",
    ]


# --- publication, exactly once ----------------------------------------------------------


def notification_keys(ctx: RuleContext) -> list[str]:
    return sorted(n.key for n in evaluate(ctx, NOTHING).notifications)


def test_publication_keys_are_stable_across_runs_in_the_same_week(make_ctx: MakeCtx) -> None:
    partial = ALL_IN[:2]
    thursday = notification_keys(make_ctx(ny(2026, 12, 3, 14, 30), weekly_submissions=partial))
    friday = notification_keys(make_ctx(ny(2026, 12, 4, 10), weekly_submissions=partial))
    assert thursday == friday == [f"weekly-update/{WEEK}/email", f"weekly-update/{WEEK}/slack"]


def test_publication_channels_and_text(make_ctx: MakeCtx) -> None:
    settings = Settings(weekly=WeeklySettings(slack_channel="#updates", email_channel="email:all"))
    ctx = make_ctx(ny(2026, 12, 3, 14, 30), settings, weekly_submissions=ALL_IN[:2])
    by_key = {n.key: n for n in evaluate(ctx, NOTHING).notifications}
    slack = by_key[f"weekly-update/{WEEK}/slack"]
    email = by_key[f"weekly-update/{WEEK}/email"]
    assert (slack.channel, email.channel) == ("#updates", "email:all")
    assert "Weekly Product Update — December 3, 2026" in slack.text
    assert "No submission this week from Reporting (Chen Li)." in slack.text
    assert email.title == slack.title == "Weekly Product Update — December 3, 2026"
    assert slack.document == email.document and slack.document is not None
    # both link to the page they announce, and read as facts: no finding's instruction
    assert slack.announces == email.announces == f"weekly-update/{WEEK}"
    assert "should" not in slack.text and "Publish" not in slack.text


def test_no_publication_before_it_is_due(make_ctx: MakeCtx) -> None:
    partial = ALL_IN[:2]
    assert notification_keys(make_ctx(ny(2026, 12, 3, 13), weekly_submissions=partial)) == []
    # All in early in the week: still wait for the update day.
    assert notification_keys(make_ctx(ny(2026, 12, 2, 17), weekly_submissions=ALL_IN)) == []
    # All in on the update day: publish without waiting for 14:00.
    assert len(notification_keys(make_ctx(ny(2026, 12, 3, 9), weekly_submissions=ALL_IN))) == 2


def test_next_week_gets_its_own_keys(make_ctx: MakeCtx) -> None:
    keys = notification_keys(make_ctx(ny(2026, 12, 10, 15)))
    assert keys == ["weekly-update/2026-W50/email", "weekly-update/2026-W50/slack"]


# --- lateness of the aggregate ----------------------------------------------------------


def published(at: datetime | None, week: str = WEEK) -> WeeklyUpdate:
    return WeeklyUpdate(key=f"wu-{week}", week=week, published_at=at)


def test_update_late_when_not_published_by_16_00(make_ctx: MakeCtx) -> None:
    before = evaluate(make_ctx(ny(2026, 12, 3, 15, 59)), NOTHING)
    late = evaluate(make_ctx(ny(2026, 12, 3, 16, 1)), NOTHING)
    assert codes(before, "weekly.update-late") == []
    # this run publishes it, late: said as the next run will read it, not "publish it now"
    (finding,) = codes(late, "weekly.update-late")
    assert finding.record == ref(Collection.WEEKLY_UPDATES, WEEK)
    assert finding.level == Level.WARNING and finding.due is None
    assert "published late, on Thursday, December 3, 2026 at 16:01" in finding.message
    logged = make_ctx(ny(2026, 12, 3, 16, 1), weekly_updates=(published(None),))
    (unpublished,) = codes(evaluate(logged, NOTHING), "weekly.update-late")
    assert unpublished.level == Level.ERROR and unpublished.due == date(2026, 12, 3)
    assert "has not been published" in unpublished.message


def test_update_on_time_or_late_by_published_at(make_ctx: MakeCtx) -> None:
    now = ny(2026, 12, 4, 9)
    on_time = evaluate(make_ctx(now, weekly_updates=(published(ny(2026, 12, 3, 15, 50)),)), NOTHING)
    other_week = evaluate(
        make_ctx(now, weekly_updates=(published(ny(2026, 11, 26, 15), "2026-W48"),)), NOTHING
    )
    unpublished = evaluate(make_ctx(now, weekly_updates=(published(None),)), NOTHING)
    late = evaluate(make_ctx(now, weekly_updates=(published(ny(2026, 12, 3, 17, 5)),)), NOTHING)
    assert codes(on_time, "weekly.update-late") == []
    assert len(codes(other_week, "weekly.update-late")) == 1
    assert codes(unpublished, "weekly.update-late")[0].record == ref(
        Collection.WEEKLY_UPDATES, f"wu-{WEEK}"
    )
    (finding,) = codes(late, "weekly.update-late")
    assert finding.level == Level.WARNING
    assert "published late, on Thursday, December 3, 2026 at 17:05" in finding.message


# --- reminders --------------------------------------------------------------------------


def test_reminder_once_per_pm_inside_the_window(make_ctx: MakeCtx) -> None:
    settings = Settings(weekly=WeeklySettings(reminder_hours_before=2))
    subs = (sub("billing", "ana"),)

    def reminders(now: datetime) -> list[str]:
        out = evaluate(make_ctx(now, settings, weekly_submissions=subs), NOTHING)
        return sorted(n.key for n in out.notifications if n.key.startswith("weekly-reminder/"))

    assert reminders(ny(2026, 12, 3, 11, 59)) == []
    expected = [f"weekly-reminder/{WEEK}/ben", f"weekly-reminder/{WEEK}/chen"]
    assert reminders(ny(2026, 12, 3, 12)) == expected
    assert reminders(ny(2026, 12, 3, 13, 30)) == expected
    assert reminders(ny(2026, 12, 3, 14)) == []


def test_no_reminders_unless_configured(make_ctx: MakeCtx) -> None:
    out = evaluate(make_ctx(ny(2026, 12, 3, 13)), NOTHING)
    assert out.notifications == ()


# --- golden -----------------------------------------------------------------------------


def golden_context(make_ctx: MakeCtx) -> tuple[RuleContext, RuleOutput]:
    releases = (
        Release(
            key="r1",
            title="Invoice export",
            tier=Tier.HIGH,
            launch_date=date(2026, 12, 1),
            product_area="billing",
            url="https://tracker.example/r1",
        ),
        rel("r2", Tier.LOW, date(2026, 12, 2), "billing", title="Fix rounding in invoice totals"),
        rel("r3", Tier.LOW, date(2026, 12, 3), "onboarding", title="Signup copy fixes"),
        rel("r7", Tier.LOW, date(2026, 12, 4), "reporting", title="Chart tooltip fix"),
        rel("r4", Tier.MEDIUM, date(2026, 12, 10), "reporting", title="Scheduled reports"),
        rel("r5", Tier.HIGH, date(2026, 12, 18), "onboarding", title="Single sign-on"),
        rel("r6", Tier.MEDIUM, date(2026, 12, 28), "billing", title="Usage alerts"),
    )
    subs = (
        sub(
            "billing",
            "ana",
            wins="- Invoice export is live for all plans\n- Dunning emails rewritten",
            next="Usage alerts beta",
            risks="Need Legal sign-off on new invoice wording by Dec 10",
            metrics="Failed payments down 12% week over week",
            links="PRD: https://docs.example/usage-alerts",
        ),
        sub(
            "onboarding",
            "ben",
            wins="Guided setup v2 at 50% rollout",
            next="SSO enablement bundle review",
            risks="SSO depends on Platform's SAML library upgrade",
            metrics="Activation 41% (+3 pts)",
            links="",
            submitted_at=ny(2026, 12, 3, 13),
        ),
        sub(  # a second PM for Onboarding, after the deadline: merged, attributed, marked late
            "onboarding",
            "chen",
            key=f"{WEEK}-onboarding-chen",
            wins="Welcome checklist shipped to 10% of trials",
            next="",
            submitted_at=ny(2026, 12, 3, 14, 20),
        ),
    )
    earlier = RuleOutput(
        findings=(
            Finding(
                code="enablement.handoff-late",
                record=ref(Collection.RELEASES, "r5"),
                message="Single sign-on: the enablement bundle is not handed to Product Ops yet.",
            ),
        )
    )
    ctx = make_ctx(ny(2026, 12, 3, 15), releases=releases, weekly_submissions=subs)
    return ctx, earlier


def test_golden_weekly_update(make_ctx: MakeCtx) -> None:
    ctx, earlier = golden_context(make_ctx)
    (page,) = evaluate(ctx, earlier).documents
    assert_golden("weekly-update.md", render(page.document))


def assert_golden(name: str, rendered: str) -> None:
    path = GOLDEN / name
    if os.environ.get("OPSYNC_UPDATE_GOLDEN") == "1":
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


# --- reading the page: caps and dates ----------------------------------------------------


def test_long_lists_are_capped_with_a_line_to_the_full_view(
    make_ctx: MakeCtx, calendar: BusinessCalendar, org: Snapshot
) -> None:
    many = tuple(rel(f"r{n:02d}", Tier.LOW, date(2026, 12, 1), "billing") for n in range(30))
    settings = Settings(output=OutputSettings(list_limit=5))
    view = "https://wiki.example/roadmap-view"
    ctx = RuleContext(
        snapshot=org.model_copy(update={"weekly_submissions": ALL_IN, "releases": many}),
        now=ny(2026, 12, 3, 15),
        calendar=calendar,
        settings=settings,
        links={"roadmap-view/2026-11-24": view},
    )
    out = evaluate(ctx, NOTHING)
    text = page_text(out)
    launches = text.split("- Key launches this week:")[1].split("- Upcoming")[0]
    assert launches.count("Tier 1 (Low)") == 5
    assert f"*and 25 more — see *[the Stakeholder Roadmap View]({view})" in launches
    wins = text.split("## Billing — Ana Ruiz")[1].split("- What's next")[0]
    assert wins.count("(Tier 1, from the release tracker)") == 5
    assert "*and 25 more — see *the release tracker" in wins
    (slack, _) = [n for n in out.notifications if n.document is not None]
    assert slack.text.count("Tier 1 (Low)") == 5
    assert "and 25 more — see the full update" in slack.text


def test_dates_follow_the_configured_style(make_ctx: MakeCtx) -> None:
    late = sub("billing", "ana", submitted_at=ny(2026, 12, 3, 14, 20))
    releases = (rel("mon", Tier.HIGH, date(2026, 11, 30), "billing"),)
    short = Settings(output=OutputSettings(date_style=DateStyle.SHORT))
    text = page_text(
        evaluate(
            make_ctx(ny(2026, 12, 3, 15), short, weekly_submissions=(late,), releases=releases),
            NOTHING,
        )
    )
    assert text.startswith("# Weekly Product Update — Dec 3, 2026\n")
    assert "Tier 3 (High) · Mon, Nov 30" in text
    assert "Submitted late by Ana Ruiz: Thu, Dec 3 at 14:20 (due 14:00)." in text
    assert "December" not in text
