"""The Insights Digest's actions (R9): what earlier reviews assigned, and where people note
this review's.

The region ``insights-actions`` is opsync's: the completion rate of insight actions, the open
actions from earlier reviews (escalated, then "Carried over from <month>", then those whose
review month cannot be read), each with its owner, theme, the review that assigned it and
its due day, and the actions completed since the last review (:mod:`opsync.rules.insight_actions`
decides each one's state). Below it, outside any region, "Actions + owners" is the people's
table for the actions agreed at this review, with the line that asks them to record each as
an ``insight_actions`` record: only a record can be tracked to completion.
"""

from __future__ import annotations

from datetime import date
from functools import cache

from opsync.documents.model import Block, Inline, Link, Text, cell, heading, para, table, text
from opsync.domain.base import Collection, ref
from opsync.domain.intake import InsightAction
from opsync.rules.context import RuleContext
from opsync.rules.dates import DateWords
from opsync.rules.insight_actions import (
    Tracked,
    assigned_review,
    completed_since_last_review,
    completion,
    owner_known,
    title,
    tracked,
)
from opsync.rules.insights import display_name

_OPEN_COLUMNS = ("Action", "Theme", "Owner", "Assigned at", "Due")
#: Empty rows of the people's table: room for a review's usual handful of actions.
_SKELETON_ROWS = 3


def action_blocks(ctx: RuleContext, words: DateWords) -> list[Block]:
    """The content of the ``insights-actions`` region."""
    blocks: list[Block] = [heading(2, "Actions from earlier reviews")]
    done, due = completion(ctx.snapshot.insight_actions, ctx.today)
    if due:
        blocks.append(
            para(
                f"Completion: {done} of {due} insight actions done by their due date "
                f"({round(100 * done / due)}%; an action counts once it is done or its due "
                "date has passed)."
            )
        )
    else:
        blocks.append(para("Completion: no insight action has reached its due date yet."))
    actions = tracked(ctx)
    escalated = [t for t in actions if t.escalated]
    carried = [t for t in actions if t.carried_over]
    unplaced = [t for t in actions if t.open and (t.assigned is None or t.reviews_on < 0)]
    if escalated:
        blocks.append(heading(3, "Escalated: still open after the review they were carried to"))
        blocks.append(_open_table(escalated, ctx, words))
    if carried:
        assigned = carried[0].assigned
        assert assigned is not None  # carried over means its review was read
        blocks.append(heading(3, f"Carried over from {words.month(assigned)}"))
        blocks.append(_open_table(carried, ctx, words))
    if unplaced:
        blocks.append(heading(3, "Open, with a review month to fix"))
        blocks.append(_open_table(unplaced, ctx, words))
    if not (escalated or carried or unplaced):
        blocks.append(para("No action from an earlier review is open."))
    blocks.append(heading(3, "Completed since the last review"))
    completed = completed_since_last_review(ctx)
    if not completed:
        blocks.append(para("No insight action was completed since the last review."))
        return blocks
    rows: list[tuple[tuple[Inline, ...], ...]] = [
        (
            cell(_linked(ctx, a)),
            cell(_theme(a, ctx)),
            cell(_owner(a, ctx)),
            cell(_assigned_at(a, assigned_review(a, ctx.settings.insights), words)),
            cell(words.cell(a.due_on)),
            cell(words.cell(a.done_on)),
        )
        for a in completed
    ]
    blocks.append(table(("Action", "Theme", "Owner", "Assigned at", "Due", "Done"), rows))
    return blocks


@cache
def actions_skeleton(month: str) -> tuple[Block, ...]:
    """The people's "Actions + owners" part of the digest of review ``month`` (``2026-12``);
    nodes are immutable, so pages share it."""
    empty: tuple[Inline, ...] = ()
    rows: list[tuple[tuple[Inline, ...], ...]] = [(empty,) * 5 for _ in range(_SKELETON_ROWS)]
    return (
        heading(2, "Actions + owners"),
        para(
            "Agreed at this review: note each action with its theme, owner, due date and next "
            "step (backlog, research, planning input). Then record each one as an "
            f"insight_actions record (action, owner, review: {month}, theme, due_on), so "
            "Product Ops can track its completion: one still open at the next review is "
            "carried over, then escalated."
        ),
        table(("Theme", "Action", "Owner", "Due", "Next step"), rows),
    )


def _open_table(actions: list[Tracked], ctx: RuleContext, words: DateWords) -> Block:
    rows: list[tuple[tuple[Inline, ...], ...]] = []
    for each in actions:
        action = each.action
        due = words.cell(action.due_on)
        if action.due_on is not None and action.due_on < ctx.today:
            due += " (overdue)"
        rows.append(
            (
                cell(_linked(ctx, action)),
                cell(_theme(action, ctx)),
                cell(_owner(action, ctx)),
                cell(_assigned_at(action, each.assigned, words)),
                cell(due),
            )
        )
    return table(_OPEN_COLUMNS, rows)


def _linked(ctx: RuleContext, action: InsightAction) -> Text | Link:
    """The action's text, linked to its record when the target gives a URL (where its
    owner sets done_on)."""
    url = ctx.links.get(ref(Collection.INSIGHT_ACTIONS, action.key))
    return Link(text=title(action), url=url) if url else text(title(action))


def _assigned_at(action: InsightAction, assigned: date | None, words: DateWords) -> str:
    """The assigning review's month in words, else the review as written."""
    return words.month(assigned) if assigned is not None else action.review or "—"


def _theme(action: InsightAction, ctx: RuleContext) -> str:
    theme = " ".join((action.theme or "").split())
    return display_name(theme, ctx.settings.insights.themes) if theme else "—"


def _owner(action: InsightAction, ctx: RuleContext) -> str:
    if owner_known(action, ctx.snapshot):
        return ctx.snapshot.person_name(action.owner)
    return f"unknown ({action.owner})" if action.owner else "none"
