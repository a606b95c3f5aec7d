"""``opsync bootstrap notion``: every database opsync needs, under one page, ready to use.

It creates one database per collection (plus the ``pages`` database of generated pages) with
the properties and options the mapping names, and the views people work from, through the
Views API. It is safe to run again: databases are found by title under the parent page and
views by name, only what is missing is added (a property a newer opsync needs, a view), and
a complete workspace gets no write at all. It returns the config block to paste.
"""

from __future__ import annotations

import json
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any, Union, get_args, get_origin

from opsync.connectors.notion.catalog import PAGES, READ_ORDER, page_property_names
from opsync.connectors.notion.client import NotionApi
from opsync.connectors.notion.config import (
    DAYS_TO_LAUNCH_FIELD,
    EDITED_BY_FIELD,
    CollectionMapping,
    NotionConnectorConfig,
    options,
    property_fields,
    property_names,
)
from opsync.connectors.notion.views import ViewSpec, days_to_launch_formula, views_for
from opsync.connectors.records import TITLE_FIELDS, field_annotation
from opsync.domain import Collection
from opsync.domain.people import Person, ProductArea
from opsync.errors import ConfigProblem, ConnectorError

PAGES_TITLE = "opsync pages"
# Fields the rules derive have no model annotation: their types are fixed here.
_DERIVED_KINDS = {
    "tier_label": "rich_text",
    "handoff_due": "date",
    "publish_due": "date",
    "readiness_due": "date",
    "day3_due": "date",
    "day14_due": "date",
    "routed_on": "date",
    "enablement_status": "select",
    "bundle_kind": "select",
    "bundle_sections_complete": "rich_text",
    "review_due": "checkbox",
    "triage_status": "select",
    "routed_to": "select",
    "escalated": "checkbox",
    "date_range": "rich_text",
}
# Keys of people and areas: a select, so boards and filters can group by them.
_KEY_FIELDS = frozenset({"pm", "eng_lead", "owner", "product_area", "routed_to"})
_AREA_FIELDS = frozenset({"product_area"})


def unwritable_keys(
    config: NotionConnectorConfig,
    people: Iterable[Person],
    areas: Iterable[ProductArea],
    name: str = "notion",
) -> list[ConfigProblem]:
    """Person and product area keys that would be written as a select option Notion refuses
    (one with a comma, https://developers.notion.com/reference/property-object#select) in a
    field bootstrap makes a select, unless the connector's options table renames them."""
    problems: list[ConfigProblem] = []
    tables = [
        ("org.people", [p.key for p in people]),
        ("org.product_areas", [a.key for a in areas]),
    ]
    for table, keys in tables:
        for i, key in enumerate(keys):
            if "," not in key:
                continue
            for collection in Collection:
                fields = [
                    f
                    for f in property_fields(collection)
                    if f in _KEY_FIELDS and (f in _AREA_FIELDS) == (table == "org.product_areas")
                ]
                field = next(
                    (f for f in fields if "," in options(config, collection, f).get(key, key)),
                    None,
                )  # the key itself, or what the options table renames it to
                if field is None:
                    continue
                hint = (
                    f"give it a key without a comma, or map it: [connectors.{name}.collections."
                    f'{collection.value}.options] {field} = {{ "{key}" = "<name without a '
                    'comma>" }'
                )
                message = (
                    f'"{key}" holds a comma, which a Notion select option cannot '
                    f"({collection.value}.{field} is a select)"
                )
                problems.append(ConfigProblem(f"{table}[{i}].key", message, hint))
                break
    return problems


@dataclass
class Bootstrap:
    """What a bootstrap did, and where everything is."""

    created: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    ids: dict[str, tuple[str, str]] = field(default_factory=dict)  # where → (db, data source)

    def config_block(self, config: NotionConnectorConfig, name: str = "notion") -> str:
        """The ``[connectors.<name>…]`` tables that point the connector at what exists,
        keeping the property and option names the config already maps."""
        lines: list[str] = []
        for where, (database, source) in self.ids.items():
            entry: CollectionMapping | None = None
            if where == PAGES:
                lines.append(f"[connectors.{name}.pages]")
            else:
                entry = config.collections.get(Collection(where))
                lines.append(f"[connectors.{name}.collections.{where}]")
            lines += [f'database_id = "{database}"', f'data_source_id = "{source}"']
            if entry is not None and entry.properties:
                lines.append(f"properties = {_inline(entry.properties)}")
            if entry is not None and entry.options:
                tables = {k: _inline(v) for k, v in entry.options.items()}
                lines.append(
                    "options = { " + ", ".join(f"{_key(k)} = {v}" for k, v in tables.items()) + " }"
                )
            lines.append("")
        return "\n".join(lines)


