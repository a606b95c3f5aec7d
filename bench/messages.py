"""Messaging benchmark: a week of cron on Acme with Slack and email, and what each run asks.

Usage::

    .venv/bin/python -m bench.messages [--step-minutes 5] [--days 7] [--json FILE]

Acme (``examples/acme/opsync.slack.toml``) is synced every ``--step-minutes`` of simulated
time from Monday 2026-11-30 06:00 (America/New_York) for ``--days`` days, against the Slack
emulator (its documented rate limits off) and a loopback SMTP server. For every run it records
the Slack requests by method (from the emulator) and the emails received, and reports: runs,
runs with nothing to send and the Slack requests they made (the goal: none), the runs that
read a channel's history (only when recovering: a send in doubt, or a new state store), the
requests per message sent, and each message key's count (the goal: one).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import socket
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from opsync import api
from opsync.testing.emulators.slack import SlackEmulator

EXAMPLE = Path(__file__).resolve().parents[1] / "src" / "opsync" / "examples" / "acme"
START = datetime.fromisoformat("2026-11-30T06:00:00-05:00")
METHODS = (
    "auth.test",
    "chat.postMessage",
    "chat.update",
    "conversations.history",
    "conversations.open",
    "users.lookupByEmail",
)


@dataclass
class Inbox:
    received: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(bytes(envelope.content))
        return "250 OK"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step-minutes", type=int, default=5)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        result = week(Path(tmp), args.step_minutes, args.days)
    result["machine"] = f"{platform.system()} {platform.machine()}, Python {sys.version.split()[0]}"
    text = json.dumps(result, indent=2, sort_keys=True)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


def week(tmp: Path, step: int, days: int) -> dict[str, Any]:
    import os

    work = tmp / "acme"
    shutil.copytree(EXAMPLE, work)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        with SlackEmulator() as slack:
            slack.seed(json.loads((work / "slack-seed.json").read_text(encoding="utf-8")))
            os.environ.update(
                OPSYNC_SLACK_BASE_URL=slack.api_url,
                SLACK_BOT_TOKEN=slack.token,
                OPSYNC_SMTP_HOST="127.0.0.1",
                OPSYNC_SMTP_PORT=str(port),
            )
            return _run(work / "opsync.slack.toml", slack, inbox, step, days)
    finally:
        smtp.stop()


def _run(config: Path, slack: SlackEmulator, inbox: Inbox, step: int, days: int) -> dict[str, Any]:
    runs = quiet = quiet_calls = sent = 0
    history_runs: list[str] = []
    by_method: Counter[str] = Counter()
    started = time.perf_counter()
    now, end = START, START + timedelta(days=days)
    while now < end:
        slack.reset_counts()
        report = api.sync(config, now=now)
        if report.exit_code != 0:
            raise SystemExit(f"{now}: exit {report.exit_code}: {report.failed[:2]}")
        runs += 1
        sends = sum(op.kind == "send" for op in report.done)
        sent += sends
        calls = {m: slack.calls(m) for m in METHODS}
        by_method.update({m: n for m, n in calls.items() if n})
        if calls["conversations.history"]:
            history_runs.append(now.isoformat())
        if not sends:
            quiet += 1
            quiet_calls += slack.counts.total
        now += timedelta(minutes=step)
    posts = Counter(p["metadata"]["event_payload"]["key"] for p in slack.all_posts())
    return {
        "runs": runs,
        "seconds": round(time.perf_counter() - started, 1),
        "runs_with_nothing_to_send": quiet,
        "slack_requests_in_those_runs": quiet_calls,
        "runs_that_read_history": history_runs,
        "messages_sent": sent,
        "slack_posts": sum(posts.values()),
        "slack_keys_posted_more_than_once": sorted(k for k, n in posts.items() if n > 1),
        "emails_received": len(inbox.received),
        "slack_requests_by_method": dict(sorted(by_method.items())),
    }


if __name__ == "__main__":
    raise SystemExit(main())
