"""Linear's GraphQL API over httpx and opsync's one policy transport.

Why not ``gql``: every request of every connector goes through one
:class:`~opsync.http.PolicyTransport` (pacing, retries, counts) and ``gql``'s sync
transports bring their own HTTP stack (``requests`` or ``httpx`` with its own retry
settings); a GraphQL request is one JSON POST, so a thin client here costs less than
switching ``gql``'s retries off and its transport out, and adds no dependency.

Linear's traps, each handled here:

- A key is sent in ``Authorization`` as is; an OAuth token as ``Bearer <token>``.
- Errors come in GraphQL's ``errors`` envelope, often with HTTP 400 (and sometimes 200).
  ``extensions.code`` tells them apart: ``RATELIMITED`` (HTTP 400, not 429) is read as a
  throttle by the retry policy, ``AUTHENTICATION_ERROR`` as refused credentials
  (:class:`~opsync.errors.AuthError`), and the rest (``GRAPHQL_VALIDATION_FAILED``,
  ``INVALID_INPUT``...) are not retried.
- Every response reports two leaky-bucket budgets: requests
  (``X-RateLimit-Requests-Remaining``/``-Limit``/``-Reset``, reset in epoch ms) and
  complexity points (``X-RateLimit-Complexity-*``, and ``X-Complexity``, the cost of the
  query just run). They go to the connector's :class:`~opsync.http.budget.BudgetedBucket`,
  which pauses before a request the budget could not pay for (sources:
  linear.app/developers/rate-limiting, and the headers read by ``RatelimitedLinearError``
  in github.com/linear/linear packages/sdk/src/error.ts).
- Pagination is ``first``/``after`` with ``pageInfo { hasNextPage endCursor }``, followed
  to the end; past :data:`MAX_PAGES` pages, or on a repeated cursor, it fails.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx

from opsync.connectors.linear.config import (
    BASE_URL_ENV,
    DEFAULT_TOKEN_ENV,
    LinearConnectorConfig,
)
from opsync.errors import AuthError, ConfigError, ConnectorError, PermanentError, TransientError
from opsync.http import Attempt, Kind, PolicyTransport, RetryPolicy, Verdict, parse_retry_after
from opsync.http.budget import Budget, BudgetedBucket
from opsync.http.redact import redact_text
from opsync.secrets import Secrets

Json = dict[str, Any]
MAX_PAGES = 2_000  # past this a read is refused, never silently cut
_BURST = 5
_AUTH_CODES = frozenset({"AUTHENTICATION_ERROR", "FORBIDDEN"})
_THROTTLED = "RATELIMITED"


def base_url(config: LinearConnectorConfig, name: str = "linear") -> str:
    """``OPSYNC_LINEAR_BASE_URL`` when set (an emulator), else the config's ``base_url``."""
    url = os.environ.get(BASE_URL_ENV, "").strip() or config.base_url.strip()
    if not url:
        raise ConfigError(
            "the Linear API URL is not set",
            key=f"connectors.{name}.base_url",
            hint='set base_url = "https://api.linear.app"',
        )
    return url.rstrip("/")


def token(config: LinearConnectorConfig, name: str, secrets: Secrets) -> str:
    variable = config.token_env or DEFAULT_TOKEN_ENV
    return secrets.read(
        config.token_file,
        variable,
        table=f"connectors.{name}",
        what="Linear API key",
        hint=f"export {variable}=<the key> (Linear → Settings → Security & access → "
        "Personal API keys)",
        file_hint="create the file with the API key, readable by opsync only",
    )


def _body(response: httpx.Response) -> Json:
    try:
        data = json.loads(response.read() or b"null")
    except (ValueError, httpx.HTTPError):
        return {}
    return data if isinstance(data, dict) else {}


def error_codes(body: Json) -> list[str]:
    """The ``extensions.code`` of each error in a GraphQL answer."""
    return [
        str((e.get("extensions") or {}).get("code") or "")
        for e in body.get("errors") or []
        if isinstance(e, dict)
    ]


def is_read(request: httpx.Request) -> bool:
    """A query only reads; a mutation (write-back) does not, and is not repeated blindly."""
    try:
        document = str(json.loads(request.content or b"{}").get("query") or "")
    except ValueError:
        return False
    return not document.lstrip().startswith("mutation")


