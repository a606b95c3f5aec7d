"""The HTTP side of the emulator: routing, auth, version, limits, faults and counting.

Each request first meets the faults tests queued, then the checks in the order the real
service applies them: bearer token (401 `unauthorized`), `Notion-Version` (400
`missing_version`), the rate limit (429 `rate_limited` with `Retry-After`), the URL (400
`invalid_request_url`), the JSON body (400 `invalid_json`), the OpenAPI schema and the
handler's own checks (400 `validation_error`); it is counted with the status it got.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from email.utils import format_datetime
from typing import Any

from opsync.testing.emulators import notion_databases as dbs
from opsync.testing.emulators import notion_files as files
from opsync.testing.emulators import notion_pages as pages
from opsync.testing.emulators import notion_views as views
from opsync.testing.emulators.emulator_controls import Reply, RequestCounter
from opsync.testing.emulators.emulator_server import (
    FaultingHandler,
    LoopbackServer,
    match_route,
    template_pattern,
)
from opsync.testing.emulators.notion_errors import ApiError, body_invalid, invalid, parse_id
from opsync.testing.emulators.notion_faults import Faults, RateLimiter, is_read
from opsync.testing.emulators.notion_model import World
from opsync.testing.emulators.notion_openapi import validate

Json = dict[str, Any]
API_VERSION = "2025-09-03"
# The versions served. 2026-03-11 differs where its upgrade guide says
# (https://developers.notion.com/docs/upgrade-guide-2026-03-11): append takes `position`,
# not `after` (notion_pages.append_children), and `archived` is gone from requests and
# responses ("Replace all uses of the archived field with in_trash").
VERSIONS = (API_VERSION, "2026-03-11")
_TRASHABLE = frozenset({"page", "block", "database", "data_source"})
MAX_BODY_BYTES = 500 * 1000
MAX_FORM_BYTES = 21 * 1024 * 1024  # a 20 MB single-part file and its form (notion_files.py)
MISSING_VERSION = (
    "Notion-Version header failed validation: Notion-Version header should be defined, "
    "instead was `undefined`."
)


@dataclass(frozen=True)
class Call:
    """One routed request as a handler sees it."""

    world: World
    user: str
    params: dict[str, str]
    query: dict[str, list[str]]
    body: Json
    version: str = "2025-09-03"
    raw: bytes = b""  # the body as sent: a file upload's multipart form
    content_type: str = ""


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Callable[[Call], Json]

    @property
    def pattern(self) -> re.Pattern[str]:
        return template_pattern(self.template)


def _routes() -> list[Route]:
    p = "/v1/pages/{page_id}"
    b = "/v1/blocks/{block_id}"
    d = "/v1/databases/{database_id}"
    s = "/v1/data_sources/{data_source_id}"
    v = "/v1/views/{view_id}"
    f = "/v1/file_uploads/{file_upload_id}"
    return [
        Route("GET", "/v1/users/me", lambda c: dbs.users_me(c.world, c.user)),
        Route("GET", "/v1/users", lambda c: dbs.list_users(c.world)),
        Route(
            "GET", "/v1/users/{user_id}", lambda c: dbs.retrieve_user(c.world, c.params["user_id"])
        ),
        Route("POST", "/v1/search", lambda c: dbs.search(c.world, c.body)),
        Route("POST", "/v1/pages", lambda c: pages.create_page(c.world, c.user, c.body)),
        Route(
            "GET",
            p,
            lambda c: pages.retrieve_page(
                c.world, c.params["page_id"], c.query.get("filter_properties")
            ),
        ),
        Route(
            "PATCH", p, lambda c: pages.update_page(c.world, c.user, c.params["page_id"], c.body)
        ),
        Route(
            "GET",
            p + "/properties/{property_id}",
            lambda c: pages.property_item(
                c.world, c.params["page_id"], c.params["property_id"], c.query
            ),
        ),
        Route(
            "GET",
            b + "/children",
            lambda c: pages.list_children(c.world, c.params["block_id"], c.query),
        ),
        Route(
            "PATCH",
            b + "/children",
            lambda c: pages.append_children(
                c.world, c.user, c.params["block_id"], c.body, c.version
            ),
        ),
        Route("GET", b, lambda c: pages.retrieve_block(c.world, c.params["block_id"])),
        Route(
            "PATCH", b, lambda c: pages.update_block(c.world, c.user, c.params["block_id"], c.body)
        ),
        Route("DELETE", b, lambda c: pages.delete_block(c.world, c.user, c.params["block_id"])),
        Route("POST", "/v1/databases", lambda c: dbs.create_database(c.world, c.user, c.body)),
        Route("GET", d, lambda c: dbs.retrieve_database(c.world, c.params["database_id"])),
        Route(
            "PATCH",
            d,
            lambda c: dbs.update_database(c.world, c.user, c.params["database_id"], c.body),
        ),
        Route(
            "POST", "/v1/data_sources", lambda c: dbs.create_data_source(c.world, c.user, c.body)
        ),
        Route("GET", s, lambda c: dbs.retrieve_data_source(c.world, c.params["data_source_id"])),
        Route(
            "PATCH",
            s,
            lambda c: dbs.update_data_source(c.world, c.user, c.params["data_source_id"], c.body),
        ),
        Route(
            "POST",
            s + "/query",
            lambda c: dbs.query_data_source(c.world, c.params["data_source_id"], c.body, c.query),
        ),
        Route("POST", "/v1/file_uploads", lambda c: files.create_upload(c.world, c.user, c.body)),
        Route(
            "GET",
            f,
            lambda c: files.retrieve_upload(c.world, c.user, c.params["file_upload_id"]),
        ),
        Route(
            "POST",
            SEND,
            lambda c: files.send_upload(
                c.world,
                c.user,
                c.params["file_upload_id"],
                c.raw,
                c.content_type,
                c.world.user(c.world.bot_id)["bot"]["workspace_limits"][
                    "max_file_upload_size_in_bytes"
                ],
            ),
        ),
        Route("POST", "/v1/views", lambda c: views.create_view(c.world, c.user, c.body)),
        Route("GET", "/v1/views", lambda c: views.list_views(c.world, c.query)),
        Route("GET", v, lambda c: views.retrieve_view(c.world, c.params["view_id"])),
        Route(
            "PATCH", v, lambda c: views.update_view(c.world, c.user, c.params["view_id"], c.body)
        ),
        Route("DELETE", v, lambda c: views.delete_view(c.world, c.params["view_id"])),
    ]


# The one endpoint whose body is multipart/form-data, not JSON (upload-file reference).
SEND = "/v1/file_uploads/{file_upload_id}/send"
ROUTES = [(route, route.pattern) for route in _routes()]
UNMATCHED = "(unmatched)"


def match(method: str, path: str) -> tuple[Route | None, dict[str, str]]:
    return match_route(ROUTES, method, path)


class App:
    """Everything one emulator serves from; shared by all handler threads."""

    def __init__(self, world: World, tokens: dict[str, str], limiter: RateLimiter) -> None:
        self.world = world
        self.tokens = tokens
        self.limiter = limiter
        self.faults = Faults()
        self.counter = RequestCounter(is_read)

    def template_of(self, method: str, path: str) -> str:
        route = match(method, path)[0]
        return route.template if route else UNMATCHED

    def answer(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        raw: bytes,
    ) -> Reply:
        """Status, body and extra headers for one request."""
        route, params = match(method, path)
        request_id = str(uuid.uuid4())
        try:
            user = self._authenticate(headers)
            if not headers.get("notion-version"):
                raise ApiError(400, "missing_version", MISSING_VERSION)
            version = headers["notion-version"]
            if version not in VERSIONS:
                raise invalid(
                    f"The emulator speaks Notion-Version {' and '.join(VERSIONS)} only, "
                    f"not {version}."
                )
            self.limiter.admit()
            if route is None:
                raise ApiError(400, "invalid_request_url", "Invalid request URL.")
            form = route.template == SEND
            body = {} if form else _json_body(raw)
            if form and len(raw) > MAX_FORM_BYTES:
                raise invalid(f"Request body is {len(raw)} bytes, too large for an upload.")
            validate(method, route.template, path, query, headers, raw)
            if version != API_VERSION and "archived" in body:
                raise body_invalid("body.archived", "should be not present", body["archived"])
            ids = {k: (v if k == "property_id" else parse_id(v, k)) for k, v in params.items()}
            with self.world.lock:
                call = Call(
                    self.world,
                    user,
                    ids,
                    query,
                    body,
                    version,
                    raw if form else b"",
                    headers.get("content-type", ""),
                )
                result = route.handler(call)
            if version != API_VERSION:
                result = _without_archived(result)
            return 200, {**result, "request_id": request_id}, {}
        except ApiError as error:
            if error.code == "object_not_found":
                error.additional_data = {"integration_id": self.world.bot_id}
            return error.status, error.body(request_id), error.headers

    def _authenticate(self, headers: dict[str, str]) -> str:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token not in self.tokens:
            raise ApiError(401, "unauthorized", "API token is invalid.")
        return self.tokens[token]


def _without_archived(value: Any) -> Any:
    """A response as 2026-03-11 shapes it: no `archived` on pages, blocks, databases and
    data sources (their `in_trash` stays)."""
    if isinstance(value, list):
        return [_without_archived(v) for v in value]
    if not isinstance(value, dict):
        return value
    drop = value.get("object") in _TRASHABLE
    return {k: _without_archived(v) for k, v in value.items() if not (drop and k == "archived")}


def _json_body(raw: bytes) -> Json:
    if len(raw) > MAX_BODY_BYTES:
        raise invalid(f"Request body is {len(raw)} bytes, should be ≤ 500KB.")
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(400, "invalid_json", "Error parsing JSON body.") from None
    if not isinstance(body, dict):
        raise invalid("body failed validation: body should be an object.")
    return body


class Handler(FaultingHandler):
    content_type = "application/json; charset=utf-8"
    server: LoopbackServer[App]

    do_GET = do_POST = do_PATCH = do_DELETE = FaultingHandler.serve

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The Date header, from the workspace's clock: the one its stamps come from."""
        return format_datetime(self.server.app.world.now().astimezone(UTC), usegmt=True)
