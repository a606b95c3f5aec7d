"""R4 Stakeholder Roadmap View: this quarter and next, as ranges, with what changed.

Sales, CS and Support read this page instead of pinging PMs, so it promises no day: every
date is worded as a range (:mod:`opsync.rules.dates`), only the stakeholder description is
shown (the internal one never leaves the tracker) and dropped items appear only in "What
changed". Roadmap content is the Head of Product's; the page is entirely opsync's layout of it.

Decisions where the pack leaves room:

- Quarters are calendar quarters of today. An item lands in the quarter of its end date (its
  start when there is no end; its ``quarter`` field when it has no dates); the view shows the
  items landing in the current or the next quarter, shipped ones included.
- Reviews repeat every ``interval_days`` both ways from ``first_review`` (as R5 reads it). The
  view is keyed by the latest review on or before today and due ``publish_within_hours``
  after the review ends (the cadence's review time plus its length; a review scheduled on a
  non-business day is held, and timed, on the next business day). A view published from
  the start of the review day counts for that review; "previous" is the latest view published
  before that day. With no ``first_review`` there is no review schedule: the view is keyed by
  quarter (``roadmap-view/2026-Q4``), compared with the latest view published before today,
  and never late.
- Changes compare items with the previous view's entries: added (not shown before), moved
  (the range wording changed), dropped (gone from the roadmap or status dropped) and status
  changed. A date shift inside the same wording is not news for stakeholders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby

from opsync.documents.model import (
    Block,
    Document,
    Inline,
    ListItem,
    StatusChip,
    Tone,
    bullets,
    cell,
    heading,
    item,
    para,
    region,
    table,
    text,
)
from opsync.domain.base import Collection, ref
from opsync.domain.findings import Finding, Level
from opsync.domain.roadmap import RoadmapItem, RoadmapStatus, RoadmapView, RoadmapViewEntry
from opsync.rules.context import RuleContext
from opsync.rules.dates import (
    DateWords,
    Quarter,
    ReviewSlot,
    Timing,
    as_aware,
    clock,
    date_words,
    review_slot,
    timing,
    weekday_date,
)
from opsync.rules.output import (
    DerivedValue,
    DocumentKind,
    GeneratedDocument,
    RecordSeed,
    RuleOutput,
)
from opsync.settings import RuleFamily

_STATUS: dict[RoadmapStatus, tuple[str, Tone]] = {
    RoadmapStatus.PLANNED: ("Planned", Tone.NEUTRAL),
    RoadmapStatus.IN_PROGRESS: ("In progress", Tone.BLUE),
    RoadmapStatus.AT_RISK: ("At risk", Tone.YELLOW),
    RoadmapStatus.SHIPPED: ("Shipped", Tone.GREEN),
    RoadmapStatus.DROPPED: ("Dropped", Tone.RED),
}
NO_DESCRIPTION = "Description coming soon."
_COLUMNS = ("Item", "When", "Status", "What it is")


@dataclass(frozen=True)
class Changes:
    previous: RoadmapView | None
    added: tuple[RoadmapViewEntry, ...]
    moved: tuple[tuple[RoadmapViewEntry, str], ...]
    dropped: tuple[RoadmapViewEntry, ...]
    status: tuple[tuple[RoadmapViewEntry, RoadmapStatus], ...]


def evaluate(ctx: RuleContext, earlier: RuleOutput) -> RuleOutput:
    """Item findings and ``date_range``, the view page and its lateness."""
    if not ctx.enabled_anywhere(RuleFamily.ROADMAP):
        return RuleOutput()
    slot = review_slot(ctx)
    shown = {e.key for e in view_entries(ctx)}
    findings: list[Finding] = []
    derived: dict[str, dict[str, DerivedValue]] = {}
    for it in _items(ctx):
        timing = item_timing(it)
        derived[ref(Collection.ROADMAP_ITEMS, it.key)] = {
            "date_range": timing.label if timing else None
        }
        findings.extend(_item_findings(ctx, it, timing, it.key in shown))
    publishing = not any(v.key == slot.key for v in ctx.snapshot.roadmap_views)
    findings.extend(_late_findings(ctx, slot, ctx.stamp() if publishing else None))
    page = build_document(ctx, slot)
    seeds: tuple[RecordSeed, ...] = ()
    if publishing:
        record = view_record(ctx)
        values = record.model_dump(mode="json", exclude={"key"})
        seeds = (
            RecordSeed(
                collection=Collection.ROADMAP_VIEWS, key=record.key, values=values, page=page.key
            ),
        )
    return RuleOutput(findings=tuple(findings), derived=derived, documents=(page,), seeds=seeds)


def item_timing(it: RoadmapItem) -> Timing | None:
    return timing(it.start, it.end, it.quarter)


def view_quarters(ctx: RuleContext) -> tuple[Quarter, Quarter]:
    current = Quarter.of(ctx.today)
    return current, current.next()


@dataclass(frozen=True)
class _Shown:
    quarter: Quarter
    item: RoadmapItem
    entry: RoadmapViewEntry


def _shown(ctx: RuleContext) -> list[_Shown]:
    """The items on the current view, in page order (quarter, area, start, title)."""
    quarters = view_quarters(ctx)
    order = {a.key: n for n, a in enumerate(ctx.snapshot.product_areas)}
    rows: list[tuple[tuple[Quarter, int, str, date, str, str], _Shown]] = []
    for it in _items(ctx):
        timing = item_timing(it)
        if it.status == RoadmapStatus.DROPPED or timing is None or timing.quarter not in quarters:
            continue
        area = it.product_area or ""
        rank = order.get(area, len(order) + (0 if it.product_area else 1))
        sort = (timing.quarter, rank, area, timing.sort, it.title, it.key)
        rows.append((sort, _Shown(timing.quarter, it, _entry(it, timing))))
    return [shown for _, shown in sorted(rows, key=lambda r: r[0])]


def view_entries(ctx: RuleContext) -> tuple[RoadmapViewEntry, ...]:
    """What the current view shows, in page order."""
    return tuple(s.entry for s in _shown(ctx))


def view_record(ctx: RuleContext, published_at: datetime | None = None) -> RoadmapView:
    """The RoadmapView record of the current view, for the engine to store on publishing so
    the next view can say what changed; ``published_at`` defaults to the run's clock."""
    key = review_slot(ctx).key
    return RoadmapView(key=key, published_at=published_at or ctx.stamp(), entries=view_entries(ctx))


