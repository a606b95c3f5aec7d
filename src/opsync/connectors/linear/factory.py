"""Entry point of the Linear connector (``type = "linear"``), with its ``doctor`` and
``emulate`` hooks; the emulator (and graphql-core) is imported only when asked for."""

from __future__ import annotations

from collections.abc import Sequence

from opsync.connectors.context import ConnectorContext
from opsync.connectors.linear.client import LinearApi
from opsync.connectors.linear.config import LinearConnectorConfig
from opsync.connectors.linear.connector import LinearTracker
from opsync.connectors.linear.doctor import check
from opsync.domain import Finding


class _Factory:
    name = "linear"
    roles = LinearTracker.capabilities.roles
    config_model = LinearConnectorConfig

    def create(self, ctx: ConnectorContext) -> LinearTracker:
        return LinearTracker(
            ctx.settings_as(LinearConnectorConfig),
            ctx.people,
            ctx.areas,
            name=ctx.name,
            state=ctx.state,
            clock=ctx.clock.now,
            secrets=ctx.secrets,
        )

    def doctor(self, ctx: ConnectorContext) -> list[Finding]:
        """The checks need the API only, not the reader and its mirror."""
        config = ctx.settings_as(LinearConnectorConfig)
        api = LinearApi(config, name=ctx.name, secrets=ctx.secrets)
        try:
            return check(api, config)
        finally:
            api.close()

    def emulate(self, args: Sequence[str]) -> int:
        from opsync.testing.emulators.linear import main

        return main(list(args))


factory = _Factory()
