"""Pacing on the budget a service reports in its response headers, on top of the bucket.

A token bucket paces to a rate opsync chooses; some services (Linear) also say, on every
response, how much of their own budget is left and when it is full again: requests, and
the "complexity" points queries cost. Those budgets are shared with everything else using
the same key, so opsync's own pace cannot know them. :class:`BudgetedBucket` is the
connector's one :class:`~opsync.http.pacing.TokenBucket`, which also remembers the last
reported budgets and, before the next request, pauses until the budget that is short has
refilled enough for it (the services named here refill at a constant rate up to full at
the reset time, so the pause is the deficit over that rate, not the whole window).

A pause longer than ``max_wait`` is not slept: the request fails at once with a
:class:`~opsync.errors.TransientError` carrying ``retry_after``, as the retry policy does
with a long ``Retry-After``, so a cron run reports it instead of hanging.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from opsync.errors import TransientError
from opsync.http.pacing import TokenBucket


@dataclass(frozen=True)
class Budget:
    """One reported budget: what was left when it was reported (``seen_at``, epoch seconds),
    its size, when it is full again (epoch seconds), and how much the next request is
    expected to cost of it."""

    remaining: float
    limit: float
    reset_at: float
    need: float = 1.0
    seen_at: float | None = None

    def delay(self, now: float) -> float:
        """Seconds until ``need`` is available, counting what refilled since it was seen at
        the constant rate that fills it by ``reset_at``; 0 if it is there."""
        seen = now if self.seen_at is None else self.seen_at
        window = self.reset_at - seen
        missing = self.limit - self.remaining
        if self.remaining >= self.need or window <= 0 or missing <= 0:
            return 0.0
        rate = missing / window
        available = self.remaining + max(now - seen, 0.0) * rate
        return max((self.need - available) / rate, 0.0)


class BudgetedBucket(TokenBucket):
    """A :class:`TokenBucket` that also waits for the service's reported budgets.

    Args:
        rate, burst, clock, sleep: as for :class:`TokenBucket`.
        wall: the wall clock in epoch seconds, which reset times are given in.
        max_wait: the longest pause slept; past it the request fails with ``retry_after``.
        connector: the connector's name, for that error.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        *,
        wall: Callable[[], float] = time.time,
        max_wait: float = 120.0,
        connector: str | None = None,
    ) -> None:
        super().__init__(rate, burst, clock, sleep)
        self._wall = wall
        self._pause = sleep
        self._max_wait = max_wait
        self._connector = connector
        self._budgets: dict[str, Budget] = {}
        self._guard = threading.Lock()

    def note(self, name: str, budget: Budget) -> None:
        """Remember the budget ``name`` as the last response reported it (stamped now when
        it carries no ``seen_at``)."""
        if budget.seen_at is None:
            budget = replace(budget, seen_at=self._wall())
        with self._guard:
            self._budgets[name] = budget

    def _delays(self) -> dict[str, float]:
        now = self._wall()
        with self._guard:
            budgets = dict(self._budgets)
        return {name: b.delay(now) for name, b in budgets.items()}

    def delay(self) -> float:
        """Seconds the next request should wait for the reported budgets (0: none)."""
        return max(self._delays().values(), default=0.0)

    def acquire(self) -> float:
        waited = super().acquire()
        delays = self._delays()
        wait = max(delays.values(), default=0.0)
        if wait <= 0:
            return waited
        if wait > self._max_wait:
            short = " and ".join(name for name, seconds in delays.items() if seconds > 0)
            raise TransientError(
                f"the service's {short} budget is spent and refills in {wait:.0f} s, over the "
                f"{self._max_wait:.0f} s opsync waits; run again later",
                retry_after=wait,
                connector=self._connector,
            )
        self._pause(wait)
        return waited + wait


__all__ = ["Budget", "BudgetedBucket"]
