"""R9 Monthly Insights Review actions: completion tracked, carried over, then escalated.

The pack's ritual outputs "Insights Digest with actions + owners", and "Product Ops tracks
action completion; unresolved items escalate to next review". People record each action the
review agrees as an ``insight_actions`` record (action, owner, review month, theme, due
date); it is open until someone sets ``done_on``. opsync never closes one.

Reviews are the Monthly Insights Reviews as :mod:`opsync.rules.insights` schedules them; the
*upcoming* review is the one the digest is for (:func:`opsync.rules.insights.review_on_or_after`:
still ahead today, or held today). An open action assigned at review A, seen from the
upcoming review R:

- R is A: it is that review's own action, being recorded;
- R is the review after A: it is **carried over** to R (the digest lists it under "Carried
  over from <A>");
- R is later: it was still open when the review after A was held, so it is **escalated**
  to the second review after A (``insight-actions.escalated``, due that review's held day,
  owner the action's owner, and sent once to the configured escalation target, RULES.md
  R10); it stays escalated until done.

Findings on open actions: past ``due_on`` (``insight-actions.overdue``, the owner's); no
owner, or an owner who is not a configured person (``insight-actions.owner-unknown``,
Product Ops', who assign it); a review month that is missing, unreadable or not yet held
(``insight-actions.review-invalid``, Product Ops'), since such an action cannot be carried
over or escalated. The last two are due at the upcoming review. The rule runs when the
insights family is enabled for some area (actions belong to no area).

Completion rate: of the actions with a due date whose outcome is known (the due day has
passed, or they were done), the share done on or before their due day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from opsync.domain.base import Collection, ref
from opsync.domain.findings import Finding, Level
from opsync.domain.intake import InsightAction
from opsync.domain.snapshot import Snapshot
from opsync.rules.context import RuleContext
from opsync.rules.insights import (
    held_on,
    monthly_review,
    review_before,
    review_months_on,
    review_on_or_after,
)
from opsync.rules.output import RuleOutput
from opsync.settings import InsightSettings, RuleFamily

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_TITLE_MAX = 80


@dataclass(frozen=True)
class Tracked:
    """An action seen from the upcoming review: the nominal day of the review that assigned
    it (None when its ``review`` cannot be read) and how many reviews later the upcoming one
    is (0: its own review; 1: carried over; 2 or more: escalated; negative: not held yet)."""

    action: InsightAction
    assigned: date | None
    reviews_on: int

    @property
    def open(self) -> bool:
        return self.action.done_on is None

    @property
    def carried_over(self) -> bool:
        return self.open and self.assigned is not None and self.reviews_on == 1

    @property
    def escalated(self) -> bool:
        return self.open and self.assigned is not None and self.reviews_on >= 2


def assigned_review(action: InsightAction, settings: InsightSettings) -> date | None:
    """The nominal day of the review that assigned ``action`` (``2026-11`` → the November
    review), or None when its review month is missing or not a month."""
    month = _month(action)
    return monthly_review(*month, settings) if month is not None else None


def tracked(ctx: RuleContext) -> list[Tracked]:
    """Every action as seen from the upcoming review, by assigning review, due day, key."""
    settings = ctx.settings.insights
    upcoming = review_on_or_after(ctx.today, settings, ctx.calendar)
    found = []
    for action in ctx.snapshot.insight_actions:
        assigned = assigned_review(action, settings)
        reviews_on = _months(upcoming) - _months(assigned) if assigned is not None else 0
        found.append(Tracked(action, assigned, reviews_on))
    return sorted(
        found,
        key=lambda t: (t.assigned or date.max, t.action.due_on or date.max, t.action.key),
    )


def escalated_to(assigned: date, ctx: RuleContext) -> date:
    """The held day of the review an action assigned at ``assigned`` escalates to: the
    second after it."""
    return held_on(review_months_on(assigned, 2, ctx.settings.insights), ctx.calendar)


def completed_since_last_review(ctx: RuleContext) -> list[InsightAction]:
    """Actions done from the day the previous review was held to the day before the
    upcoming one (the digest's window), by day done."""
    settings = ctx.settings.insights
    upcoming = review_on_or_after(ctx.today, settings, ctx.calendar)
    start = held_on(review_before(upcoming, settings), ctx.calendar)
    end = held_on(upcoming, ctx.calendar)
    done = [
        a
        for a in ctx.snapshot.insight_actions
        if a.done_on is not None and start <= a.done_on < end
    ]
    return sorted(done, key=lambda a: (a.done_on or date.min, a.key))


def completion(actions: tuple[InsightAction, ...], today: date) -> tuple[int, int]:
    """(done by their due day, due): the actions with a due date whose due day has passed
    or that are done, and how many of them were done on or before it."""
    due = [
        a for a in actions if a.due_on is not None and (a.done_on is not None or a.due_on < today)
    ]
    on_time = [a for a in due if a.done_on is not None and a.due_on and a.done_on <= a.due_on]
    return len(on_time), len(due)


def owner_known(action: InsightAction, snapshot: Snapshot) -> bool:
    return action.owner is not None and any(p.key == action.owner for p in snapshot.people)


def title(action: InsightAction) -> str:
    words = " ".join(action.action.split())
    if not words:
        return action.key
    return words if len(words) <= _TITLE_MAX else words[: _TITLE_MAX - 1].rstrip() + "…"


def evaluate(ctx: RuleContext, earlier: RuleOutput) -> RuleOutput:
    if not ctx.snapshot.insight_actions or not ctx.enabled_anywhere(RuleFamily.INSIGHTS):
        return RuleOutput()
    upcoming = held_on(
        review_on_or_after(ctx.today, ctx.settings.insights, ctx.calendar), ctx.calendar
    )
    findings: list[Finding] = []
    for each in tracked(ctx):
        if not each.open:
            continue
        action = each.action
        record = ref(Collection.INSIGHT_ACTIONS, action.key)
        if each.assigned is None or each.reviews_on < 0:
            findings.append(_review_invalid(action, record, upcoming))
        if each.escalated and each.assigned is not None:
            findings.append(_escalated(action, record, each.assigned, ctx))
        if action.due_on is not None and action.due_on < ctx.today:
            findings.append(_overdue(action, record, ctx))
        if not owner_known(action, ctx.snapshot):
            findings.append(_owner_unknown(action, record, upcoming))
    return RuleOutput(findings=tuple(findings))


def _who(action: InsightAction, ctx: RuleContext) -> str:
    if owner_known(action, ctx.snapshot):
        return ctx.snapshot.person_name(action.owner)
    return "Its owner"


def _escalated(action: InsightAction, record: str, assigned: date, ctx: RuleContext) -> Finding:
    day = escalated_to(assigned, ctx)
    carried = held_on(review_months_on(assigned, 1, ctx.settings.insights), ctx.calendar)
    return Finding(
        code="insight-actions.escalated",
        record=record,
        field="done_on",
        level=Level.ERROR,
        due=day,
        message=(
            f"Insight-review action “{title(action)}”, assigned at the {action.review} "
            f"Monthly Insights Review, was still open at the review on {carried.isoformat()} "
            f"and is escalated to the review on {day.isoformat()}. {_who(action, ctx)} should "
            "complete it and set done_on, or the review should reassign or drop it."
        ),
    )


def _overdue(action: InsightAction, record: str, ctx: RuleContext) -> Finding:
    assert action.due_on is not None
    return Finding(
        code="insight-actions.overdue",
        record=record,
        field="due_on",
        due=action.due_on,
        message=(
            f"Insight-review action “{title(action)}” was due on {action.due_on.isoformat()} "
            f"and is not done. {_who(action, ctx)} should complete it and set done_on, or "
            "agree a new due date with Product Ops."
        ),
    )


def _owner_unknown(action: InsightAction, record: str, upcoming: date) -> Finding:
    named = (
        f"names “{action.owner}”, who is not a configured person"
        if action.owner
        else ("has no owner")
    )
    return Finding(
        code="insight-actions.owner-unknown",
        record=record,
        field="owner",
        due=upcoming,
        message=(
            f"Insight-review action “{title(action)}” {named}. Product Ops should set its "
            "owner to a person key from the org config, so its owner is told and its "
            "completion tracked."
        ),
    )


def _review_invalid(action: InsightAction, record: str, upcoming: date) -> Finding:
    if action.review is None:
        problem = "has no review month"
    elif _month(action) is None:
        problem = f"has review “{action.review}”, which is not a month such as 2026-11"
    else:
        problem = f"names the {action.review} review, which has not been held yet"
    return Finding(
        code="insight-actions.review-invalid",
        record=record,
        field="review",
        due=upcoming,
        message=(
            f"Insight-review action “{title(action)}” {problem}. Product Ops should set "
            "review to the month of the Monthly Insights Review that assigned it, so it can "
            "be carried over and escalated."
        ),
    )


def _month(action: InsightAction) -> tuple[int, int] | None:
    """(year, month) of the action's review, or None when it is missing or not a month."""
    found = _MONTH.match(action.review or "")
    if found is None or not 1 <= int(found[2]) <= 12:
        return None
    return int(found[1]), int(found[2])


def _months(day: date) -> int:
    return day.year * 12 + day.month - 1
