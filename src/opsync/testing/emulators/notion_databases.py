"""Databases, data sources, data source queries, search and users (API 2025-09-03).

A database is a container of data sources; the schema and the rows belong to a data
source (NOTES.md section 1). Creating a database takes its schema under
`initial_data_source.properties`, and each new data source gets a standard table view, as
the create-a-data-source reference page says.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from opsync.testing.emulators import notion_formula as formula
from opsync.testing.emulators import notion_props as props
from opsync.testing.emulators import notion_query as q
from opsync.testing.emulators.notion_errors import body_id, body_invalid, invalid, not_found
from opsync.testing.emulators.notion_model import DatabaseRec, DataSourceRec, PageRec, World
from opsync.testing.emulators.notion_pages import page, reject_unknown
from opsync.testing.emulators.notion_rich import plain_text, rich_text
from opsync.testing.emulators.notion_views import default_view

Json = dict[str, Any]


def schema(world: World, raw: Any, current: dict[str, Json] | None = None) -> dict[str, Json]:
    """A data source schema after a create (`current` None) or an update request."""
    if not isinstance(raw, dict):
        raise body_invalid("body.properties", "should be an object", raw)
    out = dict(current or {})
    touched: list[str] = []
    for key, spec in raw.items():
        old = props.find(out, key)
        old_name = next((n for n, p in out.items() if p is old), None)
        if spec is None:
            if old is None or old["type"] == "title":
                raise invalid(
                    f"Cannot delete property {key}: it does not exist or it is the title."
                )
            del out[str(old_name)]
            continue
        prop = props.schema_property(
            key, spec, old["id"] if old else world.new_prop_id(), world.new_id, old
        )
        if old is not None and old["type"] == "title" and prop["type"] != "title":
            raise invalid("The type of the title property cannot be changed.")
        touched.append(prop["name"])
        if old_name is not None:
            out = {
                (prop["name"] if n == old_name else n): (prop if n == old_name else p)
                for n, p in out.items()
            }
        else:
            out[prop["name"]] = prop
    titles = [p for p in out.values() if p["type"] == "title"]
    if len(titles) > 1:
        raise invalid("A data source must have exactly one title property.")
    if not titles:
        out = {"Name": props.schema_property("Name", {"title": {}}, "title", world.new_id), **out}
    formula.check(out, touched)
    return out


def _source(world: World, source_id: str) -> DataSourceRec:
    found = world.data_sources.get(source_id)
    if found is None:
        raise not_found("database", source_id)
    return found


def _database(world: World, database_id: str) -> DatabaseRec:
    found = world.databases.get(database_id)
    if found is None:
        raise not_found("database", database_id)
    return found


def _add_source(
    world: World, user: str, database: DatabaseRec, title: Any, raw_props: Any, icon: Any
) -> DataSourceRec:
    source = DataSourceRec(
        world.new_id(), database.id, world.stamp(user), title, schema(world, raw_props), icon
    )
    world.data_sources[source.id] = source
    database.data_sources.append(source.id)
    default_view(world, user, database.id, source.id)
    return source


def create_database(world: World, user: str, body: Json) -> Json:
    allowed = {
        "parent",
        "title",
        "description",
        "icon",
        "cover",
        "is_inline",
        "initial_data_source",
    }
    reject_unknown(body, allowed)
    parent = body.get("parent")
    if not isinstance(parent, dict) or "page_id" not in parent:
        raise body_invalid("body.parent", "should be a page_id parent", parent)
    container = page(world, body_id(parent["page_id"], "body.parent.page_id"))
    title = rich_text(body.get("title", []), "body.title")
    initial = body.get("initial_data_source") or {}
    reject_unknown(initial, {"properties"})
    database = DatabaseRec(
        world.new_id(),
        {"type": "page_id", "page_id": container.id},
        world.stamp(user),
        title,
        [],
        description=rich_text(body.get("description", []), "body.description"),
        icon=body.get("icon"),
        cover=body.get("cover"),
        is_inline=bool(body.get("is_inline", False)),
    )
    world.databases[database.id] = database
    _add_source(world, user, database, title, initial.get("properties", {}), body.get("icon"))
    world.attach(container.id, database.id)
    return world.database_json(database)


def retrieve_database(world: World, database_id: str) -> Json:
    return world.database_json(_database(world, database_id))


def update_database(world: World, user: str, database_id: str, body: Json) -> Json:
    reject_unknown(
        body,
        {"parent", "title", "description", "is_inline", "icon", "cover", "in_trash", "archived"},
    )
    database = _database(world, database_id)
    if "title" in body:
        database.title = rich_text(body["title"], "body.title")
    if "description" in body:
        database.description = rich_text(body["description"], "body.description")
    for key in ("icon", "cover", "is_inline"):
        if key in body:
            setattr(database, key, body[key])
    trash = body.get("in_trash", body.get("archived"))
    if trash is not None:
        database.in_trash = bool(trash)
        for source in database.data_sources:
            world.data_sources[source].in_trash = bool(trash)
    database.stamp.touch(world.now(), user)
    return world.database_json(database)


def create_data_source(world: World, user: str, body: Json) -> Json:
    reject_unknown(body, {"parent", "properties", "title", "icon"})
    parent = body.get("parent")
    if not isinstance(parent, dict) or "database_id" not in parent:
        raise body_invalid("body.parent", "should be a database_id parent", parent)
    database = _database(world, body_id(parent["database_id"], "body.parent.database_id"))
    title = rich_text(body.get("title", []), "body.title")
    source = _add_source(world, user, database, title, body.get("properties", {}), body.get("icon"))
    return world.data_source_json(source)


def retrieve_data_source(world: World, source_id: str) -> Json:
    return world.data_source_json(_source(world, source_id))


def update_data_source(world: World, user: str, source_id: str, body: Json) -> Json:
    reject_unknown(body, {"title", "icon", "properties", "in_trash", "archived", "description"})
    source = _source(world, source_id)
    if "properties" in body:
        source.properties = schema(world, body["properties"], source.properties)
    if "title" in body:
        source.title = rich_text(body["title"], "body.title")
    if "description" in body:
        source.description = rich_text(body["description"], "body.description")
    if "icon" in body:
        source.icon = body["icon"]
    trash = body.get("in_trash", body.get("archived"))
    if trash is not None:
        source.in_trash = bool(trash)
    source.stamp.touch(world.now(), user)
    return world.data_source_json(source)


def _row(world: World, record: PageRec, source: DataSourceRec) -> q.Row:
    facts = world.facts(record)
    values = {p["id"]: props.value(p, record.values, facts) for p in source.properties.values()}
    return q.Row(values, _rounded(record.stamp.created), _rounded(record.stamp.edited))


def _rounded(when: datetime) -> datetime:
    return when.replace(second=0, microsecond=0)


def query_data_source(
    world: World, source_id: str, body: Json, query: dict[str, list[str]]
) -> Json:
    reject_unknown(
        body,
        {"filter", "sorts", "start_cursor", "page_size", "archived", "in_trash", "result_type"},
    )
    source = _source(world, source_id)
    if source.in_trash:
        raise not_found("database", source_id)
    size = q.page_size(body.get("page_size"), "body")
    with_trash = bool(body.get("in_trash", body.get("archived", False)))
    rows = [
        (record, _row(world, record, source))
        for record in world.pages.values()
        if record.data_source_id == source.id and (with_trash or not record.in_trash)
    ]
    if body.get("filter") is not None:
        rows = [pair for pair in rows if q.matches(body["filter"], source.properties, pair[1])]
    rows = q.sort_rows(rows, body.get("sorts"), source.properties, lambda pair: pair[1])
    chunk, cursor = q.paginate(rows, body.get("start_cursor"), size, lambda pair: pair[0].id)
    only = query.get("filter_properties")
    return q.listing([world.page_json(r, only) for r, _ in chunk], cursor, "page_or_data_source")


_DIRECTIONS = ("ascending", "descending")


def _check_shape(body: Json, name: str, allowed: dict[str, tuple[str, ...]]) -> None:
    """``body[name]``, when given, must be an object whose keys hold one allowed value each."""
    value = body.get(name)
    if value is None:
        return
    if not isinstance(value, dict) or any(value.get(k) not in ok for k, ok in allowed.items()):
        shape = ", ".join(f'"{k}": {" or ".join(map(repr, ok))}' for k, ok in allowed.items())
        raise body_invalid(f"body.{name}", f"should be {{{shape}}}", value)


def search(world: World, body: Json) -> Json:
    reject_unknown(body, {"query", "sort", "filter", "start_cursor", "page_size"})
    size = q.page_size(body.get("page_size"), "body")
    # the reference's only accepted shapes: a sort by last_edited_time, a filter by object
    _check_shape(body, "sort", {"timestamp": ("last_edited_time",), "direction": _DIRECTIONS})
    _check_shape(body, "filter", {"property": ("object",), "value": ("page", "data_source")})
    where = body.get("filter")
    wanted = (where or {}).get("value")
    text = str(body.get("query") or "").lower()
    found: list[tuple[str, datetime, Json]] = []
    if wanted in (None, "page"):
        for record in world.pages.values():
            if not record.in_trash and text in world.page_title(record).lower():
                found.append((record.id, record.stamp.edited, world.page_json(record)))
    if wanted in (None, "data_source"):
        for source in world.data_sources.values():
            database = world.databases[source.database_id]
            titles = (plain_text(source.title) + "\n" + plain_text(database.title)).lower()
            if not source.in_trash and text in titles:
                found.append((source.id, source.stamp.edited, world.data_source_json(source)))
    ascending = (body.get("sort") or {}).get("direction") == "ascending"
    found.sort(key=lambda item: item[1], reverse=not ascending)
    chunk, cursor = q.paginate(found, body.get("start_cursor"), size, lambda item: item[0])
    return q.listing([item[2] for item in chunk], cursor, "page_or_data_source")


def users_me(world: World, user: str) -> Json:
    return world.user(user)


def list_users(world: World) -> Json:
    return q.listing([world.user(world.person_id), world.user(world.bot_id)], None, "user")


def retrieve_user(world: World, user_id: str) -> Json:
    if user_id not in (world.bot_id, world.person_id):
        raise not_found("user", user_id)
    return world.user(user_id)
