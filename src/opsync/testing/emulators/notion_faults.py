"""What tests steer and read besides the data: request counts, the rate limit and faults.

The machinery is the emulators' shared one (`emulator_controls`); here is what Notion adds:
reads include the POST queries and searches, and the 429s and injected errors carry
Notion's error codes.
"""

from __future__ import annotations

import uuid

from opsync.testing.emulators.emulator_controls import Counts, Fault, FaultQueue, Reply, TokenBucket
from opsync.testing.emulators.notion_errors import STATUS_CODES, for_status

__all__ = ["Counts", "Faults", "RateLimiter", "is_read"]


def is_read(method: str, template: str) -> bool:
    """Reads are GET requests and the POST reads (`/query`, `/search`); writes are the other
    POST, PATCH and DELETE requests."""
    return method == "GET" or (method == "POST" and template.endswith(("/query", "/search")))


class RateLimiter(TokenBucket):
    """A token bucket: `rate` requests a second on average, bursts of `burst` at most.

    Over the limit the answer is 429 `rate_limited` with an integer `Retry-After` (the
    seconds until a token is back, at least 1), as the request-limits page describes.
    """

    def admit(self) -> None:
        wait = self.take()
        if wait is not None:
            raise for_status(429, {"Retry-After": str(wait)})


class Faults(FaultQueue):
    """Faults queued by tests, consumed in order by the requests that match them.

    `method` and `path` are shell-style patterns (`"POST"`, `"/v1/pages*"`,
    `"/v1/data_sources/*/query"`); `times` is how many matching requests each affects.
    """

    def fail(
        self,
        status: int,
        times: int = 1,
        method: str = "*",
        path: str = "*",
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `times` matching requests with `status` (400, 409, 429, 5xx or 529),
        with a `Retry-After` of `retry_after` seconds when given."""
        if status not in STATUS_CODES:
            raise ValueError(f"no Notion error code is known for status {status}")
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        self._add(Fault("fail", times, method, path, status=status, headers=headers))

    def reply_for(self, status: int, headers: dict[str, str]) -> Reply:
        error = for_status(status, headers or None)
        return error.status, error.body(str(uuid.uuid4())), error.headers
