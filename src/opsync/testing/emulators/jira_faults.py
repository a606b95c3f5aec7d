"""What tests steer and read besides the site: request counts, the rate limit and faults.

The machinery is the emulators' shared one (`emulator_controls`); here is what Jira adds:
its reads (GET, and the POST searches and JQL parses), its ErrorCollection bodies and its
429. Over the limit the answer is 429 with ``Retry-After`` in seconds (what Jira Cloud sends)
or, when a test asks, as an HTTP-date (what HTTP allows and what the ``jira`` SDK crashes
on, NOTES.md §11).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from opsync.testing.emulators.emulator_controls import Counts, Fault, FaultQueue, Reply, TokenBucket

__all__ = ["Counts", "Faults", "JiraError", "RateLimiter", "for_status", "is_read", "throttled"]

READ_POSTS = ("/search/jql", "/search", "/jql/parse")


@dataclass(frozen=True)
class JiraError(Exception):
    """An answer other than 200: status, Jira's ErrorCollection body, extra headers."""

    status: int
    messages: tuple[str, ...] = ()
    errors: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {"errorMessages": list(self.messages), "errors": dict(self.errors)}


def is_read(method: str, template: str) -> bool:
    return method == "GET" or (method == "POST" and template.endswith(READ_POSTS))


class RateLimiter(TokenBucket):
    """A token bucket of ``rate`` requests a second and bursts of ``burst``."""

    http_date = False

    def configure(self, rate: float | None, burst: int, *, http_date: bool = False) -> None:
        self.http_date = http_date
        super().configure(rate, burst)

    def admit(self) -> None:
        wait = self.take()
        if wait is not None:
            raise throttled(wait, http_date=self.http_date)


def throttled(seconds: int, *, http_date: bool = False) -> JiraError:
    """The 429 Jira Cloud sends over its burst limit."""
    if http_date:
        after = format_datetime(datetime.now(UTC) + timedelta(seconds=seconds), usegmt=True)
    else:
        after = str(seconds)
    return JiraError(
        429,
        ("Rate limit exceeded.",),
        headers={
            "Retry-After": after,
            "X-RateLimit-Limit": "100",
            "X-RateLimit-Remaining": "0",
            "RateLimit-Reason": "jira-burst-based",
        },
    )


def for_status(status: int, retry_after: str | None = None) -> JiraError:
    if status == 429:
        error = throttled(1)
        headers = {**error.headers, "Retry-After": retry_after or "1"}
        return JiraError(429, error.messages, headers=headers)
    headers = {"Retry-After": retry_after} if retry_after else {}
    text = {500: "Internal server error", 502: "Bad gateway", 503: "Service unavailable",
            504: "Gateway timeout"}.get(status, f"HTTP {status}")  # fmt: skip
    return JiraError(status, (text,), headers=headers)


class Faults(FaultQueue):
    """Faults queued by tests, consumed in order by the requests that match them.

    ``method`` and ``path`` are shell-style patterns (``"POST"``, ``"/rest/api/3/search/*"``).
    """

    def fail(
        self,
        status: int,
        times: int = 1,
        method: str = "*",
        path: str = "*",
        retry_after: str | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (429, 5xx, ...)."""
        headers = {"Retry-After": retry_after} if retry_after else {}
        self._add(Fault("fail", times, method, path, status=status, headers=headers))

    def reply_for(self, status: int, headers: dict[str, str]) -> Reply:
        error = for_status(status, headers.get("Retry-After"))
        return error.status, error.body(), error.headers
