"""Rule parameters. Every default is RULES.md's number; an organisation overrides them in
``opsync.toml`` under ``[rules.*]`` and switches rule families on by ``[[rollout.phases]]``.
"""

from __future__ import annotations

import re
from datetime import date, time
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RuleFamily(StrEnum):
    """The rule families of RULES.md, named as in config and rollout phases."""

    TIERS = "tiers"  # R1
    ENABLEMENT = "enablement"  # R2
    WEEKLY = "weekly"  # R3
    ROADMAP = "roadmap"  # R4
    DECISIONS = "decisions"  # R5
    INSIGHTS = "insights"  # R6
    POST_LAUNCH = "post_launch"  # R7
    CADENCE = "cadence"  # R8


class EnablementSettings(_Section):
    handoff_bd_tier2: int = Field(5, ge=0, description="Bundle handed to Product Ops by L - N BD.")
    handoff_bd_tier3: int = Field(10, ge=0)
    publish_bd: int = Field(2, ge=0, description="Bundle published to stakeholders by L - N BD.")
    readiness_page_days_before: int = Field(
        5,
        ge=0,
        description="The Launch Readiness Check page of a Tier 2/3 release is created at L - N "
        "BD and kept current until launch day.",
    )
    announce_channel: str | tuple[str, ...] = Field(
        "#support-sales",
        description="Channel, or channels (Support's and Sales'), told when a Tier 2/3 bundle "
        "is published.",
    )
    announce_max_age_days: int = Field(
        7,
        ge=0,
        description="Bundles published longer ago than this are not announced (a first run "
        "over old releases must not flood the channel).",
    )


class WeeklySettings(_Section):
    weekday: int = Field(4, ge=1, le=7, description="ISO weekday of the update (4 = Thursday).")
    submission_due: time = time(14, 0)
    publish_due: time = time(16, 0)
    upcoming_days: int = Field(14, ge=1, description="'Upcoming launches' horizon in days.")
    reminder_hours_before: float | None = Field(
        None, gt=0, description="Remind PMs without a submission this long before the due time."
    )
    slack_channel: str = Field("#product-updates", description="Where the update is posted.")
    email_channel: str = Field("email:stakeholders", description="Who the update is emailed to.")


class RoadmapSettings(_Section):
    first_review: date | None = Field(None, description="Any one biweekly Roadmap Review date.")
    interval_days: int = Field(14, ge=1)
    publish_within_hours: int = Field(
        24, ge=1, description="View due this long after the review ends (cadence time + length)."
    )
    prep_days_before: int = Field(
        1,
        ge=0,
        description="The review's prep page appears this many business days before the "
        "review (0: on the day) and is kept up to date until the review day.",
    )


class InsightSettings(_Section):
    escalate_after_days: int | None = Field(
        None, ge=1, description="Escalate untriaged High items after N days (else next review)."
    )
    escalate_min_age_days: int = Field(
        7,
        ge=0,
        description="An undecided High item escalates at the first Monthly Insights Review "
        "held at least N days after it was received, so its PM had time to decide.",
    )
    review_weekday: int = Field(2, ge=1, le=7, description="Monthly Insights Review weekday.")
    review_week_of_month: int = Field(1, ge=1, le=4, description="…on its Nth occurrence.")
    top_themes: int = Field(5, ge=1)
    quotes_per_theme: int = Field(3, ge=0)
    themes: dict[str, str] = Field(
        default_factory=dict,
        description='Theme vocabulary: tag → name shown on pages (UX-friction = "UX friction"). '
        "Tags match in any case; with a vocabulary, an unlisted tag is a finding. Without one, "
        'pages show the tag in words ("UX-friction" as "UX friction").',
    )
    segments: dict[str, str] = Field(
        default_factory=dict,
        description='Segment vocabulary, as for themes (mid-market = "Mid-market").',
    )


class PostLaunchSettings(_Section):
    day3_days: int = Field(3, ge=1)
    day14_days: int = Field(14, ge=1)
    min_action_items: int = Field(1, ge=0, description="A Day 14 retro ends in at least N items.")
    max_action_items: int = Field(3, ge=1)
    day3_channel: str = Field(
        "#product-ops", description='Where the Day 3 check-in thread is started; "" for none.'
    )
    day14_reminder: bool = Field(
        True, description="Remind the PM by direct message when the Day 14 retro is due."
    )
    lookback_days: int = Field(
        14,
        ge=0,
        description="Capture covers a launch only if post-launch rules were on for its area "
        "(rollout phases) by N days after it, so a first sync makes no pages for old launches.",
    )


