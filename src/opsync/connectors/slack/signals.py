"""What people said back in Slack: reactions to opsync's surveys, status pings, requests.

The Slack connector plays the ``signals`` role (:class:`~opsync.connectors.base.SignalSource`)
with this reader. Each part costs a bounded number of calls, so a run with nothing new asks
little of Slack:

- **Reactions** (``reactions.get`` with ``full``, https://docs.slack.dev/reference/methods/
  reactions.get): only for the messages opsync posted (their channel and ``ts`` are in the
  notifier's mirror) under the asked key prefixes, and only while they are younger than
  ``reaction_days``. What was read is kept in this reader's mirror, so a survey's answers
  outlive its window without being read again.
- **Status pings** (``conversations.history``, cursor-paginated with ``oldest`` and
  ``limit``, https://docs.slack.dev/reference/methods/conversations.history): counts per ISO
  week of the messages matching the patterns. A week is counted once, by the first run after
  it ended, and kept; later runs read from the current week's Monday only, one page per
  channel in a quiet week. A change of patterns or of the first week counts again.
- **Intake**: the intake channel's top-level messages by people over the last
  ``intake_days``, re-read every run (one page in a channel of requests), so a request the
  wiki failed to create is offered again; the engine creates each once, by its key.

Who reacted or asked is matched to a configured person by Slack id (``users`` in the config,
a person's ``slack = "U…"``, ids learnt from emails), else by ``users.info``'s email or
handle against ``[[org.people]]`` (asked once per user, kept in the mirror).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from opsync.connectors.base import ChatRequest, PingCount, Reaction, SignalAsk, Signals
from opsync.domain import Finding, Level
from opsync.errors import ConnectorError

if TYPE_CHECKING:
    from opsync.connectors.slack.notifier import SlackNotifier

_log = logging.getLogger("opsync.slack")

MIRROR = "signals"
HISTORY_PAGE = 200
MAX_PAGES = 50  # 10,000 messages a read: past that the read stops, with a finding
KEEP_DAYS = 400  # answers read are kept this long after their message was posted


@dataclass
class Heard:
    """This reader's mirror."""

    me: dict[str, str] = field(default_factory=dict)  # auth.test's user_id and url
    users: dict[str, dict[str, str]] = field(default_factory=dict)  # users.info: name, email
    # message key → {"channel", "ts", "users": {user: [reaction names]}}
    reactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    # "pings": {"basis": digest of patterns + first week, "weeks": {channel: {monday: n}}}
    pings: dict[str, Any] = field(default_factory=dict)
    read_at: dict[str, str] = field(default_factory=dict)  # part → when Slack was last read

    @classmethod
    def load(cls, text: str | None) -> Heard:
        if not text:
            return cls()
        try:
            data = json.loads(text)
            return cls(
                me=dict(data.get("me", {})),
                users=dict(data.get("users", {})),
                reactions=dict(data.get("reactions", {})),
                pings=dict(data.get("pings", {})),
                read_at=dict(data.get("read_at", {})),
            )
        except (ValueError, TypeError, AttributeError):
            return cls()  # a cache: lost, it costs reads again

    def dump(self) -> str:
        return json.dumps(
            {
                "me": self.me,
                "users": self.users,
                "reactions": self.reactions,
                "pings": self.pings,
                "read_at": self.read_at,
            },
            sort_keys=True,
        )


def posted_at(ts: str) -> datetime:
    """A message's ``ts`` (``<unix seconds>.<sequence>``) as the instant it was posted."""
    return datetime.fromtimestamp(float(ts), UTC)


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


