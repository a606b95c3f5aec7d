"""The endpoints the Confluence emulator serves: v2 pages and properties (Cloud), and v1
content, properties and labels (Cloud under ``/wiki``, Data Center without it).

Paths, parameters and bodies follow the v2 and v1 specs (SPEC-C2, SPEC-C1); answers carry
the fields opsync and the specs rely on, pagination included (``_links.next``, relative,
and v2's ``Link`` header).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from opsync.testing.emulators.confluence_model import (
    ApiError,
    DuplicateTitle,
    Json,
    PageRec,
    Prop,
    World,
    v1_error,
    v2_error,
)


@dataclass(frozen=True)
class Call:
    world: World
    user: str
    root: str  # "/wiki" on Cloud, "" on DC
    params: dict[str, str]
    query: dict[str, str]
    body: Any


def _int(query: dict[str, str], name: str, default: int, cap: int) -> int:
    try:
        return max(1, min(int(query.get(name, default)), cap))
    except ValueError:
        raise v2_error(400, "INVALID_REQUEST_PARAMETER", f"{name} must be a number") from None


def _page_or_404(call: Call, v2: bool) -> PageRec:
    page = call.world.page(call.params["id"])
    if page is None:
        if v2:
            raise v2_error(404, "NOT_FOUND", "Not Found")
        raise v1_error(404, f"No content found with id: ContentId{{id={call.params['id']}}}")
    return page


def _prop(prop: Prop) -> Json:
    return {
        "id": prop.id,
        "key": prop.key,
        "value": prop.value,
        "version": {"number": prop.version},
    }


def _v2_page(call: Call, page: PageRec, body: bool, props: bool = False) -> Json:
    space = call.world.spaces[page.space]
    out: Json = {
        "id": page.id,
        "status": page.status,
        "title": page.title,
        "spaceId": space.id,
        "parentId": page.parent,
        "parentType": "page" if page.parent else None,
        "authorId": page.author,
        "version": {"number": page.version, "authorId": page.author, "message": ""},
        "_links": {"webui": f"/spaces/{page.space}/pages/{page.id}", "base": call.root},
    }
    if page.subtype:
        out["subtype"] = page.subtype
    if body:
        out["body"] = {"storage": {"representation": "storage", "value": page.body}}
    if props:
        out["properties"] = {"results": [_prop(p) for p in page.props.values()], "meta": {}}
    return out


def _paged(call: Call, items: list[Json], path: str, extra: dict[str, str]) -> Json:
    """A v2 listing page: opaque cursor (here an offset), ``_links.next`` relative with
    ``/wiki``, absent on the last page."""
    limit = _int(call.query, "limit", 25, 250)
    start = int(call.query.get("cursor", "0") or 0)
    out: Json = {"results": items[start : start + limit], "_links": {"base": call.root}}
    if start + limit < len(items):
        query = urlencode({**extra, "limit": limit, "cursor": start + limit})
        out["_links"]["next"] = f"{call.root}/api/v2{path}?{query}"
    return out


# v2 -----------------------------------------------------------------------------------


def v2_spaces(call: Call) -> Json:
    keys = call.query.get("keys", "").split(",")
    found = [
        {"id": s.id, "key": s.key, "name": s.name, "homepageId": s.homepage}
        for s in call.world.spaces.values()
        if s.key in keys
    ]
    return {"results": found, "_links": {}}


def v2_list_pages(call: Call) -> Json:
    statuses = (call.query.get("status") or "current,archived").split(",")
    space = call.world.space_by_id(call.query.get("space-id", ""))
    pages = [
        p
        for p in call.world.pages.values()
        if p.status in statuses
        and (space is None or p.space == space.key)
        and ("title" not in call.query or p.title == call.query["title"])
    ]
    body = call.query.get("body-format") == "storage"
    items = [_v2_page(call, p, body) for p in sorted(pages, key=lambda p: int(p.id))]
    extra = {k: v for k, v in call.query.items() if k not in ("cursor", "limit")}
    return _paged(call, items, "/pages", extra)


def v2_create_page(call: Call) -> Json:
    body = call.body
    space = call.world.space_by_id(str(body.get("spaceId")))
    if space is None:
        raise v2_error(400, "INVALID_REQUEST_PARAMETER", "Invalid space id")
    storage = body.get("body") or {}
    if "storage" in storage:
        storage = storage["storage"]
    if storage.get("representation") != "storage":  # atlassian-python-api#1683
        raise v2_error(500, "INTERNAL_SERVER_ERROR", "Internal Server Error")
    parent = body.get("parentId") or space.homepage
    if call.world.page(str(parent)) is None:
        raise v2_error(400, "INVALID_REQUEST_PARAMETER", "Invalid parent id")
    try:
        page = call.world.add_page(
            space.key,
            str(body.get("title") or ""),
            str(parent),
            str(storage.get("value") or ""),
            call.user,
        )
    except DuplicateTitle:
        raise v2_error(
            400,
            "BAD_REQUEST",
            "A page with this title already exists: A page already exists with the same "
            "TITLE in this space",
        ) from None
    return _v2_page(call, page, True)


def v2_get_page(call: Call) -> Json:
    page = _page_or_404(call, True)
    body = call.query.get("body-format") == "storage"
    return _v2_page(call, page, body, call.query.get("include-properties") == "true")


def _check_version(page_version: int, asked: Any, v2: bool) -> None:
    number = asked.get("number") if isinstance(asked, dict) else None
    if number != page_version + 1:
        if v2:
            raise v2_error(
                409,
                "CONFLICT",
                f"Version must be incremented on update. Current version is: {page_version}",
            )
        raise v1_error(
            409, f"Version must be incremented on update. Current version is: {page_version}"
        )


def _update(call: Call, page: PageRec, title: str, value: str, v2: bool) -> None:
    if page.status == "trashed" and call.body.get("status") == "current":
        # "To restore a piece of content that has the status of trashed the content must
        # have its version incremented, and status set to current. No other field
        # modifications will be performed when restoring a piece of content from the
        # trash." (v1 Update content; v2 behaves alike)
        page.status = "current"
        page.version += 1
        return
    if page.status == "archived":
        raise v1_error(400, "Updating archived content is not supported; restore it first")
    clash = any(
        p.id != page.id and p.space == page.space and p.title == title
        for p in call.world.pages.values()
        if p.status in ("current", "archived")
    )
    if clash:
        msg = "A page with this title already exists"
        raise v2_error(400, "BAD_REQUEST", msg) if v2 else v1_error(400, msg)
    page.body = call.world.normalise(value)
    page.title = title
    page.version += 1
    page.author = call.user


def v2_update_page(call: Call) -> Json:
    page = _page_or_404(call, True)
    body = call.body
    _check_version(page.version, body.get("version"), True)
    storage = body.get("body") or {}
    storage = storage.get("storage", storage)
    _update(call, page, str(body["title"]), str(storage.get("value") or ""), True)
    return _v2_page(call, page, False)


def v2_children(call: Call) -> Json:
    page = _page_or_404(call, True)
    items = [
        {"id": p.id, "status": p.status, "title": p.title, "spaceId": call.world.spaces[p.space].id}
        for p in call.world.children(page.id)
    ]
    return _paged(call, items, f"/pages/{page.id}/children", {})


def v2_properties(call: Call) -> Json:
    page = _page_or_404(call, True)
    props = [_prop(p) for p in page.props.values() if call.query.get("key") in (None, p.key)]
    return _paged(call, props, f"/pages/{page.id}/properties", {})


def v2_create_property(call: Call) -> Json:
    page = _page_or_404(call, True)
    key = str(call.body.get("key") or "")
    if not key or len(key) > 255 or key in page.props:
        raise v2_error(400, "INVALID_REQUEST_PARAMETER", f"Cannot create property {key!r}")
    prop = page.props[key] = Prop(call.world.new_id(), key, call.body.get("value"))
    return _prop(prop)


def v2_update_property(call: Call) -> Json:
    page = _page_or_404(call, True)
    prop = next((p for p in page.props.values() if p.id == call.params["pid"]), None)
    if prop is None:
        raise v2_error(404, "NOT_FOUND", "Not Found")
    _check_version(prop.version, call.body.get("version"), True)
    prop.value, prop.version = call.body.get("value"), prop.version + 1
    return _prop(prop)


# v1 -----------------------------------------------------------------------------------


def _v1_user(call: Call, user: str) -> Json:
    """A v1 user as the recordings show it: Cloud names accounts by ``accountId``, Data
    Center by ``userKey`` and ``username``."""
    if call.root:
        return {"type": "known", "accountId": user, "accountType": "atlassian", "displayName": user}
    return {"type": "known", "username": user, "userKey": user, "displayName": user}


def _v1_page(call: Call, page: PageRec, expand: str) -> Json:
    version: Json = {"number": page.version}
    if page.author:
        version["by"] = _v1_user(call, page.author)  # who saved this version
    out: Json = {
        "id": page.id,
        "type": "page",
        "status": page.status,
        "title": page.title,
        "space": {"key": page.space},
        "version": version,
        "_links": {"webui": f"/spaces/{page.space}/pages/{page.id}", "base": call.root},
    }
    if "body.storage" in expand:
        out["body"] = {"storage": {"value": page.body, "representation": "storage"}}
    wanted = [e.split(".", 2)[2] for e in expand.split(",") if e.startswith("metadata.properties.")]
    if wanted:
        out["metadata"] = {
            "properties": {k: _prop(page.props[k]) for k in wanted if k in page.props}
        }
    return out


def v1_space(call: Call) -> Json:
    space = call.world.spaces.get(call.params["key"])
    if space is None:
        raise v1_error(404, f"No space with key : {call.params['key']}")
    return {"id": int(space.id), "key": space.key, "name": space.name, "type": "global"}


def v1_get(call: Call) -> Json:
    return _v1_page(call, _page_or_404(call, False), call.query.get("expand", "version"))


def v1_find(call: Call) -> Json:
    pages = [
        p
        for p in call.world.pages.values()
        if p.space == call.query.get("spaceKey", p.space)
        and p.title == call.query.get("title", p.title)
        and p.status == "current"
    ]
    results = [_v1_page(call, p, call.query.get("expand", "")) for p in pages]
    return {"results": results, "start": 0, "limit": 25, "size": len(results), "_links": {}}


def v1_create(call: Call) -> Json:
    body = call.body
    for required in ("type", "title", "space"):
        if required not in body:
            raise v1_error(400, f"{required} is required")
    ancestors = body.get("ancestors") or []
    parent = str(ancestors[-1]["id"]) if ancestors else None
    storage = (body.get("body") or {}).get("storage") or {}
    try:
        page = call.world.add_page(
            str(body["space"]["key"]),
            str(body["title"]),
            parent,
            str(storage.get("value") or ""),
            call.user,
        )
    except DuplicateTitle as dup:
        raise v1_error(
            400,
            "A page with this title already exists: A page already exists with the title "
            f"{dup.title} in the space with key {dup.space}",
        ) from None
    return _v1_page(call, page, "body.storage,version")


def v1_update(call: Call) -> Json:
    page = _page_or_404(call, False)
    body = call.body
    for required in ("version", "type", "title"):
        if required not in body:
            raise v1_error(400, f"{required} is required")
    _check_version(page.version, body.get("version"), False)
    storage = (body.get("body") or {}).get("storage") or {}
    _update(call, page, str(body["title"]), str(storage.get("value") or ""), False)
    return _v1_page(call, page, "version")


def v1_children(call: Call) -> Json:
    page = _page_or_404(call, False)
    start = int(call.query.get("start", "0") or 0)
    limit = _int(call.query, "limit", 25, 200)
    kids = call.world.children(page.id)
    results = [_v1_page(call, p, call.query.get("expand", "")) for p in kids[start : start + limit]]
    links: Json = {"base": call.root}
    if start + limit < len(kids):
        links["next"] = (
            f"/rest/api/content/{page.id}/child/page?limit={limit}&start={start + limit}"
        )
    return {
        "results": results,
        "start": start,
        "limit": limit,
        "size": len(results),
        "_links": links,
    }


def v1_put_property(call: Call) -> Json:
    page = _page_or_404(call, False)
    key = call.params["key"]
    prop = page.props.get(key)
    asked = (call.body.get("version") or {}).get("number")
    if prop is None:
        if asked != 1:
            raise v1_error(409, f"Version must be 1 to create property {key}")
        prop = page.props[key] = Prop(call.world.new_id(), key, call.body.get("value"))
        return _prop(prop)
    _check_version(prop.version, call.body.get("version"), False)
    prop.value, prop.version = call.body.get("value"), prop.version + 1
    return _prop(prop)


def v1_current_user(call: Call) -> Json:
    return _v1_user(call, call.user)


def v1_label(call: Call) -> Json:
    page = _page_or_404(call, False)
    items = call.body if isinstance(call.body, list) else [call.body]
    for item in items:
        name = str(item.get("name") or "")
        if name and name not in page.labels:
            page.labels.append(name)
    labels = [{"prefix": "global", "name": n, "id": n} for n in page.labels]
    return {"results": labels, "start": 0, "limit": 200, "size": len(labels)}


Handler = Callable[[Call], Json]


def routes() -> list[tuple[str, str, Handler, bool]]:
    """(method, template after the root, handler, whether it is a v2 route)."""
    v2, v1 = "/api/v2", "/rest/api"
    return [
        ("GET", f"{v2}/spaces", v2_spaces, True),
        ("GET", f"{v2}/pages", v2_list_pages, True),
        ("POST", f"{v2}/pages", v2_create_page, True),
        ("GET", f"{v2}/pages/{{id}}", v2_get_page, True),
        ("PUT", f"{v2}/pages/{{id}}", v2_update_page, True),
        ("GET", f"{v2}/pages/{{id}}/children", v2_children, True),
        ("GET", f"{v2}/pages/{{id}}/properties", v2_properties, True),
        ("POST", f"{v2}/pages/{{id}}/properties", v2_create_property, True),
        ("PUT", f"{v2}/pages/{{id}}/properties/{{pid}}", v2_update_property, True),
        ("GET", f"{v1}/space/{{key}}", v1_space, False),
        ("GET", f"{v1}/content", v1_find, False),
        ("POST", f"{v1}/content", v1_create, False),
        ("GET", f"{v1}/content/{{id}}", v1_get, False),
        ("PUT", f"{v1}/content/{{id}}", v1_update, False),
        ("GET", f"{v1}/content/{{id}}/child/page", v1_children, False),
        ("PUT", f"{v1}/content/{{id}}/property/{{key}}", v1_put_property, False),
        ("POST", f"{v1}/content/{{id}}/label", v1_label, False),
        ("GET", f"{v1}/user/current", v1_current_user, False),
    ]


__all__ = ["ApiError", "Call", "routes"]
