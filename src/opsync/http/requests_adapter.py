"""The pacing and retry layer for SDKs built on ``requests`` (atlassian-python-api, jira).

opsync's one policy lives in :class:`~opsync.http.PolicyTransport`, an httpx transport. A
``requests``-based SDK is given a session whose every URL is mounted on
:class:`PolicyAdapter`, which hands each prepared request to that transport and turns the
answer back into a ``requests.Response``. So the SDK's requests are paced, retried and
counted exactly like notion-client's, the SDK's own retry switches stay off, and vcrpy
still sees each attempt (it patches httpx beneath the transport).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from opsync.http.transport import PolicyTransport


def _timeout(value: Any) -> httpx.Timeout:
    """``requests``' timeout (seconds, or a (connect, read) pair) as httpx's."""
    if isinstance(value, tuple):
        connect, read = value
        return httpx.Timeout(read, connect=connect)
    return httpx.Timeout(value)


class PolicyAdapter(BaseAdapter):
    """A ``requests`` transport adapter that sends through a :class:`PolicyTransport`.

    Errors the policy raises (:class:`~opsync.errors.TransientError` when the retries ran
    out, :class:`~opsync.errors.AuthError` on 401/403) pass through the SDK unchanged, so
    the caller sees opsync's errors, never a half-handled vendor one.
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
        content = body.encode("utf-8") if isinstance(body, str) else body
        if content is not None and not isinstance(content, bytes):
            raise TypeError("PolicyAdapter sends in-memory bodies only")  # opsync streams none
        outgoing = httpx.Request(
            str(request.method),
            str(request.url),
            headers=[
                (k, v if isinstance(v, str) else v.decode("latin-1"))
                for k, v in request.headers.items()
            ],
            content=content,
            extensions={"timeout": _timeout(timeout).as_dict()},
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
        response.url = str(request.url)
        response.reason = answer.reason_phrase
        response.request = request
        response.encoding = answer.encoding
        return response

    def close(self) -> None:
        self.transport.close()


def policy_session(transport: PolicyTransport) -> requests.Session:
    """A session that sends every request, whatever its URL, through ``transport``."""
    session = requests.Session()
    adapter = PolicyAdapter(transport)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.trust_env = False  # no .netrc credentials or proxies picked up behind our back
    return session
