"""Weekly submissions from PMs and the published Weekly Product Updates (pack sections 3-4)."""

from __future__ import annotations

from datetime import datetime

from opsync.domain.base import Model


class WeeklySubmission(Model):
    """One PM's 5-bullet update for one ISO week (``week`` like ``2026-W49``)."""

    key: str
    week: str
    pm: str
    product_area: str
    submitted_at: datetime | None = None
    wins: str = ""
    next: str = ""
    risks: str = ""
    metrics: str = ""
    links: str = ""


class WeeklyUpdate(Model):
    """A Weekly Product Update as published (the record of it, not its text)."""

    key: str
    week: str
    published_at: datetime | None = None
