"""A week of cron: the Acme organisation synced every 5 minutes of simulated time, its
messages sent to the Slack emulator and a loopback SMTP server.

Whatever the number of runs, each weekly post, announcement, reminder, Day 3 thread, retro
reminder, owner digest and escalation reaches its channel or person exactly once, and a run
with nothing to send asks Slack nothing but the read-back (survey reactions, the #product-ops
intake), at most once an hour (``read_back_minutes``). CI syncs every 5 minutes on the day
most messages fall due (Thursday 07:00 to 18:00: reminders, the update, its post and email)
and every hour otherwise; OPSYNC_WEEK_FULL=1 syncs every 5 minutes for the whole week
(2,016 runs; the figures are in docs/benchmarks.md).
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import shutil
import socket
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from opsync import api
from opsync.testing.emulators.slack import SlackEmulator

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "opsync" / "examples" / "acme"
START = datetime.fromisoformat("2026-11-30T06:00:00-05:00")  # Monday, week 49
END = START + timedelta(days=7)
FULL = os.environ.get("OPSYNC_WEEK_FULL") == "1"
#: What reading Slack back asks (connectors/slack/signals.py): reactions, history, people.
READ_BACK = {"reactions.get", "conversations.history", "users.info", "auth.test"}
STAKEHOLDERS = {
    "sales@acme-analytics.example",
    "cs@acme-analytics.example",
    "support@acme-analytics.example",
    "eng-leads@acme-analytics.example",
    "execs@acme-analytics.example",
}


@dataclass
class Inbox:
    """What the loopback SMTP server received, as aiosmtpd's handler hook sees it."""

    received: list[tuple[list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"


def clock_times() -> Iterator[datetime]:
    now = START
    while now < END:
        yield now
        busy = now.weekday() == 3 and 7 <= now.hour < 18
        now += timedelta(minutes=5 if FULL or busy else 60)


@pytest.fixture
def week(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, SlackEmulator, Inbox]]:
    work = tmp_path / "acme"
    shutil.copytree(EXAMPLE, work)
    config = work / "opsync.slack.toml"
    # the read-back unpaced (paced, an hour's survey reads take seconds); posting stays paced
    unpaced = "".join(f'"{method}" = 6000\n' for method in sorted(READ_BACK))
    text = config.read_text(encoding="utf-8")
    config.write_text(f"{text}\n[connectors.slack.requests_per_minute]\n{unpaced}")
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    with SlackEmulator() as slack:
        slack.seed(json.loads((work / "slack-seed.json").read_text(encoding="utf-8")))
        monkeypatch.setenv("OPSYNC_SLACK_BASE_URL", slack.api_url)
        monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
        monkeypatch.setenv("OPSYNC_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("OPSYNC_SMTP_PORT", str(port))
        try:
            yield work / "opsync.slack.toml", slack, inbox
        finally:
            smtp.stop()


def test_a_week_of_cron_sends_each_message_once_to_the_right_place(
    week: tuple[Path, SlackEmulator, Inbox],
) -> None:
    config, slack, inbox = week
    runs = quiet = 0
    history_runs = []
    for now in clock_times():
        slack.reset_counts()
        report = api.sync(config, now=now)
        assert report.exit_code == 0, (now, report.failed)
        runs += 1
        sends = [op for op in report.plan.operations if op.kind == "send"]
        if slack.calls("conversations.history"):
            history_runs.append(now)
        if not sends:
            quiet += 1
            asked = {path.removeprefix("/api/") for _, path in slack.counts.by_endpoint}
            assert asked <= READ_BACK, f"{now}: a run with nothing to send called {asked}"

    posts = slack.all_posts()
    keys = Counter(p["metadata"]["event_payload"]["key"] for p in posts)
    assert keys and max(keys.values()) == 1, [k for k, n in keys.items() if n > 1]
    where = {p["metadata"]["event_payload"]["key"]: p["channel"] for p in posts}

    def channel(name: str) -> str:
        return slack.workspace.channel_named(name).id  # type: ignore[union-attr]

    def dm(person: str) -> str:
        # PMs are found by their email; Eng leads, who have none in acme, by their @handle
        user = slack.workspace.user_by_email(f"{person}@acme-analytics.example") or next(
            (u for u in slack.workspace.users.values() if u.name == person), None
        )
        assert user is not None
        return slack.dm_channel(user.id)

    assert where["weekly-update/2026-W49/slack"] == channel("product-updates")
    announced = sorted(k for k in where if k.startswith("bundle-published/"))
    assert announced, "no bundle was announced"
    for key in announced:
        release = key.split("/")[1]
        first = where[f"bundle-published/{release}"]
        second = where[f"bundle-published/{release}/#sales"]
        assert (first, second) == (channel("support"), channel("sales"))
    day3 = [k for k in where if k.startswith("post-launch-day3/")]
    assert day3 and all(where[k] == channel("product-ops") for k in day3)
    assert where["weekly-reminder/2026-W49/priya"] == dm("priya")  # the PM who did not submit
    retro = [k for k in where if k.startswith("post-launch-day14/")]
    assert retro, "no Day 14 reminder went out"
    digests = [k.split("/") for k in where if k.startswith("owner-digest/")]
    per_day = Counter((person, day) for _, person, day, _ in digests)
    assert digests and max(per_day.values()) == 1  # at most one digest a day per person
    assert all(where["/".join(d)] == dm(d[1]) for d in digests)
    assert where[next(k for k in where if k.startswith("escalation/"))] == dm("grace")

    mails = [
        email.message_from_bytes(raw, policy=email.policy.default) for _, raw in inbox.received
    ]
    ids = Counter(m["Message-ID"] for m in mails)
    assert ids and max(ids.values()) == 1
    [weekly] = [
        (to, m)
        for (to, _), m in zip(inbox.received, mails, strict=True)
        if m["X-Opsync-Key"] == "weekly-update/2026-W49/email"
    ]
    assert set(weekly[0]) == STAKEHOLDERS
    assert weekly[1]["Subject"].startswith("Weekly Product Update")
    # history is read when recovering (the first run of a new store) and for the intake
    # channel, at most once in read_back_minutes: never run after run
    assert history_runs and history_runs[0] == START
    assert all(b - a >= timedelta(minutes=60) for a, b in pairwise(history_runs)), history_runs
    assert quiet > runs // 2
    print(f"{runs} runs, {quiet} with nothing to send, {len(posts)} posts, {len(mails)} emails")
