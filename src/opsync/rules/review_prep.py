"""R9 Biweekly Roadmap Review prep: the page the review meets around (pack section 3).

The pack's ritual catches roadmap drift and surfaces cross-pod dependencies in 45 minutes:
Product Ops presents what changed and the new dependencies (5), each PM walks through their
area (25, 2-3 minutes each), decisions (10), action items and owners (5). This page brings
what each part needs, and leaves room for what the meeting decides.

Decisions where the pack leaves room:

- Which reviews: the schedule of :func:`opsync.rules.dates.roadmap_reviews` (a review on a
  non-business day is held, and prepared, on the next business day). One page per review,
  keyed by its scheduled day (``roadmap-review/2026-12-08``, as the calendar event and the
  roadmap view are), generated from ``prep_days_before`` business days before the day it is
  held through that day. After the review it is no longer generated: the page stays as the
  meeting left it (the engine never deletes a page).
- "Since the last review" is from the day the previous review on the schedule was held up
  to the day before this one is held. Roadmap changes compare the items with the last view
  published before this review's day (normally the one published after the previous
  review): the same comparison the Stakeholder Roadmap View makes (:mod:`roadmap`).
- Dependencies are the ``depends_on`` keys of items still to ship (not shipped or dropped).
  One is cross-area when the two items are in different product areas, new when the
  previous view did not record it for the item (every one is new with no previous view).
  The page lists the new ones and every cross-area one; an unknown key is a finding of the
  roadmap rule (``roadmap.dependency-unknown``) and is left off the page.
- Decisions due: those whose review date is on or before the review day and that were not
  reviewed since, as the decision log rule judges a review overdue (:mod:`decisions`).
- Risks and asks: the lines of the PMs' counted weekly submissions (:mod:`weekly`) for each
  week whose update day falls in the window, with the PM and the week.
- Cross-area themes: themes of the insights received in the window that span several
  product areas, grouped and ranked as on the Monthly Insights Digest (:mod:`digest`).
- PM slots: a slot for each PM who owns a product area in rollout or launched a release in
  the window, in the areas' order. The 25 minutes give each 3 minutes while they fit, else
  3 minutes to those with the most to walk through and 2 to the others; past 12 PMs even 2
  minutes each do not fit, and the agenda says so.
- "Actions + owners" is outside every region: people fill it during the meeting and opsync
  never rewrites it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, time, timedelta

from opsync.documents.model import (
    Block,
    Document,
    Inline,
    ListItem,
    bullets,
    cell,
    heading,
    item,
    para,
    region,
    table,
    text,
)
from opsync.domain.decision import Decision
from opsync.domain.release import Release
from opsync.domain.roadmap import RoadmapItem, RoadmapStatus, RoadmapView
from opsync.domain.weekly import WeeklySubmission
from opsync.rules.context import RuleContext
from opsync.rules.dates import (
    DateWords,
    ReviewSlot,
    RoadmapReview,
    as_aware,
    clock,
    date_words,
    roadmap_review,
    roadmap_reviews,
    week_monday,
    week_plan,
)
from opsync.rules.decisions import decision_link, is_review_overdue
from opsync.rules.digest import cross_area_themes, theme_owner
from opsync.rules.output import DocumentKind, GeneratedDocument, RuleOutput
from opsync.rules.roadmap import (
    Changes,
    change_bullets,
    changes_since,
    previous_view,
    status_label,
)
from opsync.rules.weekly import counted_submissions, lines, linked
from opsync.rules.wording import counted, plural
from opsync.settings import RuleFamily

#: The pack's agenda (section 3), in minutes.
PRODUCT_OPS_MINUTES, PMS_MINUTES, DECISIONS_MINUTES, ACTIONS_MINUTES = 5, 25, 10, 5
#: "2-3 min each".
SHORT_SLOT, LONG_SLOT = 2, 3
ACTION_ROWS = 5
_DONE = (RoadmapStatus.SHIPPED, RoadmapStatus.DROPPED)


@dataclass(frozen=True)
class Window:
    """A review and the one before it: what happened from ``previous.held_on`` up to the day
    before ``review.held_on`` is news at the review."""

    review: RoadmapReview
    previous: RoadmapReview

    @property
    def key(self) -> str:
        return f"roadmap-review/{self.review.scheduled.isoformat()}"

    def contains(self, day: date) -> bool:
        return self.previous.held_on <= day < self.review.held_on


@dataclass(frozen=True)
class Dependency:
    item: RoadmapItem
    on: RoadmapItem
    cross_area: bool
    new: bool


@dataclass(frozen=True)
class Risk:
    week: str
    submission: WeeklySubmission
    line: str


@dataclass(frozen=True)
class Slot:
    """One PM's turn in the 25 minutes: the areas they own, what they launched."""

    pm: str
    areas: tuple[str, ...]
    launched: tuple[Release, ...]
    changes: int
    dependencies: int
    minutes: int = 0

    @property
    def need(self) -> int:
        """How much the PM has to walk through: changes, dependencies, launches."""
        return self.changes + self.dependencies + len(self.launched)


