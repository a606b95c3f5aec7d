"""Entry point of the Slack notifier (``type = "slack"``), with its ``doctor`` and
``emulate`` hooks; the emulator is imported only when asked for, never by a run."""

from __future__ import annotations

from collections.abc import Sequence

from opsync.connectors.base import Role
from opsync.connectors.context import ConnectorContext
from opsync.connectors.slack.client import SlackApi
from opsync.connectors.slack.config import SlackConnectorConfig
from opsync.connectors.slack.notifier import SlackNotifier
from opsync.domain import Finding


class _Factory:
    name = "slack"
    roles = frozenset({Role.NOTIFIER})
    config_model = SlackConnectorConfig

    def create(self, ctx: ConnectorContext) -> SlackNotifier:
        config = ctx.settings_as(SlackConnectorConfig)
        return SlackNotifier(
            config,
            SlackApi(config, name=ctx.name, secrets=ctx.secrets),
            state=ctx.state,
            people=ctx.people,
            clock=ctx.clock.now,
            name=ctx.name,
        )

    def doctor(self, ctx: ConnectorContext) -> list[Finding]:
        from opsync.connectors.slack.doctor import check

        notifier = self.create(ctx)
        try:
            return check(notifier, notifier.config.channels)
        finally:
            notifier.close()

    def emulate(self, args: Sequence[str]) -> int:
        from opsync.testing.emulators.slack import main

        return main(list(args))


factory = _Factory()
