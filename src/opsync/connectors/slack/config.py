"""``[connectors.<name>]`` of the Slack notifier (``type = "slack"``).

The rules address channels by name (``#product-updates``); Slack's methods that read a
channel (``conversations.history``) take its id only, so ``channels`` maps each name to its
id. Without the id a message is still posted (``chat.postMessage`` takes a name), but after a
crash opsync cannot look in the channel for it, and ``opsync doctor`` says so.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from opsync.config_problems import invalid
from opsync.connectors.config import TokenConnectorConfig

_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{6,}$")


class SlackConnectorConfig(TokenConnectorConfig):
    """Sends the messages for ``#channels`` and ``dm:<person>`` through a Slack app's bot."""

    type: Literal["slack"] = Field("slack", description="A Slack workspace, through a bot token.")
    base_url: str = Field(
        "https://slack.com/api/",
        description="The Web API root; OPSYNC_SLACK_BASE_URL overrides it (the emulator).",
    )
    channels: dict[str, str] = Field(
        default_factory=dict,
        description=(
            'Channel ids by the names the rules use, e.g. "#product-updates" = "C0123ABCD": '
            "needed to find a message in a channel's history after a crash."
        ),
    )
    users: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Slack user ids by person key, for people whose Slack id is not in [[org.people]] "
            "(slack) and whose email Slack does not know (users.lookupByEmail)."
        ),
    )
    edit_window_minutes: int = Field(
        0,
        ge=0,
        le=24 * 60,
        description=(
            "For this long after posting, a message whose content changed is corrected in "
            "place (chat.update); after it, a sent message is final. 0: always final."
        ),
    )
    lookback_days: int = Field(
        35,
        ge=1,
        le=365,
        description=(
            "How far back a channel's history is searched for a message whose send was "
            "interrupted (and every message, after the state store was lost)."
        ),
    )
    read_back_minutes: int = Field(
        60,
        ge=0,
        le=24 * 60,
        description=(
            "Reactions to surveys and the intake channel are read back at most once in this "
            "many minutes (a cron every 5 minutes does not ask Slack every run); 0: every run."
        ),
    )
    requests_per_minute: dict[str, float] = Field(
        default_factory=dict,
        description=(
            'Pace per method, overriding Slack\'s documented tiers, e.g. "conversations.history" '
            "= 1 for an app whose history reads are limited to one a minute."
        ),
    )

    # Where messages go is not where records live: nothing here moves a record.
    NOT_IDENTITY: ClassVar[frozenset[str]] = frozenset(
        {
            "base_url",
            "channels",
            "users",
            "edit_window_minutes",
            "lookback_days",
            "read_back_minutes",
            "requests_per_minute",
            "token_env",
            "token_file",
        }
    )

    @field_validator("channels")
    @classmethod
    def _channel_ids(cls, value: dict[str, str]) -> dict[str, str]:
        for name, channel in value.items():
            if not name.startswith("#"):
                raise invalid(
                    f'channel name "{name}" does not start with "#"',
                    f'write it as the rules do, e.g. "#{name}" = "{channel}"',
                )
            if not _CHANNEL_ID.match(channel):
                raise invalid(
                    f'"{channel}" is not a Slack channel id (for {name})',
                    "copy it from the channel's details in Slack (it starts with C, G or D)",
                )
        return value

    @field_validator("users")
    @classmethod
    def _user_ids(cls, value: dict[str, str]) -> dict[str, str]:
        for person, user in value.items():
            if not _USER_ID.match(user):
                raise invalid(
                    f'"{user}" is not a Slack user id (for person "{person}")',
                    "copy it from the person's Slack profile → ⋮ → Copy member ID (U…)",
                )
        return value
