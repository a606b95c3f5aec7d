"""Config of the Notion connector, and Notion pages as the flat dicts the domain mapping takes.

People keep their databases as they are: the config maps each domain field to their property
name and each domain value to their option name (a "Launch tier" select with options
T1/T2/T3 needs no renaming), and only what differs from the defaults needs writing.

Values read from a page take the shapes the engine compares owned values in
(``opsync.engine.desired.plain``): dates as ``date``, datetimes as ISO text, lists as lists,
an int enum (tier) as its number. A value in another shape would look changed on every run
and be rewritten forever. What a page cannot give is a finding on that record, never an
exception.
"""

from __future__ import annotations

import json
import re
import types
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from opsync.config import TokenConnectorConfig, register_connector_config
from opsync.config_problems import invalid, suggest
from opsync.connectors.local.mapping import RECORD_MODELS, RELEASE_WIKI_FIELDS, TRACKER_FIELDS
from opsync.connectors.notion.hashes import HASHES_FIELD
from opsync.connectors.notion.properties import (
    DateRange,
    FileRef,
    PropertyWriteError,
    Relation,
    Unknown,
    User,
    build_value,
    parse_value,
    property_type,
)
from opsync.domain import Collection, Finding, Level, Release, ref

_ID = re.compile(r"([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})")


def _notion_id(value: str) -> str:
    """An id as Notion prints it, from an id with or without dashes or from a page's URL."""
    path = value.strip().lower().split("?")[0].split("#")[0]
    found = _ID.findall(path)
    if not found:
        hint = "copy the 32-character id from the database's URL (Share → Copy link)"
        raise invalid(f'"{value}" is not a Notion id', hint)
    return "-".join(found[-1])


