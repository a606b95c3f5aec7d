"""R6 insights pipeline: triage, routing to the area's PM, dispositions and escalation."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from conftest import MakeCtx, ny
from opsync.calendar import BusinessCalendar
from opsync.domain import Disposition, Insight, InsightSource, Severity
from opsync.rules.insights import evaluate, held_on, monthly_review, review_after
from opsync.rules.output import RuleOutput
from opsync.settings import InsightSettings, RolloutPhase, RuleFamily, Settings

TODAY = ny(2026, 11, 20, 10)


def tagged(key: str = "ins-1", /, **changes: object) -> Insight:
    base = Insight(
        key=key,
        summary="Invoices fail to export for large accounts",
        source=InsightSource.SUPPORT,
        received_on=date(2026, 11, 10),
        theme="reliability",
        segment="enterprise",
        severity=Severity.MEDIUM,
        evidence_type="ticket volume",
        product_area="billing",
    )
    return base.model_copy(update=changes)


def run(
    make_ctx: MakeCtx,
    *insights: Insight,
    now: datetime = TODAY,
    settings: Settings | None = None,
) -> RuleOutput:
    ctx = make_ctx(now, settings=settings, insights=insights)
    return evaluate(ctx, RuleOutput())


def codes(out: RuleOutput) -> list[str]:
    return [f.code for f in out.findings]


def test_tagged_insight_is_routed_to_the_area_pm(make_ctx: MakeCtx) -> None:
    out = run(make_ctx, tagged(product_area="onboarding"))
    assert out.findings == ()
    assert out.derived["insights/ins-1"] == {
        "triage_status": "routed",
        "routed_to": "ben",
        "routed_on": date(2026, 11, 10),
        "escalated": False,
    }


def test_routed_on_is_empty_without_a_received_date(make_ctx: MakeCtx) -> None:
    out = run(make_ctx, tagged(received_on=None))
    assert out.derived["insights/ins-1"]["routed_to"] == "ana"
    assert out.derived["insights/ins-1"]["routed_on"] is None


def test_untagged_insight_needs_triage_and_is_not_routed(make_ctx: MakeCtx) -> None:
    out = run(make_ctx, tagged(theme=None, severity=None, evidence_type="  "))
    (finding,) = out.findings
    assert finding.code == "insights.needs-triage"
    assert finding.field is None
    assert "theme, severity, evidence type" in finding.message
    assert "Invoices fail to export" in finding.message
    assert out.derived["insights/ins-1"] == {
        "triage_status": "needs triage",
        "routed_to": None,
        "routed_on": None,
        "escalated": False,
    }


def test_one_missing_tag_names_its_field(make_ctx: MakeCtx) -> None:
    out = run(make_ctx, tagged(segment=""))
    (finding,) = out.findings
    assert (finding.code, finding.field) == ("insights.needs-triage", "segment")


def test_area_without_owner_is_a_finding_and_unrouted(make_ctx: MakeCtx) -> None:
    out = run(make_ctx, tagged(product_area="payments"))
    assert codes(out) == ["insights.area-unknown"]
    assert "“payments”" in out.findings[0].message
    assert out.derived["insights/ins-1"]["triage_status"] == "unrouted"
    assert out.derived["insights/ins-1"]["routed_to"] is None


def test_decided_insight(make_ctx: MakeCtx) -> None:
    out = run(make_ctx, tagged(disposition=Disposition.BACKLOG))
    assert out.findings == ()
    assert out.derived["insights/ins-1"]["triage_status"] == "decided"


def test_wont_do_requires_a_rationale(make_ctx: MakeCtx) -> None:
    out = run(
        make_ctx,
        tagged("ins-1", disposition=Disposition.WONT_DO, disposition_rationale=" "),
        tagged("ins-2", disposition=Disposition.WONT_DO, disposition_rationale="Out of scope"),
    )
    (finding,) = out.findings
    assert (finding.code, finding.record, finding.field) == (
        "insights.wont-do-without-rationale",
        "insights/ins-1",
        "disposition_rationale",
    )
    assert "Ana Ruiz" in finding.message


@pytest.mark.parametrize(
    ("weekday", "week", "expected"),
    [(2, 1, date(2026, 12, 1)), (4, 2, date(2026, 12, 10)), (1, 4, date(2026, 12, 28))],
)
def test_monthly_review_is_nth_weekday(weekday: int, week: int, expected: date) -> None:
    settings = InsightSettings(review_weekday=weekday, review_week_of_month=week)
    assert monthly_review(2026, 12, settings) == expected


def test_review_after_is_strictly_after(calendar: BusinessCalendar) -> None:
    settings = InsightSettings()
    assert review_after(date(2026, 11, 2), settings, calendar) == date(2026, 11, 3)
    assert review_after(date(2026, 11, 3), settings, calendar) == date(2026, 12, 1)
    assert review_after(date(2026, 12, 15), settings, calendar) == date(2027, 1, 5)


def test_review_on_a_holiday_is_held_the_next_business_day(calendar: BusinessCalendar) -> None:
    first_monday = InsightSettings(review_weekday=1, review_week_of_month=1)
    labor_day = monthly_review(2026, 9, first_monday)
    assert labor_day == date(2026, 9, 7)
    assert held_on(labor_day, calendar) == date(2026, 9, 8)
    # an item received on Labor Day still waits for the review held the day after
    assert review_after(date(2026, 9, 7), first_monday, calendar) == date(2026, 9, 7)
    assert review_after(date(2026, 9, 8), first_monday, calendar) == date(2026, 10, 5)


@pytest.mark.parametrize(("day", "escalated"), [(7, False), (8, True)])
def test_escalation_waits_for_the_day_a_moved_review_is_held(
    make_ctx: MakeCtx, day: int, escalated: bool
) -> None:
    settings = Settings(insights=InsightSettings(review_weekday=1, review_week_of_month=1))
    item = tagged(severity=Severity.HIGH, received_on=date(2026, 8, 20))
    out = run(make_ctx, item, now=ny(2026, 9, day, 9), settings=settings)
    assert out.derived["insights/ins-1"]["escalated"] is escalated


@pytest.mark.parametrize(
    ("received", "now", "escalated"),
    [
        (date(2026, 11, 10), ny(2026, 11, 30, 23), False),
        (date(2026, 11, 10), ny(2026, 12, 1, 0), True),  # review day: undecided → escalated
        (date(2026, 11, 3), ny(2026, 11, 20, 9), False),  # received on a review day waits a cycle
        (date(2026, 11, 3), ny(2026, 12, 1, 9), True),
    ],
)
def test_high_item_escalates_at_next_monthly_review(
    make_ctx: MakeCtx, received: date, now: datetime, escalated: bool
) -> None:
    out = run(make_ctx, tagged(severity=Severity.HIGH, received_on=received), now=now)
    assert out.derived["insights/ins-1"]["escalated"] is escalated
    assert ("insights.escalated" in codes(out)) is escalated


@pytest.mark.parametrize(
    ("received", "now", "escalated"),
    [
        # received the day before the 2026-12-01 review: not escalated at it, but at January's
        (date(2026, 11, 30), ny(2026, 12, 1, 9), False),
        (date(2026, 11, 30), ny(2027, 1, 5, 9), True),
        # 7 days old on the review day is old enough; 6 is not
        (date(2026, 11, 24), ny(2026, 12, 1, 9), True),
        (date(2026, 11, 25), ny(2026, 12, 1, 9), False),
    ],
)
def test_a_high_item_escalates_only_once_old_enough_at_the_review(
    make_ctx: MakeCtx, received: date, now: datetime, escalated: bool
) -> None:
    out = run(make_ctx, tagged(severity=Severity.HIGH, received_on=received), now=now)
    assert out.derived["insights/ins-1"]["escalated"] is escalated


def test_the_minimum_age_is_configurable(make_ctx: MakeCtx) -> None:
    settings = Settings(insights=InsightSettings(escalate_min_age_days=0))
    item = tagged(severity=Severity.HIGH, received_on=date(2026, 11, 30))
    out = run(make_ctx, item, now=ny(2026, 12, 1, 9), settings=settings)
    assert out.derived["insights/ins-1"]["escalated"] is True


def test_a_tag_outside_the_vocabulary_is_a_finding(make_ctx: MakeCtx) -> None:
    settings = Settings(
        insights=InsightSettings(
            themes={"Reliability": "Reliability", "UX-friction": "UX friction"},
            segments={"enterprise": "Enterprise"},
        )
    )
    known = tagged("ins-1", theme="ux friction", segment="Enterprise")
    typo = tagged("ins-2", theme="relability", segment="enterprise")
    out = run(make_ctx, known, typo, settings=settings)
    unknown = [(f.record, f.field) for f in out.findings if f.code == "insights.tag-unknown"]
    assert unknown == [("insights/ins-2", "theme")]
    assert out.derived["insights/ins-2"]["triage_status"] == "routed"


def test_no_vocabulary_means_no_tag_is_unknown(make_ctx: MakeCtx) -> None:
    out = run(make_ctx, tagged(theme="anything at all"))
    assert "insights.tag-unknown" not in codes(out)


def test_escalation_message_says_what_to_do(make_ctx: MakeCtx) -> None:
    out = run(make_ctx, tagged(severity=Severity.HIGH), now=ny(2026, 12, 2, 9))
    (finding,) = out.findings
    assert finding.field == "disposition"
    assert "by the Monthly Insights Review on 2026-12-01" in finding.message
    assert "at least 7 days after it was received on 2026-11-10" in finding.message
    assert "Ana Ruiz should record" in finding.message


@pytest.mark.parametrize(("day", "escalated"), [(26, False), (27, True)])
def test_high_item_escalates_after_configured_days(
    make_ctx: MakeCtx, day: int, escalated: bool
) -> None:
    settings = Settings(insights=InsightSettings(escalate_after_days=7))
    item = tagged(severity=Severity.HIGH, received_on=date(2026, 11, 20))
    out = run(make_ctx, item, now=ny(2026, 11, day, 9), settings=settings)
    assert out.derived["insights/ins-1"]["escalated"] is escalated


@pytest.mark.parametrize(
    "changes",
    [
        {"severity": Severity.MEDIUM},
        {"severity": Severity.HIGH, "disposition": Disposition.NEEDS_RESEARCH},
        {"severity": Severity.HIGH, "received_on": None},
    ],
)
def test_not_escalated(make_ctx: MakeCtx, changes: dict[str, object]) -> None:
    out = run(make_ctx, tagged(**changes), now=ny(2027, 2, 1, 9))
    assert out.derived["insights/ins-1"]["escalated"] is False
    assert "insights.escalated" not in codes(out)


def test_untagged_high_item_still_escalates(make_ctx: MakeCtx) -> None:
    out = run(make_ctx, tagged(severity=Severity.HIGH, theme=None), now=ny(2026, 12, 1, 9))
    assert codes(out) == ["insights.needs-triage", "insights.escalated"]


def test_rollout_skips_insights_of_areas_not_enabled(make_ctx: MakeCtx) -> None:
    pilot = Settings(
        rollout=(
            RolloutPhase(
                name="pilot",
                starts_on=date(2026, 11, 1),
                areas=("billing",),
                rules=(RuleFamily.INSIGHTS,),
            ),
        )
    )
    out = run(
        make_ctx,
        tagged("ins-1", segment=None),
        tagged("ins-2", segment=None, product_area="reporting"),
        tagged("ins-3", segment=None, product_area=None),
        settings=pilot,
    )
    assert [f.record for f in out.findings] == ["insights/ins-1"]
    assert set(out.derived) == {"insights/ins-1"}
