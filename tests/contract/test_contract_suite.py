"""opsync's own connectors, and the toy wiki, through the shipped contract suite
(:mod:`opsync.testing.contract`), each by the harness a third-party author would write.

The local workspace, Notion and Confluence are wikis: every check runs. Jira and Linear
are trackers only: the wiki checks are skipped and the tracker's run (second run, lost state) is
checked. Each harness names the connector's factory, found through the registry as a run
finds it (the toy's is handed over, as an author's own would be before it has an entry
point), and the suite builds every connector with a context, as a run does.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from notion_client import Client

from opsync.connectors.confluence.bootstrap import bootstrap as bootstrap_confluence
from opsync.connectors.confluence.client import ConfluenceApi
from opsync.connectors.confluence.config import ConfluenceConnectorConfig
from opsync.connectors.confluence.regions import find_regions as confluence_regions
from opsync.connectors.confluence.regions import fragment
from opsync.connectors.confluence.site import Site
from opsync.connectors.jira import JiraConnectorConfig
from opsync.connectors.linear import LinearConnectorConfig
from opsync.connectors.local import frontmatter
from opsync.connectors.local.config import LocalConnectorConfig
from opsync.connectors.notion.blocks import region_marker
from opsync.connectors.notion.bootstrap import bootstrap as bootstrap_notion
from opsync.connectors.notion.client import NotionApi
from opsync.connectors.notion.config import NotionConnectorConfig
from opsync.connectors.notion.properties import plain_text
from opsync.connectors.notion.reader import PAGES
from opsync.connectors.registry import factory
from opsync.documents.markdown_regions import find_regions as markdown_regions
from opsync.http import TokenBucket
from opsync.testing.contract import (
    RELEASES,
    ContractSuite,
    Step,
    file_steps,
    http_steps,
)
from opsync.testing.emulators.confluence import ConfluenceEmulator
from opsync.testing.emulators.jira import JiraEmulator, seed_releases
from opsync.testing.emulators.notion import NotionEmulator
from opsync.testing.toy import ToyConfig, ToyWiki
from opsync.testing.toy import factory as toy_factory

LOG = logging.getLogger("tests.contract_suite")
FAST = 1000.0  # requests per second: the emulators run without their rate limits here


class ToyHarness:
    def __init__(self, root: Path) -> None:
        self.path = root / "toy.json"
        self.settings = ToyConfig(path=self.path)

    factory = toy_factory

    def _rows(self) -> tuple[ToyWiki, list[dict[str, Any]]]:
        service = ToyWiki(self.path)
        return service, service.load()

    def keys(self) -> Counter[str]:
        return Counter(row["key"] for row in self._rows()[1])

    def edit_region(self, page: str, region: str, text: str) -> None:
        service, rows = self._rows()
        row = ToyWiki.find(rows, "page", page)
        assert row is not None, page
        row["regions"][region] = text + "\n\n" + row["regions"][region]
        service.save(rows)

    def text(self, page: str) -> str:
        row = ToyWiki.find(self._rows()[1], "page", page)
        return "\n".join(row["regions"].values()) if row is not None else ""

    def steps(self, hit: Step) -> AbstractContextManager[None]:
        return file_steps(hit)


class LocalHarness:
    """The local workspace as the wiki: its folders are the target."""

    def __init__(self, root: Path) -> None:
        self.settings = LocalConnectorConfig(
            tracker=root / "unused.yaml",
            wiki=root / "wiki",
            pages=root / "pages",
            outbox=root / "outbox",
        )

    factory = factory("local")

    def _pages(self) -> Iterator[tuple[str, Path]]:
        for path in sorted(self.settings.pages.rglob("*.md")):
            data = frontmatter.split(path.read_text(encoding="utf-8")).data
            yield str(data.get("opsync_key")), path

    def keys(self) -> Counter[str]:
        found: Counter[str] = Counter(key for key, _ in self._pages())
        for path in self.settings.wiki.rglob("*.md"):
            data = frontmatter.split(path.read_text(encoding="utf-8")).data
            found[f"{path.parent.name}/{data.get('key') or path.stem}"] += 1
        return found

    def edit_region(self, page: str, region: str, text: str) -> None:
        path = next(p for key, p in self._pages() if key == page)
        body = path.read_text(encoding="utf-8")
        span = markdown_regions(body)[region]
        inside = body[span.start : span.end].replace("-->\n", f"-->\n{text}\n\n", 1)
        path.write_text(body[: span.start] + inside + body[span.end :], encoding="utf-8")

    def text(self, page: str) -> str:
        return next(p for key, p in self._pages() if key == page).read_text(encoding="utf-8")

    def steps(self, hit: Step) -> AbstractContextManager[None]:
        return file_steps(hit)


class NotionHarness:
    """Notion through the emulator; a person's edits and the count of rows go through the
    SDK with a person's token, not through the connector."""

    def __init__(self, emulator: NotionEmulator) -> None:
        defaults = NotionConnectorConfig(requests_per_second=FAST)
        api = NotionApi(defaults, bucket=TokenBucket(FAST, 100))
        try:
            self.ids = bootstrap_notion(api, emulator.root_page_id, defaults).ids
        finally:
            api.close()
        self.settings = NotionConnectorConfig.model_validate(
            {
                "requests_per_second": FAST,
                "collections": {
                    where: {"database_id": db, "data_source_id": ds}
                    for where, (db, ds) in self.ids.items()
                    if where != PAGES
                },
                "pages": {"database_id": self.ids[PAGES][0], "data_source_id": self.ids[PAGES][1]},
            }
        )
        self.person = Client(
            auth=emulator.person_token, base_url=emulator.base_url, retry=False, logger=LOG
        )

    factory = factory("notion")

    def _rows(self, where: str) -> Iterator[dict[str, Any]]:
        cursor: str | None = None
        while True:
            extra = {"start_cursor": cursor} if cursor else {}
            answer = self.person.data_sources.query(self.ids[where][1], **extra)
            yield from answer["results"]
            if not answer.get("has_more"):
                return
            cursor = answer["next_cursor"]

    @staticmethod
    def _key(row: dict[str, Any]) -> str:
        return plain_text(row["properties"]["opsync key"]["rich_text"])

    def keys(self) -> Counter[str]:
        found: Counter[str] = Counter()
        for where in self.ids:
            prefix = "" if where == PAGES else f"{where}/"
            found.update(prefix + self._key(row) for row in self._rows(where))
        return found

    def _blocks(self, parent: str) -> Iterator[dict[str, Any]]:
        for block in self.person.blocks.children.list(parent)["results"]:
            yield block
            if block.get("has_children"):
                yield from self._blocks(block["id"])

    def _page(self, page: str) -> str:
        return next(str(r["id"]) for r in self._rows(PAGES) if self._key(r) == page)

    def edit_region(self, page: str, region: str, text: str) -> None:
        callout = next(b for b in self._blocks(self._page(page)) if region_marker(b) == region)
        runs = [{"type": "text", "text": {"content": text}}]
        for block in self._blocks(callout["id"]):  # the first text, or table cell, it holds
            content = block[block["type"]]
            if "rich_text" in content:
                self.person.blocks.update(block["id"], **{block["type"]: {"rich_text": runs}})
                return
            if block["type"] == "table_row":
                cells = [runs, *content["cells"][1:]]
                self.person.blocks.update(block["id"], table_row={"cells": cells})
                return
        raise AssertionError(f"region {region} of {page} holds no text to edit")

    def text(self, page: str) -> str:
        def runs(block: dict[str, Any]) -> list[Any]:
            content = block[block["type"]]
            return [r for cell in content.get("cells", []) for r in cell] + content.get(
                "rich_text", []
            )

        return "\n".join(
            "".join(r["plain_text"] for r in runs(b)) for b in self._blocks(self._page(page))
        )

    def steps(self, hit: Step) -> AbstractContextManager[None]:
        return http_steps(hit)