def previous_view(ctx: RuleContext, slot: ReviewSlot) -> RoadmapView | None:
    earlier = [v for v in ctx.snapshot.roadmap_views if _aware(ctx, v.published_at) < slot.opens]
    return max(earlier, key=lambda v: (_aware(ctx, v.published_at), v.key), default=None)


def changes_since(ctx: RuleContext, previous: RoadmapView | None) -> Changes:
    current = {e.key: e for e in view_entries(ctx)}
    if previous is None:
        return Changes(None, (), (), (), ())
    items = {it.key: it for it in _items(ctx)}
    before = {e.key for e in previous.entries}
    moved: list[tuple[RoadmapViewEntry, str]] = []
    dropped: list[RoadmapViewEntry] = []
    status: list[tuple[RoadmapViewEntry, RoadmapStatus]] = []
    for old in sorted(previous.entries, key=lambda e: (e.title, e.key)):
        it = items.get(old.key)
        if it is None or it.status == RoadmapStatus.DROPPED:
            dropped.append(old)
            continue
        timing = item_timing(it)
        now = _entry(it, timing) if timing else old.model_copy(update={"title": it.title})
        if now.date_range != old.date_range:
            moved.append((now, old.date_range))
        if it.status != old.status:
            status.append((now, old.status))
    added = tuple(e for e in current.values() if e.key not in before)
    return Changes(previous, added, tuple(moved), tuple(dropped), tuple(status))


# --- the page ---------------------------------------------------------------------------


