"""Reading a connector's secret from a file or an environment variable, the only two places
opsync takes one from (never the config file, which gets committed and shared).

Every connector asks the same way, so a missing or unreadable secret reads the same
everywhere: the error names the config key to change and how to provide the value, and
never holds the value itself.
"""

from __future__ import annotations

import os
from pathlib import Path

from opsync.errors import ConfigError


def from_env(variable: str, *, key: str, what: str, hint: str) -> str:
    """Environment ``variable``, stripped; unset or blank is a config error on ``key``."""
    value = os.environ.get(variable, "").strip()
    if not value:
        raise ConfigError(
            f"the environment variable {variable} holding the {what} is not set",
            key=key,
            hint=hint,
        )
    return value


def read_secret(
    file: str | Path | None, variable: str, *, table: str, what: str, hint: str, file_hint: str
) -> str:
    """The secret in ``file`` when set, else in environment ``variable``.

    Args:
        table: the connector's config table (``connectors.<name>``), for the key in errors.
        what: what the secret is, e.g. "Notion token".
        hint: how to set the variable; ``file_hint``: how to make the file.
    """
    if file is None:
        return from_env(variable, key=f"{table}.token_env", what=what, hint=hint)
    path = Path(file)
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(
            f"cannot read the {what} file {path}: {exc.strerror}",
            key=f"{table}.token_file",
            hint=file_hint,
        ) from None
    if not value:
        raise ConfigError(f"the {what} file {path} is empty", key=f"{table}.token_file")
    return value


__all__ = ["from_env", "read_secret"]