class ConfluenceHarness:
    """Confluence through the emulator; a person's edit is a save of the page body."""

    def __init__(self, emulator: ConfluenceEmulator) -> None:
        self.emulator = emulator
        defaults = ConfluenceConnectorConfig(space=emulator.space, requests_per_second=FAST)
        api = ConfluenceApi(defaults)
        try:
            made = bootstrap_confluence(Site(api, defaults.space), emulator.root_page_id, "opsync")
        finally:
            api.close()
        self.settings = ConfluenceConnectorConfig.model_validate(
            {
                "space": emulator.space,
                "requests_per_second": FAST,
                "collections": {w: {"parent": i} for w, i in made.ids.items() if w != PAGES},
                "pages": {"parent": made.ids[PAGES]},
            }
        )

    factory = factory("confluence")

    def _owned(self) -> Iterator[tuple[str, Any]]:
        world = self.emulator.world
        with world.lock:
            pages = [p for p in world.pages.values() if p.status == "current"]
        for page in pages:
            value = page.props["opsync"].value if "opsync" in page.props else {}
            key = str(value.get("key", ""))
            if key and not key.startswith("bootstrap/"):
                collection = value.get("collection")
                yield (f"{collection}/{key}" if collection else key), page

    def keys(self) -> Counter[str]:
        return Counter(key for key, _ in self._owned())

    def _page(self, page: str) -> Any:
        return next(p for key, p in self._owned() if key == page)

    def edit_region(self, page: str, region: str, text: str) -> None:
        found = self._page(page)
        span = confluence_regions(found.body)[region]
        inside = fragment(found.body, span).replace(
            "<ac:rich-text-body>", f"<ac:rich-text-body><p>{text}</p>", 1
        )
        before, after = found.body.encode()[: span.start], found.body.encode()[span.end :]
        self.emulator.edit(found.id, before.decode() + inside + after.decode())

    def text(self, page: str) -> str:
        return str(self._page(page).body)

    def steps(self, hit: Step) -> AbstractContextManager[None]:
        return http_steps(hit)


