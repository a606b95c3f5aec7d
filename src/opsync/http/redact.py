"""Keep credentials out of every message and log line the HTTP layer (or an SDK) produces.

Errors travel far: into the run report, cron mail and issue trackers. So nothing built from
a request may carry its ``Authorization`` header, a token in the query string or a password
in the URL. The layer names a request by :func:`describe` (method and path only) and runs
anything else through these helpers; :class:`RedactingFilter` does the same for loggers we
do not write, such as ``notion_client``'s, which logs URLs and raw response bodies.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote_plus

import httpx

MASK = "***"

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
_SCHEME_CREDENTIALS = re.compile(r"\b(Bearer|bearer|BEARER|Basic)\s+[A-Za-z0-9._~+/-]{8,}=*")
_KEY_VALUE = re.compile(
    r"((?:access_token|refresh_token|token|secret|client_secret|password|api[-_]?key)"
    r"[\"']?\s*[=:]\s*[\"']?)[^\s&,;\"']+",
    re.IGNORECASE,
)
_URL_USERINFO = re.compile(r"(://)[^/\s@]+@")
# Notion integration tokens: ``secret_…`` (older) and ``ntn_…`` (current).
_NOTION_TOKEN = re.compile(r"\b(?:secret|ntn)_[A-Za-z0-9]{20,}\b")


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


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask known secrets and anything shaped like a credential in free text.

    ``secrets`` are exact values the caller knows (the configured token), masked wherever
    they appear; the patterns catch what nobody listed: ``Bearer …`` values, ``token=…``
    pairs, passwords in URLs and Notion token shapes.
    """
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _SCHEME_CREDENTIALS.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _KEY_VALUE.sub(lambda m: f"{m.group(1)}{MASK}", text)
    text = _URL_USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", text)
    return _NOTION_TOKEN.sub(MASK, text)


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites each record's message through :func:`redact_text`.

    Attach it to a logger handed to a vendor SDK (``notion_client.Client(logger=...)``), so
    that what the SDK chooses to log passes through the same scrubbing as opsync's own lines.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_text(record.getMessage(), self._secrets)
        record.args = None
        return True
