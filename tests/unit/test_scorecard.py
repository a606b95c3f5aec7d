"""R8 scorecard: five metrics, each a count over a count; "no data" is never "met" and the
targets' boundaries hold exactly (10% is not < 10%, 70% is not > 70%)."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

from conftest import MakeCtx, ny
from opsync.documents.markdown import render
from opsync.documents.model import Region, StatusChip, Table, Tone
from opsync.domain import (
    Bundle,
    BundleState,
    GoNoGo,
    Level,
    PingAudit,
    PulseAnswer,
    Readiness,
    Release,
    RitualKind,
    RitualOccurrence,
    ScorecardWeek,
    SurveyAnswer,
    Tier,
    WeeklyUpdate,
)
from opsync.rules import scorecard
from opsync.rules.output import DocumentKind, RuleOutput
from opsync.rules.scorecard import Metric, Status, percent, quarter_of
from opsync.settings import RolloutPhase, Settings

GOLDEN = Path(__file__).parent.parent / "golden"
NOW = ny(2026, 12, 3, 15)  # Thursday 3 Dec 2026, 15:00 New York: quarter 2026-Q4


def run(make_ctx: MakeCtx, now: datetime = NOW, **records: object) -> RuleOutput:
    return scorecard.evaluate(make_ctx(now, **records), RuleOutput())


def metric(make_ctx: MakeCtx, key: str, now: datetime = NOW, **records: object) -> Metric:
    ctx = make_ctx(now, **records)
    found = {
        "stakeholder_surprise": scorecard.stakeholder_surprise,
        "status_pings": scorecard.status_pings,
        "enablement_coverage": scorecard.enablement_coverage,
        "pm_satisfaction": scorecard.pm_satisfaction,
    }
    if key == "ritual_adoption":
        return scorecard.ritual_adoption(ctx, [])
    return found[key](ctx)


def answers(surprised: int, total: int) -> tuple[SurveyAnswer, ...]:
    return tuple(
        SurveyAnswer(
            key=f"s{i}",
            release_key=f"r{i % 3}",
            respondent=f"p{i}",
            aware_before_ship=i >= surprised,
        )
        for i in range(total)
    )


def pulses(agree: int, total: int) -> tuple[PulseAnswer, ...]:
    return tuple(
        PulseAnswer(key=f"p{i}", respondent=f"pm{i}", agree=i < agree) for i in range(total)
    )


def release(key: str, tier: Tier | None, launch: date | None, **extra: object) -> Release:
    return Release(key=key, title=f"Release {key}", tier=tier, launch_date=launch, **extra)


def signed(on: date, decision: GoNoGo = GoNoGo.GO) -> Readiness:
    """A go/no-go sign-off: the PM's decision with the day it was recorded."""
    return Readiness(go_no_go=decision, go_no_go_on=on)


def published(on: date) -> Bundle:
    return Bundle(state=BundleState.PUBLISHED, published_on=on)


# 1) stakeholder surprise ---------------------------------------------------------------


def test_surprise_exactly_ten_percent_is_not_met(make_ctx: MakeCtx) -> None:
    at = metric(make_ctx, "stakeholder_surprise", survey_answers=answers(1, 10))
    assert (at.numerator, at.denominator, at.status) == (1, 10, Status.NOT_MET)
    below = metric(make_ctx, "stakeholder_surprise", survey_answers=answers(9, 100))
    assert below.status is Status.MET


def test_surprise_counts_answers_not_aware(make_ctx: MakeCtx) -> None:
    m = metric(make_ctx, "stakeholder_surprise", survey_answers=answers(2, 25))
    assert (m.numerator, m.denominator, m.status) == (2, 25, Status.MET)
    assert m.current_text == "8%"
    assert m.basis == "2 of 25 survey answers not aware before ship (2 releases)"
    boundary = metric(make_ctx, "stakeholder_surprise", survey_answers=answers(3, 30))
    assert boundary.status is Status.NOT_MET
    assert boundary.current_text == "10%"


