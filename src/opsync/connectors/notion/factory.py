"""Entry point of the Notion connector (``type = "notion"``)."""

from __future__ import annotations

from pathlib import Path

from opsync.connectors.notion.config import NotionConnectorConfig
from opsync.connectors.notion.connector import NotionWiki
from opsync.domain import Person, ProductArea


class _Factory:
    name = "notion"
    config_model = NotionConnectorConfig

    def create(
        self,
        config: NotionConnectorConfig,
        people: tuple[Person, ...],
        areas: tuple[ProductArea, ...],
        *,
        cache_path: Path | None = None,
    ) -> NotionWiki:
        return NotionWiki(config, people, areas, pages=config.pages, cache_path=cache_path)


factory = _Factory()
