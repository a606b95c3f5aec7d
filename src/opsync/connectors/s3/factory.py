"""Entry point of the S3 feed store (``type = "s3"``), with its ``doctor`` hook."""

from __future__ import annotations

from opsync.connectors.context import ConnectorContext
from opsync.connectors.s3.config import S3ConnectorConfig
from opsync.connectors.s3.store import S3FeedStore
from opsync.domain import Finding


class _Factory:
    name = "s3"
    roles = S3FeedStore.capabilities.roles
    config_model = S3ConnectorConfig

    def create(self, ctx: ConnectorContext) -> S3FeedStore:
        return S3FeedStore(ctx.settings_as(S3ConnectorConfig), name=ctx.name, secrets=ctx.secrets)

    def doctor(self, ctx: ConnectorContext) -> list[Finding]:
        """The credentials, the bucket, and a probe object written and deleted."""
        store = self.create(ctx)
        try:
            return store.check()
        finally:
            store.close()


factory = _Factory()
