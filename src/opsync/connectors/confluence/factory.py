"""Entry point of the Confluence connector (``type = "confluence"``), with its
``bootstrap`` and ``emulate`` hooks; the emulator is imported only when it is asked for,
never by a run."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import TypeAdapter, ValidationError

from opsync.connectors.confluence.bootstrap import Bootstrap, bootstrap
from opsync.connectors.confluence.client import ConfluenceApi
from opsync.connectors.confluence.config import ConfluenceConnectorConfig, PageId
from opsync.connectors.confluence.connector import ConfluenceWiki
from opsync.connectors.confluence.site import Site
from opsync.connectors.context import ConnectorContext
from opsync.errors import ConfigError


class _Factory:
    name = "confluence"
    roles = ConfluenceWiki.capabilities.roles
    config_model = ConfluenceConnectorConfig

    def create(self, ctx: ConnectorContext) -> ConfluenceWiki:
        return ConfluenceWiki(
            ctx.settings_as(ConfluenceConnectorConfig), name=ctx.name, secrets=ctx.secrets
        )

    def bootstrap(self, ctx: ConnectorContext, parent: str | None) -> tuple[Bootstrap, str]:
        """Create (or find) the pages opsync works under, below ``parent`` (else the
        connector's ``parent``)."""
        config = ctx.settings_as(ConfluenceConnectorConfig)
        parent = parent or config.parent
        if not parent:
            raise ConfigError(
                "no page to create the pages under",
                key=f"connectors.{ctx.name}.parent",
                hint="pass --parent PAGE_ID, or set parent = ... in the connector's table",
            )
        try:
            parent = TypeAdapter(PageId).validate_python(parent)
        except ValidationError as exc:
            raise ConfigError(str(exc.errors()[0]["msg"]), key="--parent") from None
        confluence = ConfluenceApi(config, name=ctx.name, secrets=ctx.secrets)
        try:
            result = bootstrap(Site(confluence, config.space), parent, config.label)
        finally:
            confluence.close()
        return result, result.config_block(config, ctx.name)

    def emulate(self, args: Sequence[str]) -> int:
        from opsync.testing.emulators.confluence import main

        return main(list(args))


factory = _Factory()
