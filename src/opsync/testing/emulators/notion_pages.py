"""Pages, page property items and blocks: create, read, update, trash, append, list.

A page is also a `child_page` block of the page it sits under, and a database a
`child_database` block, as the recordings show (`DELETE /v1/blocks/{page}` answers with a
child_page block). Trashing keeps the object readable with `in_trash: true`
(NOTES.md section 10); trashed blocks leave their parent's children list.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from opsync.testing.emulators import notion_files as files
from opsync.testing.emulators import notion_props as props
from opsync.testing.emulators.notion_errors import body_id, body_invalid, invalid, not_found
from opsync.testing.emulators.notion_model import BlockRec, PageRec, World
from opsync.testing.emulators.notion_query import first, listing, page_size, paginate
from opsync.testing.emulators.notion_rich import (
    BlockSpec,
    blocks,
    check_row,
    content_of,
    rich_text,
)

Json = dict[str, Any]
#: The Notion-Version from which append takes `position` instead of `after`.
POSITION_VERSION = "2026-03-11"
PAGINATED_ITEMS = frozenset({"title", "rich_text", "relation", "people"})
TRASHED_EDIT = "Can't edit block that is archived. You must unarchive the block before editing."


def reject_unknown(body: Json, allowed: set[str]) -> None:
    """Unknown keys fail validation (Notion-Version 2021-08-16 onwards)."""
    for key in body:
        if key not in allowed:
            raise body_invalid(f"body.{key}", "should be not present", body[key])


def page(world: World, page_id: str) -> PageRec:
    found = world.pages.get(page_id)
    if found is None:
        raise not_found("page", page_id)
    return found


def create_page(world: World, user: str, body: Json) -> Json:
    reject_unknown(body, {"parent", "properties", "children", "icon", "cover"})
    parent = body.get("parent")
    if not isinstance(parent, dict):
        raise body_invalid("body.parent", "should be an object", parent)
    children = blocks(body["children"]) if "children" in body else []
    _attach(world, user, children, "body.children")
    raw_props = body.get("properties") or {}
    if not isinstance(raw_props, dict):
        raise body_invalid("body.properties", "should be an object", raw_props)
    record = PageRec(
        world.new_id(), {}, world.stamp(user), {}, icon=body.get("icon"), cover=body.get("cover")
    )
    if "page_id" in parent:
        container = page(world, body_id(parent["page_id"], "body.parent.page_id"))
        record.parent = {"type": "page_id", "page_id": container.id}
        record.values = {"title": _standalone_title(raw_props)}
    else:
        source = _target_source(world, parent)
        record.parent = {
            "type": "data_source_id",
            "data_source_id": source.id,
            "database_id": source.database_id,
        }
        record.data_source_id = source.id
        record.values = _values(source.properties, raw_props, world)
        for prop in source.properties.values():
            if prop["type"] == "unique_id":
                record.unique[prop["id"]] = source.next_unique
        source.next_unique += 1
    world.pages[record.id] = record
    if record.data_source_id is None:
        world.attach(record.parent["page_id"], record.id)
    _create_blocks(world, user, record.id, children, None)
    return world.page_json(record)


def _target_source(world: World, parent: Json) -> Any:
    if "data_source_id" in parent:
        source_id = body_id(parent["data_source_id"], "body.parent.data_source_id")
        if source_id not in world.data_sources:
            raise not_found("data source", source_id)
        return world.data_sources[source_id]
    if "database_id" in parent:
        database_id = body_id(parent["database_id"], "body.parent.database_id")
        database = world.databases.get(database_id)
        if database is None:
            raise not_found("database", database_id)
        if len(database.data_sources) != 1:
            raise invalid(
                "Database has several data sources: create the page under a data_source_id parent."
            )
        return world.data_sources[database.data_sources[0]]
    raise body_invalid("body.parent", "should have a page_id or a data_source_id", parent)


def _standalone_title(raw: Json) -> list[Json]:
    if set(raw) - {"title"}:
        raise invalid(
            "Invalid properties for a page whose parent is a page: only title may be set."
        )
    value = raw.get("title", {"title": []})
    items = value["title"] if isinstance(value, dict) and "title" in value else value
    return rich_text(items, "body.properties.title.title")


def _values(schema: dict[str, Json], raw: Json, world: World, base: Json | None = None) -> Json:
    values = dict(base or {})
    for key, given in raw.items():
        prop = props.find(schema, key)
        if prop is None:
            raise invalid(f"{key} is not a property that exists.")
        values[prop["id"]] = props.coerce(prop, given, f"body.properties.{key}", world.new_id)
    return values


def retrieve_page(world: World, page_id: str, only: list[str] | None) -> Json:
    return world.page_json(page(world, page_id), only)


def update_page(world: World, user: str, page_id: str, body: Json) -> Json:
    reject_unknown(body, {"properties", "in_trash", "archived", "icon", "cover", "erase_content"})
    record = page(world, page_id)
    trash = body.get("in_trash", body.get("archived"))
    if record.in_trash and trash is not False:
        raise invalid(TRASHED_EDIT)
    if "properties" in body:
        if record.data_source_id is None:
            record.values = {"title": _standalone_title(body["properties"])}
        else:
            schema = world.data_sources[record.data_source_id].properties
            record.values = _values(schema, body["properties"], world, record.values)
    for key in ("icon", "cover"):
        if key in body:
            setattr(record, key, body[key])
    if trash is not None:
        record.in_trash = bool(trash)
    if body.get("erase_content"):
        for child in world.live_children(record.id):
            _trash(world, user, child, True)
    record.stamp.touch(world.now(), user)
    return world.page_json(record)


def property_item(world: World, page_id: str, prop_id: str, query: dict[str, list[str]]) -> Json:
    record = page(world, page_id)
    if record.data_source_id is None:
        prop: Json | None = (
            {"id": "title", "name": "title", "type": "title"} if prop_id == "title" else None
        )
        value: Any = record.values["title"] if prop else None
    else:
        prop = props.find(world.data_sources[record.data_source_id].properties, unquote(prop_id))
        value = None if prop is None else props.value(prop, record.values, world.facts(record))
    if prop is None:
        # A property id the page does not have is a 400 `validation_error`, not a 404: the
        # real answer is "<id> is not a property that exists." (seratch/notion-sdk-jvm#75,
        # `GET /v1/pages/{id}/properties/h%3A%7BD` → status 400, code validation_error; the
        # OpenAPI document lists only a 400 for this operation,
        # notion_openapi.json `retrieve-a-page-property`).
        raise invalid(f"{prop_id} is not a property that exists.")
    kind, pid = prop["type"], prop["id"]
    if kind not in PAGINATED_ITEMS:
        return {"object": "property_item", "type": kind, "id": pid, kind: value}
    items = [{"object": "property_item", "type": kind, "id": pid, kind: item} for item in value]
    keyed = list(enumerate(items))
    size = page_size(first(query, "page_size"), "query")
    chunk, cursor = paginate(
        keyed, first(query, "start_cursor"), size, lambda pair: f"item-{pair[0]}"
    )
    out = listing([item for _, item in chunk], cursor, "property_item")
    out["property_item"] = {"id": pid, "next_url": None, "type": kind, kind: {}}
    return out


# Blocks -------------------------------------------------------------------------


def _exists(world: World, object_id: str) -> bool:
    return object_id in world.blocks or object_id in world.pages or object_id in world.databases


def retrieve_block(world: World, block_id: str) -> Json:
    if not _exists(world, block_id):
        raise not_found("block", block_id)
    return world.block_json(block_id)


def list_children(world: World, block_id: str, query: dict[str, list[str]]) -> Json:
    if not _exists(world, block_id):
        raise not_found("block", block_id)
    size = page_size(first(query, "page_size"), "query")
    chunk, cursor = paginate(world.live_children(block_id), first(query, "start_cursor"), size, str)
    return listing([world.block_json(c) for c in chunk], cursor, "block")


def append_children(world: World, user: str, block_id: str, body: Json, version: str) -> Json:
    # Which key says where the blocks go depends on the Notion-Version (upgrade guide,
    # https://developers.notion.com/docs/upgrade-guide-2026-03-11, "What's changing": before,
    # 2025-09-03, an `after` string; from 2026-03-11 a `position` object, and "the Append
    # block children endpoint no longer accepts a flat after parameter"). The 2025-09-03
    # OpenAPI document (notion_openapi.json `patch-block-children`) has `after` and no
    # `position`. So each version refuses the other's key, as an unknown key.
    where = "position" if version >= POSITION_VERSION else "after"
    reject_unknown(body, {"children", where})
    if not _exists(world, block_id):
        raise not_found("block", block_id)
    if world.trashed(block_id):
        raise invalid(TRASHED_EDIT)
    specs = blocks(body.get("children"))
    _attach(world, user, specs, "body.children")
    parent = world.blocks.get(block_id)
    if parent is not None and parent.type == "table":
        width = int(parent.content["table_width"])
        for i, child in enumerate(body.get("children") or []):
            check_row(child, width, f"body.children[{i}]")
    after = _position(world, block_id, body)
    created = _create_blocks(world, user, block_id, specs, after)
    return listing([world.block_json(c) for c in created], None, "block")


def _attach(world: World, user: str, specs: list[BlockSpec], path: str) -> None:
    """Media blocks that name a file upload hold the uploaded file (notion_files.py)."""
    for i, spec in enumerate(specs):
        where = f"{path}[{i}].{spec.type}"
        spec.content = files.attach(world, user, spec.type, spec.content, where)
        _attach(world, user, spec.children, f"{where}.children")


POSITION_TYPES = ("after_block", "start", "end")


def _position(world: World, block_id: str, body: Json) -> str | None:
    """Where the new blocks go: after a block (its id), at the start (""), or at the end
    (None). `position` is {"type": "end"} (the default), {"type": "start"} or {"type":
    "after_block", "after_block": {"id": ...}}
    (https://developers.notion.com/reference/patch-block-children, "Controlling insert
    position")."""
    after: Any = body.get("after")
    path = "body.after"
    if "position" in body:
        position = body["position"]
        kind = position.get("type") if isinstance(position, dict) else None
        if kind not in POSITION_TYPES:
            shown = ", ".join(f'"{t}"' for t in POSITION_TYPES)
            raise body_invalid("body.position.type", f"should be one of {shown}", kind)
        if kind == "start":
            return ""
        if kind == "end":
            return None
        target = position.get("after_block")
        path = "body.position.after_block.id"
        after = target.get("id") if isinstance(target, dict) else None
        if after is None:
            raise body_invalid(path, "should be defined", None)
    if after is None:
        return None
    after_id = body_id(after, path)
    if after_id not in world.live_children(block_id):
        raise invalid(
            f"Block {after_id} is not a child of {block_id}; it cannot be an `after` target."
        )
    return after_id


def _create_blocks(
    world: World, user: str, parent_id: str, specs: list[BlockSpec], after: str | None
) -> list[str]:
    parent = (
        {"type": "page_id", "page_id": parent_id}
        if parent_id in world.pages
        else {"type": "block_id", "block_id": parent_id}
    )
    created: list[str] = []
    for spec in specs:
        block = BlockRec(world.new_id(), parent, world.stamp(user), spec.type, spec.content)
        world.blocks[block.id] = block
        if after == "":
            world.children.setdefault(parent_id, []).insert(len(created), block.id)
        else:
            world.attach(parent_id, block.id, after)
            after = block.id if after is not None else None
        _create_blocks(world, user, block.id, spec.children, None)
        created.append(block.id)
    if specs:
        _touch_page(world, user, parent_id)
    return created


def _touch_page(world: World, user: str, object_id: str) -> None:
    """Editing a page's content changes that page's last_edited_time, as in Notion."""
    while object_id in world.blocks:
        parent = world.blocks[object_id].parent
        object_id = parent.get("page_id") or parent.get("block_id", "")
    if object_id in world.pages:
        world.pages[object_id].stamp.touch(world.now(), user)


def update_block(world: World, user: str, block_id: str, body: Json) -> Json:
    if block_id in world.pages:
        reject_unknown(body, {"in_trash", "archived"})
    if not _exists(world, block_id):
        raise not_found("block", block_id)
    trash = body.get("in_trash", body.get("archived"))
    if block_id in world.blocks:
        block = world.blocks[block_id]
        reject_unknown(body, {"in_trash", "archived", "type", block.type})
        if world.trashed(block_id) and trash is not False:
            raise invalid(TRASHED_EDIT)
        if block.type in body:
            content, nested = content_of(block.type, body[block.type], f"body.{block.type}")
            if nested is not None:
                raise body_invalid(f"body.{block.type}.children", "should be not present", nested)
            _check_table_update(world, block, content)
            block.content = {**block.content, **content}
            block.stamp.touch(world.now(), user)
            _touch_page(world, user, block_id)
    if trash is not None:
        _trash(world, user, block_id, bool(trash))
    return world.block_json(block_id)


def _check_table_update(world: World, block: BlockRec, content: Json) -> None:
    """A table keeps its width, and a row its table's width
    (https://developers.notion.com/reference/block#table: `table_width` "can only be set when
    the table is first created"; each row's cells match it)."""
    if block.type == "table":
        width = content.get("table_width", block.content["table_width"])
        if width != block.content["table_width"]:
            raise invalid(
                "body failed validation: body.table.table_width cannot be changed after the "
                f"table is created (it is `{block.content['table_width']}`, "
                f"instead was `{width}`)."
            )
    if block.type == "table_row" and "cells" in content:
        table = world.blocks.get(block.parent.get("block_id", ""))
        if table is not None and table.type == "table":
            row = {"type": "table_row", "table_row": {"cells": content["cells"]}}
            check_row(row, int(table.content["table_width"]), "body")


def delete_block(world: World, user: str, block_id: str) -> Json:
    if not _exists(world, block_id):
        raise not_found("block", block_id)
    _trash(world, user, block_id, True)
    return world.block_json(block_id)


def _trash(world: World, user: str, object_id: str, flag: bool) -> None:
    record = (
        world.blocks.get(object_id) or world.pages.get(object_id) or world.databases.get(object_id)
    )
    if record is None:
        return
    record.in_trash = flag
    if object_id in world.databases:
        for source in world.databases[object_id].data_sources:
            world.data_sources[source].in_trash = flag
    if object_id in world.blocks:
        _touch_page(world, user, object_id)
