"""A synced workspace copied elsewhere (a container, a CI runner) is the same workspace: the
identity fingerprint counts the config's paths relative to its folder. Stores written by
earlier versions, which fingerprinted absolute paths, keep working in place."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import ACME_NOW, Cli, files

from opsync import api
from opsync.config import load_config

LATER = "2026-12-04T15:00:00-05:00"  # a day on: the plan has operations, so identity counts


def _sync(cli: Cli, config: Path, now: str = ACME_NOW) -> tuple[int, dict[str, Any]]:
    result = cli("sync", "--config", str(config), "--now", now, "--quiet")
    return result.exit_code, result.report


def _stored_identity(workspace: Path, value: str | None = None) -> str:
    """The fingerprint in the state store; replaced by ``value`` when given."""
    db = sqlite3.connect(workspace / ".opsync" / "state.db")
    try:
        if value is not None:
            with db:
                db.execute("UPDATE meta SET value = ? WHERE name = 'identity'", (value,))
        return str(db.execute("SELECT value FROM meta WHERE name = 'identity'").fetchone()[0])
    finally:
        db.close()


def _identity_before(config_path: Path) -> str:
    """The fingerprint as earlier versions computed it: every connector setting as ``str``, so the
    local workspace's folders as absolute paths (kept here as that version wrote it)."""
    config = load_config(config_path)
    parts: dict[str, Any] = {
        name: {k: str(v) for k, v in c.model_dump().items() if k not in c.NOT_IDENTITY}
        for name, c in sorted(config.connectors.items())
    }
    parts["_roles"] = config.roles.model_dump()
    parts["_key_scheme"] = {"version": "1"}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def test_a_synced_workspace_copied_elsewhere_syncs_with_no_write(cli: Cli, tmp_path: Path) -> None:
    here = tmp_path / "here" / "acme"
    assert cli("init", str(here), "--example", "acme").exit_code == 0
    code, first = _sync(cli, here / "opsync.toml")
    assert code == 0 and first["writes"] > 0
    before = files(here)
    there = tmp_path / "elsewhere" / "acme"
    there.parent.mkdir()
    subprocess.run(["cp", "-a", str(here), str(there)], check=True)
    code, report = _sync(cli, there / "opsync.toml")
    assert (code, report["writes"], report["identity_change"]) == (0, 0, None)
    assert files(there) == before
    # With something to write, a changed identity would stop the copy with exit 2.
    code, report = _sync(cli, there / "opsync.toml", LATER)
    assert (code, report["identity_change"]) == (0, None) and report["writes"] > 0
    assert report["conflicts"] == [] and report["failed"] == []


def test_the_fingerprint_counts_paths_inside_the_folder_relative_and_outside_absolute(
    tmp_path: Path,
) -> None:
    configs = []
    for place in ("one", "two"):
        folder = tmp_path / place / "ws"
        api.init_workspace(folder, example="acme")
        configs.append(folder / "opsync.toml")
    same = [api._identity(load_config(c)) for c in configs]
    assert same[0] == same[1]
    for config in configs:  # a sibling folder of each workspace: not carried by a copy
        text = config.read_text(encoding="utf-8").replace(
            'pages = "pages"', 'pages = "../pages"\nallow_outside = true'
        )
        config.write_text(text, encoding="utf-8")
    outside = [api._identity(load_config(c)) for c in configs]
    assert outside[0] != outside[1] and same[0] not in outside


@pytest.mark.sqlite_state  # looks at the SQLite file or the lock file itself
def test_a_store_from_an_earlier_version_is_migrated_in_place_then_copies_work(
    cli: Cli, tmp_path: Path
) -> None:
    here = tmp_path / "acme"
    api.init_workspace(here, example="acme")
    config = here / "opsync.toml"
    assert _sync(cli, config)[0] == 0
    portable = _stored_identity(here)
    old = _stored_identity(here, _identity_before(config))
    assert old != portable  # the workspace as an earlier version left it
    code, report = _sync(cli, config, LATER)
    assert (code, report["identity_change"]) == (0, None) and report["writes"] > 0
    assert _stored_identity(here) == portable
    there = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(here), str(there)], check=True)
    assert _sync(cli, there / "opsync.toml", "2026-12-07T09:00:00-05:00")[0] == 0


@pytest.mark.sqlite_state  # looks at the SQLite file or the lock file itself
def test_an_earlier_store_copied_before_upgrading_or_a_moved_folder_is_still_an_identity_change(
    cli: Cli, tmp_path: Path
) -> None:
    here = tmp_path / "acme"
    api.init_workspace(here, example="acme")
    assert _sync(cli, here / "opsync.toml")[0] == 0
    _stored_identity(here, _identity_before(here / "opsync.toml"))
    there = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(here), str(there)], check=True)
    # The earlier fingerprint names the old place: nothing tells a copy from another workspace.
    assert _sync(cli, there / "opsync.toml", LATER)[0] == 2
    config = here / "opsync.toml"
    assert _sync(cli, config)[0] == 0  # in place: migrated
    text = config.read_text(encoding="utf-8").replace('pages = "pages"', 'pages = "generated"')
    config.write_text(text, encoding="utf-8")
    (here / "generated").mkdir()  # without it: a folder gone since the last sync (exit 2 too)
    code, report = _sync(cli, config, LATER)
    assert code == 2 and "changes where or under which keys" in report["error"]["message"]
