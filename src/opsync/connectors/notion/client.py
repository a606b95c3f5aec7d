"""The one way opsync opens notion-client: over the paced, retrying, counting transport.

notion-client 3.1.0 retries 429s and some 5xx itself and, inside ``with Client(...)``,
swaps the injected httpx client for a fresh one (NOTES.md 6, 7). Both would bypass
:class:`~opsync.http.PolicyTransport`, so the SDK is built here with ``retry=False``, never
entered with ``with``, and closed with ``close()``. Every call goes through
:meth:`NotionApi.call`, which turns the SDK's and httpx's exceptions into opsync's errors,
naming the request (method and path) and the record, never the token.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from notion_client import Client
from notion_client.errors import HTTPResponseError, RequestTimeoutError

from opsync.connectors.notion.config import NotionConnectorConfig
from opsync.errors import AuthError, ConnectorError, PermanentError, TransientError
from opsync.http import Attempt, PolicyTransport, RedactingFilter, RetryPolicy, TokenBucket
from opsync.http.redact import redact_text
from opsync.secrets import Secrets


class NotFoundError(PermanentError):
    """Notion answered 404 ``object_not_found``: the object is gone, not shared, or the id
    names another kind of object (a database id where a data source id is expected)."""


class ValidationError(PermanentError):
    """Notion answered 400 ``validation_error``: the request does not fit the object as it
    is now (a property renamed or retyped since its schema was read, a page in the trash)."""


DEFAULT_TOKEN_ENV = "NOTION_TOKEN"
BASE_URL_ENV = "OPSYNC_NOTION_BASE_URL"
PAGE_SIZE = 100  # Notion's maximum (NOTES.md 4, 8)
MAX_PAGES = 2_000  # 200,000 rows: past this a listing is refused, never silently cut
_BURST = 3
# One logger for every client: the SDK adds a console handler per client otherwise.
_SDK_LOG = logging.getLogger("opsync.notion.sdk")
# Codes worth trying again in a later run: the request did not take effect.
_TRANSIENT_CODES = frozenset(
    {
        "conflict_error",
        "rate_limited",
        "internal_server_error",
        "bad_gateway",
        "service_unavailable",
        "database_connection_unavailable",
        "gateway_timeout",
        "service_overload",
    }
)


def read_token(config: NotionConnectorConfig, name: str, secrets: Secrets) -> str:
    """The integration token, from ``token_file``, else ``token_env`` (``NOTION_TOKEN`` when
    neither is set) of connector ``name``."""
    variable = config.token_env or DEFAULT_TOKEN_ENV
    return secrets.read(
        config.token_file,
        variable,
        table=f"connectors.{name}",
        what="Notion token",
        hint=f"export {variable}=<the integration's secret> (Notion → Settings → Connections)",
        file_hint="create the file with the integration's secret, readable by opsync only",
    )


def base_url(config: NotionConnectorConfig) -> str:
    """The API root: the config's when written there, else ``OPSYNC_NOTION_BASE_URL``, else
    Notion's. The SDK appends ``/v1/`` itself."""
    if "base_url" in config.model_fields_set:
        return config.base_url.rstrip("/")
    return os.environ.get(BASE_URL_ENV, "").strip().rstrip("/") or config.base_url.rstrip("/")


def is_read(request: httpx.Request) -> bool:
    """Notion's reads: every GET, and the POSTs that only query (data sources, search)."""
    path = request.url.path
    return request.method == "GET" or (
        request.method == "POST" and (path.endswith("/query") or path == "/v1/search")
    )


