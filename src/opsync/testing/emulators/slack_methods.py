"""The Web API methods the emulator serves, each as its page on docs.slack.dev describes it.

Every handler gets the parsed arguments and answers the JSON after ``"ok": true``, or raises
`SlackError`. Sources, per method (https://docs.slack.dev/reference/methods/<name>, with the
argument lists, examples and error tables mirrored in github.com/slack-ruby/slack-api-ref
methods/<group>/<name>.json):

- auth.test: url, team, user, team_id, user_id, bot_id.
- chat.postMessage: ``channel`` is an ID or a name, or a user ID that posts to the app's DM
  with that user (the answer names the ``D…`` channel); text over 40,000 characters is
  truncated and still posted, with the ``message_truncated`` warning
  (https://docs.slack.dev/changelog/2018-04-truncating-really-long-messages; the method's
  error table no longer lists ``msg_too_long`` since the 2024-11-15 docs).
- chat.update: ``cant_update_message`` for a message the app did not post,
  ``message_not_found``, ``msg_too_long`` over 4,000 characters (its error table: "The text
  field cannot exceed 4,000 characters"); metadata kept unless sent, ``{}`` removes it.
- conversations.history: newest first, ``limit`` default 100 maximum 999, ``oldest`` /
  ``latest`` exclusive unless ``inclusive``, thread replies left out, ``metadata`` only with
  ``include_all_metadata``; ``not_in_channel`` for a conversation the bot is not in.
- conversations.replies: the parent then its replies, oldest first; ``thread_not_found``.
- conversations.info / conversations.members / conversations.open / users.lookupByEmail /
  users.info (``user_not_found``).
- reactions.get: ``channel`` + ``timestamp`` (else ``no_item_specified``), answers
  ``{type: "message", channel, message}`` with ``message.reactions`` as ``[{name, users,
  count}]``; without ``full`` a reaction's ``users`` may be cut short (here: to
  `REACTION_USERS_PARTIAL`), ``count`` stays whole; ``bad_timestamp``,
  ``message_not_found``.
- reactions.add: ``channel``, ``name``, ``timestamp``; ``already_reacted``,
  ``invalid_name`` (a name with ``:`` or spaces), ``message_not_found``.

An absent required argument is ``invalid_arguments``; one present but naming nothing is the
method's own error (``channel_not_found``...), as measured in
github.com/brekkylab/backlot/issues/84.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from opsync.testing.emulators.slack_blocks import parse_blocks
from opsync.testing.emulators.slack_faults import SlackError, invalid_arguments
from opsync.testing.emulators.slack_model import Channel, Grant, Json, Message, Workspace

MAX_TEXT = 40_000
MAX_UPDATE_TEXT = 4_000
HISTORY_DEFAULT, HISTORY_MAX = 100, 999
#: How many users reactions.get lists per reaction without ``full`` (Slack does not say).
REACTION_USERS_PARTIAL = 3
TRUNCATED = (
    "[WARN] Your message was truncated but still posted. "
    "The `text` field accepts up to 40,000 characters."
)


@dataclass(frozen=True)
class Call:
    """One authenticated call as a handler sees it."""

    ws: Workspace
    grant: Grant
    args: dict[str, Any]

    def required(self, name: str) -> Any:
        if name not in self.args:
            raise invalid_arguments(f"missing required field: {name}")
        return self.args[name]

    def flag(self, name: str) -> bool:
        return str(self.args.get(name, "")).lower() in ("1", "true")


@dataclass(frozen=True)
class Method:
    name: str
    handler: Callable[[Call], Json]
    #: Scopes that grant it; for a ``family`` the full set of per-conversation-type scopes.
    scopes: tuple[str, ...]
    #: ``history``/``read``: the scope depends on the conversation type.
    family: str | None
    #: The rate tier; None is chat.postMessage's per-channel special limit.
    tier: int | None


def needs_scope(call: Call, scopes: Sequence[str]) -> None:
    if not call.grant.scopes.intersection(scopes):
        raise SlackError(
            "missing_scope",
            {"needed": ",".join(scopes), "provided": ",".join(sorted(call.grant.scopes))},
        )


def _conversation(call: Call, value: Any, family: str | None) -> Channel:
    """The conversation an ID names, after the scope for its type is checked."""
    channel = call.ws.channels.get(str(value))
    if channel is None or (channel.is_private and call.ws.bot_user not in channel.members):
        raise SlackError("channel_not_found")
    if family is not None:
        needs_scope(call, [f"{channel.kind}:{family}"])
    return channel


def _limit(call: Call, default: int, maximum: int) -> int:
    raw = call.args.get("limit", default)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise SlackError("invalid_limit") from None
    return max(1, min(value or default, maximum))


def _cursor(call: Call, prefix: str) -> str | None:
    raw = call.args.get("cursor")
    if not raw:
        return None
    try:
        decoded = base64.b64decode(str(raw), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise SlackError("invalid_cursor") from None
    if not decoded.startswith(prefix):
        raise SlackError("invalid_cursor")
    return decoded.removeprefix(prefix)


def _next_cursor(prefix: str, value: str) -> str:
    """Slack's cursors are opaque base64 (``bmV4dF90czox...`` is ``next_ts:1...``)."""
    return base64.b64encode(f"{prefix}{value}".encode()).decode()


