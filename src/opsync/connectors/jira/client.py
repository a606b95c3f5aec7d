"""The one way opsync opens atlassian-python-api: retries off, over the policy transport.

The SDK retries on its own (``retry_with_header`` sleeps a 429's ``Retry-After`` once, up to
30 minutes; ``backoff_and_retry`` mounts urllib3 retries), NOTES.md §12. Both are switched
off here and the SDK's ``requests`` session comes from
:func:`~opsync.http.requests_adapter.policy_session`, so each attempt is paced, retried
and counted once, by opsync's policy. Cloud uses ``JiraCloud`` (REST v3, ``search/jql``
with ``nextPageToken``; the offset ``/search`` is gone, 410); Data Center uses ``Jira``
(REST v2, offset ``/search``, a personal access token as Bearer).

Every SDK call goes through :meth:`JiraApi.call`, which turns the SDK's and the policy's
failures into opsync errors naming the request (method and path) and the record, never the
token.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import requests
from atlassian import Jira, JiraCloud

from opsync.connectors.jira.config import (
    BASE_URL_ENV,
    DEFAULT_EMAIL_ENV,
    DEFAULT_TOKEN_ENV,
    JiraConnectorConfig,
)
from opsync.errors import AuthError, ConfigError, ConnectorError, PermanentError, TransientError
from opsync.http import Attempt, PolicyTransport, RedactingFilter, RetryPolicy, TokenBucket
from opsync.http.redact import redact_text
from opsync.http.requests_adapter import policy_session
from opsync.secrets import Secrets

MAX_PAGES = 2_000  # past this a search is refused, never silently cut
_BURST = 5
_SDK_LOG = logging.getLogger("atlassian.rest_client")  # logs requests and bodies at DEBUG
_READ_POSTS = ("/search/jql", "/search", "/jql/parse")


_ENV_HINT = (
    "(Cloud: id.atlassian.com → Security → API tokens; Data Center: profile → Personal Access "
    "Tokens)"
)


def credentials(config: JiraConnectorConfig, name: str, secrets: Secrets) -> tuple[str | None, str]:
    """(email, token): the email only on Cloud, where the token is an API token."""
    variable = config.token_env or DEFAULT_TOKEN_ENV
    token = secrets.read(
        config.token_file,
        variable,
        table=f"connectors.{name}",
        what="Jira token",
        hint=f"export {variable}=<the token> {_ENV_HINT}",
        file_hint="create the file with the API token (or PAT), readable by opsync only",
    )
    if config.deployment != "cloud":
        return None, token
    variable = config.email_env or DEFAULT_EMAIL_ENV
    email = secrets.from_env(
        variable,
        key=f"connectors.{name}.email_env",
        what="Jira email",
        hint=f"export {variable}=<the email of the token's account>",
    )
    return email, token


def base_url(config: JiraConnectorConfig, name: str = "jira") -> str:
    """``OPSYNC_JIRA_BASE_URL`` when set (an emulator), else the config's ``base_url``."""
    url = os.environ.get(BASE_URL_ENV, "").strip() or config.base_url.strip()
    if not url:
        raise ConfigError(
            "the Jira site URL is not set",
            key=f"connectors.{name}.base_url",
            hint='set base_url = "https://<site>.atlassian.net" (or your Data Center URL)',
        )
    return url.rstrip("/")


def is_read(request: httpx.Request) -> bool:
    """Jira's reads: every GET, and the POSTs that only search or parse JQL."""
    return request.method == "GET" or (
        request.method == "POST" and request.url.path.endswith(_READ_POSTS)
    )


