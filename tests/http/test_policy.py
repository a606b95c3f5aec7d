"""RetryPolicy and classify: which outcomes are repeated, for how long, and what is raised."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from fake_time import FakeTime

from opsync.clock import FixedClock
from opsync.errors import AuthError, TransientError
from opsync.http import Kind, RetryPolicy, classify, parse_retry_after

# Built at run time so that the tree holds no string shaped like a real token.
TOKEN = "secret_" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
NOW = datetime(2026, 7, 4, 9, 0, tzinfo=UTC)
Outcome = httpx.Response | Exception


def request(method: str = "GET", url: str = "https://api.example.com/v1/pages/p1") -> httpx.Request:
    return httpx.Request(method, url, headers={"Authorization": f"Bearer {TOKEN}"})


def respond(
    status: int, headers: dict[str, str] | None = None, body: bytes = b"{}"
) -> httpx.Response:
    return httpx.Response(status, headers=headers, content=body)


class Script:
    """A ``send`` that plays back outcomes in order and counts how often it was called."""

    def __init__(self, outcomes: Sequence[Outcome]) -> None:
        self.outcomes = list(outcomes)
        self.sent = 0

    def __call__(self) -> httpx.Response:
        outcome = self.outcomes[min(self.sent, len(self.outcomes) - 1)]
        self.sent += 1
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def policy(t: FakeTime, **options: object) -> RetryPolicy:
    options.setdefault("random", lambda: 0.5)  # no jitter: each backoff is exactly nominal
    return RetryPolicy(sleep=t.sleep, clock=FixedClock(NOW), **options)  # type: ignore[arg-type]


def test_retry_after_seconds_is_waited_then_the_response_returned() -> None:
    t = FakeTime()
    script = Script([respond(429, {"Retry-After": "2"}), respond(200)])
    response = policy(t).call(request(), script, idempotent=False)
    assert response.status_code == 200
    assert script.sent == 2
    assert t.sleeps == [2.0]


def test_retry_after_http_date_is_measured_against_the_response_date() -> None:
    """The server's own Date header wins over a local clock 100 s off."""
    t = FakeTime()
    server_now = NOW + timedelta(seconds=100)
    headers = {
        "Date": format_datetime(server_now, usegmt=True),
        "Retry-After": format_datetime(server_now + timedelta(seconds=7), usegmt=True),
    }
    policy(t).call(request(), Script([respond(429, headers), respond(200)]), idempotent=True)
    assert t.sleeps == [7.0]


