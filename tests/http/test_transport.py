"""PolicyTransport under a plain httpx.Client: pacing of every attempt, retries, counts, and
no credential in any message or log line."""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
from fake_time import FakeTime

from opsync.errors import AuthError, TransientError
from opsync.http import (
    Attempt,
    PolicyTransport,
    RedactingFilter,
    RequestCounts,
    RetryPolicy,
    TokenBucket,
    redact_headers,
    redact_text,
    redact_url,
)

# Built at run time so that the tree holds no string shaped like a real token.
TOKEN = "ntn_" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ"
Handler = Callable[[httpx.Request], httpx.Response]


class Server:
    """A MockTransport handler that answers from a script per (method, path) and records
    each attempt with the fake time at which it arrived."""

    def __init__(
        self, t: FakeTime, script: dict[tuple[str, str], list[httpx.Response | Exception]]
    ):
        self.t = t
        self.script = script
        self.seen: list[tuple[float, str, str, bytes]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((self.t.now - 1000.0, request.method, request.url.path, request.content))
        answers = self.script[(request.method, request.url.path)]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def times(self) -> list[float]:
        return [round(at, 6) for at, *_ in self.seen]


def notion_reads(request: httpx.Request) -> bool:
    """Notion's read-only POSTs, as the Notion connector will declare them."""
    path = request.url.path
    return request.method == "GET" or (
        request.method == "POST" and (path.endswith("/query") or path == "/v1/search")
    )


def build(
    server: Server,
    *,
    rate: float = 1000.0,
    burst: int = 100,
    attempts: list[Attempt] | None = None,
    **policy: float,
) -> tuple[httpx.Client, PolicyTransport]:
    t = server.t
    transport = PolicyTransport(
        httpx.MockTransport(server),
        TokenBucket(rate, burst, clock=t.monotonic, sleep=t.sleep),
        RetryPolicy(sleep=t.sleep, random=lambda: 0.5, **policy),  # type: ignore[arg-type]
        is_safe=notion_reads,
        on_request=None if attempts is None else attempts.append,
        connector="notion",
    )
    client = httpx.Client(
        transport=transport,
        base_url="https://api.notion.com",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    return client, transport


def ok(body: object = None) -> httpx.Response:
    return httpx.Response(200, json=body if body is not None else {"object": "page"})


def test_429_with_retry_after_is_waited_and_counted_as_throttling() -> None:
    t = FakeTime()
    server = Server(
        t, {("GET", "/v1/users/me"): [httpx.Response(429, headers={"Retry-After": "2"}), ok()]}
    )
    client, transport = build(server)
    assert client.get("/v1/users/me").status_code == 200
    assert len(server.seen) == 2
    assert t.sleeps == [2.0]
    assert transport.counts == RequestCounts(calls=1, reads=2, rate_limited_seconds=2.0)
    assert transport.counts.throttled_seconds == 2.0
    assert transport.counts.retries == 1


def test_500_on_get_is_retried() -> None:
    t = FakeTime()
    server = Server(t, {("GET", "/v1/pages/p1"): [httpx.Response(500), httpx.Response(503), ok()]})
    client, transport = build(server)
    assert client.get("/v1/pages/p1").status_code == 200
    assert len(server.seen) == 3
    assert transport.counts.backoff_seconds == 1.5
    assert transport.counts.rate_limited_seconds == 0.0


def test_waits_are_attributed_by_status_not_by_header() -> None:
    """A 429 without Retry-After is still rate limiting; a 503 with one is still a failure."""
    t = FakeTime()
    script: dict[tuple[str, str], list[httpx.Response | Exception]] = {
        ("GET", "/v1/pages/p1"): [
            httpx.Response(429),
            httpx.Response(503, headers={"Retry-After": "4"}),
            ok(),
        ]
    }
    client, transport = build(Server(t, script))
    client.get("/v1/pages/p1")
    assert t.sleeps == [0.5, 4.0]
    assert (transport.counts.rate_limited_seconds, transport.counts.backoff_seconds) == (0.5, 4.0)


def test_500_on_a_create_is_not_retried() -> None:
    t = FakeTime()
    server = Server(t, {("POST", "/v1/pages"): [httpx.Response(500), ok()]})
    client, transport = build(server)
    assert client.post("/v1/pages", json={"parent": {}}).status_code == 500
    assert len(server.seen) == 1
    assert transport.counts == RequestCounts(calls=1, writes=1)


def test_500_on_a_query_marked_safe_is_retried_with_the_same_body() -> None:
    t = FakeTime()
    path = "/v1/data_sources/ds1/query"
    server = Server(t, {("POST", path): [httpx.Response(502), ok({"results": []})]})
    client, transport = build(server)
    body = {"filter": {"property": "opsync_key", "rich_text": {"equals": "REL-1"}}}
    assert client.post(path, json=body).json() == {"results": []}
    assert [json.loads(content) for *_, content in server.seen] == [body, body]
    assert transport.counts == RequestCounts(calls=1, reads=2, backoff_seconds=0.5)


def test_timeout_on_get_is_retried() -> None:
    t = FakeTime()
    server = Server(t, {("GET", "/v1/blocks/b1/children"): [httpx.ReadTimeout("timed out"), ok()]})
    client, _ = build(server)
    assert client.get("/v1/blocks/b1/children").status_code == 200
    assert len(server.seen) == 2


def test_connection_reset_on_patch_is_not_retried() -> None:
    t = FakeTime()
    reset = httpx.ReadError("[Errno 104] Connection reset by peer")
    server = Server(t, {("PATCH", "/v1/pages/p1"): [reset, ok()]})
    client, transport = build(server)
    with pytest.raises(TransientError, match="may have run") as caught:
        client.patch("/v1/pages/p1", json={"properties": {}})
    assert len(server.seen) == 1
    assert caught.value.request == "PATCH /v1/pages/p1"
    assert caught.value.connector == "notion"
    assert transport.counts.writes == 1


def test_delete_is_idempotent_so_retried_but_counted_as_a_write() -> None:
    t = FakeTime()
    server = Server(t, {("DELETE", "/v1/blocks/b1"): [httpx.Response(503), ok()]})
    client, transport = build(server)
    assert client.delete("/v1/blocks/b1").status_code == 200
    assert transport.counts == RequestCounts(calls=1, writes=2, backoff_seconds=0.5)


def test_401_raises_auth_error() -> None:
    t = FakeTime()
    server = Server(t, {("GET", "/v1/users/me"): [httpx.Response(401), ok()]})
    client, _ = build(server)
    with pytest.raises(AuthError):
        client.get("/v1/users/me")
    assert len(server.seen) == 1


@pytest.mark.parametrize("status", [400, 404, 409])
def test_client_errors_are_returned_not_retried(status: int) -> None:
    t = FakeTime()
    body = {"object": "error", "status": status, "code": "validation_error"}
    server = Server(t, {("PATCH", "/v1/pages/p1"): [httpx.Response(status, json=body), ok()]})
    client, _ = build(server)
    response = client.patch("/v1/pages/p1", json={})
    assert (response.status_code, response.json()) == (status, body)
    assert len(server.seen) == 1


def test_every_attempt_is_paced_including_retries() -> None:
    t = FakeTime()
    server = Server(
        t,
        {
            ("GET", "/v1/pages/a"): [ok()],
            ("GET", "/v1/pages/b"): [httpx.Response(500), ok()],
            ("GET", "/v1/pages/c"): [httpx.Response(429, headers={"Retry-After": "1"}), ok()],
        },
    )
    attempts: list[Attempt] = []
    client, transport = build(server, rate=2.5, burst=1, attempts=attempts, base=0.05)
    for key in "abc":
        client.get(f"/v1/pages/{key}")
    # a: 0; b: 0.4 (paced); its retry waits 0.05 of backoff, then 0.35 more in the bucket;
    # c: 1.2 (paced); its retry waits the 1 s Retry-After, by which time a token is ready.
    assert server.times() == pytest.approx([0.0, 0.4, 0.8, 1.2, 2.2])
    assert [(a.request, a.number, a.status) for a in attempts] == [
        ("GET /v1/pages/a", 1, 200),
        ("GET /v1/pages/b", 1, 500),
        ("GET /v1/pages/b", 2, 200),
        ("GET /v1/pages/c", 1, 429),
        ("GET /v1/pages/c", 2, 200),
    ]
    assert [round(a.paced_seconds, 6) for a in attempts] == [0.0, 0.4, 0.35, 0.4, 0.0]
    counts = transport.counts
    assert counts.paced_seconds == pytest.approx(1.15)
    assert counts.throttled_seconds == pytest.approx(2.15)
    assert (counts.calls, counts.attempts, counts.backoff_seconds) == (3, 5, 0.05)


def test_an_attempt_that_raised_is_reported_with_the_error() -> None:
    t = FakeTime()
    server = Server(t, {("GET", "/v1/pages/p1"): [httpx.ConnectError("refused"), ok()]})
    attempts: list[Attempt] = []
    client, _ = build(server, attempts=attempts)
    client.get("/v1/pages/p1")
    assert [(a.number, a.status, a.error) for a in attempts] == [
        (1, None, "ConnectError"),
        (2, 200, None),
    ]


class TrackedStream(httpx.SyncByteStream):
    """A response body that remembers whether it was closed (a pooled connection freed)."""

    def __init__(self) -> None:
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield b"{}"

    def close(self) -> None:
        self.closed = True


def test_a_discarded_response_is_closed_before_the_retry() -> None:
    t = FakeTime()
    stream = TrackedStream()
    server = Server(t, {("GET", "/v1/pages/p1"): [httpx.Response(503, stream=stream), ok()]})
    client, _ = build(server)
    client.get("/v1/pages/p1")
    assert stream.closed


def test_a_throttled_storm_raises_without_the_token_anywhere(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    t = FakeTime()
    storm = httpx.Response(429, headers={"Retry-After": "30"})
    server = Server(t, {("POST", "/v1/pages"): [storm]})
    client, transport = build(server)
    with pytest.raises(TransientError) as caught:
        client.post(f"/v1/pages?token={TOKEN}", json={})
    assert len(server.seen) == 5  # 4 waits of 30 s fill the 120 s budget
    assert sum(t.sleeps) == 120.0
    assert transport.counts.rate_limited_seconds == 120.0
    assert "POST /v1/pages" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert caplog.records and TOKEN not in caplog.text


def test_redact_helpers() -> None:
    url = f"https://user:pw@api.example.com/v1/x?page_size=100&api_key={TOKEN}&access%5Ftoken=t0k"
    assert redact_url(url) == (
        "https://api.example.com/v1/x?page_size=100&api_key=***&access%5Ftoken=***"
    )
    assert redact_headers({"Authorization": f"Bearer {TOKEN}", "Notion-Version": "2025-09-03"}) == {
        "Authorization": "***",
        "Notion-Version": "2025-09-03",
    }
    text = (
        f"Authorization: Bearer {TOKEN}; retry https://u:pw@h/x?password=hunter2 "
        "with secret_fake and legacy secret_0123456789abcdefghijABCDEFGHIJ"
    )
    cleaned = redact_text(text, secrets=["secret_fake"])
    assert cleaned == (
        "Authorization: Bearer ***; retry https://***@h/x?password=*** with *** and legacy ***"
    )
    assert redact_text("the API token is invalid; basic checks passed") == (
        "the API token is invalid; basic checks passed"
    )


def test_redacting_filter_scrubs_what_an_sdk_logs(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.sdk")
    logger.addFilter(RedactingFilter(secrets=["secret_fake"]))
    with caplog.at_level(logging.DEBUG, logger="test.sdk"):
        logger.debug("GET %s with auth %s", "https://h/v1/x?token=abc", "secret_fake")
    assert caplog.messages == ["GET https://h/v1/x?token=*** with auth ***"]


class StreamingTransport(httpx.BaseTransport):
    """Reads request bodies by iterating their stream, as httpx.HTTPTransport does."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(b"".join(request.stream))  # type: ignore[arg-type]
        return httpx.Response(503 if len(self.bodies) == 1 else 200)


def test_a_streamed_body_is_sent_whole_on_every_attempt() -> None:
    t = FakeTime()
    inner = StreamingTransport()
    transport = PolicyTransport(
        inner,
        TokenBucket(100.0, 10, clock=t.monotonic, sleep=t.sleep),
        RetryPolicy(sleep=t.sleep),
        is_safe=notion_reads,
    )
    with httpx.Client(transport=transport) as client:
        chunks = iter([b'{"page_size":', b"100}"])
        client.post("https://api.notion.com/v1/search", content=chunks)
    assert inner.bodies == [b'{"page_size":100}'] * 2


def test_counts_add_up_across_threads() -> None:
    t = FakeTime()
    server = Server(t, {("GET", "/v1/users/me"): [ok()]})
    client, transport = build(server, burst=10**6)

    def worker() -> None:
        for _ in range(300):
            client.get("/v1/users/me")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible to expose lost updates
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert (transport.counts.calls, transport.counts.reads) == (2400, 2400)
