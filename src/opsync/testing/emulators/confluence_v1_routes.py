"""The v1 endpoints the Confluence emulator serves (Cloud under ``/wiki``, Data Center
without it): content, child pages, properties, labels, attachments (``confluence_files``)
and the current user, per SPEC-C1."""

from __future__ import annotations

from urllib.parse import urlencode

from opsync.testing.emulators.confluence_files import (
    DOWNLOAD,
    download,
    v1_attachments,
    v1_create_attachment,
    v1_update_attachment_data,
)
from opsync.testing.emulators.confluence_model import (
    DuplicateTitle,
    Json,
    PageRec,
    Prop,
    v1_error,
    v1_listing,
)
from opsync.testing.emulators.confluence_routes import (
    Call,
    Handler,
    check_version,
    int_param,
    label_id,
    page_or_404,
    prop_json,
    save_page,
)

# Characters a label cannot hold, besides whitespace: SPEC-C1 addLabelsToContent answers
# 400 when "The body contains labels with invalid characters or too many characters";
# the characters are the ones Confluence's label editor refuses ("Add, Remove and Search
# for Labels", https://confluence.atlassian.com/doc/add-remove-and-search-for-labels-136419.html).
LABEL_FORBIDDEN = frozenset("!#&()*,.:;<>?@[]^")
LABEL_MAX = 255


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
            "properties": {k: prop_json(page.props[k]) for k in wanted if k in page.props}
        }
    return out


def v1_space(call: Call) -> Json:
    space = call.world.spaces.get(call.params["key"])
    if space is None:
        raise v1_error(404, f"No space with key : {call.params['key']}")
    return {"id": int(space.id), "key": space.key, "name": space.name, "type": "global"}


def v1_get(call: Call) -> Json:
    return _v1_page(call, page_or_404(call, False), call.query.get("expand", "version"))


def v1_find(call: Call) -> Json:
    pages = [
        p
        for p in call.world.pages.values()
        if p.space == call.query.get("spaceKey", p.space)
        and p.title == call.query.get("title", p.title)
        and p.status == "current"
    ]
    results = [_v1_page(call, p, call.query.get("expand", "")) for p in pages]
    return v1_listing(results, 0, 25, {})


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
    page = page_or_404(call, False)
    body = call.body
    for required in ("version", "type", "title"):
        if required not in body:
            raise v1_error(400, f"{required} is required")
    check_version(page.version, body.get("version"), False)
    storage = (body.get("body") or {}).get("storage") or {}
    save_page(call, page, str(body["title"]), str(storage.get("value") or ""), False)
    return _v1_page(call, page, "version")


def v1_children(call: Call) -> Json:
    page = page_or_404(call, False)
    start = int(call.query.get("start", "0") or 0)
    limit = int_param(call.query, "limit", 25, 200)
    kids = call.world.children(page.id)
    expand = call.query.get("expand", "")
    results = [_v1_page(call, p, expand) for p in kids[start : start + limit]]
    links: Json = {"base": call.root}
    if start + limit < len(kids):
        # The next link repeats the request's expand (the recorded listing
        # recorded/confluence/v1_content_list_paged_200.json: "next":
        # "/rest/api/content?next=true&expand=childTypes.all,...&limit=2&start=2"), so the
        # pages after the first carry what the first did.
        query = {"expand": expand} if expand else {}
        query.update({"limit": str(limit), "start": str(start + limit)})
        links["next"] = f"/rest/api/content/{page.id}/child/page?{urlencode(query, safe=',')}"
    return v1_listing(results, start, limit, links)


def v1_put_property(call: Call) -> Json:
    page = page_or_404(call, False)
    key = call.params["key"]
    prop = page.props.get(key)
    asked = (call.body.get("version") or {}).get("number")
    if prop is None:
        if asked != 1:
            # SPEC-C1 updateContentProperty: 404 if "There is no property with the given
            # key and the version number is not 1" (Cloud; Data Center keeps the 409).
            if call.root:
                raise v1_error(404, f"Cannot find content property with key: {key}")
            raise v1_error(409, f"Version must be 1 to create property {key}")
        prop = page.props[key] = Prop(call.world.new_id(), key, call.body.get("value"))
        return prop_json(prop)
    check_version(prop.version, call.body.get("version"), False)
    prop.value, prop.version = call.body.get("value"), prop.version + 1
    return prop_json(prop)


def v1_current_user(call: Call) -> Json:
    return _v1_user(call, call.user)


def label_problem(name: str) -> str | None:
    """Why Confluence refuses ``name`` as a label, or None."""
    if not name:
        return "a label needs a name"
    if len(name) > LABEL_MAX:
        return f"the label '{name[:40]}...' is longer than {LABEL_MAX} characters"
    bad = sorted({c for c in name if c in LABEL_FORBIDDEN or c.isspace()})
    if bad:
        shown = " ".join("space" if c.isspace() else c for c in bad)
        return f"the label '{name}' contains characters a label cannot hold: {shown}"
    return None


def _labels(call: Call, page: PageRec) -> Json:
    prefix = call.query.get("prefix")
    labels = [
        {"prefix": "global", "name": n, "id": label_id(n), "label": n}
        for n in page.labels
        if prefix in (None, "global")
    ]
    return {"results": labels, "start": 0, "limit": 200, "size": len(labels), "_links": {}}


def v1_get_labels(call: Call) -> Json:
    """SPEC-C1 getLabelsForContent, ``GET /rest/api/content/{id}/label``."""
    return _labels(call, page_or_404(call, False))


def v1_label(call: Call) -> Json:
    """SPEC-C1 addLabelsToContent: adds, never removes; 400 for a label with invalid
    characters or too many characters (all of the request refused)."""
    page = page_or_404(call, False)
    items = call.body if isinstance(call.body, list) else [call.body]
    names = [str(item.get("name") or "") for item in items]
    for name in names:
        problem = label_problem(name)
        if problem is not None:
            raise v1_error(400, problem)
    for name in names:
        if name not in page.labels:
            page.labels.append(name)
    return _labels(call, page)


def v1_routes() -> list[tuple[str, str, Handler, bool]]:
    v1 = "/rest/api"
    return [
        ("GET", f"{v1}/space/{{key}}", v1_space, False),
        ("GET", f"{v1}/content", v1_find, False),
        ("POST", f"{v1}/content", v1_create, False),
        ("GET", f"{v1}/content/{{id}}", v1_get, False),
        ("PUT", f"{v1}/content/{{id}}", v1_update, False),
        ("GET", f"{v1}/content/{{id}}/child/page", v1_children, False),
        ("PUT", f"{v1}/content/{{id}}/property/{{key}}", v1_put_property, False),
        ("GET", f"{v1}/content/{{id}}/label", v1_get_labels, False),
        ("POST", f"{v1}/content/{{id}}/label", v1_label, False),
        ("GET", f"{v1}/content/{{id}}/child/attachment", v1_attachments, False),
        ("POST", f"{v1}/content/{{id}}/child/attachment", v1_create_attachment, False),
        (
            "POST",
            f"{v1}/content/{{id}}/child/attachment/{{aid}}/data",
            v1_update_attachment_data,
            False,
        ),
        ("GET", DOWNLOAD, download, False),
        ("GET", f"{v1}/user/current", v1_current_user, False),
    ]


__all__ = ["v1_routes"]
