"""The Linear emulator answers as Linear does (schema validation, the errors envelope,
budgets in headers), and the connector's one policy honours what it says: a RATELIMITED
400 is retried, a spent budget pauses the next request or fails it at once when the pause
would be long, a refused key or a bad query is reported with Linear's message."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from linear_support import Builder, FakeSleep

from opsync.connectors.linear import queries
from opsync.errors import AuthError, PermanentError, TransientError
from opsync.testing.emulators.linear import LinearEmulator


@pytest.fixture
def time() -> FakeSleep:
    fake = FakeSleep()
    fake.now = 1_800_000_000.0  # an epoch: the emulator's budgets run on this clock too
    return fake


@pytest.fixture
def acme(time: FakeSleep, monkeypatch: pytest.MonkeyPatch) -> Iterator[LinearEmulator]:
    with LinearEmulator(wall=time.monotonic) as emulator:
        emulator.seed_acme()
        monkeypatch.setenv("OPSYNC_LINEAR_BASE_URL", emulator.base_url)
        yield emulator


@pytest.fixture
def build(acme: LinearEmulator, time: FakeSleep) -> Iterator[Builder]:
    builder = Builder(acme, time)
    yield builder
    builder.close()


def post(emulator: LinearEmulator, query: str, auth: str | None = None, **variables: Any) -> Any:
    return httpx.post(
        f"{emulator.base_url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": emulator.key if auth is None else auth},
    )


def test_a_misspelt_field_fails_validation_as_linear_does(acme: LinearEmulator) -> None:
    answer = post(acme, "query { viewer { id emial } }")
    assert answer.status_code == 400
    (error,) = answer.json()["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "emial" in error["message"]


def test_every_query_the_connector_sends_passes_the_schema(acme: LinearEmulator) -> None:
    documents = [queries.VIEWER, queries.TEAM, queries.ISSUE_LABELS, queries.PROJECT_LABELS]
    documents += [queries.items(k, ids_only=i) for k in ("issues", "projects") for i in (0, 1)]
    for document in documents:
        answer = post(acme, document)
        assert answer.status_code == 200, answer.text
        assert "errors" not in answer.json()


def test_answers_carry_the_request_and_complexity_budgets(acme: LinearEmulator) -> None:
    answer = post(acme, queries.items("issues"), first=50)
    headers = answer.headers
    assert int(headers["X-RateLimit-Requests-Remaining"]) == 4999
    assert int(headers["X-Complexity"]) > 1000  # 50 issues with their labels
    spent = int(headers["X-RateLimit-Complexity-Limit"]) - int(
        headers["X-RateLimit-Complexity-Remaining"]
    )
    assert spent == int(headers["X-Complexity"])
    assert int(headers["X-RateLimit-Requests-Reset"]) > 1_800_000_000_000  # epoch ms


@pytest.mark.parametrize(
    ("auth", "accepted"),
    [
        ("lin_api_opsync_emulator_key", True),  # a personal key, sent bare
        ("Bearer lin_api_opsync_emulator_key", False),
        ("Bearer lin_oauth_opsync_emulator_token", True),  # an OAuth token, as Bearer
        ("lin_oauth_opsync_emulator_token", False),
        ("", False),
    ],
)
def test_a_key_is_sent_bare_and_an_oauth_token_as_bearer(
    acme: LinearEmulator, auth: str, accepted: bool
) -> None:
    answer = post(acme, queries.VIEWER, auth=auth)
    codes = [e["extensions"]["code"] for e in answer.json().get("errors", [])]
    assert (codes == []) is accepted
    assert accepted or (answer.status_code, codes) == (400, ["AUTHENTICATION_ERROR"])


def test_a_page_larger_than_linear_allows_is_refused(acme: LinearEmulator) -> None:
    answer = post(acme, queries.items("issues", ids_only=True), first=251)
    assert answer.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


def test_a_ratelimited_answer_is_retried_by_the_policy(
    acme: LinearEmulator, build: Builder, time: FakeSleep
) -> None:
    acme.faults.fail(429)  # Linear's RATELIMITED, sent with HTTP 400
    tracker = build()
    assert len(tracker.read_releases().rows) == 40
    counts = tracker.api.transport.counts
    assert (counts.calls, counts.attempts) == (1, 2)
    assert counts.rate_limited_seconds > 0 and time.sleeps


def test_a_spent_request_budget_pauses_the_next_request_until_it_refills(
    acme: LinearEmulator, build: Builder, time: FakeSleep
) -> None:
    acme.set_limits(requests=3, points=1_000_000, period=30)  # one request back every 10 s
    tracker = build(page_size=10)  # four pages
    assert len(tracker.read_releases().rows) == 40
    assert acme.counts.by_status == {200: 4}  # never refused: opsync waited instead
    assert any(9.0 <= s <= 10.5 for s in time.sleeps), time.sleeps


def test_a_spent_complexity_budget_pauses_too(
    acme: LinearEmulator, build: Builder, time: FakeSleep
) -> None:
    cost = int(post(acme, queries.items("issues"), first=10).headers["X-Complexity"])
    acme.set_limits(requests=1000, points=cost * 2.5, period=60)
    tracker = build(page_size=10)
    assert len(tracker.read_releases().rows) == 40
    assert set(acme.counts.by_status) == {200}
    assert time.sleeps


def test_a_budget_that_refills_too_late_fails_at_once_with_retry_after(
    acme: LinearEmulator, build: Builder
) -> None:
    acme.set_limits(requests=2, points=1_000_000, period=3600)  # one request every 30 min
    with pytest.raises(TransientError, match="requests budget") as raised:
        build(page_size=10).read_releases()
    assert raised.value.retry_after is not None and raised.value.retry_after > 600
    assert acme.counts.total == 2  # the third request was never sent


def test_a_refused_key_is_an_auth_error_that_never_shows_the_key(
    acme: LinearEmulator, build: Builder, caplog: pytest.LogCaptureFixture
) -> None:
    acme.key = "lin_api_the_wrong_one"  # what the tracker is given; the emulator wants another
    tracker = build()
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError, match="AUTHENTICATION_ERROR") as raised:
        tracker.read_releases()
    assert "lin_api_the_wrong_one" not in str(raised.value)
    assert "lin_api_the_wrong_one" not in caplog.text


def test_a_query_linear_rejects_is_reported_with_its_message_and_not_retried(
    acme: LinearEmulator, build: Builder
) -> None:
    tracker = build()
    with pytest.raises(PermanentError, match=r"GRAPHQL_VALIDATION_FAILED.*emial"):
        tracker.api.query("query { viewer { emial } }", what="a typo")
    assert acme.counts.total == 1


def test_a_budget_drained_by_another_tool_is_waited_out_from_the_headers_of_the_refusal(
    acme: LinearEmulator, build: Builder, time: FakeSleep
) -> None:
    """Another client of the same key spent the budget between two of opsync's requests:
    Linear refuses with RATELIMITED (HTTP 400, no Retry-After), and the wait comes from
    the refusal's own budget headers, not from a blind backoff."""
    acme.set_limits(requests=3, points=1_000_000, period=30)  # one request back every 10 s
    for _ in range(3):
        post(acme, queries.VIEWER)
    tracker = build()
    assert len(tracker.read_releases().rows) == 40
    assert acme.counts.by_status == {200: 4, 400: 1}
    assert time.sleeps == [pytest.approx(10.0, abs=0.5)]
    assert tracker.api.transport.counts.rate_limited_seconds == pytest.approx(10.0, abs=0.5)


def test_a_json_world_seeds_a_team_of_its_own(time: FakeSleep) -> None:
    with LinearEmulator(wall=time.monotonic) as emulator:
        emulator.seed_json(
            '{"team": {"key": "ENG", "name": "Engineering"}, "releases": [{"key": "ENG-7",'
            ' "title": "SSO", "tier": 2, "launch_date": "2027-01-12", "pm": "ana"}]}'
        )
        answer = post(emulator, queries.items("issues"), filter={"team": {"key": {"eq": "ENG"}}})
    (issue,) = answer.json()["data"]["issues"]["nodes"]
    assert (issue["identifier"], issue["dueDate"], issue["assignee"]["email"]) == (
        "ENG-7",
        "2027-01-12",
        "ana@acme-analytics.example",
    )
