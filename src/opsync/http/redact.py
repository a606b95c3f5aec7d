"""Keep credentials out of every message and log line the HTTP layer (or an SDK) produces.

Errors travel far: into the run report, cron mail and issue trackers. So nothing built from
a request may carry its ``Authorization`` header, a token in the query string or a password
in the URL. The layer names a request by :func:`describe` (method and path only) and runs
anything else through these helpers; :class:`RedactingFilter` does the same for loggers we
do not write, such as ``notion_client``'s, which logs URLs and raw response bodies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import unquote_plus

import httpx

from opsync.redaction import MASK, RedactingFilter, redact_text

SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "x-auth-token",
    }
)

_SENSITIVE_NAME = re.compile(
    r"token|secret|passw|api[-_]?key|auth|signature|session|credential|^sig$|^key$|^code$",
    re.IGNORECASE,
)


def describe(request: httpx.Request) -> str:
    """Name a request for humans as ``METHOD /path``: no host, query string or headers."""
    return f"{request.method} {request.url.path}"


def redact_url(url: httpx.URL | str) -> str:
    """The URL without its user-info and with the values of credential-like parameters masked."""
    parsed = httpx.URL(url).copy_with(username=None, password=None)
    pairs = parsed.query.decode("ascii").split("&") if parsed.query else []
    masked = "&".join(_mask_pair(pair) for pair in pairs)
    return str(parsed.copy_with(query=masked.encode("ascii"))) if pairs else str(parsed)


def _mask_pair(pair: str) -> str:
    name, sep, _ = pair.partition("=")
    return f"{name}{sep}{MASK}" if sep and _SENSITIVE_NAME.search(unquote_plus(name)) else pair


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` that is safe to log: credential headers keep only their name."""
    return {
        name: MASK if name.lower() in SENSITIVE_HEADERS else value
        for name, value in headers.items()
    }


__all__ = [
    "MASK",
    "SENSITIVE_HEADERS",
    "RedactingFilter",
    "describe",
    "redact_headers",
    "redact_text",
    "redact_url",
]
