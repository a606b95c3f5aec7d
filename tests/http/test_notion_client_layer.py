"""PolicyTransport under the real notion-client 3.1.0: our layer paces and retries, the
SDK's own retry stays off, and the ``with Client(...)`` trap (NOTES.md §7) is shown and kept
out of opsync's code.

The right way to open the SDK, used by every test here and to be used by the connector:
build the ``httpx.Client`` over PolicyTransport, pass it as ``client=`` with ``retry=False``,
and close the SDK client with ``close()`` in a ``finally``; never ``with`` / ``async with``.
"""

from __future__ import annotations

import ast
import json
import logging
import socket
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fake_time import FakeTime
from notion_client import APIResponseError, Client, collect_paginated_api

from opsync.errors import TransientError
from opsync.http import PolicyTransport, RetryPolicy, TokenBucket

SRC = Path(__file__).resolve().parents[2] / "src" / "opsync"
Handler = Callable[[httpx.Request], httpx.Response]
_LOGGER = logging.getLogger("tests.notion_client")  # one logger: the SDK adds a handler per client


def notion_reads(request: httpx.Request) -> bool:
    path = request.url.path
    return request.method == "GET" or (
        request.method == "POST" and (path.endswith("/query") or path == "/v1/search")
    )


class Recorder:
    """Wraps a handler and records (fake time, method, path, headers) of each attempt."""

    def __init__(self, t: FakeTime, handler: Handler) -> None:
        self.t = t
        self.handler = handler
        self.seen: list[tuple[float, str, str, httpx.Headers]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(
            (round(self.t.now - 1000.0, 6), request.method, request.url.path, request.headers)
        )
        return self.handler(request)


def open_notion(
    recorder: Recorder, *, rate: float = 1000.0, burst: int = 100, base_url: str | None = None
) -> tuple[Client, httpx.Client, PolicyTransport]:
    t = recorder.t
    transport = PolicyTransport(
        httpx.MockTransport(recorder),
        TokenBucket(rate, burst, clock=t.monotonic, sleep=t.sleep),
        RetryPolicy(sleep=t.sleep, random=lambda: 0.5),
        is_safe=notion_reads,
        connector="notion",
    )
    http = httpx.Client(transport=transport)
    options: dict[str, object] = {"auth": "secret_fake", "retry": False, "logger": _LOGGER}
    if base_url is not None:
        options["base_url"] = base_url
    return Client(client=http, **options), http, transport


def sequence(*responses: httpx.Response) -> Handler:
    answers = list(responses)
    return lambda request: answers.pop(0) if len(answers) > 1 else answers[0]


ME = {"object": "user", "id": "u1", "type": "bot", "bot": {}}


def test_a_429_then_200_is_retried_once_by_our_layer_only() -> None:
    t = FakeTime()
    recorder = Recorder(
        t, sequence(httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json=ME))
    )
    notion, _, transport = open_notion(recorder)
    try:
        assert notion.users.me()["id"] == "u1"
    finally:
        notion.close()
    assert len(recorder.seen) == 2
    assert t.sleeps == [2.0]
    assert transport.counts.rate_limited_seconds == 2.0
    headers = recorder.seen[0][3]
    assert headers["Authorization"] == "Bearer secret_fake"
    assert headers["Notion-Version"] == "2025-09-03"


def test_a_storm_surfaces_as_our_transient_error_after_our_attempts_only() -> None:
    t = FakeTime()
    recorder = Recorder(t, sequence(httpx.Response(429, headers={"Retry-After": "30"})))
    notion, _, _ = open_notion(recorder)
    try:
        with pytest.raises(TransientError) as caught:
            notion.pages.retrieve(page_id="p1")
    finally:
        notion.close()
    assert len(recorder.seen) == 5  # not 5 x (1 + the SDK's 2 retries)
    assert caught.value.request == "GET /v1/pages/p1"
    assert "secret_fake" not in str(caught.value)


def test_a_500_on_create_reaches_the_sdk_unrepeated() -> None:
    t = FakeTime()
    body = {"object": "error", "status": 500, "code": "internal_server_error", "message": "boom"}
    recorder = Recorder(t, sequence(httpx.Response(500, json=body), httpx.Response(200, json={})))
    notion, _, transport = open_notion(recorder)
    try:
        with pytest.raises(APIResponseError) as caught:
            notion.pages.create(
                parent={"type": "data_source_id", "data_source_id": "ds1"}, properties={}
            )
    finally:
        notion.close()
    assert caught.value.status == 500
    assert len(recorder.seen) == 1
    assert (transport.counts.reads, transport.counts.writes) == (0, 1)


