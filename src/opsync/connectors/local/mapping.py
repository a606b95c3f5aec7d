"""Translate local files (tracker export rows, record front matter) into domain models.

A value that does not fit its field becomes a finding that names the file and the key, and
the record is left out of the snapshot, so the engine neither derives nor writes anything
for it: one broken record never stops the run and is never "fixed" by opsync.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from opsync.domain import (
    Collection,
    Decision,
    Finding,
    Insight,
    Level,
    PingAudit,
    PulseAnswer,
    Release,
    RitualOccurrence,
    RoadmapItem,
    RoadmapView,
    SurveyAnswer,
    WeeklySubmission,
    WeeklyUpdate,
    ref,
)

RECORD_MODELS: dict[Collection, type[BaseModel]] = {
    Collection.WEEKLY_SUBMISSIONS: WeeklySubmission,
    Collection.WEEKLY_UPDATES: WeeklyUpdate,
    Collection.ROADMAP_ITEMS: RoadmapItem,
    Collection.ROADMAP_VIEWS: RoadmapView,
    Collection.DECISIONS: Decision,
    Collection.INSIGHTS: Insight,
    Collection.SURVEY_ANSWERS: SurveyAnswer,
    Collection.PULSE_ANSWERS: PulseAnswer,
    Collection.PING_AUDITS: PingAudit,
    Collection.RITUALS: RitualOccurrence,
}

TRACKER_FIELDS = (
    "title",
    "tier",
    "launch_date",
    "launch_date_history",
    "launched",
    "product_area",
    "pm",
    "eng_lead",
    "description",
    "stakeholder_summary",
    "url",
)
# Tracker fields copied one way onto the wiki's release record, so people see them there.
MIRRORED_FIELDS = ("title", "tier", "launch_date", "launched", "product_area", "pm", "eng_lead")

# Flat front-matter names people use on a release record -> (group, field) of the model.
RELEASE_WIKI_FIELDS: dict[str, tuple[str, str]] = {
    "bundle_state": ("bundle", "state"),
    "bundle_handed_off_on": ("bundle", "handed_off_on"),
    "bundle_published_on": ("bundle", "published_on"),
    "support_confirmed_on": ("readiness", "support_confirmed_on"),
    "sales_confirmed_on": ("readiness", "sales_confirmed_on"),
    "go_no_go": ("readiness", "go_no_go"),
    "go_no_go_on": ("readiness", "go_no_go_on"),
    "readiness_meeting_on": ("readiness", "meeting_on"),
    "training_on": ("readiness", "training_on"),
    "day3_done_on": ("post_launch", "day3_done_on"),
    "day14_done_on": ("post_launch", "day14_done_on"),
    "action_items": ("post_launch", "action_items"),
}
_NESTED_TO_FLAT = {v: k for k, v in RELEASE_WIKI_FIELDS.items()}


def _findings(exc: ValidationError, record: str, source: str) -> list[Finding]:
    out: list[Finding] = []
    for error in exc.errors():
        loc = tuple(str(p) for p in error["loc"])
        name = _NESTED_TO_FLAT.get(loc[:2], loc[0]) if loc else "?"  # type: ignore[arg-type]
        value = error.get("input")
        out.append(
            Finding(
                code="record.invalid",
                record=record,
                field=name,
                level=Level.ERROR,
                message=(
                    f"{source}: `{name}` = {value!r} is not valid ({error['msg']}). Fix the value "
                    "in the file; this record is skipped until then, everything else syncs."
                ),
            )
        )
    return out


def to_record(
    collection: Collection, key: str, data: dict[str, Any], source: str
) -> tuple[BaseModel | None, list[Finding]]:
    model = RECORD_MODELS[collection]
    fields = {k: v for k, v in data.items() if k in model.model_fields}
    fields["key"] = key
    try:
        return model.model_validate(fields), []
    except ValidationError as exc:
        return None, _findings(exc, ref(collection, key), source)


def to_release(
    key: str, tracker_row: dict[str, Any], wiki: dict[str, Any], source: str
) -> tuple[Release | None, list[Finding]]:
    """A release from its tracker row plus the people-owned fields of its wiki record."""
    data: dict[str, Any] = {
        k: v for k, v in tracker_row.items() if k in TRACKER_FIELDS and v is not None
    }
    data["key"] = key
    for flat, (group, name) in RELEASE_WIKI_FIELDS.items():
        if flat in wiki and wiki[flat] is not None:
            data.setdefault(group, {})[name] = wiki[flat]
    try:
        return Release.model_validate(data), []
    except ValidationError as exc:
        return None, _findings(exc, ref(Collection.RELEASES, key), source)
