"""The httpx transport every HTTP connector sends through: paced, retried and counted.

Placing the policy *under* the vendor SDK, as the transport of the ``httpx.Client`` the SDK
is given, catches every request the SDK makes (paginated reads, its own helpers) in one
place, and vcrpy and the emulator still see each attempt, since they sit beneath it.

Hand the wrapped client to ``notion_client.Client(client=..., retry=False)`` and never open
that client with ``with``: notion-client 3.1.0's ``Client.__enter__`` swaps in a fresh
``httpx.Client()``, silently bypassing this transport (NOTES.md §7).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

import httpx

from opsync.http.pacing import TokenBucket
from opsync.http.policy import Kind, RetryPolicy, Verdict
from opsync.http.redact import describe, redact_headers, redact_url

_log = logging.getLogger("opsync.http")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
IDEMPOTENT_METHODS = SAFE_METHODS | {"PUT", "DELETE"}


def is_safe_method(request: httpx.Request) -> bool:
    """The default notion of a read: the HTTP methods that change nothing on the server."""
    return request.method in SAFE_METHODS


@dataclass(frozen=True)
class RequestCounts:
    """What a transport sent, for the run report and the request benchmarks.

    Attributes:
        calls: requests handed to the transport (one per SDK call, whatever the retries).
        reads: attempts that only read (safe methods and POSTs the connector calls safe).
        writes: every other attempt. A server counts each attempt, so these are comparable
            with an emulator's request counts.
        paced_seconds: time spent waiting in the token bucket.
        rate_limited_seconds: retry waits after a 429, a 529 or a throttle told in the body.
        backoff_seconds: retry waits after a 5xx, timeout or connection failure.
    """

    calls: int = 0
    reads: int = 0
    writes: int = 0
    paced_seconds: float = 0.0
    rate_limited_seconds: float = 0.0
    backoff_seconds: float = 0.0

    @property
    def attempts(self) -> int:
        return self.reads + self.writes

    @property
    def retries(self) -> int:
        return self.attempts - self.calls

    @property
    def throttled_seconds(self) -> float:
        """Time lost to rate limits: our own pacing plus the server's ``Retry-After``."""
        return self.paced_seconds + self.rate_limited_seconds


@dataclass(frozen=True)
class Attempt:
    """One attempt, as reported to ``on_request``; ``request`` is ``METHOD /path`` only.

    Exactly one of ``status`` (a response came back) and ``error`` (the exception's class
    name) is set.
    """

    request: str
    number: int
    read: bool
    paced_seconds: float
    status: int | None = None
    error: str | None = None
    date: str | None = None  # the answer's Date header: the service's clock when it answered


class PolicyTransport(httpx.BaseTransport):
    """Paces every attempt through ``bucket`` and repeats it as ``policy`` allows.

    Args:
        inner: the transport that really sends (``httpx.HTTPTransport()``, a MockTransport).
        bucket: the connector's pacing; share one bucket per credential. A service whose
            limits differ by method (Slack's tiers) gives a function choosing the bucket of
            each request.
        policy: the retry policy.
        is_safe: whether a request only reads. Reads are counted as reads and may be
            repeated after a failure that could have run them; give Notion's
            ``POST …/query`` and ``POST /v1/search`` here. PUT and DELETE are repeated too,
            being idempotent, but count as writes. Other POSTs and PATCHes are not repeated
            unless the server refused them unrun (429, 529, connection not made).
        on_request: called after each attempt, for logs and tests.
        connector: the connector's name, carried by the errors raised.
        on_response: given each response as it arrives, before the policy reads it, for a
            connector that paces itself on the budget its service reports in headers.
        classify_response: the service's own reading of a response (see
            :meth:`RetryPolicy.call`), for services that signal throttling in the body.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        bucket: TokenBucket | Callable[[httpx.Request], TokenBucket],
        policy: RetryPolicy,
        is_safe: Callable[[httpx.Request], bool] = is_safe_method,
        on_request: Callable[[Attempt], None] | None = None,
        *,
        connector: str | None = None,
        on_response: Callable[[httpx.Response], None] | None = None,
        classify_response: Callable[[httpx.Response], Verdict | None] | None = None,
    ) -> None:
        self._on_response = on_response
        self._classify_response = classify_response
        self._inner = inner
        self._bucket = bucket
        self._policy = policy
        self._is_safe = is_safe
        self._on_request = on_request
        self._connector = connector
        self._lock = threading.Lock()
        self._counts = RequestCounts()

    @property
    def counts(self) -> RequestCounts:
        """A consistent snapshot of the counts so far."""
        with self._lock:
            return self._counts

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        read = self._is_safe(request)
        # Buffer the body once so that every attempt sends the same bytes.
        request.read()
        self._add(calls=1)
        numbers = itertools.count(1)

        bucket = self._bucket if isinstance(self._bucket, TokenBucket) else self._bucket(request)

        def send() -> httpx.Response:
            paced = bucket.acquire()
            self._add(paced_seconds=paced, reads=int(read), writes=int(not read))
            attempt = Attempt(describe(request), next(numbers), read, paced)
            _log.debug(
                "%s %s attempt %d, headers %s",
                request.method,
                redact_url(request.url),
                attempt.number,
                redact_headers(request.headers),
            )
            try:
                response = self._inner.handle_request(request)
            except Exception as exc:
                self._report(replace(attempt, error=type(exc).__name__))
                raise
            date = response.headers.get("date")
            self._report(replace(attempt, status=response.status_code, date=date))
            if self._on_response is not None:
                self._on_response(response)
            return response

        return self._policy.call(
            request,
            send,
            idempotent=read or request.method in IDEMPOTENT_METHODS,
            connector=self._connector,
            on_wait=self._count_wait,
            classify_response=self._classify_response,
        )

    def close(self) -> None:
        self._inner.close()

    def _report(self, attempt: Attempt) -> None:
        if self._on_request is not None:
            self._on_request(attempt)

    def _count_wait(self, seconds: float, verdict: Verdict) -> None:
        if verdict.kind is Kind.THROTTLED:
            self._add(rate_limited_seconds=seconds)
        else:
            self._add(backoff_seconds=seconds)

    def _add(self, **deltas: float) -> None:
        with self._lock:
            current = self._counts
            self._counts = replace(
                current, **{name: getattr(current, name) + delta for name, delta in deltas.items()}
            )