def evaluate(ctx: RuleContext, earlier: RuleOutput) -> RuleOutput:
    """The prep page of each review whose preparation runs today (normally one or none)."""
    if not ctx.enabled_anywhere(RuleFamily.ROADMAP):
        return RuleOutput()
    return RuleOutput(documents=tuple(build_document(ctx, w) for w in windows(ctx)))


def windows(ctx: RuleContext) -> tuple[Window, ...]:
    """The reviews whose prep page is generated today: held today or later, and today on or
    after their prep day."""
    ahead = ctx.settings.roadmap.prep_days_before
    # A review held after this day has its prep day after today.
    last = ctx.calendar.step_forward(ctx.today, ahead)
    return tuple(
        _window(ctx, review)
        for review in roadmap_reviews(ctx, ctx.today, last)
        if prep_day(ctx, review) <= ctx.today
    )


def prep_day(ctx: RuleContext, review: RoadmapReview) -> date:
    """The business day the review's page appears: ``prep_days_before`` before it is held."""
    return ctx.calendar.step_back(review.held_on, ctx.settings.roadmap.prep_days_before)


def _window(ctx: RuleContext, review: RoadmapReview) -> Window:
    interval = timedelta(days=ctx.settings.roadmap.interval_days)
    return Window(review, roadmap_review(ctx, review.scheduled - interval))


# --- what the page shows ------------------------------------------------------------------


def last_view(ctx: RuleContext, window: Window) -> RoadmapView | None:
    """The last view published before the review's day: what the roadmap looked like after
    the previous review."""
    opens = ctx.calendar.at(window.review.held_on, time(0))
    return previous_view(ctx, ReviewSlot(window.review.scheduled.isoformat(), None, opens, None))


def dependencies(ctx: RuleContext, previous: RoadmapView | None) -> list[Dependency]:
    """The dependencies of the items still to ship, on known items, in item order."""
    known = {i.key: i for i in ctx.snapshot.roadmap_items}
    recorded = {e.key: set(e.depends_on) for e in previous.entries} if previous else {}
    found: list[Dependency] = []
    for it in sorted(ctx.snapshot.roadmap_items, key=lambda i: i.key):
        if it.status in _DONE or not ctx.enabled(RuleFamily.ROADMAP, it.product_area):
            continue
        for key in dict.fromkeys(k.strip() for k in it.depends_on):
            on = known.get(key)
            if on is None or on.key == it.key:
                continue
            new = previous is None or key not in recorded.get(it.key, set())
            found.append(Dependency(it, on, on.product_area != it.product_area, new))
    return found


def decisions_due(ctx: RuleContext, window: Window) -> list[Decision]:
    """Decisions whose review falls due by the review day and has not been done."""
    # Overdue "the day after" the review is due on or before it.
    after = window.review.held_on + timedelta(days=1)
    due = [
        d
        for d in ctx.snapshot.decisions
        if ctx.enabled(RuleFamily.DECISIONS, _blank_to_none(d.product_area))
        and is_review_overdue(d, after)
    ]
    return sorted(due, key=lambda d: (d.review_date or date.min, d.key))


