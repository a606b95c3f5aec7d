"""Masking credentials in free text and log records: the part of the HTTP layer's
redaction (:mod:`opsync.http.redact`) that needs no HTTP library, so that logging on a
core install (``--log-level``, which every command takes) does not import httpx.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "***"

_SCHEME_CREDENTIALS = re.compile(r"\b(Bearer|bearer|BEARER|Basic)\s+[A-Za-z0-9._~+/-]{8,}=*")
_KEY_VALUE = re.compile(
    r"((?:access_token|refresh_token|token|secret|client_secret|password|api[-_]?key)"
    r"[\"']?\s*[=:]\s*[\"']?)[^\s&,;\"']+",
    re.IGNORECASE,
)
_URL_USERINFO = re.compile(r"(://)[^/\s@]+@")
# Notion integration tokens: ``secret_…`` (older) and ``ntn_…`` (current).
_NOTION_TOKEN = re.compile(r"\b(?:secret|ntn)_[A-Za-z0-9]{20,}\b")


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


__all__ = ["MASK", "RedactingFilter", "redact_text"]
