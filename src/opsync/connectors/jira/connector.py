"""The Jira tracker connector: releases as issues, read incrementally (see ``reader.py``).

It serves the ``tracker`` role only and writes nothing to Jira; the release rows it returns
are merged by the wiki connector with the people-owned fields of the release records.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar

import httpx

from opsync.connectors.base import Capabilities, Role, TrackerRead
from opsync.connectors.jira.client import JiraApi
from opsync.connectors.jira.config import JiraConnectorConfig
from opsync.connectors.jira.doctor import check
from opsync.connectors.jira.mirror import NAME, Mirror
from opsync.connectors.jira.reader import Reader
from opsync.connectors.jira.rows import RowMapper
from opsync.domain import Finding, Person, ProductArea
from opsync.http import RetryPolicy, TokenBucket
from opsync.secrets import Secrets
from opsync.state import ConnectorState

_MIRROR_SCOPE = {"deployment", "project", "filters", "jql", "launch_date", "fields"}


def _utc_now() -> datetime:
    return datetime.now(UTC)


class JiraTracker:
    """:class:`~opsync.connectors.base.TrackerSource` over Jira Cloud or Data Center.

    Args:
        config: the ``[connectors.<name>]`` table.
        people, areas: the organisation, to match users and components to.
        name: the connector's name in the config, carried by errors.
        transport, bucket, policy, secrets: passed to :class:`JiraApi`.
        state: the connector's part of the state store, where the mirror (cursor and
            issues) is kept between runs; without it every run reads every issue.
        clock: decides when a full pass is due; UTC now by default.
    """

    name: ClassVar[str] = "jira"
    capabilities: ClassVar[Capabilities] = Capabilities(
        roles=frozenset({Role.TRACKER}), incremental=True, requests_per_second=5.0
    )

    def __init__(
        self,
        config: JiraConnectorConfig,
        people: tuple[Person, ...] = (),
        areas: tuple[ProductArea, ...] = (),
        *,
        name: str = "jira",
        transport: httpx.BaseTransport | None = None,
        bucket: TokenBucket | None = None,
        policy: RetryPolicy | None = None,
        state: ConnectorState | None = None,
        clock: Callable[[], datetime] = _utc_now,
        secrets: Secrets | None = None,
    ) -> None:
        self.config = config
        self.api = JiraApi(
            config, name=name, transport=transport, bucket=bucket, policy=policy, secrets=secrets
        )
        mapper = RowMapper(config, people, areas, self.api.url)
        # A mirror made for another site, project, filter or field list is not reused.
        scope = config.model_dump(mode="json", include=_MIRROR_SCOPE)
        identity = hashlib.sha256(
            json.dumps([self.api.url, scope], sort_keys=True).encode()
        ).hexdigest()[:16]
        mirror = Mirror.load(state.get(NAME) if state is not None else None, identity)
        if state is not None:
            state.keep(NAME, mirror.dump)
        self.reader = Reader(self.api, config, mapper, mirror, clock)

    def check(self) -> list[Finding]:
        return check(self.api, self.config)

    def read_releases(self) -> TrackerRead:
        return self.reader.read()

    def counts(self) -> dict[str, int]:
        return self.api.counts()

    def close(self) -> None:
        self.api.close()
