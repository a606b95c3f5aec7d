"""What tests steer and read besides the data: request counts, the rate limit and faults.

All of it is thread-safe: the HTTP server answers on many threads while a test (or a
benchmark) reads counts and queues faults from its own.
"""

from __future__ import annotations

import fnmatch
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from opsync.testing.emulators.notion_errors import STATUS_CODES, ApiError, for_status

Endpoint = tuple[str, str]


@dataclass(frozen=True)
class Counts:
    """Requests received since the last reset, including the ones answered with an error.

    Reads are GET requests and the POST reads (`/query`, `/search`); writes are the other
    POST, PATCH and DELETE requests.
    """

    total: int
    reads: int
    writes: int
    by_endpoint: dict[Endpoint, int]
    by_status: dict[int, int]

    def of(self, method: str, template: str) -> int:
        return self.by_endpoint.get((method, template), 0)


def is_read(method: str, template: str) -> bool:
    return method == "GET" or (method == "POST" and template.endswith(("/query", "/search")))


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
            endpoints = dict(self._endpoints)
            statuses = dict(self._statuses)
        reads = sum(n for (m, t), n in endpoints.items() if is_read(m, t))
        total = sum(endpoints.values())
        return Counts(total, reads, total - reads, endpoints, statuses)

    def reset(self) -> None:
        with self._lock:
            self._endpoints.clear()
            self._statuses.clear()


class RateLimiter:
    """A token bucket: `rate` requests a second on average, bursts of `burst` at most.

    Over the limit the answer is 429 `rate_limited` with an integer `Retry-After` (the
    seconds until a token is back, at least 1), as the request-limits page describes.
    """

    def __init__(
        self, rate: float | None, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.configure(rate, burst)

    def configure(self, rate: float | None, burst: int) -> None:
        with self._lock:
            self.rate = rate
            self.burst = max(1, burst)
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
            wait = (1 - self._tokens) / self.rate
        raise for_status(429, {"Retry-After": str(max(1, math.ceil(wait)))})


@dataclass
class Fault:
    """One queued fault: what it does, to which requests, how many more times."""

    kind: str
    times: int
    method: str
    path: str
    status: int = 0
    seconds: float = 0.0
    apply: bool = False
    retry_after: int | None = None

    def matches(self, method: str, path: str) -> bool:
        return fnmatch.fnmatchcase(method, self.method) and fnmatch.fnmatchcase(path, self.path)


@dataclass
class Decision:
    """What the server does with one request before (or instead of) answering it."""

    delay: float = 0.0
    error: ApiError | None = None
    reset: bool = False
    apply_before_reset: bool = False


@dataclass
class Faults:
    """Faults queued by tests, consumed in order by the requests that match them.

    `method` and `path` are shell-style patterns (`"POST"`, `"/v1/pages*"`,
    `"/v1/data_sources/*/query"`); `times` is how many matching requests each affects.
    """

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _queue: list[Fault] = field(default_factory=list)

    def fail(
        self,
        status: int,
        times: int = 1,
        method: str = "*",
        path: str = "*",
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `times` matching requests with `status` (400, 409, 429, 5xx or 529),
        with a `Retry-After` of `retry_after` seconds when given."""
        if status not in STATUS_CODES:
            raise ValueError(f"no Notion error code is known for status {status}")
        self._add(Fault("fail", times, method, path, status=status, retry_after=retry_after))

    def delay(self, seconds: float, times: int = 1, method: str = "*", path: str = "*") -> None:
        """Hold the next matching requests `seconds` before answering (slow responses, timeouts)."""
        self._add(Fault("delay", times, method, path, seconds=seconds))

    def reset_connection(
        self, times: int = 1, method: str = "*", path: str = "*", apply: bool = False
    ) -> None:
        """Close the socket without an answer; with `apply` the request takes effect first,
        which is the lost-response case that makes blind re-creates duplicate pages."""
        self._add(Fault("reset", times, method, path, apply=apply))

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    def pending(self) -> int:
        with self._lock:
            return sum(f.times for f in self._queue)

    def _add(self, fault: Fault) -> None:
        if fault.times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._queue.append(fault)

    def decide(self, method: str, path: str) -> Decision:
        """Consume the first queued fault of each kind that matches this request."""
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
                    headers = (
                        None
                        if fault.retry_after is None
                        else {"Retry-After": str(fault.retry_after)}
                    )
                    decision.error = for_status(fault.status, headers)
                else:
                    decision.reset, decision.apply_before_reset = True, fault.apply
        return decision
