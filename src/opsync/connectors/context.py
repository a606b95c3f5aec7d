"""What every connector factory is given: one object, the same for every connector type.

A connector reaches opsync's state, the clock, its secrets and the organisation only
through its context, never through a path or a global it works out for itself, so the
engine decides where state lives (and whether a run may write it), and tests and
embedders can hand a connector anything without patching.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from opsync.clock import Clock, SystemClock
from opsync.connectors.config import ConnectorConfig
from opsync.domain import Person, ProductArea
from opsync.secrets import Secrets
from opsync.state import ConnectorState, MemoryStateStore

Settings = TypeVar("Settings", bound=ConnectorConfig)


@dataclass(frozen=True)
class ConnectorContext:
    """Everything a factory's ``create`` may use.

    Args:
        name: the connector's key under ``[connectors.<name>]``, carried by its errors.
        settings: that table, validated by the factory's ``config_model``.
        state: the connector's part of the state store (its read mirrors).
        clock: decides when a full pass or a cursor is due; watermarks come from the
            service's own clock.
        secrets: where tokens are read from (a file or an environment variable).
        people, areas: the organisation of ``[org]``, to match users and components to.
        base_dir: the config file's folder, which relative paths are resolved against.
    """

    name: str
    settings: ConnectorConfig
    state: ConnectorState = field(default_factory=lambda: MemoryStateStore().connector("connector"))
    clock: Clock = field(default_factory=SystemClock)
    secrets: Secrets = field(default_factory=Secrets)
    people: tuple[Person, ...] = ()
    areas: tuple[ProductArea, ...] = ()
    base_dir: Path = field(default_factory=Path.cwd)

    def settings_as(self, model: type[Settings]) -> Settings:
        """``settings`` as the factory's own model (the registry validated them with it)."""
        if not isinstance(self.settings, model):
            raise TypeError(f"connector {self.name!r}: settings are not {model.__name__}")
        return self.settings


__all__ = ["ConnectorContext"]
