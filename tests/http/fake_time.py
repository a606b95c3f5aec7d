"""Fake time for the HTTP layer's tests: a monotonic clock that moves only when something
sleeps, so paced and retried traffic runs instantly and every wait is recorded."""

from __future__ import annotations


class FakeTime:
    """``monotonic`` and ``sleep`` for TokenBucket and RetryPolicy; ``sleeps`` lists every wait."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
