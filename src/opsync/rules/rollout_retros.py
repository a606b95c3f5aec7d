"""The rollout retro pages (pack section 7, "Iteration Loop"; RULES.md R10): one page per
retro of rules/rollout.py, ``rollout-retro/<retro key>`` (``rollout-retro/week-4``).

A page appears ``[rules.retros] page_days_before`` business days before its retro is held and is
regenerated through that day, so its measures are current when the room opens it; after
that no run generates it, and it stays as people left it (the engine never deletes a page).
A first sync long after a retro therefore makes no page for it. An organisation with no
rollout phases has no retros and no pages.

What opsync knows sits in two owned regions: the header (when, with whom, which phase) and
the success measures of the phase the retro closes, computed (rules/retro_measures.py). The
pack's prompts and the "Decisions + action items" list are a skeleton outside any region,
for people to write under.
"""

from __future__ import annotations

from datetime import date
from functools import cache

from opsync.documents.model import (
    Block,
    BulletList,
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
)
from opsync.rules.context import RuleContext
from opsync.rules.dates import DateWords
from opsync.rules.output import DocumentKind, GeneratedDocument, RuleOutput
from opsync.rules.retro_measures import PHASES, Measure
from opsync.rules.rollout import RolloutRetro, rollout_retros, rollout_start
from opsync.rules.scorecard import Status

HEADER_REGION = "rollout-retro.header"
MEASURES_REGION = "rollout-retro.measures"
ACTION_SLOTS = 3
# The pack's Next Steps (section 8, step 7): the Week 4 retro adjusts templates, cadence and
# scope, and decides whether to expand enablement org-wide.
DECISIONS = ("Templates to adjust:", "Cadence to adjust:", "Scope to adjust:")
EXPAND_DECISION = "Expand enablement org-wide? (yes / no, and from when):"

_CHIPS = {
    Status.MET: StatusChip(label="Met", tone=Tone.GREEN),
    Status.NOT_MET: StatusChip(label="Not met", tone=Tone.RED),
    Status.NO_DATA: StatusChip(label="No data yet", tone=Tone.NEUTRAL),
}


def evaluate(ctx: RuleContext, earlier: RuleOutput) -> RuleOutput:
    start = rollout_start(ctx.settings)
    if start is None:
        return RuleOutput()
    documents = tuple(
        GeneratedDocument(
            key=f"rollout-retro/{retro.key}",
            kind=DocumentKind.ROLLOUT_RETRO,
            document=build_document(ctx, retro, start),
        )
        for retro in rollout_retros(ctx.settings, ctx.calendar)
        if publishes(ctx, retro)
    )
    return RuleOutput(documents=documents)


def publishes(ctx: RuleContext, retro: RolloutRetro) -> bool:
    """From ``page_days_before`` business days before the retro through the day it is held."""
    opens = ctx.calendar.step_back(retro.held_on, ctx.settings.retros.page_days_before)
    return opens <= ctx.today <= retro.held_on


def build_document(ctx: RuleContext, retro: RolloutRetro, start: date) -> Document:
    phase = PHASES[retro.key]
    period = phase.period(start)
    words = DateWords(ctx.settings.output.date_style, retro.held_on)
    held = f"Held: {words.prose(retro.held_on)}, Day {retro.day_number} of the rollout"
    if retro.nominal != retro.held_on:
        held += f" (moved from {words.prose(retro.nominal)}, not a business day)"
    header = region(
        HEADER_REGION,
        bullets(
            item(f"{held}. The rollout began {words.prose(start)}."),
            item(f"Audience: {retro.audience}."),
            item("Facilitator: Product Ops."),
            item(
                f"Phase it closes: {phase.days}, “{phase.name}” "
                f"({words.cell(period.first)} to {words.cell(period.last)})."
            ),
        ),
    )
    through = min(ctx.today, period.last)
    measures = region(
        MEASURES_REGION,
        heading(2, f"Success measures: {phase.days} ({phase.name})"),
        para(
            f"Counted over {words.cell(period.first)} to {words.cell(through)}"
            + (" (the phase so far)" if through < period.last else "")
            + ", as the pack's 30/60/90 plan measures this phase. A measure with nothing "
            "to count yet shows No data yet, never Met."
        ),
        _table(phase.measures(ctx, period)),
    )
    title = f"{retro.name} — {words.title(retro.held_on)}"
    return Document(
        title=title,
        children=(header, measures, *_skeleton(retro.prompts, retro.key == "week-4")),
    )


def _table(measures: tuple[Measure, ...]) -> Block:
    rows: list[tuple[tuple[Inline, ...], ...]] = [
        (cell(m.name), cell(m.target), cell(m.value), cell(_CHIPS[m.status]), cell(m.basis))
        for m in measures
    ]
    return table(("Measure", "Target", "Value", "Status", "Basis"), rows)


@cache
def _skeleton(prompts: tuple[str, ...], expand: bool) -> tuple[Block, ...]:
    """The prompts people answer under and the decisions list; nodes are immutable, so pages
    share them."""
    questions = tuple(b for q in prompts for b in (heading(2, q), bullets("")))
    decisions = (*DECISIONS, EXPAND_DECISION) if expand else DECISIONS
    slots = BulletList(items=tuple(ListItem(inlines=()) for _ in range(ACTION_SLOTS)), ordered=True)
    return (
        *questions,
        heading(2, "Decisions + action items"),
        bullets(*decisions),
        heading(3, "Action items (owner, due date)"),
        slots,
    )
