"""What only the PostgreSQL store has: the config's `[state] url` and `key`, a plan that
creates nothing in the database, the lock key of an organisation, a database that cannot be
reached, and a password that is never printed."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from conftest import EXAMPLES, CliResult
from opsync.config import load_config
from opsync.errors import ConfigError, LockHeld
from opsync.state.postgres import _MIGRATIONS, PostgresStateStore, lock_key, redacted

NOW = "2026-12-03T15:00:00-05:00"
Cli = Callable[..., CliResult]


def _acme(folder: Path, state: str) -> Path:
    shutil.copytree(EXAMPLES / "acme", folder)
    config = folder / "opsync.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[state]\n", f"[state]\n{state}\n", 1), encoding="utf-8")
    return config


def _tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        ).fetchall()
    return [r[0] for r in rows]


def test_a_config_with_a_state_url_keeps_its_state_there_and_a_plan_creates_nothing(
    cli: Cli, postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPSYNC_STATE_URL", raising=False)  # the config's url, not an override
    config = _acme(tmp_path / "acme", f'url = "{postgres_url}"\nkey = "acme-prod"')
    planned = cli("plan", "--config", str(config), "--now", NOW, "--quiet")
    assert planned.exit_code == 0, planned.output
    assert _tables(postgres_url) == []  # a plan writes nothing, not even the schema
    synced = cli("sync", "--config", str(config), "--now", NOW, "--quiet")
    assert synced.exit_code == 0, synced.output
    assert not (tmp_path / "acme" / ".opsync").exists()  # no SQLite file beside the config
    assert _tables(postgres_url) == [
        "opsync_journal",
        "opsync_meta",
        "opsync_mirrors",
        "opsync_read_cache",
        "opsync_runs",
        "opsync_schema",
    ]
    store = PostgresStateStore(postgres_url, "acme-prod")
    assert store.load_cache("local")  # the next run parses only what changed
    assert len(store.journal_rows()) == synced.report["writes"] > 0
    assert store.get_meta("identity") is not None
    store.close()
    again = cli("sync", "--config", str(config), "--now", NOW, "--quiet")
    assert again.exit_code == 0 and again.report["writes"] == 0, again.output


def test_a_database_that_cannot_be_reached_is_named_without_its_password(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPSYNC_STATE_URL", raising=False)  # the config's url, not an override
    # port 1 on loopback: nothing listens there, the connection is refused at once
    config = _acme(tmp_path / "acme", 'url = "postgresql://opsync:s3cret-pw@127.0.0.1:1/opsync"')
    result = cli("sync", "--config", str(config), "--now", NOW, "--quiet")
    flat = " ".join(result.output.split())
    assert result.exit_code == 1, result.output
    assert "the state database failed" in flat and "opsync:***@127.0.0.1:1" in flat
    assert "s3cret-pw" not in result.output and "Traceback" not in result.output
    assert "s3cret-pw" not in str(result.report)


def test_a_state_url_that_is_not_postgresql_is_a_config_error(tmp_path: Path) -> None:
    config = _acme(tmp_path / "acme", 'url = "mysql://db/opsync"')
    with pytest.raises(ConfigError, match="must be a PostgreSQL URL") as raised:
        load_config(config)
    assert raised.value.key == "state.url"


def test_an_organisations_lock_key_is_stable_and_its_own() -> None:
    # the same on every machine and Python (not hash()): two runners must agree on it
    assert lock_key("Acme Analytics") == lock_key("Acme Analytics") == (1907079526, 1343061698)
    assert lock_key("Acme Analytics") != lock_key("Acme North")
    # the default schema keeps the key of older versions, so old and new runners exclude
    assert lock_key("Acme Analytics", "public") == lock_key("Acme Analytics")
    assert lock_key("Acme Analytics", "tenant_b") != lock_key("Acme Analytics")


def test_one_organisation_name_in_two_schemas_is_two_stores_that_never_wait_on_each_other(
    postgres_server: Any,
) -> None:
    with postgres_server.schema() as one, postgres_server.schema() as two:
        first, second = PostgresStateStore(one, "Acme"), PostgresStateStore(two, "Acme")
        third = PostgresStateStore(one, "Acme")  # the same schema's runner is still refused
        with first.lock(), second.lock(), pytest.raises(LockHeld), third.lock():
            pass  # pragma: no cover - refused on entry


def test_a_lock_let_go_is_free_at_once_for_the_next_run(postgres_url: str) -> None:
    # closing the connection alone frees the lock only when the server has ended the
    # session, a moment later; the next run, started at once, must not be refused
    first, second = (
        PostgresStateStore(postgres_url, "Acme"),
        PostgresStateStore(postgres_url, "Acme"),
    )
    for _ in range(30):
        with first.lock():
            pass
        with second.lock():
            pass


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:pw@h:5/d", "postgresql://u:***@h:5/d"),
        ("postgresql://u@h/d?sslmode=require", "postgresql://u@h/d?sslmode=require"),
        ("postgresql:///d", "postgresql:///d"),
        ("postgresql://u:p%40ss@h/d", "postgresql://u:***@h/d"),
    ],
)
def test_a_url_is_shown_with_its_password_hidden(url: str, shown: str) -> None:
    assert redacted(url) == shown


def test_a_state_url_without_the_postgres_extra_names_the_pip_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if not installed
    store = PostgresStateStore("postgresql://db/opsync", "acme")
    with pytest.raises(ConfigError, match="psycopg is not installed") as raised, store.lock():
        pass  # pragma: no cover - refused on entry
    assert raised.value.hint == 'pip install "opsync[postgres]"'


def test_a_database_an_older_opsync_made_gains_the_read_cache_at_the_first_write(
    postgres_url: str,
) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as db:  # schema version 1 only
        db.execute("CREATE TABLE opsync_schema (version INTEGER NOT NULL)")
        db.execute(_MIGRATIONS[1])
        db.execute("INSERT INTO opsync_schema(version) VALUES (1)")
    store = PostgresStateStore(postgres_url, "Old Org")
    assert store.load_cache("local") == {}  # read as empty, nothing created by a read
    assert "opsync_read_cache" not in _tables(postgres_url)
    store.save_cache("local", {"a.md": "1"})
    assert store.load_cache("local") == {"a.md": "1"}
    store.close()
