"""The one way opsync opens slack-sdk's ``WebClient``: over the paced, retrying transport.

slack-sdk's ``WebClient`` sends with ``urllib`` and, by default, retries connection errors
itself (``default_retry_handlers``). Both would bypass :class:`~opsync.http.PolicyTransport`,
so the client is built with ``retry_handlers=[]`` and its one sending step,
``_perform_urllib_http_request_internal``, hands the request to an ``httpx.Client`` over
the transport instead: every attempt is paced by its method's tier, counted, and repeated
only as the policy allows (a ``ratelimited`` 429 waits ``Retry-After``; a
``chat.postMessage`` that may have run is never repeated within the run, since that could
post twice; the next run looks for it in the channel's history).

Slack answers most failures with HTTP 200 and ``{"ok": false, "error": ...}``; the SDK
raises ``SlackApiError`` for them, which :meth:`SlackApi.call` turns into opsync's errors,
naming the method, the channel and the fix, never the token.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.request import Request

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from opsync.connectors.slack.config import SlackConnectorConfig
from opsync.errors import AuthError, PermanentError, TransientError
from opsync.http import PolicyTransport, RetryPolicy, TokenBucket
from opsync.secrets import Secrets

DEFAULT_TOKEN_ENV = "SLACK_BOT_TOKEN"
BASE_URL_ENV = "OPSYNC_SLACK_BASE_URL"

#: Requests per minute by method, from Slack's documented tiers
#: (https://api.slack.com/apis/rate-limits; each method's page names its tier):
#: Tier 2 20+/min, Tier 3 50+/min, Tier 4 100+/min; chat.postMessage is "special", about one
#: message per second per channel. Paced a little under each, so opsync's own traffic is
#: never throttled. Since 2025 an app that is not in the Slack Marketplace may read
#: ``conversations.history``/``replies`` only once a minute; ``requests_per_minute`` lowers
#: the pace for such an app.
TIER_PER_MINUTE: dict[str, float] = {
    "auth.test": 90,
    "chat.postMessage": 55,
    "chat.update": 45,
    "conversations.history": 45,
    "conversations.replies": 45,
    "conversations.info": 45,
    "conversations.members": 90,
    "conversations.open": 45,
    "users.lookupByEmail": 90,
    "users.info": 90,
    "reactions.get": 45,
}
_DEFAULT_PER_MINUTE = 18.0  # Tier 2, for a method not listed

#: Methods that only read: repeated after a failure that may have run them.
READS = frozenset(
    {
        "auth.test",
        "conversations.history",
        "conversations.replies",
        "conversations.info",
        "conversations.members",
        "conversations.open",  # returns the same DM channel every time
        "users.lookupByEmail",
        "users.info",
        "reactions.get",
    }
)

_AUTH = frozenset(
    {
        "not_authed",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "not_allowed_token_type",
    }
)
_TRANSIENT = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
#: What a person does about a permanent error, by Slack's error code.
FIXES: dict[str, str] = {
    "channel_not_found": "check the channel's id under channels = {...}, or that it exists",
    "not_in_channel": "invite the app to the channel (/invite @<app name> in the channel)",
    "is_archived": "unarchive the channel, or point the setting at another one",
    "msg_too_long": "this is a bug in opsync's message limits: please report it",
    "invalid_blocks": "this is a bug in opsync's Block Kit rendering: please report it",
    "users_not_found": "set the person's slack id in [[org.people]], or users = {...}",
    "cannot_dm_bot": "the person's Slack id is a bot's: correct it in [[org.people]]",
    "user_not_found": "correct the person's slack id in [[org.people]]",
    "message_not_found": "the message was deleted in Slack; it is not posted again",
    "cant_update_message": "the message was not posted by this app; it is left alone",
}


def read_token(config: SlackConnectorConfig, name: str, secrets: Secrets) -> str:
    variable = config.token_env or DEFAULT_TOKEN_ENV
    return secrets.read(
        config.token_file,
        variable,
        table=f"connectors.{name}",
        what="Slack bot token",
        hint=f"export {variable}=xoxb-… (the app's Bot User OAuth Token, docs/slack.md)",
        file_hint="create the file with the bot token (xoxb-…), readable by opsync only",
    )


def base_url(config: SlackConnectorConfig) -> str:
    if "base_url" in config.model_fields_set:
        url = config.base_url
    else:
        url = os.environ.get(BASE_URL_ENV, "").strip() or config.base_url
    return url.rstrip("/") + "/"


def method_of(request: httpx.Request) -> str:
    return request.url.path.rstrip("/").rsplit("/", 1)[-1]


class _PolicyWebClient(WebClient):
    """``WebClient`` whose every request goes through opsync's transport."""

    def __init__(self, http: httpx.Client, **kwargs: Any) -> None:
        super().__init__(retry_handlers=[], **kwargs)
        self._http = http

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        body = req.data if isinstance(req.data, bytes) else None
        response = self._http.post(url, content=body, headers=dict(req.header_items()))
        # the SDK reads ``headers`` case-insensitively only from urllib's message type
        headers = {k.lower(): v for k, v in response.headers.items()}
        return {"status": response.status_code, "headers": headers, "body": response.text}


