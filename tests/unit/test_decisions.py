"""R5 decision log: required fields, lapsed reviews and the list for the biweekly review."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from conftest import MakeCtx, ny
from opsync.calendar import BusinessCalendar
from opsync.documents.markdown import render
from opsync.domain import Collection, Decision, Snapshot, ref
from opsync.rules.context import RuleContext
from opsync.rules.decisions import REQUIRED_FIELDS, evaluate
from opsync.rules.output import DocumentKind, RuleOutput
from opsync.settings import (
    DateStyle,
    OutputSettings,
    RoadmapSettings,
    RolloutPhase,
    RuleFamily,
    Settings,
)

GOLDEN = Path(__file__).parent.parent / "golden"
TODAY = ny(2026, 12, 3, 9)  # Thursday of ISO week 2026-W49
BIWEEKLY = Settings(roadmap=RoadmapSettings(first_review=date(2026, 11, 26)))


def complete(key: str = "dec-1", /, **changes: object) -> Decision:
    base = Decision(
        key=key,
        decided_on=date(2026, 9, 1),
        decision="Move invoicing to usage-based pricing",
        context="Seat pricing stalls expansion in mid-market",
        options="Keep seats; usage-based; hybrid",
        rationale="Usage tracks the value customers get",
        owner="ana",
        review_date=date(2027, 3, 1),
        product_area="billing",
    )
    return base.model_copy(update=changes)


def run(make_ctx: MakeCtx, *decisions: Decision, settings: Settings | None = None) -> RuleOutput:
    ctx = make_ctx(TODAY, settings=settings, decisions=decisions)
    return evaluate(ctx, RuleOutput())


def codes(out: RuleOutput, code: str) -> list[tuple[str, str | None]]:
    return [(f.record, f.field) for f in out.findings if f.code == code]


def test_complete_decision_has_no_findings(make_ctx: MakeCtx) -> None:
    out = run(make_ctx, complete())
    assert out.findings == ()
    assert out.derived == {"decisions/dec-1": {"review_due": False}}
    assert out.documents == ()


@pytest.mark.parametrize(("name", "label"), REQUIRED_FIELDS)
def test_each_missing_field_is_one_finding(make_ctx: MakeCtx, name: str, label: str) -> None:
    blank: object = "" if isinstance(getattr(complete(), name), str) else None
    out = run(make_ctx, complete(**{name: blank}))
    assert codes(out, "decisions.field-missing") == [("decisions/dec-1", name)]
    assert f"missing: {label})" in out.findings[0].message


def test_whitespace_counts_as_missing_and_message_lists_all(make_ctx: MakeCtx) -> None:
    out = run(make_ctx, complete(rationale="  \n ", owner=" ", options=""))
    assert [f.field for f in out.findings] == ["options", "rationale", "owner"]
    for finding in out.findings:
        assert "missing: options considered, rationale, owner" in finding.message
        assert "Move invoicing to usage-based pricing" in finding.message


def test_decision_without_text_is_named_by_key(make_ctx: MakeCtx) -> None:
    out = run(make_ctx, complete(decision=""))
    assert "“dec-1”" in out.findings[0].message


def test_passed_review_date_without_review_is_overdue(make_ctx: MakeCtx) -> None:
    out = run(make_ctx, complete(review_date=date(2026, 12, 2)))
    assert codes(out, "decisions.review-overdue") == [("decisions/dec-1", "review_date")]
    assert out.derived["decisions/dec-1"] == {"review_due": True}
    assert "1 day ago" in out.findings[0].message
    assert "Ana Ruiz" in out.findings[0].message


@pytest.mark.parametrize(
    ("review_date", "reviewed_on", "overdue"),
    [
        (date(2026, 12, 3), None, False),  # due today: not passed yet
        (date(2026, 12, 4), None, False),
        (date(2026, 11, 20), date(2026, 11, 20), False),  # reviewed on the day
        (date(2026, 11, 20), date(2026, 11, 30), False),
        (date(2026, 11, 20), date(2026, 11, 1), True),  # an earlier look is not the review
        (None, None, False),  # missing review date is a field finding, not overdue
    ],
)
def test_review_overdue_boundaries(
    make_ctx: MakeCtx, review_date: date | None, reviewed_on: date | None, overdue: bool
) -> None:
    out = run(make_ctx, complete(review_date=review_date, reviewed_on=reviewed_on))
    assert out.derived["decisions/dec-1"]["review_due"] is overdue
    assert bool(codes(out, "decisions.review-overdue")) is overdue
    assert bool(out.documents) is overdue


def test_review_list_is_keyed_by_next_biweekly_review(make_ctx: MakeCtx) -> None:
    out = run(make_ctx, complete(review_date=date(2026, 11, 1)), settings=BIWEEKLY)
    (doc,) = out.documents
    assert doc.key == "decision-review/2026-12-10"
    assert doc.kind is DocumentKind.DECISION_REVIEW
    assert doc.document.title == "Decision Review — December 10, 2026"


@pytest.mark.parametrize(
    ("now", "first", "expected"),
    [
        (ny(2026, 12, 10, 18), date(2026, 11, 26), "2026-12-10"),  # review day itself
        (ny(2026, 12, 11, 0), date(2026, 11, 26), "2026-12-24"),
        (ny(2026, 12, 3, 9), date(2027, 3, 4), "2026-12-10"),  # schedule runs both ways
        (ny(2026, 12, 3, 9), date(2026, 12, 3), "2026-12-03"),
    ],
)
def test_next_review_day(make_ctx: MakeCtx, now: object, first: date, expected: str) -> None:
    settings = Settings(roadmap=RoadmapSettings(first_review=first))
    decision = complete(review_date=date(2026, 11, 1))
    ctx = make_ctx(now, settings=settings, decisions=(decision,))
    (doc,) = evaluate(ctx, RuleOutput()).documents
    assert doc.key == f"decision-review/{expected}"


def test_review_on_a_holiday_keeps_its_key_and_shows_the_day_held(make_ctx: MakeCtx) -> None:
    settings = Settings(roadmap=RoadmapSettings(first_review=date(2026, 12, 25)))
    decision = complete(review_date=date(2026, 11, 1))
    ctx = make_ctx(ny(2026, 12, 26, 9), settings=settings, decisions=(decision,))
    (doc,) = evaluate(ctx, RuleOutput()).documents
    assert doc.key == "decision-review/2026-12-25"  # Christmas: held Monday 2026-12-28
    assert doc.document.title == "Decision Review — December 28, 2026"
    after = make_ctx(ny(2026, 12, 29, 9), settings=settings, decisions=(decision,))
    (later,) = evaluate(after, RuleOutput()).documents
    assert later.key == "decision-review/2027-01-08"


def test_without_schedule_review_list_is_keyed_by_iso_week(make_ctx: MakeCtx) -> None:
    out = run(make_ctx, complete(review_date=date(2026, 11, 1)))
    (doc,) = out.documents
    assert doc.key == "decision-review/2026-W49"


def test_review_list_orders_by_review_date_and_counts_days(make_ctx: MakeCtx) -> None:
    out = run(
        make_ctx,
        complete("dec-b", review_date=date(2026, 11, 20), decision="B"),
        complete("dec-a", review_date=date(2026, 11, 20), decision="A"),
        complete("dec-c", review_date=date(2026, 10, 1), decision="C"),
        complete("dec-d", decision="not due"),
        settings=BIWEEKLY,
    )
    (doc,) = out.documents
    (owned,) = doc.document.children
    table = owned.children[1]  # type: ignore[union-attr]
    rows = [(r[1][0].text, r[4][0].text) for r in table.rows]  # type: ignore[union-attr]
    assert rows == [("C", "63"), ("A", "13"), ("B", "13")]


def test_rollout_skips_decisions_of_areas_not_enabled(make_ctx: MakeCtx) -> None:
    pilot = Settings(
        rollout=(
            RolloutPhase(
                name="pilot",
                starts_on=date(2026, 11, 1),
                areas=("onboarding",),
                rules=(RuleFamily.DECISIONS,),
            ),
        )
    )
    skipped = complete("dec-billing", review_date=date(2026, 11, 1), rationale="")
    kept = complete("dec-onb", product_area="onboarding", rationale="")
    out = run(make_ctx, skipped, kept, settings=pilot)
    assert {f.record for f in out.findings} == {ref(Collection.DECISIONS, "dec-onb")}
    assert set(out.derived) == {"decisions/dec-onb"}
    assert out.documents == ()


def review_text(out: RuleOutput) -> str:
    (doc,) = out.documents
    return render(doc.document)


def test_one_overdue_decision_reads_in_the_singular(make_ctx: MakeCtx) -> None:
    out = run(make_ctx, complete(review_date=date(2026, 12, 1)), settings=BIWEEKLY)
    assert "1 decision is past its review date without a review" in review_text(out)


def test_long_decision_is_shown_whole_and_linked_to_its_entry(
    make_ctx: MakeCtx, calendar: BusinessCalendar, org: Snapshot
) -> None:
    long = "Keep the legacy CSV export for enterprise workspaces until the API export covers " * 2
    decision = complete(decision=long.strip(), review_date=date(2026, 12, 1))
    url = "https://wiki.example/decisions/dec-1"
    ctx = RuleContext(
        snapshot=org.model_copy(update={"decisions": (decision,)}),
        now=TODAY,
        calendar=calendar,
        settings=BIWEEKLY,
        links={"decisions/dec-1": url},
    )
    out = evaluate(ctx, RuleOutput())
    assert f"[{long.strip()}]({url})" in review_text(out)
    assert "…" not in review_text(out)
    assert long.strip() in out.findings[0].message


def test_every_date_on_the_review_list_follows_the_date_style(make_ctx: MakeCtx) -> None:
    decision = complete(review_date=date(2026, 12, 1))
    iso = BIWEEKLY.model_copy(update={"output": OutputSettings(date_style=DateStyle.ISO)})
    long_text = review_text(run(make_ctx, decision, settings=BIWEEKLY))
    iso_text = review_text(run(make_ctx, decision, settings=iso))
    assert "# Decision Review — December 10, 2026" in long_text
    assert "| Sep 1 | Move invoicing" in long_text
    assert "on Thursday, December 10. " in long_text
    assert "As of Thursday, December 3." in long_text
    assert "2026-" not in long_text
    assert "# Decision Review — 2026-12-10" in iso_text
    assert "| 2026-09-01 | Move invoicing" in iso_text
    assert "As of 2026-12-03." in iso_text


def test_golden_decision_review(make_ctx: MakeCtx) -> None:
    decisions = (
        complete(
            "dec-7",
            decided_on=date(2026, 6, 2),
            decision="Sunset the legacy CSV export | keep *API* export",
            owner="chen",
            review_date=date(2026, 9, 30),
            product_area="reporting",
        ),
        complete(
            "dec-9",
            decided_on=date(2026, 8, 14),
            decision="Require SSO for enterprise workspaces",
            owner="ben",
            review_date=date(2026, 11, 25),
            reviewed_on=date(2026, 10, 1),
            product_area="onboarding",
        ),
        complete("dec-12", decided_on=None, owner=None, review_date=date(2026, 12, 1)),
        complete("dec-15", review_date=date(2026, 12, 3)),
        complete("dec-16", review_date=date(2026, 11, 2), reviewed_on=date(2026, 11, 2)),
    )
    out = run(make_ctx, *decisions, settings=BIWEEKLY)
    (doc,) = out.documents
    assert_golden("decision-review.md", render(doc.document))


def assert_golden(name: str, rendered: str) -> None:
    path = GOLDEN / name
    if os.environ.get("OPSYNC_UPDATE_GOLDEN") == "1":
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")
