"""Entry point of the local workspace connector (``type = "local"``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from opsync.connectors.local.workspace import LocalWorkspace
from opsync.domain import Person, ProductArea


class LocalConfig(BaseModel):
    """``[connectors.<name>]`` with ``type = "local"``; paths relative to the config file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["local"] = "local"
    tracker: Path = Path("tracker/releases.yaml")
    wiki: Path = Path("wiki")
    pages: Path = Path("pages")
    outbox: Path = Path("outbox")


class _Factory:
    name = "local"
    config_model = LocalConfig

    def create(
        self, config: LocalConfig, people: tuple[Person, ...], areas: tuple[ProductArea, ...]
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
