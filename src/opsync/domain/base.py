"""Shared base for every domain record: frozen, strict about unknown fields, no I/O."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, model_validator

from opsync.domain.reading import read_values


class Model(BaseModel):
    """Immutable value object; connectors build these, rules only read them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _read(cls, data: Any, info: ValidationInfo) -> Any:
        """Blank means missing and enumerations take the pack's spellings (RULES.md
        "Reading input"), for every record, in one place: see :mod:`opsync.domain.reading`."""
        return read_values(cls, data, info.context)


class Collection(StrEnum):
    """The collections of the pack; one word each, used in config, record refs and docs."""

    RELEASES = "releases"
    BUNDLES = "bundles"
    WEEKLY_SUBMISSIONS = "weekly_submissions"
    WEEKLY_UPDATES = "weekly_updates"
    ROADMAP_ITEMS = "roadmap_items"
    ROADMAP_VIEWS = "roadmap_views"
    DECISIONS = "decisions"
    INSIGHTS = "insights"
    SURVEY_ANSWERS = "survey_answers"
    PULSE_ANSWERS = "pulse_answers"
    PING_AUDITS = "ping_audits"
    RITUALS = "rituals"
    POST_LAUNCH = "post_launch"
    DIGESTS = "digests"
    SCORECARDS = "scorecards"
    SCORECARD_HISTORY = "scorecard_history"
    FRICTIONS = "frictions"
    REQUESTS = "requests"
    INSIGHT_ACTIONS = "insight_actions"


def ref(collection: Collection, key: str) -> str:
    """The record reference used in findings and derived fields: ``collection/key``."""
    return f"{collection.value}/{key}"