class OwnerSettings(_Section):
    """R10: every open finding routed to the person who must act on it."""

    enabled: bool = Field(
        True,
        description="Keep the Product Ops action list page and send each owner a digest of "
        "their open findings.",
    )
    product_ops: str | None = Field(
        None,
        description="Person key of the Product Ops lead, who gets every finding grouped by "
        "owner (default: the first person with role product_ops).",
    )
    digest_time: time = Field(
        time(9, 0), description="Digests go out on business days from this local time."
    )
    digest_every_days: int = Field(
        1,
        ge=1,
        description="At most one digest per person in this many days (1: at most daily; 7: "
        "at most weekly).",
    )
    digest_via: tuple[Literal["slack", "email"], ...] = Field(
        ("slack",),
        description='How digests reach people: "slack" (a direct message), "email", or both.',
    )
    escalate_to: str | None = Field(
        None,
        description='Where escalations go ("#channel" or "dm:<person>"; default: the Head of '
        "Product's direct messages).",
    )


DEFAULT_PING_PATTERNS = (
    r"what'?s the status",
    r"what is the status",
    r"any updates? on",
    r"status of",
    r"eta on",
)


class ScorecardSettings(_Section):
    surprise_max: float = Field(0.10, ge=0, le=1)
    ping_reduction_min: float = Field(0.50, ge=0, le=1)
    coverage_min: float = Field(1.0, ge=0, le=1)
    pm_satisfaction_min: float = Field(0.70, ge=0, le=1)
    ritual_adoption_min: float = Field(0.80, ge=0, le=1)
    ping_channels: tuple[str, ...] = Field(
        (),
        description='Channels whose "what\'s the status of X?" messages are counted per week '
        "through Slack (the sample audit, pack section 7); empty: hand-entered ping_audits "
        "only.",
    )
    ping_patterns: tuple[str, ...] = Field(
        DEFAULT_PING_PATTERNS,
        description="Regular expressions (case-insensitive) a message matches to count as a "
        "status ping.",
    )
    ping_since: date | None = Field(
        None,
        description="First week counted (its Monday is the baseline); default: the first "
        "rollout phase's start, else 10 weeks before the first run.",
    )

    @field_validator("ping_patterns")
    @classmethod
    def _patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"ping pattern {pattern!r} is not a regular expression: {exc}"
                ) from None
        return value


class SurveySettings(_Section):
    """``[rules.surveys]``: the post-release surprise survey and the quarterly PM pulse, asked
    in Slack and answered with reactions (pack section 7, measurement plan)."""

    stakeholder_channels: tuple[str, ...] = Field(
        (),
        description='Channels asked "Were you aware of <release> before it shipped?" after '
        'each Tier 2/3 launch, e.g. ["#sales", "#support", "#cs"]; empty: no survey is sent.',
    )
    send_within_days: int = Field(
        3,
        ge=0,
        description="A survey or pulse not sent on its day goes out with a run this many days "
        "later at most (a first run over old launches must not flood the channels).",
    )
    read_days: int = Field(
        14,
        ge=1,
        le=30,
        description="Reactions to a survey or pulse are read back for this many days after it "
        "was sent; afterwards its answers are final.",
    )
    pulse_business_day: int | None = Field(
        None,
        ge=1,
        le=40,
        description="The quarterly PM pulse is sent by DM to each PM on this business day of "
        "the quarter (1 = the first); unset: no pulse is sent.",
    )


class IntakeSettings(_Section):
    """``[rules.intake]``: requests to Product Ops (pack section 1, "Product Ops triages
    weekly"; RULES.md R10), from the wiki collection and, with Slack, the intake channel."""

    triage_within_days: int = Field(
        7,
        ge=1,
        description="A request still new this many days after it was received is a finding "
        "for Product Ops (due that day).",
    )
    slack_channel: str | None = Field(
        None,
        description='The channel whose messages become requests, e.g. "#product-ops" (needs '
        "a Slack connector); unset: requests come from the wiki collection only.",
    )
    slack_days: int = Field(
        14,
        ge=1,
        le=90,
        description="How far back the intake channel is read on each run; a request is "
        "created once, however often it is read.",
    )


class RetroSettings(_Section):
    """The rollout retros (Week 4, Week 8, Week 12 / Day 90; pack section 7)."""

    page_days_before: int = Field(
        2,
        ge=0,
        description="Each retro's page appears N business days before the retro is held, and "
        "is kept up to date until that day.",
    )


