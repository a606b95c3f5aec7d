"""The Atlassian SDK's ``requests`` session, sent through opsync's one pacing + retry site.

atlassian-python-api speaks ``requests``; opsync's policy (:class:`~opsync.http.TokenBucket`,
:class:`~opsync.http.RetryPolicy`, counting, redaction) lives in an httpx transport. Rather
than build a second policy for ``requests``, :class:`PolicyAdapter` is mounted on the SDK's
session and hands each prepared request to that same :class:`~opsync.http.PolicyTransport`,
turning the answer back into a ``requests.Response``. So every attempt is paced, retried
(429 and 503 with ``Retry-After`` in seconds or as an HTTP-date, 5xx for reads, timeouts)
and counted in one place, and nothing else may retry: the SDK's own loops are switched off
where it is built (``client.py``) and this adapter never retries by itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from opsync.http import PolicyTransport


def _timeout(value: Any) -> httpx.Timeout | None:
    if value is None:
        return None
    if isinstance(value, tuple):
        connect, read = value
        return httpx.Timeout(read, connect=connect)
    return httpx.Timeout(float(value))


class PolicyAdapter(BaseAdapter):
    """A ``requests`` transport adapter that sends through a :class:`PolicyTransport`.

    Errors the policy raises (opsync's ``TransientError``, ``AuthError``) pass through the
    SDK untouched, so the connector sees them as it sees any other opsync error.
    """

    def __init__(self, transport: PolicyTransport) -> None:
        super().__init__()
        self.transport = transport

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        body = request.body
        if isinstance(body, str):
            content = body.encode("utf-8")
        elif isinstance(body, bytes):
            content = body
        elif body is None:
            content = b""
        else:  # a streamed upload: opsync sends none
            raise TypeError("PolicyAdapter sends in-memory bodies only")
        limits = _timeout(timeout)
        outgoing = httpx.Request(
            request.method or "GET",
            request.url or "",
            headers=[
                (k, v if isinstance(v, str) else v.decode()) for k, v in request.headers.items()
            ],
            content=content,
            extensions={"timeout": limits.as_dict()} if limits is not None else {},
        )
        answer = self.transport.handle_request(outgoing)
        try:
            data = answer.read()
        finally:
            answer.close()
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = CaseInsensitiveDict(answer.headers.items())
        response._content = data
        response.url = request.url or ""
        response.request = request
        response.reason = answer.extensions.get("reason_phrase", b"").decode("ascii", "replace")
        response.encoding = answer.encoding
        return response

    def close(self) -> None:
        self.transport.close()