def risks(ctx: RuleContext, window: Window) -> list[Risk]:
    """Risk/ask lines of the weeks whose update day falls in the window, week by week."""
    found: list[Risk] = []
    monday = week_monday(window.previous.held_on)
    while monday <= window.review.held_on:
        plan = week_plan(ctx, monday)
        monday += timedelta(days=7)
        if not window.contains(plan.update_day):
            continue
        for sub in counted_submissions(ctx, plan.key):
            found.extend(Risk(plan.key, sub, line) for line in lines(sub.risks))
    return found


def launched_in(ctx: RuleContext, window: Window) -> list[Release]:
    """Releases launched in the window, by launch date: what PMs shipped since last time."""
    shipped = [
        r
        for r in ctx.snapshot.releases
        if r.launch_date is not None
        and window.contains(r.launch_date)
        and r.has_launched(ctx.today)
        and ctx.enabled(RuleFamily.ROADMAP, r.product_area)
    ]
    return sorted(shipped, key=lambda r: (r.launch_date or date.min, r.title, r.key))


def pm_slots(
    ctx: RuleContext, changes: Changes, deps: list[Dependency], launched: list[Release]
) -> list[Slot]:
    """A slot per PM who owns an area in rollout or launched something, areas' order first;
    the longer slots go to those with the most to walk through (ties: agenda order)."""
    areas: dict[str, list[str]] = {}
    for area in ctx.snapshot.product_areas:
        if ctx.enabled(RuleFamily.ROADMAP, area.key):
            areas.setdefault(area.pm, []).append(area.key)
    for release in launched:
        if release.pm is not None:
            areas.setdefault(release.pm, [])
    changed = [e.product_area for e in changes.added + changes.dropped]
    changed += [e.product_area for e, _ in changes.moved + changes.status]
    # A dependency across areas is both PMs' to explain.
    linked_areas = [(d.item.product_area, d.on.product_area) for d in deps]
    slots = [
        Slot(
            pm,
            tuple(owned),
            tuple(r for r in launched if r.pm == pm),
            sum(1 for a in changed if a in owned),
            sum(1 for pair in linked_areas if any(a in owned for a in pair)),
        )
        for pm, owned in areas.items()
    ]
    by_need = sorted(range(len(slots)), key=lambda n: (-slots[n].need, n))
    minutes = slot_minutes(len(slots))
    return [replace(s, minutes=minutes[by_need.index(n)]) for n, s in enumerate(slots)]


def slot_minutes(count: int) -> list[int]:
    """Minutes per PM, longest first, in the PMs' 25 minutes at 2-3 minutes each: 3 each
    while they fit, else as many 3s as fit with the rest at 2 (past 12 PMs, 2 each: more
    than 25 minutes, which the agenda says)."""
    if LONG_SLOT * count <= PMS_MINUTES:
        return [LONG_SLOT] * count
    longer = max(0, PMS_MINUTES - SHORT_SLOT * count)  # each long slot is one minute more
    return [LONG_SLOT] * longer + [SHORT_SLOT] * (count - longer)


def insight_themes(ctx: RuleContext, window: Window) -> list[tuple[str, str, int, str]]:
    """Cross-area themes of the insights received in the window: (name, areas, volume,
    owner)."""
    received = [
        i
        for i in sorted(ctx.snapshot.insights, key=lambda i: i.key)
        if i.received_on is not None
        and window.contains(i.received_on)
        and ctx.enabled(RuleFamily.INSIGHTS, _blank_to_none(i.product_area))
    ]
    return [
        (
            t.name,
            ", ".join(f"{_area_name(ctx, a)} ({n})" for a, n in t.areas),
            t.volume,
            theme_owner(t, ctx.snapshot),
        )
        for t in cross_area_themes(received, ctx.settings.insights.themes)
    ]


# --- the page -----------------------------------------------------------------------------