def _key(name: str) -> str:
    bare = name.replace("_", "").replace("-", "").isalnum() and name.isascii()
    return name if bare else json.dumps(name, ensure_ascii=False)


def _inline(table: Mapping[str, str]) -> str:
    body = ", ".join(f"{_key(k)} = {json.dumps(v, ensure_ascii=False)}" for k, v in table.items())
    return "{ " + body + " }"


def database_title(where: str) -> str:
    return PAGES_TITLE if where == PAGES else where.replace("_", " ").capitalize()


def _annotation(collection: Collection, name: str) -> Any:
    """A field's type, without the ``| None`` of an optional one."""
    annotation = field_annotation(collection, name)
    args = [a for a in get_args(annotation) if a is not type(None)]
    optional = get_origin(annotation) in (Union, types.UnionType)
    return args[0] if optional and len(args) == 1 else annotation


def property_schema(
    config: NotionConnectorConfig, collection: Collection, name: str
) -> dict[str, Any]:
    """The schema entry that holds domain field ``name`` of ``collection``."""
    if name == "key":
        return {"rich_text": {}}
    if name == TITLE_FIELDS.get(collection, "title"):
        return {"title": {}}
    if name == EDITED_BY_FIELD:
        return {"last_edited_by": {}}
    if name == DAYS_TO_LAUNCH_FIELD:
        return {"formula": {"expression": days_to_launch_formula(config)}}
    table = options(config, collection, name)
    base = _annotation(collection, name)
    kind = _DERIVED_KINDS.get(name)
    choices: Iterable[str] = table.values()
    if kind is None and isinstance(base, type) and issubclass(base, Enum):
        kind = "select"
        choices = [table.get(str(m.value), str(m.value)) for m in base]
    elif kind is None:
        kind = "select" if table or name in _KEY_FIELDS else _kind(base, name)
    if kind == "select":
        return {"select": {"options": [{"name": n} for n in choices]}}
    return {kind: {}}


def _kind(base: Any, name: str) -> str:
    if base is bool:
        return "checkbox"
    if base in (date, datetime):
        return "date"
    if base in (int, float):
        return "number"
    return "url" if name == "url" else "rich_text"


def schema_for(
    config: NotionConnectorConfig, where: str, pages: CollectionMapping | None = None
) -> dict[str, dict[str, Any]]:
    """Property name → schema entry, for collection ``where`` or the pages."""
    if where == PAGES:
        names = page_property_names(pages)
        kinds = {
            "key": "rich_text",
            "title": "title",
            "kind": "select",
            "regions": "rich_text",
            EDITED_BY_FIELD: "last_edited_by",
        }
        return {names[f]: {kind: {}} for f, kind in kinds.items()}
    collection = Collection(where)
    names = property_names(config, collection)
    return {names[f]: property_schema(config, collection, f) for f in property_fields(collection)}


