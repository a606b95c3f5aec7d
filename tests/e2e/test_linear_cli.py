"""The Linear path as docs/linear.md walks it, through the `opsync` command: the Linear
emulator seeded with acme as the tracker (issues labelled Release), the wiki and pages in
local folders; doctor, sync, and a second sync that asks Linear one query."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import ACME_NOW, Cli, acme_checkout

from opsync.state import SqliteStateStore


@pytest.fixture
def linear_acme(tmp_path: Path, linear_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    linear_emulator.seed_acme()
    monkeypatch.setenv("OPSYNC_LINEAR_BASE_URL", linear_emulator.base_url)
    monkeypatch.setenv("LINEAR_API_KEY", linear_emulator.key)
    return acme_checkout(tmp_path, "acme", "opsync.linear.toml")


@pytest.mark.sqlite_state  # looks at the SQLite file or the lock file itself
def test_doctor_sync_and_a_second_sync_that_asks_linear_one_query(
    cli: Cli, linear_acme: Path, linear_emulator: Any
) -> None:
    checked = cli("doctor", "--config", str(linear_acme))
    assert checked.exit_code == 0, checked.output
    # the key, the team, and the labels Release, Tier (a group), Area (a group), eng-...
    assert linear_emulator.operations == ["OpsyncViewer", "OpsyncTeam"] + 4 * ["OpsyncIssueLabels"]

    linear_emulator.reset_counts()
    first = cli("sync", "--config", str(linear_acme), "--now", ACME_NOW, "--quiet")
    assert first.exit_code == 0, first.output
    assert first.report["writes"] > 0
    assert not [f for f in first.report["findings"] if f["code"] == "record.invalid"]
    assert first.report["requests"]["linear"] == {
        "reads": linear_emulator.counts.total,
        "writes": 0,
    }
    # every Linear release is read, under the wiki's keys: no release record was created
    wiki = linear_acme.parent / "wiki" / "releases"
    assert len(list(wiki.glob("ACME-*.md"))) == 40
    store = SqliteStateStore(linear_acme.parent / ".opsync" / "linear-state.db")
    assert store.load_mirror("linear", "mirror") is not None
    store.close()

    linear_emulator.reset_counts()
    second = cli("sync", "--config", str(linear_acme), "--now", ACME_NOW, "--quiet")
    assert (second.exit_code, second.report["writes"], second.report["planned"]) == (0, 0, 0)
    # One query: the release issues updated since the cursor (minus the overlap).
    assert linear_emulator.operations == ["OpsyncReadIssues"]
    assert second.report["requests"]["linear"] == {"reads": 1, "writes": 0}


def test_a_release_edited_in_linear_reaches_the_wiki_record_at_the_next_sync(
    cli: Cli, linear_acme: Path, linear_emulator: Any
) -> None:
    first = cli("sync", "--config", str(linear_acme), "--now", ACME_NOW, "--quiet")
    assert first.exit_code == 0, first.output
    linear_emulator.world.update("ACME-130", title="Usage-based billing, renamed in Linear")
    second = cli("sync", "--config", str(linear_acme), "--now", ACME_NOW, "--quiet")
    assert second.exit_code == 0, second.output
    record = (linear_acme.parent / "wiki" / "releases" / "ACME-130.md").read_text("utf-8")
    assert "Usage-based billing, renamed in Linear" in record


def test_doctor_names_a_missing_key_and_a_refused_one(
    cli: Cli, linear_acme: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LINEAR_API_KEY")
    missing = cli("doctor", "--config", str(linear_acme))
    assert missing.exit_code == 2
    assert "LINEAR_API_KEY" in missing.output and "connectors.linear.token_env" in missing.output
    monkeypatch.setenv("LINEAR_API_KEY", "lin_api_not_the_key")
    refused = cli("doctor", "--config", str(linear_acme))
    assert refused.exit_code != 0
    assert "AUTHENTICATION_ERROR" in refused.output and "lin_api_not_the_key" not in refused.output
