"""What a scheduler whose disk is thrown away loses (docs/deploy.md, "The state"): on the
Acme example on Notion, a no-op sync with `.opsync/` and `outbox/` kept, with `outbox/`
alone, and with neither."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from support import ACME_NOW, Cli, acme_checkout

from opsync.testing.emulators.notion import NotionEmulator

MARK = "# Paste into opsync.toml:"


@pytest.fixture
def synced(
    cli: Cli, tmp_path: Path, notion_emulator: NotionEmulator, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Acme on the Notion emulator, bootstrapped and synced once."""
    monkeypatch.setenv("NOTION_TOKEN", notion_emulator.token)
    monkeypatch.setenv("OPSYNC_NOTION_BASE_URL", notion_emulator.base_url)
    config = acme_checkout(tmp_path, "acme", "opsync.notion.toml")
    made = cli(
        "bootstrap", "notion", "--parent", notion_emulator.root_page_id, "--config", str(config)
    )
    assert made.exit_code == 0, made.output
    config.write_text(config.read_text("utf-8") + made.output.split(MARK, 1)[1], "utf-8")
    first = cli("sync", "--config", str(config), "--now", ACME_NOW, "--quiet")
    assert first.exit_code == 0 and first.report["writes"] > 0, first.output
    return config


def sync_after_losing(
    cli: Cli, config: Path, notion_emulator: NotionEmulator, *lost: str
) -> tuple[dict[str, Any], int]:
    for folder in lost:
        shutil.rmtree(config.parent / folder)
    notion_emulator.reset_counts()
    result = cli("sync", "--config", str(config), "--now", ACME_NOW, "--quiet")
    assert result.exit_code == 0, result.output
    return result.report, notion_emulator.counts.reads


def test_with_the_state_and_the_outbox_kept_a_no_op_sync_reads_little_and_writes_nothing(
    cli: Cli, synced: Path, notion_emulator: NotionEmulator
) -> None:
    report, reads = sync_after_losing(cli, synced, notion_emulator)
    assert (report["planned"], notion_emulator.counts.writes) == (0, 0)
    assert reads <= 17


@pytest.mark.sqlite_state  # looks at the SQLite state file or its folder
def test_without_the_state_every_service_is_read_in_full_but_nothing_is_made_twice(
    cli: Cli, synced: Path, notion_emulator: NotionEmulator
) -> None:
    _, kept = sync_after_losing(cli, synced, notion_emulator)
    report, reads = sync_after_losing(cli, synced, notion_emulator, ".opsync")
    assert (report["planned"], notion_emulator.counts.writes) == (0, 0)
    assert reads > 5 * kept


def test_losing_the_outbox_alone_costs_nothing_while_the_state_is_kept(
    cli: Cli, synced: Path, notion_emulator: NotionEmulator
) -> None:
    report, _ = sync_after_losing(cli, synced, notion_emulator, "outbox")
    assert report["planned"] == 0


@pytest.mark.sqlite_state  # looks at the SQLite state file or its folder
def test_without_the_state_and_the_outbox_the_current_messages_go_out_again(
    cli: Cli, synced: Path, notion_emulator: NotionEmulator
) -> None:
    report, _ = sync_after_losing(cli, synced, notion_emulator, ".opsync", "outbox")
    kinds = {operation["kind"] for operation in report["operations"]}
    assert report["planned"] > 0 and kinds == {"send"}
