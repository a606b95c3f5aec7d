"""Entry point of the Confluence connector (``type = "confluence"``)."""

from __future__ import annotations

from opsync.connectors.confluence.config import ConfluenceConnectorConfig
from opsync.connectors.confluence.connector import ConfluenceWiki
from opsync.domain import Person, ProductArea


class _Factory:
    name = "confluence"
    config_model = ConfluenceConnectorConfig

    def create(
        self,
        config: ConfluenceConnectorConfig,
        people: tuple[Person, ...],
        areas: tuple[ProductArea, ...],
    ) -> ConfluenceWiki:
        return ConfluenceWiki(config, people, areas)


factory = _Factory()
