"""The HTTP side of the Jira emulator: routes, auth, limits, faults, validation, counting.

Cloud serves ``/rest/api/3`` and ``/rest/api/2`` with ``search/jql`` (token pagination) and
answers the removed ``/search`` with the real 410; Data Center serves ``/rest/api/2`` only,
with the offset ``/search`` and no ``search/jql``. Both serve the writes of ``jira_edit.py``.
Each request meets, in order: queued faults, authentication (Cloud: Basic email + API token;
Data Center: Bearer PAT), the rate limit, routing, the OpenAPI document, and the handler; it
is counted with its status.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opsync.testing.emulators.emulator_controls import Reply, RequestCounter
from opsync.testing.emulators.emulator_server import (
    FaultingHandler,
    LoopbackServer,
    match_route,
    template_pattern,
)
from opsync.testing.emulators.jira_edit import (
    Answer,
    create_field,
    edit_issue,
    edit_meta,
    remote_links,
    save_remote_link,
)
from opsync.testing.emulators.jira_faults import Faults, JiraError, RateLimiter, is_read
from opsync.testing.emulators.jira_jql import JqlError
from opsync.testing.emulators.jira_model import Json, Project, World
from opsync.testing.emulators.jira_openapi import validate
from opsync.testing.emulators.jira_search import parse, search

REMOVED_SEARCH = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A "
    "full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
NOT_AUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."
MAX_IDS_PAGE = 5000  # search/jql, when only id or key are asked for
MAX_FIELDS_PAGE = 100  # otherwise ("may return fewer items per page")


@dataclass(frozen=True)
class Call:
    world: World
    version: str
    params: dict[str, str]
    query: dict[str, list[str]]
    body: Json

    def arg(self, name: str, default: Any = None) -> Any:
        if name in self.body:
            return self.body[name]
        values = self.query.get(name)
        return values[0] if values else default

    def fields(self, default: list[str]) -> list[str]:
        if "fields" in self.body:
            return list(self.body["fields"])
        return self.query.get("fields") or default


Handler = Callable[["App", Call], Any]


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # after /rest/api/{version}
    handler: Handler
    cloud_only: bool = False

    def pattern(self) -> re.Pattern[str]:
        return template_pattern(self.template, prefix=r"/rest/api/(?P<version>2|3|latest)")


def _server_info(app: App, call: Call) -> Json:
    cloud = call.world.cloud
    return {
        "baseUrl": app.base_url,
        "deploymentType": "Cloud" if cloud else "Server",
        "version": "1001.0.0-SNAPSHOT" if cloud else "9.12.15",
        "versionNumbers": [1001, 0, 0] if cloud else [9, 12, 15],
        "serverTitle": "Jira (opsync emulator)",
    }


def _myself(app: App, call: Call) -> Json:
    return call.world.me.render(call.world.cloud)


def _project(app: App, call: Call) -> Project:
    key = call.params["projectIdOrKey"]
    project = next((p for p in call.world.projects.values() if key in (p.key, p.id)), None)
    if project is None:
        raise JiraError(404, (f"No project could be found with key '{key}'.",))
    return project


def _get_project(app: App, call: Call) -> Json:
    project = _project(app, call)
    components = [{"id": k, "name": v} for k, v in project.components.items()]
    return {"id": project.id, "key": project.key, "name": project.name, "components": components}


def _versions(app: App, call: Call) -> list[Json]:
    project = _project(app, call)
    return [v.render() for v in call.world.versions.values() if v.project_id == project.id]


def _issue(app: App, call: Call) -> Json:
    try:
        issue = call.world.by_key(call.params["issueIdOrKey"])
    except KeyError:
        message = "Issue does not exist or you do not have permission to see it."
        raise JiraError(404, (message,)) from None
    return call.world.render(issue, call.fields(["*all"]), call.version)


def _digest(jql: str) -> str:
    return hashlib.sha256(jql.encode()).hexdigest()[:12]


def _token(jql: str, offset: int) -> str:
    """An opaque token tied to its query, as Jira's are."""
    return base64.urlsafe_b64encode(json.dumps([_digest(jql), offset]).encode()).decode()


def _offset(token: str | None, jql: str) -> int:
    if not token:
        return 0
    try:
        digest, offset = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        digest, offset = None, 0
    if digest != _digest(jql):
        raise JiraError(400, ("The provided next page token is invalid or expired.",))
    return int(offset)


def _search_jql(app: App, call: Call) -> Json:
    jql = str(call.arg("jql", "") or "")
    fields = call.fields(["id"])
    asked = int(call.arg("maxResults", 50))
    only_ids = all(f.strip() in ("id", "key") for entry in fields for f in entry.split(","))
    size = min(asked, MAX_IDS_PAGE if only_ids else MAX_FIELDS_PAGE)
    if app.page_cap is not None:
        size = min(size, app.page_cap)
    offset = _offset(call.arg("nextPageToken"), jql)
    found = search(call.world, jql, bounded=True)
    page = found[offset : offset + size]
    out: Json = {"issues": [call.world.render(i, fields, call.version) for i in page]}
    if offset + size < len(found):
        out["nextPageToken"] = _token(jql, offset + size)
        out["isLast"] = False
    else:
        out["isLast"] = True
    return out


