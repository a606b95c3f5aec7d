"""A person editing a generated page on Notion or Confluence between opsync's read and its
write, through the engine: the write is refused by the connector, the run reports it as a
conflict and exits 3 (not 1), the other operations still run, and the next run shows the
edit as a conflict instead of writing over it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from notion_client import Client
from test_notion_connector import document, env, fast, pages_database, sdk, text

from opsync.calendar import BusinessCalendar
from opsync.connectors.base import WikiConnector
from opsync.connectors.confluence.config import ConfluenceConnectorConfig
from opsync.connectors.confluence.connector import ConfluenceWiki
from opsync.connectors.local.workspace import LocalWorkspace
from opsync.connectors.notion.config import NotionConnectorConfig
from opsync.connectors.notion.connector import NotionWiki
from opsync.connectors.notion.properties import plain_text
from opsync.engine import run as run_module
from opsync.engine.plan import Operation
from opsync.engine.report import EXIT_CONFLICTS, EXIT_OK, RunReport
from opsync.engine.run import RunSpec, run
from opsync.http import RetryPolicy
from opsync.rules.context import RuleContext
from opsync.rules.output import DocumentKind, GeneratedDocument, Notification, RuleOutput
from opsync.settings import Settings
from opsync.state import SqliteStateStore
from opsync.testing import pytest_plugin
from opsync.testing.emulators.confluence import ConfluenceEmulator
from opsync.testing.emulators.notion import NotionEmulator

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


class _EditWhenApplying:
    """A Reporter that edits as a person would, once, after the plan and before any write."""

    def __init__(self, edit: Callable[[], None]) -> None:
        self.edit = edit

    def stage(self, name: str) -> None:
        if name == "apply":
            self.edit()

    def progress(self, done: int, total: int, op: Operation) -> None:
        return None


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
    report = run(spec, NOW, write=True, reporter=_EditWhenApplying(edit))
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
def confluence(
    confluence_emulator: ConfluenceEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ConfluenceWiki]:
    monkeypatch.setenv("OPSYNC_CONFLUENCE_BASE_URL", confluence_emulator.base_url)
    monkeypatch.setenv("CONFLUENCE_EMAIL", confluence_emulator.email)
    monkeypatch.setenv("CONFLUENCE_TOKEN", confluence_emulator.token)
    config = ConfluenceConnectorConfig(space="OPS", pages_parent=confluence_emulator.root_page_id)
    wiki = ConfluenceWiki(config, policy=RetryPolicy(sleep=lambda _: None))
    yield wiki
    wiki.close()


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
