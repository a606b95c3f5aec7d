"""The Confluence path as docs/confluence.md walks it, through the `opsync` command against
the emulator: bootstrap, doctor, sync, and a second sync that writes nothing and reads only
one listing per collection page and one for the generated pages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import ACME_NOW, EXAMPLES, Cli

from opsync.testing.emulators.confluence import ConfluenceEmulator

MARK = "# Paste into opsync.toml:"
LISTING = "/wiki/rest/api/content/{id}/child/page"


@pytest.fixture
def atlassian_acme(
    tmp_path: Path, confluence_emulator: ConfluenceEmulator, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.setenv("OPSYNC_CONFLUENCE_BASE_URL", confluence_emulator.base_url)
    monkeypatch.setenv("CONFLUENCE_EMAIL", confluence_emulator.email)
    monkeypatch.setenv("CONFLUENCE_TOKEN", confluence_emulator.token)
    target = tmp_path / "acme"
    shutil.copytree(EXAMPLES / "acme", target)
    return target / "opsync.atlassian.toml"


def test_bootstrap_doctor_sync_and_a_second_sync_that_writes_nothing(
    cli: Cli, atlassian_acme: Path, confluence_emulator: ConfluenceEmulator
) -> None:
    root = confluence_emulator.root_page_id
    made = cli("bootstrap", "confluence", "--parent", root, "--config", str(atlassian_acme))
    assert made.exit_code == 0, made.output
    assert made.output.count("created ") == 12  # eleven collections and the generated pages
    block = made.output.split(MARK, 1)[1]
    text = atlassian_acme.read_text(encoding="utf-8")
    atlassian_acme.write_text(text + block, encoding="utf-8")

    pages = len(confluence_emulator.world.pages)
    again = cli("bootstrap", "confluence", "--parent", root, "--config", str(atlassian_acme))
    assert again.exit_code == 0 and "created" not in again.output.split(MARK)[0]
    assert len(confluence_emulator.world.pages) == pages
    assert again.output.split(MARK)[1] == block

    checked = cli("doctor", "--config", str(atlassian_acme))
    assert checked.exit_code == 0, checked.output

    confluence_emulator.reset_counts()
    first = cli("sync", "--config", str(atlassian_acme), "--now", ACME_NOW, "--quiet")
    assert first.exit_code == 0, first.output
    assert first.report["writes"] > 0
    assert first.report["requests"]["confluence"]["writes"] == confluence_emulator.counts.writes
    assert first.report["requests"]["confluence"]["reads"] == confluence_emulator.counts.reads

    confluence_emulator.reset_counts()
    second = cli("sync", "--config", str(atlassian_acme), "--now", ACME_NOW, "--quiet")
    assert (second.exit_code, second.report["writes"], second.report["planned"]) == (0, 0, 0)
    assert second.report["requests"]["confluence"] == {"reads": 12, "writes": 0}
    # one listing (bodies and properties included) per collection page and the pages page
    assert confluence_emulator.counts.by_endpoint == {("GET", LISTING): 12}


def test_doctor_names_a_missing_token(
    cli: Cli, atlassian_acme: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONFLUENCE_TOKEN")
    result = cli("doctor", "--config", str(atlassian_acme))
    assert result.exit_code == 2
    assert "CONFLUENCE_TOKEN" in result.output
    assert "connectors.confluence.token_env" in result.output
