"""The HTTP side of the Slack emulator: arguments, token, scopes, limits, the envelope.

Slack's Web API is RPC over HTTP at ``/api/<method>``: arguments come as a query string,
a form body or (for POST) a JSON body, and the token as ``Authorization: Bearer xoxb-…`` or
a ``token`` argument in the body (https://docs.slack.dev/apis/web-api/ "Basics"). Checks, in
order: token present (``not_authed``) and known (``invalid_auth``), the method known
(``unknown_method``), the method's scopes (``missing_scope`` with ``needed`` and
``provided``), the rate limit (429 ``ratelimited``), then the method's own checks.

Every answer to a known token carries ``X-OAuth-Scopes`` (the token's scopes) and
``X-Accepted-OAuth-Scopes`` (the method's), comma-separated with no spaces, as a recorded
slack.com answer has them (github.com/marianmosley/project_metric_slack,
spec/cassettes/ProjectMetricSlack/_raw_data/fetches_raw_data.yml) and as
https://api.slack.com/legacy/oauth-scopes ("Working with scopes") describes.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import parse_qs

from opsync.testing.emulators.emulator_controls import Reply, RequestCounter
from opsync.testing.emulators.emulator_server import FaultingHandler, LoopbackServer
from opsync.testing.emulators.slack_faults import Faults, RateLimits, SlackError, is_read
from opsync.testing.emulators.slack_methods import METHODS, Call, Method, needs_scope
from opsync.testing.emulators.slack_model import Grant, Json, Workspace

PREFIX = "/api/"
UNMATCHED = "(unmatched)"


def method_name(path: str) -> str | None:
    """The Web API method a path names, if the emulator serves it."""
    if not path.startswith(PREFIX):
        return None
    name = path.removeprefix(PREFIX).strip("/")
    return name if name in METHODS else None


def parse_args(query: dict[str, list[str]], headers: dict[str, str], raw: bytes) -> Json:
    """Query string, then the body (form or JSON) over it, one value per name."""
    args: Json = {k: v[-1] for k, v in query.items()}
    if not raw:
        return args
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            body = json.loads(raw)
        except ValueError:
            raise SlackError("invalid_json") from None
        if not isinstance(body, dict):
            raise SlackError("invalid_json")
        args.update(body)
    else:
        try:
            form = parse_qs(raw.decode(), keep_blank_values=True)
        except UnicodeDecodeError:
            raise SlackError("invalid_form_data") from None
        args.update({k: v[-1] for k, v in form.items()})
    return args


class App:
    """Everything one emulator serves from; shared by all handler threads."""

    def __init__(self, ws: Workspace, limits: RateLimits) -> None:
        self.ws = ws
        self.limits = limits
        self.faults = Faults()
        self.counter = RequestCounter(is_read)

    def template_of(self, method: str, path: str) -> str:
        name = method_name(path)
        return PREFIX + name if name else UNMATCHED

    def answer(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        raw: bytes,
    ) -> Reply:
        """Status, body and extra headers for one request."""
        extra = {"X-Slack-Req-Id": uuid.uuid4().hex}
        try:
            args = parse_args(query, headers, raw)
            grant = self._authenticate(headers, args)
            extra["X-OAuth-Scopes"] = ",".join(sorted(grant.scopes))
            name = method_name(path)
            if name is None:
                raise SlackError("unknown_method")
            spec = METHODS[name]
            extra["X-Accepted-OAuth-Scopes"] = ",".join(spec.scopes)
            with self.ws.lock:
                return 200, {"ok": True, **self._run(spec, grant, args)}, extra
        except SlackError as error:
            return error.status, error.body(), {**extra, **error.headers}

    def _run(self, spec: Method, grant: Grant, args: Json) -> Json:
        call = Call(self.ws, grant, args)
        if spec.scopes:
            needs_scope(call, spec.scopes)
        channel = self._channel_key(args.get("channel")) if spec.tier is None else None
        self.limits.admit(self.ws.team_id, spec.name, spec.tier, channel)
        return spec.handler(call)

    def _channel_key(self, value: Any) -> str:
        """One key per conversation however it is named: ``#launches``, ``launches`` and its
        ID share a posting limit, and so do a user ID and the DM it posts to."""
        raw = str(value or "")
        ws = self.ws
        if raw in ws.users:
            return f"im:{raw}"
        found = ws.channels.get(raw) or ws.channel_named(raw)
        if found is None:
            return raw
        return f"im:{found.im_user}" if found.is_im else found.id

    def _authenticate(self, headers: dict[str, str], args: dict[str, Any]) -> Grant:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            token = str(args.pop("token", "") or "")
        args.pop("token", None)
        if not token:
            raise SlackError("not_authed")
        grant = self.ws.tokens.get(token.strip())
        if grant is None:
            raise SlackError("invalid_auth")
        return grant


class Handler(FaultingHandler):
    content_type = "application/json; charset=utf-8"
    server: LoopbackServer[App]

    do_GET = do_POST = FaultingHandler.serve

    def send_json(self, status: int, body: Any, extra: dict[str, str]) -> None:
        """JSON, except Slack's HTML error page for an injected 5xx."""
        if not isinstance(body, str):
            super().send_json(status, body, extra)
            return
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
