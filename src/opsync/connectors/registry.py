"""The one registry of connector types: the ``opsync.connectors`` entry-point group.

Built-in connectors are registered in opsync's own pyproject exactly as a third party would
register theirs, so there is one discovery path and it is always exercised. The group is
listed once per process, and an entry point is loaded only when a config names its type:
a run on the local workspace never imports a vendor SDK, and validating a ``notion``
table does not import the Jira connector.

Besides ``name``, ``config_model`` and ``create``, a factory may offer hooks the command
line finds here instead of importing vendor modules: ``doctor`` (check the service),
``bootstrap`` (create what opsync works under) and ``emulate`` (serve an offline
emulator of the service).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Protocol

from opsync import extras
from opsync.connectors.base import Connector, Role
from opsync.connectors.config import ConnectorConfig
from opsync.connectors.context import ConnectorContext
from opsync.domain import Finding
from opsync.errors import ConfigError

GROUP = "opsync.connectors"
#: The type a config without ``[connectors]`` uses: the embedded folder workspace.
EMBEDDED = "local"


class ConnectorFactory(Protocol):
    name: str
    config_model: type[ConnectorConfig]
    roles: frozenset[Role]  # its connector's ``capabilities.roles``, known before one is built

    def create(self, ctx: ConnectorContext) -> Connector: ...


class Bootstrap(Protocol):
    """What ``bootstrap`` returns: what it did, and the config block to paste."""

    created: list[str]
    found: list[str]
    problems: list[str]


class DoctorHook(Protocol):
    def doctor(self, ctx: ConnectorContext) -> list[Finding]:
        """Check the credentials, sharing and schema; each finding names its fix."""
        ...


class BootstrapHook(Protocol):
    def bootstrap(self, ctx: ConnectorContext, parent: str | None) -> tuple[Bootstrap, str]:
        """Create (or find, on a rerun) what opsync works under ``parent``."""
        ...


class EmulateHook(Protocol):
    def emulate(self, args: Sequence[str]) -> int:
        """Serve an emulator of the service until stopped; ``args`` are its options."""
        ...


_CONFIG_MODELS: dict[str, type[ConnectorConfig]] = {}
_LOADED: dict[str, ConnectorFactory] = {}


@cache
def _points() -> dict[str, EntryPoint]:
    return {point.name: point for point in entry_points(group=GROUP)}


def types() -> list[str]:
    """Every connector type a config may name, sorted (nothing is imported)."""
    return sorted(set(_points()) | set(_CONFIG_MODELS))


def factory(kind: str) -> ConnectorFactory:
    """The factory of ``kind``, its entry point loaded on first use."""
    if kind not in _LOADED:
        point = _points().get(kind)
        if point is None:
            known = types()
            raise ConfigError(
                f"unknown connector type {kind!r}",
                key="connectors",
                hint=f"use one of: {', '.join(known) or 'none installed'}",
            )
        try:
            loaded = point.load()
        except ModuleNotFoundError as exc:  # a connector whose SDK is an extra not installed
            missing = extras.for_connector(kind, exc)
            if missing is None:
                raise
            raise missing from None
        model = getattr(loaded, "config_model", None)
        if not (isinstance(model, type) and issubclass(model, ConnectorConfig)):
            raise TypeError(f"{point.value}.config_model must subclass ConnectorConfig")
        _LOADED[kind] = loaded
    return _LOADED[kind]


def register_connector_config(kind: str, model: type[ConnectorConfig]) -> None:
    """Validate ``[connectors.<name>]`` tables with ``type = kind`` as ``model``, for a
    connector used as a library, without an entry point.

    Registering the same model twice is harmless; another model for a taken type is a bug.
    """
    existing = _CONFIG_MODELS.get(kind)
    if existing is not None and existing is not model:
        raise ValueError(f"connector type {kind!r} is already registered by {existing.__name__}")
    _CONFIG_MODELS[kind] = model


def connector_model(kind: str) -> type[ConnectorConfig] | None:
    """The model for ``kind``: registered in code, else its factory's; None if unknown."""
    if kind in _CONFIG_MODELS:
        return _CONFIG_MODELS[kind]
    if kind not in _points():
        return None
    return factory(kind).config_model


def serves(kind: str, role: Role) -> bool:
    """Whether connectors of ``kind`` declare ``role`` (False for an unknown type, which
    config validation reports)."""
    return kind in _points() and role in factory(kind).roles


def hook(kind: str, name: str) -> Any:
    """The factory's hook ``name`` (``doctor``, ``bootstrap``, ``emulate``), or None."""
    return getattr(factory(kind), name, None)


def create(ctx: ConnectorContext) -> Connector:
    return factory(ctx.settings.type).create(ctx)


__all__ = [
    "EMBEDDED",
    "GROUP",
    "Bootstrap",
    "BootstrapHook",
    "ConnectorFactory",
    "DoctorHook",
    "EmulateHook",
    "connector_model",
    "create",
    "factory",
    "hook",
    "register_connector_config",
    "serves",
    "types",
]