def build_document(ctx: RuleContext, slot: ReviewSlot) -> GeneratedDocument:
    current, following = view_quarters(ctx)
    words = date_words(ctx, slot.review)
    if slot.review is not None:
        title = f"Stakeholder Roadmap View — {words.title(slot.review)}"
    else:
        title = f"Stakeholder Roadmap View — {current.label}"
    intro: list[Block] = [
        para(
            f"What is planned for {current.label} (this quarter) and {following.label} (next "
            "quarter), by product area. Dates are ranges, not commitments: when one moves, "
            "the next view says so under “What changed”."
        )
    ]
    if slot.review is not None:
        intro.append(para(f"Updated after the Roadmap Review of {words.prose(slot.review)}."))
    children: list[Block] = [
        region("roadmap.intro", *intro),
        _changes_region(ctx, changes_since(ctx, previous_view(ctx, slot)), words),
    ]
    for quarter, when in ((current, "this quarter"), (following, "next quarter")):
        children.append(_quarter_region(ctx, quarter, when))
    return GeneratedDocument(
        key=slot.document_key,
        kind=DocumentKind.ROADMAP_VIEW,
        document=Document(title=title, children=tuple(children)),
        record=ref(Collection.ROADMAP_VIEWS, slot.key),
    )


def _changes_region(ctx: RuleContext, changes: Changes, words: DateWords) -> Block:
    blocks: list[Block] = [heading(2, "What changed since the previous view")]
    if changes.previous is None:
        blocks.append(para("This is the first published view, so there is nothing to compare."))
        return region("roadmap.changes", *blocks)
    published = ctx.calendar.local_date(_aware(ctx, changes.previous.published_at))
    blocks.append(para(f"Compared with the view published on {words.prose(published)}."))
    blocks.append(change_bullets(ctx, changes))
    return region("roadmap.changes", *blocks)


def change_bullets(ctx: RuleContext, changes: Changes) -> Block:
    """Added, moved, dropped and status changes as a list, each group said even when empty
    (a review wants to hear "nothing dropped"): the view and the review prep page show it."""
    worded = (
        ("Added", [(e, e.date_range) for e in changes.added]),
        ("Moved", [(e, f"from {old} to {e.date_range}") for e, old in changes.moved]),
        ("Dropped", [(e, "no longer on the roadmap") for e in changes.dropped]),
        (
            "Status changed",
            [(e, f"{status_label(old)} → {status_label(e.status)}") for e, old in changes.status],
        ),
    )
    groups = [
        item(f"{label}:", children=tuple(_change(ctx, e, what) for e, what in pairs))
        if pairs
        else item(f"{label}: none")
        for label, pairs in worded
    ]
    return bullets(*groups)


def status_label(status: RoadmapStatus) -> str:
    return _STATUS[status][0]


def _change(ctx: RuleContext, entry: RoadmapViewEntry, what: str) -> ListItem:
    return item(f"{entry.title} ({_area_name(ctx, entry.product_area)}) — {what}")


def _quarter_region(ctx: RuleContext, quarter: Quarter, when: str) -> Block:
    blocks: list[Block] = [heading(2, f"{quarter.label} — {when}")]
    shown = [s for s in _shown(ctx) if s.quarter == quarter]
    if not shown:
        blocks.append(para("Nothing on the roadmap for this quarter yet."))
    for area, group in groupby(shown, key=lambda s: s.item.product_area):
        rows = [_row(s) for s in group]
        blocks.extend((heading(3, _area_name(ctx, area)), table(_COLUMNS, rows)))
    return region(f"roadmap.quarter.{quarter.key}", *blocks)


def _row(shown: _Shown) -> tuple[tuple[Inline, ...], ...]:
    label, tone = _STATUS[shown.entry.status]
    description = shown.item.stakeholder_description.strip()
    return (
        cell(shown.entry.title),
        cell(shown.entry.date_range),
        cell(StatusChip(label=label, tone=tone)),
        cell(description) if description else cell(text(NO_DESCRIPTION, italic=True)),
    )


# --- findings ---------------------------------------------------------------------------