class JiraHarness:
    """Jira, a tracker: the emulator holds the organisation's releases as epics."""

    def __init__(self, emulator: JiraEmulator) -> None:
        seed_releases(emulator.world, [dict(row) for row in RELEASES])
        self.settings = JiraConnectorConfig.model_validate(
            {
                "project": "ACME",
                "requests_per_second": FAST,
                "filters": {"issuetype": ["Epic"]},
                "fields": {
                    "tier": {"field": "customfield_10050"},
                    "product_area": {"field": "components"},
                    "pm": {"field": "customfield_10060"},
                    "eng_lead": {"field": "labels", "prefix": "eng-"},
                },
            }
        )

    factory = factory("jira")


class LinearHarness:
    """Linear, a tracker: the emulator holds the organisation's releases as issues of team
    CT labelled Release."""

    def __init__(self, emulator: Any) -> None:
        from opsync.testing.emulators.linear import seed_releases as seed_linear

        seed_linear(emulator.world, [dict(row) for row in RELEASES], "CT", "Contract")
        self.settings = LinearConnectorConfig.model_validate(
            {
                "team": "CT",
                "releases": "issues",
                "label": "Release",
                "requests_per_second": FAST,
                "fields": {
                    "tier": {"group": "Tier"},
                    "product_area": {"group": "Area"},
                    "eng_lead": {"prefix": "eng-"},
                },
                "people": {"ana": "ana@acme-analytics.example"},
            }
        )

    factory = factory("linear")


class TestToy(ContractSuite):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> ToyHarness:
        return ToyHarness(tmp_path)


class TestLocal(ContractSuite):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> LocalHarness:
        return LocalHarness(tmp_path / "target")


class TestNotion(ContractSuite):
    @pytest.fixture
    def harness(
        self, notion_emulator: NotionEmulator, monkeypatch: pytest.MonkeyPatch
    ) -> Iterator[NotionHarness]:
        monkeypatch.setenv("NOTION_TOKEN", notion_emulator.token)
        monkeypatch.setenv("OPSYNC_NOTION_BASE_URL", notion_emulator.base_url)
        harness = NotionHarness(notion_emulator)
        yield harness
        harness.person.close()


class TestConfluence(ContractSuite):
    @pytest.fixture
    def harness(
        self, confluence_emulator: ConfluenceEmulator, monkeypatch: pytest.MonkeyPatch
    ) -> ConfluenceHarness:
        monkeypatch.setenv("OPSYNC_CONFLUENCE_BASE_URL", confluence_emulator.base_url)
        monkeypatch.setenv("CONFLUENCE_EMAIL", confluence_emulator.email)
        monkeypatch.setenv("CONFLUENCE_TOKEN", confluence_emulator.token)
        return ConfluenceHarness(confluence_emulator)


class TestJira(ContractSuite):
    @pytest.fixture
    def harness(self, jira_emulator: JiraEmulator, monkeypatch: pytest.MonkeyPatch) -> JiraHarness:
        monkeypatch.setenv("OPSYNC_JIRA_BASE_URL", jira_emulator.base_url)
        monkeypatch.setenv("JIRA_EMAIL", jira_emulator.email)
        monkeypatch.setenv("JIRA_API_TOKEN", jira_emulator.token)
        return JiraHarness(jira_emulator)


class TestLinear(ContractSuite):
    @pytest.fixture
    def harness(self, linear_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> LinearHarness:
        monkeypatch.setenv("OPSYNC_LINEAR_BASE_URL", linear_emulator.base_url)
        monkeypatch.setenv("LINEAR_API_KEY", linear_emulator.key)
        return LinearHarness(linear_emulator)
