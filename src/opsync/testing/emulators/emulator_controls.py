"""What tests steer and read on an emulator besides its data: counts, the rate limit, faults.

The loopback emulators share these; each brings what counts as a read, its 429 and its error
bodies. All of it is thread-safe: the server answers on many threads while a test (or a
benchmark) reads counts and queues faults from its own.
"""

from __future__ import annotations

import fnmatch
import math
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Endpoint = tuple[str, str]
#: What the server sends back: status, JSON body, extra headers.
Reply = tuple[int, Any, dict[str, str]]


@dataclass(frozen=True)
class Counts:
    """Requests received since the last reset, including those answered with an error.

    What counts as a read is the emulator's call (its `is_read`); the rest are writes.
    """

    total: int
    reads: int
    writes: int
    by_endpoint: dict[Endpoint, int]
    by_status: dict[int, int]

    def of(self, method: str, template: str) -> int:
        return self.by_endpoint.get((method, template), 0)


class RequestCounter:
    """Requests by (method, route template) and by status; `is_read` splits reads from writes."""

    def __init__(self, is_read: Callable[[str, str], bool]) -> None:
        self._is_read = is_read
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
        reads = sum(n for (m, t), n in endpoints.items() if self._is_read(m, t))
        total = sum(endpoints.values())
        return Counts(total, reads, total - reads, endpoints, statuses)

    def reset(self) -> None:
        with self._lock:
            self._endpoints.clear()
            self._statuses.clear()


class TokenBucket:
    """`rate` requests a second on average, bursts of `burst` at most; `rate=None` admits all.

    It only says how long to wait: each vendor words its own 429 around that.
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

    def take(self) -> int | None:
        """None when the request is admitted, else the whole seconds (at least 1) until a
        token is back: what the vendors send as `Retry-After`."""
        with self._lock:
            if self.rate is None:
                return None
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return None
            return max(1, math.ceil((1 - self._tokens) / self.rate))


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
    headers: dict[str, str] = field(default_factory=dict)

    def matches(self, method: str, path: str) -> bool:
        return fnmatch.fnmatchcase(method, self.method) and fnmatch.fnmatchcase(path, self.path)


@dataclass
class Decision:
    """What the server does with one request before (or instead of) answering it."""

    delay: float = 0.0
    error: Reply | None = None
    reset: bool = False
    apply_before_reset: bool = False


class FaultQueue(ABC):
    """Faults queued by tests, consumed in order by the requests that match them.

    `method` and `path` are shell-style patterns; `times` is how many matching requests each
    affects. A vendor's subclass offers `fail` with its own checks and renders the error.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []

    @abstractmethod
    def reply_for(self, status: int, headers: dict[str, str]) -> Reply:
        """The vendor's answer for an injected `status` with these extra headers."""

    def delay(self, seconds: float, times: int = 1, method: str = "*", path: str = "*") -> None:
        """Hold the next matching requests `seconds` before answering (slow responses, timeouts)."""
        self._add(Fault("delay", times, method, path, seconds=seconds))

    def reset_connection(
        self, times: int = 1, method: str = "*", path: str = "*", apply: bool = False
    ) -> None:
        """Close the socket without an answer; with `apply` the request takes effect first,
        which is the lost-response case that makes blind re-creates duplicate records."""
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
                    decision.error = self.reply_for(fault.status, fault.headers)
                else:
                    decision.reset, decision.apply_before_reset = True, fault.apply
        return decision
