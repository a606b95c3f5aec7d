"""Reading Slack back through the real slack-sdk, against the loopback Slack emulator:
reactions to the surveys opsync sent, status pings counted per week, requests in the intake
channel. Each test counts what the emulator saw, since a quiet run must cost little."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from opsync.connectors.base import Message, PingCount, SignalAsk, Signals
from opsync.connectors.slack import signals as slack_signals
from opsync.connectors.slack.client import SlackApi
from opsync.connectors.slack.config import SlackConnectorConfig
from opsync.connectors.slack.notifier import SlackNotifier
from opsync.domain import Person, Snapshot
from opsync.domain.survey import PingAudit, PulseAnswer, SurveyAnswer
from opsync.engine import signals
from opsync.http import RetryPolicy
from opsync.secrets import Secrets
from opsync.state import MemoryStateStore
from opsync.testing.emulators.slack import SlackEmulator

MONDAY = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # 09:00 in New York, week 49
PEOPLE = (
    Person(key="maya", name="Maya Chen", email="maya@acme.example"),
    Person(key="derek", name="Derek Sullivan", slack="@derek"),
)
OPS, SALES, SUPPORT = "C0PRODOPS1", "C0SALES001", "C0SUPPORT1"


class Clock:
    """The simulated now, shared by opsync and the emulator's message timestamps."""

    def __init__(self) -> None:
        self.now = MONDAY

    def __call__(self) -> datetime:
        return self.now

    def wall(self) -> float:
        return self.now.timestamp()


MADE: list[SlackNotifier] = []


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emulator(clock: Clock) -> Iterator[SlackEmulator]:
    with SlackEmulator(clock=clock.wall) as emu:
        emu.add_channel("product-ops", channel_id=OPS)
        emu.add_channel("sales", channel_id=SALES)
        emu.add_channel("support", channel_id=SUPPORT)
        emu.add_user("U0MAYA0001", "maya", "maya@acme.example")
        emu.add_user("U0DEREK001", "derek", None)
        emu.add_user("U0STRANGER", "visitor", None)
        yield emu
        while MADE:
            MADE.pop().close()


def notifier(emu: SlackEmulator, clock: Clock, store: MemoryStateStore) -> SlackNotifier:
    config = SlackConnectorConfig.model_validate(
        {
            "base_url": emu.api_url,
            "channels": {"#product-ops": OPS, "#sales": SALES, "#support": SUPPORT},
            "requests_per_minute": dict.fromkeys(("conversations.history", "reactions.get"), 6000),
        }
    )
    api = SlackApi(
        config,
        secrets=Secrets({"SLACK_BOT_TOKEN": emu.token}),
        policy=RetryPolicy(max_total_wait=5),
    )
    made = SlackNotifier(config, api, state=store.connector("slack"), people=PEOPLE, clock=clock)
    MADE.append(made)
    return made


def at(day: datetime) -> str:
    return f"{day.timestamp():.6f}"


# ------------------------------------------------------------------ intake


INTAKE = SignalAsk(timezone="America/New_York", intake_channel="#product-ops", intake_days=14)


def test_intake_reads_people_top_level_requests_only(emulator: SlackEmulator, clock: Clock) -> None:
    day = MONDAY - timedelta(days=2)
    asked = emulator.post_as(
        "U0MAYA0001", OPS, "Can we get a launch calendar?\nSales keeps asking.", ts=at(day)
    )
    emulator.post_as("U0MAYA0001", OPS, "+1 from me", thread_ts=asked)  # a reply
    emulator.post_as("U0DEREK001", OPS, "joined", ts=at(day), subtype="channel_join")
    emulator.post_as("U0OTHERBOT", OPS, "deploy finished", ts=at(day), bot=True)
    emulator.post_as("U0STRANGER", OPS, "Template for release notes?", ts=at(day))
    slack = notifier(emulator, clock, MemoryStateStore())
    slack.send(Message(key="ops-note", channel="#product-ops", text="opsync's own post"))

    heard = slack.read_signals(INTAKE)

    assert [(r.text.splitlines()[0], r.person) for r in heard.requests] == [
        ("Can we get a launch calendar?", "maya"),
        ("Template for release notes?", None),
    ]
    request = heard.requests[0]
    assert request.key == f"slack-{OPS}-{asked.replace('.', '-')}"
    assert request.link == (
        f"https://opsync-emulator.slack.com/archives/{OPS}/p{asked.replace('.', '')}"
    )
    assert request.on == date(2026, 11, 28)


