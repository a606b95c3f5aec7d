"""The one way opsync talks to Confluence: atlassian-python-api as a paced, retrying transport.

atlassian-python-api 5.0.5 gets the things a sync needs wrong (NOTES.md §12):
``Confluence(cloud=True)`` has no page writes and calls HTML URLs, ``update_page`` re-reads
the version and overwrites a person's concurrent edit, ``get_page_by_title`` answers "not
found" on a 429, and it retries on its own. So only its raw ``request`` is used, with
explicit v2 (Cloud) or v1 (Data Center) paths and bodies, its retries off, and a session
whose adapter sends through :class:`~opsync.http.PolicyTransport` (one pacing and retry
policy). Errors come back as opsync's, naming the request and the record, never a secret.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from atlassian.rest_client import AtlassianRestAPI

from opsync.connectors.confluence.config import ConfluenceConnectorConfig
from opsync.errors import ConfigError, ConnectorError, PermanentError
from opsync.http import Attempt, PolicyTransport, RetryPolicy, TokenBucket
from opsync.http.redact import redact_text
from opsync.http.requests_adapter import policy_session
from opsync.secrets import Secrets

BASE_URL_ENV = "OPSYNC_CONFLUENCE_BASE_URL"
DEFAULT_TOKEN_ENV = "CONFLUENCE_TOKEN"
MAX_PAGES = 1_000  # listings longer than this many pages are refused, never cut short
_BURST = 5


class ApiError(PermanentError):
    """Confluence refused a request; ``status`` says how (400 validation, 404, 409...)."""

    def __init__(self, message: str, *, status: int, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.status = status


class StaleVersion(ApiError):
    """409: the page or property changed since it was read; re-read and re-plan."""


def _secret(config: ConfluenceConnectorConfig, name: str, secrets: Secrets) -> str:
    variable = config.token_env or DEFAULT_TOKEN_ENV
    where = (
        "id.atlassian.com → Security → API tokens"
        if config.deployment == "cloud"
        else "your Confluence profile → Personal Access Tokens"
    )
    return secrets.read(
        config.token_file,
        variable,
        table=f"connectors.{name}",
        what="Confluence token",
        hint=f"export {variable}=<token> ({where})",
        file_hint="create the file with the API token (Cloud) or personal access token (DC)",
    )


def _email(config: ConfluenceConnectorConfig, name: str) -> str:
    email = config.email or os.environ.get(config.email_env, "").strip()
    if not email:
        raise ConfigError(
            f"Confluence Cloud needs the account's email; {config.email_env} is not set",
            key=f"connectors.{name}.email",
            hint=f"set email = ... in the table, or export {config.email_env}=<email>",
        )
    return email


def base_url(config: ConfluenceConnectorConfig, name: str = "confluence") -> str:
    url = os.environ.get(BASE_URL_ENV, "").strip() or config.base_url.strip()
    if not url:
        raise ConfigError(
            "no Confluence site URL",
            key=f"connectors.{name}.base_url",
            hint=f"set base_url = https://<site>.atlassian.net, or export {BASE_URL_ENV}",
        )
    return url.rstrip("/")


def error_detail(body: Any) -> str:
    """The message of a v1 (``message``) or v2 (``errors[].title``) error envelope."""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            return "; ".join(
                str(e.get("title") or e.get("detail") or e) if isinstance(e, dict) else str(e)
                for e in errors
            )
        if body.get("message"):
            return str(body["message"])
    return str(body)[:300] if body else ""


class ConfluenceApi:
    """Raw requests through the SDK, with Cloud's ``/wiki`` prefix added where needed."""

    def __init__(
        self,
        config: ConfluenceConnectorConfig,
        *,
        name: str = "confluence",
        transport: httpx.BaseTransport | None = None,
        bucket: TokenBucket | None = None,
        policy: RetryPolicy | None = None,
        secrets: Secrets | None = None,
    ) -> None:
        self.name = name
        self.cloud = config.deployment == "cloud"
        self.url = base_url(config, name)
        token = _secret(config, name, secrets or Secrets())
        self._secrets = [token]
        self._last = ""
        self.transport = PolicyTransport(
            transport or httpx.HTTPTransport(),
            bucket or TokenBucket(config.requests_per_second, _BURST),
            policy or RetryPolicy(),
            on_request=self._remember,
            connector=name,
        )
        auth: dict[str, Any] = (
            {"username": _email(config, name), "password": token}
            if self.cloud
            else {"token": token}
        )
        self.sdk = AtlassianRestAPI(
            url=self.url,
            session=policy_session(self.transport),
            retry_with_header=False,  # its own Retry-After loop (NOTES.md §12): ours decides
            backoff_and_retry=False,
            timeout=60,
            **auth,
        )

    @property
    def root(self) -> str:
        """Where the API paths start: ``/wiki`` on Cloud, the context path on DC."""
        return "/wiki" if self.cloud else ""

    def _remember(self, attempt: Attempt) -> None:
        self._last = attempt.request

    def counts(self) -> dict[str, int]:
        counts = self.transport.counts
        return {"reads": counts.reads, "writes": counts.writes}

    def close(self) -> None:
        self.sdk.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        files: Mapping[str, tuple[str | None, bytes, str | None]] | None = None,
        record: str | None = None,
    ) -> Any:
        """``method path`` (after the root) and its JSON answer; errors as opsync's.
        ``files`` sends a multipart form instead of a JSON body (an attachment), with the
        ``X-Atlassian-Token: no-check`` header without which Atlassian's XSRF filter
        blocks any multipart request (403)."""
        self._last = f"{method} {self.root}{path}"
        headers = (
            {"Accept": "application/json", "X-Atlassian-Token": "no-check"}
            if files is not None
            else {"Accept": "application/json", "Content-Type": "application/json"}
        )
        try:
            response = self.sdk.request(
                method,
                path=self.root + path,
                params=dict(params) if params else None,
                data=body,
                files=dict(files) if files is not None else None,
                advanced_mode=True,
                headers=headers,
            )
        except ConnectorError as exc:  # from the policy: retries spent, or auth refused
            if record and exc.record is None:
                exc.record = record
            raise
        status = response.status_code
        try:
            answer = response.json() if response.content else None
        except ValueError:
            answer = response.text
        if status < 400:
            if isinstance(answer, str):
                raise PermanentError(
                    f"{self._last} answered HTML, not JSON: is base_url the site root"
                    + (" (without /wiki)?" if self.cloud else " with its context path?"),
                    connector=self.name,
                    request=self._last,
                    record=record,
                )
            return answer
        detail = redact_text(error_detail(answer), self._secrets)
        kind = StaleVersion if status == 409 else ApiError
        raise kind(
            f"Confluence answered {status}: {detail}",
            status=status,
            connector=self.name,
            request=self._last,
            record=record,
        )

    def download(self, path: str, *, record: str | None = None) -> bytes:
        """The bytes at ``path`` (after the root), such as an attachment's download link:
        not JSON, so not through :meth:`call`; errors as opsync's, as there."""
        self._last = f"GET {self.root}{path}"
        try:
            response = self.sdk.request(
                "GET", path=self.root + path, advanced_mode=True, headers={"Accept": "*/*"}
            )
        except ConnectorError as exc:
            if record and exc.record is None:
                exc.record = record
            raise
        if response.status_code >= 400:
            try:
                answer = response.json() if response.content else None
            except ValueError:
                answer = response.text
            detail = redact_text(error_detail(answer), self._secrets)
            raise ApiError(
                f"Confluence answered {response.status_code}: {detail}",
                status=response.status_code,
                connector=self.name,
                request=self._last,
                record=record,
            )
        data: bytes = response.content
        return data

    def paginate(
        self, path: str, params: Mapping[str, Any] | None = None, *, what: str
    ) -> Iterator[Mapping[str, Any]]:
        """Every result of a listing, following ``_links.next`` (relative to the site on
        v2, to ``_links.base`` on v1) until Confluence sends none."""
        query: dict[str, Any] = dict(params or {})
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            page = self.call("GET", path, params=query)
            yield from page.get("results", [])
            link = (page.get("_links") or {}).get("next")
            if not link:
                return
            if link in seen:
                raise PermanentError(
                    f"Confluence sent the same next link twice while listing {what}",
                    connector=self.name,
                    request=self._last,
                )
            seen.add(link)
            parts = urlsplit(link)
            next_path = parts.path
            if next_path.startswith(self.root + "/"):
                next_path = next_path[len(self.root) :]
            path, query = next_path, dict(parse_qsl(parts.query))
        raise PermanentError(
            f"{what} has more than {MAX_PAGES} pages of results; opsync stops rather than "
            "read part of it",
            connector=self.name,
            request=self._last,
        )


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
