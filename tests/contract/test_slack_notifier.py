"""The Slack notifier through the real slack-sdk, against the loopback Slack emulator.

Each test makes a situation Slack users meet (a post cut off by a dropped connection, a
throttled method, a bot not in the channel, a message too big for Block Kit, a person's text
trying to ping the channel) and checks what reaches the channel, and how often.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from opsync.connectors.base import Message
from opsync.connectors.slack.blocks import MAX_BLOCKS, MAX_SECTION, MAX_TOTAL
from opsync.connectors.slack.client import SlackApi
from opsync.connectors.slack.config import SlackConnectorConfig
from opsync.connectors.slack.doctor import check
from opsync.connectors.slack.notifier import EVENT_TYPE, SlackNotifier
from opsync.documents.model import Document, bullets, heading, item, para
from opsync.domain import Person
from opsync.errors import AuthError, PermanentError, TransientError
from opsync.http import RetryPolicy
from opsync.secrets import Secrets
from opsync.state import MemoryStateStore
from opsync.testing.emulators.slack import SlackEmulator

NOW = datetime(2026, 12, 3, 21, 0, tzinfo=UTC)
PEOPLE = (
    Person(key="maya", name="Maya Chen", email="maya@acme.example"),
    Person(key="raj", name="Raj Patel", slack="U0RAJ00001"),
    Person(key="tom", name="Tom Eng"),  # no email, no Slack id
)


MADE: list[SlackNotifier] = []


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emu:
        emu.add_channel("product-updates", channel_id="C0PRODUPD1")
        emu.add_channel("product-ops", channel_id="C0PRODOPS1")
        emu.add_channel("sales", channel_id="C0SALES001", member=False)
        emu.add_user("U0MAYA0001", "maya", "maya@acme.example")
        emu.add_user("U0RAJ00001", "raj", "raj@acme.example")
        yield emu
        while MADE:
            MADE.pop().close()


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def notifier(
    emu: SlackEmulator,
    store: MemoryStateStore | None = None,
    clock: Clock | None = None,
    token: str | None = None,
    **settings: object,
) -> SlackNotifier:
    config = SlackConnectorConfig.model_validate(
        {
            "base_url": emu.api_url,
            "channels": {"#product-updates": "C0PRODUPD1", "#product-ops": "C0PRODOPS1"},
            "requests_per_minute": {"chat.postMessage": 6000, "conversations.history": 6000},
            **settings,
        }
    )
    secrets = Secrets({"SLACK_BOT_TOKEN": token or emu.token})
    api = SlackApi(config, secrets=secrets, policy=RetryPolicy(max_total_wait=5))
    state = (store or MemoryStateStore()).connector("slack")
    made = SlackNotifier(config, api, state=state, people=PEOPLE, clock=clock or Clock())
    MADE.append(made)
    return made


def update(key: str = "weekly-update/2026-W49/slack", text: str = "5 launches") -> Message:
    doc = Document(
        title="Weekly Product Update — December 3",
        children=(heading(2, "Launches"), bullets(item("SSO"), item("Snowflake"))),
    )
    return Message(
        key=key,
        channel="#product-updates",
        text=text,
        title="Weekly Product Update",
        document=doc,
        announces="weekly-update/2026-W49",
        link="https://wiki.example/weekly/2026-W49",
    )


def test_a_post_carries_its_key_blocks_and_link(emulator: SlackEmulator) -> None:
    slack = notifier(emulator)
    slack.send(update())
    [post] = emulator.messages("C0PRODUPD1")
    assert post["metadata"] == {
        "event_type": EVENT_TYPE,
        "event_payload": {"key": "weekly-update/2026-W49/slack"},
    }
    blocks = post["blocks"]
    assert blocks[0]["type"] == "header"
    assert blocks[-1]["text"]["text"] == "<https://wiki.example/weekly/2026-W49|Open the page>"
    assert "SSO" in json.dumps(blocks)


def test_nothing_is_asked_of_slack_when_no_send_is_in_doubt(emulator: SlackEmulator) -> None:
    slack = notifier(emulator)
    emulator.reset_counts()
    assert slack.sent([update()], frozenset()) == set()
    assert emulator.counts.total == 0


def test_a_post_whose_answer_was_lost_is_found_in_history_not_posted_again(
    emulator: SlackEmulator,
) -> None:
    slack = notifier(emulator)
    emulator.faults.reset_connection(path="/api/chat.postMessage", apply=True)
    with pytest.raises(TransientError):  # a post that may have run is never repeated blindly
        slack.send(update())
    assert len(emulator.messages("C0PRODUPD1")) == 1
    # the next run (a fresh connector, the journal saying the send is in doubt)
    again = notifier(emulator)
    assert again.sent([update()], frozenset({update().key})) == {update().key}
    assert emulator.calls("conversations.history") == 1


def test_a_send_in_doubt_that_never_reached_slack_is_posted(emulator: SlackEmulator) -> None:
    slack = notifier(emulator)
    slack.send(update("other/key"))  # another message of this app in the channel
    assert slack.sent([update()], frozenset({update().key})) == set()


def test_history_is_read_to_its_last_page(emulator: SlackEmulator) -> None:
    slack = notifier(emulator)
    slack.send(update())
    for n in range(450):  # people talk after it: the post is on the third page
        emulator.post_as("U0MAYA0001", "C0PRODUPD1", f"chatter {n}")
    assert notifier(emulator).sent([update()], frozenset({update().key})) == {update().key}
    assert emulator.calls("conversations.history") == 3


def test_throttled_posts_wait_retry_after_through_the_one_policy(emulator: SlackEmulator) -> None:
    slack = notifier(emulator)
    emulator.faults.fail(429, path="/api/chat.postMessage", retry_after=1)
    slack.send(update())
    assert len(emulator.messages("C0PRODUPD1")) == 1
    assert emulator.calls("chat.postMessage") == 2


def test_a_direct_message_finds_the_person_by_email_once(emulator: SlackEmulator) -> None:
    slack = notifier(emulator)
    slack.send(Message(key="a", channel="dm:maya", text="first"))
    slack.send(Message(key="b", channel="dm:maya", text="second"))
    assert emulator.calls("users.lookupByEmail") == 1
    dm = emulator.dm_channel("U0MAYA0001")
    assert [m["text"] for m in emulator.messages(dm)] == ["first", "second"]
    slack.send(Message(key="c", channel="dm:raj", text="by id"))  # the person's slack id
    assert emulator.calls("users.lookupByEmail") == 1


def test_a_person_slack_cannot_find_is_a_clear_error(emulator: SlackEmulator) -> None:
    with pytest.raises(PermanentError, match=r"tom.*\[\[org.people\]\]"):
        notifier(emulator).send(Message(key="x", channel="dm:tom", text="hi"))


def test_a_channel_the_bot_is_not_in_names_the_fix(emulator: SlackEmulator) -> None:
    with pytest.raises(PermanentError, match=r"not_in_channel.*invite"):
        notifier(emulator, channels={"#sales": "C0SALES001"}).send(
            Message(key="x", channel="#sales", text="hi")
        )


def test_a_wrong_token_is_an_auth_error(emulator: SlackEmulator) -> None:
    with pytest.raises(AuthError, match="invalid_auth"):
        notifier(emulator, token="xoxb-wrong").send(update())


def test_no_mention_or_link_is_made_from_a_person_text(emulator: SlackEmulator) -> None:
    hostile = "@channel <!here> <@U0RAJ00001> <https://evil.example|click> & more"
    doc = Document(title="T", children=(para(hostile),))
    message = Message(key="k", channel="#product-updates", text=hostile, document=doc)
    notifier(emulator).send(message)
    [post] = emulator.messages("C0PRODUPD1")
    body = post["text"] + json.dumps(post["blocks"])
    for forbidden in ("<!here>", "<@U0RAJ00001>", "<https://evil", "@channel"):
        assert forbidden not in body
    assert "&lt;!here&gt;" in post["text"] and "&amp; more" in post["text"]


def test_many_small_blocks_stop_at_the_block_limit(emulator: SlackEmulator) -> None:
    doc = Document(title="T", children=tuple(para(f"line {n}") for n in range(80)))
    notifier(emulator).send(Message(key="many", channel="#product-updates", text="t", document=doc))
    [post] = emulator.messages("C0PRODUPD1")
    assert len(post["blocks"]) == MAX_BLOCKS
    assert post["blocks"][-1]["text"]["text"] == "… and more."


def test_a_long_message_is_cut_within_block_kit_limits_with_the_link(
    emulator: SlackEmulator,
) -> None:
    sections = []
    for n in range(120):
        sections += [heading(2, f"Area {n}"), bullets(*(item("x" * 400) for _ in range(12)))]
    doc = Document(title="Huge " + "y" * 300, children=tuple(sections))
    message = Message(
        key="huge", channel="#product-updates", text="z" * 50_000, document=doc, link="https://w/p"
    )
    notifier(emulator).send(message)  # the emulator refuses what Slack refuses
    [post] = emulator.messages("C0PRODUPD1")
    assert len(post["blocks"]) <= MAX_BLOCKS
    assert all(len(b["text"]["text"]) <= MAX_SECTION for b in post["blocks"] if "text" in b)
    assert sum(len(b["text"]["text"]) for b in post["blocks"]) <= MAX_TOTAL + 200
    assert "and more on the page" in json.dumps(post["blocks"])
    assert post["blocks"][-1]["text"]["text"] == "<https://w/p|Open the page>"


def test_within_the_edit_window_a_changed_message_is_corrected_in_place(
    emulator: SlackEmulator,
) -> None:
    clock = Clock()
    store = MemoryStateStore()
    slack = notifier(emulator, store, clock, edit_window_minutes=10)
    slack.send(update(text="5 launches"))
    store.commit()
    clock.now += timedelta(minutes=5)
    later = notifier(emulator, store, clock, edit_window_minutes=10)
    changed = update(text="6 launches")
    assert later.revisable([changed]) == {changed.key}
    later.send(changed)
    [post] = emulator.messages("C0PRODUPD1")
    assert post["text"].startswith("6 launches")
    clock.now += timedelta(minutes=10)
    final = notifier(emulator, store, clock, edit_window_minutes=10)
    assert final.revisable([update(text="7 launches")]) == set()


def test_doctor_names_each_problem_and_its_fix(emulator: SlackEmulator) -> None:
    emulator.add_token("xoxb-narrow", ["chat:write"])
    slack = notifier(
        emulator,
        token="xoxb-narrow",
        channels={"#product-updates": "C0PRODUPD1", "#sales": "C0SALES001"},
    )
    found = check(slack, ["#product-updates", "#sales", "#launches"])
    codes = {f.code for f in found}
    assert {"slack.scope", "slack.channel-id", "slack.person"} <= codes
    assert any("users:read.email" in f.message for f in found)
    [reactions] = [f for f in found if "reactions:read" in f.message]
    assert reactions.level == "warning"  # only the surveys' read-back needs it
    assert any("#launches" in f.message and "channel ID" in f.message for f in found)
    full = notifier(emulator, channels={"#product-updates": "C0PRODUPD1", "#sales": "C0SALES001"})
    assert any(
        f.code == "slack.not-in-channel" and "/invite" in f.message for f in check(full, ["#sales"])
    )


def test_a_send_in_doubt_that_cannot_be_looked_up_is_held_back_not_posted_twice(
    emulator: SlackEmulator,
) -> None:
    slack = notifier(emulator)
    slack.send(update())
    emulator.faults.fail(200, path="/api/conversations.history", error="internal_error")
    assert notifier(emulator).sent([update()], frozenset({update().key})) == {update().key}
    # a person Slack cannot find: no DM to look in, held back as well
    tom = Message(key="t", channel="dm:tom", text="hi")
    assert notifier(emulator).sent([tom], frozenset({"t"})) == {"t"}
    assert len(emulator.messages("C0PRODUPD1")) == 1
