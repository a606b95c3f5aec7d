"""Reading a connector's secret from a file or an environment variable, the only two places
opsync takes one from (never the config file, which gets committed and shared).

Every connector asks the same reader, handed to it in its context, so a missing or
unreadable secret reads the same everywhere: the error names the config key to change and
how to provide the value, and never holds the value itself. The reader is an object, not
the process environment, so that an embedder or a test can give a connector its secrets
without exporting them to everything else in the process: ``opsync.sync(config,
secrets={"NOTION_TOKEN": ...})`` reads the variables a connector names (``token_env``) from
that mapping instead of the environment. The values are never shown: not in errors, not in
this object's ``repr``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from opsync.errors import ConfigError


class Secrets:
    """Secrets from ``environ`` (the process environment, read at each call, by default;
    else a mapping an embedder gives, read instead of it) and from files."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ

    def __repr__(self) -> str:
        if self._environ is None:
            return "Secrets(from the environment)"
        return f"Secrets(names={sorted(self._environ)!r})"  # names only, never a value

    def from_env(self, variable: str, *, key: str, what: str, hint: str) -> str:
        """Environment ``variable`` (or the given mapping's entry), stripped; unset or blank
        is a config error on ``key``."""
        environ = os.environ if self._environ is None else self._environ
        value = environ.get(variable, "").strip()
        if not value and self._environ is not None:
            raise ConfigError(
                f"the secrets given to opsync have no {variable} (the {what})",
                key=key,
                hint=f'add "{variable}" to the secrets mapping passed to opsync',
            )
        if not value:
            raise ConfigError(
                f"the environment variable {variable} holding the {what} is not set",
                key=key,
                hint=hint,
            )
        return value

    def read(
        self,
        file: str | Path | None,
        variable: str,
        *,
        table: str,
        what: str,
        hint: str,
        file_hint: str,
        env_field: str = "token_env",
        file_field: str = "token_file",
    ) -> str:
        """The secret in ``file`` when set, else in environment ``variable``.

        Args:
            table: the connector's config table (``connectors.<name>``), for the key in errors.
            what: what the secret is, e.g. "Notion token".
            hint: how to set the variable; ``file_hint``: how to make the file.
            env_field, file_field: the table's keys naming the variable and the file
                (``password_env``/``password_file`` for a password), for the key in errors.
        """
        if file is None:
            return self.from_env(variable, key=f"{table}.{env_field}", what=what, hint=hint)
        path = Path(file)
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"cannot read the {what} file {path}: {exc.strerror}",
                key=f"{table}.{file_field}",
                hint=file_hint,
            ) from None
        if not value:
            raise ConfigError(f"the {what} file {path} is empty", key=f"{table}.{file_field}")
        return value


__all__ = ["Secrets"]
