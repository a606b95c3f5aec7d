"""A Slack Web API emulator shipped with opsync, as the Notion and Jira ones are.

It serves, on loopback, the methods a notifier and its read-back need (auth.test,
chat.postMessage, chat.update, conversations.history/replies/info/members/open,
users.lookupByEmail, users.info, reactions.get/add) with
Slack's envelope, scopes, limits and failure modes, so the Slack connector is tested
through the official ``slack_sdk.WebClient``::

    with SlackEmulator() as emu:
        client = WebClient(token=emu.token, base_url=emu.base_url + "/api/")

`opsync emulate slack --port PORT` (wired elsewhere) runs `main`. The sources for each
behaviour are cited in `slack_methods`, `slack_http`, `slack_faults` and `slack_blocks`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from opsync.testing.emulators.emulator_server import FaultingEmulator, LoopbackServer
from opsync.testing.emulators.slack_faults import Faults, RateLimits
from opsync.testing.emulators.slack_http import App, Handler
from opsync.testing.emulators.slack_model import (
    DEFAULT_SCOPES,
    Channel,
    Json,
    Message,
    WallClock,
    Workspace,
)

DEFAULT_TOKEN = "xoxb-opsync-emulator"


class SlackEmulator(FaultingEmulator):
    """One emulated workspace with one installed bot, served on a background thread.

    Args:
        token: the bot token, granted `scopes` (by default every scope the methods need).
        enforce_limits: apply Slack's documented rate limits (off: tests stay fast).
        clock: the wall clock message timestamps come from.
        limit_clock: the monotonic clock the rate limits refill by (tests step it).
    """

    poll_interval = 0.05

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = DEFAULT_TOKEN,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        enforce_limits: bool = False,
        clock: WallClock = time.time,
        limit_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.workspace = Workspace(clock)
        self.workspace.add_token(token, scopes)
        self._app = App(self.workspace, RateLimits(limit_clock))
        self._app.limits.enforce(enforce_limits)
        super().__init__(LoopbackServer((host, port), Handler, self._app), "slack-emulator")

    @property
    def faults(self) -> Faults:
        return self._app.faults

    @property
    def api_url(self) -> str:
        """What ``WebClient`` takes as ``base_url``."""
        return self.base_url + "/api/"

    @property
    def bot_user_id(self) -> str:
        return self.workspace.bot_user

    @property
    def bot_id(self) -> str:
        return self.workspace.bot_id

    def enforce_limits(self, on: bool = True) -> None:
        """Switch Slack's documented rate limits on (fresh buckets) or off."""
        self._app.limits.enforce(on)

    def calls(self, method: str) -> int:
        """Requests made to a Web API method (``"chat.postMessage"``), GET and POST."""
        counts = self.counts
        return counts.of("GET", f"/api/{method}") + counts.of("POST", f"/api/{method}")

    # ------------------------------------------------------------------ seeding

    def set_team(self, team_id: str, name: str, domain: str) -> None:
        with self.workspace.lock:
            ws = self.workspace
            ws.team_id, ws.team, ws.domain = team_id, name, domain

    def add_token(self, token: str, scopes: Iterable[str]) -> None:
        """Another token for the same bot, e.g. one missing a scope."""
        with self.workspace.lock:
            self.workspace.add_token(token, scopes)

    def add_user(self, user_id: str, name: str, email: str | None = None) -> str:
        with self.workspace.lock:
            return self.workspace.add_user(user_id, name, email).id

    def add_channel(
        self,
        name: str,
        *,
        channel_id: str | None = None,
        private: bool = False,
        member: bool = True,
        members: Iterable[str] = (),
        archived: bool = False,
    ) -> str:
        """A channel; `member` says whether the bot is in it. Returns its id."""
        with self.workspace.lock:
            return self.workspace.add_channel(
                name, channel_id=channel_id, private=private, member=member,
                members=members, archived=archived,
            ).id  # fmt: skip

    def set_member(self, channel: str, member: bool = True) -> None:
        """Invite the bot to (or remove it from) a channel."""
        with self.workspace.lock:
            people = self._channel(channel).members
            bot = self.workspace.bot_user
            if member and bot not in people:
                people.append(bot)
            if not member and bot in people:
                people.remove(bot)

    def dm_channel(self, user_id: str) -> str:
        """The bot's DM with a person (opened if need be)."""
        with self.workspace.lock:
            return self.workspace.open_im(user_id)[0].id

    def post_as(
        self,
        user_id: str,
        channel: str,
        text: str,
        thread_ts: str | None = None,
        *,
        ts: str | None = None,
        subtype: str | None = None,
        bot: bool = False,
    ) -> str:
        """A message by a person (a reply when `thread_ts` is given; another app's when
        `bot`; a system message such as ``channel_join`` with `subtype`); `ts` places it in
        the past. Returns its ts."""
        with self.workspace.lock:
            target = self._channel(channel)
            message = self.workspace.post(
                target, user_id, text, thread_ts=thread_ts, ts=ts, subtype=subtype, bot=bot
            )
            if bot:
                message.bot_id = f"B0{user_id[2:]}"  # another app's bot, not opsync's
            return message.ts

    def react(self, user_id: str, channel: str, ts: str, name: str) -> None:
        """`user_id` reacts with `name` (``white_check_mark``) to the message at `ts`."""
        with self.workspace.lock:
            message = self.workspace.find(self._channel(channel), ts)
            if message is None:
                raise KeyError(f"no message {ts} in {channel!r}")
            users = message.reactions.setdefault(name.strip(":"), [])
            if user_id not in users:
                users.append(user_id)

    def unreact(self, user_id: str, channel: str, ts: str, name: str) -> None:
        with self.workspace.lock:
            message = self.workspace.find(self._channel(channel), ts)
            if message is not None and user_id in message.reactions.get(name, []):
                message.reactions[name].remove(user_id)

    def seed(self, data: Json) -> None:
        """Seed from a dict: ``team``, ``users``, ``channels`` and their ``messages`` (see
        `load_seed`)."""
        team = data.get("team")
        if team:
            self.set_team(team["id"], team["name"], team.get("domain", "opsync-emulator"))
        for user in data.get("users", []):
            self.add_user(user["id"], user["name"], user.get("email"))
        for channel in data.get("channels", []):
            self.add_channel(
                channel["name"], channel_id=channel.get("id"),
                private=bool(channel.get("private")), member=channel.get("member", True),
                members=channel.get("members", []),
            )  # fmt: skip
        for channel in data.get("channels", []):
            for number, message in enumerate(channel.get("messages", [])):
                self._seed_message(channel["name"], number, message)

    def _seed_message(self, channel: str, number: int, message: Json) -> None:
        """One past message: ``at`` (ISO, with offset) gives its ts, ``number`` keeps ts
        unique within the second; ``reply_to`` the ``at`` of the thread's parent."""

        def stamp(at: str, sequence: int) -> str:
            return f"{int(datetime.fromisoformat(at).timestamp())}.{sequence:06d}"

        ts = stamp(message["at"], number)
        parent = None
        if message.get("reply_to"):
            parent = self._seeded_ts(channel, message["reply_to"])
        self.post_as(
            message["user"], channel, message.get("text", ""), parent, ts=ts,
            subtype=message.get("subtype"), bot=bool(message.get("bot")),
        )  # fmt: skip
        for name, users in message.get("reactions", {}).items():
            for user in users:
                self.react(user, channel, ts, name)

    def _seeded_ts(self, channel: str, at: str) -> str:
        second = str(int(datetime.fromisoformat(at).timestamp()))
        with self.workspace.lock:
            for found in self._channel(channel).messages:
                if found.ts.split(".")[0] == second:
                    return found.ts
        raise KeyError(f"no seeded message at {at} in {channel!r} to reply to")

    # ------------------------------------------------------------------ inspection

    def messages(self, channel: str) -> list[Json]:
        """Every message in a channel (replies included), oldest first, as stored: text,
        ts, thread_ts, user, bot_id, blocks, metadata."""
        with self.workspace.lock:
            stored = self._channel(channel).messages
            flat = [m for top in stored for m in (top, *top.replies)]
            return [_stored(m) for m in sorted(flat, key=lambda m: float(m.ts))]

    def all_posts(self) -> list[Json]:
        """Every message the bot posted, in every conversation, oldest first."""
        with self.workspace.lock:
            found = [
                _stored(m)
                for c in self.workspace.channels.values()
                for top in c.messages
                for m in (top, *top.replies)
                if m.bot_id == self.workspace.bot_id
            ]
        return sorted(found, key=lambda m: float(m["ts"]))

    def _channel(self, key: str) -> Channel:
        ws = self.workspace
        found = ws.channels.get(key) or ws.channel_named(key)
        if found is None:
            raise KeyError(f"no channel {key!r} in the emulated workspace")
        return found


