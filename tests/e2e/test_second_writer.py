"""One writer per target, whatever its state store and host (issue 14, "A second writer").

Each case was reproduced before the lease: a run started after someone deleted ``.opsync/``
during another, and one config synced from two checkouts (a server and a laptop), gave
dozens of duplicate rows on Notion; afterwards the other writer's rows stayed hidden from
the incremental read. Here the second writer exits 4 while the first holds the lease, and
a writer that comes after another reads everything again and duplicates nothing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tomllib
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from notion_client import Client
from notion_client.helpers import iterate_paginated_api
from support import ACME_NOW, EXAMPLES, Cli, acme_checkout, files

from opsync import api
from opsync.connectors.lease import LEASE_KEY, Holder, Lease
from opsync.connectors.local.lease import FileLease, lease_path
from opsync.errors import LockHeld
from opsync.testing.emulators.notion import NotionEmulator

MARK = "# Paste into opsync.toml:"
EXTRA_RELEASE = """
- key: ACME-990
  title: Second-writer probe
  tier: 2
  launch_date: 2026-12-16
  product_area: dashboards
  pm: maya
  eng_lead: tom
  stakeholder_summary: A release only the second checkout has seen yet.
"""


# The local workspace ----------------------------------------------------------------


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    target = tmp_path / "acme"
    shutil.copytree(EXAMPLES / "acme", target)
    return target


def _holding(wiki: Path) -> subprocess.Popen[str]:
    """Another opsync process holding the workspace's lease (a run still writing)."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from opsync.connectors.local.lease import FileLease\n"
        f"with FileLease(Path({str(wiki)!r})).hold('other-state'):\n"
        "    print('held', flush=True)\n"
        "    sys.stdin.read()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


@pytest.mark.sqlite_state  # looks at the SQLite file or the lock file itself
def test_a_run_after_the_state_folder_was_deleted_waits_for_the_running_one(
    cli: Cli, workspace: Path
) -> None:
    config = workspace / "opsync.toml"
    assert cli("sync", "--config", str(config), "--now", ACME_NOW, "--quiet").exit_code == 0
    shutil.rmtree(workspace / ".opsync")  # a person "cleans up" while a run writes
    before = files(workspace)
    other = _holding(workspace / "wiki")
    try:
        second = cli("sync", "--config", str(config), "--now", "2026-12-04T15:00:00-05:00")
    finally:
        assert other.stdin is not None
        other.stdin.close()
        other.wait(timeout=30)
        assert other.stdout is not None
        other.stdout.close()
    assert second.exit_code == 4, second.output
    said = " ".join(second.output.split())
    assert "another opsync run" in said and "is writing this workspace" in said
    after = files(workspace)
    after.pop(lease_path(workspace / "wiki").relative_to(workspace).as_posix(), None)
    before.pop(lease_path(workspace / "wiki").relative_to(workspace).as_posix(), None)
    assert after == before  # nothing written, not even the outbox


def test_the_lease_is_in_the_workspace_not_the_state_folder(cli: Cli, workspace: Path) -> None:
    config = workspace / "opsync.toml"
    assert cli("sync", "--config", str(config), "--now", ACME_NOW, "--quiet").exit_code == 0
    path = lease_path(workspace / "wiki")
    lease = Lease.load(path.read_text(encoding="utf-8"))
    assert lease.holder == "" and lease.generation == 1  # released, taken once
    kept = path.read_bytes()
    assert cli("sync", "--config", str(config), "--now", ACME_NOW, "--quiet").exit_code == 0
    assert path.read_bytes() == kept  # a no-op takes the kernel lock only: no byte changes
    later = "2026-12-10T15:00:00-05:00"
    assert cli("sync", "--config", str(config), "--now", later, "--quiet").exit_code == 0
    assert Lease.load(path.read_text()).generation == 2


def test_a_live_lease_from_another_host_stops_a_run_and_an_expired_one_does_not(
    cli: Cli, workspace: Path
) -> None:
    """On a folder shared between hosts the kernel lock of one host is not seen by the
    other: the lease's holder and expiry are."""
    config = workspace / "opsync.toml"
    path = lease_path(workspace / "wiki")
    live = Lease("laptop.local/4242/abc/def", datetime.now(UTC) + timedelta(minutes=5), 7)
    path.write_text(live.dump(), encoding="utf-8")
    before = files(workspace)
    stopped = cli("sync", "--config", str(config), "--now", ACME_NOW)
    assert stopped.exit_code == 4, stopped.output
    assert "laptop.local/4242/abc/def" in " ".join(stopped.output.split())
    assert files(workspace) == before  # nothing written, the lease left as it was
    expired = Lease(live.holder, datetime.now(UTC) - timedelta(seconds=1), 7)
    path.write_text(expired.dump(), encoding="utf-8")
    assert cli("sync", "--config", str(config), "--now", ACME_NOW, "--quiet").exit_code == 0
    assert Lease.load(path.read_text()).generation == 8


