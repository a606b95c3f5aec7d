"""R4 Stakeholder Roadmap View: quarters, range wording, stakeholder-only text, what changed
since the previous published view, the review schedule and late publication."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

from conftest import MakeCtx, ny
from opsync.documents.markdown import render
from opsync.domain import (
    Collection,
    Finding,
    Level,
    RoadmapItem,
    RoadmapStatus,
    RoadmapView,
    RoadmapViewEntry,
    ref,
)
from opsync.rules.context import RuleContext
from opsync.rules.dates import review_slot
from opsync.rules.output import DocumentKind, RuleOutput
from opsync.rules.roadmap import changes_since, evaluate, previous_view, view_entries, view_record
from opsync.settings import RoadmapSettings, RolloutPhase, RuleFamily, Settings

GOLDEN = Path(__file__).parent.parent / "golden"
NOTHING = RuleOutput()
S = RoadmapStatus
BIWEEKLY = Settings(roadmap=RoadmapSettings(first_review=date(2026, 11, 17)))  # ... Dec 1, 15


def it(key: str, start: date | None, end: date | None, **fields: object) -> RoadmapItem:
    values: dict[str, object] = {
        "title": f"Item {key}",
        "product_area": "billing",
        "stakeholder_description": f"What {key} means for customers.",
    }
    values.update(fields)
    return RoadmapItem(key=key, start=start, end=end, **values)


def entry(key: str, date_range: str, status: S = S.PLANNED, **fields: object) -> RoadmapViewEntry:
    values: dict[str, object] = {"title": f"Item {key}", "product_area": "billing"}
    values.update(fields)
    return RoadmapViewEntry(key=key, date_range=date_range, status=status, **values)


def view(published_at: datetime, *entries: RoadmapViewEntry, key: str = "v") -> RoadmapView:
    return RoadmapView(key=key, published_at=published_at, entries=entries)


def codes(out: RuleOutput, code: str) -> list[Finding]:
    return [f for f in out.findings if f.code == code]


def page_text(out: RuleOutput) -> str:
    (page,) = out.documents
    return render(page.document)


# --- quarters and wording ---------------------------------------------------------------


def test_current_and_next_calendar_quarter_at_quarter_ends(make_ctx: MakeCtx) -> None:
    items = (
        it("q1", date(2027, 3, 1), date(2027, 3, 20)),
        it("q2", date(2027, 4, 1), date(2027, 6, 30)),
        it("q3", date(2027, 7, 1), date(2027, 7, 9)),
    )
    march_31 = [e.key for e in view_entries(make_ctx(ny(2027, 3, 31, 23), roadmap_items=items))]
    april_1 = [e.key for e in view_entries(make_ctx(ny(2027, 4, 1, 0, 30), roadmap_items=items))]
    assert march_31 == ["q1", "q2"]
    assert april_1 == ["q2", "q3"]


def test_year_end_shows_q4_and_next_years_q1(make_ctx: MakeCtx) -> None:
    items = (
        it("dec", date(2026, 12, 21), date(2027, 1, 8)),
        it("feb", None, date(2027, 2, 15)),
        it("apr", date(2027, 4, 2), None),
    )
    out = evaluate(make_ctx(ny(2026, 12, 31, 12), roadmap_items=items), NOTHING)
    text = page_text(out)
    assert "## Q4 2026 — this quarter" in text
    assert "## Q1 2027 — next quarter" in text
    q1 = text.split("## Q1 2027 — next quarter")[1]
    assert "| Item dec | late December 2026 – early January 2027 |" in q1
    assert "| Item feb | mid February 2027 |" in q1
    assert "Item apr" not in text
    assert "Nothing on the roadmap for this quarter yet." in text.split("## Q1 2027")[0]


def test_dates_are_ranges_never_days(make_ctx: MakeCtx) -> None:
    items = (
        it("a", date(2027, 3, 2), date(2027, 3, 15)),
        it("b", date(2027, 3, 25), date(2027, 4, 6)),
        it("c", None, None, quarter="2027-Q1"),
        it("d", date(2027, 2, 14), date(2027, 2, 14)),
    )
    out = evaluate(make_ctx(ny(2027, 1, 10, 9), roadmap_items=items), NOTHING)
    when = {
        e.key: e.date_range for e in view_entries(make_ctx(ny(2027, 1, 10, 9), roadmap_items=items))
    }
    assert when == {
        "a": "early–mid March 2027",
        "b": "late March – early April 2027",
        "c": "Q1 2027",
        "d": "mid February 2027",
    }
    text = page_text(out)
    assert "2027-03-02" not in text
    assert "14" not in text.split("## Q1 2027")[1].replace("2027-Q1", "")
    assert out.derived[ref(Collection.ROADMAP_ITEMS, "b")] == {
        "date_range": "late March – early April 2027"
    }


def test_grouped_by_quarter_then_area_in_config_order(make_ctx: MakeCtx) -> None:
    items = (
        it("r", date(2027, 1, 5), None, product_area="reporting"),
        it("x", date(2027, 1, 5), None, product_area=None),
        it("b2", date(2027, 2, 5), None),
        it("b1", date(2027, 1, 5), None),
        it("o", date(2026, 12, 5), None, product_area="onboarding"),
    )
    ctx = make_ctx(ny(2026, 12, 1, 9), roadmap_items=items)
    assert [e.key for e in view_entries(ctx)] == ["o", "b1", "b2", "r", "x"]
    q1 = page_text(evaluate(ctx, NOTHING)).split("## Q1 2027")[1]
    headings = [line for line in q1.splitlines() if line.startswith("### ")]
    assert headings == ["### Billing", "### Reporting", "### Across product areas"]


# --- stakeholder text only --------------------------------------------------------------


def test_missing_stakeholder_description_never_leaks_internal_text(make_ctx: MakeCtx) -> None:
    secret = "INTERNAL: blocked on the query engine rewrite"
    items = (
        it(
            "dash",
            date(2027, 2, 22),
            date(2027, 3, 12),
            stakeholder_description=" ",
            internal_description=secret,
        ),
        it("later", date(2027, 9, 1), None, stakeholder_description=""),
    )
    out = evaluate(make_ctx(ny(2026, 12, 1, 9), roadmap_items=items), NOTHING)
    text = page_text(out)
    assert secret not in text
    assert all(secret not in f.message for f in out.findings)
    assert (
        "| Item dash | late February – mid March 2027 | ⚪ **Planned** | *Description coming"
        in text
    )
    (finding,) = codes(out, "roadmap.stakeholder-description-missing")
    assert finding.record == ref(Collection.ROADMAP_ITEMS, "dash")
    assert finding.field == "stakeholder_description"
    assert "Chen Li" not in finding.message and "Ana Ruiz" in finding.message


def test_dropped_items_appear_only_in_changes(make_ctx: MakeCtx) -> None:
    items = (it("gone", date(2026, 12, 1), date(2026, 12, 5), status=S.DROPPED),)
    before = view(ny(2026, 11, 18, 12), entry("gone", "early December 2026"))
    ctx = make_ctx(ny(2026, 12, 2, 9), BIWEEKLY, roadmap_items=items, roadmap_views=(before,))
    text = page_text(evaluate(ctx, NOTHING))
    changes, tables = text.split("## Q4 2026")
    assert "- Dropped:\n  - Item gone (Billing) — no longer on the roadmap" in changes
    assert "Item gone" not in tables
    assert view_entries(ctx) == ()


def test_data_problems_are_findings(make_ctx: MakeCtx) -> None:
    items = (
        it("nodates", None, None),
        it("badq", None, None, quarter="spring"),
        it("inverted", date(2027, 1, 20), date(2027, 1, 5)),
        it("shipped-nodates", None, None, status=S.SHIPPED),
        it("dropped-nodates", None, None, status=S.DROPPED),
    )
    out = evaluate(make_ctx(ny(2026, 12, 1, 9), roadmap_items=items), NOTHING)
    assert [f.record for f in codes(out, "roadmap.timing-missing")] == [
        ref(Collection.ROADMAP_ITEMS, "nodates")
    ]
    (bad,) = codes(out, "roadmap.quarter-invalid")
    assert (bad.record, bad.field) == (ref(Collection.ROADMAP_ITEMS, "badq"), "quarter")
    (inverted,) = codes(out, "roadmap.dates-inverted")
    assert inverted.field == "end"
    assert [
        e.date_range for e in view_entries(make_ctx(ny(2026, 12, 1, 9), roadmap_items=items))
    ] == ["early–mid January 2027"]


def test_rollout_skips_items_of_areas_not_yet_enabled(make_ctx: MakeCtx) -> None:
    pilot = Settings(
        rollout=(
            RolloutPhase(
                name="pilot",
                starts_on=date(2026, 11, 1),
                areas=("onboarding",),
                rules=(RuleFamily.ROADMAP,),
            ),
        )
    )
    items = (
        it("b", date(2027, 1, 5), None, stakeholder_description=""),
        it("o", date(2027, 1, 5), None, product_area="onboarding"),
    )
    ctx = make_ctx(ny(2026, 12, 1, 9), pilot, roadmap_items=items)
    out = evaluate(ctx, NOTHING)
    assert [e.key for e in view_entries(ctx)] == ["o"]
    assert out.findings == ()
    assert ref(Collection.ROADMAP_ITEMS, "b") not in out.derived


# --- what changed -----------------------------------------------------------------------


def test_changes_added_moved_dropped_and_status(make_ctx: MakeCtx) -> None:
    items = (
        it("same", date(2027, 1, 5), date(2027, 1, 9)),
        it("shifted-within", date(2027, 1, 2), date(2027, 1, 8)),
        it("moved", date(2027, 3, 25), date(2027, 4, 6)),
        it("moved-out", date(2027, 7, 1), date(2027, 7, 9)),
        it("at-risk", date(2027, 2, 1), None, status=S.AT_RISK),
        it("new", date(2027, 2, 15), None),
        it("dropped-now", date(2027, 1, 5), None, status=S.DROPPED),
    )
    previous = view(
        ny(2026, 11, 18, 12),
        entry("same", "early January 2027"),
        entry("shifted-within", "early January 2027"),
        entry("moved", "early–mid March 2027"),
        entry("moved-out", "late March 2027"),
        entry("at-risk", "early February 2027"),
        entry("dropped-now", "early January 2027"),
        entry("removed", "mid January 2027", title="Removed thing", product_area="onboarding"),
    )
    ctx = make_ctx(ny(2026, 12, 2, 9), BIWEEKLY, roadmap_items=items, roadmap_views=(previous,))
    changes = changes_since(ctx, previous)
    assert [e.key for e in changes.added] == ["new"]
    assert [(e.key, old, e.date_range) for e, old in changes.moved] == [
        ("moved", "early–mid March 2027", "late March – early April 2027"),
        ("moved-out", "late March 2027", "early July 2027"),
    ]
    assert [e.key for e in changes.dropped] == ["dropped-now", "removed"]
    assert [(e.key, old, e.status) for e, old in changes.status] == [
        ("at-risk", S.PLANNED, S.AT_RISK)
    ]
    text = page_text(evaluate(ctx, NOTHING))
    assert "Compared with the view published on Wednesday, November 18." in text
    assert (
        "  - Item moved (Billing) — from early–mid March 2027 to late March – early April 2027"
        in text
    )
    assert "  - Removed thing (Onboarding) — no longer on the roadmap" in text
    assert "  - Item at-risk (Billing) — Planned → At risk" in text


def test_first_view_has_nothing_to_compare(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(ny(2026, 12, 2, 9), BIWEEKLY, roadmap_items=(it("a", date(2027, 1, 5), None),))
    text = page_text(evaluate(ctx, NOTHING))
    assert "This is the first published view, so there is nothing to compare." in text
    assert "- Added:" not in text


def test_previous_view_is_the_latest_published_before_the_review_day(make_ctx: MakeCtx) -> None:
    older = view(ny(2026, 11, 4, 12), key="older")
    latest = view(ny(2026, 11, 18, 12), key="latest")
    this_review = view(ny(2026, 12, 1, 15), key="this-review")
    views = (older, this_review, latest)
    ctx = make_ctx(ny(2026, 12, 2, 9), BIWEEKLY, roadmap_views=views)
    previous = previous_view(ctx, review_slot(ctx))
    assert previous is not None and previous.key == "latest"


def test_unchanged_roadmap_reports_no_changes(make_ctx: MakeCtx) -> None:
    items = (it("a", date(2027, 1, 5), None),)
    ctx = make_ctx(ny(2026, 12, 2, 9), BIWEEKLY, roadmap_items=items)
    record = view_record(ctx, published_at=ny(2026, 11, 18, 12))
    later = make_ctx(ny(2026, 12, 16, 9), BIWEEKLY, roadmap_items=items, roadmap_views=(record,))
    text = page_text(evaluate(later, NOTHING))
    for group in ("Added", "Moved", "Dropped", "Status changed"):
        assert f"- {group}: none" in text


# --- review schedule, keys and lateness -------------------------------------------------


def test_view_keyed_by_the_latest_review_on_or_before_today(make_ctx: MakeCtx) -> None:
    on_review_day = evaluate(make_ctx(ny(2026, 12, 1, 8), BIWEEKLY), NOTHING)
    day_before_next = evaluate(make_ctx(ny(2026, 12, 14, 23), BIWEEKLY), NOTHING)
    before_first = Settings(roadmap=RoadmapSettings(first_review=date(2026, 12, 15)))
    earlier_cycle = evaluate(make_ctx(ny(2026, 12, 2, 9), before_first), NOTHING)
    assert on_review_day.documents[0].key == "roadmap-view/2026-12-01"
    assert on_review_day.documents[0].kind == DocumentKind.ROADMAP_VIEW
    assert day_before_next.documents[0].key == "roadmap-view/2026-12-01"
    assert earlier_cycle.documents[0].key == "roadmap-view/2026-12-01"
    assert (
        on_review_day.documents[0].document.title == "Stakeholder Roadmap View — December 1, 2026"
    )


def test_view_due_24_hours_after_the_review_ends(make_ctx: MakeCtx) -> None:
    # Review Tue 2026-12-01 10:00-10:45 (cadence defaults): due Wed 2026-12-02 10:45.
    def late(now: datetime, *views: RoadmapView) -> list[Finding]:
        out = evaluate(make_ctx(now, BIWEEKLY, roadmap_views=views), NOTHING)
        return codes(out, "roadmap.view-late")

    assert late(ny(2026, 12, 2, 10, 45)) == []
    # The first run after the deadline publishes the view, late: it says so as the next run
    # will read it, not "publish it now" (the action list would change for nothing).
    (now_late,) = late(ny(2026, 12, 2, 10, 46))
    assert now_late.record == ref(Collection.ROADMAP_VIEWS, "2026-12-01")
    assert now_late.level == Level.WARNING and now_late.due is None
    assert "published late, on Wednesday, December 2, 2026 at 10:46" in now_late.message
    assert late(ny(2026, 12, 3, 9), view(ny(2026, 12, 1, 15))) == []
    assert late(ny(2026, 12, 3, 9), view(ny(2026, 12, 1, 9, 30))) == []  # same day, early
    # its log says it was published before the review day: not this review's view
    (stale,) = late(ny(2026, 12, 3, 9), view(ny(2026, 11, 30, 17), key="2026-12-01"))
    assert stale.level == Level.ERROR and stale.due == date(2026, 12, 2)
    assert "publish roadmap-view/2026-12-01 now" in stale.message
    (tardy,) = late(ny(2026, 12, 3, 9), view(ny(2026, 12, 2, 12)))
    assert tardy.level == Level.WARNING
    assert "published late, on Wednesday, December 2, 2026 at 12:00" in tardy.message


def test_hours_are_real_hours_across_the_dst_change(make_ctx: MakeCtx) -> None:
    # Review Fri 2026-10-30 10:00-10:45 EDT (14:45 UTC); DST ends Sunday 2026-11-01, so 48
    # real hours later is 09:45 EST on Sunday, not 10:45.
    roadmap = RoadmapSettings(first_review=date(2026, 10, 30), publish_within_hours=48)
    slot = review_slot(make_ctx(ny(2026, 11, 1, 9), Settings(roadmap=roadmap)))
    assert slot.due == datetime(2026, 11, 1, 14, 45, tzinfo=UTC)
    assert slot.due == ny(2026, 11, 1, 9, 45)


def test_review_on_a_holiday_is_held_and_timed_on_the_next_business_day(
    make_ctx: MakeCtx,
) -> None:
    # Scheduled Thanksgiving (Thu 2026-11-26): held Fri 2026-11-27, view due Sat 10:45.
    thanksgiving = Settings(roadmap=RoadmapSettings(first_review=date(2026, 11, 26)))
    slot = review_slot(make_ctx(ny(2026, 11, 27, 9), thanksgiving))
    assert (slot.key, slot.review) == ("2026-11-26", date(2026, 11, 27))
    assert slot.due == ny(2026, 11, 28, 10, 45)
    friday_noon = evaluate(make_ctx(ny(2026, 11, 27, 12), thanksgiving), NOTHING)
    assert codes(friday_noon, "roadmap.view-late") == []
    assert friday_noon.documents[0].key == "roadmap-view/2026-11-26"
    assert "Roadmap Review of Friday, November 27" in page_text(friday_noon)


def test_no_schedule_keys_by_quarter_and_is_never_late(make_ctx: MakeCtx) -> None:
    old = view(ny(2026, 10, 2, 12), entry("a", "early January 2027"))
    items = (it("a", date(2027, 1, 5), None), it("b", date(2027, 2, 5), None))
    out = evaluate(
        make_ctx(ny(2026, 12, 20, 9), roadmap_items=items, roadmap_views=(old,)), NOTHING
    )
    (page,) = out.documents
    assert page.key == "roadmap-view/2026-Q4"
    assert page.document.title == "Stakeholder Roadmap View — Q4 2026"
    assert codes(out, "roadmap.view-late") == []
    assert "  - Item b (Billing) — early February 2027" in render(page.document)


def test_view_record_holds_the_entries_for_the_next_comparison(make_ctx: MakeCtx) -> None:
    items = (
        it("a", date(2027, 1, 5), date(2027, 1, 16), status=S.IN_PROGRESS),
        it("gone", date(2027, 1, 5), None, status=S.DROPPED),
    )
    ctx = make_ctx(ny(2026, 12, 2, 9), BIWEEKLY, roadmap_items=items)
    record = view_record(ctx)
    assert record.key == "2026-12-01"
    assert record.published_at == ctx.now
    assert record.entries == (
        RoadmapViewEntry(
            key="a",
            title="Item a",
            date_range="early–mid January 2027",
            status=S.IN_PROGRESS,
            product_area="billing",
        ),
    )


def test_nothing_when_the_family_is_off_everywhere(make_ctx: MakeCtx) -> None:
    other = Settings(
        rollout=(RolloutPhase(name="p", starts_on=date(2026, 1, 1), rules=(RuleFamily.TIERS,)),)
    )
    assert evaluate(make_ctx(ny(2026, 12, 2, 9), other), NOTHING) == RuleOutput()


# --- golden -----------------------------------------------------------------------------


def golden_context(make_ctx: MakeCtx) -> RuleContext:
    items = (
        it(
            "i1",
            date(2026, 11, 23),
            date(2026, 12, 9),
            title="Usage alerts",
            status=S.IN_PROGRESS,
            stakeholder_description="Customers get an email when usage nears their plan limit.",
            internal_description="Kafka consumer on the metering topic",
        ),
        it(
            "i2",
            date(2027, 1, 5),
            date(2027, 1, 16),
            title="Invoice redesign",
            stakeholder_description="Clearer invoices with line items grouped by product.",
        ),
        it(
            "i3",
            date(2026, 12, 14),
            date(2027, 1, 8),
            title="Single sign-on",
            product_area="onboarding",
            status=S.AT_RISK,
            stakeholder_description="Log in with Okta or Azure AD.",
        ),
        it(
            "i4",
            None,
            None,
            title="Guided setup v3",
            product_area="onboarding",
            quarter="2027-Q1",
            stakeholder_description="A setup checklist that adapts to the customer's plan.",
        ),
        it(
            "i5",
            date(2026, 10, 1),
            date(2026, 12, 31),
            title="Scheduled reports",
            product_area="reporting",
            status=S.SHIPPED,
            stakeholder_description="Email any report on a schedule.",
        ),
        it(
            "i6",
            date(2027, 2, 22),
            date(2027, 3, 12),
            title="Custom dashboards",
            product_area="reporting",
            stakeholder_description="",
            internal_description="INTERNAL: needs the new query engine",
        ),
        it(
            "i7",
            date(2026, 12, 1),
            date(2026, 12, 5),
            title="Legacy CSV import",
            product_area="onboarding",
            status=S.DROPPED,
        ),
        it(
            "i8",
            date(2027, 4, 5),
            date(2027, 4, 30),
            title="Data warehouse sync",
            product_area="reporting",
            stakeholder_description="Sync reports to Snowflake.",
        ),
    )
    previous = view(
        ny(2026, 11, 18, 12),
        entry("i1", "late November – early December 2026", title="Usage alerts"),
        entry("i3", "early–mid December 2026", S.AT_RISK, title="Single sign-on"),
        entry("i5", "Q4 2026", S.SHIPPED, title="Scheduled reports", product_area="reporting"),
        entry("i7", "early December 2026", title="Legacy CSV import", product_area="onboarding"),
        entry("i8", "late March 2027", title="Data warehouse sync", product_area="reporting"),
        key="2026-11-17",
    )
    return make_ctx(ny(2026, 12, 2, 9), BIWEEKLY, roadmap_items=items, roadmap_views=(previous,))


def test_golden_roadmap_view(make_ctx: MakeCtx) -> None:
    out = evaluate(golden_context(make_ctx), NOTHING)
    (page,) = out.documents
    rendered = render(page.document)
    assert "INTERNAL" not in rendered and "Kafka" not in rendered
    assert_golden("roadmap-view.md", rendered)


def assert_golden(name: str, rendered: str) -> None:
    path = GOLDEN / name
    if os.environ.get("OPSYNC_UPDATE_GOLDEN") == "1":
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")
