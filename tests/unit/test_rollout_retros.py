"""Rollout retro pages (pack section 7, Iteration Loop; RULES.md R10): a page per retro,
published a few business days before it, carrying the pack's prompts and the success
measures of the phase it closes, each counted over that phase only."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import pytest

from conftest import MakeCtx, ny
from opsync.documents.markdown import render
from opsync.documents.model import Region, Table
from opsync.domain import (
    Bundle,
    BundleState,
    Decision,
    Insight,
    InsightAction,
    PingAudit,
    PostLaunch,
    PulseAnswer,
    Release,
    RitualKind,
    RitualOccurrence,
    Severity,
    SurveyAnswer,
    Tier,
    WeeklySubmission,
    WeeklyUpdate,
)
from opsync.rules import retro_measures, rollout_retros
from opsync.rules.context import RuleContext
from opsync.rules.output import DocumentKind, RuleOutput
from opsync.rules.period import Period
from opsync.rules.retro_measures import PHASES, Measure
from opsync.rules.scorecard import Status
from opsync.settings import RetroSettings, RolloutPhase, Settings

GOLDEN = Path(__file__).parent.parent / "golden"
START = date(2026, 10, 1)  # Thursday: Day 1
ALL = Settings(rollout=(RolloutPhase(name="org-wide", starts_on=START),))
# Without the roadmap, decisions and insights families: their measures have nothing to count.
FEW = Settings(
    rollout=(
        RolloutPhase(
            name="pilot",
            starts_on=START,
            rules=("weekly", "enablement", "cadence", "post_launch", "tiers"),
        ),
    )
)
P1 = PHASES["week-4"].period(START)
P2 = PHASES["week-8"].period(START)
P3 = PHASES["week-12"].period(START)
WEEK4 = ny(2026, 10, 28, 9)  # the Week 4 retro's day
WEEK8 = ny(2026, 11, 25, 9)
WEEK12 = ny(2026, 12, 29, 9)


def ctx_at(
    make_ctx: MakeCtx, now: datetime, settings: Settings = ALL, **records: object
) -> RuleContext:
    return make_ctx(now, settings=settings, **records)


def pages(
    make_ctx: MakeCtx, now: datetime, settings: Settings = ALL, **records: object
) -> list[str]:
    out = rollout_retros.evaluate(ctx_at(make_ctx, now, settings, **records), RuleOutput())
    assert all(d.kind is DocumentKind.ROLLOUT_RETRO for d in out.documents)
    return [d.key for d in out.documents]


def release(key: str, launch: date, bundle_on: date | None = None, **extra: object) -> Release:
    bundle = Bundle(state=BundleState.PUBLISHED, published_on=bundle_on) if bundle_on else Bundle()
    return Release(
        key=key,
        title=f"Release {key}",
        tier=Tier.MEDIUM,
        launch_date=launch,
        product_area="billing",
        bundle=bundle,
        **extra,
    )


def update(week: str, published: datetime) -> WeeklyUpdate:
    return WeeklyUpdate(key=week, week=week, published_at=published)


def sub(week: str, area: str, pm: str, at: datetime) -> WeeklySubmission:
    return WeeklySubmission(
        key=f"{week}-{area}", week=week, pm=pm, product_area=area, wins="x", submitted_at=at
    )


# --- when: phases and publication -------------------------------------------------------


def test_each_retro_closes_its_thirty_day_phase_counted_from_day_one() -> None:
    periods = {key: phase.period(START) for key, phase in PHASES.items()}
    assert periods == {
        "week-4": Period(date(2026, 10, 1), date(2026, 10, 30)),
        "week-8": Period(date(2026, 10, 31), date(2026, 11, 29)),
        "week-12": Period(date(2026, 11, 30), date(2026, 12, 29)),
    }
    assert [p.name for p in PHASES.values()] == [
        "Foundation + quick win",
        "Cadence + insights",
        "Full system + measure",
    ]


def test_a_page_appears_two_business_days_before_its_retro_and_is_kept_through_the_day(
    make_ctx: MakeCtx,
) -> None:
    # Week 12 is held Tuesday 29 Dec: two business days back skip Christmas and the weekend.
    assert pages(make_ctx, ny(2026, 12, 23, 18)) == []
    assert pages(make_ctx, ny(2026, 12, 24, 9)) == ["rollout-retro/week-12"]
    assert pages(make_ctx, ny(2026, 12, 29, 17)) == ["rollout-retro/week-12"]
    assert pages(make_ctx, ny(2026, 12, 30, 9)) == []
    assert pages(make_ctx, ny(2026, 10, 26, 9)) == ["rollout-retro/week-4"]
    assert pages(make_ctx, ny(2026, 11, 23, 9)) == ["rollout-retro/week-8"]


def test_the_publication_lead_is_configurable(make_ctx: MakeCtx) -> None:
    same_day = ALL.model_copy(update={"retros": RetroSettings(page_days_before=0)})
    assert pages(make_ctx, ny(2026, 10, 27, 9), same_day) == []
    assert pages(make_ctx, ny(2026, 10, 28, 9), same_day) == ["rollout-retro/week-4"]
    early = ALL.model_copy(update={"retros": RetroSettings(page_days_before=5)})
    assert pages(make_ctx, ny(2026, 10, 21, 9), early) == ["rollout-retro/week-4"]


def test_an_organisation_without_rollout_phases_gets_no_retro_pages(make_ctx: MakeCtx) -> None:
    for now in (WEEK4, WEEK8, WEEK12):
        assert pages(make_ctx, now, Settings()) == []


def test_each_page_has_the_packs_prompts_outside_regions_and_measures_inside(
    make_ctx: MakeCtx,
) -> None:
    out = rollout_retros.evaluate(ctx_at(make_ctx, WEEK8), RuleOutput())
    (page,) = out.documents
    regions = [b for b in page.document.children if isinstance(b, Region)]
    assert [r.key for r in regions] == ["rollout-retro.header", "rollout-retro.measures"]
    markdown = render(page.document)
    assert "Audience: the cross-functional partners (Sales, CS, Support, Eng leads)." in markdown
    outside = render(page.document.model_copy(update={"children": page.document.children[2:]}))
    for prompt in (
        "Are surprises decreasing?",
        "What's still missing?",
        "Decisions + action items",
    ):
        assert f"## {prompt}" in outside
    assert "Expand enablement org-wide" not in markdown  # the Week 4 retro's decision
    (table,) = [b for b in regions[1].children if isinstance(b, Table)]
    assert len(table.rows) == 5  # the 31-60 row of the plan: five measures


# --- Days 1-30 ------------------------------------------------------------------------


def test_weekly_update_on_time_counts_every_week_of_the_phase(make_ctx: MakeCtx) -> None:
    on_time = tuple(
        update(f"2026-W{w}", ny(2026, 10, day, 15))
        for w, day in ((40, 1), (41, 8), (42, 15), (43, 22))
    )
    met = retro_measures.weekly_on_time(ctx_at(make_ctx, WEEK4, weekly_updates=on_time), P1)
    assert (met.value, met.status) == ("4 of 4 weeks", Status.MET)
    # W41 never published, W42 published after 16:00: both count against the phase.
    gaps = (on_time[0], update("2026-W42", ny(2026, 10, 15, 16, 30)), on_time[3])
    missed = retro_measures.weekly_on_time(ctx_at(make_ctx, WEEK4, weekly_updates=gaps), P1)
    assert (missed.value, missed.status) == ("2 of 4 weeks", Status.NOT_MET)
    assert "weekly update 2026-W41, weekly update 2026-W42" in missed.basis
    # On Day 1 before the first Thursday has passed, no week is due yet.
    early = retro_measures.weekly_on_time(ctx_at(make_ctx, ny(2026, 10, 1, 9)), P1)
    assert early.status is Status.NO_DATA


def test_weekly_update_before_the_phase_does_not_count(make_ctx: MakeCtx) -> None:
    late_before = update("2026-W39", ny(2026, 9, 25, 9))
    found = retro_measures.weekly_on_time(
        ctx_at(make_ctx, ny(2026, 10, 2, 9), weekly_updates=(late_before,)), P1
    )
    assert found.value == "0 of 1 week"  # W40 only: W39's Thursday is before Day 1


def test_pilot_bundle_needs_one_release_launched_in_the_phase_with_its_bundle_first(
    make_ctx: MakeCtx,
) -> None:
    covered = release("B-1", date(2026, 10, 13), bundle_on=date(2026, 10, 8))
    late = release("B-2", date(2026, 10, 20), bundle_on=date(2026, 10, 20))
    later_phase = release("B-3", date(2026, 11, 10), bundle_on=date(2026, 11, 2))
    met = retro_measures.pilot_bundle(ctx_at(make_ctx, WEEK4, releases=(covered, late)), P1)
    assert (met.value, met.status) == ("1 release", Status.MET)
    missed = retro_measures.pilot_bundle(ctx_at(make_ctx, WEEK4, releases=(late,)), P1)
    assert (missed.value, missed.status) == ("0 releases", Status.NOT_MET)
    assert "Release B-2" in missed.basis
    none = retro_measures.pilot_bundle(
        ctx_at(make_ctx, ny(2026, 11, 12, 9), releases=(later_phase,)), P1
    )
    assert none.status is Status.NO_DATA


def test_pilot_bundle_counts_only_areas_where_enablement_is_on(make_ctx: MakeCtx) -> None:
    pilot = Settings(rollout=(RolloutPhase(name="pilot", starts_on=START, areas=("onboarding",)),))
    billing = release("B-1", date(2026, 10, 13), bundle_on=date(2026, 10, 8))
    found = retro_measures.pilot_bundle(ctx_at(make_ctx, WEEK4, pilot, releases=(billing,)), P1)
    assert found.status is Status.NO_DATA


def test_baseline_survey_is_sent_once_an_answer_given_in_the_phase_is_recorded(
    make_ctx: MakeCtx,
) -> None:
    launched = release("B-1", date(2026, 10, 13), bundle_on=date(2026, 10, 8))

    def answer(on: date) -> SurveyAnswer:
        return SurveyAnswer(
            key=f"a-{on}", release_key="B-1", respondent="s", aware_before_ship=True, answered_on=on
        )

    met = retro_measures.baseline_survey(
        ctx_at(make_ctx, WEEK4, releases=(launched,), survey_answers=(answer(date(2026, 10, 15)),)),
        P1,
    )
    assert (met.value, met.status) == ("1 answer", Status.MET)
    outside = (answer(date(2026, 11, 2)),)  # answered after the phase: not this phase's
    missed = retro_measures.baseline_survey(
        ctx_at(make_ctx, ny(2026, 11, 3, 9), releases=(launched,), survey_answers=outside), P1
    )
    assert missed.status is Status.NOT_MET
    none = retro_measures.baseline_survey(ctx_at(make_ctx, WEEK4), P1)
    assert none.status is Status.NO_DATA


def test_all_pms_contributing_counts_each_areas_pm_each_week(make_ctx: MakeCtx) -> None:
    week = (
        sub("2026-W42", "billing", "ana", ny(2026, 10, 15, 15)),  # late still contributed
        sub("2026-W42", "onboarding", "ben", ny(2026, 10, 14, 9)),
        sub("2026-W42", "reporting", "chen", ny(2026, 10, 14, 9)),
    )
    met = retro_measures.pm_contributions(ctx_at(make_ctx, WEEK4, weekly_submissions=week), P1)
    assert (met.value, met.status) == ("3 of 3", Status.MET)
    missed = retro_measures.pm_contributions(
        ctx_at(make_ctx, WEEK4, weekly_submissions=week[:2]), P1
    )
    assert (missed.value, missed.status) == ("2 of 3", Status.NOT_MET)
    assert "2026-W42 Reporting (Chen Li)" in missed.basis
    none = retro_measures.pm_contributions(ctx_at(make_ctx, WEEK4), P1)
    assert none.status is Status.NO_DATA


# --- Days 31-60 -----------------------------------------------------------------------


def ping(key: str, on: date, count: int, baseline: bool = False) -> PingAudit:
    return PingAudit(key=key, period_start=on, count=count, baseline=baseline)


def measure(measures: tuple[Measure, ...], name: str) -> Measure:
    (found,) = [m for m in measures if m.name == name]
    return found


def test_status_pings_compare_the_phases_latest_audit_with_the_baseline(
    make_ctx: MakeCtx,
) -> None:
    def pings(*audits: PingAudit) -> Measure:
        ctx = ctx_at(make_ctx, WEEK8, ping_audits=audits)
        return measure(retro_measures.cadence_and_insights(ctx, P2), "Ad-hoc status pings reduced")

    base = ping("base", date(2026, 10, 5), 40, baseline=True)
    met = pings(base, ping("w7", date(2026, 11, 9), 20))
    assert (met.value, met.status) == ("50% fewer", Status.MET)
    missed = pings(base, ping("w7", date(2026, 11, 9), 30))
    assert missed.status is Status.NOT_MET
    # An audit before the phase is the last phase's, one after it the next's.
    assert pings(base, ping("w3", date(2026, 10, 19), 10)).status is Status.NO_DATA
    assert pings(base).status is Status.NO_DATA


def test_coverage_counts_only_releases_launched_in_the_phase(make_ctx: MakeCtx) -> None:
    first = release("B-1", date(2026, 10, 13))  # no bundle, but the last phase's
    covered = release("B-2", date(2026, 11, 10), bundle_on=date(2026, 11, 3))
    uncovered = release("B-3", date(2026, 11, 17))

    def coverage(*releases: Release) -> Measure:
        ctx = ctx_at(make_ctx, WEEK8, releases=releases)
        name = "All Tier 2/3 releases have enablement bundles"
        return measure(retro_measures.cadence_and_insights(ctx, P2), name)

    assert coverage(first, covered).status is Status.MET
    assert coverage(first, covered, uncovered).value == "50%"
    assert coverage(first).status is Status.NO_DATA


def review(on: date, published: datetime | None) -> RitualOccurrence:
    return RitualOccurrence(
        key=f"rr-{on}", kind=RitualKind.ROADMAP_REVIEW, held_on=on, artifact_published_at=published
    )


def test_roadmap_review_runs_when_held_with_its_view_on_time(make_ctx: MakeCtx) -> None:
    on_time = review(date(2026, 11, 3), ny(2026, 11, 3, 15))
    late = review(date(2026, 11, 17), ny(2026, 11, 20, 9))
    met = retro_measures.roadmap_review_running(ctx_at(make_ctx, WEEK8, rituals=(on_time,)), P2)
    assert (met.value, met.status) == ("1 of 1", Status.MET)
    missed = retro_measures.roadmap_review_running(
        ctx_at(make_ctx, WEEK8, rituals=(on_time, late)), P2
    )
    assert (missed.value, missed.status) == ("1 of 2", Status.NOT_MET)
    never = retro_measures.roadmap_review_running(ctx_at(make_ctx, WEEK8), P2)
    assert (never.value, never.status) == ("none", Status.NOT_MET)
    off = retro_measures.roadmap_review_running(ctx_at(make_ctx, WEEK8, FEW), P2)
    assert off.status is Status.NO_DATA


def insight(key: str, on: date, *, tagged: bool) -> Insight:
    tags: dict[str, object] = {}
    if tagged:
        tags = {
            "theme": "exports",
            "segment": "smb",
            "severity": Severity.LOW,
            "evidence_type": "ticket",
        }
    return Insight(key=key, summary=key, received_on=on, product_area="billing", **tags)


def test_insights_triage_counts_items_received_in_the_phase(make_ctx: MakeCtx) -> None:
    earlier = insight("I-0", date(2026, 10, 20), tagged=False)  # Days 1-30: not counted
    tagged = insight("I-1", date(2026, 11, 5), tagged=True)
    untagged = insight("I-2", date(2026, 11, 6), tagged=False)
    met = retro_measures.insights_triaged(ctx_at(make_ctx, WEEK8, insights=(earlier, tagged)), P2)
    assert (met.value, met.status) == ("1 of 1", Status.MET)
    missed = retro_measures.insights_triaged(
        ctx_at(make_ctx, WEEK8, insights=(tagged, untagged)), P2
    )
    assert missed.status is Status.NOT_MET and "I-2" in missed.basis
    off = retro_measures.insights_triaged(ctx_at(make_ctx, WEEK8, FEW, insights=(tagged,)), P2)
    assert off.status is Status.NO_DATA


def test_decision_log_in_use_needs_complete_entries_logged_in_the_phase(
    make_ctx: MakeCtx,
) -> None:
    complete = Decision(
        key="D-1",
        decided_on=date(2026, 11, 4),
        decision="Ship CSV first",
        context="c",
        options="o",
        rationale="r",
        owner="ana",
        review_date=date(2027, 1, 4),
    )
    bare = Decision(key="D-2", decided_on=date(2026, 11, 5), decision="Drop PDF")
    met = retro_measures.decision_log_in_use(ctx_at(make_ctx, WEEK8, decisions=(complete,)), P2)
    assert met.status is Status.MET
    missed = retro_measures.decision_log_in_use(
        ctx_at(make_ctx, WEEK8, decisions=(complete, bare)), P2
    )
    assert (missed.value, missed.status) == ("1 of 2", Status.NOT_MET)
    off = retro_measures.decision_log_in_use(ctx_at(make_ctx, WEEK8, FEW), P2)
    assert off.status is Status.NO_DATA


# --- Days 61-90 -----------------------------------------------------------------------


def full(make_ctx: MakeCtx, name: str, settings: Settings = ALL, **records: object) -> Measure:
    return measure(
        retro_measures.full_system(ctx_at(make_ctx, WEEK12, settings, **records), P3), name
    )


def test_surprise_counts_answers_given_in_the_phase(make_ctx: MakeCtx) -> None:
    launched = release("B-1", date(2026, 12, 1), bundle_on=date(2026, 11, 25))

    def answers(*pairs: tuple[date, bool]) -> tuple[SurveyAnswer, ...]:
        return tuple(
            SurveyAnswer(
                key=f"a{i}",
                release_key="B-1",
                respondent="s",
                aware_before_ship=aware,
                answered_on=on,
            )
            for i, (on, aware) in enumerate(pairs)
        )

    before = (date(2026, 11, 2), False)  # a surprise of the last phase
    met = full(
        make_ctx,
        "Stakeholder surprise score",
        releases=(launched,),
        survey_answers=answers(before, *[(date(2026, 12, 3), True)] * 10),
    )
    assert (met.value, met.status) == ("0%", Status.MET)
    missed = full(
        make_ctx,
        "Stakeholder surprise score",
        releases=(launched,),
        survey_answers=answers((date(2026, 12, 3), False), (date(2026, 12, 3), True)),
    )
    assert missed.status is Status.NOT_MET
    none = full(
        make_ctx, "Stakeholder surprise score", releases=(launched,), survey_answers=answers(before)
    )
    assert none.status is Status.NO_DATA


def test_pm_satisfaction_counts_pulse_answers_dated_in_the_phase(make_ctx: MakeCtx) -> None:
    def pulse(i: int, agree: bool, on: date | None) -> PulseAnswer:
        return PulseAnswer(key=f"p{i}", respondent=f"pm{i}", agree=agree, answered_on=on)

    dec = date(2026, 12, 2)
    met = full(
        make_ctx,
        "PM satisfaction",
        pulse_answers=(pulse(0, True, dec), pulse(1, True, dec), pulse(2, False, None)),
    )
    assert (met.value, met.status) == ("100%", Status.MET)
    missed = full(
        make_ctx, "PM satisfaction", pulse_answers=(pulse(0, True, dec), pulse(1, False, dec))
    )
    assert missed.status is Status.NOT_MET
    none = full(make_ctx, "PM satisfaction", pulse_answers=(pulse(0, True, date(2026, 11, 2)),))
    assert none.status is Status.NO_DATA


def test_insights_review_must_produce_owned_actions(make_ctx: MakeCtx) -> None:
    name = "Insights review producing owned action items"
    held = RitualOccurrence(key="ir-12", kind=RitualKind.INSIGHTS_REVIEW, held_on=date(2026, 12, 8))
    owned = InsightAction(key="A-1", action="Fix export", owner="ana", review="2026-12")
    unowned = InsightAction(key="A-2", action="Look at SSO", review="2026-12")
    november = InsightAction(key="A-0", action="Old", owner="ben", review="2026-11")
    met = full(make_ctx, name, rituals=(held,), insight_actions=(owned, november))
    assert (met.value, met.status) == ("1 of 1", Status.MET)
    missed = full(make_ctx, name, rituals=(held,), insight_actions=(owned, unowned))
    assert missed.status is Status.NOT_MET and "A-2" in missed.basis
    no_actions = full(make_ctx, name, rituals=(held,))
    assert no_actions.status is Status.NOT_MET
    assert full(make_ctx, name, FEW, rituals=(held,)).status is Status.NO_DATA


def test_post_launch_capture_counts_captures_due_in_the_phase(make_ctx: MakeCtx) -> None:
    name = "Post-launch capture running for all Tier 2/3"
    # Launched Tuesday 1 Dec: Day 3 due Fri 4 Dec, Day 14 due Tue 15 Dec.
    done = PostLaunch(day3_done_on=date(2026, 12, 4), day14_done_on=date(2026, 12, 15))
    captured = release("B-1", date(2026, 12, 1), bundle_on=date(2026, 11, 25), post_launch=done)
    met = full(make_ctx, name, releases=(captured,))
    assert (met.value, met.status) == ("2 of 2", Status.MET)
    skipped = release("B-2", date(2026, 12, 1), bundle_on=date(2026, 11, 25))
    missed = full(make_ctx, name, releases=(captured, skipped))
    assert (missed.value, missed.status) == ("2 of 4", Status.NOT_MET)
    assert "Release B-2 Day 3" in missed.basis
    # Launched 28 Dec: Day 3 is due after the retro.
    recent = release("B-3", date(2026, 12, 28), bundle_on=date(2026, 12, 21))
    assert full(make_ctx, name, releases=(recent,)).status is Status.NO_DATA


def test_enablement_coverage_of_the_last_phase(make_ctx: MakeCtx) -> None:
    name = "Enablement coverage for Tier 2/3"
    covered = release("B-1", date(2026, 12, 1), bundle_on=date(2026, 11, 25))
    uncovered = release("B-2", date(2026, 12, 8))
    assert full(make_ctx, name, releases=(covered,)).status is Status.MET
    assert full(make_ctx, name, releases=(covered, uncovered)).status is Status.NOT_MET
    assert full(make_ctx, name).status is Status.NO_DATA


# --- goldens --------------------------------------------------------------------------


def assert_golden(name: str, rendered: str) -> None:
    path = GOLDEN / name
    if os.environ.get("OPSYNC_UPDATE_GOLDEN") == "1":
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


def golden_records() -> dict[str, object]:
    releases = (
        release("B-1", date(2026, 10, 13), bundle_on=date(2026, 10, 8)),
        release("B-2", date(2026, 10, 20)),
        release(
            "B-3",
            date(2026, 12, 1),
            bundle_on=date(2026, 11, 25),
            post_launch=PostLaunch(day3_done_on=date(2026, 12, 4)),
        ),
    )
    return {
        "releases": releases,
        "weekly_updates": tuple(
            update(f"2026-W{w}", ny(2026, 10, day, 15, 30))
            for w, day in ((40, 1), (41, 8), (42, 16), (43, 22))
        ),
        "weekly_submissions": (
            sub("2026-W43", "billing", "ana", ny(2026, 10, 21, 10)),
            sub("2026-W43", "onboarding", "ben", ny(2026, 10, 22, 13)),
        ),
        "survey_answers": (
            SurveyAnswer(
                key="s1",
                release_key="B-1",
                respondent="sam",
                aware_before_ship=True,
                answered_on=date(2026, 10, 15),
            ),
            SurveyAnswer(
                key="s2",
                release_key="B-3",
                respondent="sam",
                aware_before_ship=False,
                answered_on=date(2026, 12, 3),
            ),
        ),
        "pulse_answers": tuple(
            PulseAnswer(
                key=f"p{i}", respondent=pm, agree=pm != "chen", answered_on=date(2026, 12, 2)
            )
            for i, pm in enumerate(("ana", "ben", "chen"))
        ),
        "rituals": (
            RitualOccurrence(
                key="ir-12",
                kind=RitualKind.INSIGHTS_REVIEW,
                held_on=date(2026, 12, 8),
                artifact_published_at=ny(2026, 12, 9, 10),
            ),
        ),
        "insight_actions": (
            InsightAction(key="A-1", action="Fix export", owner="ana", review="2026-12"),
        ),
    }


@pytest.mark.parametrize(("key", "now"), [("week-4", WEEK4), ("week-12", WEEK12)])
def test_golden_retro_pages(make_ctx: MakeCtx, key: str, now: datetime) -> None:
    out = rollout_retros.evaluate(ctx_at(make_ctx, now, **golden_records()), RuleOutput())
    (page,) = out.documents
    assert page.key == f"rollout-retro/{key}"
    assert_golden(f"rollout-retro-{key}.md", render(page.document))
