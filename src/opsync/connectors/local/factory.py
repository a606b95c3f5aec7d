"""Entry point of the local workspace connector (``type = "local"``)."""

from __future__ import annotations

from opsync.connectors.context import ConnectorContext
from opsync.connectors.local.config import LocalConnectorConfig
from opsync.connectors.local.workspace import LocalWorkspace


class _Factory:
    name = "local"
    roles = LocalWorkspace.capabilities.roles
    config_model = LocalConnectorConfig

    def create(self, ctx: ConnectorContext) -> LocalWorkspace:
        config = ctx.settings_as(LocalConnectorConfig)
        return LocalWorkspace(
            tracker=config.tracker,
            wiki=config.wiki,
            pages=config.pages,
            outbox=config.outbox,
            link_base_url=config.link_base_url,
            state=ctx.state,
            tracker_encoding=config.tracker_encoding,
        )


factory = _Factory()
