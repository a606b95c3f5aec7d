"""The rollout's own retrospectives (pack section 7, "Iteration Loop"; RULES.md R10): when
each is held, with whom, and what it asks. The calendar and the retro pages both read them
from here, so an event and its page can never disagree on the day.

The rollout starts on the earliest ``[[rollout.phases]].starts_on`` (Day 1); an organisation
with no phases never said when it adopted the pack, so it has no rollout retros. Week N's
retro is held on Day 7N (the last day of that week) and Week 12's on Day 90, as the pack
equates them; a day that is not a business day moves to the next business day, as every
meeting does on the cadence calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from opsync.calendar import BusinessCalendar
from opsync.settings import Settings


@dataclass(frozen=True)
class RolloutRetro:
    key: str  # stable: "week-4", "week-8", "week-12"
    name: str
    day_number: int  # Day N of the rollout, Day 1 being its start
    nominal: date  # Day N itself
    held_on: date  # moved to a business day
    audience: str
    prompts: tuple[str, ...]


# The pack's words (section 7, Iteration Loop).
_RETROS = (
    (
        "week-4",
        "Week 4 retrospective",
        28,
        "the pilot pod's PMs",
        ("What's working?", "What's overhead?", "What should we adjust?"),
    ),
    (
        "week-8",
        "Week 8 retrospective",
        56,
        "the cross-functional partners (Sales, CS, Support, Eng leads)",
        ("Are surprises decreasing?", "What's still missing?"),
    ),
    (
        "week-12",
        "Week 12 (Day 90) Product Ops retrospective",
        90,
        "the full org: all PMs, the Head of Product and every cross-functional partner",
        (
            "What should the charter say now?",
            "Which rituals aren't earning their keep, and should be pruned?",
            "What is on the updated friction list?",
            "What are the focus areas for next quarter?",
        ),
    ),
)


def rollout_start(settings: Settings) -> date | None:
    """Day 1 of the rollout: its earliest phase; None when no phases are configured."""
    return min((p.starts_on for p in settings.rollout), default=None)


def rollout_retros(settings: Settings, calendar: BusinessCalendar) -> tuple[RolloutRetro, ...]:
    start = rollout_start(settings)
    if start is None:
        return ()
    out = []
    for key, name, day_number, audience, prompts in _RETROS:
        nominal = start + timedelta(days=day_number - 1)
        held = calendar.step_forward(nominal - timedelta(days=1), 1)
        out.append(RolloutRetro(key, name, day_number, nominal, held, audience, prompts))
    return tuple(out)
