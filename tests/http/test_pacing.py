"""TokenBucket: bursts, then one request per 1/rate seconds, on a fake clock, across threads."""

from __future__ import annotations

import sys
import threading

import pytest
from fake_time import FakeTime

from opsync.http import TokenBucket


def test_burst_goes_out_at_once_then_requests_are_spaced_at_the_rate() -> None:
    t = FakeTime()
    bucket = TokenBucket(rate=2.5, burst=2, clock=t.monotonic, sleep=t.sleep)
    sent = []
    for _ in range(5):
        bucket.acquire()
        sent.append(t.now - 1000.0)
    assert sent == pytest.approx([0.0, 0.0, 0.4, 0.8, 1.2])


def test_acquire_returns_the_seconds_it_waited() -> None:
    t = FakeTime()
    bucket = TokenBucket(rate=4.0, burst=1, clock=t.monotonic, sleep=t.sleep)
    assert bucket.acquire() == 0.0
    assert bucket.acquire() == pytest.approx(0.25)
    t.now += 0.1
    assert bucket.acquire() == pytest.approx(0.15)
    assert t.sleeps == pytest.approx([0.25, 0.15])


def test_an_idle_period_refills_no_more_than_the_burst() -> None:
    t = FakeTime()
    bucket = TokenBucket(rate=1.0, burst=3, clock=t.monotonic, sleep=t.sleep)
    for _ in range(3):
        bucket.acquire()
    t.now += 3600.0
    waits = [bucket.acquire() for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.0, 0.0, 1.0, 1.0])


def test_threads_each_get_their_own_slot() -> None:
    """With the clock stopped, the n-th request past the burst must wait exactly n/rate:
    two threads handed the same slot (a lost update) would show as a repeated wait."""
    waits: list[float] = []
    bucket = TokenBucket(rate=10.0, burst=4, clock=lambda: 50.0, sleep=lambda s: None)

    def worker() -> None:
        for _ in range(4000):
            waits.append(bucket.acquire())

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible to expose lost updates
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        sys.setswitchinterval(interval)
    assert not any(thread.is_alive() for thread in threads)
    expected = [0.0] * 4 + [n / 10.0 for n in range(1, 8 * 4000 - 4 + 1)]
    assert sorted(waits) == pytest.approx(expected)


def test_sleeping_happens_outside_the_lock() -> None:
    """A thread waiting for its slot must not stop others from taking theirs."""
    first_sleeper = threading.Event()
    release = threading.Event()
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 1:
            first_sleeper.set()
            release.wait(5)

    bucket = TokenBucket(rate=1.0, burst=1, clock=lambda: 0.0, sleep=sleep)
    bucket.acquire()
    sleeper = threading.Thread(target=bucket.acquire)
    sleeper.start()
    assert first_sleeper.wait(5)
    taker = threading.Thread(target=bucket.acquire)
    taker.start()
    taker.join(2)
    took_its_slot_meanwhile = not taker.is_alive()
    release.set()
    sleeper.join()
    taker.join()
    assert took_its_slot_meanwhile
    assert sleeps == [1.0, 2.0]


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (1.0, 0)])
def test_rejects_a_bucket_that_could_never_send(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate=rate, burst=burst)
