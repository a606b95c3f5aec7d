"""Insights pipeline items: intake, taxonomy, routing and disposition (pack section 5)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from opsync.domain.base import Model


class InsightSource(StrEnum):
    CS_SALES = "cs/sales notes"
    SUPPORT = "support tickets"
    ANALYTICS = "product analytics"
    RESEARCH = "research/interviews"
    COMMUNITY = "community/social/reviews"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Disposition(StrEnum):
    BACKLOG = "backlog"
    NEEDS_RESEARCH = "needs research"
    ALREADY_ADDRESSED = "already addressed"
    WONT_DO = "won't do"


class Insight(Model):
    key: str
    summary: str
    source: InsightSource | None = None
    received_on: date | None = None
    theme: str | None = None
    segment: str | None = None
    severity: Severity | None = None
    evidence_type: str | None = None
    product_area: str | None = None
    quote: str = ""
    account: str | None = None
    disposition: Disposition | None = None
    disposition_rationale: str = ""
    disposition_on: date | None = None