def test_paginated_queries_are_paced_and_retried_as_reads() -> None:
    """Three pages of a data source query, one 503 on the way: every attempt is 0.4 s
    after the previous one or later, and the POST query counts as a read."""
    t = FakeTime()
    pages = {None: ("c1", ["r1"]), "c1": ("c2", ["r2"]), "c2": (None, ["r3"])}
    failed: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        cursor = json.loads(request.content).get("start_cursor")
        if cursor == "c1" and not failed:
            failed.append(cursor)
            return httpx.Response(503)
        next_cursor, ids = pages[cursor]
        results = [{"object": "page", "id": i} for i in ids]
        return httpx.Response(
            200,
            json={
                "object": "list",
                "results": results,
                "has_more": next_cursor is not None,
                "next_cursor": next_cursor,
            },
        )

    recorder = Recorder(t, handler)
    notion, _, transport = open_notion(recorder, rate=2.5, burst=1)
    try:
        rows = collect_paginated_api(notion.data_sources.query, data_source_id="ds1")
    finally:
        notion.close()
    assert [row["id"] for row in rows] == ["r1", "r2", "r3"]
    assert [(at, method, path) for at, method, path, _ in recorder.seen] == [
        (0.0, "POST", "/v1/data_sources/ds1/query"),
        (0.4, "POST", "/v1/data_sources/ds1/query"),
        (0.9, "POST", "/v1/data_sources/ds1/query"),  # 0.5 s backoff, a token is ready
        (1.3, "POST", "/v1/data_sources/ds1/query"),
    ]
    counts = transport.counts
    assert (counts.calls, counts.reads, counts.writes) == (3, 4, 0)


def _closed_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_with_client_bypasses_the_transport() -> None:
    """NOTES.md §7, demonstrated: inside ``with notion:`` the SDK talks through a fresh
    ``httpx.Client()``; our transport (and here the mock) sees nothing, pacing and retries
    are gone, and the request goes to the network (a closed loopback port here)."""
    t = FakeTime()
    recorder = Recorder(t, sequence(httpx.Response(200, json=ME)))
    base = f"http://127.0.0.1:{_closed_loopback_port()}"
    notion, http, _ = open_notion(recorder, base_url=base)
    try:
        with notion:
            assert notion.client is not http
            with pytest.raises(httpx.ConnectError):
                notion.users.me()
        assert recorder.seen == []
        assert notion.client is http  # __exit__ silently restores the injected client
        notion.users.me()
        assert len(recorder.seen) == 1
    finally:
        notion.close()


def context_entries(source: str) -> list[int]:
    """Lines where ``source`` enters a notion_client client's context (``with``, ``async
    with``, ``__enter__``/``__aenter__``, ``ExitStack.enter_context``)."""
    tree = ast.parse(source)
    constructors: set[str] = set()
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "notion_client":
            constructors |= {
                a.asname or a.name for a in node.names if a.name in {"Client", "AsyncClient"}
            }
        elif isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name == "notion_client"}

    def makes_client(expr: ast.expr) -> bool:
        if not isinstance(expr, ast.Call):
            return False
        func = expr.func
        if isinstance(func, ast.Name):
            return func.id in constructors
        return (
            isinstance(func, ast.Attribute)
            and func.attr in {"Client", "AsyncClient"}
            and ast.unparse(func.value) in modules
        )

    holders = {
        ast.unparse(target)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value and makes_client(node.value)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
    }

    def is_client(expr: ast.expr) -> bool:
        return makes_client(expr) or ast.unparse(expr) in holders

    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.With | ast.AsyncWith):
            hits += [node.lineno for item in node.items if is_client(item.context_expr)]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr, owner = node.func.attr, node.func.value
            if (attr in {"__enter__", "__aenter__"} and is_client(owner)) or (
                attr in {"enter_context", "enter_async_context"}
                and any(is_client(arg) for arg in node.args)
            ):
                hits.append(node.lineno)
    return sorted(hits)


@pytest.mark.parametrize(
    "source",
    [
        "from notion_client import Client\nwith Client(auth='x') as notion:\n    pass\n",
        "import notion_client as nc\nn = nc.Client(client=h)\n"
        "async def f():\n    async with n:\n        pass\n",
        "from notion_client import Client as C\nclass K:\n    def __init__(self):\n"
        "        self._n = C()\n    def run(self, stack):\n        stack.enter_context(self._n)\n",
        "from notion_client import Client\nn: Client = Client()\nn.__enter__()\n",
    ],
)
def test_the_check_finds_each_way_of_entering_the_client(source: str) -> None:
    assert context_entries(source)


def test_the_check_leaves_the_safe_pattern_alone() -> None:
    source = (
        "import httpx\nfrom notion_client import Client\n"
        "with httpx.Client() as http:\n"
        "    notion = Client(client=http, retry=False)\n"
        "    try:\n        notion.users.me()\n    finally:\n        notion.close()\n"
    )
    assert context_entries(source) == []


def test_opsync_never_enters_a_notion_client_context() -> None:
    """Guards the connector's code path: any ``with`` on a notion_client client under
    src/opsync would silently drop pacing and retries."""
    offenders = {
        str(path.relative_to(SRC)): lines
        for path in sorted(SRC.rglob("*.py"))
        if (lines := context_entries(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
