"""R9 Quarterly Planning/QBR pack: published N business days before the first business day
of the quarter and kept through the meeting; the scorecard and its trend, ritual adoption,
coverage by area, the ranked frictions with rituals flagged for pruning (pack section 8),
and the requests triaged in the quarter just ending."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path

from conftest import MakeCtx, ny
from opsync.documents.markdown import render
from opsync.documents.model import Region, Table
from opsync.domain import (
    Bundle,
    BundleState,
    Friction,
    Readiness,
    Release,
    Request,
    ScorecardWeek,
    Tier,
)
from opsync.engine.pagelinks import resolve
from opsync.rules import qbr, scorecard
from opsync.rules.output import DocumentKind, GeneratedDocument, RuleOutput
from opsync.settings import CadenceSettings, RolloutPhase, Settings

GOLDEN = Path(__file__).parent.parent / "golden"
# 2027-Q1's planning: Friday Jan 1 is New Year's Day, so Monday Jan 4; 5 BD before it is
# Thursday Dec 24 (Christmas Day, Friday Dec 25, is a holiday).
MEETING = date(2027, 1, 4)
PUBLISHED = date(2026, 12, 24)

FRICTIONS = (
    Friction(
        key="surprise",
        title="Stakeholders surprised by launches",
        rank=1,
        quarter="2026-Q4",
        reduced_by=("Weekly Product Update", "roadmap-view", "readiness check"),
    ),
    Friction(
        key="gaps",
        title="Launches without enablement",
        rank=2,
        quarter="2026-Q4",
        reduced_by=("enablement bundle", "Post-launch capture", "readiness check"),
    ),
)


def at(day: date, hour: int = 9) -> datetime:
    return ny(day.year, day.month, day.day, hour)


def run(make_ctx: MakeCtx, now: datetime, **records: object) -> GeneratedDocument | None:
    ctx = make_ctx(now, **records)
    earlier = scorecard.evaluate(ctx, RuleOutput())
    out = qbr.evaluate(ctx, earlier)
    assert len(out.documents) <= 1 and out.findings == ()
    return out.documents[0] if out.documents else None


def region_table(doc: GeneratedDocument, key: str, index: int = 0) -> Table:
    found = next(c for c in doc.document.children if isinstance(c, Region) and c.key == key)
    return [b for b in found.children if isinstance(b, Table)][index]


def rows(grid: Table) -> list[list[str]]:
    return [
        ["".join(getattr(i, "text", getattr(i, "label", "")) for i in c) for c in r]
        for r in grid.rows
    ]


# when -----------------------------------------------------------------------------------


def test_published_n_business_days_before_and_kept_through_the_meeting(
    make_ctx: MakeCtx,
) -> None:
    assert run(make_ctx, at(date(2026, 12, 23), 23)) is None
    for day in (PUBLISHED, date(2026, 12, 28), date(2027, 1, 2), MEETING):
        doc = run(make_ctx, at(day))
        assert doc is not None and doc.key == "qbr/2027-Q1", day
        assert doc.kind is DocumentKind.QBR_PACK
    assert run(make_ctx, at(date(2027, 1, 5))) is None


def test_the_publication_lead_is_configurable(make_ctx: MakeCtx) -> None:
    settings = Settings(cadence=CadenceSettings(qbr_pack_days_before=0))
    assert run(make_ctx, at(date(2026, 12, 31)), settings=settings) is None
    doc = run(make_ctx, at(MEETING), settings=settings)
    assert doc is not None and doc.key == "qbr/2027-Q1"


def test_quarters_follow_the_configured_start_months(make_ctx: MakeCtx) -> None:
    # Quarters from February: Sunday Nov 1, 2026 moves the meeting to Monday Nov 2.
    settings = Settings(cadence=CadenceSettings(quarter_start_months=(2, 5, 8, 11)))
    doc = run(make_ctx, at(date(2026, 10, 26)), settings=settings)
    assert doc is not None and doc.key == "qbr/2026-Q4"
    text = render(doc.document)
    assert "Monday, November 2, 2026" in text and "Reviews 2026 Q3 (Aug 1 to Oct 31)" in text
    assert run(make_ctx, at(date(2026, 10, 23)), settings=settings) is None


def test_no_pack_without_the_cadence_family(make_ctx: MakeCtx) -> None:
    phase = RolloutPhase(name="weekly", starts_on=date(2026, 10, 1), rules=("weekly",))
    assert run(make_ctx, at(MEETING), settings=Settings(rollout=(phase,))) is None


# the frictions and pruning --------------------------------------------------------------


def test_frictions_in_rank_order_each_with_the_rituals_reducing_it(make_ctx: MakeCtx) -> None:
    doc = run(make_ctx, at(MEETING), frictions=tuple(reversed(FRICTIONS)))
    assert doc is not None
    listed = rows(region_table(doc, "qbr.frictions"))
    assert [r[0] for r in listed] == ["1", "2"]
    assert listed[0][3] == "Weekly Product Update, Stakeholder Roadmap View, Launch Readiness Check"


def test_a_ritual_no_friction_names_is_a_candidate_for_pruning(make_ctx: MakeCtx) -> None:
    doc = run(make_ctx, at(MEETING), frictions=FRICTIONS)
    assert doc is not None
    verdicts = {r[0]: r[2] for r in rows(region_table(doc, "qbr.frictions", 1))}
    pruned = {k for k, v in verdicts.items() if v == "Candidate for pruning (pack §8)"}
    assert pruned == {
        "Biweekly Roadmap Review",
        "Monthly Insights Review",
        "Quarterly Planning/QBR",
    }
    assert verdicts["Launch Readiness Check"] == "Keep"
    assert "3 rituals and artifacts reduce no friction" in render(doc.document)


def test_a_ritual_that_is_not_running_is_not_flagged(make_ctx: MakeCtx) -> None:
    phase = RolloutPhase(
        name="no insights", starts_on=date(2026, 10, 1), rules=("cadence", "roadmap", "weekly")
    )
    doc = run(make_ctx, at(MEETING), frictions=FRICTIONS, settings=Settings(rollout=(phase,)))
    assert doc is not None
    verdicts = {r[0]: r[2] for r in rows(region_table(doc, "qbr.frictions", 1))}
    assert verdicts["Monthly Insights Review"] == "not running"
    assert verdicts["Biweekly Roadmap Review"] == "Candidate for pruning (pack §8)"


def test_without_a_friction_list_no_ritual_is_judged(make_ctx: MakeCtx) -> None:
    doc = run(make_ctx, at(MEETING))
    assert doc is not None
    assert "pruning" not in render(doc.document)
    assert "No friction recorded yet" in render(doc.document)


# coverage and requests of the quarter just ending --------------------------------------


def release(key: str, area: str, launch: date, bundle_on: date | None = None) -> Release:
    bundle = Bundle(state=BundleState.PUBLISHED, published_on=bundle_on) if bundle_on else Bundle()
    return Release(
        key=key,
        title=f"Release {key}",
        tier=Tier.MEDIUM,
        launch_date=launch,
        product_area=area,
        bundle=bundle,
        readiness=Readiness(go_no_go_on=launch - timedelta(days=1)),
    )


RELEASES = (
    release("b1", "billing", date(2026, 10, 6), date(2026, 10, 1)),
    release("b2", "billing", date(2026, 11, 10)),  # no bundle
    release("b3", "billing", date(2026, 12, 8), date(2026, 12, 8)),  # published on launch day
    release("r1", "reporting", date(2026, 11, 17), date(2026, 11, 12)),
    release("r0", "reporting", date(2026, 9, 29)),  # the quarter before: not counted
    release("o1", "onboarding", date(2026, 12, 30), date(2026, 12, 20)),  # not launched yet
)


def test_coverage_per_area_counts_the_ending_quarter_s_launches_to_date(
    make_ctx: MakeCtx,
) -> None:
    doc = run(make_ctx, at(date(2026, 12, 28)), releases=RELEASES)
    assert doc is not None
    assert rows(region_table(doc, "qbr.coverage")) == [
        ["Billing", "1/3", "33.3%", "Release b2, Release b3"],
        ["Reporting", "1/1", "100%", "—"],
        ["All areas", "2/4", "50%", ""],
    ]


def req(key: str, status: str, on: date | None, **extra: object) -> Request:
    data = {"key": key, "summary": f"Request {key}", "status": status, "triaged_on": on}
    return Request.model_validate(data | extra)


REQUESTS = (
    req("q1", "planned", date(2026, 10, 2), friction="gaps"),
    req("q2", "triaged", date(2026, 12, 30), friction="surprise"),
    req("q3", "declined", None, received_on=date(2026, 11, 3)),  # counted on received_on
    req("q4", "triaged", date(2026, 9, 30), friction="gaps"),  # the quarter before
    req("q5", "new", None, received_on=date(2026, 12, 1)),  # not triaged
    req("q6", "planned", date(2027, 1, 2), friction="gaps"),  # the new quarter
)


def test_requests_triaged_in_the_ending_quarter_by_status_and_friction(make_ctx: MakeCtx) -> None:
    doc = run(make_ctx, at(MEETING), requests=REQUESTS, frictions=FRICTIONS)
    assert doc is not None
    assert rows(region_table(doc, "qbr.requests")) == [
        ["Stakeholders surprised by launches (rank 1)", "1", "0", "0", "1"],
        ["Launches without enablement (rank 2)", "0", "1", "0", "1"],
        ["No friction", "0", "0", "1", "1"],
    ]
    assert "3 requests triaged (1 triaged, 1 planned, 1 declined)" in render(doc.document)


# the page -------------------------------------------------------------------------------


def golden(make_ctx: MakeCtx) -> GeneratedDocument:
    history = (
        ScorecardWeek(
            key="2026-W51",
            week_start=date(2026, 12, 14),
            enablement_coverage=66.7,
            ritual_adoption=80.0,
        ),
    )
    doc = run(
        make_ctx,
        at(date(2026, 12, 28)),
        releases=RELEASES,
        requests=REQUESTS,
        frictions=FRICTIONS,
        scorecard_history=history,
    )
    assert doc is not None
    return doc


def test_regions_are_opsync_s_and_the_retrospective_and_plan_are_people_s(
    make_ctx: MakeCtx,
) -> None:
    doc = golden(make_ctx)
    keys = [c.key for c in doc.document.children if isinstance(c, Region)]
    assert keys == [
        "qbr.header",
        "qbr.scorecard",
        "qbr.adoption",
        "qbr.coverage",
        "qbr.frictions",
        "qbr.requests",
    ]
    text = render(doc.document)
    people = text.split("<!-- opsync:end qbr.requests -->")[1]
    assert all(p in people for p in qbr.RETRO_PROMPTS)
    assert "## Quarterly plan — 2027 Q1" in people and "opsync:begin" not in people
    # the scorecard's own table and trend, without its chart
    assert "| Enablement coverage | 100% | 40% |" in text and "### Trend" in text
    assert "![" not in text


def test_the_scorecard_page_made_in_the_same_run_is_named_then_linked_when_written(
    make_ctx: MakeCtx,
) -> None:
    doc = golden(make_ctx)
    (key,) = doc.links_to
    assert key.startswith("scorecard/")
    named = render(doc.document)
    assert "The weekly chart is on the scorecard page, *" in named
    linked = render(resolve(doc.document, {key: "https://wiki.example/sc"}.get))
    assert "The weekly chart is on the scorecard page, [" in linked
    assert "](https://wiki.example/sc)." in linked


def test_golden_qbr_pack(make_ctx: MakeCtx) -> None:
    rendered = render(golden(make_ctx).document)
    path = GOLDEN / "qbr-pack.md"
    if os.environ.get("OPSYNC_UPDATE_GOLDEN") == "1":
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")