def test_surprise_without_answers_is_no_data(make_ctx: MakeCtx) -> None:
    m = metric(make_ctx, "stakeholder_surprise")
    assert m.value is None
    assert m.status is Status.NO_DATA
    assert m.current_text == "—"
    assert m.basis == "No survey answers yet"


# 2) status pings ------------------------------------------------------------------------


def audit(
    key: str, day: date, count: int, *, baseline: bool = False, channel: str = ""
) -> PingAudit:
    return PingAudit(key=key, period_start=day, count=count, baseline=baseline, channel=channel)


def test_pings_halved_meets_the_target_exactly(make_ctx: MakeCtx) -> None:
    audits = (
        audit("b1", date(2026, 9, 7), 30, baseline=True, channel="#sales"),
        audit("b2", date(2026, 9, 7), 10, baseline=True, channel="#support"),
        audit("w5", date(2026, 10, 12), 35),
        audit("w10", date(2026, 11, 16), 12, channel="#sales"),
        audit("w10b", date(2026, 11, 16), 8, channel="#support"),
    )
    m = metric(make_ctx, "status_pings", ping_audits=audits)
    assert (m.numerator, m.denominator) == (20, 40)
    assert m.status is Status.MET  # 50% fewer, target >= 50%
    assert m.current_text == "50% fewer"
    assert m.basis == "20 pings (2026-11-16) vs 40 at baseline (2026-09-07)"


def test_pings_short_of_half_or_rising_is_not_met(make_ctx: MakeCtx) -> None:
    base = audit("b", date(2026, 9, 7), 40, baseline=True)
    short = metric(make_ctx, "status_pings", ping_audits=(base, audit("l", date(2026, 11, 2), 21)))
    assert short.status is Status.NOT_MET
    assert short.current_text == "47.5% fewer"
    rising = metric(make_ctx, "status_pings", ping_audits=(base, audit("l", date(2026, 11, 2), 50)))
    assert rising.status is Status.NOT_MET
    assert rising.current_text == "25% more"


def test_pings_without_baseline_or_follow_up_is_no_data(make_ctx: MakeCtx) -> None:
    assert metric(make_ctx, "status_pings").status is Status.NO_DATA
    only_base = (audit("b", date(2026, 9, 7), 40, baseline=True),)
    m = metric(make_ctx, "status_pings", ping_audits=only_base)
    assert m.status is Status.NO_DATA
    assert m.basis == "Baseline 40 pings (2026-09-07); no audit since"
    zero = (audit("b", date(2026, 9, 7), 0, baseline=True), audit("l", date(2026, 11, 2), 3))
    assert metric(make_ctx, "status_pings", ping_audits=zero).status is Status.NO_DATA
    future = (audit("b", date(2026, 9, 7), 40, baseline=True), audit("l", date(2027, 1, 4), 1))
    assert metric(make_ctx, "status_pings", ping_audits=future).status is Status.NO_DATA


# 3) enablement coverage -----------------------------------------------------------------


def test_coverage_counts_launched_tier23_with_bundle_published_before_launch(
    make_ctx: MakeCtx,
) -> None:
    releases = (
        release("ok", Tier.MEDIUM, date(2026, 11, 19), bundle=published(date(2026, 11, 16))),
        release("same-day", Tier.HIGH, date(2026, 11, 24), bundle=published(date(2026, 11, 24))),
        release("none", Tier.HIGH, date(2026, 12, 1)),
        release("today", Tier.MEDIUM, date(2026, 12, 3), bundle=published(date(2026, 12, 1))),
        release("future", Tier.HIGH, date(2026, 12, 10)),
        release("tier1", Tier.LOW, date(2026, 11, 10)),
        release("untiered", None, date(2026, 11, 10)),
        release("called-off", Tier.HIGH, date(2026, 11, 20), launched=False),
        release("undated", Tier.HIGH, None, launched=True),
    )
    m = metric(make_ctx, "enablement_coverage", releases=releases)
    assert (m.numerator, m.denominator) == (2, 4)
    assert m.status is Status.NOT_MET
    # beside coverage, the steps on time: "ok" 2 of 5 (its handoff has no date, nothing
    # shows it late), "same-day" 1 of 7, "none" 0 of 7, "today" 2 of 5
    assert m.basis == "2 of 4 launched Tier 2/3 releases; 5 of 24 enablement steps on time"
    assert m.gaps == ("Release same-day (2026-11-24)", "Release none (2026-12-01)")
    assert m.target_text == "100%"