def test_intake_keys_are_the_same_after_the_state_store_is_lost(
    emulator: SlackEmulator, clock: Clock
) -> None:
    emulator.post_as("U0MAYA0001", OPS, "A request", ts=at(MONDAY - timedelta(days=1)))
    first = notifier(emulator, clock, MemoryStateStore()).read_signals(INTAKE)
    again = notifier(emulator, clock, MemoryStateStore()).read_signals(INTAKE)
    assert [r.key for r in first.requests] == [r.key for r in again.requests]
    snapshot, seeds = signals.merge(Snapshot(), again)
    assert [s.key for s in seeds] == [first.requests[0].key]
    assert seeds[0].values["source"] == "slack" and "status" not in seeds[0].values
    assert snapshot.requests[0].summary == "A request"


def test_intake_and_reactions_are_read_at_most_once_in_read_back_minutes(
    emulator: SlackEmulator, clock: Clock
) -> None:
    store = MemoryStateStore()
    slack = notifier(emulator, clock, store)
    ts = survey(emulator, slack, "#sales")
    emulator.react("U0MAYA0001", SALES, ts, "white_check_mark")
    both = SignalAsk(timezone="America/New_York", reactions=("survey/",), intake_channel=OPS)
    assert len(slack.read_signals(both).reactions) == 1
    store.commit()
    emulator.reset_counts()
    clock.now += timedelta(minutes=5)  # the next cron run: what was read is kept, unasked
    again = notifier(emulator, clock, store).read_signals(both)
    assert len(again.reactions) == 1 and emulator.counts.total == 0
    clock.now += timedelta(minutes=60)
    notifier(emulator, clock, store).read_signals(both)
    assert emulator.calls("reactions.get") == emulator.calls("conversations.history") == 1


def test_intake_of_a_channel_without_an_id_is_a_finding(
    emulator: SlackEmulator, clock: Clock
) -> None:
    heard = notifier(emulator, clock, MemoryStateStore()).read_signals(
        SignalAsk(intake_channel="#elsewhere")
    )
    assert not heard.requests
    assert [f.code for f in heard.findings] == ["slack.signals"]
    assert "#elsewhere" in heard.findings[0].message


# ------------------------------------------------------------------ status pings

PINGS = SignalAsk(
    timezone="America/New_York",
    ping_channels=("#sales",),
    ping_patterns=(r"what'?s the status", r"any updates? on", r"eta on"),
    ping_since=date(2026, 11, 16),
)


