"""The emulated Slack workspace: team, bot, tokens, people, conversations, messages.

Objects answer with the shapes Slack documents for them: the conversation object
(https://docs.slack.dev/reference/objects/conversation-object and the conversations.info
examples), the user object (users.lookupByEmail's example), and messages as
conversations.history and conversations.replies return them (the examples on
https://docs.slack.dev/reference/methods/conversations.history and .../conversations.replies:
a thread parent carries ``thread_ts``, ``reply_count``, ``reply_users``, ``latest_reply``;
a reply carries ``thread_ts`` and ``parent_user_id``).

A message ``ts`` is ``<unix seconds>.<6 digits>``, unique and increasing within the
workspace, from an injectable wall clock.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]
WallClock = Callable[[], float]

#: What the default bot token is granted: enough for every emulated method.
DEFAULT_SCOPES = (
    "chat:write",
    "channels:read",
    "groups:read",
    "im:read",
    "mpim:read",
    "channels:history",
    "groups:history",
    "im:history",
    "mpim:history",
    "im:write",
    "users:read",
    "users:read.email",
    "reactions:read",
    "reactions:write",
)


@dataclass
class User:
    id: str
    name: str
    real_name: str
    email: str | None
    is_bot: bool = False

    def to_json(self, team_id: str) -> Json:
        profile: Json = {
            "real_name": self.real_name,
            "display_name": self.name,
            "real_name_normalized": self.real_name,
            "display_name_normalized": self.name,
            "team": team_id,
        }
        if self.email:
            profile["email"] = self.email
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": False,
            "real_name": self.real_name,
            "tz": "America/New_York",
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
        }


@dataclass
class Message:
    ts: str
    channel: str
    text: str
    user: str
    bot_id: str | None = None
    blocks: list[Json] | None = None
    metadata: Json | None = None
    thread_ts: str | None = None
    replies: list[Message] = field(default_factory=list)
    subtype: str | None = None  # "channel_join", "bot_message", ...: not a person's message
    reactions: dict[str, list[str]] = field(default_factory=dict)  # name → users, in order

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def to_json(self, team_id: str, app_id: str, *, with_metadata: bool) -> Json:
        body: Json = {"type": "message", "text": self.text, "user": self.user, "ts": self.ts}
        if self.subtype:
            body["subtype"] = self.subtype
        if self.bot_id:
            body |= {"bot_id": self.bot_id, "app_id": app_id}
        body["team"] = team_id
        if self.blocks is not None:
            body["blocks"] = self.blocks
        if self.thread_ts:
            body["thread_ts"] = self.thread_ts
        if self.replies:
            body |= {
                "reply_count": len(self.replies),
                "reply_users": list(dict.fromkeys(r.user for r in self.replies)),
                "reply_users_count": len({r.user for r in self.replies}),
                "latest_reply": self.replies[-1].ts,
            }
        if self.reactions:
            body["reactions"] = self.reaction_json()
        if with_metadata and self.metadata:
            body["metadata"] = self.metadata
        return body

    def reaction_json(self, limit: int | None = None) -> list[Json]:
        """``[{name, users, count}]`` as conversations.history and reactions.get show them;
        ``limit`` cuts each ``users`` list (``count`` stays whole), as reactions.get does
        without ``full`` (its docs: "If true always return the complete reaction list")."""
        return [
            {"name": name, "users": users[:limit] if limit else list(users), "count": len(users)}
            for name, users in self.reactions.items()
            if users
        ]


@dataclass
class Channel:
    id: str
    name: str | None
    created: int
    is_private: bool = False
    is_im: bool = False
    im_user: str | None = None
    archived: bool = False
    members: list[str] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """The scope family: ``channels``, ``groups`` (private) or ``im``."""
        return "im" if self.is_im else "groups" if self.is_private else "channels"

    def to_json(self, bot_user: str, *, num_members: bool = False) -> Json:
        if self.is_im:
            body: Json = {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.im_user,
                "is_open": True,
            }
        else:
            name = self.name or self.id
            body = {
                "id": self.id,
                "name": name,
                "is_channel": not self.is_private,
                "is_group": self.is_private,
                "is_im": False,
                "is_mpim": False,
                "is_private": self.is_private,
                "created": self.created,
                "is_archived": self.archived,
                "is_general": name == "general",
                "name_normalized": name,
                "is_shared": False,
                "is_org_shared": False,
                "is_ext_shared": False,
                "is_member": bot_user in self.members,
                "topic": {"value": "", "creator": "", "last_set": 0},
                "purpose": {"value": "", "creator": "", "last_set": 0},
            }
        if num_members:
            body["num_members"] = len(self.members)
        return body


@dataclass
class Grant:
    """A token: the scopes it was granted."""

    scopes: frozenset[str]


class Workspace:
    """One team with one installed bot. Callers hold `lock` around reads and changes."""

    def __init__(
        self,
        clock: WallClock = time.time,
        *,
        team_id: str = "T0EMULATOR",
        team: str = "Opsync Emulator",
        domain: str = "opsync-emulator",
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.team_id, self.team, self.domain = team_id, team, domain
        self.app_id = "A0EMULATOR"
        self.bot_id = "B0EMULATOR"
        self.bot_user = "U0EMULBOT"
        self.tokens: dict[str, Grant] = {}
        self.users: dict[str, User] = {
            self.bot_user: User(self.bot_user, "opsync", "opsync", None, is_bot=True)
        }
        self.channels: dict[str, Channel] = {}
        self._ids = itertools.count(1)
        self._last_ts = (0, 0)

    # ------------------------------------------------------------------ seeding

    def add_token(self, token: str, scopes: Iterable[str]) -> None:
        self.tokens[token] = Grant(frozenset(scopes))

    def add_user(self, user_id: str, name: str, email: str | None, real_name: str = "") -> User:
        user = User(user_id, name, real_name or name.title(), email)
        self.users[user_id] = user
        return user

    def add_channel(
        self,
        name: str,
        *,
        channel_id: str | None = None,
        private: bool = False,
        member: bool = True,
        members: Iterable[str] = (),
        archived: bool = False,
    ) -> Channel:
        prefix = "G" if private else "C"
        cid = channel_id or f"{prefix}{next(self._ids):08d}"
        people = [*([self.bot_user] if member else []), *members]
        channel = Channel(
            cid, name.lstrip("#"), int(self.clock()), private, archived=archived, members=people
        )
        self.channels[cid] = channel
        return channel

    def open_im(self, user_id: str) -> tuple[Channel, bool]:
        """The bot's DM with `user_id`, and whether it already existed."""
        for channel in self.channels.values():
            if channel.is_im and channel.im_user == user_id:
                return channel, True
        cid = f"D{next(self._ids):08d}"
        channel = Channel(
            cid, None, int(self.clock()), is_im=True, im_user=user_id,
            members=[self.bot_user, user_id],
        )  # fmt: skip
        self.channels[cid] = channel
        return channel, False

    # ------------------------------------------------------------------ lookups

    def channel_named(self, name: str) -> Channel | None:
        wanted = name.lstrip("#")
        return next((c for c in self.channels.values() if c.name == wanted), None)

    def user_by_email(self, email: str) -> User | None:
        wanted = email.strip().lower()
        return next((u for u in self.users.values() if u.email and u.email.lower() == wanted), None)

    def find(self, channel: Channel, ts: str) -> Message | None:
        """A top-level message or a reply in `channel` with this ts."""
        for message in channel.messages:
            if message.ts == ts:
                return message
            for reply in message.replies:
                if reply.ts == ts:
                    return reply
        return None

    # ------------------------------------------------------------------ changes

    def next_ts(self) -> str:
        """A fresh ts: the clock's second and a sequence, always above the previous one."""
        now = self.clock()
        candidate = (int(now), round((now % 1) * 1_000_000) % 1_000_000)
        if candidate <= self._last_ts:
            seconds, micros = self._last_ts
            candidate = (seconds + 1, 0) if micros >= 999_999 else (seconds, micros + 1)
        self._last_ts = candidate
        return f"{candidate[0]}.{candidate[1]:06d}"

    def post(
        self,
        channel: Channel,
        user: str,
        text: str,
        *,
        bot: bool = False,
        blocks: list[Json] | None = None,
        metadata: Json | None = None,
        thread_ts: str | None = None,
        ts: str | None = None,
        subtype: str | None = None,
    ) -> Message:
        """Store a message; a `thread_ts` makes it a reply in that message's thread. A
        given `ts` (seeding the past) is used as it is; otherwise the clock's."""
        if ts is not None:  # a ts is unique within a conversation
            taken = {m.ts for top in channel.messages for m in (top, *top.replies)}
            seconds, _, micros = ts.partition(".")
            sequence = int(micros or 0)
            while f"{seconds}.{sequence:06d}" in taken:
                sequence += 1
            ts = f"{seconds}.{sequence:06d}"
        message = Message(
            ts or self.next_ts(), channel.id, text, user, self.bot_id if bot else None,
            blocks, metadata, subtype=subtype,
        )  # fmt: skip
        parent = self.find(channel, thread_ts) if thread_ts else None
        if parent is not None and parent.is_reply:
            parent = self.find(channel, parent.thread_ts or "")
        if parent is not None:
            parent.thread_ts = parent.ts
            message.thread_ts = parent.ts
            parent.replies.append(message)
        elif thread_ts:
            # A thread_ts naming no message: Slack's docs say nothing; it is kept as a reply
            # to that ts, visible to tests through `messages`, to no history read.
            message.thread_ts = thread_ts
            channel.messages.append(message)
        else:
            channel.messages.append(message)
        return message

    def message_json(self, message: Message, *, with_metadata: bool = False) -> Json:
        body = message.to_json(self.team_id, self.app_id, with_metadata=with_metadata)
        if message.is_reply:
            channel = self.channels[message.channel]
            parent = self.find(channel, message.thread_ts or "")
            if parent is not None:
                body["parent_user_id"] = parent.user
        return body
