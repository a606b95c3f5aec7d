"""Request validation against Atlassian's published Jira platform OpenAPI document.

``jira_openapi.json`` is the part of ``swagger-v3.v3.json`` (Jira Cloud platform REST API,
Apache 2.0, LICENSE.jira-openapi.txt beside it) covering the operations the emulator
serves: their parameters and request bodies with every schema they reference, descriptions
and examples dropped, responses left out (the emulator's answers follow the recordings and
the operations' documented statuses). It is 27 kB where the whole document is 2.4 MB. v2
requests are validated with the v3 operation: Atlassian documents both versions as the same
operations, v3 adding ADF.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest
from openapi_core.validation.request.exceptions import RequestValidationError
from werkzeug.datastructures import ImmutableMultiDict

from opsync.testing.emulators.jira_faults import JiraError

SPEC = Path(__file__).with_name("jira_openapi.json")
SITE = "https://your-domain.atlassian.net"


@cache
def _openapi() -> OpenAPI:
    return OpenAPI.from_dict(json.loads(SPEC.read_text(encoding="utf-8")))


@cache
def documented() -> frozenset[tuple[str, str]]:
    """(METHOD, v3 path template) pairs the subset describes."""
    paths = json.loads(SPEC.read_text(encoding="utf-8"))["paths"]
    return frozenset((m.upper(), p) for p, ops in paths.items() for m in ops)


def validate(
    method: str,
    template: str,
    path: str,
    query: dict[str, list[str]],
    headers: dict[str, str],
    body: bytes,
) -> None:
    """Raise a 400 ErrorCollection when a documented request breaks its schema."""
    v3_template = template.replace("/rest/api/2/", "/rest/api/3/")
    if (method, v3_template) not in documented():
        return
    request = MockRequest(
        SITE,
        method.lower(),
        path.replace("/rest/api/2/", "/rest/api/3/").replace("/rest/api/latest/", "/rest/api/3/"),
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
        message = "; ".join(str(getattr(d, "message", d)) for d in details)
        raise JiraError(400, (f"Invalid request payload: {message}",)) from None
