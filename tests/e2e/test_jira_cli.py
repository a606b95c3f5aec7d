"""The Jira path as docs/jira.md walks it, through the `opsync` command: an emulator
seeded with acme, doctor, sync, and a second sync that writes nothing and reads only what
an incremental read costs."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import ACME_NOW, EXAMPLES, Cli

from opsync.testing.emulators.jira import JiraEmulator


@pytest.fixture
def jira_acme(
    tmp_path: Path, jira_emulator: JiraEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    jira_emulator.seed_acme()
    monkeypatch.setenv("OPSYNC_JIRA_BASE_URL", jira_emulator.base_url)
    monkeypatch.setenv("JIRA_EMAIL", jira_emulator.email)
    monkeypatch.setenv("JIRA_API_TOKEN", jira_emulator.token)
    target = tmp_path / "acme"
    shutil.copytree(EXAMPLES / "acme", target)
    yield target / "opsync.atlassian.toml"


def test_doctor_sync_and_a_second_sync_that_reads_one_page_and_writes_nothing(
    cli: Cli, jira_acme: Path, jira_emulator: JiraEmulator
) -> None:
    checked = cli("doctor", "--config", str(jira_acme))
    assert checked.exit_code == 0, checked.output

    jira_emulator.reset_counts()
    first = cli("sync", "--config", str(jira_acme), "--now", ACME_NOW, "--quiet")
    assert first.exit_code == 0, first.output
    assert first.report["writes"] > 0
    assert not [f for f in first.report["findings"] if f["code"] == "record.invalid"]
    assert first.report["requests"]["jira"] == {"reads": jira_emulator.counts.reads, "writes": 0}
    assert (jira_acme.parent / "pages").exists()
    assert (jira_acme.parent / ".opsync" / "atlassian-state.db.jira-jira.json").exists()

    jira_emulator.reset_counts()
    second = cli("sync", "--config", str(jira_acme), "--now", ACME_NOW, "--quiet")
    assert (second.exit_code, second.report["writes"], second.report["planned"]) == (0, 0, 0)
    counts = jira_emulator.counts
    # The project's versions and one page of issues updated since the cursor: nothing else.
    assert counts.total == 2 and counts.writes == 0
    assert second.report["requests"]["jira"] == {"reads": counts.reads, "writes": 0}


def test_doctor_names_a_missing_email(
    cli: Cli, jira_acme: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JIRA_EMAIL")
    result = cli("doctor", "--config", str(jira_acme))
    assert result.exit_code == 2
    assert "JIRA_EMAIL" in result.output and "connectors.jira.email_env" in result.output