def build_document(ctx: RuleContext, window: Window) -> GeneratedDocument:
    review, previous = window.review, window.previous
    words = date_words(ctx, review.held_on)
    view = last_view(ctx, window)
    changes = changes_since(ctx, view)
    deps = [d for d in dependencies(ctx, view) if d.new or d.cross_area]
    due = decisions_due(ctx, window)
    launched = launched_in(ctx, window)
    slots = pm_slots(ctx, changes, deps, launched)
    at = ctx.settings.cadence.roadmap_review_time
    intro = para(
        f"Prepared for the Biweekly Roadmap Review on {words.prose(review.held_on)} at "
        f"{clock(at)} (45 minutes). What changed since the previous review, held on "
        f"{words.prose(previous.held_on)}, up to the day before this one."
    )
    children: list[Block] = [
        region("review-prep.intro", intro),
        region("review-prep.agenda", *_agenda(ctx, review, slots, changes, deps, due)),
        region("review-prep.changes", *_changes(ctx, changes, view, words)),
        region("review-prep.dependencies", *_dependencies(ctx, deps)),
        region("review-prep.decisions", *_decisions(ctx, due, words)),
        region("review-prep.risks", *_risks(ctx, risks(ctx, window))),
        region("review-prep.themes", *_themes(insight_themes(ctx, window))),
        *_actions(ctx),
    ]
    return GeneratedDocument(
        key=window.key,
        kind=DocumentKind.ROADMAP_REVIEW_PREP,
        document=Document(
            title=f"Biweekly Roadmap Review — {words.title(review.held_on)}",
            children=tuple(children),
        ),
    )


def _agenda(
    ctx: RuleContext,
    review: RoadmapReview,
    slots: list[Slot],
    changes: Changes,
    deps: list[Dependency],
    due: list[Decision],
) -> list[Block]:
    start = ctx.calendar.at(review.held_on, ctx.settings.cadence.roadmap_review_time)

    def at(offset: int, minutes: int) -> str:
        """``10:05 [25 min]``: when a part starts, ``offset`` minutes into the review."""
        return f"{clock((start + timedelta(minutes=offset)).timetz())} [{minutes} min]"

    count = len(changes.added) + len(changes.moved) + len(changes.dropped) + len(changes.status)
    new = sum(1 for d in deps if d.new)
    turns, offset = [], PRODUCT_OPS_MINUTES
    for slot in slots:
        turns.append(item(f"{at(offset, slot.minutes)} {_slot_words(ctx, slot)}"))
        offset += slot.minutes
    decisions_at = PRODUCT_OPS_MINUTES + PMS_MINUTES
    agenda = bullets(
        item(
            f"{at(0, PRODUCT_OPS_MINUTES)} Product Ops: changes since the last review "
            f"({counted(count, 'change')}), new dependencies ({new})"
        ),
        item(
            f"{at(PRODUCT_OPS_MINUTES, PMS_MINUTES)} PMs: what changed in their area and why",
            children=tuple(turns) or (item("No PM owns an area in the rollout yet."),),
        ),
        item(
            f"{at(decisions_at, DECISIONS_MINUTES)} Decisions: what moves, what's at risk, what "
            f"stakeholders need to know ({counted(len(due), 'decision')} due for review)"
        ),
        item(f"{at(decisions_at + DECISIONS_MINUTES, ACTIONS_MINUTES)} Action items + owners"),
    )
    blocks: list[Block] = [heading(2, "Agenda (45 minutes)"), agenda]
    used = sum(s.minutes for s in slots)
    if used > PMS_MINUTES:
        blocks.append(
            para(
                f"{counted(len(slots), 'PM')} at {SHORT_SLOT} minutes each need {used} minutes, "
                f"more than the {PMS_MINUTES} the agenda has: ask some to send their changes "
                "in writing."
            )
        )
    return blocks


def _slot_words(ctx: RuleContext, slot: Slot) -> str:
    who = ctx.snapshot.person_name(slot.pm)
    facts = []
    if slot.areas:
        facts.append(", ".join(_area_name(ctx, a) for a in slot.areas))
    if slot.changes:
        facts.append(counted(slot.changes, "roadmap change"))
    if slot.dependencies:
        facts.append(counted(slot.dependencies, "dependency", "dependencies"))
    if slot.launched:
        facts.append("launched " + ", ".join(r.title for r in slot.launched))
    return f"{who}: {'; '.join(facts)}" if facts else who


def _changes(
    ctx: RuleContext, changes: Changes, view: RoadmapView | None, words: DateWords
) -> list[Block]:
    blocks: list[Block] = [heading(2, "Roadmap changes since the last review")]
    if view is None:
        blocks.append(para("No roadmap view was published before this review: nothing to compare."))
        return blocks
    published = ctx.calendar.local_date(as_aware(view.published_at, ctx.calendar.tz))
    blocks.append(para(f"Compared with the roadmap view published on {words.prose(published)}."))
    blocks.append(change_bullets(ctx, changes))
    return blocks