class CadenceSettings(_Section):
    """Where the pack's rituals sit in the day; the pack gives durations, not clock times."""

    quarter_start_months: tuple[int, ...] = (1, 4, 7, 10)
    horizon_days: int = Field(90, ge=1, description="How far ahead the ritual calendar reaches.")
    roadmap_review_time: time = time(10, 0)
    roadmap_review_minutes: int = Field(45, ge=1)
    readiness_time: time = Field(
        time(11, 0), description="Start of a Launch Readiness Check (recorded day or placeholder)."
    )
    readiness_minutes: int = Field(30, ge=1)
    training_time: time = Field(
        time(13, 0),
        description="Start of a Tier 3 training session (recorded day or placeholder).",
    )
    training_minutes: int = Field(60, ge=1, description="Length of a Tier 3 training session.")
    day14_sync_time: time = Field(time(11, 0), description="Start of a Tier 3 Day 14 sync.")
    day14_sync_minutes: int = Field(30, ge=1, description="Length of a Tier 3 Day 14 sync.")
    insights_review_time: time = Field(
        time(14, 0), description="Clear of the 10:00 roadmap review."
    )
    insights_review_minutes: int = Field(45, ge=1)
    planning_time: time = time(9, 0)
    planning_minutes: int = Field(240, ge=1, description="Quarterly Planning/QBR: half a day.")
    qbr_pack_days_before: int = Field(
        5,
        ge=0,
        description="The QBR pack page (qbr/<year>-Q<n>) is published this many business days "
        "before the Quarterly Planning/QBR and kept up to date through the meeting day.",
    )
    retro_time: time = Field(
        time(14, 0), description="Start of a rollout retro (Week 4, Week 8, Week 12 / Day 90)."
    )
    retro_minutes: int = Field(60, ge=1, description="Length of a rollout retro.")
    attendees: bool = Field(
        True,
        description="List each event's attendees and organizer (people by role, those with an "
        "email) in the feed; false keeps every email address out of it.",
    )

    @field_validator("quarter_start_months")
    @classmethod
    def _months(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(not 1 <= m <= 12 for m in value):
            raise ValueError("quarter_start_months needs one or more months between 1 and 12")
        return tuple(sorted(set(value)))


class DateStyle(StrEnum):
    """How generated pages write dates: one style per page, so a reader never meets the
    same day written three ways."""

    LONG = "long"  # Thursday, December 3 in prose; Dec 3 in tables
    SHORT = "short"  # Thu, Dec 3 in prose; Dec 3 in tables
    ISO = "iso"  # 2026-12-03 everywhere


class OutputSettings(_Section):
    """``[output]``: how generated pages read, whatever the rule that writes them."""

    date_style: DateStyle = Field(
        DateStyle.LONG,
        description='Dates on generated pages: "long" (Thursday, December 3 in prose, Dec 3 in '
        'tables), "short" (Thu, Dec 3) or "iso" (2026-12-03). The year is written when it is '
        "not the year of the page's own date.",
    )
    list_limit: int = Field(
        25,
        ge=1,
        description="Longest list a page shows; the rest is one line (and N more) pointing to "
        "where the full list is.",
    )


class RolloutPhase(_Section):
    """From ``starts_on``, the listed rule families apply to the listed areas (``*`` = all)."""

    name: str
    starts_on: date
    areas: tuple[str, ...] = ("*",)
    rules: tuple[RuleFamily | str, ...] = ("*",)

    @field_validator("rules")
    @classmethod
    def _known_families(cls, value: tuple[RuleFamily | str, ...]) -> tuple[RuleFamily | str, ...]:
        """A misspelt family would silently switch nothing on; reject it instead."""
        known = {f.value for f in RuleFamily}
        unknown = [str(r) for r in value if r != "*" and str(r) not in known]
        if unknown:
            raise ValueError(f"unknown rule families {unknown}; use '*' or one of {sorted(known)}")
        return tuple(r if r == "*" else RuleFamily(r) for r in value)


class Settings(_Section):
    enablement: EnablementSettings = EnablementSettings()
    weekly: WeeklySettings = WeeklySettings()
    roadmap: RoadmapSettings = RoadmapSettings()
    insights: InsightSettings = InsightSettings()
    post_launch: PostLaunchSettings = PostLaunchSettings()
    scorecard: ScorecardSettings = ScorecardSettings()
    surveys: SurveySettings = SurveySettings()
    intake: IntakeSettings = IntakeSettings()
    cadence: CadenceSettings = CadenceSettings()
    retros: RetroSettings = RetroSettings()
    owners: OwnerSettings = OwnerSettings()
    # set from the config's [output] (as rollout from [[rollout.phases]]); left out of a
    # dump of [rules], where it does not belong
    output: OutputSettings = Field(OutputSettings(), exclude=True)
    rollout: tuple[RolloutPhase, ...] = ()

    def enabled(self, family: RuleFamily, area: str | None, today: date) -> bool:
        """Whether ``family`` applies to ``area`` on ``today`` under the rollout phases.

        With no phases configured every rule applies org-wide. A record with no area is
        covered only by phases that name ``*`` (it cannot belong to a pilot area).
        """
        if not self.rollout:
            return True
        for phase in self.rollout:
            if phase.starts_on > today:
                continue
            if "*" not in phase.rules and family not in phase.rules:
                continue
            if "*" in phase.areas or (area is not None and area in phase.areas):
                return True
        return False

    def enabled_anywhere(self, family: RuleFamily, areas: tuple[str, ...], today: date) -> bool:
        return self.enabled(family, None, today) or any(
            self.enabled(family, a, today) for a in areas
        )