def test_pings_are_counted_per_week_across_pages_then_cost_nothing_until_monday(
    emulator: SlackEmulator, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slack_signals, "HISTORY_PAGE", 3)  # pages of 3: pagination is used
    week47, week48 = datetime(2026, 11, 17, 15, tzinfo=UTC), datetime(2026, 11, 24, 15, tzinfo=UTC)
    for n, text in enumerate(["What's the status of SSO?", "lunch?", "ETA on alerts v2?"]):
        emulator.post_as("U0DEREK001", SALES, text, ts=at(week47 + timedelta(minutes=n)))
    for n, text in enumerate(["any update on SSO", "WHATS THE STATUS of billing", "thanks"]):
        emulator.post_as("U0DEREK001", SALES, text, ts=at(week48 + timedelta(minutes=n)))
    emulator.post_as("U0OTHERBOT", SALES, "what's the status bot", ts=at(week48), bot=True)
    emulator.post_as("U0DEREK001", SALES, "what's the status now?", ts=at(MONDAY))  # this week
    store = MemoryStateStore()

    heard = notifier(emulator, clock, store).read_signals(PINGS)

    assert [(p.week, p.count) for p in heard.pings] == [
        (date(2026, 11, 16), 2),
        (date(2026, 11, 23), 2),
    ]
    assert emulator.calls("conversations.history") == 3  # 8 messages, 3 a page
    store.commit()

    emulator.reset_counts()
    clock.now = MONDAY + timedelta(days=3)
    again = notifier(emulator, clock, store).read_signals(PINGS)
    assert [(p.week, p.count) for p in again.pings] == [(p.week, p.count) for p in heard.pings]
    assert emulator.counts.total == 0  # the weeks over are counted; nothing to ask
    store.commit()

    clock.now = MONDAY + timedelta(days=7)  # week 49 is over: read from its Monday only
    later = notifier(emulator, clock, store).read_signals(PINGS)
    assert [(p.week, p.count) for p in later.pings][-1] == (date(2026, 11, 30), 1)
    assert emulator.calls("conversations.history") == 1


def test_a_throttled_history_read_waits_retry_after(emulator: SlackEmulator, clock: Clock) -> None:
    emulator.post_as("U0DEREK001", SALES, "eta on SSO?", ts=at(datetime(2026, 11, 17, tzinfo=UTC)))
    emulator.faults.fail(429, path="/api/conversations.history", retry_after=1)
    heard = notifier(emulator, clock, MemoryStateStore()).read_signals(PINGS)
    assert heard.pings[0].count == 1 and not heard.findings
    assert emulator.calls("conversations.history") == 2


def test_slack_weeks_defer_to_hand_counts_and_to_a_hand_baseline() -> None:
    counts = [
        PingCount("#sales", date(2026, 11, 16), 9),
        PingCount("#sales", date(2026, 11, 23), 4),
    ]
    alone, _ = signals.merge(Snapshot(), Signals(pings=counts))
    assert [(a.period_start, a.baseline) for a in alone.ping_audits] == [
        (date(2026, 11, 16), True),
        (date(2026, 11, 23), False),
    ]
    by_hand = PingAudit(key="h", period_start=date(2026, 11, 16), count=12, baseline=True)
    merged, _ = signals.merge(Snapshot(ping_audits=(by_hand,)), Signals(pings=counts))
    assert [(a.key, a.count, a.baseline) for a in merged.ping_audits] == [
        ("h", 12, True),
        ("slack-2026-11-23-sales", 4, False),
    ]


# ------------------------------------------------------------------ reactions

SURVEYS = SignalAsk(timezone="America/New_York", reactions=("survey/",), reaction_days=14)


def survey(emulator: SlackEmulator, slack: SlackNotifier, channel: str) -> str:
    slack.send(
        Message(key=f"survey/REL-1/{channel.lstrip('#')}", channel=channel, text="Aware? ✅/❌")
    )
    return emulator.messages(channel.lstrip("#"))[-1]["ts"]


