"""Filesystem safety of the local workspace (issue "Trust", sections 4, 8 and 9).

Each test does to the Acme workspace what a hostile or careless neighbour, a crash or a
full disk does, then syncs through the CLI: nothing may be written outside the workspace,
no key may take another key's file, and a disk that refuses writes must end in one clean
`error:` line and exit code 6, never a traceback.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from support import ACME_NOW, Cli

from opsync.state.sqlite import SqliteStateStore

TITLE = "title: Scheduled PDF reports\n"


def _sync(cli: Cli, config: Path) -> tuple[int, dict[str, Any]]:
    result = cli("sync", "--config", str(config), "--now", ACME_NOW, "--quiet")
    return result.exit_code, result.report


def _retitle(config: Path, title: str = "Scheduled PDF reports v2") -> None:
    """A tracker change that updates wiki/releases/ACME-102.md and two post-launch pages."""
    tracker = config.parent / "tracker" / "releases.yaml"
    text = tracker.read_text(encoding="utf-8")
    assert TITLE in text
    tracker.write_text(text.replace(TITLE, f"title: {title}\n"), encoding="utf-8")


def _messages(report: dict[str, Any], part: str) -> list[str]:
    return [str(item["message"]) for item in report[part]]


# ------------------------------------------------------------------ 1. temporary files


def test_a_link_planted_at_the_old_temporary_name_is_not_written_through(
    cli: Cli, acme: Path, tmp_path: Path
) -> None:
    assert _sync(cli, acme)[0] == 0
    root = acme.parent
    secret = tmp_path / "outside.txt"
    secret.write_text("not opsync's\n", encoding="utf-8")
    record = root / "wiki" / "releases" / "ACME-102.md"
    page = root / "pages" / "post-launch" / "ACME-102" / "day3.md"
    for target in (record, page):
        target.with_name(f".opsync-{target.name}.tmp").symlink_to(secret)
    _retitle(acme)
    code, report = _sync(cli, acme)
    assert code == 0, report
    assert secret.read_text(encoding="utf-8") == "not opsync's\n"
    for target in (record, page):
        assert not target.is_symlink()
        assert "Scheduled PDF reports v2" in target.read_text(encoding="utf-8")


def test_leftovers_of_a_killed_run_are_neither_read_nor_kept(cli: Cli, acme: Path) -> None:
    assert _sync(cli, acme)[0] == 0
    root = acme.parent
    leftover = root / "wiki" / "releases" / ".opsync-k2j3x9.tmp"
    leftover.write_text("---\nkey: ACME-102\ntitle: half a fi", encoding="utf-8")
    hidden = root / "pages" / "bundle" / ".ACME-125.md"  # an editor's hidden copy
    shutil.copy(root / "pages" / "bundle" / "ACME-125.md", hidden)
    _retitle(acme)
    code, report = _sync(cli, acme)
    assert code == 0, report
    assert not any(".ACME-125" in m or ".opsync-" in m for m in _messages(report, "findings"))
    assert not leftover.exists()  # swept by the writing run
    assert hidden.exists()  # not ours: a hidden file is neither read nor removed
    assert not list(root.rglob(".opsync-*"))


# ------------------------------------------------------------------ 2. links


def test_a_record_linking_outside_is_a_finding_and_not_read(
    cli: Cli, acme: Path, tmp_path: Path
) -> None:
    root = acme.parent
    decision = (root / "wiki" / "decisions" / "DEC-017.md").read_text(encoding="utf-8")
    outside = tmp_path / "secret-decision.md"
    text = decision.replace("key: DEC-017", "key: DEC-900").replace(
        "decision: Cache query results", "decision: OUTSIDE-SECRET Cache query results"
    )
    outside.write_text(text, encoding="utf-8")
    link = root / "wiki" / "decisions" / "DEC-900.md"
    link.symlink_to(outside)
    code, report = _sync(cli, acme)
    assert code == 5, report  # completed; a record could not be read (and is named)
    assert any("DEC-900.md is a symbolic link" in m for m in _messages(report, "findings"))
    written = [p for p in (root / "pages").rglob("*.md") if not p.is_symlink()]
    assert written and not any("OUTSIDE-SECRET" in p.read_text(encoding="utf-8") for p in written)
    assert outside.read_text(encoding="utf-8") == text
    assert link.is_symlink()


def test_a_pages_folder_linking_outside_is_never_written_through(
    cli: Cli, acme: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (acme.parent / "pages").mkdir(exist_ok=True)
    (acme.parent / "pages" / "scorecard").symlink_to(outside, target_is_directory=True)
    for _ in range(2):  # the next run says the same and writes nothing either
        code, report = _sync(cli, acme)
        assert code == 3, report
        assert any("scorecard is a symbolic link" in m for m in _messages(report, "conflicts")), (
            report["conflicts"]
        )
        assert list(outside.iterdir()) == []
    assert (acme.parent / "pages" / "weekly-update").is_dir()  # the rest synced


def test_a_page_that_is_a_link_stays_a_link_and_its_target_untouched(
    cli: Cli, acme: Path, tmp_path: Path
) -> None:
    assert _sync(cli, acme)[0] == 0
    page = acme.parent / "pages" / "post-launch" / "ACME-102" / "day3.md"
    outside = tmp_path / "day3.md"
    shutil.move(page, outside)
    page.symlink_to(outside)
    before = outside.read_bytes()
    _retitle(acme)
    code, report = _sync(cli, acme)
    assert page.is_symlink() and outside.read_bytes() == before
    assert code == 3, report
    conflicts = _messages(report, "conflicts")
    assert any("day3.md" in m and "symbolic link" in m for m in conflicts), conflicts


# ------------------------------------------------------------------ 3. names


def _add_releases(config: Path, keys: list[str]) -> None:
    tracker = config.parent / "tracker" / "releases.yaml"
    text = tracker.read_text(encoding="utf-8")
    row = text[text.index("- key: ACME-102") :].split("\n\n")[0]
    rows = [row.replace("- key: ACME-102", f"- key: {k!r}", 1) for k in keys]
    tracker.write_text(text.rstrip("\n") + "\n\n" + "\n\n".join(rows) + "\n", encoding="utf-8")


def test_keys_that_used_to_share_a_file_each_get_their_own(cli: Cli, acme: Path) -> None:
    keys = ["ACME-200", "ACME 200", "ACME:200", "機能-1", "画面-1"]
    _add_releases(acme, keys)
    code, report = _sync(cli, acme)
    assert code == 0, report
    releases = acme.parent / "wiki" / "releases"
    found = {}
    for path in releases.glob("*.md"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("key:"):
                found[line.split(":", 1)[1].strip().strip("'\"")] = path.name
    assert set(keys) <= set(found), found
    assert len({found[k] for k in keys}) == len(keys)
    assert found["ACME-200"] == "ACME-200.md"  # a safe key keeps its name
    assert _sync(cli, acme)[1]["planned"] == 0  # and the next run finds every one


def test_keys_differing_only_in_case_are_a_conflict_not_an_overwrite(cli: Cli, acme: Path) -> None:
    assert _sync(cli, acme)[0] == 0
    record = acme.parent / "wiki" / "releases" / "ACME-102.md"
    before = record.read_bytes()
    _add_releases(acme, ["acme-102"])
    code, report = _sync(cli, acme)
    assert code == 3, report
    assert any("ignores case" in m for m in _messages(report, "conflicts"))
    assert record.read_bytes() == before
    assert not (record.parent / "acme-102.md").exists()


# ------------------------------------------------------------------ 5. the disk refuses


@pytest.mark.parametrize(
    ("where", "number", "words"),
    [
        ("write", errno.ENOSPC, "the disk is full"),
        ("replace", errno.EROFS, "the file system is read-only"),
        ("open", errno.EACCES, "permission denied"),
    ],
)
def test_a_disk_that_refuses_a_write_is_one_clean_error_exit_6(
    cli: Cli, acme: Path, monkeypatch: pytest.MonkeyPatch, where: str, number: int, words: str
) -> None:
    assert _sync(cli, acme)[0] == 0
    _retitle(acme)
    real = getattr(os, where)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        # the temporary file: made (open), filled (write) or put in place (replace)
        if where == "write" or os.path.basename(os.fspath(args[0])).startswith(".opsync-"):
            raise OSError(number, os.strerror(number))
        return real(*args, **kwargs)

    monkeypatch.setattr(os, where, refuse)
    result = cli("sync", "--config", str(acme), "--now", ACME_NOW, "--quiet")
    monkeypatch.undo()
    assert result.exit_code == 6, result.output
    assert "Traceback" not in result.output
    flat = result.output.replace("\n", "")  # rich wraps the line at the terminal's width
    assert flat.startswith("error:") and flat.count("error:") == 1, result.output
    # the first write the disk refuses: the record's, or (os.write) the write lease's
    named = [str(acme.parent / "wiki" / "releases" / "ACME-102.md")]
    named += [str(acme.parent / ".wiki.opsync-lease")] if where == "write" else []
    assert words in flat and any(path in flat for path in named), flat
    assert "fix:" in flat
    error = result.report["error"]
    assert error["kind"] == "DiskError" and result.report["exit_code"] == 6
    assert not list(acme.parent.rglob(".opsync-*.tmp"))
    assert _sync(cli, acme)[0] == 0  # space freed: the next run finishes the work


class _RefusingDb:
    def __init__(self, message: str) -> None:
        self.message = message

    def execute(self, *args: object) -> None:
        raise sqlite3.OperationalError(self.message)

    executescript = executemany = execute

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    "message",
    [
        "database or disk is full",
        "attempt to write a readonly database",
        "unable to open database file",
    ],
)
@pytest.mark.sqlite_state  # looks at the SQLite file or the lock file itself
def test_a_state_database_the_disk_refuses_is_one_clean_error_exit_6(
    cli: Cli, acme: Path, monkeypatch: pytest.MonkeyPatch, message: str
) -> None:
    assert _sync(cli, acme)[0] == 0
    _retitle(acme)
    monkeypatch.setattr(SqliteStateStore, "_conn", lambda self, write=True: _RefusingDb(message))
    result = cli("sync", "--config", str(acme), "--now", ACME_NOW, "--quiet")
    assert result.exit_code == 6, result.output
    assert "Traceback" not in result.output
    flat = result.output.replace("\n", "")
    assert flat.startswith("error:") and str(acme.parent / ".opsync" / "state.db") in flat
    assert "fix:" in flat


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_workspace_is_one_clean_error_exit_6(cli: Cli, acme: Path) -> None:
    assert _sync(cli, acme)[0] == 0
    _retitle(acme)
    folders = [p for p in (acme.parent / "wiki").rglob("*") if p.is_dir()]
    folders += [p for p in (acme.parent / "pages").rglob("*") if p.is_dir()]
    for folder in folders:
        folder.chmod(0o555)
    try:
        result = cli("sync", "--config", str(acme), "--now", ACME_NOW, "--quiet")
    finally:
        for folder in folders:
            folder.chmod(0o755)
    assert result.exit_code == 6, result.output
    assert "permission denied" in result.output and "Traceback" not in result.output
