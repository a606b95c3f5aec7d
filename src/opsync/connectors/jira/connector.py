"""The Jira tracker connector: releases as issues, read incrementally (see ``reader.py``).

It serves the ``tracker`` role; the release rows it returns are merged by the wiki
connector with the people-owned fields of the release records. With ``[write_back]`` it
also writes opsync's values onto the release issues (``writeback.py``), nothing else.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar

import httpx

from opsync.connectors.base import Capabilities, Role, TrackerRead, TrackerWrite
from opsync.connectors.jira.client import JiraApi
from opsync.connectors.jira.config import JiraConnectorConfig
from opsync.connectors.jira.doctor import check
from opsync.connectors.jira.mirror import NAME, Mirror
from opsync.connectors.jira.reader import Reader
from opsync.connectors.jira.rows import RowMapper
from opsync.connectors.jira.writeback import NAME as WRITTEN
from opsync.connectors.jira.writeback import Memory, Writer
from opsync.domain import Finding, Person, ProductArea
from opsync.http import RetryPolicy, TokenBucket
from opsync.secrets import Secrets
from opsync.state import ConnectorState

# write_back: its fields are read too, so a mirror read without them is read again
_MIRROR_SCOPE = {"deployment", "project", "filters", "jql", "launch_date", "fields", "write_back"}


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
        self.writer: Writer | None = None
        self._titles: dict[str, str] = {}
        if config.write_back is not None:
            memory = Memory.load(state.get(WRITTEN) if state is not None else None)
            if state is not None:
                state.keep(WRITTEN, memory.dump)
            self.writer = Writer(self.api, config.write_back, memory)

    def check(self) -> list[Finding]:
        return check(self.api, self.config)

    def read_releases(self) -> TrackerRead:
        read = self.reader.read()
        if self.writer is not None:
            issues = [
                i for i in self.reader.mirror.issues.values() if str(i.get("key")) in read.rows
            ]
            read.owned = self.writer.states(issues, self.api.url)
            self._titles = {k: str(r.get("title") or k) for k, r in read.rows.items()}
        return read

    def writes_back(self) -> frozenset[str]:
        return self.config.write_back.names() if self.config.write_back is not None else frozenset()

    def write_release(self, op: TrackerWrite) -> None:
        if self.writer is None:  # the engine asks only a tracker that writes back
            raise ValueError(f"connector {self.api.name!r} has no [write_back]")
        title = f"Launch enablement bundle: {self._titles.get(op.key, op.key)}"
        self.writer.write(op, title)

    def counts(self) -> dict[str, int]:
        return self.api.counts()

    def close(self) -> None:
        self.api.close()
