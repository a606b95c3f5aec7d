"""The domain's records as every connector stores them: which fields each collection has, the
labels and option names people see for them, and the translation of flat field values (a
tracker row, a wiki record's properties) into domain models. How each value is read (blank
means missing, the pack's spellings of enumerations, the organisation's aliases) is the
domain's own: see :mod:`opsync.domain.reading`.

The local workspace, Notion and any other connector share these tables, so a field added to
a record reaches every connector at once and they all name it the same way. A value that
does not fit its field, or a field the record cannot be without left blank, becomes a
finding that names the record, its source and the field, and the record is left out of the
snapshot, so the engine neither derives nor writes anything for it: one broken record never
stops the run and is never "fixed" by opsync.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from opsync.domain import (
    Collection,
    Decision,
    Finding,
    Friction,
    Insight,
    InsightAction,
    Level,
    PingAudit,
    PulseAnswer,
    Release,
    Request,
    RitualOccurrence,
    RoadmapItem,
    RoadmapView,
    ScorecardWeek,
    SurveyAnswer,
    WeeklySubmission,
    WeeklyUpdate,
    ref,
)
from opsync.domain.reading import ALIASES, Aliases

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
    Collection.SCORECARD_HISTORY: ScorecardWeek,
    Collection.FRICTIONS: Friction,
    Collection.REQUESTS: Request,
    Collection.INSIGHT_ACTIONS: InsightAction,
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
    "eng_monitoring_confirmed_on": ("readiness", "eng_monitoring_confirmed_on"),
    "rollback_ready_on": ("readiness", "rollback_ready_on"),
    "go_no_go": ("readiness", "go_no_go"),
    "go_no_go_on": ("readiness", "go_no_go_on"),
    "readiness_meeting_on": ("readiness", "meeting_on"),
    "training_on": ("readiness", "training_on"),
    "day3_done_on": ("post_launch", "day3_done_on"),
    "day14_done_on": ("post_launch", "day14_done_on"),
    "action_items": ("post_launch", "action_items"),
}

# Fields the rules derive and write (docs/concepts.md, "opsync" row; docs/rules.md).
DERIVED_FIELDS: dict[Collection, tuple[str, ...]] = {
    Collection.RELEASES: (
        "tier_label",
        "enablement_status",
        "handoff_due",
        "publish_due",
        "readiness_due",
        "bundle_kind",
        "bundle_sections_complete",
        "day3_due",
        "day14_due",
    ),
    Collection.DECISIONS: ("review_due",),
    Collection.INSIGHTS: ("triage_status", "routed_to", "routed_on", "escalated"),
    Collection.ROADMAP_ITEMS: ("date_range",),
}
# Collections opsync writes whole and keeps up to date (the scorecard history): every field
# of their records but the key is opsync's, as the derived fields are on people's records.
WRITTEN_WHOLE: frozenset[Collection] = frozenset({Collection.SCORECARD_HISTORY})
# The field shown as each collection's title property ("Name" by default).
TITLE_FIELDS = {
    Collection.DECISIONS: "decision",
    Collection.INSIGHTS: "summary",
    Collection.REQUESTS: "summary",
    Collection.INSIGHT_ACTIONS: "action",
}
_LABELS = {
    "key": "opsync key",
    "pm": "PM",
    "url": "URL",
    "go_no_go": "Go/no-go",
    "go_no_go_on": "Go/no-go on",
    "day3_due": "Day 3 due",
    "day14_due": "Day 14 due",
    "day3_done_on": "Day 3 done on",
    "day14_done_on": "Day 14 done on",
}
DEFAULT_OPTIONS: dict[Collection, dict[str, dict[str, str]]] = {
    Collection.RELEASES: {"tier": {"1": "Tier 1", "2": "Tier 2", "3": "Tier 3"}},
}


def domain_fields(collection: Collection) -> tuple[str, ...]:
    """Every field of ``collection`` a record holds, ``key`` first and the fields the rules
    derive last; a generated page has only a key and a title."""
    if collection is Collection.RELEASES:
        fields: tuple[str, ...] = (*TRACKER_FIELDS, *RELEASE_WIKI_FIELDS)
    elif collection in RECORD_MODELS:
        fields = tuple(f for f in RECORD_MODELS[collection].model_fields if f != "key")
    else:  # generated pages
        return ("key", "title")
    return ("key", *fields, *DERIVED_FIELDS.get(collection, ()))


def default_name(collection: Collection, field: str) -> str:
    """The label people see for ``field`` when their config names none: the title field
    is "Name", a few read better spelled out, the rest is the field in words."""
    if field == TITLE_FIELDS.get(collection, "title"):
        return "Name"
    return _LABELS.get(field) or field.replace("_", " ").capitalize()


def field_annotation(collection: Collection, field: str) -> Any:
    """The model annotation of a flat field (a release's wiki field is read from its
    group); None for a field no model declares, such as one the rules derive."""
    if collection is Collection.RELEASES:
        group, name = RELEASE_WIKI_FIELDS.get(field, ("", field))
        model: Any = Release.model_fields[group].annotation if group else Release
    else:
        model, name = RECORD_MODELS.get(collection), field
    info = model.model_fields.get(name) if model else None
    return info.annotation if info else None


def value_shape(collection: Collection, field: str) -> str:
    """How a field's values look in the domain: date, datetime, int, lines, json, text
    (a str never None) or any."""
    annotation = field_annotation(collection, field)
    args = [a for a in get_args(annotation) if a is not type(None)]
    optional = get_origin(annotation) in (Union, types.UnionType)
    base = args[0] if optional and len(args) == 1 else annotation
    if get_origin(base) is tuple:
        return "lines" if get_args(base)[0] is str else "json"
    if base is datetime:
        return "datetime"
    if base is date:
        return "date"
    if isinstance(base, type) and issubclass(base, int) and base is not bool:
        return "int"
    return "text" if base is str and not optional else "any"


_NESTED_TO_FLAT = {v: k for k, v in RELEASE_WIKI_FIELDS.items()}


EXCERPT = 80


def excerpt(value: Any) -> str:
    """A value as a finding shows it: its repr, cut to ``EXCERPT`` characters. A finding is
    read by a person; a 10,000-character title or a nested list echoed whole is noise, and
    formatting a huge value whole can cost a run its memory."""
    if isinstance(value, dict | list | tuple | set):
        shown = f"<{type(value).__name__} of {len(value)} item{'s' if len(value) != 1 else ''}>"
        return shown
    text = repr(value)
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def _findings(exc: ValidationError, record: str, source: str) -> list[Finding]:
    out: list[Finding] = []
    for error in exc.errors():
        loc = tuple(str(p) for p in error["loc"])
        name = _NESTED_TO_FLAT.get(loc[:2], loc[0]) if loc else "?"  # type: ignore[arg-type]
        if error["type"] == "missing":
            out.append(_missing(record, name, source))
            continue
        value = error.get("input")
        hint = (
            " (or name it an alias under [aliases] in opsync.toml)"
            if error["type"] == "enum"
            else ""
        )
        out.append(
            Finding(
                code="record.invalid",
                record=record,
                field=name,
                level=Level.ERROR,
                message=(
                    f"{source}: `{name}` = {excerpt(value)} is not valid ({error['msg']}). Fix "
                    f"the value{hint} "
                    "in the file; this record is skipped until then, everything else syncs."
                ),
            )
        )
    return out


def _missing(record: str, name: str, source: str) -> Finding:
    """A field the record cannot be without is absent or blank: said as missing, never as
    a value that does not fit (RULES.md "Reading input"); the record still has to wait."""
    return Finding(
        code="record.field-missing",
        record=record,
        field=name,
        level=Level.ERROR,
        message=(
            f"{source}: `{name}` is missing or blank, and this record cannot be used without "
            "it. Fill it in; the record is skipped until then, everything else syncs."
        ),
    )


def to_record(
    collection: Collection,
    key: str,
    data: Mapping[str, Any],
    source: str,
    aliases: Aliases | None = None,
) -> tuple[BaseModel | None, list[Finding]]:
    """A record of ``collection`` from its flat fields; ``aliases`` are the organisation's
    own words for enumeration values (see :mod:`opsync.domain.reading`)."""
    model = RECORD_MODELS[collection]
    fields = {k: v for k, v in data.items() if k in model.model_fields}
    fields["key"] = key
    try:
        return model.model_validate(fields, context={ALIASES: aliases}), []
    except ValidationError as exc:
        return None, _findings(exc, ref(collection, key), source)


def to_release(
    key: str,
    tracker_row: Mapping[str, Any],
    wiki: Mapping[str, Any],
    source: str,
    aliases: Aliases | None = None,
) -> tuple[Release | None, list[Finding]]:
    """A release from its tracker row plus the people-owned fields of its wiki record."""
    data: dict[str, Any] = {k: v for k, v in tracker_row.items() if k in TRACKER_FIELDS}
    data["key"] = key
    for flat, (group, name) in RELEASE_WIKI_FIELDS.items():
        if flat in wiki:
            data.setdefault(group, {})[name] = wiki[flat]
    try:
        release = Release.model_validate(data, context={ALIASES: aliases})
    except ValidationError as exc:
        return None, _findings(exc, ref(Collection.RELEASES, key), source)
    if release.title.strip():
        return release, []
    untitled = Finding(
        code="record.untitled",
        record=ref(Collection.RELEASES, key),
        field="title",
        level=Level.WARNING,
        message=(
            f"{source}: the release has no title, so pages and messages show it by its key "
            f"{key}. Give it a title in the tracker."
        ),
    )
    return release, [untitled]
