"""Database views (NOTES.md 13b): create, retrieve, update, delete and list.

The OpenAPI document predates views (SOURCES.md), so shapes follow the view reference page
and notion-sdk-js `api-endpoints/views.ts`: a view belongs to one database, is scoped to one
of its data sources (none for a dashboard), and `create` takes exactly one of
`database_id`, `view_id` (a widget in a dashboard) or `create_database`. Filters and sorts
are checked against the data source schema with the query rules, and the type-specific
`configuration` as the working-with-views guide describes it (NOTES.md 13b): the property ids
it names must exist, with the type its setting needs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opsync.testing.emulators import notion_props as props
from opsync.testing.emulators import notion_query as q
from opsync.testing.emulators.notion_errors import body_id, body_invalid, invalid, not_found
from opsync.testing.emulators.notion_model import World, minute, user_ref
from opsync.testing.emulators.notion_pages import reject_unknown

Json = dict[str, Any]
VIEW_TYPES = frozenset(
    {
        "table",
        "board",
        "list",
        "calendar",
        "timeline",
        "gallery",
        "form",
        "chart",
        "map",
        "dashboard",
    }
)
CREATE_KEYS = {
    "data_source_id", "name", "type", "database_id", "view_id", "filter", "sorts",
    "quick_filters", "create_database", "configuration", "position", "placement",
}  # fmt: skip
UPDATE_KEYS = {"name", "filter", "sorts", "quick_filters", "configuration"}
DEFAULT_VIEW_NAME = "Default view"


def default_view(world: World, user: str, database_id: str, source_id: str) -> None:
    """The standard table view Notion adds alongside every new data source."""
    _store(world, user, database_id, source_id, {"name": DEFAULT_VIEW_NAME, "type": "table"})


def _store(world: World, user: str, database_id: str, source_id: str | None, body: Json) -> Json:
    now = minute(world.now())
    view: Json = {
        "object": "view",
        "id": world.new_id(),
        "parent": {"type": "database_id", "database_id": database_id},
        "data_source_id": source_id,
        "name": body["name"],
        "type": body["type"],
        "filter": body.get("filter"),
        "sorts": body.get("sorts"),
        "quick_filters": body.get("quick_filters"),
        "configuration": body.get("configuration"),
        "created_time": now,
        "created_by": user_ref(user),
        "last_edited_time": now,
        "last_edited_by": user_ref(user),
    }
    view["url"] = (
        f"https://www.notion.so/{database_id.replace('-', '')}?v={view['id'].replace('-', '')}"
    )
    world.views[view["id"]] = view
    return view


def _check_query(world: World, source_id: str | None, body: Json) -> None:
    """Reject filters and sorts naming properties the data source lacks, as a query would."""
    if source_id is None:
        return
    schema = world.data_sources[source_id].properties
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    row = q.Row({}, epoch, epoch)
    if body.get("filter") is not None:
        q.matches(body["filter"], schema, row)
    if body.get("sorts") is not None:
        q.sort_rows([row], body["sorts"], schema, lambda r: r)


CHART_TYPES = frozenset({"column", "bar", "line", "donut", "number"})
# Type-specific settings naming a date property (working-with-views guide, "Configuration").
DATE_SETTINGS = {
    "calendar": ("date_property_id",),
    "timeline": ("date_property_id", "end_date_property_id"),
}


def _property(world: World, source_id: str | None, where: str, key: Any) -> Json:
    schema = world.data_sources[source_id].properties if source_id else {}
    found = props.find(schema, key) if isinstance(key, str) else None
    if found is None:
        raise body_invalid(where, "should be the id of a property of the data source", key)
    return found


def _check_configuration(world: World, source_id: str | None, body: Json, kind: str) -> None:
    """The type-specific ``configuration``: its ``type`` is the view's; ``group_by`` names a
    property by id, with that property's type; calendar and timeline dates name date
    properties; a chart's type is one of the documented ones."""
    config = body.get("configuration")
    if config is None:  # a board without group_by: Notion picks one (not documented otherwise)
        return
    if not isinstance(config, dict) or config.get("type", kind) != kind:
        raise body_invalid("body.configuration.type", f"should be `{kind}`", config)
    if "group_by" in config:
        group = config.get("group_by")
        if not isinstance(group, dict):
            raise body_invalid("body.configuration.group_by", "should be an object", group)
        where = "body.configuration.group_by.property_id"
        prop = _property(world, source_id, where, group.get("property_id"))
        if group.get("type") != prop["type"]:
            raise body_invalid(
                "body.configuration.group_by.type", f"should be `{prop['type']}`", group.get("type")
            )
    for setting in DATE_SETTINGS.get(kind, ()):
        if setting in config:
            where = f"body.configuration.{setting}"
            prop = _property(world, source_id, where, config[setting])
            if prop["type"] not in q.DATES:
                raise body_invalid(where, "should name a date property", config[setting])
    if kind == "chart" and config.get("chart_type") not in CHART_TYPES:
        raise body_invalid(
            "body.configuration.chart_type", "should be a chart type", config.get("chart_type")
        )


