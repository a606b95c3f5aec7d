"""Pacing on a service's reported budgets (``BudgetedBucket``) and the transport hooks it
rides on: ``on_response`` sees every answer, ``classify_response`` reads a throttle that
comes in the body."""

from __future__ import annotations

import httpx
import pytest
from fake_time import FakeTime

from opsync.errors import TransientError
from opsync.http import Kind, PolicyTransport, RetryPolicy, Verdict
from opsync.http.budget import Budget, BudgetedBucket


def bucket(time: FakeTime, max_wait: float = 120.0) -> BudgetedBucket:
    return BudgetedBucket(
        100.0, 10, clock=time.monotonic, sleep=time.sleep, wall=time.monotonic, max_wait=max_wait
    )


def test_a_budget_with_room_for_the_next_request_costs_no_wait() -> None:
    assert Budget(remaining=5, limit=100, reset_at=1060, need=1).delay(now=1000) == 0


def test_a_short_budget_waits_for_the_deficit_at_the_refill_rate_not_the_whole_window() -> None:
    # 100 missing refill over 60 s: 0.6 s a unit; 30 points needed, 10 there: 12 s.
    budget = Budget(remaining=10, limit=110, reset_at=1060, need=30, seen_at=1000)
    assert budget.delay(now=1000) == 12.0
    assert budget.delay(now=1005) == pytest.approx(7.0)  # what refilled since then counts
    assert budget.delay(now=1020) == 0.0


def test_the_bucket_pauses_for_the_shortest_reported_budget_before_sending() -> None:
    time = FakeTime()
    paced = bucket(time)
    paced.note("requests", Budget(0, 10, time.now + 50))  # one back every 5 s
    paced.note("complexity", Budget(1000, 2000, time.now + 10, need=500))  # enough
    paced.acquire()
    assert time.sleeps == [5.0]


def test_a_pause_longer_than_max_wait_fails_at_once_with_retry_after() -> None:
    time = FakeTime()
    paced = bucket(time, max_wait=60)
    paced.note("requests", Budget(0, 10, time.now + 3600))
    with pytest.raises(TransientError, match="requests budget") as raised:
        paced.acquire()
    assert raised.value.retry_after == 360.0 and time.sleeps == []


def test_a_throttle_told_in_the_body_is_retried_and_every_answer_is_observed() -> None:
    time = FakeTime()
    answers = iter(
        [
            httpx.Response(400, json={"errors": [{"extensions": {"code": "RATELIMITED"}}]}),
            httpx.Response(200, json={"data": {}}),
        ]
    )
    seen: list[int] = []

    def classify(response: httpx.Response) -> Verdict | None:
        if b"RATELIMITED" in response.read():
            return Verdict(Kind.THROTTLED, 429, 2.0)
        return None

    transport = PolicyTransport(
        httpx.MockTransport(lambda request: next(answers)),
        bucket(time),
        RetryPolicy(sleep=time.sleep),
        is_safe=lambda request: True,
        on_response=lambda response: seen.append(response.status_code),
        classify_response=classify,
    )
    with httpx.Client(transport=transport) as client:
        assert client.post("http://x/graphql", json={}).status_code == 200
    assert seen == [400, 200] and time.sleeps == [2.0]
    assert transport.counts.rate_limited_seconds == 2.0