class _Run:
    def __init__(
        self,
        api: NotionApi,
        config: NotionConnectorConfig,
        parent: str,
        pages: CollectionMapping | None,
    ) -> None:
        self.api, self.config, self.parent, self.pages = api, config, parent, pages
        self.result = Bootstrap()

    def existing(self) -> dict[str, str]:
        """Databases under the parent page, by title."""
        children = self.api.paginate(
            self.api.sdk.blocks.children.list, self.parent, what="the parent page"
        )
        return {
            str((b.get("child_database") or {}).get("title", "")): str(b["id"])
            for b in children
            if b.get("type") == "child_database" and not b.get("in_trash")
        }

    def database(self, where: str, found: Mapping[str, str]) -> None:
        title = database_title(where)
        schema = schema_for(self.config, where, self.pages)
        if title in found:
            database = self.api.call(self.api.sdk.databases.retrieve, found[title])
            source = str(database["data_sources"][0]["id"])
            have = self.api.call(self.api.sdk.data_sources.retrieve, source).get("properties", {})
            missing = {n: s for n, s in schema.items() if n not in have}
            if missing:
                self.api.call(self.api.sdk.data_sources.update, source, properties=missing)
                self.result.created += [f"property {title} / {n}" for n in missing]
            self.result.found.append(f"database {title}")
        else:
            database = self.api.call(
                self.api.sdk.databases.create,
                parent={"type": "page_id", "page_id": self.parent},
                title=[{"type": "text", "text": {"content": title}}],
                initial_data_source={"properties": schema},
            )
            if not database.get("data_sources"):
                database = self.api.call(self.api.sdk.databases.retrieve, database["id"])
            source = str(database["data_sources"][0]["id"])
            self.result.created.append(f"database {title}")
        self.result.ids[where] = (str(database["id"]), source)
        self.views(where, str(database["id"]), source)

    def views(self, where: str, database: str, source: str) -> None:
        """Create the missing views, and bring a found one up to date where it is still
        what an older bootstrap made (``views.py``). Views are a convenience: a failure is
        reported, not raised."""
        wanted = views_for(self.config, where)
        if not wanted:
            return
        listed = self.api.paginate(self.api.sdk.views.list, database_id=database, what="views")
        found: dict[str, Mapping[str, Any]] = {}
        for item in listed:
            view = self.api.call(self.api.sdk.views.retrieve, str(item["id"]))
            found.setdefault(str(view.get("name")), view)
        title = database_title(where)
        known: dict[str, Any] = {}

        def schema() -> dict[str, Any]:
            if not known:
                got = self.api.call(self.api.sdk.data_sources.retrieve, source)
                known.update(got.get("properties") or {})
            return known

        for spec in wanted:
            label = f"{title} / {spec.name}"
            try:
                have = found.get(spec.name)
                if have is None:
                    self.create_view(spec, database, source, schema)
                    self.result.created.append(f"view {label}")
                    continue
                update: dict[str, Any] = {}
                if spec.layout and not have.get("configuration"):
                    update["configuration"] = spec.configuration(schema())
                if have.get("filter") != spec.filter and spec.outdated(
                    have.get("filter"), schema()
                ):
                    update["filter"] = spec.filter
                if not update:
                    self.result.found.append(f"view {label}")
                    continue
                self.api.call(self.api.sdk.views.update, str(have["id"]), **update)
            except (ConnectorError, LookupError) as exc:
                self.result.problems.append(f"view {label}: {exc}")
                continue
            what = {"configuration": "layout", "filter": "filter"}
            self.result.created += [f"{what[k]} of view {label}" for k in update]

    def create_view(
        self, spec: ViewSpec, database: str, source: str, schema: Callable[[], dict[str, Any]]
    ) -> None:
        configuration = spec.configuration(schema()) if spec.layout else None
        extra: dict[str, Any] = {
            k: v
            for k, v in (
                ("filter", spec.filter),
                ("sorts", spec.sorts),
                ("configuration", configuration),
            )
            if v
        }
        self.api.call(
            self.api.sdk.views.create,
            database_id=database,
            data_source_id=source,
            name=spec.name,
            type=spec.type,
            **extra,
        )


def bootstrap(
    api: NotionApi,
    parent_page_id: str,
    config: NotionConnectorConfig,
    pages: CollectionMapping | None = None,
) -> Bootstrap:
    """Create (or find) every database and view under page ``parent_page_id``; ``pages``
    names the generated pages' properties when they differ from the defaults."""
    run = _Run(api, config, parent_page_id, pages)
    page = api.call(api.sdk.pages.retrieve, parent_page_id)
    if page.get("in_trash"):
        run.result.problems.append(f"the parent page {parent_page_id} is in the trash; restore it")
        return run.result
    found = run.existing()
    for where in [*(c.value for c in READ_ORDER), PAGES]:
        run.database(where, found)
    return run.result