def _view(world: World, view_id: str) -> Json:
    found = world.views.get(view_id)
    if found is None:
        raise not_found("view", view_id)
    return found


def create_view(world: World, user: str, body: Json) -> Json:
    reject_unknown(body, CREATE_KEYS)
    targets = [key for key in ("database_id", "view_id", "create_database") if key in body]
    if len(targets) != 1:
        raise invalid("Provide exactly one of database_id, view_id or create_database.")
    kind = body.get("type")
    if kind not in VIEW_TYPES:
        raise body_invalid("body.type", "should be a view type", kind)
    if not isinstance(body.get("name"), str):
        raise body_invalid("body.name", "should be a string", body.get("name"))
    if targets[0] == "create_database":
        raise invalid("The emulator does not support create_database (linked views on a page).")
    dashboard: Json | None = None
    if targets[0] == "view_id":
        dashboard = _view(world, body_id(body["view_id"], "body.view_id"))
        if dashboard["type"] != "dashboard":
            raise invalid("view_id must name a dashboard view.")
        database_id = dashboard["parent"]["database_id"]
    else:
        database_id = body_id(body["database_id"], "body.database_id")
    database = world.databases.get(database_id)
    if database is None:
        raise not_found("database", database_id)
    source_id = None
    if body.get("data_source_id") is not None:
        source_id = body_id(body["data_source_id"], "body.data_source_id")
        if source_id not in database.data_sources:
            raise invalid(f"Data source {source_id} does not belong to database {database_id}.")
    elif kind != "dashboard":
        raise body_invalid("body.data_source_id", "should be defined", None)
    _check_query(world, source_id, body)
    _check_configuration(world, source_id, body, kind)
    view = _store(world, user, database_id, source_id, body)
    if dashboard is not None:
        view["dashboard_view_id"] = dashboard["id"]
    return view


def retrieve_view(world: World, view_id: str) -> Json:
    return _view(world, view_id)


def update_view(world: World, user: str, view_id: str, body: Json) -> Json:
    reject_unknown(body, UPDATE_KEYS)
    view = _view(world, view_id)
    _check_query(world, view["data_source_id"], body)
    if "configuration" in body:
        _check_configuration(world, view["data_source_id"], body, view["type"])
    view.update(body)
    view["last_edited_time"] = minute(world.now())
    view["last_edited_by"] = user_ref(user)
    return view


def delete_view(world: World, view_id: str) -> Json:
    view = world.views.pop(_view(world, view_id)["id"])
    return {"object": "view", "id": view["id"], "parent": view["parent"], "type": view["type"]}


def list_views(world: World, query: dict[str, list[str]]) -> Json:
    database_id = q.first(query, "database_id")
    source_id = q.first(query, "data_source_id")
    if database_id is None and source_id is None:
        raise invalid("Provide database_id or data_source_id.")
    wanted = {
        "database_id": None if database_id is None else body_id(database_id, "query.database_id"),
        "data_source_id": None if source_id is None else body_id(source_id, "query.data_source_id"),
    }
    if wanted["database_id"] is not None and wanted["database_id"] not in world.databases:
        raise not_found("database", wanted["database_id"])
    views = [
        v
        for v in world.views.values()
        if wanted["database_id"] in (None, v["parent"]["database_id"])
        and wanted["data_source_id"] in (None, v["data_source_id"])
    ]
    size = q.page_size(q.first(query, "page_size"), "query")
    chunk, cursor = q.paginate(views, q.first(query, "start_cursor"), size, lambda v: str(v["id"]))
    return q.listing([{"object": "view", "id": v["id"]} for v in chunk], cursor, "view")
