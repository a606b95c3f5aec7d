"""A Linear emulator shipped with opsync: loopback, no workspace or key needed.

It serves ``POST /graphql`` for the queries opsync's Linear connector sends (viewer, teams,
issue and project labels, issues, projects, one issue with its labels and attachments) and
the write-back's mutations (labels swapped on an issue, labels created, attachments made
with Linear's one-attachment-per-URL rule), checked against the part of Linear's published
schema opsync uses (``linear_schema.graphql``), with Linear's pagination, filters, rate
limits and errors. `opsync emulate linear --port PORT [--seed-example acme]` runs
:func:`main`.

What it follows, and where that comes from:

- Authentication (linear.app/developers, and ``packages/sdk/src/client.ts`` of
  github.com/linear/linear): a personal API key is sent in ``Authorization`` as is, an OAuth
  token as ``Bearer <token>``; anything else is refused with ``AUTHENTICATION_ERROR``.
- Errors come in GraphQL's ``errors`` envelope with ``extensions.code`` and ``type`` (the
  SDK's ``error.ts`` reads ``extensions.type``; codes as named in Linear's docs). Rate
  limiting answers HTTP **400** with ``RATELIMITED`` (observed on the live API: issue
  vanillagreencom/kendex#1018), not 429. Which HTTP status Linear gives an authentication
  error varies in public reports (400 or 401); the emulator sends 400 with the code, and
  opsync's client accepts either.
- Rate limits (linear.app/developers/rate-limiting): two leaky buckets per key, requests
  and complexity points, refilled at a constant rate; every answer carries
  ``X-RateLimit-Requests-Limit``/``-Remaining``/``-Reset`` (reset in epoch milliseconds),
  ``X-Complexity`` (this query's cost) and ``X-RateLimit-Complexity-Limit``/``-Remaining``/
  ``-Reset`` (header names as ``RatelimitedLinearError`` in the SDK's ``error.ts`` reads
  them). The default budgets (5,000 requests and 3,000,000 points an hour) are settable,
  since Linear's published numbers have changed over time.
- Recorded responses: no public recording of real Linear API responses (a vcrpy cassette
  or similar) was found, in Linear's repositories or elsewhere, so none is replayed; the
  answers' shapes follow the schema.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

import yaml
from graphql import FieldNode, OperationDefinitionNode

from opsync.testing.emulators.emulator_controls import Fault, FaultQueue, Reply, RequestCounter
from opsync.testing.emulators.emulator_server import (
    FaultingEmulator,
    FaultingHandler,
    LoopbackServer,
)
from opsync.testing.emulators.linear_graphql import LinearError, checked, complexity, run
from opsync.testing.emulators.linear_model import Clock, World

DEFAULT_KEY = "lin_api_opsync_emulator_key"
DEFAULT_OAUTH = "lin_oauth_opsync_emulator_token"
HOUR = 3600.0
REQUESTS_PER_HOUR = 5000
COMPLEXITY_PER_HOUR = 3_000_000
MAX_COMPLEXITY = 10_000
PATH = "/graphql"
ACME_TIERS: dict[int, str] = {1: "Tier 1", 2: "Tier 2", 3: "Tier 3"}


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LeakyBucket:
    """``limit`` tokens refilled at ``limit / period`` a second, as Linear's limiters."""

    def __init__(self, limit: float, period: float, wall: Callable[[], float]) -> None:
        self.limit = limit
        self.period = period
        self._wall = wall
        self.tokens = limit
        self._at = wall()

    def level(self) -> float:
        now = self._wall()
        self.tokens = min(self.limit, self.tokens + (now - self._at) * self.limit / self.period)
        self._at = now
        return self.tokens

    def reset_ms(self) -> int:
        """When the bucket is full again, in epoch milliseconds."""
        missing = self.limit - self.tokens
        return int((self._at + missing * self.period / self.limit) * 1000)


