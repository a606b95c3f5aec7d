"""A Confluence emulator shipped with opsync, as the Notion one is.

It serves on loopback the Confluence Cloud v2 and v1 endpoints opsync uses (under
``/wiki``) and the Data Center v1 ones (without it), with the real service's behaviour
where a sync depends on it: version conflicts, duplicate titles, cursor pagination,
rewritten storage bodies, 429 with ``Retry-After``. Tests queue faults (any status, or a
dropped connection) and read request counts. ``opsync emulate confluence`` runs :func:`main`.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import re
import socket
import struct
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from opsync.testing.emulators.confluence_model import ApiError, World, v1_error, v2_error
from opsync.testing.emulators.confluence_openapi import validate
from opsync.testing.emulators.confluence_routes import Call, Handler, routes

DEFAULT_EMAIL = "opsync@example.com"
DEFAULT_TOKEN = "confluence_opsync_emulator"
PERSON_TOKEN = "confluence_person"


@dataclass(frozen=True)
class Fault:
    """A queued answer for the next request matching ``method`` and ``path`` (a regex):
    ``status`` with ``headers`` and the API's error body, or a dropped connection."""

    method: str
    path: str
    status: int = 500
    headers: tuple[tuple[str, str], ...] = ()
    drop: bool = False


@dataclass(frozen=True)
class Counts:
    reads: int
    writes: int
    by_endpoint: dict[tuple[str, str], int]

    @property
    def total(self) -> int:
        return self.reads + self.writes

    def of(self, method: str, template: str) -> int:
        return self.by_endpoint.get((method, template), 0)


