"""The Linear tracker connector: releases as projects or labelled issues, read
incrementally (``reader.py``).

It serves the ``tracker`` role; the release rows it returns are merged by the wiki
connector with the people-owned fields of the release records. With ``[write_back]`` it
also writes opsync's values onto the release issues (``writeback.py``): a status label and
an attachment linking the bundle page, nothing else. Writes are GraphQL mutations on the
same :class:`LinearApi`: counted as writes and never repeated blindly by the policy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar

import httpx

from opsync.connectors.base import Capabilities, Role, TrackerRead, TrackerWrite
from opsync.connectors.jira.mirror import NAME, Mirror
from opsync.connectors.jira.writeback import Memory
from opsync.connectors.linear.client import LinearApi
from opsync.connectors.linear.config import LinearConnectorConfig
from opsync.connectors.linear.doctor import check
from opsync.connectors.linear.reader import Reader
from opsync.connectors.linear.rows import RowMapper
from opsync.connectors.linear.writeback import NAME as WRITTEN
from opsync.connectors.linear.writeback import Writer
from opsync.domain import Finding, Person, ProductArea
from opsync.http import RetryPolicy
from opsync.http.budget import BudgetedBucket
from opsync.secrets import Secrets
from opsync.state import ConnectorState

# What the items in the mirror depend on: another team, label or mode reads other items;
# write_back: the status labels are read from the mirror, so a new group reads them again.
_MIRROR_SCOPE = {"team", "releases", "label", "write_back"}


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LinearTracker:
    """:class:`~opsync.connectors.base.TrackerSource` over Linear's GraphQL API.

    Args:
        config: the ``[connectors.<name>]`` table.
        people, areas: the organisation, to match users and labels to.
        name: the connector's name in the config, carried by errors.
        transport, bucket, policy, secrets: passed to :class:`LinearApi`.
        state: the connector's part of the state store, where the mirror is kept.
        clock: decides when a full pass is due; UTC now by default.
    """

    name: ClassVar[str] = "linear"
    capabilities: ClassVar[Capabilities] = Capabilities(
        roles=frozenset({Role.TRACKER}), incremental=True, requests_per_second=2.0
    )

    def __init__(
        self,
        config: LinearConnectorConfig,
        people: tuple[Person, ...] = (),
        areas: tuple[ProductArea, ...] = (),
        *,
        name: str = "linear",
        transport: httpx.BaseTransport | None = None,
        bucket: BudgetedBucket | None = None,
        policy: RetryPolicy | None = None,
        state: ConnectorState | None = None,
        clock: Callable[[], datetime] = _utc_now,
        secrets: Secrets | None = None,
    ) -> None:
        self.config = config
        self.api = LinearApi(
            config, name=name, transport=transport, bucket=bucket, policy=policy, secrets=secrets
        )
        scope = config.model_dump(mode="json", include=_MIRROR_SCOPE)
        identity = hashlib.sha256(
            json.dumps([self.api.url, scope], sort_keys=True).encode()
        ).hexdigest()[:16]
        mirror = Mirror.load(state.get(NAME) if state is not None else None, identity)
        if state is not None:
            state.keep(NAME, mirror.dump)
        self.reader = Reader(self.api, config, RowMapper(config, people, areas), mirror, clock)
        self.writer: Writer | None = None
        if config.write_back is not None:
            memory = Memory.load(state.get(WRITTEN) if state is not None else None)
            if state is not None:
                state.keep(WRITTEN, memory.dump)
            self.writer = Writer(self.api, config.write_back, config.team, memory)

    def check(self) -> list[Finding]:
        return check(self.api, self.config)

    def read_releases(self) -> TrackerRead:
        read = self.reader.read()
        if self.writer is not None:
            items = self.reader.mirror.issues.values()
            read.owned = self.writer.states(
                i for i in items if str(i.get("identifier")) in read.rows
            )
        return read

    def writes_back(self) -> frozenset[str]:
        return self.config.write_back.names() if self.config.write_back is not None else frozenset()

    def write_release(self, op: TrackerWrite) -> None:
        if self.writer is None:  # the engine asks only a tracker that writes back
            raise ValueError(f"connector {self.api.name!r} has no [write_back]")
        self.writer.write(op)

    def counts(self) -> dict[str, int]:
        return self.api.counts()

    def close(self) -> None:
        self.api.close()
