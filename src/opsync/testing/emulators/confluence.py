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
import re
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from opsync.testing.emulators.confluence_files import (
    MULTIPART,
    XSRF_FAILED,
    XSRF_TOKENS,
    Download,
)
from opsync.testing.emulators.confluence_model import (
    ApiError,
    World,
    error_body,
    in_envelope,
    v1_error,
    v2_error,
)
from opsync.testing.emulators.confluence_openapi import validate
from opsync.testing.emulators.confluence_routes import Call, Handler, routes
from opsync.testing.emulators.emulator_controls import TokenBucket
from opsync.testing.emulators.emulator_server import (
    LoopbackEmulator,
    LoopbackHandler,
    LoopbackServer,
    template_pattern,
)

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


class App:
    def __init__(self, world: World, users: dict[str, str], limit: TokenBucket) -> None:
        self.world = world
        self.users = users
        self.limit = limit
        self.lock = threading.Lock()
        self.faults: deque[Fault] = deque()
        self.counter: Counter[tuple[str, str]] = Counter()
        self.table = [(m, t, template_pattern(t), h, v2) for m, t, h, v2 in routes()]

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
                form = (method, template) in MULTIPART
                return self._run(
                    handler, v2, root, found.groupdict(), query, headers, raw, method, rest, form
                )
        self.count(method, "(unmatched)")
        if _is_v2(split.path):
            return 404, error_body(404, f"null for uri: {path}", True), {}
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
        takes_form: bool,
    ) -> tuple[int, Any, dict[str, str]]:
        try:
            user = self._user(headers, cloud=bool(root))
            is_form = headers.get("content-type", "").lower().startswith("multipart/form-data")
            if is_form and headers.get("x-atlassian-token", "").lower() not in XSRF_TOKENS:
                # Atlassian's XSRF filter blocks a multipart request without the header,
                # whatever it asks for (confluence_files.py cites the pages).
                return 403, PlainText(XSRF_FAILED), {}
            if is_form != takes_form:
                # The resource declares one media type (SPEC-C1 requestBody); JAX-RS refuses
                # any other before the resource runs.
                raise ApiError(415, error_body(415, "Unsupported Media Type", v2))
            if raw and not is_form:
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise (v2_error(400, "INVALID_JSON", "Invalid JSON") if v2 else v1_error(
                        400, "Unexpected character in JSON")) from None  # fmt: skip
            else:
                body = {}
            if not is_form and not rest.startswith("/download/"):
                # the trimmed specs hold the JSON operations only; a download is no API
                validate(v2, rest, method, query, raw)
            with self.world.lock:
                result = handler(Call(self.world, user, root, params, query, body, headers, raw))
            return 200, result, dict(getattr(result, "headers", {}))
        except ApiError as error:
            # Each API answers in its own envelope, whichever shared code raised it.
            error = in_envelope(error, v2)
            return error.status, error.body, error.headers
        except Exception as error:  # a bug here answers 500, as a real server would
            return 500, error_body(500, repr(error), v2), {}

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


class _Handler(LoopbackHandler):
    server: LoopbackServer[App]

    def serve(self) -> None:
        app = self.server.app
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        fault = app.fault(self.command, urlsplit(self.path).path)
        wait = app.limit.take() if fault is None else None
        if wait is not None:
            app.count(self.command, "(429)")
            fault = Fault(self.command, self.path, 429, (("Retry-After", str(wait)),))
        elif fault is not None:
            app.count(self.command, "(fault)")
        if fault is not None:
            if fault.drop:
                self.drop_connection()
                return
            v2 = _is_v2(urlsplit(self.path).path)
            status, body, extra = fault.status, _fault_body(fault.status, v2), dict(fault.headers)
        else:
            status, body, extra = app.answer(self.command, self.path, headers, raw)
        if isinstance(body, PlainText):
            self.send_text(status, body)
        elif isinstance(body, Download):
            self.send_file(status, body)
        else:
            self.send_json(status, body, extra)

    def send_text(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_file(self, status: int, file: Download) -> None:
        self.send_response(status)
        self.send_header("Content-Type", file.media_type)
        self.send_header("Content-Length", str(len(file.data)))
        self.end_headers()
        self.wfile.write(file.data)

    do_GET = do_POST = do_PUT = serve


class PlainText(str):
    """An answer sent as text, not JSON (the XSRF filter's 403 is plain text)."""


def _is_v2(path: str) -> bool:
    return path.startswith("/wiki/api/v2/")


def _fault_body(status: int, v2: bool) -> Any:
    if status == 429:
        if v2:
            return error_body(429, "Rate limit exceeded", True)
        return {"message": "Rate limit exceeded", "statusCode": 429}
    return error_body(status, "Internal Server Error", v2)


class ConfluenceEmulator(LoopbackEmulator):
    """A site with one space and a root page, served on a background thread.

    Its `base_url` is the site root (Cloud paths are under ``/wiki``; DC paths are served too).
    """

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
        # Confluence Cloud's burst limit for API-token traffic (NOTES.md §5).
        self.limit = TokenBucket(rate_limit, burst, clock)
        users = {token: email, PERSON_TOKEN: self.person_email}
        self._app = App(self.world, users, self.limit)
        server = LoopbackServer((host, port), _Handler, self._app)
        super().__init__(server, "confluence-emulator")

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
    banner = [
        f"Confluence emulator serving at {emulator.base_url}",
        f"OPSYNC_CONFLUENCE_BASE_URL={emulator.base_url}",
        f"CONFLUENCE_EMAIL={emulator.email}",
        f"CONFLUENCE_TOKEN={emulator.token}",
        f"space key: {emulator.space}",
        f"root page id: {emulator.root_page_id}",
    ]
    return emulator.serve_until_interrupted(banner, "Confluence emulator stopped.")


if __name__ == "__main__":
    sys.exit(main())