def test_reactions_become_answers_once_per_person_and_release(
    emulator: SlackEmulator, clock: Clock
) -> None:
    store = MemoryStateStore()
    slack = notifier(emulator, clock, store)
    sales, support = survey(emulator, slack, "#sales"), survey(emulator, slack, "#support")
    emulator.react("U0DEREK001", SALES, sales, "x")  # derek, by handle: not aware
    emulator.react("U0DEREK001", SUPPORT, support, "x")  # the same answer twice: one
    emulator.react("U0MAYA0001", SALES, sales, "white_check_mark")  # maya, by email
    emulator.react("U0STRANGER", SALES, sales, "white_check_mark")  # unknown: by Slack id
    emulator.react("U0STRANGER", SALES, sales, "x")  # ...and both: not counted
    emulator.react(emulator.bot_user_id, SALES, sales, "white_check_mark")  # opsync's own

    heard = slack.read_signals(SURVEYS)
    snapshot, _ = signals.merge(Snapshot(), heard)

    assert sorted((a.respondent, a.aware_before_ship) for a in snapshot.survey_answers) == [
        ("derek", False),
        ("maya", True),
    ]
    assert emulator.calls("users.info") == 3  # maya, derek and the stranger, once each
    slack.read_signals(SURVEYS)
    assert emulator.calls("users.info") == 3
    hand = SurveyAnswer(key="h", release_key="REL-1", respondent="derek", aware_before_ship=True)
    merged, _ = signals.merge(Snapshot(survey_answers=(hand,)), heard)
    assert sorted((a.key, a.aware_before_ship) for a in merged.survey_answers) == [
        ("h", True),
        ("slack-REL-1-maya", True),
    ]


def test_reactions_are_read_only_inside_the_window_then_kept(
    emulator: SlackEmulator, clock: Clock
) -> None:
    store = MemoryStateStore()
    slack = notifier(emulator, clock, store)
    ts = survey(emulator, slack, "#sales")
    emulator.react("U0MAYA0001", SALES, ts, "white_check_mark")
    assert len(slack.read_signals(SURVEYS).reactions) == 1
    store.commit()

    clock.now += timedelta(days=15)  # past the window: final, never asked again
    emulator.react("U0DEREK001", SALES, ts, "x")
    emulator.reset_counts()
    later = notifier(emulator, clock, store).read_signals(SURVEYS)
    assert [(r.person, r.names) for r in later.reactions] == [("maya", ("white_check_mark",))]
    assert emulator.calls("reactions.get") == 0


def test_reactions_get_follows_the_documented_envelope(
    emulator: SlackEmulator, clock: Clock
) -> None:
    slack = notifier(emulator, clock, MemoryStateStore())
    ts = survey(emulator, slack, "#sales")
    for user in ("U0MAYA0001", "U0DEREK001", "U0STRANGER", "U0EXTRA001"):
        emulator.react(user, SALES, ts, "white_check_mark")
    partial = slack.api.call("reactions.get", channel=SALES, timestamp=ts)
    [reaction] = partial["message"]["reactions"]
    assert reaction["count"] == 4 and len(reaction["users"]) < 4  # cut without full
    full = slack.api.call("reactions.get", channel=SALES, timestamp=ts, full=True)
    assert len(full["message"]["reactions"][0]["users"]) == 4
    assert full["type"] == "message" and full["channel"] == SALES
    with pytest.raises(Exception, match="message_not_found"):
        slack.api.call("reactions.get", channel=SALES, timestamp="1.000001")


def test_the_pulse_is_answered_in_the_pm_direct_message(
    emulator: SlackEmulator, clock: Clock
) -> None:
    slack = notifier(emulator, clock, MemoryStateStore())
    slack.send(Message(key="pulse/2026-Q4/maya", channel="dm:maya", text="Agree? ✅/❌"))
    dm = emulator.dm_channel("U0MAYA0001")
    [post] = emulator.messages(dm)
    emulator.react("U0MAYA0001", dm, post["ts"], "white_check_mark")
    pulse = SignalAsk(timezone="America/New_York", reactions=("pulse/",))

    heard = slack.read_signals(pulse)
    snapshot, _ = signals.merge(Snapshot(), heard)

    assert [(a.key, a.respondent, a.agree) for a in snapshot.pulse_answers] == [
        ("slack-2026-Q4-maya", "maya", True)
    ]
    hand = PulseAnswer(key="2026-Q4-maya", respondent="maya", agree=False)
    merged, _ = signals.merge(Snapshot(pulse_answers=(hand,)), heard)
    assert [(a.key, a.agree) for a in merged.pulse_answers] == [("2026-Q4-maya", False)]
