"""The install extras: which optional part of opsync each one holds, and the error that
names the pip command when a part is used without its extra.

``pip install opsync`` is the core: the rules, the local folder workspace, the outbox, email
(stdlib SMTP) and the calendar feed written to a folder. Everything that talks to a vendor,
draws a picture or emulates a service is an extra (pyproject.toml lists them), imported only
when a config or a command asks for it. So a missing extra shows up where that happens (the
connector's entry point, loaded when the config is read; an emulator, when it is started) as
a :class:`MissingExtra`: a config error (exit 2) that says what to install, never a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence

from opsync.errors import ConfigError

#: The extra each built-in connector type needs beyond the core (``local`` and ``email``
#: need none).
CONNECTOR_EXTRAS: dict[str, str] = {
    "notion": "notion",
    "jira": "atlassian",
    "confluence": "atlassian",
    "slack": "slack",
    "linear": "linear",
    "s3": "s3",
}

#: The top-level modules opsync imports from the packages each extra installs.
EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "notion": ("notion_client", "httpx"),
    "atlassian": ("atlassian", "requests", "httpx"),
    "slack": ("slack_sdk", "httpx"),
    "linear": ("httpx",),
    "postgres": ("psycopg",),
    "s3": ("boto3", "botocore"),
    "charts": ("matplotlib",),
    "emulators": ("openapi_core", "graphql", "werkzeug"),
}

#: The emulators that validate requests against a spec (the Slack one checks by hand).
VALIDATING_EMULATORS = frozenset({"notion", "jira", "confluence", "linear"})


class MissingExtra(ConfigError):
    """``what`` needs ``module``, which the extras ``extras`` install and this install lacks."""

    def __init__(self, what: str, module: str, extras: Sequence[str], *, key: str) -> None:
        self.module = module
        self.extras = tuple(extras)
        if self.extras:
            hint = f'install it with: pip install "opsync[{",".join(self.extras)}]"'
        else:
            hint = f"install the package that provides {module!r}"
        super().__init__(
            f"{what} needs the package {module!r}, which is not installed", key=key, hint=hint
        )


def missing_module(exc: ModuleNotFoundError) -> str | None:
    """The top-level module ``exc`` could not find, when an extra (or a third party's
    connector package) would provide it; None for one of opsync's own modules, which is a
    bug to show as it is, not an install to suggest."""
    top = (exc.name or "").partition(".")[0]
    return None if not top or top == "opsync" else top


def for_connector(kind: str, exc: ModuleNotFoundError) -> MissingExtra | None:
    """The error for a connector of type ``kind`` whose entry point could not be imported."""
    module = missing_module(exc)
    if module is None:
        return None
    extra = CONNECTOR_EXTRAS.get(kind)
    return MissingExtra(f"the {kind} connector", module, [extra] if extra else [], key="connectors")


def for_emulator(kind: str, module: str) -> MissingExtra:
    """The error for ``opsync emulate <kind>``: it names every extra the command needs, the
    connector's (the emulate hook lives on its factory) and, for the emulators that check
    each request against the vendor's published OpenAPI spec or GraphQL schema, ``emulators``
    (installing an extra already there is harmless)."""
    extras = [CONNECTOR_EXTRAS[kind]] if kind in CONNECTOR_EXTRAS else []
    if kind in VALIDATING_EMULATORS:
        extras.append("emulators")
    return MissingExtra(f"opsync emulate {kind}", module, extras, key="emulate")


__all__ = [
    "CONNECTOR_EXTRAS",
    "EXTRA_MODULES",
    "VALIDATING_EMULATORS",
    "MissingExtra",
    "for_connector",
    "for_emulator",
    "missing_module",
]