def _stored(message: Message) -> Json:
    return {
        "channel": message.channel,
        "ts": message.ts,
        "thread_ts": message.thread_ts,
        "text": message.text,
        "user": message.user,
        "bot_id": message.bot_id,
        "blocks": message.blocks,
        "metadata": message.metadata,
    }


def load_seed(path: Path) -> Json:
    """A seed file: JSON ``{"team": {"id", "name", "domain"}, "users": [{"id", "name",
    "email"}], "channels": [{"name", "id"?, "private"?, "member"?, "members"?, "messages"?:
    [{"user", "text", "at", "subtype"?, "bot"?, "reply_to"?, "reactions"?: {name: [user]}}]}]}``
    (``at``: when it was posted, ISO with an offset)."""
    data: Any = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a seed is a JSON object")
    return data


def main(argv: Sequence[str] | None = None) -> int:
    """Serve an emulator until interrupted, after printing how to point opsync at it."""
    parser = argparse.ArgumentParser(prog="opsync emulate slack", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--seed", type=Path, default=None, help="a JSON seed file")
    parser.add_argument(
        "--enforce-limits", action="store_true", help="apply Slack's documented rate limits"
    )
    args = parser.parse_args(argv)
    emulator = SlackEmulator(
        host=args.host, port=args.port, token=args.token, enforce_limits=args.enforce_limits
    )
    if args.seed is not None:
        emulator.seed(load_seed(args.seed))
    else:
        emulator.add_channel("general")
    banner = [
        f"Slack emulator serving at {emulator.base_url} (Web API under {emulator.api_url})",
        f"export SLACK_BOT_TOKEN={emulator.token}",
        f"export OPSYNC_SLACK_BASE_URL={emulator.api_url}",
    ]
    return emulator.serve_until_interrupted(banner, "Slack emulator stopped.")


if __name__ == "__main__":
    sys.exit(main())
