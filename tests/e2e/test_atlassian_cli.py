"""The Atlassian path as docs/jira.md and docs/confluence.md walk it, through the `opsync`
command: a Jira emulator seeded with acme as the tracker and a Confluence emulator as the
wiki; bootstrap, doctor, sync, and a second sync that writes nothing and reads only what an
incremental read costs."""

from __future__ import annotations

import re
import struct
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from support import ACME_NOW, NEWER_COLLECTIONS, Cli, acme_checkout, without_tables

from opsync.connectors import charts
from opsync.state import SqliteStateStore
from opsync.testing.emulators.confluence import ConfluenceEmulator
from opsync.testing.emulators.jira import JiraEmulator

MARK = "# Paste into opsync.toml:"
LISTING = "/wiki/rest/api/content/{id}/child/page"
PROPS = "/wiki/api/v2/pages/{id}/properties"  # the write lease's read
ATTACHMENTS = "/wiki/rest/api/content/{id}/child/attachment"


@pytest.fixture
def atlassian_acme(
    tmp_path: Path,
    jira_emulator: JiraEmulator,
    confluence_emulator: ConfluenceEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    jira_emulator.seed_acme()
    monkeypatch.setenv("OPSYNC_JIRA_BASE_URL", jira_emulator.base_url)
    monkeypatch.setenv("JIRA_EMAIL", jira_emulator.email)
    monkeypatch.setenv("JIRA_API_TOKEN", jira_emulator.token)
    monkeypatch.setenv("OPSYNC_CONFLUENCE_BASE_URL", confluence_emulator.base_url)
    monkeypatch.setenv("CONFLUENCE_EMAIL", confluence_emulator.email)
    monkeypatch.setenv("CONFLUENCE_TOKEN", confluence_emulator.token)
    return acme_checkout(tmp_path, "acme", "opsync.atlassian.toml")


@pytest.mark.sqlite_state  # looks at the SQLite file or the lock file itself
def test_bootstrap_doctor_sync_and_a_second_sync_that_writes_nothing(
    cli: Cli,
    atlassian_acme: Path,
    jira_emulator: JiraEmulator,
    confluence_emulator: ConfluenceEmulator,
) -> None:
    root = confluence_emulator.root_page_id
    made = cli("bootstrap", "confluence", "--parent", root, "--config", str(atlassian_acme))
    assert made.exit_code == 0, made.output
    assert made.output.count("created ") == 16  # fifteen collections and the generated pages
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

    def pages_titled(title: str) -> list[Any]:
        return [p for p in confluence_emulator.world.pages.values() if p.title.startswith(title)]

    jira_emulator.reset_counts()
    confluence_emulator.reset_counts()
    first = cli("sync", "--config", str(atlassian_acme), "--now", ACME_NOW, "--quiet")
    assert first.exit_code == 0, first.output
    assert first.report["writes"] > 0
    assert not [f for f in first.report["findings"] if f["code"] == "record.invalid"]
    assert first.report["requests"]["jira"] == {"reads": jira_emulator.counts.reads, "writes": 0}
    assert first.report["requests"]["confluence"] == {
        "reads": confluence_emulator.counts.reads,
        "writes": confluence_emulator.counts.writes,
    }
    store = SqliteStateStore(atlassian_acme.parent / ".opsync" / "atlassian-state.db")
    assert store.load_mirror("jira", "mirror") is not None
    store.close()
    assert not list((atlassian_acme.parent / ".opsync").glob("*.json"))
    # every release of the tracker has its record page in Confluence
    titles = {p.title for p in confluence_emulator.world.pages.values()}
    assert sum(t.startswith("Releases ACME-") for t in titles) == len(jira_emulator.world.issues)
    # the scorecard's chart: one PNG attached to the scorecard page, which shows it
    ((page, item),) = [
        (p, a) for p in confluence_emulator.world.pages.values() for a in p.attachments
    ]
    assert "scorecard" in page.title.lower()
    assert item.title.startswith("scorecard-2026-Q4-") and item.title.endswith(".png")
    assert (item.media_type, item.data[:8]) == ("image/png", b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", item.data[16:24]) == (charts.WIDTH, charts.HEIGHT)
    assert f'<ri:attachment ri:filename="{item.title}">' in page.body
    assert confluence_emulator.counts.of("POST", ATTACHMENTS) == 1
    assert confluence_emulator.counts.of("GET", ATTACHMENTS) == 0  # a page just made has none
    # a readiness check links its bundle page, though both were made by this sync
    (bundle,) = pages_titled("Launch Enablement Bundle — Saved filters")
    (readiness,) = pages_titled("Launch Readiness Check — Saved filters")
    assert re.search(rf'<a href="https?://[^"]*/pages/{bundle.id}[/"]', readiness.body)

    jira_emulator.reset_counts()
    confluence_emulator.reset_counts()
    second = cli("sync", "--config", str(atlassian_acme), "--now", ACME_NOW, "--quiet")
    assert (second.exit_code, second.report["writes"], second.report["planned"]) == (0, 0, 0)
    # Jira: the project's versions and one page of issues updated since the cursor.
    assert (jira_emulator.counts.total, jira_emulator.counts.writes) == (2, 0)
    assert second.report["requests"]["jira"] == {"reads": 2, "writes": 0}
    # Confluence: one listing (bodies and properties included) per collection page and the
    # generated pages' page, and one read of the write lease (the opsync-lease property of
    # the generated pages' page, connectors/confluence/lease.py); a no-op run never takes it.
    assert second.report["requests"]["confluence"] == {"reads": 17, "writes": 0}
    assert confluence_emulator.counts.by_endpoint == {("GET", LISTING): 16, ("GET", PROPS): 1}
    assert [a.title for a in page.attachments] == [item.title]  # nothing uploaded again


@pytest.mark.parametrize(
    ("variable", "key"),
    [
        ("JIRA_EMAIL", "connectors.jira.email_env"),
        ("CONFLUENCE_TOKEN", "connectors.confluence.token_env"),
    ],
)
def test_doctor_names_a_missing_credential(
    cli: Cli, atlassian_acme: Path, monkeypatch: pytest.MonkeyPatch, variable: str, key: str
) -> None:
    monkeypatch.delenv(variable)
    result = cli("doctor", "--config", str(atlassian_acme))
    assert result.exit_code == 2
    assert variable in result.output and key in result.output


def test_a_collection_longer_than_one_listing_page_syncs_once_and_stays_put(
    cli: Cli,
    atlassian_acme: Path,
    jira_emulator: JiraEmulator,
    confluence_emulator: ConfluenceEmulator,
) -> None:
    """55 releases: the releases page has more children than one v1 listing page holds
    (50), so the second page is read through `_links.next`, and must carry the bodies and
    properties the first did."""
    world = jira_emulator.world
    for n in range(15):
        version = world.add_version("ACME", f"2027.{n}", release_date=date(2027, 3, 1 + n))
        world.create_issue(
            "ACME",
            f"Extra release {n}",
            key=f"ACME-{900 + n}",
            fixVersions=[version.id],
            components=["dashboards"],
            labels=["eng-tom"],
            customfield_10050="Low",
            customfield_10060="acct-maya",
        )
    assert len(world.issues) > 50
    root = confluence_emulator.root_page_id
    made = cli("bootstrap", "confluence", "--parent", root, "--config", str(atlassian_acme))
    assert made.exit_code == 0, made.output
    text = atlassian_acme.read_text(encoding="utf-8")
    atlassian_acme.write_text(text + made.output.split(MARK, 1)[1], encoding="utf-8")

    first = cli("sync", "--config", str(atlassian_acme), "--now", ACME_NOW, "--quiet")
    assert first.exit_code == 0, first.output
    assert not [f for f in first.report["findings"] if f["code"] == "record.invalid"]
    releases = [
        p for p in confluence_emulator.world.pages.values() if p.title.startswith("Releases ACME-")
    ]
    assert len(releases) == len({p.title for p in releases}) == len(world.issues)
    assert all(p.props["opsync"].value["key"] == p.title.split()[-1] for p in releases)

    confluence_emulator.reset_counts()
    second = cli("sync", "--config", str(atlassian_acme), "--now", ACME_NOW, "--quiet")
    assert (second.exit_code, second.report["writes"], second.report["planned"]) == (0, 0, 0)
    again = [
        p for p in confluence_emulator.world.pages.values() if p.title.startswith("Releases ACME-")
    ]
    assert len(again) == len(releases)  # no duplicate
    # One listing per collection page and the generated pages' page, and one more for the
    # releases' second listing page; and one read of the write lease (lease.py).
    assert confluence_emulator.counts.by_endpoint == {("GET", LISTING): 17, ("GET", PROPS): 1}


def test_a_space_bootstrapped_without_the_newer_collections_checks_and_syncs(
    cli: Cli, atlassian_acme: Path, confluence_emulator: ConfluenceEmulator
) -> None:
    """An unmapped collection is absent, not an error: a space made before frictions,
    requests and insight actions existed keeps working until it maps them."""
    root = confluence_emulator.root_page_id
    made = cli("bootstrap", "confluence", "--parent", root, "--config", str(atlassian_acme))
    assert made.exit_code == 0, made.output
    assert "collections.insight_actions" in made.output
    block = without_tables(made.output.split(MARK, 1)[1], "confluence", NEWER_COLLECTIONS)
    assert "insight_actions" not in block and "collections.decisions" in block
    text = atlassian_acme.read_text(encoding="utf-8")
    atlassian_acme.write_text(text + block, encoding="utf-8")
    checked = cli("doctor", "--config", str(atlassian_acme))
    assert checked.exit_code == 0, checked.output
    first = cli("sync", "--config", str(atlassian_acme), "--now", ACME_NOW, "--quiet")
    assert first.exit_code == 0, first.output
    codes = {f["code"] for f in first.report["findings"]}
    assert not {c for c in codes if c.startswith(("confluence.", "record."))}
