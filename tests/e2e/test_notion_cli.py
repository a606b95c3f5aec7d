"""The Notion path as the docs walk it, through the `opsync` command against the emulator:
bootstrap, doctor, sync, and a second sync that writes nothing."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest
from notion_client import Client
from support import ACME_NOW, NEWER_COLLECTIONS, Cli, acme_checkout, tree, without_tables

from opsync.connectors import charts
from opsync.testing.emulators.notion import NotionEmulator

MARK = "# Paste into opsync.toml:"


@pytest.fixture
def notion_acme(
    tmp_path: Path, notion_emulator: NotionEmulator, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.setenv("NOTION_TOKEN", notion_emulator.token)
    monkeypatch.setenv("OPSYNC_NOTION_BASE_URL", notion_emulator.base_url)
    return acme_checkout(tmp_path, "acme", "opsync.notion.toml")


def test_bootstrap_doctor_sync_and_a_second_sync_that_writes_nothing(
    cli: Cli, notion_acme: Path, notion_emulator: NotionEmulator
) -> None:
    root = notion_emulator.root_page_id
    made = cli("bootstrap", "notion", "--parent", root, "--config", str(notion_acme))
    assert made.exit_code == 0, made.output
    assert "created database" in made.output
    block = made.output.split(MARK, 1)[1]
    notion_acme.write_text(notion_acme.read_text(encoding="utf-8") + block, encoding="utf-8")

    again = cli("bootstrap", "notion", "--parent", root, "--config", str(notion_acme))
    assert again.exit_code == 0 and "created" not in again.output.split(MARK)[0]

    checked = cli("doctor", "--config", str(notion_acme))
    assert checked.exit_code == 0, checked.output

    notion_emulator.reset_counts()
    first = cli("sync", "--config", str(notion_acme), "--now", ACME_NOW, "--quiet")
    assert first.exit_code == 0, first.output
    assert first.report["writes"] > 0
    assert first.report["requests"]["notion"]["writes"] == notion_emulator.counts.writes
    assert first.report["requests"]["notion"]["reads"] == notion_emulator.counts.reads
    # the scorecard's chart: one PNG uploaded (File Upload API) and shown by an image block
    ((name, data),) = notion_emulator.attached_files()
    assert name.startswith("scorecard-2026-Q4-") and name.endswith(".png")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (charts.WIDTH, charts.HEIGHT)
    assert [u for u in notion_emulator.image_urls() if u.endswith(f"/{name}")]

    notion_emulator.reset_counts()
    second = cli("sync", "--config", str(notion_acme), "--now", ACME_NOW, "--quiet")
    assert (second.exit_code, second.report["writes"], second.report["planned"]) == (0, 0, 0)
    assert notion_emulator.counts.writes == 0  # no upload either
    assert len(notion_emulator.attached_files()) == 1
    # one query per data source (15 collections and the pages database), no block listings
    queries = sum(
        n for (method, path), n in notion_emulator.counts.by_endpoint.items() if "query" in path
    )
    # and one GET of the write lease (connectors/notion/lease.py)
    assert notion_emulator.counts.reads == queries + 1 <= 17


def test_doctor_names_a_missing_token(
    cli: Cli, notion_acme: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOTION_TOKEN")
    result = cli("doctor", "--config", str(notion_acme))
    assert result.exit_code == 2
    assert "NOTION_TOKEN" in result.output
    assert "connectors.notion.token_env" in result.output


def test_plan_after_a_sync_writes_nothing_not_even_the_mirror(
    cli: Cli, notion_acme: Path, notion_emulator: NotionEmulator
) -> None:
    made = cli(
        "bootstrap", "notion", "--parent", notion_emulator.root_page_id, "-c", str(notion_acme)
    )
    block = made.output.split(MARK, 1)[1]
    notion_acme.write_text(notion_acme.read_text(encoding="utf-8") + block, encoding="utf-8")
    first = cli("sync", "--config", str(notion_acme), "--now", ACME_NOW, "--quiet")
    assert first.exit_code == 0, first.output
    before = tree(notion_acme.parent)
    notion_emulator.reset_counts()
    planned = cli("plan", "--config", str(notion_acme), "--now", ACME_NOW)
    assert planned.exit_code == 0, planned.output
    assert notion_emulator.counts.writes == 0
    assert tree(notion_acme.parent) == before


def test_a_workspace_bootstrapped_without_the_newer_collections_checks_and_syncs(
    cli: Cli, notion_acme: Path, notion_emulator: NotionEmulator
) -> None:
    """An unmapped collection is absent, not an error: a workspace made before frictions,
    requests and insight actions existed keeps working until it maps them."""
    made = cli(
        "bootstrap",
        "notion",
        "--parent",
        notion_emulator.root_page_id,
        "--config",
        str(notion_acme),
    )
    assert made.exit_code == 0, made.output
    assert "collections.insight_actions" in made.output
    block = without_tables(made.output.split(MARK, 1)[1], "notion", NEWER_COLLECTIONS)
    assert "insight_actions" not in block and "collections.decisions" in block
    notion_acme.write_text(notion_acme.read_text(encoding="utf-8") + block, encoding="utf-8")
    checked = cli("doctor", "--config", str(notion_acme))
    assert checked.exit_code == 0, checked.output
    first = cli("sync", "--config", str(notion_acme), "--now", ACME_NOW, "--quiet")
    assert first.exit_code == 0, first.output
    assert not [f for f in first.report["findings"] if f["code"].startswith(("notion.", "record."))]


def _client(emulator: NotionEmulator) -> Client:
    return Client(auth=emulator.token, base_url=emulator.base_url)


def _page(client: Client, title: str) -> dict[str, Any]:
    """The page whose title starts with ``title``, found as a person would: by search."""
    found = client.search(query=title, filter={"property": "object", "value": "page"})
    (page,) = [p for p in found["results"] if title in json.dumps(p, ensure_ascii=False)]
    return dict(page)


def _content(client: Client, parent: str) -> str:
    """Every block below ``parent``, as JSON text."""
    blocks = client.blocks.children.list(block_id=parent, page_size=100)["results"]
    return "".join(
        json.dumps(b, ensure_ascii=False) + (_content(client, b["id"]) if b["has_children"] else "")
        for b in blocks
    )


def test_a_page_linking_a_page_made_in_the_same_sync_links_it_and_the_next_sync_writes_nothing(
    cli: Cli, notion_acme: Path, notion_emulator: NotionEmulator
) -> None:
    root = notion_emulator.root_page_id
    made = cli("bootstrap", "notion", "--parent", root, "--config", str(notion_acme))
    notion_acme.write_text(
        notion_acme.read_text(encoding="utf-8") + made.output.split(MARK, 1)[1], encoding="utf-8"
    )
    first = cli("sync", "--config", str(notion_acme), "--now", ACME_NOW, "--quiet")
    assert first.exit_code == 0, first.output
    # the readiness check and its bundle page are both made by this first sync
    with _client(notion_emulator) as client:
        bundle = _page(client, "Launch Enablement Bundle — Saved filters shared")
        readiness = _page(client, "Launch Readiness Check — Saved filters shared")
        assert f'"url": "{bundle["url"]}"' in _content(client, readiness["id"])
    notion_emulator.reset_counts()
    second = cli("sync", "--config", str(notion_acme), "--now", ACME_NOW, "--quiet")
    assert (second.exit_code, second.report["writes"], second.report["planned"]) == (0, 0, 0)
