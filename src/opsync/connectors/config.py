"""The base of every ``[connectors.<name>]`` model, below the connectors that subclass it
and the config loader that validates tables with them."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field


class ConnectorConfig(BaseModel):
    """Base of every ``[connectors.<name>]`` model; a subclass narrows ``type``.

    Every ``Path`` field of a subclass is resolved against the config file's folder.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    type: str = Field(description="Which connector this is; decides the other keys.")

    # Fields that do not decide where records live or under which keys (credentials,
    # pacing, endpoints); changing them is never an identity change.
    NOT_IDENTITY: ClassVar[frozenset[str]] = frozenset(
        {"token_env", "token_file", "requests_per_second", "full_pass_hours", "base_url"}
    )

    # Folders opsync writes into, which must lie inside the config file's folder unless the
    # config says ``allow_outside = true``: a typo (``pages = "../.."``) must not send writes
    # elsewhere on the disk, nor ``pages = "/"`` walk the whole filesystem.
    WRITES_INTO: ClassVar[frozenset[str]] = frozenset()

    def identity(self) -> dict[str, str]:
        """The settings that decide where this connector's records live."""
        return {k: str(v) for k, v in self.model_dump().items() if k not in self.NOT_IDENTITY}


class TokenConnectorConfig(ConnectorConfig):
    """Base for connectors with credentials: where the token is found, never the token."""

    token_env: str | None = Field(None, description="Environment variable holding the token.")
    token_file: Path | None = Field(None, description="File holding the token.")


__all__ = ["ConnectorConfig", "TokenConnectorConfig"]
