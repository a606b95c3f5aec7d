"""A person editing a generated page on Notion or Confluence between opsync's read and its
write, through the engine: the write is refused by the connector, the run reports it as a
conflict and exits 3 (not 1), the other operations still run, and the next run shows the
edit as a conflict instead of writing over it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from notion_client import Client
from test_notion_connector import document, env, fast, pages_database, sdk, text

from opsync.calendar import BusinessCalendar
from opsync.connectors.base import WikiConnector
from opsync.connectors.confluence.connector import ConfluenceWiki
from opsync.connectors.local.workspace import LocalWorkspace
from opsync.connectors.notion.config import NotionConnectorConfig
from opsync.connectors.notion.connector import NotionWiki
from opsync.connectors.notion.properties import plain_text
from opsync.engine import run as run_module
from opsync.engine.report import EXIT_CONFLICTS, EXIT_OK, RunReport
from opsync.engine.run import RunSpec, run
from opsync.rules.context import RuleContext
from opsync.rules.output import DocumentKind, GeneratedDocument, Notification, RuleOutput
from opsync.settings import Settings
from opsync.state import SqliteStateStore
from opsync.testing import pytest_plugin
from opsync.testing.emulators.confluence import ConfluenceEmulator
from opsync.testing.emulators.notion import NotionEmulator
from opsync.testing.reporters import EditWhenApplying

notion_emulator = pytest_plugin.notion_emulator
__all__ = ["env", "sdk"]  # fixtures
NOW = datetime.fromisoformat("2026-12-03T15:00:00-05:00")
KEY = "weekly-update/2026-W49"


class _Rules:
    """A stand-in for the rules: one generated page whose summary says ``status``, and one
    message per status, so that a run after a change has a page update and a send."""

    def __init__(self) -> None:
        self.status = "green"

    def __call__(self, ctx: RuleContext) -> RuleOutput:
        page = GeneratedDocument(
            key=KEY, kind=DocumentKind.WEEKLY_UPDATE, document=document(self.status)
        )
        message = Notification(
            key=f"{KEY}/{self.status}", channel="#updates", text=self.status, reason="weekly"
        )
        return RuleOutput(documents=(page,), notifications=(message,))


@pytest.fixture
def rules(monkeypatch: pytest.MonkeyPatch) -> _Rules:
    stub = _Rules()
    monkeypatch.setattr(run_module, "evaluate", stub)
    return stub


def _spec(wiki: WikiConnector, root: Path) -> RunSpec:
    (root / "tracker").mkdir(exist_ok=True)
    (root / "tracker" / "releases.yaml").write_text("[]\n", encoding="utf-8")
    local = LocalWorkspace(
        tracker=root / "tracker" / "releases.yaml",
        wiki=root / "wiki",
        pages=root / "pages",
        outbox=root / "outbox",
    )
    return RunSpec(
        workspace=wiki,
        tracker=local,
        notifier=local,
        feeds=local,
        calendar=BusinessCalendar("America/New_York", "US"),
        settings=Settings(),
        state=SqliteStateStore(root / ".opsync" / "state.db"),
        identity="apply-conflicts",
    )


def _edited_while_applying(
    spec: RunSpec, rules: _Rules, edit: Callable[[], None], root: Path
) -> RunReport:
    first = run(spec, NOW, write=True)
    assert first.exit_code == EXIT_OK and first.failed == [], first.failed
    rules.status = "amber"
    report = run(spec, NOW, write=True, reporter=EditWhenApplying(edit))
    assert report.plan.conflicts == () and report.failed == [], report.failed
    assert [(c.target, c.part) for c in report.conflicts] == [(KEY, "region summary")]
    assert report.exit_code == EXIT_CONFLICTS
    assert [c["target"] for c in report.to_json()["conflicts"]] == [KEY]
    assert [op.kind for op in report.done] == ["send"]  # the other operation still ran
    assert (root / "outbox" / "updates" / KEY / "amber.md").is_file()
    store = spec.state
    try:
        statuses = dict(store.journal_rows())
    finally:
        store.close()
    assert [s for k, s in statuses.items() if k.startswith("update_page:")] == ["conflict"]
    again = run(spec, NOW, write=True)
    assert [(c.target, c.part) for c in again.plan.conflicts] == [(KEY, "region summary")]
    assert again.exit_code == EXIT_CONFLICTS and again.done == []
    return again


def _blocks(sdk: Client, parent: str) -> list[dict[str, Any]]:
    return list(sdk.blocks.children.list(parent)["results"])


def test_notion_a_region_edited_between_read_and_write_exits_3(
    env: NotionEmulator, sdk: Client, rules: _Rules, tmp_path: Path
) -> None:
    wiki = NotionWiki(NotionConnectorConfig(), pages=pages_database(env, sdk), bucket=fast())
    spec = _spec(wiki, tmp_path)
    summary: list[str] = []

    def edit() -> None:
        page = wiki.reader.known.rows[KEY]["id"]
        callout = next(b for b in _blocks(sdk, str(page)) if b["type"] == "callout")
        first = _blocks(sdk, callout["id"])[0]
        sdk.blocks.update(first["id"], paragraph={"rich_text": text("MINE")})
        summary.append(callout["id"])

    try:
        _edited_while_applying(spec, rules, edit, tmp_path)
    finally:
        wiki.close()
    first = _blocks(sdk, summary[0])[0]
    assert plain_text(first["paragraph"]["rich_text"]) == "MINE"


@pytest.fixture
def confluence(confluence_pages: ConfluenceWiki) -> ConfluenceWiki:
    return confluence_pages


def test_confluence_a_region_edited_between_read_and_write_exits_3(
    confluence: ConfluenceWiki,
    confluence_emulator: ConfluenceEmulator,
    rules: _Rules,
    tmp_path: Path,
) -> None:
    spec = _spec(confluence, tmp_path)

    def page() -> Any:
        (found,) = [
            p for p in confluence_emulator.world.pages.values() if p.title == "Weekly update"
        ]
        return found

    def edit() -> None:
        confluence_emulator.edit(page().id, page().body.replace("Status: green", "Status: MINE"))

    _edited_while_applying(spec, rules, edit, tmp_path)
    assert "Status: MINE" in page().body
