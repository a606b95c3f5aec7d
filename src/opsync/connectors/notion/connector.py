"""The Notion wiki connector: the collections as data sources, generated pages as rows of a
``pages`` data source, all through the official notion-client (see ``client.py``).

It serves the ``wiki`` and ``pages`` roles; releases come from the tracker connector and
are merged with the people-owned fields of the release rows, as the local workspace does.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import ClassVar

import httpx

from opsync.connectors import charts
from opsync.connectors.base import (
    Capabilities,
    PageWrite,
    ReadResult,
    RecordWrite,
    Role,
)
from opsync.connectors.notion.bootstrap import property_schema
from opsync.connectors.notion.catalog import PAGES, Catalog, page_property_names
from opsync.connectors.notion.client import NotionApi
from opsync.connectors.notion.config import (
    EDITED_BY_FIELD,
    CollectionMapping,
    NotionConnectorConfig,
    property_names,
)
from opsync.connectors.notion.hashes import HASHES_FIELD
from opsync.connectors.notion.lease import NotionLease
from opsync.connectors.notion.mirror import Mirror
from opsync.connectors.notion.properties import property_type
from opsync.connectors.notion.reader import Reader, owned_fields
from opsync.connectors.notion.writer import Writer, region_content
from opsync.documents.model import Document
from opsync.domain import Collection, Finding, Level
from opsync.errors import ConfigError, ConnectorError
from opsync.http import RetryPolicy, TokenBucket
from opsync.secrets import Secrets
from opsync.state import ConnectorState

# The pace a config without ``requests_per_second`` runs at: one number, kept in the config.
_DEFAULT_PACE: float = NotionConnectorConfig.model_fields["requests_per_second"].default

# Property types opsync can write a field to, by the type bootstrap gives it.
_COMPATIBLE = {
    "select": {"select", "status", "rich_text"},
    "rich_text": {"rich_text", "title"},
    "url": {"url", "rich_text"},
}


def _problem(record: str, field: str, message: str, level: Level = Level.ERROR) -> Finding:
    return Finding(code="notion.setup", record=record, field=field, level=level, message=message)


def needed(
    config: NotionConnectorConfig, pages: CollectionMapping | None, where: str
) -> list[tuple[str, str, str]]:
    """(field, property name, type) of every property opsync writes in ``where``."""
    if where == PAGES:
        names = page_property_names(pages)
        kinds = {"key": "rich_text", "regions": "rich_text", EDITED_BY_FIELD: "last_edited_by"}
        return [(f, names[f], kind) for f, kind in kinds.items()]
    collection = Collection(where)
    names = property_names(config, collection)
    return [
        (f, names[f], next(iter(property_schema(config, collection, f))))
        for f in ("key", *owned_fields(collection), HASHES_FIELD, EDITED_BY_FIELD)
    ]


class NotionWiki:
    """:class:`~opsync.connectors.base.WikiConnector` over a Notion workspace.

    Args:
        config: the ``[connectors.<name>]`` table.
        pages: where generated pages live (one row each).
        name: the connector's name in the config, carried by errors.
        transport, bucket, policy, secrets: passed to :class:`NotionApi`.
        state: the connector's part of the state store, where the mirror of what was read
            is kept between runs; without it every read lists every row and page.
        clock: decides when a full pass is due (tests pass one); UTC now by default.
    """

    name: ClassVar[str] = "notion"
    capabilities: ClassVar[Capabilities] = Capabilities(
        roles=frozenset({Role.WIKI, Role.PAGES}),
        incremental=True,
        page_format="notion",
        requests_per_second=_DEFAULT_PACE,
    )

    def __init__(
        self,
        config: NotionConnectorConfig,
        *,
        pages: CollectionMapping | None = None,
        name: str = "notion",
        transport: httpx.BaseTransport | None = None,
        bucket: TokenBucket | None = None,
        policy: RetryPolicy | None = None,
        state: ConnectorState | None = None,
        clock: Callable[[], datetime] | None = None,
        secrets: Secrets | None = None,
    ) -> None:
        self.config = config
        self.api = NotionApi(
            config, name=name, transport=transport, bucket=bucket, policy=policy, secrets=secrets
        )
        every = timedelta(hours=config.full_pass_hours)
        mirror = Mirror(state, config.notion_version, every, *([clock] if clock else []))
        self.catalog = Catalog(self.api, config, pages, name, mirror)
        self.reader = Reader(self.catalog)
        self.lease = self.reader.lease = NotionLease(
            self.catalog,
            timedelta(minutes=config.lease_minutes),
            config.lease_settle_seconds,
            config.requests_per_second,
        )
        self.writer = Writer(self.reader, name)

    def hold(self, writer: str) -> AbstractContextManager[None]:
        return self.lease.hold(writer)

    def claim(self) -> None:
        self.lease.claim()

    def check(self) -> list[Finding]:
        """What ``opsync doctor`` reports: whether the token works, the SDK speaks data
        sources, every mapped data source is shared with the integration, and every property
        opsync needs exists with a type it can use. Each finding says how to fix it."""
        record = f"config/connectors/{self.api.name}"
        if not hasattr(self.api.sdk, "data_sources"):
            return [
                _problem(
                    record,
                    "sdk",
                    "the installed notion-client has no data sources "
                    "API (Notion-Version 2025-09-03); upgrade it: pip install "
                    "'notion-client>=3.1'",
                )
            ]
        findings: list[Finding] = []
        self.catalog.reset()
        try:
            self.api.call(self.api.sdk.users.me)
        except (ConnectorError, ConfigError) as exc:
            return [_problem(record, "token", str(exc))]
        targets = [c.value for c in self.catalog.configured()]
        targets += [PAGES] if self.catalog.pages is not None else []
        for where in targets:
            try:
                schema = self.catalog.schema(where, fresh=True)
            except (ConnectorError, ConfigError) as exc:
                findings.append(_problem(record, where, str(exc)))
                continue
            for field, name, kind in needed(self.config, self.catalog.pages, where):
                have = property_type(schema[name]) if name in schema else None
                if have is None:
                    message = (
                        f'the {where} data source has no property "{name}" ({kind}) for '
                        f"{field}; add it, run `opsync bootstrap notion`, or map {field} to "
                        "another property in the config"
                    )
                elif have not in _COMPATIBLE.get(kind, {kind}):
                    message = (
                        f'"{name}" in the {where} data source is a {have} property; opsync '
                        f"needs a {kind} property for {field}: change its type, or map {field} "
                        "to another property"
                    )
                else:
                    continue
                if field == EDITED_BY_FIELD:  # optional: without it, reads cost more
                    message += "; without it each run reads again every row opsync wrote lately"
                    findings.append(_problem(record, f"{where}.{field}", message, Level.WARNING))
                    continue
                findings.append(_problem(record, f"{where}.{field}", message))
        return [*findings, *self.catalog.sources.notes]

    def counts(self) -> dict[str, int]:
        return self.api.counts()

    def close(self) -> None:
        self.api.close()

    def read(self) -> ReadResult:
        return self.reader.read()

    def render_region(self, document: Document, region: str) -> str:
        return region_content(charts.drawable(document), region)

    def write_record(self, op: RecordWrite) -> None:
        self.writer.write_record(op)

    def write_page(self, op: PageWrite) -> None:
        self.writer.write_page(replace(op, document=charts.drawable(op.document)))

    def page_url(self, key: str) -> str | None:
        """The page's ``url`` as Notion gave it in this run's read or write."""
        row = self.reader.known.rows.get(key)
        return str(row.get("url") or "") or None if row is not None else None
