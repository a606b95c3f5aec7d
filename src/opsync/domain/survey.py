"""Measurement inputs of the scorecard: surprise survey, PM pulse and status-ping audits."""

from __future__ import annotations

from datetime import date

from opsync.domain.base import Model


class SurveyAnswer(Model):
    """Post-release survey: "Were you aware of this release before it shipped?"."""

    key: str
    release_key: str
    respondent: str
    team: str = ""
    aware_before_ship: bool
    answered_on: date | None = None


class PulseAnswer(Model):
    """Quarterly PM pulse: "Product Ops has reduced the time I spend on coordination"."""

    key: str
    respondent: str
    agree: bool
    answered_on: date | None = None


class PingAudit(Model):
    """A hand-entered sample audit of "what's the status of X?" pings in Slack."""

    key: str
    period_start: date
    count: int
    baseline: bool = False
    channel: str = ""
