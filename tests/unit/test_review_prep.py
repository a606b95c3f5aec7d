"""R9 Biweekly Roadmap Review prep page: when it is generated, what each section holds (changes,
dependencies, decisions, risks, themes), the agenda's PM slots and the people's part."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

from conftest import MakeCtx, ny
from opsync.documents.markdown import render, render_blocks
from opsync.documents.model import Heading, Region, find_region
from opsync.domain import (
    Collection,
    Decision,
    Insight,
    ProductArea,
    Release,
    RoadmapItem,
    RoadmapStatus,
    RoadmapView,
    RoadmapViewEntry,
    WeeklySubmission,
    ref,
)
from opsync.domain.insight import Severity
from opsync.rules import evaluate as evaluate_all
from opsync.rules import roadmap
from opsync.rules.context import RuleContext
from opsync.rules.output import DocumentKind, GeneratedDocument, RuleOutput
from opsync.rules.review_prep import evaluate, slot_minutes
from opsync.settings import (
    RoadmapSettings,
    RolloutPhase,
    RuleFamily,
    Settings,
)

GOLDEN = Path(__file__).parent.parent / "golden"
NOTHING = RuleOutput()
S = RoadmapStatus
# Reviews on Tuesdays: ... Nov 24, Dec 8, Dec 22 ...; Dec 8's page appears on Monday, Dec 7.
BIWEEKLY = Settings(roadmap=RoadmapSettings(first_review=date(2026, 11, 24)))
PREP_DAY = ny(2026, 12, 7, 9)
KEY = "roadmap-review/2026-12-08"


def it(key: str, area: str = "billing", status: S = S.IN_PROGRESS, **fields: object) -> RoadmapItem:
    values: dict[str, object] = {
        "title": f"Item {key}",
        "product_area": area,
        "start": date(2026, 11, 2),
        "end": date(2026, 12, 18),
        "status": status,
    }
    values.update(fields)
    return RoadmapItem(key=key, **values)


def entry(item: RoadmapItem, **fields: object) -> RoadmapViewEntry:
    timing = roadmap.item_timing(item)
    assert timing is not None
    values: dict[str, object] = {
        "key": item.key,
        "title": item.title,
        "date_range": timing.label,
        "status": item.status,
        "product_area": item.product_area,
        "depends_on": item.depends_on,
    }
    values.update(fields)
    return RoadmapViewEntry.model_validate(values)


AFTER_LAST_REVIEW = ny(2026, 11, 25, 11)


def view(*entries: RoadmapViewEntry, at: datetime = AFTER_LAST_REVIEW) -> RoadmapView:
    return RoadmapView(key="2026-11-24", published_at=at, entries=entries)


def pages(ctx: RuleContext) -> list[GeneratedDocument]:
    return list(evaluate(ctx, NOTHING).documents)


def page(ctx: RuleContext) -> GeneratedDocument:
    (found,) = pages(ctx)
    return found


def section(ctx: RuleContext, name: str) -> str:
    found = find_region(page(ctx).document.children, f"review-prep.{name}")
    assert found is not None, name
    return render_blocks(found.children)


# --- when the page is generated ----------------------------------------------------------


def test_the_page_appears_the_business_day_before_the_review_and_lasts_through_it(
    make_ctx: MakeCtx,
) -> None:
    def keys(now: datetime) -> list[str]:
        return [p.key for p in pages(make_ctx(now, settings=BIWEEKLY))]

    assert keys(ny(2026, 12, 4, 17)) == []  # Friday: not yet
    assert keys(ny(2026, 12, 7, 0, 5)) == [KEY]  # Monday, from the start of the day
    assert keys(ny(2026, 12, 8, 23, 55)) == [KEY]  # the review day, after the review too
    assert keys(ny(2026, 12, 9, 0, 5)) == []  # then it is left as people left it
    assert page(make_ctx(PREP_DAY, settings=BIWEEKLY)).kind is DocumentKind.ROADMAP_REVIEW_PREP


def test_prep_days_before_is_counted_in_business_days(make_ctx: MakeCtx) -> None:
    three = Settings(roadmap=RoadmapSettings(first_review=date(2026, 11, 24), prep_days_before=3))
    same_day = Settings(
        roadmap=RoadmapSettings(first_review=date(2026, 11, 24), prep_days_before=0)
    )
    assert pages(make_ctx(ny(2026, 12, 2, 17), settings=three)) == []  # Wednesday
    assert [p.key for p in pages(make_ctx(ny(2026, 12, 3, 9), settings=three))] == [KEY]
    assert pages(make_ctx(ny(2026, 12, 7, 17), settings=same_day)) == []
    assert [p.key for p in pages(make_ctx(ny(2026, 12, 8, 9), settings=same_day))] == [KEY]


def test_a_review_moved_by_a_holiday_moves_its_page_and_keeps_its_key(make_ctx: MakeCtx) -> None:
    # Scheduled on Christmas (Friday), held on Monday, December 28.
    christmas = Settings(roadmap=RoadmapSettings(first_review=date(2026, 12, 25)))

    def keys(now: datetime) -> list[str]:
        return [p.key for p in pages(make_ctx(now, settings=christmas))]

    assert keys(ny(2026, 12, 23, 17)) == []
    assert keys(ny(2026, 12, 24, 9)) == ["roadmap-review/2026-12-25"]
    assert keys(ny(2026, 12, 28, 9)) == ["roadmap-review/2026-12-25"]
    assert keys(ny(2026, 12, 29, 9)) == []
    moved = page(make_ctx(ny(2026, 12, 28, 9), settings=christmas))
    assert moved.document.title == "Biweekly Roadmap Review — December 28, 2026"


def test_no_page_without_a_review_schedule_or_outside_the_roadmap_rollout(
    make_ctx: MakeCtx,
) -> None:
    weekly_only = BIWEEKLY.model_copy(
        update={
            "rollout": (
                RolloutPhase(name="p", starts_on=date(2026, 1, 1), rules=(RuleFamily.WEEKLY,)),
            )
        }
    )
    assert pages(make_ctx(PREP_DAY)) == []
    assert pages(make_ctx(PREP_DAY, settings=weekly_only)) == []


def test_the_engine_runs_the_rule(make_ctx: MakeCtx) -> None:
    out = evaluate_all(make_ctx(PREP_DAY, settings=BIWEEKLY))
    assert KEY in [d.key for d in out.documents]


# --- roadmap changes ---------------------------------------------------------------------


def test_changes_compare_with_the_last_view_published_before_the_review(
    make_ctx: MakeCtx,
) -> None:
    kept, moved, flipped = it("k"), it("m"), it("s", status=S.AT_RISK)
    gone, new = it("g"), it("n", title="Brand new")
    before = view(
        entry(kept),
        entry(moved, date_range="November 2026"),
        entry(flipped, status=S.IN_PROGRESS),
        entry(gone),
    )
    text = section(
        make_ctx(
            PREP_DAY,
            settings=BIWEEKLY,
            roadmap_items=(kept, moved, flipped, new),
            roadmap_views=(before,),
        ),
        "changes",
    )
    assert "Compared with the roadmap view published on Wednesday, November 25." in text
    assert "Brand new (Billing) — early November – mid December 2026" in text
    assert "Item m (Billing) — from November 2026 to early November – mid December 2026" in text
    assert "Item g (Billing) — no longer on the roadmap" in text
    assert "Item s (Billing) — In progress → At risk" in text
    assert "Item k" not in text


def test_a_view_published_on_the_review_day_is_not_the_comparison(make_ctx: MakeCtx) -> None:
    item = it("a")
    after = view(entry(item, status=S.PLANNED), at=ny(2026, 12, 8, 0, 10))
    ctx = make_ctx(ny(2026, 12, 8, 9), settings=BIWEEKLY, roadmap_items=(item,))
    alone = section(ctx, "changes")
    with_later = section(
        make_ctx(
            ny(2026, 12, 8, 9), settings=BIWEEKLY, roadmap_items=(item,), roadmap_views=(after,)
        ),
        "changes",
    )
    assert "No roadmap view was published before this review" in alone
    assert with_later == alone


# --- dependencies ------------------------------------------------------------------------


def test_dependencies_listed_are_the_new_ones_and_the_cross_area_ones(make_ctx: MakeCtx) -> None:
    base = it("base", title="Ledger v2")
    other = it("other", area="reporting", title="Report engine", status=S.AT_RISK)
    old_same = it("old-same", title="Old same-area", depends_on=("base",))
    new_same = it("new-same", title="New same-area", depends_on=("base",))
    old_cross = it("old-cross", title="Old cross-area", depends_on=("other",))
    new_cross = it("new-cross", title="New cross-area", depends_on=("other", "base"))
    shipped = it("done", title="Shipped one", status=S.SHIPPED, depends_on=("other",))
    before = view(
        entry(old_same), entry(old_cross), entry(new_same, depends_on=()), entry(new_cross)
    )
    items = (base, other, old_same, new_same, old_cross, new_cross, shipped)
    ctx = make_ctx(PREP_DAY, settings=BIWEEKLY, roadmap_items=items, roadmap_views=(before,))
    text = section(ctx, "dependencies")
    assert "| New same-area (Billing) | Ledger v2 (Billing) | In progress | new |" in text
    assert "| Old cross-area (Billing) | Report engine (Reporting) | At risk | cross-area |" in text
    # the view recorded new-cross depending on both: neither is new, only cross-area shows
    assert "| New cross-area (Billing) | Report engine (Reporting) | At risk | cross-area |" in text
    assert "New cross-area (Billing) | Ledger v2" not in text
    assert "Old same-area" not in text
    assert "Shipped one" not in text


def test_views_from_before_dependencies_make_every_dependency_new(make_ctx: MakeCtx) -> None:
    old_entry = RoadmapViewEntry.model_validate(
        {"key": "a", "title": "Item a", "date_range": "Q4 2026", "status": "in progress"}
    )
    items = (it("a", depends_on=("b",)), it("b", area="onboarding"))
    ctx = make_ctx(
        PREP_DAY, settings=BIWEEKLY, roadmap_items=items, roadmap_views=(view(old_entry),)
    )
    assert old_entry.depends_on == ()
    assert "| Item a (Billing) | Item b (Onboarding) | In progress | new, cross-area |" in section(
        ctx, "dependencies"
    )


def test_an_unknown_dependency_key_is_a_finding_and_stays_off_the_page(make_ctx: MakeCtx) -> None:
    items = (it("a", depends_on=("b", "RM-999", "RM-999")), it("b"))
    ctx = make_ctx(PREP_DAY, settings=BIWEEKLY, roadmap_items=items)
    found = [f for f in roadmap.evaluate(ctx, NOTHING).findings if f.code.endswith("unknown")]
    assert [(f.code, f.record, f.field) for f in found] == [
        ("roadmap.dependency-unknown", ref(Collection.ROADMAP_ITEMS, "a"), "depends_on")
    ]
    assert "“RM-999”" in found[0].message and "Ana Ruiz (Billing PM)" in found[0].message
    text = section(ctx, "dependencies")
    assert "RM-999" not in text
    assert "| Item a (Billing) | Item b (Billing) | In progress | new |" in text


# --- decisions, risks, themes -------------------------------------------------------------


def decision(key: str, review: date, reviewed: date | None = None) -> Decision:
    return Decision(
        key=key, decision=f"Decision {key}", owner="ben", review_date=review, reviewed_on=reviewed
    )


def test_decisions_due_by_the_review_day_and_not_reviewed_since(make_ctx: MakeCtx) -> None:
    decisions = (
        decision("on-the-day", date(2026, 12, 8)),
        decision("long-overdue", date(2026, 10, 1)),
        decision("after", date(2026, 12, 9)),
        decision("reviewed", date(2026, 12, 1), reviewed=date(2026, 12, 2)),
        decision("early-look", date(2026, 12, 3), reviewed=date(2026, 11, 20)),
    )
    text = section(make_ctx(PREP_DAY, settings=BIWEEKLY, decisions=decisions), "decisions")
    rows = [line for line in text.splitlines() if "| Ben Okafor |" in line]
    shown = [row.split(" | ")[0].removeprefix("| ") for row in rows]
    assert shown == ["Decision long-overdue", "Decision early-look", "Decision on-the-day"]


def submission(week: str, pm: str, area: str, risks: str) -> WeeklySubmission:
    return WeeklySubmission(key=f"{week}-{pm}", week=week, pm=pm, product_area=area, risks=risks)


def test_risks_are_those_of_the_weeks_since_the_last_review_with_pm_and_week(
    make_ctx: MakeCtx,
) -> None:
    subs = (
        submission("2026-W47", "ana", "billing", "Before the last review"),  # update Nov 19
        submission("2026-W48", "ana", "billing", "- Ledger migration slips\n- Ask: a designer"),
        submission("2026-W49", "ben", "onboarding", "Legal review pending"),
        submission("2026-W49", "chen", "reporting", ""),
        submission("2026-W50", "chen", "reporting", "After the review"),  # update Dec 10
    )
    text = section(make_ctx(PREP_DAY, settings=BIWEEKLY, weekly_submissions=subs), "risks")
    assert text.splitlines()[2:] == [
        "- 2026-W48:",
        "  - Billing (Ana Ruiz): Ledger migration slips",
        "  - Billing (Ana Ruiz): Ask: a designer",
        "- 2026-W49:",
        "  - Onboarding (Ben Okafor): Legal review pending",
    ]


def insight(key: str, area: str, received: date, theme: str = "reliability") -> Insight:
    return Insight(
        key=key,
        summary=f"Insight {key}",
        received_on=received,
        theme=theme,
        segment="SMB",
        severity=Severity.MEDIUM,
        evidence_type="ticket",
        product_area=area,
    )


def test_themes_spanning_areas_in_the_window_are_listed(make_ctx: MakeCtx) -> None:
    insights = (
        insight("1", "billing", date(2026, 11, 24)),
        insight("2", "billing", date(2026, 12, 1)),
        insight("3", "reporting", date(2026, 12, 7)),
        insight("4", "onboarding", date(2026, 11, 23)),  # before the window
        insight("5", "billing", date(2026, 12, 1), theme="pricing"),  # one area only
    )
    text = section(make_ctx(PREP_DAY, settings=BIWEEKLY, insights=insights), "themes")
    assert text.splitlines()[2:] == [
        "- **Reliability** — 3 insights: Billing (2), Reporting (1); owner Ana Ruiz (Billing)"
    ]


# --- agenda --------------------------------------------------------------------------------


def test_pm_slots_take_two_or_three_minutes_and_fit_the_25_minutes() -> None:
    assert slot_minutes(3) == [3, 3, 3]
    assert slot_minutes(8) == [3] * 8
    assert slot_minutes(9) == [3] * 7 + [2] * 2
    assert slot_minutes(12) == [3] + [2] * 11
    for count in range(1, 13):
        assert sum(slot_minutes(count)) <= 25
    assert slot_minutes(13) == [2] * 13  # does not fit: the agenda says so


def test_agenda_has_a_slot_per_area_pm_and_per_pm_who_launched(make_ctx: MakeCtx) -> None:
    launched = Release(
        key="R-1",
        title="Faster invoices",
        pm="dana",
        product_area="billing",
        launch_date=date(2026, 12, 2),
        launched=True,
    )
    items = (it("a", status=S.AT_RISK),)
    before = view(entry(it("a")))
    ctx = make_ctx(
        PREP_DAY,
        settings=BIWEEKLY,
        releases=(launched,),
        roadmap_items=items,
        roadmap_views=(before,),
    )
    assert section(ctx, "agenda").splitlines()[2:] == [
        "- 10:00 \\[5 min\\] Product Ops: changes since the last review (1 change), new "
        "dependencies (0)",
        "- 10:05 \\[25 min\\] PMs: what changed in their area and why",
        "  - 10:05 \\[3 min\\] Ana Ruiz: Billing; 1 roadmap change",
        "  - 10:08 \\[3 min\\] Ben Okafor: Onboarding",
        "  - 10:11 \\[3 min\\] Chen Li: Reporting",
        "  - 10:14 \\[3 min\\] dana: launched Faster invoices",
        "- 10:30 \\[10 min\\] Decisions: what moves, what's at risk, what stakeholders need to "
        "know (0 decisions due for review)",
        "- 10:40 \\[5 min\\] Action items + owners",
    ]


def test_with_many_pms_the_longer_slots_go_to_those_with_most_to_say(make_ctx: MakeCtx) -> None:
    areas = tuple(
        ProductArea(key=f"a{n}", name=f"Area {n}", pm=f"pm{n}", eng_lead="dev") for n in range(13)
    )
    busy = (it("x", area="a12", status=S.AT_RISK),)
    before = view(entry(it("x", area="a12")))
    ctx = make_ctx(
        PREP_DAY,
        settings=BIWEEKLY,
        product_areas=areas,
        roadmap_items=busy,
        roadmap_views=(before,),
    )
    text = section(ctx, "agenda")
    assert "[2 min\\] pm12: Area 12; 1 roadmap change" in text
    assert "13 PMs at 2 minutes each need 26 minutes, more than the 25" in text
    ten = make_ctx(
        PREP_DAY,
        settings=BIWEEKLY,
        product_areas=areas[3:],
        roadmap_items=busy,
        roadmap_views=(before,),
    )
    lines = section(ten, "agenda").splitlines()
    assert any("[3 min\\] pm12: Area 12; 1 roadmap change" in line for line in lines)
    assert sum("[3 min\\]" in line for line in lines) == 5  # 5 x 3 + 5 x 2 = 25
    assert "more than the 25" not in "\n".join(lines)


# --- people's part and the golden page ---------------------------------------------------


def test_actions_and_owners_are_outside_every_region(make_ctx: MakeCtx) -> None:
    children = page(make_ctx(PREP_DAY, settings=BIWEEKLY)).document.children
    headings = [c for c in children if isinstance(c, Heading)]
    assert [h.text for h in headings] == ["Actions + owners"]
    regions = [c for c in children if isinstance(c, Region)]
    assert all("Actions + owners" not in render_blocks(r.children) for r in regions)
    assert "| Action | Owner | Due |" in render(
        page(make_ctx(PREP_DAY, settings=BIWEEKLY)).document
    )


def test_golden_roadmap_review_prep(make_ctx: MakeCtx) -> None:
    base = it("RM-1", title="Usage-based pricing", end=date(2027, 1, 15))
    ledger = it("RM-2", title="Ledger v2", status=S.AT_RISK)
    reports = it("RM-3", area="reporting", title="Scheduled reports", depends_on=("RM-2",))
    guided = it(
        "RM-4",
        area="onboarding",
        title="Guided setup",
        start=date(2027, 1, 4),
        end=date(2027, 2, 26),
    )
    dropped = it("RM-5", area="onboarding", title="Legacy importer")
    before = view(
        entry(base, date_range="December 2026"),
        entry(ledger, status=S.IN_PROGRESS),
        entry(reports, depends_on=()),
        entry(dropped),
    )
    ctx = make_ctx(
        PREP_DAY,
        settings=BIWEEKLY,
        roadmap_items=(base, ledger, reports, guided),
        roadmap_views=(before,),
        decisions=(decision("D-1", date(2026, 12, 4)),),
        weekly_submissions=(
            submission("2026-W49", "ana", "billing", "Ledger migration needs a DBA from Reporting"),
        ),
        insights=(
            insight("1", "billing", date(2026, 12, 1)),
            insight("2", "reporting", date(2026, 12, 2)),
        ),
        releases=(
            Release(
                key="R-1",
                title="Report templates",
                pm="chen",
                product_area="reporting",
                launch_date=date(2026, 12, 1),
                launched=True,
            ),
        ),
    )
    rendered = render(page(ctx).document)
    path = GOLDEN / "roadmap-review-prep.md"
    if os.environ.get("OPSYNC_UPDATE_GOLDEN") == "1":
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")
