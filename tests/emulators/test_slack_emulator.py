"""The Slack emulator behaves as Slack's method documentation says Slack does.

Every test drives it through the official ``slack_sdk.WebClient`` (``retry_handlers=[]``, so
each error reaches the test as Slack sent it) against a running emulator on 127.0.0.1, and
checks one documented behaviour: a method's answer and its shape (tests/data/slack), an
error code and its HTTP status, pagination to the end, the rate limits, injected faults.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from opsync.testing.emulators import slack as slack_module
from opsync.testing.emulators.slack import SlackEmulator

SHAPES = Path(__file__).resolve().parents[1] / "data" / "slack"
TYPES: dict[str, type | tuple[type, ...]] = {"str": str, "int": int, "bool": bool}


def shape(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SHAPES / f"{name}.shape.json").read_text())
    return data


def conforms(value: Any, expected: Any, at: str = "$") -> list[str]:
    """Where `value` lacks a key of `expected` or has another type there."""
    if isinstance(expected, str):
        wanted = TYPES[expected]
        ok = isinstance(value, wanted) and not (expected == "int" and isinstance(value, bool))
        return [] if ok else [f"{at}: {value!r} is not {expected}"]
    if isinstance(expected, list):
        if not isinstance(value, list):
            return [f"{at}: not an array"]
        return [
            p for i, item in enumerate(value) for p in conforms(item, expected[0], f"{at}[{i}]")
        ]
    if not isinstance(value, dict):
        return [f"{at}: not an object"]
    problems = []
    for key, sub in expected.items():
        if key not in value:
            problems.append(f"{at}.{key}: missing")
        else:
            problems.extend(conforms(value[key], sub, f"{at}.{key}"))
    return problems


@pytest.fixture
def emu() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        emulator.add_user("U0ANA", "ana", "ana@acme.example")
        emulator.add_user("U0BEN", "ben", "ben@acme.example")
        yield emulator


def client(emu: SlackEmulator, token: str | None = None) -> WebClient:
    return WebClient(token=token or emu.token, base_url=emu.api_url, retry_handlers=[])


@pytest.fixture
def slack(emu: SlackEmulator) -> WebClient:
    return client(emu)


def failure(call: Callable[[], Any]) -> SlackResponse:
    with pytest.raises(SlackApiError) as caught:
        call()
    response: SlackResponse = caught.value.response
    return response


def every(pages: SlackResponse, key: str) -> list[Any]:
    """The items of every page, following ``next_cursor`` as slack_sdk iterates."""
    return [item for page in pages for item in page[key]]


def error_of(call: Callable[[], Any], status: int = 200) -> str:
    """The error code of a call Slack refuses, after checking its HTTP status."""
    response = failure(call)
    assert response.status_code == status
    assert response["ok"] is False
    return str(response["error"])


# ---------------------------------------------------------------------- auth.test, tokens


def test_auth_test_names_the_bot_and_lists_its_scopes_in_a_header(
    emu: SlackEmulator, slack: WebClient
) -> None:
    answer = slack.auth_test()
    assert conforms(answer.data, shape("auth.test")["shape"]) == []
    assert answer["user_id"] == emu.bot_user_id
    assert answer["bot_id"] == emu.bot_id
    assert answer["url"] == "https://opsync-emulator.slack.com/"
    scopes = answer.headers["X-OAuth-Scopes"]
    assert " " not in scopes
    assert {"chat:write", "channels:history", "users:read.email"} <= set(scopes.split(","))


def test_set_team_changes_what_auth_test_answers(emu: SlackEmulator, slack: WebClient) -> None:
    emu.set_team("T0ACME", "Acme", "acme")
    answer = slack.auth_test()
    assert (answer["team_id"], answer["team"], answer["url"]) == (
        "T0ACME",
        "Acme",
        "https://acme.slack.com/",
    )


def test_no_token_is_not_authed_and_a_wrong_one_invalid_auth(emu: SlackEmulator) -> None:
    anonymous = WebClient(base_url=emu.api_url, retry_handlers=[])
    assert error_of(anonymous.auth_test) == "not_authed"
    assert error_of(client(emu, "xoxb-not-issued").auth_test) == "invalid_auth"


def test_the_token_may_come_as_a_post_argument_and_get_is_accepted(emu: SlackEmulator) -> None:
    form = urllib.request.Request(
        f"{emu.api_url}auth.test", data=f"token={emu.token}".encode(), method="POST"
    )
    with urllib.request.urlopen(form) as answer:
        assert json.load(answer)["ok"] is True
    get = urllib.request.Request(
        f"{emu.api_url}auth.test", headers={"Authorization": f"Bearer {emu.token}"}
    )
    with urllib.request.urlopen(get) as answer:
        assert json.load(answer)["user_id"] == emu.bot_user_id


def test_an_unknown_method_is_unknown_method(slack: WebClient) -> None:
    assert error_of(lambda: slack.api_call("chat.postMessages")) == "unknown_method"


# ---------------------------------------------------------------------- chat.postMessage


def test_post_by_id_or_name_answers_the_documented_shape(
    emu: SlackEmulator, slack: WebClient
) -> None:
    channel = emu.add_channel("launches")
    for target in (channel, "#launches", "launches"):
        answer = slack.chat_postMessage(channel=target, text=f"to {target}")
        assert conforms(answer.data, shape("chat.postMessage")["shape"]) == []
        assert answer["channel"] == channel
        assert answer["message"]["ts"] == answer["ts"]
    stored = emu.messages(channel)
    assert [m["text"] for m in stored] == ["to " + t for t in (channel, "#launches", "launches")]
    assert all(m["bot_id"] == emu.bot_id and m["user"] == emu.bot_user_id for m in stored)
    assert len({m["ts"] for m in stored}) == 3


def test_post_to_a_user_id_lands_in_the_bots_dm_with_them(
    emu: SlackEmulator, slack: WebClient
) -> None:
    answer = slack.chat_postMessage(channel="U0ANA", text="Your bundle is due Thursday")
    dm = answer["channel"]
    assert dm.startswith("D")
    opened = slack.conversations_open(users="U0ANA")
    assert conforms(opened.data, shape("conversations.open")["already_open"]) == []
    assert opened["channel"]["id"] == dm
    history = slack.conversations_history(channel=dm)
    assert [m["text"] for m in history["messages"]] == ["Your bundle is due Thursday"]
    info = slack.conversations_info(channel=dm)["channel"]
    assert conforms(info, shape("conversations.info")["im"]) == []
    assert (info["is_im"], info["user"]) == (True, "U0ANA")


def test_conversations_open_creates_the_dm_once(emu: SlackEmulator, slack: WebClient) -> None:
    first = slack.conversations_open(users="U0BEN")
    assert conforms(first.data, shape("conversations.open")["shape"]) == []
    assert "already_open" not in first.data
    again = slack.conversations_open(users=["U0BEN"], return_im=True)
    assert again["already_open"] is True
    assert again["channel"]["id"] == first["channel"]["id"] == emu.dm_channel("U0BEN")
    assert again["channel"]["is_im"] is True
    assert error_of(lambda: slack.conversations_open(users="U0NOBODY")) == "user_not_found"
    assert error_of(lambda: slack.api_call("conversations.open")) == "users_list_not_supplied"


def test_unknown_channels_and_channels_without_the_bot_are_refused(
    emu: SlackEmulator, slack: WebClient
) -> None:
    outside = emu.add_channel("sales", member=False)
    private = emu.add_channel("exec", private=True, member=False)
    assert error_of(lambda: slack.chat_postMessage(channel="#nowhere", text="x")) == (
        "channel_not_found"
    )
    assert error_of(lambda: slack.chat_postMessage(channel="U0NOBODY", text="x")) == (
        "channel_not_found"
    )
    for channel in (outside, "#sales", private):
        assert error_of(lambda c=channel: slack.chat_postMessage(channel=c, text="x")) == (
            "not_in_channel"
        )
    emu.set_member(outside)
    assert slack.chat_postMessage(channel=outside, text="now in")["ok"] is True
    assert emu.messages(private) == []


def test_chat_write_public_posts_to_a_public_channel_without_joining(
    emu: SlackEmulator,
) -> None:
    emu.add_token("xoxb-public", ["chat:write", "chat:write.public"])
    outside = emu.add_channel("sales", member=False)
    private = emu.add_channel("exec", private=True, member=False)
    public = client(emu, "xoxb-public")
    assert public.chat_postMessage(channel=outside, text="hello")["ok"] is True
    assert error_of(lambda: public.chat_postMessage(channel=private, text="x")) == "not_in_channel"


def test_an_archived_channel_is_archived(emu: SlackEmulator, slack: WebClient) -> None:
    old = emu.add_channel("old-launches", archived=True)
    assert error_of(lambda: slack.chat_postMessage(channel=old, text="x")) == "is_archived"


def test_a_token_without_the_scope_is_told_what_is_needed(emu: SlackEmulator) -> None:
    emu.add_token("xoxb-reader", ["channels:read", "channels:history"])
    channel = emu.add_channel("launches")
    reader = client(emu, "xoxb-reader")
    refused = failure(lambda: reader.chat_postMessage(channel=channel, text="x"))
    assert refused.status_code == 200
    assert conforms(refused.data, shape("missing_scope")["shape"]) == []
    assert (refused["error"], refused["needed"]) == ("missing_scope", "chat:write")
    assert refused["provided"] == "channels:history,channels:read"
    assert refused.headers["X-Accepted-OAuth-Scopes"] == "chat:write"
    lookup = failure(lambda: reader.users_lookupByEmail(email="ana@acme.example"))
    assert (lookup["error"], lookup["needed"]) == ("missing_scope", "users:read.email")


def test_history_scopes_follow_the_conversation_type(emu: SlackEmulator) -> None:
    emu.add_token("xoxb-public-only", ["channels:history"])
    emu.add_token("xoxb-none", ["chat:write"])
    private = emu.add_channel("exec", private=True)
    public = emu.add_channel("launches")
    reader = client(emu, "xoxb-public-only")
    assert reader.conversations_history(channel=public)["ok"] is True
    refused = failure(lambda: reader.conversations_history(channel=private))
    assert (refused["error"], refused["needed"]) == ("missing_scope", "groups:history")
    blind = failure(lambda: client(emu, "xoxb-none").conversations_history(channel=public))
    assert blind["needed"] == "channels:history,groups:history,im:history,mpim:history"


def test_text_over_40000_characters_is_truncated_and_posted_with_a_warning(
    emu: SlackEmulator, slack: WebClient
) -> None:
    channel = emu.add_channel("launches")
    answer = slack.chat_postMessage(channel=channel, text="x" * 40_001)
    assert answer["ok"] is True
    assert answer["response_metadata"]["warnings"] == ["message_truncated"]
    assert len(answer["message"]["text"]) == 40_000
    assert len(emu.messages(channel)[0]["text"]) == 40_000
    exact = slack.chat_postMessage(channel=channel, text="y" * 40_000)
    assert "response_metadata" not in exact.data


def test_a_message_needs_text_or_blocks(emu: SlackEmulator, slack: WebClient) -> None:
    channel = emu.add_channel("launches")
    assert error_of(lambda: slack.api_call("chat.postMessage", json={"channel": channel})) == (
        "no_text"
    )


def test_an_absent_channel_is_invalid_arguments_naming_it(slack: WebClient) -> None:
    refused = failure(lambda: slack.api_call("chat.postMessage", json={"text": "x"}))
    assert refused["error"] == "invalid_arguments"
    assert refused["response_metadata"]["messages"] == ["[ERROR] missing required field: channel"]
    history = failure(lambda: slack.api_call("conversations.history", params={}))
    assert history["error"] == "invalid_arguments"


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


BAD_BLOCKS = {
    "51 blocks": ([section("x")] * 51, "no more than 50 items allowed [json-pointer:/blocks]"),
    "section text over 3000": (
        [section("x" * 3001)],
        "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
    ),
    "header text over 150": (
        [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
        "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
    ),
    "header in mrkdwn": (
        [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}],
        "failed to match all allowed schemas [json-pointer:/blocks/0/text]",
    ),
    "11 context elements": (
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}],
        "no more than 10 items allowed [json-pointer:/blocks/0/elements]",
    ),
    "a block without type": (
        [section("ok"), {"text": {"type": "mrkdwn", "text": "x"}}],
        "missing required field: type [json-pointer:/blocks/1]",
    ),
    "an input block": (
        [{"type": "input", "element": {}, "label": {}}],
        "unsupported type: input [json-pointer:/blocks/0/type]",
    ),
    "11 section fields": (
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
        "no more than 10 items allowed [json-pointer:/blocks/0/fields]",
    ),
}


@pytest.mark.parametrize("case", list(BAD_BLOCKS))
def test_blocks_over_the_block_kit_limits_are_invalid_blocks(
    emu: SlackEmulator, slack: WebClient, case: str
) -> None:
    channel = emu.add_channel("launches")
    blocks, problem = BAD_BLOCKS[case]
    refused = failure(lambda: slack.chat_postMessage(channel=channel, text="t", blocks=blocks))
    assert refused.status_code == 200
    assert refused["error"] == "invalid_blocks"
    assert refused["errors"] == [problem]
    assert refused["response_metadata"]["messages"] == [f"[ERROR] {problem}"]
    assert emu.messages(channel) == []


def test_blocks_at_the_limits_are_posted_whether_sent_as_json_or_a_string(
    emu: SlackEmulator, slack: WebClient
) -> None:
    channel = emu.add_channel("launches")
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 10},
        *[section("x" * 3000)] * 48,
    ]
    assert slack.chat_postMessage(channel=channel, text="t", blocks=blocks)["ok"] is True
    as_form = slack.api_call(
        "chat.postMessage", data={"channel": channel, "text": "t", "blocks": json.dumps(blocks)}
    )
    assert as_form["message"]["blocks"] == blocks
    assert emu.messages(channel)[0]["blocks"] == blocks
    assert error_of(lambda: slack.chat_postMessage(channel=channel, text="t", blocks="[{")) == (
        "invalid_blocks_format"
    )


def test_metadata_comes_back_from_history_only_when_asked_for(
    emu: SlackEmulator, slack: WebClient
) -> None:
    channel = emu.add_channel("launches")
    metadata = {"event_type": "opsync_post", "event_payload": {"key": "weekly-2026-W49"}}
    slack.chat_postMessage(channel=channel, text="Weekly update", metadata=metadata)
    plain = slack.conversations_history(channel=channel)["messages"][0]
    assert "metadata" not in plain
    full = slack.conversations_history(channel=channel, include_all_metadata=True)["messages"][0]
    assert full["metadata"] == metadata
    assert emu.messages(channel)[0]["metadata"] == metadata
    assert error_of(
        lambda: slack.chat_postMessage(channel=channel, text="x", metadata={"event_type": "e"})
    ) == ("invalid_metadata_schema")


# ---------------------------------------------------------------------- chat.update


def test_update_changes_the_bots_message_and_keeps_its_metadata(
    emu: SlackEmulator, slack: WebClient
) -> None:
    channel = emu.add_channel("launches")
    metadata = {"event_type": "opsync_post", "event_payload": {"key": "k"}}
    ts = slack.chat_postMessage(channel=channel, text="draft", metadata=metadata)["ts"]
    answer = slack.chat_update(channel=channel, ts=ts, text="final", blocks=[section("final")])
    assert conforms(answer.data, shape("chat.update")["shape"]) == []
    assert (answer["ts"], answer["text"]) == (ts, "final")
    stored = emu.messages(channel)
    assert [(m["ts"], m["text"], m["metadata"]) for m in stored] == [(ts, "final", metadata)]
    assert stored[0]["blocks"] == [section("final")]
    slack.chat_update(channel=channel, ts=ts, text="final", metadata={})
    assert emu.messages(channel)[0]["metadata"] is None


def test_update_refuses_unknown_messages_people_s_messages_and_long_text(
    emu: SlackEmulator, slack: WebClient
) -> None:
    channel = emu.add_channel("launches", members=["U0ANA"])
    person = emu.post_as("U0ANA", channel, "mine")
    ts = slack.chat_postMessage(channel=channel, text="bot")["ts"]
    assert error_of(lambda: slack.chat_update(channel=channel, ts="1.000001", text="x")) == (
        "message_not_found"
    )
    assert error_of(lambda: slack.chat_update(channel=channel, ts=person, text="x")) == (
        "cant_update_message"
    )
    assert error_of(lambda: slack.chat_update(channel=channel, ts=ts, text="x" * 4001)) == (
        "msg_too_long"
    )
    assert error_of(lambda: slack.chat_update(channel="C0NOWHERE", ts=ts, text="x")) == (
        "channel_not_found"
    )
    assert slack.chat_update(channel=channel, ts=ts, text="x" * 4000)["ok"] is True


# ---------------------------------------------------------------------- history and replies


def test_history_pages_newest_first_to_the_end(emu: SlackEmulator, slack: WebClient) -> None:
    channel = emu.add_channel("launches")
    posted = [emu.post_as("U0ANA", channel, f"m{i}") for i in range(250)]
    first = slack.conversations_history(channel=channel)
    assert conforms(first.data, shape("conversations.history")["shape"]) == []
    assert len(first["messages"]) == 100
    assert first["has_more"] is True
    seen = []
    for page in slack.conversations_history(channel=channel, limit=100):
        seen.extend(m["ts"] for m in page["messages"])
        last = page
    assert seen == list(reversed(posted))
    assert last["has_more"] is False
    assert last["response_metadata"]["next_cursor"] == ""


def test_history_limit_is_capped_at_999(emu: SlackEmulator, slack: WebClient) -> None:
    channel = emu.add_channel("launches")
    for i in range(1001):
        emu.post_as("U0ANA", channel, f"m{i}")
    assert len(slack.conversations_history(channel=channel, limit=5000)["messages"]) == 999


def test_history_windows_by_oldest_latest_and_inclusive(
    emu: SlackEmulator, slack: WebClient
) -> None:
    channel = emu.add_channel("launches")
    a, b, c = (emu.post_as("U0ANA", channel, t) for t in "abc")

    def texts(**window: Any) -> list[str]:
        answer = slack.conversations_history(channel=channel, **window)
        return [m["text"] for m in answer["messages"]]

    assert texts(oldest=a) == ["c", "b"]
    assert texts(oldest=a, inclusive=True) == ["c", "b", "a"]
    assert texts(latest=c) == ["b", "a"]
    assert texts(oldest=a, latest=c, inclusive=True) == ["c", "b", "a"]
    assert texts(oldest=b, latest=c) == []
    assert error_of(lambda: slack.conversations_history(channel=channel, oldest="soon")) == (
        "invalid_ts_oldest"
    )


def test_history_refuses_a_bad_cursor_and_channels_the_bot_is_not_in(
    emu: SlackEmulator, slack: WebClient
) -> None:
    channel = emu.add_channel("launches")
    outside = emu.add_channel("sales", member=False)
    assert error_of(lambda: slack.conversations_history(channel=channel, cursor="%%%")) == (
        "invalid_cursor"
    )
    assert error_of(lambda: slack.conversations_history(channel=outside)) == "not_in_channel"
    assert error_of(lambda: slack.conversations_history(channel="C0NOWHERE")) == (
        "channel_not_found"
    )


def test_replies_belong_to_people_and_stay_out_of_history(
    emu: SlackEmulator, slack: WebClient
) -> None:
    channel = emu.add_channel("launches", members=["U0ANA", "U0BEN"])
    parent = slack.chat_postMessage(channel=channel, text="Readiness check?")["ts"]
    emu.post_as("U0ANA", channel, "Support ready", thread_ts=parent)
    emu.post_as("U0BEN", channel, "Sales ready", thread_ts=parent)
    slack.chat_postMessage(channel=channel, text="Thanks", thread_ts=parent)
    history = slack.conversations_history(channel=channel)["messages"]
    assert [m["text"] for m in history] == ["Readiness check?"]
    assert (history[0]["reply_count"], history[0]["reply_users"]) == (
        3,
        ["U0ANA", "U0BEN", emu.bot_user_id],
    )
    replies = slack.conversations_replies(channel=channel, ts=parent)
    spec = shape("conversations.replies")
    assert conforms(replies.data, spec["shape"]) == []
    assert conforms(replies["messages"][0], spec["parent"]) == []
    assert all(conforms(m, spec["reply"]) == [] for m in replies["messages"][1:])
    assert [(m["user"], m["text"]) for m in replies["messages"]] == [
        (emu.bot_user_id, "Readiness check?"),
        ("U0ANA", "Support ready"),
        ("U0BEN", "Sales ready"),
        (emu.bot_user_id, "Thanks"),
    ]
    assert "bot_id" not in replies["messages"][1]
    paged = every(slack.conversations_replies(channel=channel, ts=parent, limit=3), "messages")
    assert [m["text"] for m in paged] == [
        "Readiness check?",
        "Support ready",
        "Sales ready",
        "Thanks",
    ]
    by_reply = slack.conversations_replies(channel=channel, ts=replies["messages"][2]["ts"])
    assert len(by_reply["messages"]) == 4
    assert error_of(lambda: slack.conversations_replies(channel=channel, ts="1.000001")) == (
        "thread_not_found"
    )


# ---------------------------------------------------------------------- info, members, users


def test_info_says_whether_the_bot_is_a_member(emu: SlackEmulator, slack: WebClient) -> None:
    inside = emu.add_channel("launches")
    outside = emu.add_channel("sales", member=False)
    private = emu.add_channel("exec", private=True, member=False)
    answer = slack.conversations_info(channel=inside)
    assert conforms(answer.data, shape("conversations.info")["shape"]) == []
    assert (answer["channel"]["name"], answer["channel"]["is_member"]) == ("launches", True)
    assert answer["channel"]["is_im"] is False
    assert slack.conversations_info(channel=outside)["channel"]["is_member"] is False
    assert error_of(lambda: slack.conversations_info(channel=private)) == "channel_not_found"
    counted = slack.conversations_info(channel=inside, include_num_members=True)
    assert counted["channel"]["num_members"] == 1


def test_members_page_to_the_end(emu: SlackEmulator, slack: WebClient) -> None:
    people = [f"U{i:04d}" for i in range(7)]
    channel = emu.add_channel("launches", members=people)
    first = slack.conversations_members(channel=channel, limit=3)
    assert conforms(first.data, shape("conversations.members")["shape"]) == []
    seen = every(slack.conversations_members(channel=channel, limit=3), "members")
    assert sorted(seen) == sorted([emu.bot_user_id, *people])
    assert len(seen) == 8


def test_lookup_by_email_finds_people_case_insensitively(slack: WebClient) -> None:
    answer = slack.users_lookupByEmail(email="Ana@Acme.example")
    assert conforms(answer.data, shape("users.lookupByEmail")["shape"]) == []
    assert (answer["user"]["id"], answer["user"]["profile"]["email"]) == (
        "U0ANA",
        "ana@acme.example",
    )
    assert error_of(lambda: slack.users_lookupByEmail(email="nobody@acme.example")) == (
        "users_not_found"
    )


# ---------------------------------------------------------------------- rate limits


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_posting_is_limited_per_channel_when_the_documented_limits_are_enforced() -> None:
    clock = FakeClock()
    with SlackEmulator(enforce_limits=True, limit_clock=clock) as emu:
        a, b = emu.add_channel("a"), emu.add_channel("b")
        slack = client(emu)
        for target in (a, "#a", "a"):
            slack.chat_postMessage(channel=target, text="burst")
        limited = failure(lambda: slack.chat_postMessage(channel=a, text="one too many"))
        assert conforms(limited.data, shape("ratelimited")["shape"]) == []
        assert (limited.status_code, limited["error"]) == (429, "ratelimited")
        assert limited.headers["Retry-After"] == "1"
        assert slack.chat_postMessage(channel=b, text="other channel")["ok"] is True
        clock.now += 1
        assert slack.chat_postMessage(channel=a, text="a second later")["ok"] is True
        assert len(emu.messages(a)) == 4
        emu.add_user("U0ANA", "ana")
        dm = slack.chat_postMessage(channel="U0ANA", text="dm")["channel"]
        slack.chat_postMessage(channel=dm, text="dm")
        slack.chat_postMessage(channel="U0ANA", text="dm")
        assert error_of(lambda: slack.chat_postMessage(channel=dm, text="x"), 429) == "ratelimited"


def test_tiered_methods_allow_their_tier_a_minute() -> None:
    clock = FakeClock()
    with SlackEmulator(enforce_limits=True, limit_clock=clock) as emu:
        channel = emu.add_channel("a")
        slack = client(emu)
        for _ in range(50):
            slack.conversations_info(channel=channel)
        limited = failure(lambda: slack.conversations_info(channel=channel))
        assert (limited.status_code, limited.headers["Retry-After"]) == (429, "2")
        for _ in range(100):
            slack.conversations_members(channel=channel)
        assert failure(lambda: slack.conversations_members(channel=channel)).status_code == 429
        clock.now += 60
        assert slack.conversations_info(channel=channel)["ok"] is True


def test_limits_are_off_by_default_and_can_be_switched_on(
    emu: SlackEmulator, slack: WebClient
) -> None:
    channel = emu.add_channel("a")
    for _ in range(20):
        slack.chat_postMessage(channel=channel, text="fast")
    emu.enforce_limits()
    for _ in range(3):
        slack.chat_postMessage(channel=channel, text="burst")
    assert error_of(lambda: slack.chat_postMessage(channel=channel, text="x"), 429) == (
        "ratelimited"
    )


# ---------------------------------------------------------------------- faults and counts


def test_a_queued_ratelimited_answers_429_with_retry_after_once(
    emu: SlackEmulator, slack: WebClient
) -> None:
    channel = emu.add_channel("a")
    emu.faults.fail(429, path="/api/chat.postMessage", retry_after=30)
    limited = failure(lambda: slack.chat_postMessage(channel=channel, text="x"))
    assert (limited.status_code, limited["error"]) == (429, "ratelimited")
    assert limited.headers["Retry-After"] == "30"
    assert emu.messages(channel) == []
    assert slack.chat_postMessage(channel=channel, text="x")["ok"] is True


def test_a_queued_500_is_slacks_html_error_page(emu: SlackEmulator, slack: WebClient) -> None:
    emu.faults.fail(503)
    broken = failure(slack.auth_test)
    assert broken.status_code == 503
    assert "Server Error | Slack" in str(broken["error"])
    emu.faults.fail(200, error="internal_error")
    assert error_of(slack.auth_test) == "internal_error"
    assert slack.auth_test()["ok"] is True


def test_a_post_whose_answer_is_lost_is_stored_and_findable_by_its_metadata(
    emu: SlackEmulator, slack: WebClient
) -> None:
    channel = emu.add_channel("launches")
    metadata = {"event_type": "opsync_post", "event_payload": {"key": "weekly-2026-W49"}}
    emu.faults.reset_connection(method="POST", path="/api/chat.postMessage", apply=True)
    with pytest.raises(OSError):
        slack.chat_postMessage(channel=channel, text="Weekly update", metadata=metadata)
    assert [m["text"] for m in emu.messages(channel)] == ["Weekly update"]
    history = slack.conversations_history(channel=channel, include_all_metadata=True)
    assert [m["metadata"] for m in history["messages"]] == [metadata]
    assert emu.calls("chat.postMessage") == 1


def test_a_dropped_connection_without_apply_stores_nothing(
    emu: SlackEmulator, slack: WebClient
) -> None:
    channel = emu.add_channel("launches")
    emu.faults.reset_connection(path="/api/chat.postMessage")
    with pytest.raises(OSError):
        slack.chat_postMessage(channel=channel, text="lost")
    assert emu.messages(channel) == []


def test_counts_split_reads_from_writes(emu: SlackEmulator, slack: WebClient) -> None:
    channel = emu.add_channel("launches")
    emu.reset_counts()
    ts = slack.chat_postMessage(channel=channel, text="a")["ts"]
    slack.chat_update(channel=channel, ts=ts, text="b")
    slack.conversations_history(channel=channel)
    slack.auth_test()
    error_of(lambda: slack.chat_postMessage(channel="#nowhere", text="x"))
    counts = emu.counts
    assert (counts.total, counts.writes, counts.reads) == (5, 3, 2)
    assert emu.calls("chat.postMessage") == 2
    assert emu.calls("conversations.history") == 1
    emu.reset_counts()
    assert emu.counts.total == 0


def test_all_posts_lists_the_bots_messages_everywhere(emu: SlackEmulator, slack: WebClient) -> None:
    channel = emu.add_channel("launches", members=["U0ANA"])
    slack.chat_postMessage(channel=channel, text="one")
    slack.chat_postMessage(channel="U0ANA", text="two")
    emu.post_as("U0ANA", channel, "a person")
    assert [p["text"] for p in emu.all_posts()] == ["one", "two"]


# ---------------------------------------------------------------------- CLI


def test_main_prints_the_base_url_and_the_env_to_export(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    printed: list[str] = []
    seeded: list[SlackEmulator] = []

    def serve(self: SlackEmulator, banner: list[str], farewell: str) -> int:
        printed.extend(banner)
        seeded.append(self)
        self.stop()
        return 0

    monkeypatch.setattr(SlackEmulator, "serve_until_interrupted", serve)
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "team": {"id": "T0ACME", "name": "Acme", "domain": "acme"},
                "users": [{"id": "U0ANA", "name": "ana", "email": "ana@acme.example"}],
                "channels": [{"name": "launches"}, {"name": "sales", "member": False}],
            }
        )
    )
    assert slack_module.main(["--port", "0", "--token", "xoxb-cli", "--seed", str(seed)]) == 0
    assert any(line.startswith("Slack emulator serving at http://127.0.0.1:") for line in printed)
    assert "export SLACK_BOT_TOKEN=xoxb-cli" in printed
    assert any(line.startswith("export OPSYNC_SLACK_BASE_URL=http://") for line in printed)
    workspace = seeded[0].workspace
    assert workspace.team_id == "T0ACME"
    assert {c.name: workspace.bot_user in c.members for c in workspace.channels.values()} == {
        "launches": True,
        "sales": False,
    }


# ---------------------------------------------------------------------- reactions, users.info


def test_reactions_add_then_get_and_their_documented_errors(
    emu: SlackEmulator, slack: WebClient
) -> None:
    channel = emu.add_channel("surveys")
    ts = slack.chat_postMessage(channel=channel, text="Aware?")["ts"]
    slack.reactions_add(channel=channel, name=":white_check_mark:", timestamp=ts)
    assert error_of(
        lambda: slack.reactions_add(channel=channel, name="white_check_mark", timestamp=ts)
    ) == ("already_reacted")
    assert error_of(lambda: slack.reactions_add(channel=channel, name="a b", timestamp=ts)) == (
        "invalid_name"
    )
    emu.react("U0ANA", channel, ts, "x")
    got = slack.reactions_get(channel=channel, timestamp=ts, full=True)
    assert got["type"] == "message" and got["channel"] == channel
    assert got["message"]["reactions"] == [
        {"name": "white_check_mark", "users": [emu.bot_user_id], "count": 1},
        {"name": "x", "users": ["U0ANA"], "count": 1},
    ]
    assert error_of(lambda: slack.reactions_get(channel=channel)) == "no_item_specified"
    assert error_of(lambda: slack.reactions_get(channel=channel, timestamp="9.000001")) == (
        "message_not_found"
    )
    emu.add_token("xoxb-noreact", ["chat:write", "channels:history"])
    narrow = client(emu, "xoxb-noreact")
    assert error_of(lambda: narrow.reactions_get(channel=channel, timestamp=ts)) == (
        "missing_scope"
    )


def test_users_info_answers_the_user_object_or_user_not_found(slack: WebClient) -> None:
    user = slack.users_info(user="U0ANA")["user"]
    assert (user["id"], user["name"], user["profile"]["email"]) == (
        "U0ANA",
        "ana",
        "ana@acme.example",
    )
    assert error_of(lambda: slack.users_info(user="U0NOBODY")) == "user_not_found"


def test_seeded_history_keeps_system_bot_and_thread_messages_apart(
    emu: SlackEmulator, slack: WebClient
) -> None:
    emu.seed(
        {
            "channels": [
                {
                    "name": "product-ops",
                    "id": "C0OPS00001",
                    "messages": [
                        {"user": "U0ANA", "at": "2026-11-24T10:00:00-05:00", "text": "A request",
                         "reactions": {"eyes": ["U0BEN"]}},
                        {"user": "U0BEN", "at": "2026-11-24T10:05:00-05:00", "text": "+1",
                         "reply_to": "2026-11-24T10:00:00-05:00"},
                        {"user": "U0BEN", "at": "2026-11-25T09:00:00-05:00", "text": "joined",
                         "subtype": "channel_join"},
                        {"user": "U0CIBOT", "at": "2026-11-25T09:30:00-05:00", "text": "deploy",
                         "bot": True},
                    ],
                }
            ]
        }
    )  # fmt: skip
    history = slack.conversations_history(channel="C0OPS00001")["messages"]
    assert [m["text"] for m in history] == ["deploy", "joined", "A request"]  # no reply
    deploy, joined, request = history
    assert deploy["bot_id"] != emu.bot_id and joined["subtype"] == "channel_join"
    assert request["reply_count"] == 1 and request["reactions"][0]["name"] == "eyes"
    assert request["ts"] == f"{1795532400}.000000"
