"""Slack's error envelope, its rate limits, and the faults tests queue.

Slack answers a logical error with HTTP 200 and ``{"ok": false, "error": "<code>"}``
(https://docs.slack.dev/apis/web-api/ "Evaluating responses"); only rate limiting changes the
status: HTTP 429 with a ``Retry-After`` header in seconds and the body
``{"ok": false, "error": "ratelimited"}`` (https://docs.slack.dev/apis/web-api/rate-limits,
and the 429 slack-sdk's own mock server sends: slackapi/python-slack-sdk
tests/slack_sdk/web/mock_web_api_handler.py).

The rate limits are off by default so tests stay fast; `RateLimits.enforce` switches on the
documented ones (per method, per workspace, per app): Tier 1 1/min, Tier 2 20/min, Tier 3
50/min, Tier 4 100/min, and chat.postMessage's special limit of about one message a second
per channel with short bursts allowed. How large a burst Slack tolerates is not documented
("sporadic bursts are welcome"); here a tier's bucket holds one minute of requests and a
channel's holds `POST_BURST` messages.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opsync.testing.emulators.emulator_controls import Counts, Fault, FaultQueue, Reply, TokenBucket

__all__ = ["Counts", "Faults", "RateLimits", "SlackError", "is_read"]

#: The methods that change the workspace; everything else is counted as a read.
WRITES = frozenset({"chat.postMessage", "chat.update", "reactions.add"})
#: Requests a minute per tier (https://docs.slack.dev/apis/web-api/rate-limits, "Overview").
TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
#: chat.postMessage: "generally allows posting one message per second per channel"; bursts
#: beyond that are "allowed" but their size is undocumented, this is the emulator's choice.
POST_RATE = 1.0
POST_BURST = 3

Json = dict[str, Any]


@dataclass
class SlackError(Exception):
    """An answer with ``ok: false``: the error code, extra top-level fields, the status."""

    code: str
    extra: Json = field(default_factory=dict)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> Json:
        return {"ok": False, "error": self.code, **self.extra}


def invalid_arguments(message: str) -> SlackError:
    """A required argument is absent. Slack names it in ``response_metadata.messages``, e.g.
    ``[ERROR] missing required field: channel`` (answers quoted in
    github.com/vluzrmos/laravel-slack-api/issues/38; absent vs empty measured against
    slack.com in github.com/brekkylab/backlot/issues/84)."""
    return SlackError(
        "invalid_arguments", {"response_metadata": {"messages": [f"[ERROR] {message}"]}}
    )


def ratelimited(seconds: int) -> SlackError:
    return SlackError("ratelimited", status=429, headers={"Retry-After": str(seconds)})


def is_read(method: str, template: str) -> bool:
    """Counted per route template ``/api/<method>``; writes are the chat methods."""
    return template.removeprefix("/api/") not in WRITES


class RateLimits:
    """Per-method tier buckets and per-channel posting buckets, off until `enforce`.

    `clock` is injectable so tests can step time instead of sleeping.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.enforced = False
        self._buckets: dict[tuple[str, ...], TokenBucket] = {}

    def enforce(self, on: bool = True) -> None:
        """Apply the documented limits from now on (fresh buckets), or stop applying them."""
        self.enforced = on
        self._buckets.clear()

    def admit(self, team: str, method: str, tier: int | None, channel: str | None) -> None:
        """Raise `ratelimited` when this call is over its method's limit.

        `tier` None is chat.postMessage's special limit, keyed by `channel`.
        """
        if not self.enforced:
            return
        if tier is None:
            key: tuple[str, ...] = (team, method, channel or "")
            rate, burst = POST_RATE, POST_BURST
        else:
            key = (team, method)
            per_minute = TIER_PER_MINUTE[tier]
            rate, burst = per_minute / 60.0, per_minute
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(rate, burst, self.clock)
        wait = bucket.take()
        if wait is not None:
            raise ratelimited(wait)


#: What Slack's edge sends for a 5xx: an HTML page, not the JSON envelope (slack-sdk's mock
#: server reproduces it as ``error_html_response_body``).
SERVER_ERROR_PAGE = (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
    "<title>Server Error | Slack</title></head><body><h1>Server Error</h1>"
    "<p>It seems like there's a problem connecting to our servers.</p></body></html>"
)


class Faults(FaultQueue):
    """Faults queued by tests, consumed in order by the requests that match them.

    `method` is the HTTP verb pattern, `path` the URL path pattern (``"/api/chat.*"``).
    The shared `reset_connection(apply=True)` is the lost answer: the message is stored,
    the client sees a dropped connection.
    """

    def fail(
        self,
        status: int,
        times: int = 1,
        method: str = "*",
        path: str = "*",
        retry_after: int | None = None,
        error: str | None = None,
    ) -> None:
        """Answer the next `times` matching requests with `status`: 429 is ``ratelimited``
        with `retry_after` seconds (default 1); 5xx is Slack's HTML error page; 200 is the
        envelope with `error` (``internal_error``, ``fatal_error``...)."""
        if status == 200 and not error:
            raise ValueError("a 200 fault needs the Slack error code it answers with")
        if status not in (200, 429) and not 500 <= status < 600:
            raise ValueError(f"no Slack fault is modelled for status {status}")
        headers = {"Retry-After": str(retry_after or 1)} if status == 429 else {}
        if error:
            headers["X-Emulator-Error"] = error
        self._add(Fault("fail", times, method, path, status=status, headers=headers))

    def reply_for(self, status: int, headers: dict[str, str]) -> Reply:
        if status == 429:
            return 429, ratelimited(1).body(), {"Retry-After": headers["Retry-After"]}
        if status == 200:
            return 200, SlackError(headers["X-Emulator-Error"]).body(), {}
        return status, SERVER_ERROR_PAGE, {}
