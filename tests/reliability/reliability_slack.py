"""The messaging target: the local workspace with its messages sent to the Slack emulator
and a loopback SMTP server (``examples/acme/opsync.slack.toml``).

Its dump is what people received: every post of the app in every Slack conversation (its
key, text and blocks; timestamps left out) and every email the server accepted (its
Message-ID and recipients, one entry per delivery), beside the workspace's files (the
outbox copies included). A message sent twice is two entries, so a duplicate shows as a
difference from the clean run. Restoring a trial puts the Slack workspace and the inbox
back as they were after the base sync.
"""

from __future__ import annotations

import copy
import email
import email.policy
import json
import re
import shutil
import socket
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from reliability_targets import (
    BASE_NOW,
    EXAMPLE,
    _edit_local_pages,
    _edit_local_records,
    _files,
    _when,
)

from opsync import api
from opsync.testing.emulators.slack import SlackEmulator


@dataclass
class Inbox:
    received: list[tuple[tuple[str, ...], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((tuple(sorted(envelope.rcpt_tos)), bytes(envelope.content)))
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class SlackTarget:
    """Acme's messages through Slack and email; pages and records in local folders."""

    name = "slack"

    def __init__(self, root: Path, slack: SlackEmulator, inbox: Inbox, port: int) -> None:
        self.slack, self.inbox, self.port = slack, inbox, port
        self.work = root / "trial"
        self.config = self.work / "opsync.slack.toml"
        shutil.copytree(EXAMPLE, self.work)
        text, paced = re.subn(  # the emulator does not limit: no need to pace at Slack's rate
            r'(?m)^type = "slack".*$',
            'type = "slack"\nrequests_per_minute = { "chat.postMessage" = 60000, '
            '"conversations.history" = 60000, "conversations.open" = 60000, '
            '"users.lookupByEmail" = 60000 }',
            self.config.read_text(encoding="utf-8"),
        )
        assert paced == 1, "the example's Slack connector was not found"
        self.config.write_text(text, encoding="utf-8")
        slack.seed(json.loads((self.work / "slack-seed.json").read_text(encoding="utf-8")))
        with self.session():
            api.sync(self.config, now=_when(BASE_NOW))
        _edit_local_pages(self.work / "pages")
        _edit_local_records(self.work / "wiki")
        self.pristine = root / "pristine"
        shutil.copytree(self.work, self.pristine, symlinks=True)
        with slack.workspace.lock:
            self.channels = copy.deepcopy(slack.workspace.channels)
        self.mail = list(inbox.received)

    def restore(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)
        shutil.copytree(self.pristine, self.work, symlinks=True)
        with self.slack.workspace.lock:
            self.slack.workspace.channels = copy.deepcopy(self.channels)
        self.inbox.received[:] = self.mail

    def env(self) -> dict[str, str]:
        return {
            "OPSYNC_SLACK_BASE_URL": self.slack.api_url,
            "SLACK_BOT_TOKEN": self.slack.token,
            "OPSYNC_SMTP_HOST": "127.0.0.1",
            "OPSYNC_SMTP_PORT": str(self.port),
        }

    def session(self) -> AbstractContextManager[None]:
        return _environment(self.env())

    def state(self) -> Path:
        return self.work / ".opsync"

    def dump(self) -> dict[str, Any]:
        with self.slack.workspace.lock:  # a DM's id is made afresh when a trial opens it
            where = {
                c.id: f"dm:{c.im_user}" if c.is_im else f"#{c.name}"
                for c in self.slack.workspace.channels.values()
            }
        posts = [
            (
                where[p["channel"]],
                (p.get("metadata") or {}).get("event_payload", {}).get("key"),
                p["text"],
                json.dumps(p.get("blocks"), sort_keys=True),
            )
            for p in self.slack.all_posts()
        ]
        policy = email.policy.default
        mails = [
            (email.message_from_bytes(raw, policy=policy)["Message-ID"], to)
            for to, raw in self.inbox.received
        ]
        return {"files": _files(self.work), "slack": sorted(posts), "email": sorted(mails)}


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    import os

    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