NotionId = Annotated[str, AfterValidator(_notion_id)]

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
# The field shown as each collection's title property ("Name" by default).
TITLE_FIELDS = {Collection.DECISIONS: "decision", Collection.INSIGHTS: "summary"}
_NAMES = {
    "key": "opsync key",
    HASHES_FIELD: "opsync hashes",
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
    """Every field of ``collection`` a Notion property can hold, ``key`` first, and the
    hashes of what opsync last wrote (``hashes.py``) last."""
    if collection is Collection.RELEASES:
        fields: tuple[str, ...] = (*TRACKER_FIELDS, *RELEASE_WIKI_FIELDS)
    elif collection in RECORD_MODELS:
        fields = tuple(f for f in RECORD_MODELS[collection].model_fields if f != "key")
    else:  # generated pages
        return ("key", "title")
    return ("key", *fields, *DERIVED_FIELDS.get(collection, ()), HASHES_FIELD)


def default_name(collection: Collection, field: str) -> str:
    if field == TITLE_FIELDS.get(collection, "title"):
        return "Name"
    return _NAMES.get(field) or field.replace("_", " ").capitalize()


class CollectionMapping(BaseModel):
    """``[connectors.<name>.collections.<collection>]``: one data source and its names."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    database_id: NotionId = Field(description="The database (id or URL) holding the rows.")
    data_source_id: NotionId | None = Field(
        None, description="Which data source of the database; found from the database if unset."
    )
    data_source_name: str | None = Field(
        None, description="Or the data source's name, for a database that holds several."
    )
    properties: dict[str, str] = Field(
        default_factory=dict, description="Domain field → your property name, where it differs."
    )
    options: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Domain field → {domain value → your option name}."
    )


class NotionConnectorConfig(TokenConnectorConfig):
    """``[connectors.<name>]`` with ``type = "notion"``."""

    type: Literal["notion"] = Field("notion", description="Notion, through its public API.")
    base_url: str = Field("https://api.notion.com", description="API root (an emulator's, say).")
    notion_version: str = Field("2025-09-03", description="The Notion-Version header sent.")
    collections: dict[Collection, CollectionMapping] = Field(
        default_factory=dict, description="Where each collection lives, and its names."
    )
    people: dict[str, str] = Field(
        default_factory=dict, description="Person key → Notion user id (or email, to read)."
    )
    requests_per_second: float = Field(2.8, gt=0, description="Pace; Notion allows 3 on average.")
    full_pass_hours: float = Field(
        24, gt=0, description="How often a full read looks for pages moved to the trash."
    )
    pages: CollectionMapping | None = Field(None, description="Database of generated pages.")

    def identity(self) -> dict[str, str]:
        """Where records live: each database and names, not the data source id (found from
        the database, or an earlier version's database id migrated by ``sources.py``)."""
        no_source = {"collections": {"__all__": {"data_source_id"}}, "pages": {"data_source_id"}}
        dump = self.model_dump(exclude=no_source)  # type: ignore[arg-type]
        return {k: str(v) for k, v in dump.items() if k not in self.NOT_IDENTITY}

    @model_validator(mode="after")
    def _known_names(self) -> NotionConnectorConfig:
        for collection, entry in self.collections.items():
            where = f"collections.{collection.value}"
            known = domain_fields(collection)
            for table in ("properties", "options"):
                for name in getattr(entry, table):
                    if name not in known:
                        hint = suggest(name, known) + f"fields: {', '.join(known)}"
                        raise invalid(f'{where}.{table}: "{name}" is not a field', hint)
            if entry.data_source_id and entry.data_source_name:
                hint = "keep data_source_id, or data_source_name, not both"
                raise invalid(f"{where} names its data source twice", hint)
            _check_unique(where, property_names(self, collection), "property")
            for field, names in entry.options.items():
                _check_unique(f"{where}.options.{field}", names, "option")
        for name in self.pages.properties if self.pages else ():
            if name not in ("key", "title", "kind", "regions"):
                raise invalid(f'pages.properties: "{name}" is not one of key, title, kind, regions')
        return self


def _check_unique(where: str, names: Mapping[str, str], what: str) -> None:
    """Property names are matched exactly, option names ignoring case (as they are read)."""
    seen: dict[str, str] = {}
    for field, name in names.items():
        folded = name.casefold() if what == "option" else name
        if folded in seen:
            hint = f"give {seen[folded]} and {field} different {what} names"
            raise invalid(f'{where}: two entries use the {what} "{name}"', hint)
        seen[folded] = field


register_connector_config("notion", NotionConnectorConfig)


def property_names(config: NotionConnectorConfig, collection: Collection) -> dict[str, str]:
    """Every domain field of ``collection`` → the Notion property holding it."""
    entry = config.collections.get(collection)
    overrides = entry.properties if entry else {}
    return {f: overrides.get(f) or default_name(collection, f) for f in domain_fields(collection)}


def options(config: NotionConnectorConfig, collection: Collection, field: str) -> dict[str, str]:
    """Domain value → Notion option name for ``field``; empty when the names are the same."""
    entry = config.collections.get(collection)
    if entry is not None and field in entry.options:
        return entry.options[field]
    return DEFAULT_OPTIONS.get(collection, {}).get(field, {})


def _annotation(collection: Collection, field: str) -> Any:
    if collection is Collection.RELEASES:
        group, name = RELEASE_WIKI_FIELDS.get(field, ("", field))
        model: Any = Release.model_fields[group].annotation if group else Release
    else:
        model, name = RECORD_MODELS.get(collection), field
    info = model.model_fields.get(name) if model else None
    return info.annotation if info else None


def _shape(collection: Collection, field: str) -> str:
    """How a field's values look in the domain: date, datetime, int, lines, json, text
    (a str never None) or any."""
    annotation = _annotation(collection, field)
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


def _flat(values: tuple[Any, ...]) -> list[Any]:
    """Items of a multi-value, with a rollup's arrays of multi-values opened up."""
    return [i for v in values for i in (_flat(v) if isinstance(v, tuple) else [v])]


def _finding(code: str, record: str, field: str, message: str, level: Level) -> Finding:
    return Finding(code=code, record=record, field=field, message=message, level=level)


class _Reader:
    """One page's values in domain terms, with the findings they raise."""

    def __init__(
        self, config: NotionConnectorConfig, collection: Collection, page_keys: Mapping[str, str]
    ) -> None:
        self.config, self.collection, self.page_keys = config, collection, page_keys
        self.record = ""
        self.findings: list[Finding] = []

    def note(self, code: str, field: str, message: str, level: Level = Level.WARNING) -> None:
        self.findings.append(_finding(code, self.record, field, message, level))

    def option(self, field: str, name: str) -> str:
        table = options(self.config, self.collection, field)
        if not table:
            return name
        back = {v.casefold(): k for k, v in table.items()}
        if name.casefold() in back:
            return back[name.casefold()]
        choices = ", ".join(f'"{v}"' for v in table.values())
        self.note(
            "notion.option-unmapped",
            field,
            f'"{name}" is not one of the options mapped for {field} ({choices}); map it under '
            f"options.{field} in the connector's collections.{self.collection.value} table",
        )
        return name

    def person(self, field: str, user: User) -> str:
        for key, known in self.config.people.items():
            if known in (user.id, user.email):
                return key
        self.note(
            "notion.person-unmapped",
            field,
            f"{user.name or user.id} is not in the connector's people table; add "
            f'{{ <person key> = "{user.id}" }} to it',
            Level.INFO,
        )
        return user.email or user.name or user.id

    def value(self, field: str, value: Any) -> Any:
        shape = _shape(self.collection, field)
        if isinstance(value, Relation):
            if value.has_more:
                message = f"Notion sent only the first {len(value.ids)} related pages of {field}"
                self.note("notion.relation-truncated", field, message)
            value = tuple(self.page_keys.get(i, i) for i in value.ids)
        if isinstance(value, tuple):
            items = [self.scalar(field, shape, v) for v in _flat(value)]
            return items if shape in ("lines", "json") else (items[0] if items else None)
        if isinstance(value, str) and shape == "lines":
            return [line for line in value.splitlines() if line.strip()]
        if isinstance(value, str) and shape == "json":
            try:
                return json.loads(value) if value else []
            except ValueError:
                self.note("notion.value-unreadable", field, f"{field} is not opsync's JSON")
                return None
        return self.scalar(field, shape, value)

    def scalar(self, field: str, shape: str, value: Any) -> Any:
        if isinstance(value, User):
            value = self.person(field, value)
        if isinstance(value, FileRef):
            return value.url or value.name
        if isinstance(value, DateRange):
            value = value.start
        if isinstance(value, datetime):
            return value.date() if shape == "date" else value.isoformat()
        if isinstance(value, str):
            if not value:
                return "" if shape == "text" else None
            value = self.option(field, value)
            return int(value) if shape == "int" and value.isdigit() else value
        if isinstance(value, float) and shape == "int" and value.is_integer():
            return int(value)
        return value


def page_to_fields(
    page: Mapping[str, Any],
    config: NotionConnectorConfig,
    collection: Collection,
    page_keys: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any], list[Finding]]:
    """The flat dict of domain field → value for a page of ``collection``, and findings.

    Properties the page lacks are left out (``doctor`` reports them once); ``page_keys``
    turns related page ids into opsync keys.
    """
    reader = _Reader(config, collection, page_keys or {})
    names = property_names(config, collection)
    props: Mapping[str, Any] = page.get("properties", {})
    parsed = {field: parse_value(props[name]) for field, name in names.items() if name in props}
    key = parsed.get("key")
    reader.record = ref(collection, key if isinstance(key, str) and key else str(page.get("id")))
    fields: dict[str, Any] = {}
    for field, value in parsed.items():
        if isinstance(value, Unknown):
            reader.note(
                "notion.property-unreadable",
                field,
                f'"{names[field]}" ({value.type}): {value.reason}; opsync ignores it. Give the '
                f"field a property of a type opsync reads, or map it to another property",
            )
            continue
        fields[field] = reader.value(field, value)
    return fields, reader.findings


def _to_notion(
    config: NotionConnectorConfig, collection: Collection, field: str, kind: str, value: Any
) -> Any:
    table = options(config, collection, field)
    if isinstance(value, list) and kind not in ("multi_select", "people", "relation"):
        if kind not in ("title", "rich_text"):
            raise PropertyWriteError(f"a {kind} property cannot hold a list")
        if all(isinstance(v, str) for v in value):
            return "\n".join(value)
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    if kind == "people":
        keys = value if isinstance(value, list) else [] if value is None else [value]
        missing = [k for k in keys if k not in config.people]
        if missing:
            raise PropertyWriteError(f"no Notion user for {', '.join(map(str, missing))}")
        if any("@" in config.people[k] for k in keys):
            raise PropertyWriteError("Notion takes user ids here; the people table has an email")
        return [config.people[k] for k in keys]
    if kind in ("select", "status", "multi_select", "title", "rich_text") and value is not None:
        if isinstance(value, list):
            return [table.get(str(v), str(v)) for v in value]
        if kind in ("select", "status") or table or not isinstance(value, str):
            return table.get(str(value), str(value))
    return value


def fields_to_properties(
    values: Mapping[str, Any],
    schema: Mapping[str, Any],
    config: NotionConnectorConfig,
    collection: Collection,
    *,
    record: str | None = None,
) -> tuple[dict[str, Any], list[Finding]]:
    """The ``properties`` body that writes ``values`` (domain field → value) into a page of
    ``collection``, typed by the data source's ``schema`` (its ``properties``), and findings
    for the values that cannot be written (those are left out of the body)."""
    where = record or ref(collection, str(values.get("key", "?")))
    names = property_names(config, collection)
    body: dict[str, Any] = {}
    findings: list[Finding] = []
    for field, value in values.items():
        name = names.get(field) or default_name(collection, field)
        entry = schema.get(name)
        if entry is None:
            message = (
                f'the data source has no property "{name}" for {field}; add it, or map {field} '
                f"to an existing property under collections.{collection.value}.properties"
            )
            findings.append(_finding("notion.property-missing", where, field, message, Level.ERROR))
            continue
        kind = property_type(entry)
        try:
            body[name] = build_value(kind, _to_notion(config, collection, field, kind, value))
        except PropertyWriteError as exc:
            message = f'cannot write {value!r} to "{name}" ({kind}): {exc}'
            findings.append(_finding("notion.value-unwritable", where, field, message, Level.ERROR))
    return body, findings
