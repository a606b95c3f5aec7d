"""Decision log entries (pack section 4, Decision Log template)."""

from __future__ import annotations

from datetime import date

from opsync.domain.base import Model


class Decision(Model):
    key: str
    decided_on: date | None = None
    decision: str = ""
    context: str = ""
    options: str = ""
    rationale: str = ""
    owner: str | None = None
    review_date: date | None = None
    reviewed_on: date | None = None
    product_area: str | None = None