class NotionApi:
    """notion-client over :class:`PolicyTransport`, with errors in opsync's terms.

    Args:
        config: the connector's config (token, base URL, version, pace).
        name: the connector's name, carried by every error.
        transport: what really sends (tests pass a MockTransport); real HTTP by default.
        bucket, policy: pacing and retries; from the config's ``requests_per_second`` and
            the default policy when not given.
        secrets: where the token is read from; the process environment when not given.
    """

    def __init__(
        self,
        config: NotionConnectorConfig,
        *,
        name: str = "notion",
        transport: httpx.BaseTransport | None = None,
        bucket: TokenBucket | None = None,
        policy: RetryPolicy | None = None,
        secrets: Secrets | None = None,
    ) -> None:
        self.name = name
        token = read_token(config, name, secrets or Secrets())
        self._token = token
        self._last = ""
        self._answered: datetime | None = None
        self.transport = PolicyTransport(
            transport or httpx.HTTPTransport(),
            bucket or TokenBucket(config.requests_per_second, _BURST),
            policy or RetryPolicy(),
            is_safe=is_read,
            on_request=self._remember,
            connector=name,
        )
        if not any(isinstance(f, RedactingFilter) for f in _SDK_LOG.filters):
            _SDK_LOG.addFilter(RedactingFilter())
        self.sdk = Client(
            client=httpx.Client(transport=self.transport),
            auth=token,
            base_url=base_url(config),
            notion_version=config.notion_version,
            retry=False,
            logger=_SDK_LOG,
            log_level=logging.ERROR,  # failures are raised as opsync errors, not logged twice
        )

    def _remember(self, attempt: Attempt) -> None:
        self._last = attempt.request
        if self._answered is None and attempt.status is not None and attempt.date:
            # An unusable Date is no clock: the next answer may have one
            with contextlib.suppress(TypeError, ValueError):
                self._answered = parsedate_to_datetime(attempt.date)

    def mark(self) -> None:
        """Start watching for the first answer's Date (see :meth:`answered_since_mark`)."""
        self._answered = None

    def answered_since_mark(self) -> datetime | None:
        """Notion's clock (the Date header, to the second) at the first answer since
        :meth:`mark`; None when no answer carried one."""
        return self._answered

    def counts(self) -> dict[str, int]:
        counts = self.transport.counts
        return {"reads": counts.reads, "writes": counts.writes}

    def close(self) -> None:
        self.sdk.close()

    def call(self, fn: Callable[..., Any], *args: Any, record: str | None = None, **kw: Any) -> Any:
        """``fn(*args, **kw)`` (an SDK endpoint method) with its failures as opsync errors."""
        self._last = ""
        try:
            return fn(*args, **kw)
        except ConnectorError as exc:  # from the transport's policy: already ours
            if record and exc.record is None:
                exc.record = record
            raise
        except HTTPResponseError as exc:
            raise self._error(exc, record) from exc
        except RequestTimeoutError as exc:
            raise TransientError(
                "Notion did not answer in time; the request may have run",
                connector=self.name,
                request=self._last or None,
                record=record,
            ) from exc
        except httpx.HTTPError as exc:
            raise TransientError(
                f"{type(exc).__name__}: {redact_text(str(exc), [self._token])}",
                connector=self.name,
                request=self._last or None,
                record=record,
            ) from exc

    def _error(self, exc: HTTPResponseError, record: str | None) -> ConnectorError:
        code = str(exc.code)
        try:
            body = json.loads(exc.body)
            code = str(body.get("code") or code)
            detail = str(body.get("message") or exc)
        except (ValueError, TypeError, AttributeError):
            detail = str(exc)
        message = f"Notion answered {exc.status} {code}: {redact_text(detail, [self._token])}"
        request = self._last or None
        if exc.status in (401, 403):
            return AuthError(message, connector=self.name, request=request, record=record)
        if code in _TRANSIENT_CODES or exc.status in (409, 429, 529) or exc.status >= 500:
            return TransientError(message, connector=self.name, request=request, record=record)
        if code == "object_not_found":
            message += "; share the page or database with the integration (⋯ → Connections)"
            return NotFoundError(message, connector=self.name, request=request, record=record)
        if code == "validation_error":
            return ValidationError(message, connector=self.name, request=request, record=record)
        return PermanentError(message, connector=self.name, request=request, record=record)

    def paginate(
        self, fn: Callable[..., Any], *args: Any, what: str, **kw: Any
    ) -> Iterator[Mapping[str, Any]]:
        """Every result of a paginated listing, cursor after cursor to the end.

        Stops only when Notion says there is no more; a listing longer than ``MAX_PAGES``
        pages, or a cursor that comes back twice, raises instead of returning part of it.
        """
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            extra = {"start_cursor": cursor} if cursor else {}
            page = self.call(fn, *args, page_size=PAGE_SIZE, **kw, **extra)
            yield from page.get("results", [])
            cursor = page.get("next_cursor")
            if not page.get("has_more") or not cursor:
                return
            if cursor in seen:
                raise PermanentError(
                    f"Notion sent the cursor {cursor} twice while listing {what}",
                    connector=self.name,
                    request=self._last or None,
                )
            seen.add(cursor)
        raise PermanentError(
            f"{what} has more than {MAX_PAGES * PAGE_SIZE} entries; opsync stops rather than "
            "read part of it. Split the data source, or archive old rows",
            connector=self.name,
            request=self._last or None,
        )
