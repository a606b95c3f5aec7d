"""Client-side pacing: stay under a vendor's rate limit instead of bouncing off it.

A 429 costs a round trip and, for Notion, a ``Retry-After`` pause that can reach a minute;
users of other sync tools report big databases that never finish because of it (LESSONS.md
13). A token bucket spends ``burst`` requests at once and then one every ``1 / rate``
seconds, so a connector paced below the documented average is never throttled by its own
traffic.

The bucket hands out *reservations*: under the lock a caller takes the next slot (the token
count may go negative) and learns how long to wait, then sleeps outside the lock. Threads
therefore queue in order without holding the lock while asleep, and no two callers ever get
the same slot. Time comes from an injected monotonic clock and sleep, so tests run paced
traffic with a fake clock and no real waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """Paces requests to ``rate`` per second on average, allowing bursts of ``burst``.

    Args:
        rate: requests per second in the long run (Notion: 2.8, below its documented 3).
        burst: requests that may go out back to back after an idle period (at least 1).
        clock: a monotonic clock in seconds.
        sleep: blocks the calling thread for the given seconds.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be a positive number of requests per second, not {rate}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, not {burst}")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._stamp = clock()

    def acquire(self) -> float:
        """Block until this caller may send one request; return the seconds it waited."""
        with self._lock:
            now = self._clock()
            refill = max(now - self._stamp, 0.0) * self.rate
            self._tokens = min(float(self.burst), self._tokens + refill) - 1.0
            self._stamp = now
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait
