"""Entry point of the Jira connector (``type = "jira"``), with its ``doctor``, ``bootstrap``
(the write-back fields) and ``emulate`` hooks; the emulator is imported only when it is
asked for, never by a run."""

from __future__ import annotations

from collections.abc import Sequence

from opsync.connectors.context import ConnectorContext
from opsync.connectors.jira.bootstrap import Bootstrap, bootstrap
from opsync.connectors.jira.client import JiraApi
from opsync.connectors.jira.config import JiraConnectorConfig
from opsync.connectors.jira.connector import JiraTracker
from opsync.connectors.jira.doctor import check
from opsync.domain import Finding


class _Factory:
    name = "jira"
    roles = JiraTracker.capabilities.roles
    config_model = JiraConnectorConfig

    def create(self, ctx: ConnectorContext) -> JiraTracker:
        return JiraTracker(
            ctx.settings_as(JiraConnectorConfig),
            ctx.people,
            ctx.areas,
            name=ctx.name,
            state=ctx.state,
            clock=ctx.clock.now,
            secrets=ctx.secrets,
        )

    def doctor(self, ctx: ConnectorContext) -> list[Finding]:
        """The checks need the API only, not the reader and its mirror."""
        api = JiraApi(ctx.settings_as(JiraConnectorConfig), name=ctx.name, secrets=ctx.secrets)
        try:
            return check(api, ctx.settings_as(JiraConnectorConfig))
        finally:
            api.close()

    def bootstrap(self, ctx: ConnectorContext, parent: str | None) -> tuple[Bootstrap, str]:
        """The write-back custom fields (``parent`` does not apply to Jira)."""
        config = ctx.settings_as(JiraConnectorConfig)
        api = JiraApi(config, name=ctx.name, secrets=ctx.secrets)
        try:
            return bootstrap(api, config, ctx.name)
        finally:
            api.close()

    def emulate(self, args: Sequence[str]) -> int:
        from opsync.testing.emulators.jira import main

        return main(list(args))


factory = _Factory()
