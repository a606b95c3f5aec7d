"""Request validation against Atlassian's published Confluence specs, trimmed to what opsync
calls.

``confluence_v2_openapi.json`` and ``confluence_v1_openapi.json`` are the operations the
emulator serves, cut (with every schema they reference, unchanged) from the Confluence
Cloud REST v2 and v1 documents Atlassian publishes (https://dac-static.atlassian.com/cloud/
confluence/openapi-v2.v3.json and https://developer.atlassian.com/cloud/confluence/
swagger.v3.json; Atlassian developer terms; see CONFLUENCE_OPENAPI_SOURCES.md beside them).
Only the security requirements were dropped: the emulator checks credentials itself. Data
Center requests (v1 without ``/wiki``) are validated against the v1 document.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest
from openapi_core.validation.request.exceptions import RequestValidationError
from werkzeug.datastructures import ImmutableMultiDict

from opsync.testing.emulators.confluence_model import v1_error, v2_error

_HERE = Path(__file__).parent
_HOST = "https://emulator.atlassian.net"


@cache
def _spec(version: str) -> OpenAPI:
    path = _HERE / f"confluence_{version}_openapi.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["servers"] = [{"url": _HOST}]  # paths below are matched as the emulator serves them
    # Spec bug: page bodies are `oneOf` PageBodyWrite / PageNestedBodyWrite, but every
    # property of the nested form is optional, so the documented flat body matches both
    # and fails `oneOf`. Either form is accepted (SPEC-C2 narrative), hence `anyOf`.
    for body in document.get("components", {}).get("requestBodies", {}).values():
        schema = body["content"]["application/json"]["schema"]
        page_body = schema.get("properties", {}).get("body", {})
        if "oneOf" in page_body:
            page_body["anyOf"] = page_body.pop("oneOf")
    # openapi-core cannot apply the v1 document's array default of the `status` query
    # parameter (it crashes on its own default); opsync never sends it, so it is dropped.
    for operations in document["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict) and "parameters" in operation:
                operation["parameters"] = [
                    p for p in operation["parameters"] if p.get("name") != "status"
                ]
    return OpenAPI.from_dict(document)


def validate(v2: bool, path: str, method: str, query: dict[str, str], body: bytes) -> None:
    """Raise the API's 400 when a request breaks its operation's schema. ``path`` is the
    request path after the site root (``/api/v2/...`` or ``/rest/api/...``)."""
    request = MockRequest(
        _HOST,
        method.lower(),
        path.removeprefix("/api/v2") if v2 else "/wiki" + path,
        args=ImmutableMultiDict(list(query.items())),
        data=body or None,
        content_type="application/json",
    )
    try:
        _spec("v2" if v2 else "v1").validate_request(request)
    except RequestValidationError as error:
        cause = error.__cause__ or error
        details = getattr(cause, "schema_errors", None) or [cause]
        text = "; ".join(str(getattr(d, "message", d)) for d in details)
        if v2:
            raise v2_error(400, "INVALID_REQUEST_PARAMETER", text) from None
        raise v1_error(400, text) from None