def test_coverage_all_covered_is_met_and_none_launched_is_no_data(make_ctx: MakeCtx) -> None:
    full = (release("ok", Tier.MEDIUM, date(2026, 11, 19), bundle=published(date(2026, 11, 2))),)
    assert metric(make_ctx, "enablement_coverage", releases=full).status is Status.MET
    future = (release("f", Tier.HIGH, date(2026, 12, 10)),)
    empty = metric(make_ctx, "enablement_coverage", releases=future)
    assert (empty.denominator, empty.status) == (0, Status.NO_DATA)
    assert empty.basis == "No Tier 2/3 release has launched yet"


# 4) PM satisfaction ---------------------------------------------------------------------


def test_satisfaction_exactly_seventy_percent_is_not_met(make_ctx: MakeCtx) -> None:
    at = metric(make_ctx, "pm_satisfaction", pulse_answers=pulses(7, 10))
    assert (at.current_text, at.status) == ("70%", Status.NOT_MET)
    above = metric(make_ctx, "pm_satisfaction", pulse_answers=pulses(6, 8))
    assert (above.current_text, above.status) == ("75%", Status.MET)
    assert above.basis == "6 of 8 pulse answers agree"
    none = metric(make_ctx, "pm_satisfaction")
    assert (none.status, none.basis) == (Status.NO_DATA, "No pulse answers yet")


# 5) ritual adoption ---------------------------------------------------------------------


def weekly(week: str, at: datetime | None) -> WeeklyUpdate:
    return WeeklyUpdate(key=f"wu-{week}", week=week, published_at=at)


def ritual(
    key: str, kind: RitualKind, held: date, at: datetime | None, **extra: object
) -> RitualOccurrence:
    return RitualOccurrence(key=key, kind=kind, held_on=held, artifact_published_at=at, **extra)


ADOPTION = {
    "weekly_updates": (
        weekly("2026-W45", ny(2026, 11, 5, 15, 30)),  # on time
        # 2026-W46: no record at all -> missed
        weekly("2026-W47", ny(2026, 11, 19, 16)),  # exactly 16:00: on time
        weekly("2026-W48", ny(2026, 11, 27, 9)),  # Thanksgiving week, a day late
        weekly("2026-W49", None),  # due today 16:00: not due yet on its own day
    ),
    "rituals": (
        ritual("rr1", RitualKind.ROADMAP_REVIEW, date(2026, 11, 10), ny(2026, 11, 12, 9)),
        ritual("rr2", RitualKind.ROADMAP_REVIEW, date(2026, 11, 24), ny(2026, 11, 25, 10, 45)),
        ritual("rr3", RitualKind.ROADMAP_REVIEW, date(2026, 12, 2), None),  # due tomorrow
        ritual("ir1", RitualKind.INSIGHTS_REVIEW, date(2026, 12, 1), None),  # due Dec 2
        ritual("rc1", RitualKind.READINESS_CHECK, date(2026, 11, 20), ny(2026, 11, 20, 12)),
        ritual(
            "rc2",
            RitualKind.READINESS_CHECK,
            date(2026, 11, 17),
            None,
            release_key="a",  # a Tier 2 release: its go/no-go counts instead
        ),
    ),
    "releases": (
        release(
            "a",
            Tier.MEDIUM,
            date(2026, 11, 19),
            readiness=Readiness(go_no_go=GoNoGo.GO, go_no_go_on=date(2026, 11, 17)),
        ),
        release("b", Tier.HIGH, date(2026, 11, 30)),  # no go/no-go recorded -> missed
        release("c", Tier.HIGH, date(2026, 12, 10)),  # launch ahead: not due
    ),
}


