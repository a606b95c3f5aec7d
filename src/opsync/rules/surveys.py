"""Surveys without a server (RULES.md R8; pack sections 1 and 7, measurement plan).

Two questions the scorecard rests on are asked in chat and answered with a reaction:

- after each Tier 2/3 launch, each stakeholder channel (``[rules.surveys]
  stakeholder_channels``) is asked "Were you aware of <release> before it shipped?"
  (stakeholder surprise, pack section 1 metric 1), on launch day or the first run after it,
  within ``send_within_days``;
- each quarter, on its ``pulse_business_day``-th business day, each PM is asked by DM whether
  "Product Ops has reduced the time I spend on coordination and status updates" (the PM
  pulse, pack section 7).

Each message's key (``survey/<release>/<channel>``, ``pulse/<quarter>/<pm>``) makes it go
out once. The answers come back as reactions, read by the chat connector and turned into
survey and pulse answers beside the hand-entered ones (``engine/signals.py``).
"""

from __future__ import annotations

from datetime import date, timedelta

from opsync.domain import Release, Role
from opsync.rules.context import RuleContext
from opsync.rules.dates import date_words
from opsync.rules.output import Notification, RuleOutput
from opsync.rules.scorecard import quarter_of
from opsync.rules.sections import SURVEYS, cite
from opsync.rules.tiers import needs_enablement

SURVEY_PREFIX = "survey/"
PULSE_PREFIX = "pulse/"
PULSE_STATEMENT = "Product Ops has reduced the time I spend on coordination and status updates."


def evaluate(ctx: RuleContext, earlier: RuleOutput) -> RuleOutput:
    return RuleOutput(notifications=(*_surveys(ctx), *_pulse(ctx)))


def _surveys(ctx: RuleContext) -> list[Notification]:
    surveys = ctx.settings.surveys
    found: list[Notification] = []
    if not surveys.stakeholder_channels:
        return found
    oldest = ctx.today - timedelta(days=surveys.send_within_days)
    words = date_words(ctx)
    for release in sorted(ctx.snapshot.releases, key=lambda r: r.key):
        launch = release.launch_date
        if launch is None or not _launched(release, oldest, ctx.today):
            continue
        for channel in surveys.stakeholder_channels:
            found.append(
                Notification(
                    key=f"{SURVEY_PREFIX}{release.key}/{channel.lstrip('#')}",
                    channel=channel,
                    title=f"Did you know {release.title} was coming?",
                    text=(
                        f"{release.title} launched {words.prose(launch)}. Were you aware of "
                        f"{release.title} before it shipped? React ✅ yes / ❌ no. "
                        "(One reaction per person; it measures how well launches are "
                        "announced, not you.)"
                    ),
                    reason=(
                        f"Tier 2/3 release {release.key} has launched, so its stakeholders are "
                        f"asked whether they knew it was coming {cite(SURVEYS)}."
                    ),
                )
            )
    return found


def _launched(release: Release, oldest: date, today: date) -> bool:
    launch = release.launch_date
    return (
        needs_enablement(release)
        and launch is not None
        and oldest <= launch <= today
        and release.launched is not False
    )


def pulse_day(ctx: RuleContext) -> tuple[str, date] | None:
    """This quarter's label and its pulse day, when a pulse is configured."""
    day = ctx.settings.surveys.pulse_business_day
    if day is None:
        return None
    quarter = quarter_of(ctx.today, ctx.settings.cadence.quarter_start_months)
    first = ctx.calendar.roll_forward(quarter.start)
    return quarter.label, ctx.calendar.step_forward(first, day - 1) if day > 1 else first


def _pulse(ctx: RuleContext) -> list[Notification]:
    found = pulse_day(ctx)
    if found is None:
        return []
    label, day = found
    if not day <= ctx.today <= day + timedelta(days=ctx.settings.surveys.send_within_days):
        return []
    return [
        Notification(
            key=f"{PULSE_PREFIX}{label}/{person.key}",
            channel=f"dm:{person.key}",
            title=f"Product Ops pulse, {label}",
            text=(
                f"Quarterly pulse ({label}), one reaction: do you agree that “{PULSE_STATEMENT}” "
                "React ✅ agree / ❌ disagree."
            ),
            reason=(
                f"The quarterly PM pulse of {label} is due: each PM is asked whether Product "
                f"Ops reduced their coordination time {cite(SURVEYS)}."
            ),
        )
        for person in sorted(ctx.snapshot.people, key=lambda p: p.key)
        if person.role is Role.PM
    ]