def _search_offset(app: App, call: Call) -> Json:
    if call.world.cloud:
        raise JiraError(410, (REMOVED_SEARCH,))
    jql = str(call.arg("jql", "") or "")
    start = int(call.arg("startAt", 0))
    size = min(int(call.arg("maxResults", 50)), app.page_cap or 1000)
    found = search(call.world, jql, bounded=False)
    page = found[start : start + size]
    issues = [call.world.render(i, call.fields(["*navigable"]), call.version) for i in page]
    return {
        "expand": "",
        "startAt": start,
        "maxResults": size,
        "total": len(found),
        "issues": issues,
    }


def _parse(app: App, call: Call) -> Json:
    results: list[Json] = []
    for query in call.body.get("queries") or []:
        try:
            parsed = parse(call.world, str(query))
        except JqlError as error:
            results.append({"query": query, "errors": [str(error)]})
            continue
        order = [
            {"field": {"name": name, "encodedName": name}, "direction": "desc" if d else "asc"}
            for name, d in parsed.order
        ]
        results.append({"query": query, "structure": {"orderBy": {"fields": order}}})
    return {"queries": results}


ROUTES: list[Route] = [
    Route("GET", "/serverInfo", _server_info),
    Route("GET", "/myself", _myself),
    Route("GET", "/field", lambda app, c: c.world.field_list()),
    Route("POST", "/field", create_field),
    Route("GET", "/project/{projectIdOrKey}", _get_project),
    Route("GET", "/project/{projectIdOrKey}/versions", _versions),
    Route("GET", "/issue/{issueIdOrKey}", _issue),
    Route("PUT", "/issue/{issueIdOrKey}", edit_issue),
    Route("GET", "/issue/{issueIdOrKey}/editmeta", edit_meta),
    Route("GET", "/issue/{issueIdOrKey}/remotelink", remote_links),
    Route("POST", "/issue/{issueIdOrKey}/remotelink", save_remote_link),
    Route("GET", "/search/jql", _search_jql, cloud_only=True),
    Route("POST", "/search/jql", _search_jql, cloud_only=True),
    Route("GET", "/search", _search_offset),
    Route("POST", "/search", _search_offset),
    Route("POST", "/jql/parse", _parse),
]
_COMPILED = [(route, route.pattern()) for route in ROUTES]
UNMATCHED = "(unmatched)"


def match(method: str, path: str) -> tuple[Route | None, dict[str, str]]:
    return match_route(_COMPILED, method, path)


class App:
    """Everything one emulator serves from; shared by the handler threads."""

    def __init__(self, world: World, credentials: set[str], limiter: RateLimiter) -> None:
        self.world = world
        self.credentials = credentials  # accepted Authorization header values
        self.limiter = limiter
        self.faults = Faults()
        self.counter = RequestCounter(is_read)
        self.page_cap: int | None = None
        self.base_url = ""

    def template_of(self, method: str, path: str) -> str:
        """The counted name of a request: its version, and the route with placeholders."""
        route, params = match(method, path)
        return f"/rest/api/{params['version']}{route.template}" if route else UNMATCHED

    def _authenticate(self, route: Route | None, authorization: str) -> None:
        """Refuse a request whose credentials are not accepted (401).

        ``serverInfo`` "can be accessed anonymously", so it answers a request that sends no
        credentials; on Cloud, wrong credentials sent to it are refused all the same: the
        spec's ``getServerInfo`` (SPEC-J, ``GET /rest/api/3/serverInfo``, operationId
        getServerInfo) documents "401: Returned if the authentication credentials are
        incorrect". (Some Cloud sites have been seen to treat wrong credentials on
        anonymous endpoints as anonymous instead, JRACLOUD-93811,
        https://jira.atlassian.com/browse/JRACLOUD-93811: opsync's doctor checks
        ``/myself`` too, so either answer is reported as a credentials problem.)
        """
        if authorization in self.credentials:
            return
        anonymous = route is not None and route.template == "/serverInfo"
        if anonymous and (not authorization or not self.world.cloud):
            return
        raise JiraError(401, (NOT_AUTHENTICATED,))

    def answer(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        raw: bytes,
    ) -> Reply:
        route, params = match(method, path)
        try:
            self._authenticate(route, headers.get("authorization", ""))
            self.limiter.admit()
            version = params.pop("version", "3")
            version = "2" if version == "latest" else version
            if route is None or ((route.cloud_only or version == "3") and not self.world.cloud):
                raise JiraError(404, ("null for uri: " + path,))
            body = _json_body(raw)
            validate(method, f"/rest/api/{version}{route.template}", path, query, headers, raw)
            with self.world.lock:
                result = route.handler(self, Call(self.world, version, params, query, body))
            if isinstance(result, Answer):
                return result.status, result.body, {}
            return 200, result, {}
        except JqlError as error:
            return 400, {"errorMessages": [str(error)], "errors": {}}, {}
        except JiraError as error:
            return error.status, error.body(), error.headers


def _json_body(raw: bytes) -> Json:
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise JiraError(400, ("Unexpected character in the request body.",)) from None
    if not isinstance(body, dict):
        raise JiraError(400, ("The request body must be a JSON object.",))
    return body


class RequestHandler(FaultingHandler):
    server: LoopbackServer[App]

    do_GET = do_POST = do_PUT = FaultingHandler.serve
