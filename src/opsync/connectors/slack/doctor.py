"""``opsync doctor`` for Slack: the token, its scopes, the channels and the people.

Each problem is a finding with its fix, so a person sets the app up in one pass: a wrong
token, a scope the app lacks (read from the ``x-oauth-scopes`` header ``auth.test`` answers
with), a channel the bot is not in (``conversations.info``'s ``is_member``), a channel
without an id (no history search after a crash), a person Slack cannot find.
"""

from __future__ import annotations

from collections.abc import Iterable

from opsync.connectors.slack.notifier import SlackNotifier
from opsync.domain import Finding, Level
from opsync.errors import AuthError, ConnectorError

#: What opsync calls, and the scope each needs (https://api.slack.com/scopes).
SCOPES: dict[str, str] = {
    "chat:write": "post and correct messages (chat.postMessage, chat.update)",
    "channels:history": "find a message in a public channel after a crash, and read the "
    "ping and intake channels",
    "groups:history": "find a message in a private channel after a crash",
    "im:history": "find a direct message after a crash",
    "im:write": "open a direct message with a person (conversations.open)",
    "channels:read": "check the app is in each channel (conversations.info)",
    "groups:read": "check the app is in each private channel",
    "users:read": "look people up (and who answered a survey or asked in the intake channel)",
    "users:read.email": "find a person's Slack account by their email",
}

#: Scopes only the read-back needs (docs/slack.md, "Surveys, status pings and intake"): a
#: warning when missing, since an app that only posts does without them.
READ_BACK_SCOPES: dict[str, str] = {
    "reactions:read": "read the ✅/❌ answers to the surveys and the PM pulse ([rules.surveys])",
}


def _finding(code: str, record: str, message: str, level: Level = Level.ERROR) -> Finding:
    return Finding(code=code, record=record, level=level, message=message)


def check(notifier: SlackNotifier, channels: Iterable[str]) -> list[Finding]:
    """Every problem found, each naming its fix; ``channels`` are those the rules post to."""
    record = f"config/connectors/{notifier.label}"
    api = notifier.api
    try:
        api.call("auth.test")
    except (AuthError, ConnectorError) as exc:
        return [_finding("slack.auth", record, f"{exc}. Fix the token first.")]
    granted = {s.strip() for s in api.last_headers.get("x-oauth-scopes", "").split(",") if s}
    findings: list[Finding] = []
    if granted:
        for scope, why in SCOPES.items():
            if scope not in granted:
                findings.append(
                    _finding(
                        "slack.scope",
                        record,
                        f"the app lacks the {scope} scope, needed to {why}: add it under "
                        "OAuth & Permissions (or the manifest in docs/slack.md) and reinstall",
                    )
                )
        for scope, why in READ_BACK_SCOPES.items():
            if scope not in granted:
                findings.append(
                    _finding(
                        "slack.scope",
                        record,
                        f"the app lacks the {scope} scope, needed to {why}: add it if you "
                        "use them, and reinstall",
                        Level.WARNING,
                    )
                )
    for name in sorted(set(channels)):
        if not name.startswith("#"):
            continue
        channel = notifier.config.channels.get(name)
        if channel is None:
            findings.append(
                _finding(
                    "slack.channel-id",
                    f"{record}/channels",
                    f"{name} has no id under channels = {{...}}: messages are posted by name, "
                    "but after a crash opsync cannot look in it for a message it may have "
                    f'sent. Add "{name}" = "C…" (the channel\'s details → copy channel ID)',
                    Level.WARNING,
                )
            )
            continue
        try:
            info = api.call("conversations.info", channel=channel)
        except ConnectorError as exc:  # a missing scope is said above, once
            findings.append(_finding("slack.channel", f"{record}/channels", str(exc)))
            continue
        if not (info.get("channel") or {}).get("is_member", False):
            findings.append(
                _finding(
                    "slack.not-in-channel",
                    f"{record}/channels",
                    f"the app is not in {name} ({channel}): invite it there with "
                    "/invite @<app name>",
                )
            )
    for person in sorted(notifier.people):
        try:
            notifier.user_id(person, f"org/people/{person}")
        except ConnectorError as exc:
            findings.append(  # a warning: only messages to them wait, the rest go out
                _finding("slack.person", f"org/people/{person}", str(exc), Level.WARNING)
            )
    return findings
