"""The loopback server the emulators share, so each keeps only what its vendor changes.

Here: route-template matching, the threaded server and its lifecycle on a background
thread, and the serve loop that applies queued faults, answers and counts. An emulator
brings its routes, its authentication, its error bodies and status codes.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import sys
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar
from urllib.parse import parse_qs, urlsplit

from opsync.testing.emulators.emulator_controls import Counts, FaultQueue, Reply, RequestCounter


def template_pattern(template: str, prefix: str = "") -> re.Pattern[str]:
    """A route template as a regex: each ``{name}`` is one path segment, a named group."""
    return re.compile("^" + prefix + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")


class Routed(Protocol):
    @property
    def method(self) -> str: ...


RouteT = TypeVar("RouteT", bound=Routed)


def match_route(
    table: Sequence[tuple[RouteT, re.Pattern[str]]], method: str, path: str
) -> tuple[RouteT | None, dict[str, str]]:
    """The first route of `table` for this method and path, with the path's parameters."""
    for route, pattern in table:
        found = pattern.match(path)
        if found and route.method == method:
            return route, found.groupdict()
    return None, {}


class ServedApp(Protocol):
    """What the shared serve loop needs from an emulator's application."""

    @property
    def faults(self) -> FaultQueue: ...

    @property
    def counter(self) -> RequestCounter: ...

    def template_of(self, method: str, path: str) -> str:
        """The name a request is counted under: its route template, or a placeholder."""
        ...

    def answer(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        raw: bytes,
    ) -> Reply: ...


AppT = TypeVar("AppT", covariant=True)


class LoopbackServer(ThreadingHTTPServer, Generic[AppT]):
    """A threaded HTTP server carrying the application its handlers answer from."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], app: AppT
    ) -> None:
        super().__init__(address, handler)
        self.app = app

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request (a killed run, a dropped keep-alive) is
        normal; anything else is printed."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LoopbackHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, JSON answers, silent logs and dropped connections."""

    protocol_version = "HTTP/1.1"
    content_type = "application/json;charset=UTF-8"

    def setup(self) -> None:
        """Headers and body go out in two writes; without TCP_NODELAY each answer waits ~40 ms."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests and the CLI read counts, not access logs."""

    def send_json(self, status: int, body: Any, extra: dict[str, str]) -> None:
        data = b"" if status == 204 else json.dumps(body).encode()  # 204: no content
        self.send_response(status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def drop_connection(self) -> None:
        """Drop the connection with a TCP reset and no response at all."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()


class FaultingHandler(LoopbackHandler):
    """Serves each request through the queued faults, then the app, and counts it."""

    server: LoopbackServer[ServedApp]

    def serve(self) -> None:
        app = self.server.app
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        split = urlsplit(self.path)
        query = parse_qs(split.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in self.headers.items()}
        template = app.template_of(self.command, split.path)
        decision = app.faults.decide(self.command, split.path)
        if decision.delay:
            time.sleep(decision.delay)
        if decision.reset:
            if decision.apply_before_reset:
                app.answer(self.command, split.path, query, headers, raw)
            app.counter.record(self.command, template, 0)
            self.drop_connection()
            return
        if decision.error is not None:
            status, body, extra = decision.error
        else:
            status, body, extra = app.answer(self.command, split.path, query, headers, raw)
        app.counter.record(self.command, template, status)
        self.send_json(status, body, extra)


class LoopbackEmulator:
    """Runs a server on a background thread: `start`/`stop`, or use it as a context manager."""

    #: How often the serving thread checks for `stop` (the standard library's default).
    poll_interval = 0.5

    def __init__(self, server: ThreadingHTTPServer, thread_name: str) -> None:
        self._server = server
        self._thread_name = thread_name
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The server's root, `http://host:port`."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": self.poll_interval},
                name=self._thread_name,
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def serve_until_interrupted(self, banner: Sequence[str], farewell: str) -> int:
        """What `opsync emulate ...` does: serve, print how to point opsync here, wait for ^C."""
        with self:
            for line in banner:
                print(line, flush=True)
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                print(farewell, flush=True)
        return 0


class FaultingEmulator(LoopbackEmulator):
    """An emulator served through `FaultingHandler`, which counts every request it gets."""

    def __init__(self, server: LoopbackServer[ServedApp], thread_name: str) -> None:
        super().__init__(server, thread_name)
        self._counter = server.app.counter

    @property
    def counts(self) -> Counts:
        return self._counter.snapshot()

    def reset_counts(self) -> None:
        self._counter.reset()
