"""Entry point of the Notion connector (``type = "notion"``), with its ``bootstrap`` and
``emulate`` hooks; the emulator is imported only when it is asked for, never by a run."""

from __future__ import annotations

from collections.abc import Sequence

from opsync.connectors.context import ConnectorContext
from opsync.connectors.notion.bootstrap import Bootstrap, bootstrap, unwritable_keys
from opsync.connectors.notion.client import NotionApi
from opsync.connectors.notion.config import NotionConnectorConfig
from opsync.connectors.notion.connector import NotionWiki
from opsync.errors import ConfigError


class _Factory:
    name = "notion"
    roles = NotionWiki.capabilities.roles
    config_model = NotionConnectorConfig

    def create(self, ctx: ConnectorContext) -> NotionWiki:
        config = _checked(ctx)
        return NotionWiki(
            config,
            pages=config.pages,
            name=ctx.name,
            state=ctx.state,
            clock=ctx.clock.now,
            secrets=ctx.secrets,
        )

    def bootstrap(self, ctx: ConnectorContext, parent: str | None) -> tuple[Bootstrap, str]:
        """Create (or find) the databases and views under page ``parent``."""
        if not parent:
            raise ConfigError(
                "no page to create the databases under", key="--parent", hint="pass --parent"
            )
        config = _checked(ctx)
        notion = NotionApi(config, name=ctx.name, secrets=ctx.secrets)
        try:
            result = bootstrap(notion, parent, config, config.pages)
        finally:
            notion.close()
        return result, result.config_block(config, ctx.name)

    def emulate(self, args: Sequence[str]) -> int:
        from opsync.testing.emulators.notion import main

        return main(list(args))


def _checked(ctx: ConnectorContext) -> NotionConnectorConfig:
    """The connector's config, refused when an org key cannot be a Notion select option."""
    config = ctx.settings_as(NotionConnectorConfig)
    problems = unwritable_keys(config, ctx.people, ctx.areas, ctx.name)
    if problems:
        raise ConfigError(problems=problems)
    return config


factory = _Factory()
