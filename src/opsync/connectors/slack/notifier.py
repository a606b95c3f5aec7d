"""The Slack notifier: posts each message once, and can find it again after a crash.

Every post carries its message key in Slack's message metadata
(https://api.slack.com/metadata/using: ``metadata = {event_type, event_payload}``, read back
by ``conversations.history`` with ``include_all_metadata``). The engine's journal is the
record of what was sent (``engine/notify.py``), so a run asks Slack nothing unless a send is
in doubt: one the journal saw start and not finish, or every message when the state store is
new. Only then is the channel's history read, back ``lookback_days``, for posts of this app
carrying the key: found, the message counts as sent; not found, it is posted.

What the connector learns (channel ids of the names it posted to, each person's DM channel,
and each post's channel, ``ts`` and content digest) is kept in its mirror in the state store,
so the edit window (``chat.update`` of a post whose content changed, for
``edit_window_minutes`` after it was posted) needs no read either.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from opsync.connectors.base import Capabilities, Message, Role, SignalAsk, Signals
from opsync.connectors.slack import blocks
from opsync.connectors.slack.client import SlackApi, SlackError
from opsync.connectors.slack.config import SlackConnectorConfig
from opsync.connectors.slack.signals import SignalReader
from opsync.domain import Finding, Level, Person
from opsync.errors import ConnectorError, PermanentError
from opsync.state import ConnectorState

_log = logging.getLogger("opsync.slack")

EVENT_TYPE = "opsync_message"
MIRROR = "slack"
HISTORY_PAGE = 200  # conversations.history's limit per page (Slack allows up to 999)
MAX_HISTORY_PAGES = 50  # 10,000 messages back: past this the search gives up, loudly


@dataclass
class Post:
    channel: str
    ts: str
    digest: str
    at: str  # when it was posted (ISO), for the edit window

    def dump(self) -> dict[str, str]:
        return {"channel": self.channel, "ts": self.ts, "digest": self.digest, "at": self.at}


@dataclass
class Learnt:
    """What this connector keeps between runs (its mirror)."""

    channels: dict[str, str] = field(default_factory=dict)  # "#name" → id
    dms: dict[str, str] = field(default_factory=dict)  # person key → DM channel id
    users: dict[str, str] = field(default_factory=dict)  # person key → user id
    posts: dict[str, Post] = field(default_factory=dict)  # message key → where it was posted

    @classmethod
    def load(cls, text: str | None) -> Learnt:
        if not text:
            return cls()
        try:
            data = json.loads(text)
            return cls(
                channels=dict(data.get("channels", {})),
                dms=dict(data.get("dms", {})),
                users=dict(data.get("users", {})),
                posts={k: Post(**v) for k, v in data.get("posts", {}).items()},
            )
        except (ValueError, TypeError, AttributeError):
            return cls()  # a cache: a damaged one costs lookups, never a wrong answer

    def dump(self) -> str:
        return json.dumps(
            {
                "channels": self.channels,
                "dms": self.dms,
                "users": self.users,
                "posts": {k: p.dump() for k, p in sorted(self.posts.items())},
            },
            sort_keys=True,
        )


def digest(message: Message) -> str:
    body = json.dumps(
        [message.title, message.text, message.document.model_dump() if message.document else None],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()[:16]


class SlackNotifier:
    name: ClassVar[str] = "slack"
    capabilities: ClassVar[Capabilities] = Capabilities(
        roles=frozenset({Role.NOTIFIER, Role.SIGNALS}), requests_per_second=1.0
    )

    def __init__(
        self,
        config: SlackConnectorConfig,
        api: SlackApi,
        *,
        state: ConnectorState,
        people: Sequence[Person],
        clock: Any,
        name: str = "slack",
    ) -> None:
        self.config = config
        self.api = api
        self.label = name  # the config's name, carried by errors
        self.people = {p.key: p for p in people}
        self._clock = clock
        self.state = state
        self.learnt = Learnt.load(state.get(MIRROR))
        state.keep(MIRROR, self._dump)
        self._signals: SignalReader | None = None

    def now(self) -> datetime:
        return self._clock()  # type: ignore[no-any-return]

    def _dump(self) -> str:
        """The mirror, without the posts older than any search or edit could need."""
        horizon = self._clock() - timedelta(days=self.config.lookback_days)
        self.learnt.posts = {
            k: p for k, p in self.learnt.posts.items() if (_parse(p.at) or horizon) >= horizon
        }
        return self.learnt.dump()

    # -- Connector ---------------------------------------------------------------------------

    def check(self) -> list[Finding]:
        try:
            self.api.call("auth.test")
        except Exception as exc:
            return [
                Finding(
                    code="slack.auth",
                    record=f"config/connectors/{self.label}",
                    level=Level.ERROR,
                    message=str(exc),
                )
            ]
        return []

    def counts(self) -> dict[str, int]:
        return self.api.counts()

    def close(self) -> None:
        self.api.close()

    # -- Notifier ----------------------------------------------------------------------------

    def accepts(self, channel: str) -> bool:
        return channel.startswith(("#", "dm:"))

    def sent(self, wanted: Sequence[Message], unsure: frozenset[str]) -> set[str]:
        """The ``unsure`` messages found in their channel's history (nothing else is asked)."""
        by_channel: dict[str, set[str]] = {}
        held: set[str] = set()
        for message in wanted:
            if message.key not in unsure:
                continue
            try:
                channel = self._readable_channel(message.channel)
            except ConnectorError as exc:  # no DM to look in: held back, as below
                _log.warning(
                    "cannot look in %s (%s); %s held back", message.channel, exc, message.key
                )
                held.add(message.key)
                continue
            if channel is None:
                _log.warning(
                    "cannot look for %s in %s after an interrupted run: map the channel to its "
                    "id under channels = {...}; it is posted again",
                    message.key,
                    message.channel,
                )
                continue
            by_channel.setdefault(channel, set()).add(message.key)
        found: set[str] = set(held)
        for channel, keys in sorted(by_channel.items()):
            try:
                found |= self._search(channel, keys)
            except ConnectorError as exc:
                # Unknown is not "not sent": posting now could post twice. Held back (counted
                # as sent for this run only); the journal still has them in doubt, so the
                # next run looks again.
                _log.warning("could not look for %s in %s (%s); held back", keys, channel, exc)
                found |= keys
        return found

    def revisable(self, wanted: Sequence[Message]) -> set[str]:
        """Keys of posted messages whose content changed, still inside the edit window."""
        if not self.config.edit_window_minutes:
            return set()
        now = self._clock()
        window = timedelta(minutes=self.config.edit_window_minutes)
        keys: set[str] = set()
        for message in wanted:
            post = self.learnt.posts.get(message.key)
            at = _parse(post.at) if post else None
            changed = post is not None and post.digest and post.digest != digest(message)
            if changed and at is not None and now - at <= window:
                keys.add(message.key)
        return keys

    def send(self, message: Message) -> None:
        record = f"messages/{message.key}"
        payload = blocks.render(message.document, message.link) if message.document else None
        text = blocks.fallback(message.text, message.link if payload is None else None)
        post = self.learnt.posts.get(message.key)
        if post is not None and self.revisable([message]):
            self.api.call(
                "chat.update",
                record=record,
                channel=post.channel,
                ts=post.ts,
                text=text,
                blocks=payload,
            )
            post.digest = digest(message)
            return
        if post is not None:
            return  # posted by an earlier run whose record did not reach the journal
        answer = self.api.call(
            "chat.postMessage",
            record=record,
            channel=self._postable_channel(message.channel, record),
            text=text,
            blocks=payload,
            metadata={"event_type": EVENT_TYPE, "event_payload": {"key": message.key}},
            unfurl_links=False,
            unfurl_media=False,
        )
        channel = str(answer.get("channel") or "")
        self._learn_channel(message.channel, channel)
        self.learnt.posts[message.key] = Post(
            channel, str(answer.get("ts") or ""), digest(message), self._clock().isoformat()
        )

    # -- signals -----------------------------------------------------------------------------

    def read_signals(self, ask: SignalAsk) -> Signals:
        """Reactions to the surveys, status pings and intake (``connectors/slack/signals``)."""
        if self._signals is None:
            self._signals = SignalReader(self)
        return self._signals.read(ask)

    # -- channels and people -----------------------------------------------------------------

    def _learn_channel(self, address: str, channel: str) -> None:
        if not channel:
            return
        if address.startswith("dm:"):
            self.learnt.dms[address[3:]] = channel
        elif address not in self.config.channels:
            self.learnt.channels[address] = channel

    def _postable_channel(self, address: str, record: str) -> str:
        if address.startswith("dm:"):
            return self.user_id(address[3:], record)
        return self.config.channels.get(address) or self.learnt.channels.get(address) or address

    def _readable_channel(self, address: str) -> str | None:
        if address.startswith("dm:"):
            person = address[3:]
            if person not in self.learnt.dms:
                user = self.user_id(person, f"messages/{address}")
                opened = self.api.call("conversations.open", users=user)
                self.learnt.dms[person] = str((opened.get("channel") or {}).get("id") or "")
            return self.learnt.dms[person] or None
        return self.config.channels.get(address) or self.learnt.channels.get(address)

    def user_id(self, person: str, record: str | None = None) -> str:
        """The Slack user id of ``person``: the config's, the person's ``slack`` field, or
        Slack's answer to their email (``users.lookupByEmail``)."""
        if person in self.config.users:
            return self.config.users[person]
        known = self.people.get(person)
        if known is not None and known.slack and known.slack[:1] in ("U", "W"):
            return known.slack
        if person in self.learnt.users:
            return self.learnt.users[person]
        if known is None or not known.email:
            handle = (
                f" ({known.slack!r} is a display name; the API needs the member id)"
                if known is not None and known.slack
                else ""
            )
            raise PermanentError(
                f"person {person!r} has no Slack member id and no email to look one up by"
                f'{handle}; set slack = "U…" (profile → ⋮ → Copy member ID) or email in '
                "[[org.people]], or map them under users = {...}",
                connector=self.label,
                record=record,
            )
        try:
            answer = self.api.call("users.lookupByEmail", record=record, email=known.email)
        except SlackError as exc:
            if exc.code == "users_not_found":
                raise PermanentError(
                    f"no Slack user has {person!r}'s email {known.email}; set their slack id "
                    "in [[org.people]]",
                    connector=self.label,
                    record=record,
                ) from None
            raise
        user = str((answer.get("user") or {}).get("id") or "")
        self.learnt.users[person] = user
        return user

    def _search(self, channel: str, keys: set[str]) -> set[str]:
        """The keys of ``keys`` among this app's posts in ``channel``'s recent history."""
        oldest = (self._clock() - timedelta(days=self.config.lookback_days)).timestamp()
        found: set[str] = set()
        cursor: str | None = None
        for _ in range(MAX_HISTORY_PAGES):
            params: dict[str, Any] = {
                "channel": channel,
                "oldest": f"{oldest:.6f}",
                "limit": HISTORY_PAGE,
                "include_all_metadata": True,
            }
            if cursor:
                params["cursor"] = cursor
            page = self.api.call("conversations.history", **params)
            for item in page.get("messages") or []:
                meta = item.get("metadata") or {}
                key = (meta.get("event_payload") or {}).get("key")
                if meta.get("event_type") == EVENT_TYPE and key in keys:
                    found.add(key)
                    self.learnt.posts.setdefault(
                        key, Post(channel, str(item.get("ts") or ""), "", self._clock().isoformat())
                    )
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if found == keys or not page.get("has_more") or not cursor:
                return found
        raise PermanentError(
            f"the history of {channel} goes on past {MAX_HISTORY_PAGES * HISTORY_PAGE} messages "
            f"in {self.config.lookback_days} days; lower lookback_days",
            connector=self.label,
            request="conversations.history",
        )


def _parse(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
