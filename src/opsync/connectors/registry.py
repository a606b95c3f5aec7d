"""Find connector factories through the ``opsync.connectors`` entry-point group.

Built-in connectors are registered in opsync's own pyproject exactly as a third party would
register theirs, so there is one discovery path and it is always exercised.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import Any, Protocol

from pydantic import BaseModel

from opsync.connectors.base import Workspace
from opsync.domain import Person, ProductArea
from opsync.errors import ConfigError

GROUP = "opsync.connectors"


class ConnectorFactory(Protocol):
    name: str
    config_model: type[BaseModel]

    def create(
        self, config: Any, people: tuple[Person, ...], areas: tuple[ProductArea, ...]
    ) -> Workspace: ...


@cache
def factories() -> dict[str, ConnectorFactory]:
    found: dict[str, ConnectorFactory] = {}
    for point in entry_points(group=GROUP):
        found[point.name] = point.load()
    return found


def factory(kind: str) -> ConnectorFactory:
    known = factories()
    if kind not in known:
        raise ConfigError(
            f"unknown connector type {kind!r}",
            key="connectors",
            hint=f"use one of: {', '.join(sorted(known)) or 'none installed'}",
        )
    return known[kind]
