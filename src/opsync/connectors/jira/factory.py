"""Entry point of the Jira connector (``type = "jira"``)."""

from __future__ import annotations

from pathlib import Path

from opsync.connectors.jira.config import JiraConnectorConfig
from opsync.connectors.jira.connector import JiraTracker
from opsync.domain import Person, ProductArea


class _Factory:
    name = "jira"
    config_model = JiraConnectorConfig

    def create(
        self,
        config: JiraConnectorConfig,
        people: tuple[Person, ...],
        areas: tuple[ProductArea, ...],
        *,
        cache_path: Path | None = None,
        name: str = "jira",
    ) -> JiraTracker:
        return JiraTracker(config, people, areas, name=name, cache_path=cache_path)


factory = _Factory()
