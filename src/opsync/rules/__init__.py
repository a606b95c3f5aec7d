"""Rules R1-R10 of RULES.md as pure functions of (snapshot, clock, calendar, settings).

Each rule module exposes ``evaluate(ctx, earlier) -> RuleOutput``; ``earlier`` is what the
rules before it produced, so that a page (the weekly update, the scorecard) can show other
rules' findings without computing them twice. Order matters only for that.
"""

from __future__ import annotations

from collections.abc import Callable

from opsync.rules.context import RuleContext
from opsync.rules.output import (
    CalendarEvent,
    DerivedValue,
    DocumentKind,
    GeneratedDocument,
    Notification,
    RuleOutput,
)

Rule = Callable[[RuleContext, RuleOutput], RuleOutput]


def _rules() -> tuple[Rule, ...]:
    from opsync.rules import (
        bundles,
        cadence,
        conflicts,
        decisions,
        digest,
        enablement,
        insight_actions,
        insights,
        intake,
        owners,
        postlaunch,
        qbr,
        readiness,
        review_prep,
        roadmap,
        rollout_retros,
        scorecard,
        surveys,
        tiers,
        weekly,
    )

    # Per-record rules first, so that the weekly update and the scorecard can show their
    # findings; the cadence calendar, the scorecard and the pages drawing on it last.
    return (
        tiers.evaluate,
        enablement.evaluate,
        bundles.evaluate,
        readiness.evaluate,  # after bundles: it shows the bundle's sections complete
        postlaunch.evaluate,
        decisions.evaluate,
        insights.evaluate,
        insight_actions.evaluate,
        digest.evaluate,
        roadmap.evaluate,
        review_prep.evaluate,
        weekly.evaluate,
        cadence.evaluate,
        surveys.evaluate,
        scorecard.evaluate,
        intake.evaluate,
        qbr.evaluate,  # after the scorecard: the QBR pack shows its table and trend
        rollout_retros.evaluate,
        conflicts.evaluate,
        owners.evaluate,  # last: it routes every other rule's findings
    )


def evaluate(ctx: RuleContext) -> RuleOutput:
    """Run every rule in order and merge what they produce."""
    out = RuleOutput()
    for rule in _rules():
        out = out.merge(rule(ctx, out))
    return out


__all__ = [
    "CalendarEvent",
    "DerivedValue",
    "DocumentKind",
    "GeneratedDocument",
    "Notification",
    "Rule",
    "RuleContext",
    "RuleOutput",
    "evaluate",
]
