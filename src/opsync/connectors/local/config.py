"""The ``[connectors.<name>]`` model of the embedded local workspace (``type = "local"``)."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from opsync.connectors.config import ConnectorConfig


class LocalConnectorConfig(ConnectorConfig):
    """The embedded workspace: a tracker file and Markdown folders, no account needed."""

    type: Literal["local"] = Field("local", description="The embedded local workspace.")
    tracker: Path = Field(Path("tracker/releases.yaml"), description="The releases file.")
    wiki: Path = Field(Path("wiki"), description="Folder of wiki database rows (Markdown).")
    pages: Path = Field(Path("pages"), description="Folder generated pages are written to.")
    outbox: Path = Field(
        Path("outbox"),
        description=(
            "Folder of the messages sent: the messages themselves when this workspace is the "
            "notifier, a copy of each when Slack or email send them."
        ),
    )
    link_base_url: str | None = Field(
        None,
        description=(
            "URL the pages folder is served at (a docs site, a file share), so messages link "
            "to pages; without it they give the page's path."
        ),
    )

    tracker_encoding: str = Field(
        "utf-8",
        description="Encoding of the tracker file, e.g. cp1252 for a CSV Excel saved on "
        "Windows (the wiki and pages are UTF-8).",
    )

    @field_validator("tracker_encoding")
    @classmethod
    def _known_codec(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(
                f"unknown encoding {value!r}; use a Python codec name such as utf-8, cp1252 "
                "or latin-1"
            ) from None
        return value

    allow_outside: bool = Field(
        False,
        description="Let wiki, pages and outbox lie outside the config file's folder (they "
        "must be inside it otherwise).",
    )

    # The tracker file is only read, and links are only shown: changing them changes nothing
    # opsync wrote.
    NOT_IDENTITY: ClassVar[frozenset[str]] = frozenset(
        {"tracker", "tracker_encoding", "link_base_url", "allow_outside"}
    )
    WRITES_INTO: ClassVar[frozenset[str]] = frozenset({"wiki", "pages", "outbox"})