class SlackApi:
    """slack-sdk over :class:`PolicyTransport`, with errors in opsync's terms."""

    def __init__(
        self,
        config: SlackConnectorConfig,
        *,
        name: str = "slack",
        secrets: Secrets | None = None,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.name = name
        token = read_token(config, name, secrets or Secrets())
        pace = {**TIER_PER_MINUTE, **config.requests_per_minute}
        self._buckets = {
            method: TokenBucket(per_minute / 60.0, 1 if per_minute < 20 else 3)
            for method, per_minute in pace.items()
        }
        self._other = TokenBucket(_DEFAULT_PER_MINUTE / 60.0, 1)
        self.transport = PolicyTransport(
            transport or httpx.HTTPTransport(),
            self._bucket,
            policy or RetryPolicy(),
            is_safe=lambda request: method_of(request) in READS,
            connector=name,
        )
        self._http = httpx.Client(transport=self.transport, timeout=30.0)
        self.sdk = _PolicyWebClient(self._http, token=token, base_url=base_url(config))
        self.last_headers: dict[str, str] = {}  # of the last answer (auth.test's scopes)

    def _bucket(self, request: httpx.Request) -> TokenBucket:
        return self._buckets.get(method_of(request), self._other)

    def counts(self) -> dict[str, int]:
        counts = self.transport.counts
        return {"reads": counts.reads, "writes": counts.writes}

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, record: str | None = None, **params: Any) -> dict[str, Any]:
        """The SDK's method for ``method`` (``chat.postMessage`` → ``chat_postMessage``), which
        encodes its parameters as Slack expects for it (JSON for writes, a form for reads),
        and its answer's data; errors as opsync's."""
        where = params.get("channel")
        try:
            response = getattr(self.sdk, method.replace(".", "_"))(**params)
        except SlackApiError as exc:
            raise self._error(method, exc, where, record) from None
        except SlackRequestError as exc:
            raise PermanentError(
                f"{method}: {exc}", connector=self.name, request=method, record=record
            ) from None
        self.last_headers = {k.lower(): str(v) for k, v in (response.headers or {}).items()}
        data = response.data
        return dict(data) if isinstance(data, dict) else {}

    def _error(
        self, method: str, exc: SlackApiError, channel: str | None, record: str | None
    ) -> Exception:
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        code = str(data.get("error") or f"HTTP {exc.response.status_code}")
        about = f" in {channel}" if channel else ""
        context: dict[str, Any] = {"connector": self.name, "request": method, "record": record}
        if code in _AUTH:
            needed = f" (needs {data['needed']})" if data.get("needed") else ""
            return AuthError(
                f"Slack refused {method}{about}: {code}{needed}; check the bot token and the "
                "app's scopes (docs/slack.md)",
                **context,
            )
        if code in _TRANSIENT or exc.response.status_code >= 500:
            retry = exc.response.headers.get("retry-after") if exc.response.headers else None
            return TransientError(
                f"Slack answered {method}{about} with {code}; the next run tries again",
                retry_after=float(retry) if retry and str(retry).isdigit() else None,
                **context,
            )
        fix = FIXES.get(code, "see the error in Slack's documentation of the method")
        return SlackError(code, f"Slack refused {method}{about}: {code}; {fix}", **context)


class SlackError(PermanentError):
    """Slack's ``ok: false`` for this request, with its error code."""

    def __init__(self, code: str, message: str, **context: Any) -> None:
        self.code = code
        super().__init__(message, **context)
