"""What every state store keeps, and how, on each backend (SQLite and a real PostgreSQL):
mirrors staged until a commit, meta, runs and the journal, the sent-message records, the
operations a killed run left, and the run lock. The backends are interchangeable only if
each passes the same tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import StoreFactory
from opsync.errors import LockHeld
from opsync.state import StateStore


@pytest.fixture
def store(new_store: StoreFactory, tmp_path: Path) -> StateStore:
    return new_store(tmp_path)


def _again(new_store: StoreFactory, tmp_path: Path) -> StateStore:
    """The same stored state, opened again: what the next run sees."""
    return new_store(tmp_path)


def test_a_fresh_store_reads_as_empty_and_reading_creates_nothing(
    new_store: StoreFactory, tmp_path: Path
) -> None:
    store = new_store(tmp_path)
    assert store.load_mirror("local", "records") is None
    assert store.get_meta("identity") is None
    assert store.journal_rows() == []
    assert store.unfinished("send") == frozenset() and store.finished("send") == frozenset()
    assert store.close_interrupted() == 0
    assert not getattr(store, "exists", False)  # no file, no tables
    store.close()
    assert not (tmp_path / ".opsync").exists()


def test_kept_mirrors_reach_the_store_only_when_a_run_commits(
    new_store: StoreFactory, tmp_path: Path
) -> None:
    store = new_store(tmp_path)
    state = store.connector("notion")
    value = {"text": "v1"}
    state.keep("pages", lambda: value["text"])
    other = _again(new_store, tmp_path)
    assert other.load_mirror("notion", "pages") is None  # not yet
    other.close()
    store.commit()
    value["text"] = "v2"  # what a write leaves in the mirror is kept by the next commit
    store.commit()
    store.close()
    later = _again(new_store, tmp_path)
    assert later.connector("notion").get("pages") == "v2"
    assert later.load_mirror("slack", "pages") is None  # keyed by connector too
    later.close()


def test_mirrors_saved_together_replace_the_earlier_values(store: StateStore) -> None:
    store.save_mirrors({("a", "x"): "1", ("a", "y"): "2"})
    store.save_mirrors({("a", "x"): "3"})
    assert (store.load_mirror("a", "x"), store.load_mirror("a", "y")) == ("3", "2")
    store.close()


def test_read_cache_rows_are_staged_until_a_commit_and_kept_by_connector(
    new_store: StoreFactory, tmp_path: Path
) -> None:
    store = new_store(tmp_path)
    assert store.load_cache("local") == {}
    pending: dict[str, str | None] = {"a.md": "1", "b.md": "2"}

    def hand_over() -> dict[str, str | None]:
        nonlocal pending
        changes, pending = pending, {}
        return changes

    store.connector("local").keep_cache(hand_over)
    assert store.load_cache("local") == {}  # staged, not stored
    store.commit()
    pending = {"a.md": None, "c.md": "3"}
    store.commit()
    store.close()
    later = _again(new_store, tmp_path)
    assert later.connector("local").cached() == {"b.md": "2", "c.md": "3"}
    assert later.load_cache("other") == {}
    later.save_cache("other", {"b.md": "x"})
    assert later.load_cache("local")["b.md"] == "2"
    later.close()


def test_read_cache_rows_load_by_key_prefix(store: StateStore) -> None:
    rows = {"/w/a%_é/x.md": "1", "/w/a%_é/y/z.md": "2", "/w/a%_f/x.md": "3", "/w/a0.md": "4"}
    store.save_cache("local", {**rows, "/w/a%_é\U0010ffff.md": "5"})
    assert store.load_cache("local", "/w/a%_é/") == {"/w/a%_é/x.md": "1", "/w/a%_é/y/z.md": "2"}
    assert store.load_cache("local", "/w/a%_f/") == {"/w/a%_f/x.md": "3"}
    assert len(store.load_cache("local")) == 5
    store.close()


def test_meta_is_kept_and_replaced(new_store: StoreFactory, tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.set_meta("identity", "v1")
    store.set_meta("identity", "v2")
    store.set_meta("writer", "w")
    store.close()
    later = _again(new_store, tmp_path)
    assert (later.get_meta("identity"), later.get_meta("writer")) == ("v2", "w")
    later.close()


def test_the_journal_keeps_one_row_per_operation_in_the_order_recorded(store: StateStore) -> None:
    store.start_run("r1", "2026-12-03T15:00:00-05:00")
    store.journal("r1", "create_page:b", "create_page", "b", "why", "planned")
    store.journal("r1", "send:a", "send", "#ch/a", "why", "planned")
    store.journal("r1", "create_page:b", "create_page", "b", "why", "done")
    store.journal("r1", "send:a", "send", "#ch/a", "why", "failed", error="boom")
    store.finish_run("r1", "failed")
    store.start_run("r2", "2026-12-04T15:00:00-05:00")
    store.journal("r2", "send:a", "send", "#ch/a", "why", "done")
    assert store.journal_rows("r1") == [("create_page:b", "done"), ("send:a", "failed")]
    assert store.journal_rows() == [
        ("create_page:b", "done"),
        ("send:a", "failed"),
        ("send:a", "done"),
    ]
    store.close()


def test_sent_messages_are_remembered_by_target(store: StateStore) -> None:
    store.journal("r1", "send:a", "send", "#ch/a", "why", "done")
    store.journal("r1", "send:b", "send", "#ch/b", "why", "failed")
    store.journal("r1", "page:c", "update_page", "c", "why", "done")
    assert store.finished("send") == frozenset({"#ch/a"})
    assert store.finished("update_page") == frozenset({"c"})
    store.close()


def test_an_unfinished_target_stays_so_until_a_later_write_to_it_is_done(
    store: StateStore,
) -> None:
    store.journal("r1", "send:a", "send", "#ch/a", "why", "started")
    store.journal("r1", "send:b", "send", "#ch/b", "why", "failed")
    store.journal("r1", "send:c", "send", "#ch/c", "why", "planned")  # never begun: not unsure
    assert store.unfinished("send") == frozenset({"#ch/a", "#ch/b"})
    store.journal("r2", "send:a", "send", "#ch/a", "why", "done")
    assert store.unfinished("send") == frozenset({"#ch/b"})
    assert store.unfinished("update_page") == frozenset()
    store.close()


def test_operations_a_killed_run_left_are_closed_as_interrupted_once(store: StateStore) -> None:
    store.start_run("dead", "2026-12-03T15:00:00-05:00")
    store.journal("dead", "p:x", "create_page", "x", "r", "planned")
    store.journal("dead", "s:y", "send", "y", "r", "started")
    store.journal("dead", "s:z", "send", "z", "r", "done")
    assert store.close_interrupted() == 2
    assert dict(store.journal_rows("dead")) == {
        "p:x": "interrupted",
        "s:y": "interrupted",
        "s:z": "done",
    }
    assert store.close_interrupted() == 0
    assert store.unfinished("send") == frozenset({"y"})  # an interrupted send stays unsure
    store.close()


def test_a_second_holder_of_the_run_lock_is_refused_until_the_first_lets_go(
    new_store: StoreFactory, tmp_path: Path
) -> None:
    first, second = new_store(tmp_path), new_store(tmp_path)
    with first.lock(), pytest.raises(LockHeld), second.lock():
        pass  # pragma: no cover - the lock is refused on entry
    with second.lock():
        pass
    first.close()
    second.close()


def test_a_store_closed_and_used_again_reconnects(store: StateStore) -> None:
    store.set_meta("identity", "v1")
    store.close()
    assert store.get_meta("identity") == "v1"
    store.set_meta("identity", "v2")
    assert store.get_meta("identity") == "v2"
    store.close()
