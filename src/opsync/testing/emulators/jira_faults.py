"""What tests steer and read besides the site: request counts, the rate limit and faults.

Thread-safe, as the server answers on many threads while a test reads counts or queues
faults from its own. Over the limit the answer is 429 with ``Retry-After`` in seconds (what
Jira Cloud sends) or, when a test asks, as an HTTP-date (what HTTP allows and what the
``jira`` SDK crashes on, NOTES.md §11).
"""

from __future__ import annotations

import fnmatch
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

Endpoint = tuple[str, str]
READ_POSTS = ("/search/jql", "/search", "/jql/parse")


@dataclass(frozen=True)
class JiraError(Exception):
    """An answer other than 200: status, Jira's ErrorCollection body, extra headers."""

    status: int
    messages: tuple[str, ...] = ()
    errors: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {"errorMessages": list(self.messages), "errors": dict(self.errors)}


def is_read(method: str, template: str) -> bool:
    return method == "GET" or (method == "POST" and template.endswith(READ_POSTS))


@dataclass(frozen=True)
class Counts:
    """Requests received since the last reset, including those answered with an error."""

    total: int
    reads: int
    writes: int
    by_endpoint: dict[Endpoint, int]
    by_status: dict[int, int]

    def of(self, method: str, template: str) -> int:
        return self.by_endpoint.get((method, template), 0)


class RequestCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._endpoints: Counter[Endpoint] = Counter()
        self._statuses: Counter[int] = Counter()

    def record(self, method: str, template: str, status: int) -> None:
        with self._lock:
            self._endpoints[(method, template)] += 1
            self._statuses[status] += 1

    def snapshot(self) -> Counts:
        with self._lock:
            endpoints, statuses = dict(self._endpoints), dict(self._statuses)
        reads = sum(n for (m, t), n in endpoints.items() if is_read(m, t))
        total = sum(endpoints.values())
        return Counts(total, reads, total - reads, endpoints, statuses)

    def reset(self) -> None:
        with self._lock:
            self._endpoints.clear()
            self._statuses.clear()


class RateLimiter:
    """A token bucket of ``rate`` requests a second and bursts of ``burst``."""

    def __init__(
        self, rate: float | None, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.http_date = False
        self.configure(rate, burst)

    def configure(self, rate: float | None, burst: int, *, http_date: bool = False) -> None:
        with self._lock:
            self.rate, self.burst, self.http_date = rate, max(1, burst), http_date
            self._tokens = float(self.burst)
            self._at = self._clock()

    def admit(self) -> None:
        with self._lock:
            if self.rate is None:
                return
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return
            wait = max(1, math.ceil((1 - self._tokens) / self.rate))
        raise throttled(wait, http_date=self.http_date)


def throttled(seconds: int, *, http_date: bool = False) -> JiraError:
    """The 429 Jira Cloud sends over its burst limit."""
    if http_date:
        after = format_datetime(datetime.now(UTC) + timedelta(seconds=seconds), usegmt=True)
    else:
        after = str(seconds)
    return JiraError(
        429,
        ("Rate limit exceeded.",),
        headers={
            "Retry-After": after,
            "X-RateLimit-Limit": "100",
            "X-RateLimit-Remaining": "0",
            "RateLimit-Reason": "jira-burst-based",
        },
    )


def for_status(status: int, retry_after: str | None = None) -> JiraError:
    if status == 429:
        error = throttled(1)
        headers = {**error.headers, "Retry-After": retry_after or "1"}
        return JiraError(429, error.messages, headers=headers)
    headers = {"Retry-After": retry_after} if retry_after else {}
    text = {500: "Internal server error", 502: "Bad gateway", 503: "Service unavailable",
            504: "Gateway timeout"}.get(status, f"HTTP {status}")  # fmt: skip
    return JiraError(status, (text,), headers=headers)


@dataclass
class Fault:
    kind: str
    times: int
    method: str
    path: str
    status: int = 0
    seconds: float = 0.0
    retry_after: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return fnmatch.fnmatchcase(method, self.method) and fnmatch.fnmatchcase(path, self.path)


@dataclass
class Decision:
    delay: float = 0.0
    error: JiraError | None = None
    reset: bool = False


@dataclass
class Faults:
    """Faults queued by tests, consumed in order by the requests that match them.

    ``method`` and ``path`` are shell-style patterns (``"POST"``, ``"/rest/api/3/search/*"``).
    """

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _queue: list[Fault] = field(default_factory=list)

    def fail(
        self,
        status: int,
        times: int = 1,
        method: str = "*",
        path: str = "*",
        retry_after: str | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (429, 5xx, ...)."""
        self._add(Fault("fail", times, method, path, status=status, retry_after=retry_after))

    def delay(self, seconds: float, times: int = 1, method: str = "*", path: str = "*") -> None:
        """Hold matching requests ``seconds`` before answering (slow answers, timeouts)."""
        self._add(Fault("delay", times, method, path, seconds=seconds))

    def reset_connection(self, times: int = 1, method: str = "*", path: str = "*") -> None:
        """Close the socket without an answer."""
        self._add(Fault("reset", times, method, path))

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    def _add(self, fault: Fault) -> None:
        if fault.times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._queue.append(fault)

    def decide(self, method: str, path: str) -> Decision:
        decision = Decision()
        with self._lock:
            for kind in ("delay", "fail", "reset"):
                fault = next(
                    (f for f in self._queue if f.kind == kind and f.matches(method, path)), None
                )
                if fault is None:
                    continue
                fault.times -= 1
                if fault.times == 0:
                    self._queue.remove(fault)
                if kind == "delay":
                    decision.delay = fault.seconds
                elif kind == "fail":
                    decision.error = for_status(fault.status, fault.retry_after)
                else:
                    decision.reset = True
        return decision