def _item_findings(
    ctx: RuleContext, it: RoadmapItem, timing: Timing | None, shown: bool
) -> list[Finding]:
    if it.status == RoadmapStatus.DROPPED:
        return []
    name, owner = f"Roadmap item “{it.title}”", _owner(ctx, it)
    off_view = "so it is not on the Stakeholder Roadmap View"
    found: list[tuple[str, str | None, str]] = []
    if it.quarter and Quarter.parse(it.quarter) is None and timing is None:
        found.append(
            (
                "roadmap.quarter-invalid",
                "quarter",
                f"{name} has target quarter “{it.quarter}”, which is not a quarter, {off_view}. "
                f"{owner}: write it like 2027-Q1 or set start/end dates.",
            )
        )
    elif timing is None and it.status != RoadmapStatus.SHIPPED:
        found.append(
            (
                "roadmap.timing-missing",
                None,
                f"{name} has no dates and no target quarter, {off_view}. {owner}: set "
                "start/end dates or a quarter such as 2027-Q1.",
            )
        )
    if it.start and it.end and it.end < it.start:
        found.append(
            (
                "roadmap.dates-inverted",
                "end",
                f"{name} ends ({it.end.isoformat()}) before it starts ({it.start.isoformat()}); "
                f"the view reads them in date order. {owner}: correct the dates.",
            )
        )
    if shown and not it.stakeholder_description.strip():
        found.append(
            (
                "roadmap.stakeholder-description-missing",
                "stakeholder_description",
                f"{name} has no stakeholder description, so the Stakeholder Roadmap View says "
                f"“{NO_DESCRIPTION}” (the internal description is never shown). {owner}: "
                "write one or two plain-language sentences for Sales, CS and Support.",
            )
        )
    known = {i.key for i in ctx.snapshot.roadmap_items}
    for key in dict.fromkeys(k.strip() for k in it.depends_on if k.strip() not in {*known, ""}):
        found.append(
            (
                "roadmap.dependency-unknown",
                "depends_on",
                f"{name} depends on “{key}”, which is not the key of any roadmap item, so the "
                f"Roadmap Review prep page cannot show that dependency. {owner}: write the key "
                "of the item it needs (the key of its record, like RM-107) or remove it.",
            )
        )
    record = ref(Collection.ROADMAP_ITEMS, it.key)
    return [Finding(code=c, record=record, field=f, message=m) for c, f, m in found]


def _late_findings(
    ctx: RuleContext, slot: ReviewSlot, publishing: datetime | None
) -> list[Finding]:
    """``publishing``: when this run publishes the view (its log is written with the page),
    so the finding says what the next run will read, rather than "publish it now"."""
    if slot.review is None or slot.due is None or not ctx.after(slot.due):
        return []
    logged = (_aware(ctx, v.published_at) for v in ctx.snapshot.roadmap_views)
    published = sorted(at for at in (*logged, publishing) if at is not None and at >= slot.opens)
    if published and published[0] <= slot.due:
        return []
    due = ctx.calendar.localize(slot.due)
    message = (
        f"The Stakeholder Roadmap View for the Roadmap Review of {weekday_date(slot.review)} "
        f"was due by {weekday_date(due.date())} at {clock(due.time())} and "
    )
    if published:
        when = ctx.calendar.localize(published[0])
        message += (
            f"was published late, on {weekday_date(when.date())} at {clock(when.time())}. "
            "Product Ops: publish the next one within a day of its review."
        )
    else:
        message += f"has not been published. Product Ops: publish {slot.document_key} now."
    return [
        Finding(
            code="roadmap.view-late",
            record=ref(Collection.ROADMAP_VIEWS, slot.key),
            field="published_at",
            level=Level.WARNING if published else Level.ERROR,
            due=None if published else due.date(),
            message=message,
        )
    ]


# --- helpers ----------------------------------------------------------------------------


def _items(ctx: RuleContext) -> list[RoadmapItem]:
    return sorted(
        (i for i in ctx.snapshot.roadmap_items if ctx.enabled(RuleFamily.ROADMAP, i.product_area)),
        key=lambda i: i.key,
    )


def _entry(it: RoadmapItem, timing: Timing) -> RoadmapViewEntry:
    return RoadmapViewEntry(
        key=it.key,
        title=it.title.strip() or it.key,
        date_range=timing.label,
        status=it.status,
        product_area=it.product_area,
        depends_on=it.depends_on,
    )


def _area_name(ctx: RuleContext, key: str | None) -> str:
    if key is None:
        return "Across product areas"
    area = ctx.snapshot.area(key)
    return area.name if area else key


def _owner(ctx: RuleContext, it: RoadmapItem) -> str:
    area = ctx.snapshot.area(it.product_area)
    if area is None:
        return "Its PM"
    return f"{ctx.snapshot.person_name(area.pm)} ({area.name} PM)"


def _aware(ctx: RuleContext, instant: datetime) -> datetime:
    return as_aware(instant, ctx.calendar.tz)
