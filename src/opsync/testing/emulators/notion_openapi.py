"""Request validation against the published OpenAPI document, where that document is right.

`notion_openapi.json` is makenotion/notion-mcp-server's `scripts/notion-openapi.json` (MIT,
LICENSE.notion-mcp-server.txt beside it). SOURCES.md ("Gaps in this document") lists where
it contradicts real SDK traffic; each such schema is overridden below, in a copy, with the
reason. Operations the document lacks (database create and update, views) are not
validated here; their handlers check their own bodies. The document enforces no size
limits and no authentication (SOURCES.md "Security"), so neither is left to it.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest
from openapi_core.validation.request.exceptions import RequestValidationError
from werkzeug.datastructures import ImmutableMultiDict

from opsync.testing.emulators.notion_errors import invalid

SPEC = Path(__file__).with_name("notion_openapi.json")
ANY_OBJECT: dict[str, Any] = {"type": "object"}
OBJECT_OR_NULL: dict[str, Any] = {"type": ["object", "null"]}

#: (method, path template) pairs the document describes and the emulator validates with it.
DOCUMENTED = frozenset(
    {
        ("GET", "/v1/users/me"), ("GET", "/v1/users"), ("GET", "/v1/users/{user_id}"),
        ("POST", "/v1/search"), ("POST", "/v1/pages"), ("GET", "/v1/pages/{page_id}"),
        ("PATCH", "/v1/pages/{page_id}"), ("GET", "/v1/pages/{page_id}/properties/{property_id}"),
        ("POST", "/v1/data_sources"), ("GET", "/v1/data_sources/{data_source_id}"),
        ("PATCH", "/v1/data_sources/{data_source_id}"),
        ("POST", "/v1/data_sources/{data_source_id}/query"),
        ("GET", "/v1/databases/{database_id}"), ("GET", "/v1/blocks/{block_id}"),
        ("PATCH", "/v1/blocks/{block_id}"), ("DELETE", "/v1/blocks/{block_id}"),
        ("GET", "/v1/blocks/{block_id}/children"), ("PATCH", "/v1/blocks/{block_id}/children"),
    }
)  # fmt: skip


def corrected(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the schemas SOURCES.md shows to be wrong replaced."""
    spec = copy.deepcopy(document)
    schemas = spec["components"]["schemas"]
    paths = spec["paths"]
    # SOURCES.md: `dataSourceIdParentRequest` is really a database_id parent, so the correct
    # 2025-09-03 page parent {"type": "data_source_id", ...} fails; and `page_id` has
    # `format: uuid`, so compact ids fail. The handler checks the parent instead.
    schemas["parentRequest"] = ANY_OBJECT
    # SOURCES.md: `blockObjectRequest` allows only paragraph and bulleted_list_item, and
    # `richTextRequest` only plain text without annotations or mentions.
    schemas["blockObjectRequest"] = ANY_OBJECT
    schemas["richTextRequest"] = ANY_OBJECT
    # SOURCES.md: `sortObject` requires `property`, so timestamp sorts fail.
    schemas["sortObject"] = {
        "type": "object",
        "required": ["direction"],
        "properties": {
            "property": {"type": "string"},
            "timestamp": {"enum": ["created_time", "last_edited_time"]},
            "direction": {"enum": ["ascending", "descending"]},
        },
    }
    # SOURCES.md: POST /v1/data_sources requires a page_id parent; the real API (and every
    # recorded request) takes {"type": "database_id", ...}.
    body = paths["/v1/data_sources"]["post"]["requestBody"]["content"]["application/json"]
    body["schema"]["properties"]["parent"] = {"type": "object", "required": ["database_id"]}
    # SOURCES.md: POST /v1/pages types `children` items as strings and `icon`/`cover` as
    # JSON strings; PATCH /v1/pages/{id} allows only an emoji icon and not `icon: null`.
    create = paths["/v1/pages"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    create["properties"]["children"] = {"type": "array", "items": ANY_OBJECT}
    update = paths["/v1/pages/{page_id}"]["patch"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    for schema in (create, update):
        schema["properties"]["icon"] = OBJECT_OR_NULL
        schema["properties"]["cover"] = OBJECT_OR_NULL
    return spec


@cache
def _openapi() -> OpenAPI:
    return OpenAPI.from_dict(corrected(json.loads(SPEC.read_text(encoding="utf-8"))))


def validate(
    method: str,
    template: str,
    path: str,
    query: dict[str, list[str]],
    headers: dict[str, str],
    body: bytes,
) -> None:
    """Raise a 400 `validation_error` when a documented operation's request breaks its schema."""
    if (method, template) not in DOCUMENTED:
        return
    request = MockRequest(
        "https://api.notion.com",
        method.lower(),
        path,
        args=ImmutableMultiDict([(k, v) for k, vs in query.items() for v in vs]),
        headers=headers,
        data=body or None,
        content_type="application/json",
    )
    try:
        _openapi().validate_request(request)
    except RequestValidationError as error:
        cause = error.__cause__ or error
        details = getattr(cause, "schema_errors", None) or [cause]
        raise invalid(
            "body failed validation: " + "; ".join(str(getattr(d, "message", d)) for d in details)
        ) from None
