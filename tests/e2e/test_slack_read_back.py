"""Acme with Slack (``examples/acme/opsync.slack.toml``) read back end to end, through the
real slack-sdk against the Slack emulator: the post-launch survey is sent once per channel,
its reactions move the scorecard's surprise measure, a hand-entered answer wins over a
reaction, and the #product-ops requests become wiki records exactly once, even after the
state store is deleted."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from opsync import api
from opsync.testing.emulators.slack import SlackEmulator

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "opsync" / "examples" / "acme"
LAUNCH_DAY = datetime.fromisoformat("2026-12-03T17:00:00-05:00")  # ACME-124 (Tier 2) ships


class Now:
    def __init__(self) -> None:
        self.now = LAUNCH_DAY

    def wall(self) -> float:
        return self.now.timestamp()


@pytest.fixture
def acme_slack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, SlackEmulator, Now]]:
    work = tmp_path / "acme"
    shutil.copytree(EXAMPLE, work)
    config = work / "opsync.slack.toml"
    # messages only through Slack here (the email list is another test's), unpaced
    text = config.read_text(encoding="utf-8")
    text = text.replace('notifier = ["slack", "email"]', 'notifier = ["slack"]')
    paced = ("chat.postMessage", "conversations.history", "conversations.open", "reactions.get")
    unpaced = "".join(f'"{method}" = 6000\n' for method in (*paced, "users.info"))
    config.write_text(f"{text}\n[connectors.slack.requests_per_minute]\n{unpaced}")
    clock = Now()
    with SlackEmulator(clock=clock.wall) as slack:
        slack.seed(json.loads((work / "slack-seed.json").read_text(encoding="utf-8")))
        monkeypatch.setenv("OPSYNC_SLACK_BASE_URL", slack.api_url)
        monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
        yield config, slack, clock


def sync(config: Path, clock: Now, later: timedelta = timedelta(0)) -> api.RunReport:
    clock.now = LAUNCH_DAY + later
    report = api.sync(config, now=clock.now)
    assert report.exit_code == 0, report.failed
    return report


def surprise(report: api.RunReport) -> str:
    return next(r.basis for r in report.scorecard if r.metric == "Stakeholder surprise")


def survey_posts(slack: SlackEmulator) -> dict[str, dict[str, str]]:
    return {
        p["metadata"]["event_payload"]["key"]: p
        for p in slack.all_posts()
        if p["metadata"]["event_payload"]["key"].startswith("survey/")
    }


def test_the_survey_is_answered_with_reactions_and_moves_the_surprise_measure(
    acme_slack: tuple[Path, SlackEmulator, Now],
) -> None:
    config, slack, clock = acme_slack
    before = surprise(sync(config, clock))
    posts = survey_posts(slack)
    assert sorted(posts) == [
        "survey/ACME-121/sales",  # Tier 3, launched Monday: within the 3 days
        "survey/ACME-121/support",
        "survey/ACME-124/sales",  # Tier 2, launched today
        "survey/ACME-124/support",
    ]
    assert (
        "Were you aware of Snowflake key-pair authentication before it shipped?"
        in (posts["survey/ACME-124/sales"]["text"])
    )
    assert before == "5 of 34 survey answers not aware before ship (3 releases)"

    sales, support = posts["survey/ACME-124/sales"], posts["survey/ACME-124/support"]
    slack.react("U0ACMEDERE", sales["channel"], sales["ts"], "x")  # Derek did not know
    slack.react("U0ACMECARL", support["channel"], support["ts"], "white_check_mark")
    slack.react("U0ACMEYUKI", support["channel"], support["ts"], "white_check_mark")
    slack.react("U0ACMEYUKI", support["channel"], support["ts"], "x")  # both: not counted
    read = sync(config, clock, timedelta(hours=2))
    assert surprise(read) == "6 of 36 survey answers not aware before ship (4 releases)"
    assert sorted(survey_posts(slack)) == sorted(posts)  # each asked once

    hand = config.parent / "wiki" / "survey_answers" / "ACME-124-sales-derek.md"
    hand.write_text(
        "---\nkey: ACME-124-sales-derek\nrelease_key: ACME-124\nrespondent: derek\n"
        "team: Sales\naware_before_ship: true\nanswered_on: 2026-12-03\n---\n",
        encoding="utf-8",
    )
    corrected = sync(config, clock, timedelta(hours=4))
    assert surprise(corrected) == "5 of 36 survey answers not aware before ship (3 releases)"


@pytest.mark.sqlite_state  # looks at the SQLite file or the lock file itself
def test_product_ops_requests_are_created_once_even_after_the_state_store_is_lost(
    acme_slack: tuple[Path, SlackEmulator, Now],
) -> None:
    config, slack, clock = acme_slack
    sync(config, clock)
    requests = config.parent / "wiki" / "requests"
    made = sorted(p.name for p in requests.iterdir())
    from_slack = [name for name in made if name.startswith("slack-")]
    assert len(from_slack) == 2  # Derek's and Carla's; not the reply, the join or the deploy bot
    derek = next(p for p in requests.iterdir() if "shared calendar" in p.read_text())
    assert "requested_by: derek" in derek.read_text() and "source: slack" in derek.read_text()
    triaged = derek.read_text().replace("source: slack\n", "source: slack\nstatus: triaged\n")
    derek.write_text(triaged, encoding="utf-8")  # a person triages it

    shutil.rmtree(config.parent / ".opsync")
    again = sync(config, clock, timedelta(hours=2))
    assert sorted(p.name for p in requests.iterdir()) == made
    assert derek.read_text() == triaged
    assert not [op for op in again.plan.operations if op.target.startswith("requests/")]
    keys = Counter(p["metadata"]["event_payload"]["key"] for p in slack.all_posts())
    assert max(keys.values()) == 1  # nothing posted twice after the loss either
