"""Product Ops' own backlog (pack section 1): the top-frictions list people rank each
quarter, the requests people bring to Product Ops, and the actions the Monthly Insights
Review assigns. All three are people's records; opsync reads them to prepare the rituals
and to flag what nobody acted on (RULES.md R9, R10)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import field_validator

from opsync.domain.base import Model


class Friction(Model):
    """One entry of the ranked top-frictions list (pack sections 1 and 8).

    ``reduced_by`` names the rituals and artifacts that exist to reduce it ("weekly update",
    "roadmap review", ...): a ritual no friction names is flagged for pruning at the QBR.
    """

    key: str
    title: str
    rank: int | None = None
    quarter: str | None = None
    reduced_by: tuple[str, ...] = ()
    description: str = ""


class RequestStatus(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    PLANNED = "planned"
    DECLINED = "declined"


class Request(Model):
    """A request to Product Ops: from the wiki collection, or read from #product-ops.

    Triaged weekly against the frictions list: ``friction`` is the key of the friction it
    serves; ``triaged_on`` is when someone set the status past "new"."""

    key: str
    summary: str
    requested_by: str | None = None
    received_on: date | None = None
    source: str = ""
    status: RequestStatus = RequestStatus.NEW
    friction: str | None = None
    triaged_on: date | None = None
    link: str | None = None
    notes: str = ""


class InsightAction(Model):
    """An action the Monthly Insights Review assigned (pack: "Insights Digest with actions +
    owners"; "Product Ops tracks action completion; unresolved items escalate to next
    review"). ``review`` is the month of the review that assigned it (``2026-12``); the
    review's day (``2026-12-08``), which people write as readily, is read as its month. An
    action is open until ``done_on`` is set."""

    key: str
    action: str
    owner: str | None = None
    review: str | None = None
    theme: str | None = None
    due_on: date | None = None
    done_on: date | None = None

    @field_validator("review", mode="before")
    @classmethod
    def _month_of_day(cls, value: Any) -> Any:
        """A day, as YAML reads it or as text (a Notion text property), is read as its month:
        every source gives the same record."""
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                return value
        if isinstance(value, date):
            return f"{value.year}-{value.month:02d}"
        return value