class Limits:
    """The request and complexity budgets of the one key the emulator serves."""

    def __init__(
        self,
        requests: float = REQUESTS_PER_HOUR,
        points: float = COMPLEXITY_PER_HOUR,
        period: float = HOUR,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._lock = threading.Lock()
        self.wall = wall
        self.configure(requests, points, period)

    def configure(self, requests: float, points: float, period: float = HOUR) -> None:
        with self._lock:
            self.requests = LeakyBucket(requests, period, self.wall)
            self.points = LeakyBucket(points, period, self.wall)

    def spend(self, cost: int) -> tuple[bool, dict[str, str]]:
        """Take one request and ``cost`` points if both are there; the headers to send."""
        with self._lock:
            ok = self.requests.level() >= 1 and self.points.level() >= cost
            if ok:
                self.requests.tokens -= 1
                self.points.tokens -= cost
            return ok, self._headers(cost)

    def _headers(self, cost: int) -> dict[str, str]:
        return {
            "X-RateLimit-Requests-Limit": str(int(self.requests.limit)),
            "X-RateLimit-Requests-Remaining": str(max(math.floor(self.requests.tokens), 0)),
            "X-RateLimit-Requests-Reset": str(self.requests.reset_ms()),
            "X-Complexity": str(cost),
            "X-RateLimit-Complexity-Limit": str(int(self.points.limit)),
            "X-RateLimit-Complexity-Remaining": str(max(math.floor(self.points.tokens), 0)),
            "X-RateLimit-Complexity-Reset": str(self.points.reset_ms()),
        }


def is_read(method: str, template: str) -> bool:
    """Every request is one ``POST /graphql``, so the counter cannot tell a mutation by its
    route: it counts them all here, and :attr:`LinearEmulator.mutations` lists the writes."""
    return True


class Faults(FaultQueue):
    """Faults queued by tests: ``fail(429)`` answers as Linear's limiter does (400,
    ``RATELIMITED``), other statuses with Linear's envelope."""

    def fail(self, status: int, times: int = 1, path: str = "*") -> None:
        self._add(Fault("fail", times, "*", path, status=status))

    def reply_for(self, status: int, headers: dict[str, str]) -> Reply:
        if status == 429:
            return 400, throttled().body(), headers
        if status in (401, 403):
            return 400, refused().body(), headers
        return status, LinearError("INTERNAL_ERROR", f"HTTP {status}", "internal error").body(), {}


def throttled() -> LinearError:
    return LinearError("RATELIMITED", "Rate limit exceeded", "ratelimited")


def refused() -> LinearError:
    return LinearError(
        "AUTHENTICATION_ERROR",
        "Authentication required, not authenticated",
        "authentication error",
    )


class App:
    """Auth, limits, validation and execution of one ``POST /graphql``."""

    def __init__(self, world: World, accepted: set[str], limits: Limits) -> None:
        self.world = world
        self.accepted = accepted
        self.limits = limits
        self.faults = Faults()
        self.counter = RequestCounter(is_read)
        self.operations: list[str] = []  # operation names, in order: what tests read
        self.mutations: list[str] = []  # the mutations among them, by their root fields
        self.max_complexity = MAX_COMPLEXITY

    def template_of(self, method: str, path: str) -> str:
        return PATH if path == PATH else "{unknown}"

    def answer(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        raw: bytes,
    ) -> Reply:
        if method != "POST" or path != PATH:
            return 404, {"errors": [{"message": f"Cannot {method} {path}"}]}, {}
        if headers.get("authorization", "") not in self.accepted:
            return 400, refused().body(), {}
        try:
            body = json.loads(raw or b"{}")
            source = str(body.get("query") or "")
            variables = body.get("variables") or {}
        except (ValueError, AttributeError):
            return 400, LinearError("BAD_REQUEST", "body is not JSON", "invalid input").body(), {}
        try:
            document = checked(source)
        except LinearError as error:
            return error.status, error.body(), {}
        cost = complexity(document, variables)
        admitted, limit_headers = self.limits.spend(cost)
        if not admitted:
            return 400, throttled().body(), limit_headers
        if cost > self.max_complexity:
            too_complex = LinearError(
                "INVALID_INPUT",
                f"Query too complex: {cost} points, the limit is {self.max_complexity}",
                "invalid input",
            )
            return 400, too_complex.body(), limit_headers
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        names = [d.name.value for d in operations if d.name is not None]
        writes = [
            f.name.value
            for d in operations
            if d.operation.value == "mutation"
            for f in d.selection_set.selections
            if isinstance(f, FieldNode)
        ]
        try:
            with self.world.lock:
                self.operations.extend(names)
                self.mutations.extend(writes)
                result = run(self.world, document, variables)
        except LinearError as error:
            return error.status, error.body(), limit_headers
        return 200, result, limit_headers


class RequestHandler(FaultingHandler):
    server: LoopbackServer[App]

    do_GET = do_POST = FaultingHandler.serve


class LinearEmulator(FaultingEmulator):
    """One emulated Linear workspace behind an HTTP server on a background thread.

    Args:
        key: the personal API key accepted (sent bare); ``oauth_token`` the OAuth token
            accepted (sent as Bearer).
        requests_per_hour, points_per_hour: the two budgets; ``wall`` their clock.
        clock: the world's clock, which stamps ``updatedAt``.
    """

    poll_interval = 0.05

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        key: str = DEFAULT_KEY,
        oauth_token: str = DEFAULT_OAUTH,
        requests_per_hour: float = REQUESTS_PER_HOUR,
        points_per_hour: float = COMPLEXITY_PER_HOUR,
        clock: Clock = _utc_now,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.key = key
        self.oauth_token = oauth_token
        self.world = World(clock)
        self.limits = Limits(requests_per_hour, points_per_hour, wall=wall)
        self._app = App(self.world, {key, f"Bearer {oauth_token}"}, self.limits)
        super().__init__(LoopbackServer((host, port), RequestHandler, self._app), "linear-emulator")

    @property
    def faults(self) -> Faults:
        return self._app.faults

    @property
    def operations(self) -> list[str]:
        """The operation names served so far, in order."""
        return list(self._app.operations)

    @property
    def mutations(self) -> list[str]:
        """The mutations served so far (``issueUpdate``, ``attachmentCreate``...), in order:
        the writes, which the request counter cannot tell from reads."""
        return list(self._app.mutations)

    def reset_counts(self) -> None:
        super().reset_counts()
        self._app.operations.clear()
        self._app.mutations.clear()

    def set_limits(self, requests: float, points: float, period: float = HOUR) -> None:
        self.limits.configure(requests, points, period)

    def seed_acme(self) -> None:
        """Team ACME with the acme example's releases, each as an issue labelled Release
        (ACME-101...) and as a project (see :func:`seed_releases`)."""
        text = (resources.files("opsync") / "examples/acme/tracker/releases.yaml").read_text()
        seed_releases(self.world, yaml.safe_load(text))

    def seed_json(self, text: str) -> None:
        """A world described in JSON: ``{"team": {"key", "name"}, "releases": [rows]}``."""
        data = json.loads(text)
        team = data.get("team") or {}
        seed_releases(self.world, data.get("releases") or [], team.get("key", "ACME"),
                      team.get("name", "Acme"))  # fmt: skip


def seed_releases(
    world: World, releases: list[dict[str, Any]], key: str = "ACME", name: str = "Acme Analytics"
) -> None:
    """Releases (tracker rows) as both shapes a team may use: an issue ``<KEY>-<n>``
    labelled ``Release`` (due date, assignee = PM, completed when launched) and a project
    (target date, lead = PM, completed when launched); on both, the tier and product area
    as labels of the groups ``Tier`` (``Tier 2``) and ``Area`` (the area key), the eng lead
    as an ``eng-<key>`` label. PMs are users ``<key>@acme-analytics.example``."""
    world.add_team(key, name)
    for person in sorted({str(r["pm"]) for r in releases if r.get("pm")}):
        world.add_user(person.capitalize(), f"{person}@acme-analytics.example")
    for row in releases:
        labels: list[str] = []
        if row.get("tier"):
            labels.append(f"Tier/{ACME_TIERS.get(int(row['tier']), row['tier'])}")
        if row.get("product_area"):
            labels.append(f"Area/{row['product_area']}")
        if row.get("eng_lead"):
            labels.append(f"eng-{row['eng_lead']}")
        launch = row.get("launch_date")
        launch = date.fromisoformat(launch) if isinstance(launch, str) else launch  # JSON
        launch = launch if isinstance(launch, date) else None
        pm = f"{row['pm']}@acme-analytics.example" if row.get("pm") else None
        project = world.create_project(
            [key],
            str(row["title"]),
            labels=labels,
            lead=pm,
            target_date=launch,
            completed=bool(row.get("launched")),
            description=str(row.get("description") or ""),
        )
        number = int(str(row["key"]).rpartition("-")[2])
        world.create_issue(
            key,
            str(row["title"]),
            number=number,
            labels=["Release", *labels],
            assignee=pm,
            due_date=launch,
            completed=bool(row.get("launched")),
            description=row.get("description") or None,
            project=project.id,
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Serve an emulator until interrupted, after printing how to point opsync at it."""
    parser = argparse.ArgumentParser(prog="opsync emulate linear", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8768)
    parser.add_argument("--key", default=DEFAULT_KEY)
    parser.add_argument("--requests-per-hour", type=float, default=REQUESTS_PER_HOUR)
    parser.add_argument("--points-per-hour", type=float, default=COMPLEXITY_PER_HOUR)
    parser.add_argument("--seed-example", choices=("acme",), default=None)
    parser.add_argument("--seed", metavar="FILE", help="a JSON world: team and releases")
    args = parser.parse_args(argv)
    emulator = LinearEmulator(
        host=args.host,
        port=args.port,
        key=args.key,
        requests_per_hour=args.requests_per_hour,
        points_per_hour=args.points_per_hour,
    )
    if args.seed_example == "acme":
        emulator.seed_acme()
    if args.seed is not None:
        with open(args.seed, encoding="utf-8") as seed:
            emulator.seed_json(seed.read())
    banner = [
        f"Linear emulator serving at {emulator.base_url}{PATH}",
        f"OPSYNC_LINEAR_BASE_URL={emulator.base_url}",
        f"LINEAR_API_KEY={emulator.key}",
    ]
    return emulator.serve_until_interrupted(banner, "Linear emulator stopped.")


if __name__ == "__main__":
    sys.exit(main())