def _ts(value: Any, error: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SlackError(error) from None


def _json_arg(value: Any, error: str) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise SlackError(error) from None
    return value


def _metadata(value: Any) -> Json:
    """``{event_type, event_payload}``, as https://docs.slack.dev/messaging/message-metadata
    defines it; ``{}`` (chat.update's "remove") is allowed here and handled by the caller."""
    data = _json_arg(value, "invalid_metadata_format")
    if not isinstance(data, dict):
        raise SlackError("invalid_metadata_format")
    if data and (
        not isinstance(data.get("event_type"), str)
        or not data["event_type"]
        or not isinstance(data.get("event_payload"), dict)
    ):
        raise SlackError("invalid_metadata_schema")
    return data


# ---------------------------------------------------------------------- methods


def auth_test(call: Call) -> Json:
    ws = call.ws
    return {
        "url": f"https://{ws.domain}.slack.com/",
        "team": ws.team,
        "user": ws.users[ws.bot_user].name,
        "team_id": ws.team_id,
        "user_id": ws.bot_user,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


def _post_target(call: Call, value: str) -> Channel:
    ws = call.ws
    if value[:1] in ("U", "W") and value in ws.users:
        return ws.open_im(value)[0]
    channel = ws.channels.get(value) or ws.channel_named(value)
    if channel is None:
        raise SlackError("channel_not_found")
    if channel.archived:
        raise SlackError("is_archived")
    if ws.bot_user not in channel.members and not (
        not channel.is_private and "chat:write.public" in call.grant.scopes
    ):
        raise SlackError("not_in_channel")
    return channel


def _content(call: Call) -> tuple[str, list[Json] | None]:
    text = call.args.get("text")
    blocks = parse_blocks(call.args["blocks"]) if call.args.get("blocks") else None
    if not text and not blocks and not call.args.get("attachments"):
        raise SlackError("no_text")
    return str(text or ""), blocks


def chat_post_message(call: Call) -> Json:
    channel = _post_target(call, str(call.required("channel")))
    text, blocks = _content(call)
    warnings: list[str] = []
    if len(text) > MAX_TEXT:
        text, warnings = text[:MAX_TEXT], ["message_truncated"]
    metadata = _metadata(call.args["metadata"]) if call.args.get("metadata") else None
    ws = call.ws
    message = ws.post(
        channel, ws.bot_user, text, bot=True, blocks=blocks, metadata=metadata or None,
        thread_ts=str(call.args["thread_ts"]) if call.args.get("thread_ts") else None,
    )  # fmt: skip
    answer: Json = {"channel": channel.id, "ts": message.ts, "message": ws.message_json(message)}
    if warnings:
        answer |= {
            "warning": ",".join(warnings),
            "response_metadata": {"warnings": warnings, "messages": [TRUNCATED]},
        }
    return answer


def chat_update(call: Call) -> Json:
    ws = call.ws
    channel = ws.channels.get(str(call.required("channel")))
    ts = str(call.required("ts"))
    if channel is None:
        raise SlackError("channel_not_found")
    message = ws.find(channel, ts)
    if message is None:
        raise SlackError("message_not_found")
    if message.bot_id != ws.bot_id:
        raise SlackError("cant_update_message")
    text, blocks = _content(call)
    if len(text) > MAX_UPDATE_TEXT:
        raise SlackError("msg_too_long")
    message.text, message.blocks = text, blocks
    if "metadata" in call.args:
        message.metadata = _metadata(call.args["metadata"]) or None
    return {
        "channel": channel.id,
        "ts": message.ts,
        "text": message.text,
        "message": ws.message_json(message),
    }


def _readable(call: Call, family: str) -> Channel:
    channel = _conversation(call, call.required("channel"), family)
    if call.ws.bot_user not in channel.members:
        raise SlackError("not_in_channel")
    return channel


def _window(call: Call, messages: list[Message]) -> list[Message]:
    oldest = _ts(call.args.get("oldest"), "invalid_ts_oldest")
    latest = _ts(call.args.get("latest"), "invalid_ts_latest")
    inclusive = call.flag("inclusive")

    def inside(message: Message) -> bool:
        ts = float(message.ts)
        if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
            return False
        return not (latest is not None and (ts > latest or (ts == latest and not inclusive)))

    return [m for m in messages if inside(m)]


def _page(
    call: Call, items: list[Message], after: Callable[[Message, str], bool], limit: int
) -> tuple[list[Message], str]:
    start = _cursor(call, "next_ts:")
    if start is not None:
        items = [m for m in items if after(m, start)]
    page, rest = items[:limit], items[limit:]
    return page, _next_cursor("next_ts:", rest[0].ts) if rest else ""


def conversations_history(call: Call) -> Json:
    channel = _readable(call, "history")
    top = sorted((m for m in channel.messages if not m.is_reply), key=lambda m: -float(m.ts))
    limit = _limit(call, HISTORY_DEFAULT, HISTORY_MAX)
    page, cursor = _page(call, _window(call, top), lambda m, s: float(m.ts) <= float(s), limit)
    with_metadata = call.flag("include_all_metadata")
    return {
        "messages": [call.ws.message_json(m, with_metadata=with_metadata) for m in page],
        "has_more": bool(cursor),
        "pin_count": 0,
        "response_metadata": {"next_cursor": cursor},
    }


def conversations_replies(call: Call) -> Json:
    channel = _readable(call, "history")
    ts = str(call.required("ts"))
    found = call.ws.find(channel, ts)
    if found is not None and found.is_reply:
        found = call.ws.find(channel, found.thread_ts or "")
    if found is None:
        raise SlackError("thread_not_found")
    thread = [found, *found.replies]
    limit = _limit(call, HISTORY_DEFAULT, 1000)
    page, cursor = _page(call, _window(call, thread), lambda m, s: float(m.ts) >= float(s), limit)
    with_metadata = call.flag("include_all_metadata")
    return {
        "messages": [call.ws.message_json(m, with_metadata=with_metadata) for m in page],
        "has_more": bool(cursor),
        "response_metadata": {"next_cursor": cursor},
    }


def conversations_info(call: Call) -> Json:
    channel = _conversation(call, call.required("channel"), "read")
    return {
        "channel": channel.to_json(call.ws.bot_user, num_members=call.flag("include_num_members"))
    }


def conversations_members(call: Call) -> Json:
    channel = _conversation(call, call.required("channel"), "read")
    members = sorted(channel.members)
    start = _cursor(call, "user_id:")
    if start is not None:
        members = [m for m in members if m >= start]
    limit = _limit(call, HISTORY_DEFAULT, 1000)
    page, rest = members[:limit], members[limit:]
    return {
        "members": page,
        "response_metadata": {"next_cursor": _next_cursor("user_id:", rest[0]) if rest else ""},
    }


def conversations_open(call: Call) -> Json:
    ws = call.ws
    if call.args.get("channel"):
        channel = ws.channels.get(str(call.args["channel"]))
        if channel is None or not channel.is_im:
            raise SlackError("channel_not_found")
        existed = True
    else:
        if not call.args.get("users"):
            raise SlackError("users_list_not_supplied")
        users = [u.strip() for u in str(call.args["users"]).split(",") if u.strip()]
        if len(users) > 8:
            raise SlackError("too_many_users")
        if len(users) > 1:
            raise invalid_arguments("the emulator opens 1:1 direct messages only")
        if users[0] not in ws.users:
            raise SlackError("user_not_found")
        channel, existed = ws.open_im(users[0])
    full = call.flag("return_im")
    body: Json = {"channel": channel.to_json(ws.bot_user) if full else {"id": channel.id}}
    if existed:
        body = {"no_op": True, "already_open": True, **body}
    return body


def users_lookup_by_email(call: Call) -> Json:
    user = call.ws.user_by_email(str(call.required("email")))
    if user is None:
        raise SlackError("users_not_found")
    return {"user": user.to_json(call.ws.team_id)}


def users_info(call: Call) -> Json:
    user = call.ws.users.get(str(call.required("user")))
    if user is None:
        raise SlackError("user_not_found")
    return {"user": user.to_json(call.ws.team_id)}


def _reacted(call: Call) -> tuple[Channel, Message]:
    """The message ``channel`` + ``timestamp`` name, for the reactions methods."""
    if not call.args.get("channel") or not call.args.get("timestamp"):
        raise SlackError("no_item_specified")
    channel = _conversation(call, call.args["channel"], None)
    stamp = str(call.args["timestamp"])
    if _ts(stamp, "bad_timestamp") is None:
        raise SlackError("bad_timestamp")
    message = call.ws.find(channel, stamp)
    if message is None:
        raise SlackError("message_not_found")
    return channel, message


def reactions_get(call: Call) -> Json:
    channel, message = _reacted(call)
    body = call.ws.message_json(message)
    body.pop("reactions", None)
    reactions = message.reaction_json(None if call.flag("full") else REACTION_USERS_PARTIAL)
    if reactions:
        body["reactions"] = reactions
    return {"type": "message", "channel": channel.id, "message": body}


def reactions_add(call: Call) -> Json:
    _, message = _reacted(call)
    name = str(call.required("name")).strip(":")
    if not name or any(c in name for c in ": "):
        raise SlackError("invalid_name")
    users = message.reactions.setdefault(name, [])
    if call.ws.bot_user in users:
        raise SlackError("already_reacted")
    users.append(call.ws.bot_user)
    return {}


def _family(family: str) -> tuple[str, ...]:
    return tuple(f"{kind}:{family}" for kind in ("channels", "groups", "im", "mpim"))


METHODS = {
    m.name: m
    for m in (
        Method("auth.test", auth_test, (), None, 4),
        Method("chat.postMessage", chat_post_message, ("chat:write",), None, None),
        Method("chat.update", chat_update, ("chat:write",), None, 3),
        Method("conversations.history", conversations_history, _family("history"), "history", 3),
        Method("conversations.replies", conversations_replies, _family("history"), "history", 3),
        Method("conversations.info", conversations_info, _family("read"), "read", 3),
        Method("conversations.members", conversations_members, _family("read"), "read", 4),
        Method(
            "conversations.open",
            conversations_open,
            ("channels:manage", "groups:write", "im:write", "mpim:write"),
            None,
            3,
        ),
        Method("users.lookupByEmail", users_lookup_by_email, ("users:read.email",), None, 3),
        Method("users.info", users_info, ("users:read",), None, 4),
        Method("reactions.get", reactions_get, ("reactions:read",), None, 3),
        Method("reactions.add", reactions_add, ("reactions:write",), None, 3),
    )
}