def test_a_lease_left_by_a_dead_process_on_this_host_is_taken_at_once(
    cli: Cli, workspace: Path
) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = Holder(socket.gethostname(), int(gone.stdout), "other-state", "run1")
    path = lease_path(workspace / "wiki")
    path.write_text(Lease(dead.text(), datetime.now(UTC) + timedelta(hours=1), 3).dump())
    done = cli("sync", "--config", str(workspace / "opsync.toml"), "--now", ACME_NOW, "--quiet")
    assert done.exit_code == 0, done.output


def test_a_run_whose_lease_another_host_took_over_stops_writing(tmp_path: Path) -> None:
    wiki = tmp_path / "wiki"
    lease = FileLease(wiki, ttl=timedelta(seconds=30))
    with lease.hold("mine"):
        lease.claim()
        lease.tick()  # not due: nothing read
        path = lease_path(wiki)
        path.write_text(Lease("server/1/x/y", datetime.now(UTC) + timedelta(minutes=5), 9).dump())
        lease._renew_at = 0.0  # a third of the lease has passed
        with pytest.raises(LockHeld, match="taken over by server/1/x/y"):
            lease.tick()
    # and its release leaves the other run's lease alone
    assert Lease.load(path.read_text()).holder == "server/1/x/y"


def test_a_symlink_at_the_lease_path_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    (tmp_path / "wiki").mkdir()
    os.symlink(outside, lease_path(tmp_path / "wiki"))
    with (
        pytest.raises(LockHeld, match="symlink is refused"),
        FileLease(tmp_path / "wiki").hold("w"),
    ):
        pass
    assert outside.read_text() == "keep me"


# Notion: two checkouts of one config ----------------------------------------------


def _checkout(tmp_path: Path, name: str, emulator: NotionEmulator, block: str | None) -> Path:
    return acme_checkout(tmp_path, name, "opsync.notion.toml", block)


def _sources(config: Path) -> list[str]:
    """Every data source id the checkout's config names (bootstrap's block)."""
    notion = tomllib.loads(config.read_text(encoding="utf-8"))["connectors"]["notion"]
    found = [c["data_source_id"] for c in notion["collections"].values()]
    return [*found, notion["pages"]["data_source_id"]]


def _rows_by_key(emulator: NotionEmulator, config: Path) -> Counter[str]:
    """How many live rows hold each opsync key, per data source."""
    sdk = Client(auth=emulator.token, base_url=emulator.base_url, retry=False)
    keys: Counter[str] = Counter()
    try:
        for source in _sources(config):
            for row in iterate_paginated_api(sdk.data_sources.query, data_source_id=source):
                prop = row["properties"].get("opsync key") or {}
                text = "".join(t["plain_text"] for t in prop.get("rich_text") or [])
                if text:
                    keys[f"{source}:{text}"] += 1
    finally:
        sdk.close()
    return keys


def _lease_row(emulator: NotionEmulator, config: Path) -> dict[str, Any]:
    sdk = Client(auth=emulator.token, base_url=emulator.base_url, retry=False)
    try:
        found = sdk.data_sources.query(
            _sources(config)[-1],
            filter={"property": "opsync key", "rich_text": {"equals": LEASE_KEY}},
        )
    finally:
        sdk.close()
    rows: list[dict[str, Any]] = found["results"]
    assert len(rows) == 1
    return rows[0]