class JiraApi:
    """atlassian-python-api over :class:`PolicyTransport`, with errors in opsync's terms.

    Args:
        config: the connector's config.
        name: the connector's name, carried by every error.
        transport: what really sends (tests pass a MockTransport); real HTTP by default.
        bucket, policy: pacing and retries; from ``requests_per_second`` and the default
            policy when not given.
        secrets: where the token and email are read from; the process environment when not
            given.
    """

    def __init__(
        self,
        config: JiraConnectorConfig,
        *,
        name: str = "jira",
        transport: httpx.BaseTransport | None = None,
        bucket: TokenBucket | None = None,
        policy: RetryPolicy | None = None,
        secrets: Secrets | None = None,
    ) -> None:
        self.name = name
        self.cloud = config.deployment == "cloud"
        self.version = "3" if self.cloud else "2"
        self.page_size = config.page_size
        self.max_pages = MAX_PAGES
        self.url = base_url(config, name)
        email, token = credentials(config, name, secrets or Secrets())
        self._secrets = [s for s in (token, email) if s]
        self._last = ""
        self.transport = PolicyTransport(
            transport or httpx.HTTPTransport(),
            bucket or TokenBucket(config.requests_per_second, _BURST),
            policy or RetryPolicy(),
            is_safe=is_read,
            on_request=self._remember,
            connector=name,
        )
        if not any(isinstance(f, RedactingFilter) for f in _SDK_LOG.filters):
            _SDK_LOG.addFilter(RedactingFilter(self._secrets))
        common: dict[str, Any] = {
            "session": policy_session(self.transport),
            "timeout": max(1, round(config.timeout_seconds)),
            "retry_with_header": False,  # the SDK's own Retry-After sleep: off
            "backoff_and_retry": False,  # the SDK's urllib3 retries: off
        }
        self._common = common
        if self.cloud:
            self.sdk: Jira | JiraCloud = JiraCloud(
                self.url, username=email, password=token, **common
            )
        else:
            self.sdk = Jira(self.url, token=token, api_version="2", **common)

    def anonymous_get(self, resource: str) -> Any:
        """``GET resource`` without credentials (``serverInfo`` answers anonymous callers),
        through the same policy; used by ``doctor`` to tell a refused token from a site of
        the other deployment after a 401."""
        common = {**self._common, "session": policy_session(self.transport)}
        anonymous = JiraCloud(self.url, **common) if self.cloud else Jira(self.url, **common)
        try:
            return self.call(anonymous.get, self.path(resource))
        finally:
            anonymous.close()

    def _remember(self, attempt: Attempt) -> None:
        self._last = attempt.request

    def counts(self) -> dict[str, int]:
        counts = self.transport.counts
        return {"reads": counts.reads, "writes": counts.writes}

    def close(self) -> None:
        self.sdk.close()

    def path(self, resource: str) -> str:
        return f"rest/api/{self.version}/{resource}"

    def get(self, resource: str, *, record: str | None = None, **params: Any) -> Any:
        return self.call(self.sdk.get, self.path(resource), params=params or None, record=record)

    def post(self, resource: str, body: Any, *, record: str | None = None, **params: Any) -> Any:
        return self.call(
            self.sdk.post, self.path(resource), data=body, params=params or None, record=record
        )

    def put(self, resource: str, body: Any, *, record: str | None = None, **params: Any) -> Any:
        return self.call(
            self.sdk.put, self.path(resource), data=body, params=params or None, record=record
        )

    def call(self, fn: Callable[..., Any], *args: Any, record: str | None = None, **kw: Any) -> Any:
        """``fn(*args, **kw)`` (an SDK method) with its failures as opsync errors."""
        self._last = ""
        try:
            return fn(*args, **kw)
        except ConnectorError as exc:  # raised by the policy under the SDK: already ours
            if record and exc.record is None:
                exc.record = record
            raise
        except requests.HTTPError as exc:
            raise self._error(exc, record) from exc
        except (httpx.HTTPError, requests.RequestException) as exc:
            raise TransientError(
                f"{type(exc).__name__}: {redact_text(str(exc), self._secrets)}",
                connector=self.name,
                request=self._last or None,
                record=record,
            ) from exc

    def _error(self, exc: requests.HTTPError, record: str | None) -> ConnectorError:
        status = exc.response.status_code if exc.response is not None else 0
        detail = redact_text(str(exc), self._secrets).replace("\n", "; ")
        message = f"Jira answered {status}: {detail}"
        request = self._last or None
        if status in (401, 403):
            return AuthError(message, connector=self.name, request=request, record=record)
        if status == 410:
            message += "; this endpoint was removed from Jira Cloud (use search/jql)"
        if status in (409, 429) or status >= 500:
            return TransientError(message, connector=self.name, request=request, record=record)
        return PermanentError(message, connector=self.name, request=request, record=record)

    def search(
        self, jql: str, fields: Sequence[str], *, what: str, size: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every issue ``jql`` matches, page after page to the end.

        Cloud: ``search/jql`` until a page comes without ``nextPageToken`` (never by page
        size: pages shrink when many fields are asked for). Data Center: the offset
        ``/search`` until ``total``. Past ``max_pages`` pages, or on a repeated token, this
        raises rather than return part of the result.
        """
        pages = self._token_pages if self.cloud else self._offset_pages
        yield from pages(jql, list(fields), what, size or self.page_size)

    def _token_pages(
        self, jql: str, fields: list[str], what: str, size: int
    ) -> Iterator[dict[str, Any]]:
        token: str | None = None
        seen: set[str] = set()
        assert isinstance(self.sdk, JiraCloud)
        for _ in range(self.max_pages):
            page = self.call(
                self.sdk.enhanced_jql, jql, fields=fields, nextPageToken=token, limit=size
            )
            yield from page.get("issues") or []
            token = page.get("nextPageToken")
            if not token:
                return
            if token in seen:
                raise PermanentError(
                    f"Jira sent the page token of {what} twice", connector=self.name
                )
            seen.add(token)
        raise self._too_long(what)

    def _offset_pages(
        self, jql: str, fields: list[str], what: str, size: int
    ) -> Iterator[dict[str, Any]]:
        start = 0
        for _ in range(self.max_pages):
            page = self.get(
                "search", jql=jql, fields=",".join(fields), startAt=start, maxResults=size
            )
            issues = page.get("issues") or []
            yield from issues
            start += len(issues)
            if not issues or start >= int(page.get("total") or 0):
                return
        raise self._too_long(what)

    def _too_long(self, what: str) -> PermanentError:
        return PermanentError(
            f"{what} has more than {self.max_pages} pages of issues; opsync stops rather than "
            "read part of it. Narrow the filters or the jql of the connector",
            connector=self.name,
            request=self._last or None,
        )
