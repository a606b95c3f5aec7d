"""R9 Quarterly Planning/QBR pack (pack sections 3, 7 and 8): the page the Head of Product,
the PMs, the Eng leads, the Sales/CS/Support leads and Product Ops bring to the half-day
Quarterly Planning/QBR, whose outputs are "quarterly plan + Product Ops retrospective +
updated friction list".

The meeting is held on the first business day of each quarter
(``[rules.cadence] quarter_start_months``; the day is :func:`opsync.rules.cadence.planning_day`,
the calendar event's own). Its pack ``qbr/<year>-Q<n>``, named after the quarter being
planned, is published ``qbr_pack_days_before`` (5) business days before the meeting and
kept up to date through the meeting day; after it, opsync no longer writes it and it stays
as people left it.

What opsync writes, in owned regions: the scorecard with its trend as the scorecard rule
measured it this run (the pack measures from Day 0, so it is the quarter just ending's
standing), ritual adoption per component, enablement coverage per product area for the
Tier 2/3 launches of the quarter just ending, the ranked top-frictions list with the rituals
reducing each and every ritual that reduces none flagged as a candidate for pruning (pack
section 8), and the requests to Product Ops triaged in the quarter just ending (a request
counts on its ``triaged_on``, else on its ``received_on``). What people write, outside them:
the Product Ops retrospective (the pack's Week 12 prompts) and the quarterly plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from fractions import Fraction

from opsync.documents.model import (
    Block,
    Chart,
    Document,
    Heading,
    Inline,
    ListItem,
    StatusChip,
    Tone,
    bullets,
    cell,
    find_region,
    heading,
    item,
    para,
    region,
    table,
)
from opsync.domain.intake import Friction, Request, RequestStatus
from opsync.domain.people import Role
from opsync.rules import frictions, intake
from opsync.rules.cadence import COMPONENTS, planning_day
from opsync.rules.context import RuleContext
from opsync.rules.dates import DateWords, clock, date_words
from opsync.rules.output import DocumentKind, GeneratedDocument, RuleOutput
from opsync.rules.scorecard import Quarter, adoption_artifacts, launched_tier23, percent, quarter_of
from opsync.rules.wording import capped, counted, more, plural
from opsync.settings import RuleFamily

PRUNE = "candidate for pruning (pack §8)"
#: The pack's Product Ops retrospective (section 7, Week 12; section 3, Quarterly Planning).
RETRO_PROMPTS = (
    "What's working?",
    "What's overhead?",
    "Which rituals aren't earning their keep, and should be pruned?",
    "What changes on the friction list: what moves up, what is resolved, what is new?",
    "What are next quarter's focus areas?",
)
PLAN_PROMPTS = (
    "Priorities for the quarter",
    "Decisions (and their owners)",
    "Actions + owners",
)
_TRIAGED = (RequestStatus.TRIAGED, RequestStatus.PLANNED, RequestStatus.DECLINED)


def evaluate(ctx: RuleContext, earlier: RuleOutput) -> RuleOutput:
    if not ctx.enabled_anywhere(RuleFamily.CADENCE):
        return RuleOutput()
    due = upcoming(ctx)
    if due is None:
        return RuleOutput()
    quarter, meeting = due
    return RuleOutput(documents=(pack(ctx, earlier, quarter, meeting),))


def upcoming(ctx: RuleContext) -> tuple[Quarter, date] | None:
    """The quarter whose QBR pack is published today, with its meeting day: today lies
    between the publication day and the meeting day, both included. The quarter that
    started last (its meeting may still be ahead, after a New Year's holiday) and the next
    one are the only candidates."""
    months = ctx.settings.cadence.quarter_start_months
    current = quarter_of(ctx.today, months)
    later = [date(ctx.today.year, m, 1) for m in months if date(ctx.today.year, m, 1) > ctx.today]
    following = later[0] if later else date(ctx.today.year + 1, months[0], 1)
    for quarter in (current, quarter_of(following, months)):
        meeting = planning_day(ctx, quarter.start)
        published = ctx.calendar.step_back(meeting, ctx.settings.cadence.qbr_pack_days_before)
        if published <= ctx.today <= meeting:
            return quarter, meeting
    return None


def pack(
    ctx: RuleContext, earlier: RuleOutput, quarter: Quarter, meeting: date
) -> GeneratedDocument:
    months = ctx.settings.cadence.quarter_start_months
    ending = quarter_of(quarter.start - timedelta(days=1), months)
    last_day = quarter.start - timedelta(days=1)
    words = date_words(ctx, meeting)
    ending_label = f"{ending.year} Q{ending.number}"
    children: list[Block] = [
        region("qbr.header", *_header(ctx, words, quarter, meeting, ending, last_day)),
        region("qbr.scorecard", *_scorecard(ctx, earlier)),
        region("qbr.adoption", *_adoption(ctx)),
        region("qbr.coverage", *_coverage(ctx, ending_label, ending.start, last_day)),
        region("qbr.frictions", *_frictions(ctx)),
        region("qbr.requests", *_requests(ctx, ending_label, ending.start, last_day)),
        heading(2, "Product Ops retrospective"),
        *(b for prompt in RETRO_PROMPTS for b in (heading(3, prompt), bullets(""))),
        heading(2, f"Quarterly plan — {quarter.year} Q{quarter.number}"),
        *(b for prompt in PLAN_PROMPTS for b in (heading(3, prompt), bullets(""))),
    ]
    scorecard = next((d.key for d in earlier.documents if d.kind is DocumentKind.SCORECARD), None)
    return GeneratedDocument(
        key=f"qbr/{quarter.label}",
        kind=DocumentKind.QBR_PACK,
        document=Document(
            title=f"Quarterly Planning / QBR — {quarter.year} Q{quarter.number}",
            children=tuple(children),
        ),
        links_to=(scorecard,) if scorecard else (),
    )


def _header(
    ctx: RuleContext,
    words: DateWords,
    quarter: Quarter,
    meeting: date,
    ending: Quarter,
    last_day: date,
) -> tuple[Block, ...]:
    cadence = ctx.settings.cadence
    head = next((p for p in ctx.snapshot.people if p.role is Role.HEAD_OF_PRODUCT), None)
    owner = f"{head.name} (Head of Product)" if head else "the Head of Product"
    hours = cadence.planning_minutes / 60
    length = (
        f"{hours:g} hours"
        if cadence.planning_minutes % 30 == 0
        else f"{cadence.planning_minutes} minutes"
    )
    return (
        bullets(
            f"Meeting: {words.full(meeting)} at {clock(cadence.planning_time)} ({length})",
            f"Owner: {owner}",
            "Attendees: PMs, Eng leads, Sales/CS/Support leads, Product Ops",
            f"Reviews {ending.year} Q{ending.number} ({words.cell(ending.start)} to "
            f"{words.cell(last_day)}) and plans {quarter.year} Q{quarter.number}",
            "Output: the quarterly plan, the Product Ops retrospective and the updated "
            "friction list",
        ),
        para(
            "opsync keeps the sections below up to date until the meeting day; the "
            "retrospective and the plan after them are yours to fill in."
        ),
    )


def _scorecard(ctx: RuleContext, earlier: RuleOutput) -> tuple[Block, ...]:
    """The scorecard page's table and trend as this run's scorecard rule built them; the
    chart stays on the scorecard page (one drawing, one place)."""
    page = next((d for d in earlier.documents if d.kind is DocumentKind.SCORECARD), None)
    if page is None:
        return (heading(2, "Scorecard"), para("No scorecard this run."))
    blocks: list[Block] = [heading(2, "Scorecard")]
    for key in ("scorecard", "scorecard-trend"):
        found = find_region(page.document.children, key)
        for block in found.children if found else ():
            if isinstance(block, Chart):
                continue
            if isinstance(block, Heading):
                block = heading(block.level + 1, block.text)
            blocks.append(block)
    # Linked by key: the scorecard page of a new quarter is made in the same run, and its
    # URL is filled in as this page is written, after it (engine/pagelinks.py).
    blocks.append(
        para(
            "The weekly chart is on the scorecard page, ",
            ctx.page_link(page.document.title, page.key, italic=True),
            ".",
        )
    )
    return tuple(blocks)


def _adoption(ctx: RuleContext) -> tuple[Block, ...]:
    artifacts, _ = adoption_artifacts(ctx)  # the week findings are the scorecard's to report
    title = heading(2, "Ritual adoption")
    if not artifacts:
        return (title, para("No ritual artifact has been due yet."))
    rows: list[tuple[tuple[Inline, ...], ...]] = []
    for component in COMPONENTS:
        mine = [a for a in artifacts if a.component == component]
        if mine:
            on_time = sum(1 for a in mine if a.on_time)
            share = percent_of(on_time, len(mine))
            rows.append((cell(component.capitalize()), cell(f"{on_time}/{len(mine)}"), cell(share)))
    total = sum(1 for a in artifacts if a.on_time)
    rows.append(
        (cell("All"), cell(f"{total}/{len(artifacts)}"), cell(percent_of(total, len(artifacts))))
    )
    late = [a.label for a in artifacts if not a.on_time]
    shown, left_out = capped(late, ctx.settings.output.list_limit)
    blocks: list[Block] = [
        title,
        para("Artifacts due since the rollout began and how many came out on time."),
        table(("Component", "On time", "Share"), rows),
    ]
    if late:
        lines = [*shown, *([f"and {left_out:,} more"] if left_out else [])]
        blocks += [para("Late or missed:"), bullets(*lines)]
    return tuple(blocks)


def percent_of(part: int, whole: int) -> str:
    """``3 of 4`` as the scorecard writes a share (``75%``); ``—`` for nothing counted."""
    return percent(Fraction(part, whole)) if whole else "—"


def _coverage(ctx: RuleContext, label: str, start: date, end: date) -> tuple[Block, ...]:
    """Per area: the quarter's launched Tier 2/3 releases whose bundle was published before
    launch day, as the scorecard's enablement coverage counts them."""
    title = heading(2, f"Enablement coverage by product area — {label}")
    launched = [(r, day) for r, day in launched_tier23(ctx) if start <= day <= end]
    if not launched:
        return (title, para(f"No Tier 2/3 release launched in {label} yet."))
    order = [a.key for a in ctx.snapshot.product_areas]
    areas = sorted(
        {r.product_area for r, _ in launched},
        key=lambda a: (a not in order, order.index(a) if a in order else 0, a or ""),
    )
    rows: list[tuple[tuple[Inline, ...], ...]] = []
    for key in areas:
        mine = [(r, day) for r, day in launched if r.product_area == key]
        gaps = [r.title for r, day in mine if not _covered(r.bundle.published_on, day)]
        covered = len(mine) - len(gaps)
        area = ctx.snapshot.area(key)
        rows.append(
            (
                cell(area.name if area else key or "No area"),
                cell(f"{covered}/{len(mine)}"),
                cell(percent_of(covered, len(mine))),
                cell(", ".join(gaps) or "—"),
            )
        )
    covered_all = sum(1 for r, day in launched if _covered(r.bundle.published_on, day))
    rows.append(
        (
            cell("All areas"),
            cell(f"{covered_all}/{len(launched)}"),
            cell(percent_of(covered_all, len(launched))),
            cell(""),
        )
    )
    return (
        title,
        para(
            f"Tier 2/3 releases launched in {label} up to today with their enablement bundle "
            "published before launch day, per product area."
        ),
        table(("Product area", "Covered", "Coverage", "Launched without a bundle"), rows),
    )


def _covered(published: date | None, launch: date) -> bool:
    return published is not None and published < launch


def _frictions(ctx: RuleContext) -> tuple[Block, ...]:
    known = frictions.ranked(ctx.snapshot.frictions)
    title = heading(2, "Top frictions (ranked)")
    if not known:
        return (
            title,
            para(
                "No friction recorded yet: rank the top frictions in the frictions collection, "
                "each with the rituals that reduce it. Until then no ritual can be judged."
            ),
        )
    rows: list[tuple[tuple[Inline, ...], ...]] = [
        (
            cell(str(f.rank) if f.rank is not None else "—"),
            cell(f"{f.title} ({f.key})"),
            cell(f.quarter or "—"),
            cell(", ".join(r.name for r in frictions.reducers(f)) or "—"),
        )
        for f in known
    ]
    ranked_rows: list[tuple[tuple[Inline, ...], ...]] = []
    for ritual in frictions.RITUALS:
        reduces = [f for f in known if ritual in frictions.reducers(f)]
        running = ctx.enabled_anywhere(ritual.family)
        verdict: str | StatusChip = StatusChip(label="Keep", tone=Tone.GREEN)
        if not reduces:
            verdict = StatusChip(label=PRUNE.capitalize(), tone=Tone.YELLOW)
        if not running:
            verdict = "not running"
        ranked_rows.append(
            (
                cell(ritual.name),
                cell(", ".join(frictions.label(f) for f in reduces) or "none"),
                cell(verdict),
            )
        )
    prune = [r.name for r in frictions.RITUALS if _prunable(ctx, r, known)]
    summary = (
        f"{counted(len(prune), 'ritual or artifact', 'rituals and artifacts')} "
        f"{plural(len(prune), 'reduces', 'reduce')} no "
        f"friction on the list: {', '.join(prune)}. Pack §8: every ritual and artifact must map "
        "to one of the top frictions; if it doesn't, cut it."
        if prune
        else "Every running ritual and artifact reduces a friction on the list."
    )
    return (
        title,
        table(("Rank", "Friction", "Quarter", "Reduced by"), rows),
        heading(3, "Rituals and artifacts against the list"),
        para(summary),
        table(("Ritual or artifact", "Reduces", "Verdict"), ranked_rows),
    )


def _prunable(ctx: RuleContext, ritual: frictions.Ritual, known: Sequence[Friction]) -> bool:
    running = ctx.enabled_anywhere(ritual.family)
    return running and not any(ritual in frictions.reducers(f) for f in known)


def _requests(ctx: RuleContext, label: str, start: date, end: date) -> tuple[Block, ...]:
    title = heading(2, f"Requests triaged in {label}")
    chosen = sorted(
        (r for r in ctx.snapshot.requests if r.status in _TRIAGED and _in(r, start, end)),
        key=lambda r: r.key,
    )
    if not chosen:
        return (title, para(f"No request to Product Ops was triaged in {label}."))
    counts = ", ".join(f"{sum(1 for r in chosen if r.status is s)} {s.value}" for s in _TRIAGED)
    shown, left_out = capped(chosen, ctx.settings.output.list_limit)
    lines: list[ListItem] = [
        item(intake.request_name(ctx, r), f" — {r.status.value}{_friction_words(ctx, r)}")
        for r in shown
    ]
    if left_out:
        lines.append(item(more(left_out) + "the requests collection"))
    return (
        title,
        para(f"{counted(len(chosen), 'request')} triaged ({counts}); by friction:"),
        intake.by_friction(ctx.snapshot.frictions, chosen, _TRIAGED),
        bullets(*lines),
    )


def _friction_words(ctx: RuleContext, request: Request) -> str:
    if not (request.friction or "").strip():
        return ""
    return f", {intake.friction_text(ctx.snapshot.frictions, request.friction)}"


def _in(request: Request, start: date, end: date) -> bool:
    day = request.triaged_on or request.received_on
    return day is not None and start <= day <= end
