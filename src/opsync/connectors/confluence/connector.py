"""The Confluence wiki connector: generated pages under a parent page, in one space.

It serves the ``wiki`` and ``pages`` roles, and ``feeds`` when named for it (the ritual
calendar attached to ``feed_page``, ``feed.py``); releases come from the tracker connector.
See ``pages.py`` for how generated pages are found, compared and rewritten, and ``site.py``
for the Cloud (v2) / Data Center (v1) split.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import timedelta
from typing import ClassVar

import httpx

from opsync.connectors import charts
from opsync.connectors.base import (
    Capabilities,
    FileWrite,
    PageWrite,
    ReadResult,
    RecordWrite,
    Role,
)
from opsync.connectors.confluence.client import ApiError, ConfluenceApi
from opsync.connectors.confluence.config import ConfluenceConnectorConfig
from opsync.connectors.confluence.feed import FEED_FILE, AttachedFeed
from opsync.connectors.confluence.lease import ConfluenceLease, lease_page
from opsync.connectors.confluence.pages import PageStore
from opsync.connectors.confluence.records import READ_ORDER, RecordStore
from opsync.connectors.confluence.site import Site
from opsync.connectors.confluence.storage import Renderer
from opsync.documents.model import Document
from opsync.domain import Finding, Level
from opsync.errors import ConnectorError
from opsync.http import RetryPolicy, TokenBucket
from opsync.secrets import Secrets


def _problem(record: str, field: str, message: str, level: Level = Level.ERROR) -> Finding:
    return Finding(
        code="confluence.setup", record=record, field=field, level=level, message=message
    )


class ConfluenceWiki:
    """:class:`~opsync.connectors.base.WikiConnector` over a Confluence space."""

    name: ClassVar[str] = "confluence"
    capabilities: ClassVar[Capabilities] = Capabilities(
        roles=frozenset({Role.WIKI, Role.PAGES, Role.FEEDS}),
        page_format="confluence",
        requests_per_second=5.0,
    )

    def __init__(
        self,
        config: ConfluenceConnectorConfig,
        *,
        name: str = "confluence",
        transport: httpx.BaseTransport | None = None,
        bucket: TokenBucket | None = None,
        policy: RetryPolicy | None = None,
        secrets: Secrets | None = None,
    ) -> None:
        self.config = config
        self.api = ConfluenceApi(
            config, name=name, transport=transport, bucket=bucket, policy=policy, secrets=secrets
        )
        self.site = Site(self.api, config.space)
        renderer = Renderer(config.jira_url, config.jira_server, config.jira_server_id)
        self.pages = PageStore(self.site, renderer, config.generated_parent, name, config.label)
        self.records = RecordStore(self.site, config, name)
        self.feed = AttachedFeed(self.site, config.feed_page, name)
        collections = {
            c.value: config.collections[c].parent for c in READ_ORDER if c in config.collections
        }
        self.lease = ConfluenceLease(
            self.site,
            lease_page(config.generated_parent, config.parent, collections),
            timedelta(minutes=config.lease_minutes),
        )

    def hold(self, writer: str) -> AbstractContextManager[None]:
        """One writer per target (``lease.py``): held around a writing run."""
        return self.lease.hold(writer)

    def claim(self) -> None:
        self.lease.claim()

    def check(self) -> list[Finding]:
        """What ``opsync doctor`` reports: the credentials work, the space exists, the parent
        pages exist and are readable, and no generated page was converted to an editor
        format that does not keep storage markup. Each finding says how to fix it."""
        record = f"config/connectors/{self.api.name}"
        try:
            self.site.space_id()
        except ConnectorError as exc:
            return [_problem(record, "space", str(exc))]
        findings: list[Finding] = []
        parents = {"parent": self.config.parent, "pages_parent": self.config.generated_parent}
        parents |= {
            f"collections.{c.value}.parent": e.parent for c, e in self.config.collections.items()
        }
        # a table that only holds the ritual feed (feed_page, no collections) needs no pages
        feed_only = self.config.feed_page is not None and not self.config.collections
        for field, page_id in parents.items():
            if page_id is None:
                if field == "pages_parent" and not feed_only:
                    findings.append(
                        _problem(
                            record,
                            field,
                            "no page holds the generated pages; run `opsync bootstrap "
                            "confluence` and paste the block it prints",
                        )
                    )
                continue
            try:
                page = self.site.page(page_id)
            except ApiError as exc:
                findings.append(
                    _problem(
                        record,
                        field,
                        f"page {page_id} cannot be read ({exc}); check the id and that the "
                        "account can view it",
                    )
                )
                continue
            findings.extend(self._format(record, field, page.raw, page.representation))
        generated = self.config.generated_parent
        if generated is not None and not any(f.field == "pages_parent" for f in findings):
            for page in self.site.listing(generated, "the generated pages"):
                if page.key is not None:
                    findings.extend(
                        self._format(f"pages/{page.key}", "format", page.raw, page.representation)
                    )
        return findings + self._feed_page(record)

    def _feed_page(self, record: str) -> list[Finding]:
        """The feed's page can be read and its attachments listed (what every run does
        before it writes the feed); whether the account may attach is known at the first
        write, which Confluence refuses with a 403 naming the page."""
        page_id = self.config.feed_page
        if page_id is None:
            return []
        try:
            page = self.site.page(page_id)
            self.site.attachment(page_id, FEED_FILE)
        except ApiError as exc:
            return [
                _problem(
                    record,
                    "feed_page",
                    f"page {page_id} or its attachments cannot be read ({exc}); check the id "
                    "and that the account can view the page and add attachments to it",
                )
            ]
        if page.status != "current":
            message = f"page {page_id} is {page.status}; restore it or name another feed_page"
            return [_problem(record, "feed_page", message)]
        return []

    @staticmethod
    def _format(record: str, field: str, raw: object, representation: str) -> list[Finding]:
        subtype = raw.get("subtype") if isinstance(raw, dict) else None
        if subtype == "live" or representation != "storage":
            return [
                _problem(
                    record,
                    field,
                    "the page was converted to a live doc / another editor format, which does "
                    "not keep opsync's region markers; convert it back to a page (⋯ → Convert "
                    "to page) or let opsync recreate it under a new title",
                )
            ]
        return []

    def counts(self) -> dict[str, int]:
        return self.api.counts()

    def close(self) -> None:
        self.api.close()

    def read(self) -> ReadResult:
        if self.lease.held:
            self.lease.read()  # before the pages: a write after this read moves its version
        result = ReadResult()
        self.records.read(result)
        result.pages, found = self.pages.read()
        result.findings.extend(found)
        return result

    def render_region(self, document: Document, region: str) -> str:
        return self.pages.render_region(charts.drawable(document), region)

    def write_record(self, op: RecordWrite) -> None:
        self.lease.tick()
        self.records.write_record(op)

    def write_page(self, op: PageWrite) -> None:
        self.lease.tick()
        self.pages.write_page(replace(op, document=charts.drawable(op.document)))

    def read_file(self, key: str) -> str | None:
        return self.feed.read_file(key)

    def write_file(self, op: FileWrite) -> None:
        self.lease.tick()
        self.feed.write_file(op)

    def page_url(self, key: str) -> str | None:
        """The page's web address: the site's ``/wiki`` base and the page's ``webui`` link."""
        page = self.pages.known.get(key)
        if page is None:
            return None
        return self.site.web(page.url)