def test_retry_after_http_date_without_date_header_uses_the_clock() -> None:
    t = FakeTime()
    headers = {"Retry-After": format_datetime(NOW + timedelta(seconds=5), usegmt=True)}
    policy(t).call(request(), Script([respond(529, headers), respond(200)]), idempotent=False)
    assert t.sleeps == [5.0]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2", 2.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("Sat, 04 Jul 2026 09:00:30 GMT", 30.0),
        ("Sat, 04 Jul 2026 08:59:00 GMT", 0.0),
        ("Sat, 04 Jul 2026 09:00:30 -0000", 30.0),
        ("-3", None),
        ("soon", None),
        ("nan", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


def test_a_rate_limit_storm_gives_up_within_the_budget_without_leaking_secrets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    t = FakeTime()
    storm = Script([respond(429, {"Retry-After": "25"})])
    sent = request("POST", f"https://api.example.com/v1/pages?api_key={TOKEN}")
    with pytest.raises(TransientError) as caught:
        policy(t, max_attempts=100, max_total_wait=120.0).call(
            sent, storm, idempotent=False, connector="notion"
        )
    assert sum(t.sleeps) <= 120.0
    assert t.sleeps == [25.0] * 4  # a fifth 25 s wait would pass 120 s
    assert storm.sent == 5
    error = caught.value
    assert error.retry_after == 25.0
    assert error.request == "POST /v1/pages"
    assert error.connector == "notion"
    assert "429" in str(error)
    assert TOKEN not in str(error) and TOKEN not in caplog.text
    assert "api_key" not in str(error)


def test_a_retry_after_beyond_the_budget_is_not_waited_out_in_part() -> None:
    t = FakeTime()
    script = Script([respond(429, {"Retry-After": "300"})])
    with pytest.raises(TransientError, match="asked for 300 s more") as caught:
        policy(t).call(request(), script, idempotent=True)
    assert t.sleeps == []
    assert script.sent == 1
    assert caught.value.retry_after == 300.0


def test_backoff_doubles_and_stops_after_max_attempts() -> None:
    t = FakeTime()
    script = Script([respond(503)])
    with pytest.raises(TransientError, match="after 5 attempts") as caught:
        policy(t, max_attempts=5).call(request(), script, idempotent=True)
    assert t.sleeps == [0.5, 1.0, 2.0, 4.0]
    assert script.sent == 5
    assert caught.value.retry_after is None


def test_backoff_is_jittered_and_capped() -> None:
    t = FakeTime()
    policy(t, max_attempts=4, cap=1.5, random=lambda: 0.99).call(
        request(), Script([respond(500)] * 3 + [respond(200)]), idempotent=True
    )
    assert t.sleeps == pytest.approx([0.745, 1.49, 1.5])


def test_backoff_shrinks_to_the_budget_left() -> None:
    t = FakeTime()
    with pytest.raises(TransientError, match="2 s retry budget is spent"):
        policy(t, max_attempts=10, max_total_wait=2.0).call(
            request(), Script([respond(502)]), idempotent=True
        )
    assert t.sleeps == [0.5, 1.0, 0.5]


def test_a_5xx_on_a_request_that_may_have_run_is_returned_not_repeated() -> None:
    t = FakeTime()
    script = Script([respond(500), respond(200)])
    response = policy(t).call(request("POST"), script, idempotent=False)
    assert response.status_code == 500
    assert script.sent == 1


@pytest.mark.parametrize(
    "error",
    [
        httpx.ReadTimeout("timed out"),
        httpx.WriteTimeout("timed out"),
        httpx.ReadError("connection reset by peer"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
)
def test_a_lost_response_on_a_write_is_reported_not_repeated(error: Exception) -> None:
    t = FakeTime()
    script = Script([error, respond(200)])
    with pytest.raises(TransientError, match="may have run") as caught:
        policy(t).call(request("PATCH"), script, idempotent=False)
    assert script.sent == 1
    assert caught.value.__cause__ is error


@pytest.mark.parametrize(
    "error",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("timed out"), httpx.PoolTimeout("full")],
)
def test_a_request_that_never_left_is_repeated_whatever_its_method(error: Exception) -> None:
    t = FakeTime()
    script = Script([error, respond(201)])
    assert policy(t).call(request("POST"), script, idempotent=False).status_code == 201
    assert script.sent == 2


def test_a_timeout_on_a_read_is_repeated() -> None:
    t = FakeTime()
    script = Script([httpx.ReadTimeout("timed out"), respond(200)])
    assert policy(t).call(request(), script, idempotent=True).status_code == 200
    assert t.sleeps == [0.5]


def test_giving_up_after_timeouts_chains_the_last_one() -> None:
    t = FakeTime()
    last = httpx.ReadTimeout("timed out")
    with pytest.raises(TransientError, match="ReadTimeout") as caught:
        policy(t, max_attempts=2).call(
            request(), Script([httpx.ReadTimeout("first"), last]), idempotent=True
        )
    assert caught.value.__cause__ is last


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_raise_auth_error_at_once(status: int) -> None:
    t = FakeTime()
    body = b'{"object":"error","code":"unauthorized","message":"API token is invalid."}'
    script = Script([respond(status, body=body), respond(200)])
    with pytest.raises(AuthError) as caught:
        policy(t).call(request(), script, idempotent=True, connector="notion")
    assert script.sent == 1
    assert "unauthorized: API token is invalid." in str(caught.value)
    assert caught.value.request == "GET /v1/pages/p1"
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize("status", [200, 400, 404, 409])
def test_other_statuses_go_back_to_the_caller_at_once(status: int) -> None:
    t = FakeTime()
    script = Script([respond(status), respond(200)])
    assert policy(t).call(request(), script, idempotent=True).status_code == status
    assert script.sent == 1


def test_an_error_the_policy_does_not_know_propagates_unchanged() -> None:
    error = httpx.UnsupportedProtocol("ftp")
    with pytest.raises(httpx.UnsupportedProtocol) as caught:
        policy(FakeTime()).call(request(), Script([error]), idempotent=True)
    assert caught.value is error


@pytest.mark.parametrize(
    ("outcome", "kind"),
    [
        (respond(429), Kind.THROTTLED),
        (respond(529), Kind.THROTTLED),
        (respond(500), Kind.FAILED),
        (respond(502), Kind.FAILED),
        (respond(503), Kind.FAILED),
        (respond(504), Kind.FAILED),
        (respond(401), Kind.AUTH),
        (respond(403), Kind.AUTH),
        (respond(400), Kind.PASS),
        (respond(409), Kind.PASS),
        (respond(501), Kind.PASS),
        (httpx.ConnectError("refused"), Kind.UNSENT),
        (httpx.ReadTimeout("slow"), Kind.FAILED),
        (httpx.ReadError("reset"), Kind.FAILED),
        (httpx.RemoteProtocolError("closed"), Kind.FAILED),
        (httpx.ProxyError("proxy"), Kind.PASS),
        (ValueError("bug"), Kind.PASS),
    ],
)
def test_classify(outcome: Outcome, kind: Kind) -> None:
    assert classify(outcome).kind is kind


def test_each_wait_is_reported_with_its_cause() -> None:
    t = FakeTime()
    waits: list[tuple[float, int | None]] = []
    policy(t).call(
        request(),
        Script([respond(429, {"Retry-After": "3"}), respond(503), respond(200)]),
        idempotent=True,
        on_wait=lambda seconds, verdict: waits.append((seconds, verdict.status)),
    )
    assert waits == [(3.0, 429), (1.0, 503)]


@pytest.mark.parametrize(
    "options",
    [{"max_attempts": 0}, {"max_total_wait": -1.0}, {"base": 0.0}, {"base": 2.0, "cap": 1.0}],
)
def test_rejects_a_policy_that_cannot_work(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**options)  # type: ignore[arg-type]