def test_adoption_counts_every_artifact_kind(make_ctx: MakeCtx) -> None:
    m = metric(make_ctx, "ritual_adoption", **ADOPTION)
    assert (m.numerator, m.denominator) == (5, 10)
    assert m.status is Status.NOT_MET
    assert m.basis == (
        "5 of 10 artifacts on time: weekly updates 2/4, roadmap views 1/2, digests 0/1, "
        "readiness sign-offs 2/3"
    )
    assert m.gaps == (
        "weekly update 2026-W46",
        "weekly update 2026-W48",
        "roadmap review of 2026-11-10",
        "insights review of 2026-12-01",
        "readiness sign-off for Release b",
    )


def test_adoption_is_decided_by_the_day_not_the_hour(make_ctx: MakeCtx) -> None:
    morning = run(make_ctx, ny(2026, 12, 3, 8), **ADOPTION)
    evening = run(make_ctx, ny(2026, 12, 3, 22), **ADOPTION)
    assert morning == evening
    friday = metric(make_ctx, "ritual_adoption", ny(2026, 12, 4, 8), **ADOPTION)
    assert "weekly update 2026-W49" in friday.gaps


def test_adoption_boundary_and_no_data(make_ctx: MakeCtx) -> None:
    updates = tuple(weekly(f"2026-W{w}", ny(2026, 11, 5, 12)) for w in (45, 46, 47, 48))
    late = weekly("2026-W44", ny(2026, 11, 2, 9))
    m = metric(make_ctx, "ritual_adoption", ny(2026, 11, 27, 9), weekly_updates=(late, *updates))
    # W44 late; W45 on time; W46-W48 published on 5 Nov, early: 4 of 5 = 80%, not > 80%
    assert (m.numerator, m.denominator, m.status) == (4, 5, Status.NOT_MET)
    empty = metric(make_ctx, "ritual_adoption")
    assert (empty.denominator, empty.status, empty.basis) == (
        0,
        Status.NO_DATA,
        "No artifact due yet",
    )


def test_times_without_a_zone_are_read_as_org_local(make_ctx: MakeCtx) -> None:
    records = {
        "weekly_updates": (weekly("2026-W48", datetime(2026, 11, 26, 16)),),
        "rituals": (
            ritual("r", RitualKind.INSIGHTS_REVIEW, date(2026, 11, 3), datetime(2026, 11, 5, 9)),
        ),
    }
    m = metric(make_ctx, "ritual_adoption", ny(2026, 11, 27, 9), **records)
    assert (m.numerator, m.denominator) == (1, 2)
    assert m.gaps == ("insights review of 2026-11-03",)


def test_unreadable_week_is_a_finding_not_a_crash(make_ctx: MakeCtx) -> None:
    out = run(make_ctx, weekly_updates=(weekly("week 49", None), weekly("2026-W54", None)))
    bad = [f for f in out.findings if f.code == "scorecard.week-unreadable"]
    assert [f.record for f in bad] == ["weekly_updates/wu-2026-W54", "weekly_updates/wu-week 49"]
    assert all(f.field == "week" and "2026-W49" in f.message for f in bad)


# the page and its findings --------------------------------------------------------------