class SignalReader:
    """Reads one :class:`SignalAsk` through the notifier's API and mirror."""

    def __init__(self, notifier: SlackNotifier) -> None:
        self.notifier = notifier
        self.api = notifier.api
        self.heard = Heard.load(notifier.state.get(MIRROR))
        self._now = notifier.now()  # the run's instant, from each ask
        notifier.state.keep(MIRROR, self._dump)

    def _dump(self) -> str:
        horizon = self._now - timedelta(days=KEEP_DAYS)
        self.heard.reactions = {
            k: v for k, v in self.heard.reactions.items() if posted_at(v["ts"]) >= horizon
        }
        return self.heard.dump()

    def read(self, ask: SignalAsk) -> Signals:
        self._now = ask.now or self.notifier.now()
        out = Signals()
        zone = ZoneInfo(ask.timezone)
        for part in (self._reactions, self._pings, self._intake):
            try:
                part(ask, zone, out)
            except ConnectorError as exc:
                out.findings.append(self._finding(str(exc)))
        return out

    def _due(self, part: str) -> bool:
        """Whether ``part`` is to be read from Slack this run: not read successfully in the
        last ``read_back_minutes``."""
        last = self.heard.read_at.get(part)
        every = timedelta(minutes=self.notifier.config.read_back_minutes)
        since = self._now - datetime.fromisoformat(last) if last else None
        return since is None or not timedelta(0) <= since < every

    def _done(self, part: str) -> None:
        self.heard.read_at[part] = self._now.isoformat()

    # -- reactions ---------------------------------------------------------------------------

    def _reactions(self, ask: SignalAsk, zone: ZoneInfo, out: Signals) -> None:
        if not ask.reactions:
            return
        if self._due("reactions"):
            self._read_reactions(ask)
            self._done("reactions")
        me = self._me()
        for key, seen in sorted(self.heard.reactions.items()):
            if not key.startswith(ask.reactions):
                continue
            on = posted_at(seen["ts"]).astimezone(zone).date()
            for user, names in sorted(seen["users"].items()):
                if user != me:  # opsync's own reactions are no answer
                    out.reactions.append(
                        Reaction(key, user, self.person_of(user), tuple(sorted(names)), on)
                    )

    def _read_reactions(self, ask: SignalAsk) -> None:
        now = self._now
        window = timedelta(days=ask.reaction_days)
        for key, post in sorted(self.notifier.learnt.posts.items()):
            if not key.startswith(ask.reactions) or not post.ts or not post.channel:
                continue
            if now - posted_at(post.ts) > window:
                continue  # its answers are final: what was read last is kept
            try:
                answer = self.api.call(
                    "reactions.get", channel=post.channel, timestamp=post.ts, full=True
                )
            except ConnectorError as exc:
                if getattr(exc, "code", None) == "message_not_found":
                    self.heard.reactions.pop(key, None)  # deleted in Slack: no answers
                    continue
                raise
            users: dict[str, list[str]] = {}
            for reaction in (answer.get("message") or {}).get("reactions") or []:
                for user in reaction.get("users") or []:
                    users.setdefault(str(user), []).append(str(reaction.get("name") or ""))
            self.heard.reactions[key] = {"channel": post.channel, "ts": post.ts, "users": users}

    # -- status pings ------------------------------------------------------------------------

    def _pings(self, ask: SignalAsk, zone: ZoneInfo, out: Signals) -> None:
        if not ask.ping_channels:
            return
        now = self._now
        this_week = monday(now.astimezone(zone).date())
        basis = hashlib.sha256(json.dumps([ask.ping_patterns, str(ask.ping_since)]).encode())
        if self.heard.pings.get("basis") != basis.hexdigest():
            # without a first week configured, the first read's is kept: ten weeks back
            start = ask.ping_since or this_week - timedelta(weeks=10)
            self.heard.pings = {"basis": basis.hexdigest(), "first": str(start), "weeks": {}}
        first = monday(date.fromisoformat(self.heard.pings["first"]))
        patterns = [re.compile(p, re.IGNORECASE) for p in ask.ping_patterns]
        weeks: dict[str, dict[str, int]] = self.heard.pings["weeks"]
        for address in ask.ping_channels:
            channel = self._channel(address, "[rules.scorecard] ping_channels", out)
            if channel is None:
                continue
            counted = weeks.setdefault(address, {})
            done = [date.fromisoformat(w) for w in counted]
            start = max([first, *(w + timedelta(weeks=1) for w in done)])
            if start < this_week:  # weeks over and not counted yet: counted now, once
                found: dict[date, int] = {}
                oldest = datetime.combine(start, datetime.min.time(), zone)
                for item in self._history(channel, oldest, out, address):
                    if self._by_person(item) and any(p.search(item["text"]) for p in patterns):
                        week = monday(posted_at(item["ts"]).astimezone(zone).date())
                        found[week] = found.get(week, 0) + 1
                while start < this_week:
                    counted[start.isoformat()] = found.get(start, 0)
                    start += timedelta(weeks=1)
            # else every week over is counted already: nothing to ask Slack before Monday
            out.pings.extend(
                PingCount(address, date.fromisoformat(w), n) for w, n in sorted(counted.items())
            )

    # -- intake ------------------------------------------------------------------------------

    def _intake(self, ask: SignalAsk, zone: ZoneInfo, out: Signals) -> None:
        address = ask.intake_channel
        if not address or not self._due("intake"):
            return  # not asked, or read in the last read_back_minutes: created already
        channel = self._channel(address, "[rules.intake] slack_channel", out)
        if channel is None:
            return
        oldest = self._now - timedelta(days=ask.intake_days)
        me = self._me()
        found = list(self._history(channel, oldest, out, address))
        for item in sorted(found, key=lambda m: float(m["ts"])):  # oldest first
            if not self._by_person(item) or item.get("user") == me:
                continue
            ts = str(item["ts"])
            user = str(item.get("user") or "")
            out.requests.append(
                ChatRequest(
                    key=f"slack-{channel}-{ts.replace('.', '-')}",
                    channel=address,
                    text=str(item.get("text") or ""),
                    user=user,
                    person=self.person_of(user),
                    on=posted_at(ts).astimezone(zone).date(),
                    link=self._permalink(channel, ts),
                )
            )
        self._done("intake")

    # -- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _by_person(item: dict[str, Any]) -> bool:
        """A person's own top-level message: not a bot's or an app's, not a system message
        (``subtype``: channel_join, bot_message...), not a reply in a thread."""
        if item.get("subtype") or item.get("bot_id") or not item.get("user"):
            return False
        thread = item.get("thread_ts")
        return (not thread or thread == item.get("ts")) and bool(str(item.get("text")).strip())

    def _history(
        self, channel: str, oldest: datetime, out: Signals, address: str
    ) -> Iterator[dict[str, Any]]:
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            params: dict[str, Any] = {
                "channel": channel,
                "oldest": f"{oldest.timestamp():.6f}",
                "limit": HISTORY_PAGE,
            }
            if cursor:
                params["cursor"] = cursor
            page = self.api.call("conversations.history", **params)
            yield from page.get("messages") or []
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not page.get("has_more") or not cursor:
                return
        out.findings.append(
            self._finding(
                f"{address} holds more than {MAX_PAGES * HISTORY_PAGE} messages since "
                f"{oldest.date()}; only those were read (set a later ping_since)",
                Level.WARNING,
            )
        )

    def _channel(self, address: str, setting: str, out: Signals) -> str | None:
        channel = self.notifier.config.channels.get(address)
        if channel is None and not address.startswith("#"):
            channel = address  # an id given directly
        if channel is None:
            out.findings.append(
                self._finding(
                    f"{address} (from {setting}) has no id under [connectors."
                    f'{self.notifier.label}.channels]: Slack reads a channel by id; add "{address}"'
                    ' = "C…" (the channel\'s details → copy channel ID)',
                )
            )
        return channel

    def _me(self) -> str:
        if "user" not in self.heard.me:
            answer = self.api.call("auth.test")
            self.heard.me = {
                "user": str(answer.get("user_id") or ""),
                "url": str(answer.get("url") or ""),
            }
        return self.heard.me["user"]

    def _permalink(self, channel: str, ts: str) -> str | None:
        """The message's link, in the form Slack's permalinks take
        (``https://<team>.slack.com/archives/<channel>/p<ts without the dot>``), built
        rather than asked of ``chat.getPermalink``: one call fewer per request."""
        self._me()
        base = self.heard.me.get("url", "")
        if not base.startswith("https://"):
            return None
        return f"{base.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"

    def person_of(self, user: str) -> str | None:
        """The configured person Slack user ``user`` is, or None."""
        notifier = self.notifier
        for key, uid in [*notifier.config.users.items(), *notifier.learnt.users.items()]:
            if uid == user:
                return key
        for person in notifier.people.values():
            if person.slack == user:
                return person.key
        if user not in self.heard.users:
            try:
                answer = self.api.call("users.info", user=user)
            except ConnectorError as exc:
                _log.warning("could not look up Slack user %s (%s)", user, exc)
                return None
            profile = (answer.get("user") or {}).get("profile") or {}
            self.heard.users[user] = {
                "name": str((answer.get("user") or {}).get("name") or ""),
                "display": str(profile.get("display_name") or ""),
                "email": str(profile.get("email") or ""),
            }
        seen = self.heard.users[user]
        handles = {seen["name"].lower(), seen["display"].lower()} - {""}
        for person in notifier.people.values():
            if person.email and person.email.lower() == seen["email"].lower():
                return person.key
            if person.slack and person.slack.lstrip("@").lower() in handles:
                return person.key
        return None

    def _finding(self, message: str, level: Level = Level.WARNING) -> Finding:
        return Finding(
            code="slack.signals",
            record=f"config/connectors/{self.notifier.label}",
            level=level,
            message=f"Slack read-back (surveys, status pings, intake): {message}",
        )
