"""Entry point of the local workspace connector (``type = "local"``)."""

from __future__ import annotations

from opsync.config import LocalConnectorConfig
from opsync.connectors.local.workspace import LocalWorkspace
from opsync.domain import Person, ProductArea


class _Factory:
    name = "local"
    config_model = LocalConnectorConfig

    def create(
        self,
        config: LocalConnectorConfig,
        people: tuple[Person, ...],
        areas: tuple[ProductArea, ...],
    ) -> LocalWorkspace:
        return LocalWorkspace(
            tracker=config.tracker,
            wiki=config.wiki,
            pages=config.pages,
            outbox=config.outbox,
            people=people,
            product_areas=areas,
        )


factory = _Factory()
