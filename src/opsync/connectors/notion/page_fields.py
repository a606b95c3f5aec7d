"""Notion pages as the flat dicts of domain fields the records take, and those fields back
as a page's ``properties`` body.

Values read from a page take the shapes the engine compares owned values in
(``opsync.engine.desired.plain``): dates as ``date``, datetimes as ISO text, lists as lists,
an int enum (tier) as its number. A value in another shape would look changed on every run
and be rewritten forever. What a page cannot give is a finding on that record, never an
exception.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from opsync.connectors.notion.config import (
    EDITED_BY_FIELD,
    VIEW_FIELDS,
    NotionConnectorConfig,
    default_property_name,
    options,
    property_names,
)
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
from opsync.connectors.records import value_shape
from opsync.domain import Collection, Finding, Level, ref


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
        shape = value_shape(self.collection, field)
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

    Properties the page lacks are left out (``doctor`` reports them once), and so are the
    formulas only views use; ``page_keys`` turns related page ids into opsync keys.
    """
    reader = _Reader(config, collection, page_keys or {})
    names = property_names(config, collection)
    for field in (*VIEW_FIELDS.get(collection, ()), EDITED_BY_FIELD):
        names.pop(field, None)
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
        name = names.get(field) or default_property_name(collection, field)
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
