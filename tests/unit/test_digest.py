"""R6 Monthly Insights Digest: window, ranking, evidence, owners, cross-area and escalations."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import pytest

from conftest import MakeCtx, ny
from opsync.documents.markdown import render
from opsync.documents.model import Heading, Paragraph, Region, Table, Text
from opsync.domain import Disposition, Insight, InsightAction, InsightSource, Severity
from opsync.rules.digest import evaluate
from opsync.rules.output import DocumentKind, GeneratedDocument, RuleOutput
from opsync.settings import InsightSettings, RolloutPhase, RuleFamily, Settings

GOLDEN = Path(__file__).parent.parent / "golden"
TODAY = ny(2026, 11, 25, 10)  # next Monthly Insights Review: Tuesday 2026-12-01


def ins(key: str, theme: str | None, area: str | None = "billing", **changes: object) -> Insight:
    base = Insight(
        key=key,
        summary=f"Feedback {key}",
        source=InsightSource.SUPPORT,
        received_on=date(2026, 11, 10),
        theme=theme,
        segment="SMB",
        severity=Severity.MEDIUM,
        evidence_type="quote",
        product_area=area,
    )
    return base.model_copy(update=changes)


def run(
    make_ctx: MakeCtx,
    *insights: Insight,
    now: datetime = TODAY,
    settings: Settings | None = None,
    actions: tuple[InsightAction, ...] = (),
) -> GeneratedDocument | None:
    ctx = make_ctx(now, settings=settings, insights=insights, insight_actions=actions)
    out = evaluate(ctx, RuleOutput())
    assert len(out.documents) <= 1
    return out.documents[0] if out.documents else None


def markdown(make_ctx: MakeCtx, *insights: Insight, **kwargs: object) -> str:
    doc = run(make_ctx, *insights, **kwargs)  # type: ignore[arg-type]
    assert doc is not None
    return render(doc.document)


def theme_headings(doc: GeneratedDocument) -> list[str]:
    region = doc.document.children[1]
    assert isinstance(region, Region)
    return [b.text for b in region.children if isinstance(b, Heading) and b.level == 3]


def test_digest_is_keyed_by_the_month_of_the_upcoming_review(make_ctx: MakeCtx) -> None:
    doc = run(make_ctx, ins("i1", "pricing"))
    assert doc is not None
    assert doc.key == "insights-digest/2026-12"
    assert doc.kind is DocumentKind.INSIGHTS_DIGEST
    assert doc.document.title == "Monthly Insights Digest — December 2026"


@pytest.mark.parametrize(
    ("now", "key"),
    [
        (ny(2026, 12, 1, 23), "insights-digest/2026-12"),
        (ny(2026, 12, 2, 0), "insights-digest/2027-01"),
    ],
)
def test_review_day_keeps_its_digest_until_the_day_ends(
    make_ctx: MakeCtx, now: datetime, key: str
) -> None:
    doc = run(make_ctx, ins("i1", "pricing"), now=now)
    assert doc is not None and doc.key == key


def test_review_moved_off_a_holiday_keeps_its_month_and_window(make_ctx: MakeCtx) -> None:
    settings = Settings(insights=InsightSettings(review_weekday=1, review_week_of_month=1))
    doc = run(
        make_ctx,
        ins("labor-day", "pricing", received_on=date(2026, 9, 7)),
        ins("august", "speed", received_on=date(2026, 8, 3)),
        now=ny(2026, 9, 7, 12),  # Labor Day: the review is held on Tuesday 2026-09-08
        settings=settings,
    )
    assert doc is not None
    assert doc.key == "insights-digest/2026-09"
    text = render(doc.document)
    assert "Review on Tuesday, September 8. Covers insights received from Monday, August 3" in text
    assert theme_headings(doc) == ["1. Pricing", "2. Speed"]


def test_window_runs_from_previous_review_to_the_day_before(make_ctx: MakeCtx) -> None:
    doc = run(
        make_ctx,
        ins("before", "old", received_on=date(2026, 11, 2)),
        ins("first-day", "kept-a", received_on=date(2026, 11, 3)),
        ins("last-day", "kept-b", received_on=date(2026, 11, 30)),
        ins("review-day", "next-month", received_on=date(2026, 12, 1)),
        ins("undated", "unknown", received_on=None),
    )
    assert doc is not None
    assert theme_headings(doc) == ["1. Kept a", "2. Kept b"]


def test_untagged_items_are_counted_apart(make_ctx: MakeCtx) -> None:
    text = markdown(make_ctx, ins("i1", "pricing"), ins("i2", None), ins("i3", "x", segment=""))
    assert "1 tagged insight in 1 theme. 2 more insights still need triage" in text


def test_top_five_cut_with_ties_broken_by_severity_then_name(make_ctx: MakeCtx) -> None:
    items = [
        ins("a1", "alpha"),
        ins("z1", "zeta"),
        ins("z2", "zeta"),  # volume 2 ranks first
        ins("e1", "echo", severity=Severity.HIGH),  # same volume, more severe than the rest
        ins("b1", "bravo"),
        ins("c1", "Charlie"),  # grouped case-insensitively; spelling tie → first in order
        ins("c2", "charlie", received_on=date(2026, 11, 4)),
        ins("d1", "delta"),
        ins("f1", "foxtrot", severity=Severity.LOW),
    ]
    doc = run(make_ctx, *items)
    assert doc is not None
    assert theme_headings(doc) == ["1. Charlie", "2. Zeta", "3. Echo", "4. Alpha", "5. Bravo"]
    text = render(doc.document)
    assert "Other themes this month: Delta (1), Foxtrot (1)." in text


def test_top_themes_setting_changes_the_cut(make_ctx: MakeCtx) -> None:
    settings = Settings(insights=InsightSettings(top_themes=1))
    doc = run(make_ctx, ins("a", "alpha"), ins("b", "bravo"), settings=settings)
    assert doc is not None
    assert theme_headings(doc) == ["1. Alpha"]


def test_theme_spanning_two_areas_is_called_out(make_ctx: MakeCtx) -> None:
    text = markdown(
        make_ctx,
        ins("p1", "pricing", "billing"),
        ins("p2", "pricing", "reporting"),
        ins("p3", "pricing", "reporting"),
        ins("s1", "speed", "reporting"),
    )
    assert (
        "Product areas: Reporting (2), Billing (1) — **spans 2 areas, for the Roadmap Review**"
        in (text)
    )
    cross = text.split("## Cross-area themes for the Roadmap Review")[1].split("##")[0]
    assert "**Pricing**: Reporting, Billing (3 insights); owner Chen Li (Reporting)" in cross
    assert "speed" not in cross


def test_no_cross_area_theme(make_ctx: MakeCtx) -> None:
    text = markdown(make_ctx, ins("p1", "pricing"))
    assert "No theme this month spans more than one product area." in text


def test_owner_tie_is_broken_by_area_key(make_ctx: MakeCtx) -> None:
    text = markdown(make_ctx, ins("p1", "pricing", "reporting"), ins("p2", "pricing", "onboarding"))
    assert "Owner: Ben Okafor (Onboarding)" in text


def test_evidence_and_decision_path(make_ctx: MakeCtx) -> None:
    text = markdown(
        make_ctx,
        ins("a", "pricing", severity=Severity.HIGH, disposition=Disposition.BACKLOG),
        ins("b", "pricing", segment="enterprise", disposition=Disposition.WONT_DO),
        ins("c", "pricing", segment="enterprise", source=InsightSource.CS_SALES),
    )
    assert "Severity mix: 1 High · 2 Medium" in text
    assert "Segments: Enterprise (2), SMB (1)" in text
    assert "Sources: support tickets (2), cs/sales notes (1)" in text
    assert (
        "Decision path: backlog 1 · needs research 0 · already addressed 0 · won't do 1 · "
        "undecided 1"
    ) in text


def test_quotes_most_severe_then_most_recent_up_to_the_limit(make_ctx: MakeCtx) -> None:
    settings = Settings(insights=InsightSettings(quotes_per_theme=2))
    text = markdown(
        make_ctx,
        ins("a", "pricing", quote="old medium", received_on=date(2026, 11, 5)),
        ins("b", "pricing", quote="new medium", received_on=date(2026, 11, 20)),
        ins("c", "pricing", quote="high", severity=Severity.HIGH, received_on=date(2026, 11, 4)),
        ins("d", "pricing", quote="  "),
        settings=settings,
    )
    assert "  - *“high”* — SMB, support tickets\n  - *“new medium”*" in text
    assert "old medium" not in text


def test_escalated_high_items_are_listed_whatever_month(make_ctx: MakeCtx) -> None:
    text = markdown(
        make_ctx,
        ins("old", "pricing", severity=Severity.HIGH, received_on=date(2026, 10, 12)),
        ins("fresh", "pricing", severity=Severity.HIGH),
        ins(
            "done",
            "pricing",
            severity=Severity.HIGH,
            received_on=date(2026, 10, 1),
            disposition=Disposition.BACKLOG,
        ),
    )
    escalated = text.split("## Escalated High-severity items")[1]
    assert "| Feedback old | Pricing | Billing | Ana Ruiz | Oct 12 | Nov 3 |" in escalated
    assert "Feedback fresh" not in escalated
    assert "Feedback done" not in escalated


def test_escalation_by_days_feeds_the_digest(make_ctx: MakeCtx) -> None:
    settings = Settings(insights=InsightSettings(escalate_after_days=7))
    text = markdown(make_ctx, ins("fresh", "pricing", severity=Severity.HIGH), settings=settings)
    assert "| Feedback fresh | Pricing | Billing | Ana Ruiz | Nov 10 | Nov 17 |" in text


def test_rollout_counts_only_enabled_areas(make_ctx: MakeCtx) -> None:
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
    doc = run(
        make_ctx,
        ins("b1", "pricing", "billing"),
        ins("r1", "pricing", "reporting"),
        ins("r2", "speed", "reporting", severity=Severity.HIGH, received_on=date(2026, 9, 1)),
        settings=pilot,
    )
    assert doc is not None
    assert theme_headings(doc) == ["1. Pricing"]
    text = render(doc.document)
    assert "Volume: 1 insight" in text
    assert "Reporting" not in text


def test_not_generated_when_disabled_everywhere_or_without_insights(make_ctx: MakeCtx) -> None:
    later = Settings(rollout=(RolloutPhase(name="later", starts_on=date(2027, 1, 1)),))
    assert run(make_ctx, ins("i1", "pricing"), settings=later) is None
    assert run(make_ctx) is None


def test_empty_window_still_gives_the_review_its_page(make_ctx: MakeCtx) -> None:
    doc = run(make_ctx, ins("i1", "pricing", received_on=date(2026, 8, 1)))
    assert doc is not None
    summary = doc.document.children[0]
    assert isinstance(summary, Region)
    text = render(doc.document)
    assert "No tagged insights were received from Tuesday, November 3" in text
    assert "## Top themes\n\nNo themes this month: no tagged insights." in text
    assert " 0 " not in text  # "Top 0 themes", "0 tagged insights in 0 themes"


def test_actions_section_belongs_to_people(make_ctx: MakeCtx) -> None:
    doc = run(make_ctx, ins("i1", "pricing"))
    assert doc is not None
    tail = doc.document.children[-3:]
    assert isinstance(tail[0], Heading) and tail[0].text == "Actions + owners"
    assert isinstance(tail[1], Paragraph) and isinstance(tail[1].inlines[0], Text)
    assert isinstance(tail[2], Table) and not any(c for row in tail[2].rows for c in row)
    assert all(isinstance(b, Region) for b in doc.document.children[:-3])


def test_same_snapshot_and_date_give_the_same_document(make_ctx: MakeCtx) -> None:
    items = golden_insights()
    first = run(make_ctx, *items, now=ny(2026, 11, 25, 8))
    second = run(make_ctx, *reversed(items), now=ny(2026, 11, 25, 22))
    assert first == second


def golden_insights() -> tuple[Insight, ...]:
    high, low = Severity.HIGH, Severity.LOW
    research, addressed = Disposition.NEEDS_RESEARCH, Disposition.ALREADY_ADDRESSED
    return (
        ins(
            "o1",
            "onboarding",
            "onboarding",
            severity=high,
            segment="new-user",
            quote="We gave up on setup after two days.",
            received_on=date(2026, 11, 4),
        ),
        ins(
            "o2",
            "onboarding",
            "onboarding",
            severity=high,
            segment="new-user",
            source=InsightSource.RESEARCH,
            evidence_type="churned account",
            quote="Nobody on our team could find the import.",
            received_on=date(2026, 11, 18),
        ),
        ins(
            "o3",
            "onboarding",
            "onboarding",
            segment="SMB",
            disposition=research,
            quote="The checklist is *long* | confusing.",
        ),
        ins(
            "o4",
            "Onboarding",
            "billing",
            severity=low,
            segment="mid-market",
            source=InsightSource.CS_SALES,
            quote="Trial-to-paid handoff needs a card up front.",
        ),
        ins(
            "r1",
            "reliability",
            "billing",
            severity=high,
            segment="enterprise",
            evidence_type="ticket volume",
            received_on=date(2026, 11, 5),
        ),
        ins(
            "r2",
            "reliability",
            "billing",
            segment="enterprise",
            evidence_type="ticket volume",
            disposition=Disposition.BACKLOG,
        ),
        ins(
            "r3",
            "reliability",
            "billing",
            segment="mid-market",
            evidence_type="metric change",
            source=InsightSource.ANALYTICS,
            disposition=addressed,
        ),
        ins(
            "p1",
            "pricing",
            "billing",
            segment="mid-market",
            source=InsightSource.CS_SALES,
            quote="Seat pricing blocks our expansion.",
        ),
        ins(
            "p2",
            "pricing",
            "reporting",
            segment="enterprise",
            source=InsightSource.CS_SALES,
            disposition=Disposition.WONT_DO,
            disposition_rationale="Pricing is set by finance",
        ),
        ins(
            "f1",
            "performance",
            "reporting",
            segment="power-user",
            evidence_type="NPS verbatim",
            source=InsightSource.COMMUNITY,
            quote="Dashboards take 20s to load.",
        ),
        ins("f2", "performance", "reporting", severity=low, segment="power-user"),
        ins("g1", "feature-gap", "reporting", segment="enterprise"),
        ins("u1", "UX-friction", "onboarding", segment="SMB"),
        ins("a1", "activation", "onboarding", severity=low, segment="new-user"),
        ins("t1", None, "billing", summary="Customer asked about invoices in Slack"),
        ins("x1", "reliability", "billing", received_on=date(2026, 10, 20)),
        ins(
            "e1",
            "reliability",
            "reporting",
            severity=high,
            segment="enterprise",
            summary="Exports time out for the largest customer",
            received_on=date(2026, 10, 12),
        ),
    )


#: Segments named as the organisation says them; themes are left to the default (the tag
#: in words), so the golden page shows both.
SEGMENTS = {"mid-market": "Mid-market", "new-user": "New users", "power-user": "Power users"}


def golden_actions() -> tuple[InsightAction, ...]:
    """Actions of the October (Oct 6) and November (Nov 3) reviews, seen on Nov 25: one
    escalated and overdue, one carried over, one completed since the last review, one done
    before it, and one whose owner is unknown."""
    return (
        InsightAction(
            key="oct-onboarding-calls",
            action="Call the five churned accounts about setup",
            owner="ben",
            review="2026-10",
            theme="onboarding",
            due_on=date(2026, 11, 13),
        ),
        InsightAction(
            key="oct-export-fix",
            action="Size the export timeout fix with Eng",
            owner="chen",
            review="2026-10",
            theme="reliability",
            due_on=date(2026, 10, 30),
            done_on=date(2026, 10, 28),
        ),
        InsightAction(
            key="nov-seat-pricing",
            action="Bring seat pricing to the Q1 planning input",
            owner="ana",
            review="2026-11",
            theme="pricing",
            due_on=date(2026, 12, 15),
        ),
        InsightAction(
            key="nov-dashboards",
            action="Research dashboard load times with power users",
            owner="chen",
            review="2026-11",
            theme="performance",
            due_on=date(2026, 11, 24),
            done_on=date(2026, 11, 20),
        ),
        InsightAction(
            key="nov-activation",
            action="Draft the activation checklist",
            owner="zoe",
            review="2026-11",
            theme="activation",
        ),
    )


def test_golden_insights_digest(make_ctx: MakeCtx) -> None:
    settings = Settings(insights=InsightSettings(segments=SEGMENTS))
    text = markdown(make_ctx, *golden_insights(), settings=settings, actions=golden_actions())
    assert_golden("insights-digest.md", text)


def test_themes_are_shown_by_their_vocabulary_name_and_grouped_across_spellings(
    make_ctx: MakeCtx,
) -> None:
    settings = Settings(
        insights=InsightSettings(themes={"ux-friction": "UX friction (navigation)"})
    )
    doc = run(
        make_ctx,
        ins("a", "UX-friction", severity=Severity.HIGH),
        ins("b", "ux friction"),
        ins("c", "feature_gap"),
        settings=settings,
    )
    assert doc is not None
    assert theme_headings(doc) == ["1. UX friction (navigation)", "2. Feature gap"]


def test_without_a_vocabulary_a_theme_slug_is_shown_in_words(make_ctx: MakeCtx) -> None:
    doc = run(make_ctx, ins("a", "UX-friction", segment="mid-market"))
    assert doc is not None
    assert theme_headings(doc) == ["1. UX friction"]
    assert "Segments: Mid market (1)" in render(doc.document)


def assert_golden(name: str, rendered: str) -> None:
    path = GOLDEN / name
    if os.environ.get("OPSYNC_UPDATE_GOLDEN") == "1":
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")