def golden_records() -> dict[str, object]:
    return {
        "survey_answers": answers(2, 25),
        "ping_audits": (
            audit("base", date(2026, 9, 7), 40, baseline=True),
            audit("w10", date(2026, 11, 16), 26),
        ),
        "releases": (
            release(
                "r1",
                Tier.MEDIUM,
                date(2026, 10, 15),
                bundle=published(date(2026, 10, 13)),
                readiness=Readiness(go_no_go_on=date(2026, 10, 14)),
            ),
            release(
                "r2",
                Tier.HIGH,
                date(2026, 11, 5),
                bundle=published(date(2026, 10, 30)),
                readiness=Readiness(go_no_go_on=date(2026, 11, 3)),
            ),
            release(
                "r3",
                Tier.MEDIUM,
                date(2026, 11, 19),
                bundle=published(date(2026, 11, 16)),
                readiness=Readiness(go_no_go_on=date(2026, 11, 18)),
            ),
            release(
                "r4",
                Tier.HIGH,
                date(2026, 12, 1),
                readiness=Readiness(go_no_go_on=date(2026, 11, 30)),
            ),
        ),
        "weekly_updates": tuple(
            weekly(f"2026-W{w}", ny(2026, 11, 5, 15)) for w in (45, 46, 47, 48)
        ),
        "rituals": (
            ritual("rr1", RitualKind.ROADMAP_REVIEW, date(2026, 11, 10), ny(2026, 11, 11, 9)),
            ritual("ir1", RitualKind.INSIGHTS_REVIEW, date(2026, 11, 3), ny(2026, 11, 5, 9)),
        ),
        "scorecard_history": (
            ScorecardWeek(key="2026-W39", week_start=date(2026, 9, 21), ritual_adoption=60.0),
            ScorecardWeek(
                key="2026-W47",
                week_start=date(2026, 11, 16),
                stakeholder_surprise=12.5,
                status_pings=20.0,
                enablement_coverage=66.7,
                ritual_adoption=87.5,
            ),
            ScorecardWeek(
                key="2026-W48",
                week_start=date(2026, 11, 23),
                stakeholder_surprise=12.0,
                status_pings=35.0,
                enablement_coverage=66.7,
                ritual_adoption=90.0,
            ),
        ),
    }


def test_scorecard_document_and_findings(make_ctx: MakeCtx) -> None:
    out = run(make_ctx, **golden_records())
    (doc,) = out.documents
    assert (doc.key, doc.kind, doc.record) == (
        "scorecard/2026-Q4",
        DocumentKind.SCORECARD,
        "scorecards/2026-Q4",
    )
    owned = [c for c in doc.document.children if isinstance(c, Region)]
    assert [r.key for r in owned] == ["scorecard", "scorecard-trend", "scorecard-method"]
    grid = next(c for c in owned[0].children if isinstance(c, Table))
    assert grid.header == ("Metric", "Target", "Current", "Status", "Basis")
    chips = {row[0][0].text: row[3][0] for row in grid.rows}  # type: ignore[union-attr]
    assert all(isinstance(c, StatusChip) for c in chips.values())
    tones = {name: chip.tone for name, chip in chips.items()}  # type: ignore[union-attr]
    assert tones == {
        "Stakeholder surprise": Tone.GREEN,
        "Status pings": Tone.RED,
        "Enablement coverage": Tone.RED,
        "PM satisfaction": Tone.NEUTRAL,
        "Ritual adoption": Tone.GREEN,
    }
    missed = {f.field: f for f in out.findings if f.code == "scorecard.target-missed"}
    assert set(missed) == {"status_pings", "enablement_coverage"}
    assert all(f.level is Level.INFO and f.record == "scorecards/2026-Q4" for f in missed.values())
    assert "Release r4 (2026-12-01)" in missed["enablement_coverage"].message
    assert "Weekly Product Update" in missed["status_pings"].message


def test_golden_scorecard(make_ctx: MakeCtx) -> None:
    (doc,) = run(make_ctx, **golden_records()).documents
    rendered = render(doc.document)
    path = GOLDEN / "scorecard.md"
    if os.environ.get("OPSYNC_UPDATE_GOLDEN") == "1":
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


