"""Entry point of the email notifier (``type = "email"``), with its ``doctor`` hook."""

from __future__ import annotations

from opsync.connectors.context import ConnectorContext
from opsync.connectors.email.config import EmailConnectorConfig
from opsync.connectors.email.notifier import EmailNotifier
from opsync.domain import Finding


class _Factory:
    name = "email"
    roles = EmailNotifier.capabilities.roles
    config_model = EmailConnectorConfig

    def create(self, ctx: ConnectorContext) -> EmailNotifier:
        return EmailNotifier(
            ctx.settings_as(EmailConnectorConfig),
            name=ctx.name,
            secrets=ctx.secrets,
            clock=ctx.clock,
            people=ctx.people,
        )

    def doctor(self, ctx: ConnectorContext) -> list[Finding]:
        """Connect, EHLO, STARTTLS and log in as configured, then ``NOOP``; and the lists
        and people no message could go to. Each finding names its fix."""
        notifier = self.create(ctx)
        try:
            return notifier.check()
        finally:
            notifier.close()


factory = _Factory()