class BurstLimit:
    """Confluence Cloud's burst limit for API-token traffic (NOTES.md §5): a token bucket
    of ``rate`` requests a second, ``burst`` at most; over it, 429 with ``Retry-After`` in
    whole seconds until a token is back (at least 1). ``rate=None`` admits everything."""

    def __init__(
        self, rate: float | None, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate, self.burst, self._clock = rate, max(1, burst), clock
        self._tokens, self._at = float(self.burst), clock()
        self._lock = threading.Lock()

    def retry_after(self) -> int | None:
        """None when the request is admitted, else the seconds to wait."""
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


class App:
    def __init__(self, world: World, users: dict[str, str], limit: BurstLimit) -> None:
        self.world = world
        self.users = users
        self.limit = limit
        self.lock = threading.Lock()
        self.faults: deque[Fault] = deque()
        self.counter: Counter[tuple[str, str]] = Counter()
        self.table = [
            (m, t, re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", t) + "$"), h, v2)
            for m, t, h, v2 in routes()
        ]

    def fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.method == method and re.search(fault.path, path):
                    self.faults.remove(fault)
                    return fault
        return None

    def count(self, method: str, template: str) -> None:
        with self.lock:
            self.counter[(method, template)] += 1

    def counts(self) -> Counts:
        with self.lock:
            by = dict(self.counter)
        reads = sum(n for (m, _), n in by.items() if m == "GET")
        return Counts(reads, sum(by.values()) - reads, by)

    def answer(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        split = urlsplit(path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        root = "/wiki" if split.path.startswith("/wiki/") else ""
        rest = split.path[len(root) :]
        for m, template, pattern, handler, v2 in self.table:
            found = pattern.match(rest)
            if found and m == method and (root or not v2):
                self.count(method, root + template)
                return self._run(
                    handler, v2, root, found.groupdict(), query, headers, raw, method, rest
                )
        self.count(method, "(unmatched)")
        return 404, {"message": f"null for uri: {path}", "statusCode": 404}, {}

    def _run(
        self,
        handler: Handler,
        v2: bool,
        root: str,
        params: dict[str, str],
        query: dict[str, str],
        headers: dict[str, str],
        raw: bytes,
        method: str,
        rest: str,
    ) -> tuple[int, Any, dict[str, str]]:
        try:
            user = self._user(headers, cloud=bool(root))
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise (v2_error(400, "INVALID_JSON", "Invalid JSON") if v2 else v1_error(
                        400, "Unexpected character in JSON")) from None  # fmt: skip
            else:
                body = {}
            validate(v2, rest, method, query, raw)
            with self.world.lock:
                result = handler(Call(self.world, user, root, params, query, body))
            return 200, result, {}
        except ApiError as error:
            return error.status, error.body, error.headers
        except Exception as error:  # a bug here answers 500, as a real server would
            return 500, v2_error(500, "INTERNAL_SERVER_ERROR", repr(error)).body, {}

    def _user(self, headers: dict[str, str], cloud: bool) -> str:
        scheme, _, credential = headers.get("authorization", "").partition(" ")
        if cloud and scheme.lower() == "basic":
            try:
                email, _, token = base64.b64decode(credential).decode().partition(":")
            except ValueError:
                email, token = "", ""
            if self.users.get(token) == email:
                return "bot" if token == DEFAULT_TOKEN else "person"
        if not cloud and scheme.lower() == "bearer" and credential in self.users:
            return "bot" if credential == DEFAULT_TOKEN else "person"
        raise ApiError(401, {"message": "Client must be authenticated", "statusCode": 401})


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: App) -> None:
        super().__init__(address, _Handler)
        self.app = app

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request (a killed run, a dropped keep-alive) is
        normal; anything else is printed."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests read counts, not access logs."""

    def _serve(self) -> None:
        app = self.server.app
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        fault = app.fault(self.command, urlsplit(self.path).path)
        wait = app.limit.retry_after() if fault is None else None
        if wait is not None:
            app.count(self.command, "(429)")
            fault = Fault(self.command, self.path, 429, (("Retry-After", str(wait)),))
        elif fault is not None:
            app.count(self.command, "(fault)")
        if fault is not None:
            if fault.drop:
                self.close_connection = True
                linger = struct.pack("ii", 1, 0)
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                self.connection.close()
                return
            status, body, extra = fault.status, _fault_body(fault.status), dict(fault.headers)
        else:
            status, body, extra = app.answer(self.command, self.path, headers, raw)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


def _fault_body(status: int) -> Any:
    if status == 429:
        return {"message": "Rate limit exceeded", "statusCode": 429}
    return v2_error(status, "INTERNAL_SERVER_ERROR", "Internal Server Error").body


class ConfluenceEmulator:
    """A site with one space and a root page, served on a background thread."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        space: str = "OPS",
        email: str = DEFAULT_EMAIL,
        token: str = DEFAULT_TOKEN,
        rate_limit: float | None = None,
        burst: int = 10,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.email, self.token, self.space = email, token, space
        self.person_email, self.person_token = "person@example.com", PERSON_TOKEN
        self.world = World(space)
        self.limit = BurstLimit(rate_limit, burst, clock)
        users = {token: email, PERSON_TOKEN: self.person_email}
        self._app = App(self.world, users, self.limit)
        self._server = Server((host, port), self._app)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The site root (Cloud paths are under ``/wiki``; DC paths are served too)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def root_page_id(self) -> str:
        return self.world.root_page_id

    @property
    def counts(self) -> Counts:
        return self._app.counts()

    def reset_counts(self) -> None:
        with self._app.lock:
            self._app.counter.clear()

    def fail(
        self, method: str, path: str, status: int = 500, times: int = 1, **headers: str
    ) -> None:
        """Answer the next ``times`` requests matching with ``status`` (and ``headers``,
        e.g. ``Retry_After="1"``: underscores become dashes)."""
        pairs = tuple((k.replace("_", "-"), v) for k, v in headers.items())
        with self._app.lock:
            self._app.faults.extend(Fault(method, path, status, pairs) for _ in range(times))

    def drop(self, method: str, path: str) -> None:
        """Drop the connection of the next matching request without answering."""
        with self._app.lock:
            self._app.faults.append(Fault(method, path, drop=True))

    def edit(self, page_id: str, body: str) -> None:
        """Save ``body`` as a person would in the editor (a new version)."""
        self.world.edit(page_id, body)

    def start(self) -> ConfluenceEmulator:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="confluence-emulator", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> ConfluenceEmulator:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Serve an emulator until interrupted, after printing how to point opsync at it."""
    parser = argparse.ArgumentParser(prog="opsync emulate confluence", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--space", default="OPS")
    parser.add_argument("--rate", type=float, default=10.0, help="requests/s; 0: no limit")
    args = parser.parse_args(argv)
    rate = args.rate if args.rate > 0 else None
    emulator = ConfluenceEmulator(host=args.host, port=args.port, space=args.space, rate_limit=rate)
    with emulator:
        print(f"Confluence emulator serving at {emulator.base_url}", flush=True)
        print(f"OPSYNC_CONFLUENCE_BASE_URL={emulator.base_url}", flush=True)
        print(f"CONFLUENCE_EMAIL={emulator.email}", flush=True)
        print(f"CONFLUENCE_TOKEN={emulator.token}", flush=True)
        print(f"space key: {emulator.space}", flush=True)
        print(f"root page id: {emulator.root_page_id}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("Confluence emulator stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
