"""Releases and what the pack asks of each before and after launch (pack sections 3 and 6)."""

from __future__ import annotations

from datetime import date
from enum import IntEnum, StrEnum

from opsync.domain.base import Model


class Tier(IntEnum):
    """Release tier; the number is the one people type (1 Low, 2 Medium, 3 High)."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        return {1: "Low", 2: "Medium", 3: "High"}[self.value]


class BundleState(StrEnum):
    """Where the enablement bundle is, as the PM and Product Ops record it."""

    NOT_STARTED = "not started"
    DRAFTING = "drafting"
    READY_FOR_REVIEW = "ready for review"
    PUBLISHED = "published"


class GoNoGo(StrEnum):
    """The PM's ship decision. The pack says "ship/hold/delay": "ship" is read as ``go``
    (see :mod:`opsync.domain.reading`)."""

    GO = "go"
    NO_GO = "no-go"
    HOLD = "hold"
    DELAY = "delay"


class DateChange(Model):
    """One move of a launch date, with the day it was made."""

    changed_on: date
    old: date | None
    new: date | None


class Bundle(Model):
    """The enablement bundle's state on the release record."""

    state: BundleState = BundleState.NOT_STARTED
    handed_off_on: date | None = None
    published_on: date | None = None


class Readiness(Model):
    """Readiness sign-off: confirmations and the PM's go/no-go (pack: Launch Readiness Check)."""

    support_confirmed_on: date | None = None
    sales_confirmed_on: date | None = None
    eng_monitoring_confirmed_on: date | None = None
    """The Eng lead confirmed monitoring for the launch (dashboards, alerts) is in place."""
    rollback_ready_on: date | None = None
    """The Eng lead confirmed the rollback procedure is ready."""
    go_no_go: GoNoGo | None = None
    go_no_go_on: date | None = None
    meeting_on: date | None = None
    training_on: date | None = None


class PostLaunch(Model):
    """Post-launch capture: Day 3 check-in and Day 14 retro (pack section 6)."""

    day3_done_on: date | None = None
    day14_done_on: date | None = None
    action_items: tuple[str, ...] = ()


class Release(Model):
    key: str
    title: str
    tier: Tier | None = None
    launch_date: date | None = None
    launch_date_history: tuple[DateChange, ...] = ()
    launched: bool | None = None
    product_area: str | None = None
    pm: str | None = None
    eng_lead: str | None = None
    description: str = ""
    stakeholder_summary: str = ""
    url: str | None = None
    bundle: Bundle = Bundle()
    readiness: Readiness = Readiness()
    post_launch: PostLaunch = PostLaunch()

    def has_launched(self, today: date) -> bool:
        """Launched if the tracker says so, else if the launch date is today or past."""
        if self.launched is not None:
            return self.launched
        return self.launch_date is not None and self.launch_date <= today
