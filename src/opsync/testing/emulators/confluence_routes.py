"""The endpoints the Confluence emulator serves: v2 pages and properties (Cloud) here, and
v1 content, properties and labels (Cloud under ``/wiki``, Data Center without it) in
``confluence_v1_routes``, with the helpers both share.

Paths, parameters and bodies follow the v2 and v1 specs (SPEC-C2, SPEC-C1); answers carry
the fields opsync and the specs rely on, pagination included (``_links.next``, relative,
and v2's ``Link`` header).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
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
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    raw: bytes = b""  # the body as sent: a multipart form is parsed by its handler


Handler = Callable[[Call], Json]


def int_param(query: dict[str, str], name: str, default: int, cap: int) -> int:
    try:
        return max(1, min(int(query.get(name, default)), cap))
    except ValueError:
        raise v2_error(400, "INVALID_REQUEST_PARAMETER", f"{name} must be a number") from None


def page_or_404(call: Call, v2: bool) -> PageRec:
    page = call.world.page(call.params["id"])
    if page is None:
        if v2:
            raise v2_error(404, "NOT_FOUND", "Not Found")
        raise v1_error(404, f"No content found with id: ContentId{{id={call.params['id']}}}")
    return page


def prop_json(prop: Prop) -> Json:
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
        out["properties"] = {"results": [prop_json(p) for p in page.props.values()], "meta": {}}
    return out


class Listing(dict[str, Any]):
    """A JSON answer with response headers of its own (v2's ``Link``)."""

    def __init__(self, body: Json, headers: dict[str, str]) -> None:
        super().__init__(body)
        self.headers = headers


def _paged(call: Call, items: list[Json], path: str, extra: dict[str, str]) -> Json:
    """A v2 listing page: opaque cursor (here an offset); the next page's URL, relative
    with ``/wiki``, both in the ``Link`` response header and in ``_links.next``, and
    neither on the last page. SPEC-C2 declares the ``Link`` header on the 200 of every
    listing (getPages, getChildPages, getPageLabels, getPageContentProperties): "rel=\"next\"
    would be the URL necessary to get the next page of information. Example response
    header format: ``Link: </wiki/api/v2/pages?cursor=<opaque cursor token>>;
    rel="next", <https://site.atlassian.net/wiki>; rel="base"``" (the ``base`` link is left
    out: the emulator does not know the address it is reached by)."""
    limit = int_param(call.query, "limit", 25, 250)
    start = int(call.query.get("cursor", "0") or 0)
    out: Json = {"results": items[start : start + limit], "_links": {"base": call.root}}
    headers: dict[str, str] = {}
    if start + limit < len(items):
        query = urlencode({**extra, "limit": limit, "cursor": start + limit})
        out["_links"]["next"] = f"{call.root}/api/v2{path}?{query}"
        headers["Link"] = f'<{out["_links"]["next"]}>; rel="next"'
    return Listing(out, headers)


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
    page = page_or_404(call, True)
    body = call.query.get("body-format") == "storage"
    return _v2_page(call, page, body, call.query.get("include-properties") == "true")


def check_version(page_version: int, asked: Any, v2: bool) -> None:
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


def save_page(call: Call, page: PageRec, title: str, value: str, v2: bool) -> None:
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
    page = page_or_404(call, True)
    body = call.body
    check_version(page.version, body.get("version"), True)
    storage = body.get("body") or {}
    storage = storage.get("storage", storage)
    save_page(call, page, str(body["title"]), str(storage.get("value") or ""), True)
    return _v2_page(call, page, False)


def v2_children(call: Call) -> Json:
    page = page_or_404(call, True)
    items = [
        {"id": p.id, "status": p.status, "title": p.title, "spaceId": call.world.spaces[p.space].id}
        for p in call.world.children(page.id)
    ]
    return _paged(call, items, f"/pages/{page.id}/children", {})


def v2_properties(call: Call) -> Json:
    page = page_or_404(call, True)
    props = [prop_json(p) for p in page.props.values() if call.query.get("key") in (None, p.key)]
    return _paged(call, props, f"/pages/{page.id}/properties", {})


def v2_create_property(call: Call) -> Json:
    page = page_or_404(call, True)
    key = str(call.body.get("key") or "")
    if not key or len(key) > 255 or key in page.props:
        raise v2_error(400, "INVALID_REQUEST_PARAMETER", f"Cannot create property {key!r}")
    prop = page.props[key] = Prop(call.world.new_id(), key, call.body.get("value"))
    return prop_json(prop)


def _prop_by_id(call: Call) -> Prop:
    page = page_or_404(call, True)
    prop = next((p for p in page.props.values() if p.id == call.params["pid"]), None)
    if prop is None:
        raise v2_error(404, "NOT_FOUND", "Not Found")
    return prop


def v2_get_property(call: Call) -> Json:
    """SPEC-C2 getPageContentPropertiesById, ``GET /pages/{page-id}/properties/
    {property-id}``: a property is addressed by its id (404 when the page or property is
    not found)."""
    return prop_json(_prop_by_id(call))


def v2_labels(call: Call) -> Json:
    """SPEC-C2 getPageLabels, ``GET /pages/{id}/labels`` (labels are read-only in v2:
    added through v1), paged like every v2 listing; ``prefix`` filters."""
    page = page_or_404(call, True)
    prefix = call.query.get("prefix")
    items = [
        {"id": label_id(n), "name": n, "prefix": "global"}
        for n in page.labels
        if prefix in (None, "global")
    ]
    return _paged(call, items, f"/pages/{page.id}/labels", {})


def label_id(name: str) -> str:
    """A stable numeric id per label name, as Confluence gives every label one."""
    return str(int.from_bytes(name.encode()[:6].ljust(6, b"\0"), "big") % 10_000_000 + 1000)


def v2_update_property(call: Call) -> Json:
    prop = _prop_by_id(call)
    check_version(prop.version, call.body.get("version"), True)
    prop.value, prop.version = call.body.get("value"), prop.version + 1
    return prop_json(prop)


def routes() -> list[tuple[str, str, Handler, bool]]:
    """(method, template after the root, handler, whether it is a v2 route)."""
    from opsync.testing.emulators.confluence_v1_routes import v1_routes

    v2 = "/api/v2"
    return [
        ("GET", f"{v2}/spaces", v2_spaces, True),
        ("GET", f"{v2}/pages", v2_list_pages, True),
        ("POST", f"{v2}/pages", v2_create_page, True),
        ("GET", f"{v2}/pages/{{id}}", v2_get_page, True),
        ("PUT", f"{v2}/pages/{{id}}", v2_update_page, True),
        ("GET", f"{v2}/pages/{{id}}/children", v2_children, True),
        ("GET", f"{v2}/pages/{{id}}/properties", v2_properties, True),
        ("POST", f"{v2}/pages/{{id}}/properties", v2_create_property, True),
        ("GET", f"{v2}/pages/{{id}}/properties/{{pid}}", v2_get_property, True),
        ("PUT", f"{v2}/pages/{{id}}/properties/{{pid}}", v2_update_property, True),
        ("GET", f"{v2}/pages/{{id}}/labels", v2_labels, True),
        *v1_routes(),
    ]


__all__ = [
    "ApiError",
    "Call",
    "Handler",
    "check_version",
    "int_param",
    "label_id",
    "page_or_404",
    "prop_json",
    "routes",
    "save_page",
]