def test_only_metrics_of_enabled_families_are_shown(make_ctx: MakeCtx) -> None:
    phase = RolloutPhase(name="cadence only", starts_on=date(2026, 10, 1), rules=("cadence",))
    out = run(make_ctx, **golden_records(), settings=Settings(rollout=(phase,)))
    (doc,) = out.documents
    grid = next(c for c in doc.document.children[0].children if isinstance(c, Table))  # type: ignore[union-attr]
    assert [row[0][0].text for row in grid.rows] == ["PM satisfaction", "Ritual adoption"]  # type: ignore[union-attr]
    off = RolloutPhase(name="weekly only", starts_on=date(2026, 10, 1), rules=("weekly",))
    assert run(make_ctx, **golden_records(), settings=Settings(rollout=(off,))) == RuleOutput()


def test_quarter_follows_configured_quarter_starts(make_ctx: MakeCtx) -> None:
    fiscal = Settings.model_validate({"cadence": {"quarter_start_months": [2, 5, 8, 11]}})
    (doc,) = scorecard.evaluate(make_ctx(ny(2027, 1, 15, 9), fiscal), RuleOutput()).documents
    assert doc.key == "scorecard/2026-Q4"
    assert doc.document.title == "Product Ops Scorecard — 2026 Q4"


def test_percent_formatting() -> None:
    from fractions import Fraction

    assert percent(Fraction(1, 3)) == "33.3%"
    assert percent(Fraction(2, 3)) == "66.7%"
    assert percent(Fraction(1, 1)) == "100%"
    assert percent(Fraction(0, 5)) == "0%"


def test_quarter_of_honours_configured_starts() -> None:
    assert quarter_of(date(2026, 12, 3), (1, 4, 7, 10)).label == "2026-Q4"
    assert quarter_of(date(2027, 1, 1), (1, 4, 7, 10)).label == "2027-Q1"
    fiscal = (2, 5, 8, 11)
    assert quarter_of(date(2027, 1, 31), fiscal) == (2026, 4, date(2026, 11, 1))
    assert quarter_of(date(2027, 2, 1), fiscal) == (2027, 1, date(2027, 2, 1))


def test_a_signoff_after_the_last_business_day_before_launch_is_late(make_ctx: MakeCtx) -> None:
    monday = date(2026, 12, 7)  # readiness due by L - 1 BD: Friday, December 4
    releases = (
        release("sun", Tier.MEDIUM, monday, readiness=signed(date(2026, 12, 6))),
        release("fri", Tier.MEDIUM, monday, readiness=signed(date(2026, 12, 4))),
    )
    m = metric(make_ctx, "ritual_adoption", ny(2026, 12, 8, 9), releases=releases)
    assert "readiness sign-off for Release sun" in m.gaps
    assert "readiness sign-off for Release fri" not in m.gaps


def test_a_readiness_signoff_counts_once_its_launch_comes_and_a_missing_one_is_missed(
    make_ctx: MakeCtx,
) -> None:
    thursday = date(2026, 12, 10)  # readiness due Wednesday, December 9
    releases = (
        release("ship", Tier.HIGH, thursday, readiness=signed(date(2026, 12, 9))),
        release("hold", Tier.MEDIUM, thursday, readiness=signed(date(2026, 12, 8), GoNoGo.HOLD)),
        release("none", Tier.MEDIUM, thursday),
        release("t1", Tier.LOW, thursday),  # Tier 1 has no readiness check
    )
    before = metric(make_ctx, "ritual_adoption", ny(2026, 12, 9, 17), releases=releases)
    assert before.basis == "2 of 2 artifacts on time: readiness sign-offs 2/2"
    launch_day = metric(make_ctx, "ritual_adoption", ny(2026, 12, 10, 9), releases=releases)
    assert (launch_day.numerator, launch_day.denominator) == (2, 3)
    assert launch_day.gaps == ("readiness sign-off for Release none",)