@pytest.fixture
def two_checkouts(
    cli: Cli, tmp_path: Path, notion_emulator: NotionEmulator, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    monkeypatch.setenv("NOTION_TOKEN", notion_emulator.token)
    monkeypatch.setenv("OPSYNC_NOTION_BASE_URL", notion_emulator.base_url)
    server = _checkout(tmp_path, "server", notion_emulator, None)
    root = notion_emulator.root_page_id
    made = cli("bootstrap", "notion", "--parent", root, "--config", str(server))
    assert made.exit_code == 0, made.output
    block = made.output.split(MARK, 1)[1]
    server.write_text(server.read_text(encoding="utf-8") + block, encoding="utf-8")
    laptop = _checkout(tmp_path, "laptop", notion_emulator, block)
    return server, laptop


def test_two_checkouts_take_turns_and_never_duplicate(
    cli: Cli, two_checkouts: tuple[Path, Path], notion_emulator: NotionEmulator
) -> None:
    server, laptop = two_checkouts
    first = cli("sync", "--config", str(server), "--now", ACME_NOW, "--quiet")
    assert first.exit_code == 0, first.output
    # both checkouts see a new release (the tracker is shared in life); the laptop, whose
    # state is new, syncs it first
    for config in (server, laptop):
        tracker = config.parent / "tracker" / "releases.yaml"
        tracker.write_text(tracker.read_text(encoding="utf-8") + EXTRA_RELEASE, encoding="utf-8")
    second = cli("sync", "--config", str(laptop), "--now", ACME_NOW, "--quiet")
    assert second.exit_code == 0, second.output
    assert second.report["writes"] > 0  # it made the new release's rows and pages
    # the server's mirror does not know them, and its incremental read would skip rows
    # opsync's account edited: the lease's generation tells it another writer wrote
    third = cli("sync", "--config", str(server), "--now", ACME_NOW, "--quiet")
    assert third.exit_code == 0, third.output
    created = [op for op in third.report["operations"] if op["kind"].startswith("create")]
    assert created == [], created
    counts = _rows_by_key(notion_emulator, server)
    assert counts and max(counts.values()) == 1, [k for k, n in counts.items() if n > 1]


def test_a_second_checkout_exits_4_while_another_host_holds_the_lease(
    cli: Cli, two_checkouts: tuple[Path, Path], notion_emulator: NotionEmulator
) -> None:
    server, laptop = two_checkouts
    assert cli("sync", "--config", str(server), "--now", ACME_NOW, "--quiet").exit_code == 0
    row = _lease_row(notion_emulator, server)
    assert Lease.load(plain(row, "opsync regions")).holder == ""  # released after the run
    # the server's next run has taken the lease and is still writing
    live = Lease("server.example/1/srv/run", datetime.now(UTC) + timedelta(minutes=5), 5)
    sdk = Client(auth=notion_emulator.token, base_url=notion_emulator.base_url, retry=False)
    text = [{"type": "text", "text": {"content": live.dump()}}]
    sdk.pages.update(row["id"], properties={"opsync regions": {"rich_text": text}})
    sdk.close()
    tracker = laptop.parent / "tracker" / "releases.yaml"
    tracker.write_text(tracker.read_text(encoding="utf-8") + EXTRA_RELEASE, encoding="utf-8")
    notion_emulator.reset_counts()
    blocked = cli("sync", "--config", str(laptop), "--now", ACME_NOW)
    assert blocked.exit_code == 4, blocked.output
    assert "server.example/1/srv/run" in " ".join(blocked.output.split())
    assert notion_emulator.counts.writes == 0
    assert Lease.load(plain(_lease_row(notion_emulator, server), "opsync regions")) == live


def plain(row: dict[str, Any], name: str) -> str:
    return "".join(t["plain_text"] for t in row["properties"][name]["rich_text"])


# Duplicates made anyway (before the lease, or by hand) -----------------------------


def test_a_copied_record_is_a_duplicate_that_doctor_lists_and_the_run_keeps_the_first(
    cli: Cli, workspace: Path
) -> None:
    config = workspace / "opsync.toml"
    original = workspace / "wiki" / "decisions" / "DEC-001.md"
    if not original.exists():
        original = sorted((workspace / "wiki" / "decisions").glob("*.md"))[0]
    copy = original.with_name("zz-copy-of-" + original.name)
    copy.write_bytes(original.read_bytes())
    assert cli("doctor", "--config", str(config)).exit_code == 0
    listed = cli("doctor", "--config", str(config), "--duplicates")
    assert listed.exit_code == 1, listed.output
    # Rich may wrap a long path anywhere, even inside a file name: compare without spaces
    said = "".join(listed.output.split())
    assert "".join(copy.name.split()) in said and "".join(original.name.split()) in said
    synced = cli("sync", "--config", str(config), "--now", ACME_NOW)
    assert synced.exit_code == 0, synced.output  # a duplicate is no unreadable input
    found = [f for f in synced.report["findings"] if f["code"] == "record.duplicate"]
    assert len(found) == 1 and found[0]["level"] == "warning"
    copy.unlink()
    clean = cli("doctor", "--config", str(config), "--duplicates")
    assert clean.exit_code == 0 and "No duplicates" in clean.output


def test_a_duplicate_notion_row_is_kept_apart_and_doctor_lists_it(
    cli: Cli, two_checkouts: tuple[Path, Path], notion_emulator: NotionEmulator
) -> None:
    server, _ = two_checkouts
    assert cli("sync", "--config", str(server), "--now", ACME_NOW, "--quiet").exit_code == 0
    # a person duplicates the page in Notion ("Duplicate" in the page's menu)
    sdk = Client(auth=notion_emulator.person_token, base_url=notion_emulator.base_url, retry=False)
    try:
        pages = _sources(server)[-1]
        row = sdk.data_sources.query(
            pages,
            filter={"property": "opsync key", "rich_text": {"equals": "weekly-update/2026-W49"}},
        )["results"][0]
        props = {
            name: {"rich_text": [{"type": "text", "text": {"content": plain(row, name)}}]}
            for name in ("opsync key", "opsync regions")
        }
        twin = sdk.pages.create(parent={"data_source_id": pages}, properties=props)
    finally:
        sdk.close()
    listed = cli("doctor", "--config", str(server), "--duplicates")
    assert listed.exit_code == 1, listed.output
    assert twin["url"] in " ".join(listed.output.split())
    synced = cli("sync", "--config", str(server), "--now", ACME_NOW)
    assert synced.exit_code == 0, synced.output
    assert [f["code"] for f in synced.report["findings"]].count("record.duplicate") == 1
    ops = [op["target"] for op in synced.report["operations"]]
    reasons = [op["reason"] for op in synced.report["operations"]]
    # the older page is opsync's; the twin is left alone
    assert "weekly-update/2026-W49" not in ops, reasons


class _ReleasedWhilePlanning:
    """A reporter: when the plan starts (the read done, the lease not yet claimed), the other
    writer, whose live lease the read found, finishes and releases it."""

    def __init__(self, release: Any) -> None:
        self.release = release

    def stage(self, name: str) -> None:
        if name == "plan":
            self.release()

    def progress(self, done: int, total: int, op: Any) -> None:
        return None


def test_a_read_made_while_another_writer_held_the_lease_writes_nothing(
    cli: Cli, two_checkouts: tuple[Path, Path], notion_emulator: NotionEmulator
) -> None:
    """Found by tests/reliability/test_reliability_two_writers.py: a run read while another
    held the lease; the other created a record after that read, then released the lease (or
    died) without changing its generation; the run's claim found it free, and the run
    created the record a second time from its stale read."""
    server, laptop = two_checkouts
    assert cli("sync", "--config", str(server), "--now", ACME_NOW, "--quiet").exit_code == 0
    tracker = laptop.parent / "tracker" / "releases.yaml"
    tracker.write_text(tracker.read_text(encoding="utf-8") + EXTRA_RELEASE, encoding="utf-8")
    row = _lease_row(notion_emulator, server)
    generation = Lease.load(plain(row, "opsync regions")).generation
    live = Lease("server.example/1/srv/run", datetime.now(UTC) + timedelta(minutes=5), generation)
    sdk = Client(auth=notion_emulator.token, base_url=notion_emulator.base_url, retry=False)

    def store(lease: Lease) -> None:
        text = [{"type": "text", "text": {"content": lease.dump()}}]
        sdk.pages.update(row["id"], properties={"opsync regions": {"rich_text": text}})
        notion_emulator.reset_counts()

    try:
        store(live)  # the server writes (same generation: it took the lease already)
        with pytest.raises(LockHeld, match="was writing while this run read"):
            api.sync(
                laptop,
                now=datetime.fromisoformat(ACME_NOW),
                reporter=_ReleasedWhilePlanning(lambda: store(live.released())),
            )
        assert notion_emulator.counts.writes == 0
    finally:
        sdk.close()
    # the next run reads again, with nobody writing, and does the work once
    again = cli("sync", "--config", str(laptop), "--now", ACME_NOW, "--quiet")
    assert again.exit_code == 0, again.output
    counts = _rows_by_key(notion_emulator, server)
    assert max(counts.values()) == 1, [k for k, n in counts.items() if n > 1]