class LinearApi:
    """GraphQL requests to Linear, paced and retried by opsync's policy.

    Args:
        config: the connector's config.
        name: the connector's name, carried by every error.
        transport: what really sends (tests pass a MockTransport); real HTTP by default.
        bucket, policy: pacing (with Linear's reported budgets) and retries.
        secrets: where the key is read from.
    """

    def __init__(
        self,
        config: LinearConnectorConfig,
        *,
        name: str = "linear",
        transport: httpx.BaseTransport | None = None,
        bucket: BudgetedBucket | None = None,
        policy: RetryPolicy | None = None,
        secrets: Secrets | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self.url = base_url(config, name)
        key = token(config, name, secrets or Secrets())
        self._secrets = [key]
        self._last = ""
        self.max_pages = MAX_PAGES
        self.bucket = bucket or BudgetedBucket(config.requests_per_second, _BURST, connector=name)
        self.transport = PolicyTransport(
            transport or httpx.HTTPTransport(),
            self.bucket,
            policy or RetryPolicy(),
            is_safe=is_read,
            on_request=self._remember,
            connector=name,
            on_response=self.observe,
            classify_response=self.classify,
        )
        header = f"Bearer {key}" if config.auth == "oauth" else key
        self._client = httpx.Client(
            base_url=self.url,
            transport=self.transport,
            headers={"Authorization": header, "Content-Type": "application/json"},
            timeout=config.timeout_seconds,
        )

    def _remember(self, attempt: Attempt) -> None:
        self._last = attempt.request

    def counts(self) -> dict[str, int]:
        counts = self.transport.counts
        return {"reads": counts.reads, "writes": counts.writes}

    def close(self) -> None:
        self._client.close()

    def observe(self, response: httpx.Response) -> None:
        """Note the request and complexity budgets the response reports."""
        headers = response.headers
        spent = _number(headers.get("x-complexity"))
        for name, prefix, need in (
            ("requests", "x-ratelimit-requests-", 1.0),
            ("complexity", "x-ratelimit-complexity-", spent or 1.0),
        ):
            remaining = _number(headers.get(prefix + "remaining"))
            limit = _number(headers.get(prefix + "limit"))
            reset = _number(headers.get(prefix + "reset"))
            if remaining is not None and limit is not None and reset is not None:
                self.bucket.note(name, Budget(remaining, limit, reset / 1000.0, need))

    def classify(self, response: httpx.Response) -> Verdict | None:
        """A throttle told in the errors envelope (HTTP 400): retried by the policy as a
        429 would be. Refused credentials (``AUTHENTICATION_ERROR``) are left to
        :meth:`query`, which raises them with Linear's own message."""
        if response.status_code != 400:  # a 200's body is read once, by query()
            return None
        codes = error_codes(_body(response))
        if _THROTTLED in codes:
            after = parse_retry_after(response.headers.get("Retry-After"), now=datetime.now(UTC))
            if after is None:
                after = self.bucket.delay() or None
            return Verdict(Kind.THROTTLED, 429, after)
        return None

    def query(self, document: str, variables: Json | None = None, *, what: str) -> Json:
        """``data`` of one GraphQL request; errors raised as opsync errors."""
        self._last = ""
        try:
            response = self._client.post(
                "/graphql", json={"query": document, "variables": variables or {}}
            )
        except httpx.HTTPError as exc:
            raise TransientError(
                f"{type(exc).__name__} reading {what}: {redact_text(str(exc), self._secrets)}",
                connector=self.name,
                request=self._last or None,
            ) from exc
        body = _body(response)
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        if not errors and response.status_code == 200 and isinstance(body.get("data"), dict):
            return dict(body["data"])
        raise self._error(response.status_code, errors, what)

    def _error(self, status: int, errors: list[Json], what: str) -> ConnectorError:
        codes = error_codes({"errors": errors})
        shown = "; ".join(
            f"{code + ': ' if code else ''}{e.get('message') or ''}".strip()
            for code, e in zip(codes, errors, strict=True)
        )
        message = redact_text(
            f"Linear answered {status} reading {what}: {shown or 'no data'}", self._secrets
        )
        request = self._last or None
        if _AUTH_CODES & set(codes) or status in (401, 403):
            return AuthError(message, connector=self.name, request=request)
        if status >= 500 or {"INTERNAL_ERROR", _THROTTLED} & set(codes):
            return TransientError(message, connector=self.name, request=request)
        return PermanentError(message, connector=self.name, request=request)

    def nodes(
        self, document: str, field: str, variables: Json, *, what: str, size: int
    ) -> Iterator[Json]:
        """Every node of connection ``field``, page after page to the end."""
        after: str | None = None
        seen: set[str] = set()
        for _ in range(self.max_pages):
            data = self.query(document, {**variables, "first": size, "after": after}, what=what)
            page = data.get(field) or {}
            yield from page.get("nodes") or []
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            after = info.get("endCursor")
            if not after or after in seen:
                raise PermanentError(
                    f"Linear sent no new cursor for the next page of {what}",
                    connector=self.name,
                )
            seen.add(after)
        raise PermanentError(
            f"{what} has more than {self.max_pages} pages; opsync stops rather than read part "
            "of it. Narrow the connector's team or label",
            connector=self.name,
            request=self._last or None,
        )


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None