def _dependencies(ctx: RuleContext, deps: list[Dependency]) -> list[Block]:
    blocks: list[Block] = [heading(2, "New and cross-area dependencies")]
    if not deps:
        blocks.append(para("No new dependency, and none across product areas."))
        return blocks
    rows: list[tuple[tuple[Inline, ...], ...]] = []
    for d in deps:
        notes = [n for n, on in (("new", d.new), ("cross-area", d.cross_area)) if on]
        rows.append(
            (
                cell(f"{d.item.title} ({_area_name(ctx, d.item.product_area)})"),
                cell(f"{d.on.title} ({_area_name(ctx, d.on.product_area)})"),
                cell(status_label(d.on.status)),
                cell(", ".join(notes)),
            )
        )
    blocks.append(table(("Item", "Depends on", "Its status", "Why it is here"), rows))
    blocks.append(para("Assign each unresolved dependency an owner under “Actions + owners”."))
    return blocks


def _decisions(ctx: RuleContext, due: list[Decision], words: DateWords) -> list[Block]:
    blocks: list[Block] = [heading(2, "Decisions due for review")]
    if not due:
        blocks.append(para("No decision is due for review by this review."))
        return blocks
    rows: list[tuple[tuple[Inline, ...], ...]] = [
        (
            cell(decision_link(ctx, d)),
            cell(ctx.snapshot.person_name(_blank_to_none(d.owner))),
            cell(words.cell(d.review_date)),
        )
        for d in due
    ]
    blocks.append(table(("Decision", "Owner", "Review date"), rows))
    blocks.append(
        para(
            f"{plural(len(due), 'Its owner brings it', 'Their owners bring them')}: record the "
            "outcome and the date reviewed in the decision log."
        )
    )
    return blocks


def _risks(ctx: RuleContext, found: list[Risk]) -> list[Block]:
    blocks: list[Block] = [heading(2, "Risks and asks from the weekly updates")]
    if not found:
        blocks.append(para("No risk or ask was flagged in a weekly update since the last review."))
        return blocks
    weeks: dict[str, list[ListItem]] = {}
    for risk in found:
        sub = risk.submission
        area = ctx.snapshot.area(sub.product_area)
        who = ctx.snapshot.person_name(sub.pm)
        source = f"{area.name} ({who})" if area else who
        weeks.setdefault(risk.week, []).append(item(f"{source}: ", *linked(risk.line)))
    blocks.append(bullets(*(item(f"{w}:", children=tuple(i)) for w, i in weeks.items())))
    return blocks


def _themes(themes: Iterable[tuple[str, str, int, str]]) -> list[Block]:
    blocks: list[Block] = [heading(2, "Cross-area insight themes")]
    entries = [
        item(text(name, bold=True), f" — {counted(volume, 'insight')}: {areas}; owner {owner}")
        for name, areas, volume, owner in themes
    ]
    if not entries:
        blocks.append(para("No insight theme since the last review spans several product areas."))
        return blocks
    blocks.append(bullets(*entries))
    return blocks


def _actions(ctx: RuleContext) -> tuple[Block, ...]:
    """People's part, outside every region: what the review decides, filled in the room."""
    hours = ctx.settings.roadmap.publish_within_hours
    empty: tuple[tuple[Inline, ...], ...] = (cell(""), cell(""), cell(""))
    return (
        heading(2, "Actions + owners"),
        para(
            "Filled in during the review: roadmap changes ratified, dependency resolutions "
            f"assigned. Product Ops publishes the updated Stakeholder Roadmap View within "
            f"{hours} hours."
        ),
        table(("Action", "Owner", "Due"), [empty] * ACTION_ROWS),
    )


def _area_name(ctx: RuleContext, key: str | None) -> str:
    if key is None:
        return "across product areas"
    area = ctx.snapshot.area(key)
    return area.name if area else key


def _blank_to_none(value: str | None) -> str | None:
    return value if value and value.strip() else None
