"""The local workspace's read cache (issue 19, "A cached read"): a file whose stat is the
one its cache row holds is neither opened nor parsed, and every way a file can change
under an unchanged-looking stat, or the cache go wrong, still gives the read a full parse
gives. And the read fingerprint: it changes when what a read sees changes, only then."""

from __future__ import annotations

import itertools
import json
import os
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from opsync.connectors.base import (
    PageWrite,
    RecordWrite,
    read_fingerprint,
    releases_fingerprint,
)
from opsync.connectors.local import readcache
from opsync.connectors.local.readcache import ReadCache
from opsync.connectors.local.workspace import LocalWorkspace
from opsync.documents.model import Document, para, region
from opsync.errors import ConflictError
from opsync.state import MemoryStateStore, SqliteStateStore, StateStore

OLD = time.time_ns() - 3600 * 10**9  # an hour ago: no file is racy


def _old(path: Path, at: int = OLD) -> None:
    os.utime(path, ns=(at, at))


def _record(root: Path, collection: str, name: str, text: str) -> Path:
    path = root / "wiki" / collection / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    _old(path)
    return path


def _org(root: Path) -> None:
    (root / "tracker.yaml").write_text("[]\n", encoding="utf-8")
    _record(
        root,
        "releases",
        "ACME-1",
        "---\nkey: ACME-1\nbundle_state: draft\nopsync_fields: [title]\ntitle: One\n"
        "opsync_sum: x\n---\nnotes\n",
    )
    _record(
        root,
        "decisions",
        "D-1",
        "---\nkey: D-1\ndecided: 2026-11-02\nwhen: 2026-11-02T10:00:00+01:00\n"
        "nested: {a: [1, 2.5, null, true]}\n---\n",
    )


def _workspace(root: Path, store: StateStore | None) -> LocalWorkspace:
    return LocalWorkspace(
        tracker=root / "tracker.yaml",
        wiki=root / "wiki",
        pages=root / "pages",
        outbox=root / "outbox",
        state=store.connector("local") if store is not None else None,
    )


def _read(root: Path, store: StateStore | None) -> tuple[Any, int]:
    """(what the read gives, how many files it opened); a writing run's commit after it."""
    ws = _workspace(root, store)
    result = ws.read()
    if store is not None:
        store.commit()
    view = (
        {k: (v.owned, v.edited, v.path) for k, v in result.records.items()},
        result.fields,
        {k: (p.regions, p.text, p.path) for k, p in result.pages.items()},
        sorted((f.code, f.record, f.message) for f in result.findings),
    )
    return view, ws.counts()["reads"]


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> StateStore:
    if request.param == "memory":
        return MemoryStateStore()
    return SqliteStateStore(tmp_path / "state" / "state.db")


def test_an_unchanged_file_is_neither_opened_nor_parsed_and_reads_the_same(
    tmp_path: Path, store: StateStore
) -> None:
    _org(tmp_path)
    full, opened = _read(tmp_path, None)
    assert opened == 2
    first, opened = _read(tmp_path, store)
    assert (first, opened) == (full, 2)
    cached, opened = _read(tmp_path, store)
    assert (cached, opened) == (full, 0)
    decision = cached[1]["decisions/D-1"]
    assert decision["decided"] == date(2026, 11, 2)
    assert decision["when"] == datetime(2026, 11, 2, 10, tzinfo=timezone(timedelta(hours=1)))
    assert decision["nested"] == {"a": [1, 2.5, None, True]}


def test_a_same_size_rewrite_with_its_mtime_put_back_is_read_again(tmp_path: Path) -> None:
    """``touch -d``, ``cp -p`` and ``rsync -t`` set the mtime back; the ctime says."""
    store = MemoryStateStore()
    _org(tmp_path)
    _read(tmp_path, store)
    path = tmp_path / "wiki" / "releases" / "ACME-1.md"
    before = path.stat()
    path.write_text(path.read_text().replace("draft", "ready"), encoding="utf-8")
    _old(path, before.st_mtime_ns)
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    view, opened = _read(tmp_path, store)
    assert opened == 1 and view[1]["releases/ACME-1"]["bundle_state"] == "ready"


def test_a_racy_file_that_changed_is_opened_once_for_its_check_and_its_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the change time cannot be set back: the key leaves it out, as on a file system with
    # coarse stamps, so the rewrite keeps the key and only the racy check's read tells
    monkeypatch.setattr(readcache, "stat_key", lambda st: (st.st_size, st.st_mtime_ns, 0, 0))
    store = MemoryStateStore()
    _org(tmp_path)
    path = tmp_path / "wiki" / "releases" / "ACME-1.md"
    now = time.time_ns()
    _old(path, now)  # written just now: its row is racy
    _read(tmp_path, store)
    path.write_text(path.read_text().replace("draft", "ready"), encoding="utf-8")
    _old(path, now)
    view, opened = _read(tmp_path, store)
    assert opened == 1 and view[1]["releases/ACME-1"]["bundle_state"] == "ready"


def test_a_racy_row_is_used_only_while_the_bytes_hash_the_same(tmp_path: Path) -> None:
    """A row whose stat was taken within 2 s of the file's mtime cannot tell a rewrite in
    the same timestamp tick (git's racy files): it is checked against the bytes."""
    cache = ReadCache(None)
    key = (10, OLD, 5, OLD)
    cache.store("f.md", key, OLD + 1, readcache.digest(b"0123456789"), {"a": 1})
    cache._rows = {"f.md": str(cache._changes["f.md"])}
    assert cache.lookup("f.md", key, lambda: b"0123456780") is None
    cache._rows = {"f.md": str(cache._changes["f.md"])}
    hit = cache.lookup("f.md", key, lambda: b"0123456789")
    assert hit is not None and hit.payload == {"a": 1}
    settled = ReadCache(None)
    settled.store("f.md", key, OLD + readcache.RACY_NS, "d", {"a": 1})
    settled._rows = {"f.md": str(settled._changes["f.md"])}

    def never() -> bytes:
        raise AssertionError("a settled row's file is not opened")

    assert settled.lookup("f.md", key, never) is not None


def test_a_file_opsync_wrote_is_hashed_not_parsed_until_a_commit_finds_it_settled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStateStore()
    _org(tmp_path)
    ws = _workspace(tmp_path, store)
    ws.read()
    ws.write_record(RecordWrite(ref="releases/ACME-1", values={"title": "Uno"}))
    path = tmp_path / "wiki" / "releases" / "ACME-1.md"
    store.commit()  # written just now: the row stays racy, checked by the runs after
    for _ in range(2):
        view, opened = _read(tmp_path, store)
        assert opened == 1 and view[0]["releases/ACME-1"][0] == {"title": "Uno"}
    ws = _workspace(tmp_path, store)
    ws.read()
    ws.write_record(RecordWrite(ref="releases/ACME-1", values={"title": "Tres"}))
    later = time.time_ns() + 2 * readcache.RACY_NS
    monkeypatch.setattr(readcache.time, "time_ns", lambda: later)
    store.commit()  # its mtime is old enough now: the commit checks the bytes, re-stamps
    monkeypatch.undo()
    view, opened = _read(tmp_path, store)
    assert opened == 0 and view[0]["releases/ACME-1"][0] == {"title": "Tres"}
    path.write_text(path.read_text().replace("Tres", "Dos"), encoding="utf-8")
    view, opened = _read(tmp_path, store)
    assert opened == 1 and view[0]["releases/ACME-1"][0] == {"title": "Dos"}


def test_a_file_replaced_by_a_link_or_made_undecodable_is_not_taken_from_the_cache(
    tmp_path: Path, store: StateStore
) -> None:
    _org(tmp_path)
    _read(tmp_path, store)
    release = tmp_path / "wiki" / "releases" / "ACME-1.md"
    elsewhere = tmp_path / "elsewhere.md"
    release.rename(elsewhere)
    release.symlink_to(elsewhere)
    decision = tmp_path / "wiki" / "decisions" / "D-1.md"
    decision.write_bytes(decision.read_bytes().replace(b"D-1\n", b"D-\xff\n"))
    view, _ = _read(tmp_path, store)
    assert "releases/ACME-1" not in view[0] and "decisions/D-1" not in view[0]
    messages = " ".join(m for _, _, m in view[3])
    assert "symbolic link" in messages and "utf-8" in messages


def test_without_its_rows_or_with_rows_of_another_version_the_read_parses_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SqliteStateStore(tmp_path / "state" / "state.db")
    _org(tmp_path)
    full, _ = _read(tmp_path, store)
    store.close()
    monkeypatch.setattr(readcache, "VERSION", "0/older")
    again = SqliteStateStore(tmp_path / "state" / "state.db")
    assert _read(tmp_path, again) == (full, 2)
    again.close()
    monkeypatch.undo()
    (tmp_path / "state" / "state.db").unlink()
    assert _read(tmp_path, SqliteStateStore(tmp_path / "state" / "state.db")) == (full, 2)


def test_a_value_the_rows_cannot_hold_exactly_leaves_its_file_uncached(tmp_path: Path) -> None:
    store = MemoryStateStore()
    _record(tmp_path, "decisions", "D-2", "---\nkey: D-2\nodd: !!set {a, b}\n---\n")
    (tmp_path / "tracker.yaml").write_text("[]\n", encoding="utf-8")
    first, _ = _read(tmp_path, store)
    assert _read(tmp_path, store) == (first, 1)
    assert first[1]["decisions/D-2"]["odd"] == {"a", "b"}


def test_rows_of_deleted_files_are_dropped(tmp_path: Path) -> None:
    store = MemoryStateStore()
    _org(tmp_path)
    _read(tmp_path, store)
    (tmp_path / "wiki" / "decisions" / "D-1.md").unlink()
    _read(tmp_path, store)
    assert list(store.cache["local"]) == [str(tmp_path / "wiki" / "releases" / "ACME-1.md")]


def _page(key: str, body: str) -> Document:
    return Document(title=key, children=(region("main", para(body)),))


def test_a_page_read_from_the_cache_keeps_what_a_person_wrote_and_the_edit_check(
    tmp_path: Path,
) -> None:
    store = MemoryStateStore()
    _org(tmp_path)
    ws = _workspace(tmp_path, store)
    ws.read()
    ws.write_page(PageWrite("p", _page("p", "one"), create=True))
    path = tmp_path / "pages" / "p.md"
    path.write_text(path.read_text() + "A person's note.\n", encoding="utf-8")
    _old(path)
    full, _ = _read(tmp_path, None)
    assert _read(tmp_path, store)[0] == full
    assert _read(tmp_path, store) == (full, 0)
    ws = _workspace(tmp_path, store)
    ws.read()  # from the cache: the edit check has the digest and the regions as read
    path.write_text(path.read_text().replace("one", "mine"), encoding="utf-8")
    with pytest.raises(ConflictError):
        ws.write_page(PageWrite(key="p", document=_page("p", "two"), regions=("main",)))
    assert "mine" in path.read_text()


def test_the_edit_check_keeps_digests_not_text(tmp_path: Path) -> None:
    _org(tmp_path)
    ws = _workspace(tmp_path, None)
    ws.read()
    kept = list(ws._seen.values())
    assert len(kept) == 2 and all(len(a.digest) == 32 for a in kept)
    assert all("notes" not in repr(a) for a in kept)  # the body is no value opsync decides on


def test_a_save_of_another_field_between_the_read_and_the_write_is_kept(tmp_path: Path) -> None:
    _org(tmp_path)
    ws = _workspace(tmp_path, MemoryStateStore())
    ws.read()
    path = tmp_path / "wiki" / "releases" / "ACME-1.md"
    path.write_text(path.read_text().replace("notes", "new notes"), encoding="utf-8")
    ws.write_record(RecordWrite(ref="releases/ACME-1", values={"title": "Uno"}))
    assert "new notes" in path.read_text() and "title: Uno" in path.read_text()
    path.write_text(path.read_text().replace("Uno", "Mine"), encoding="utf-8")
    ws = _workspace(tmp_path, None)
    ws.read()
    path.write_text(path.read_text().replace("Mine", "Mine!"), encoding="utf-8")
    with pytest.raises(ConflictError):
        ws.write_record(RecordWrite(ref="releases/ACME-1", values={"title": "Uno"}))


# ------------------------------------------------------------------------ read_fingerprint


def _fingerprints(root: Path) -> tuple[str | None, str | None]:
    ws = _workspace(root, None)
    return read_fingerprint(ws), releases_fingerprint(ws)


def test_the_read_fingerprint_changes_with_what_a_read_sees_and_only_then(
    tmp_path: Path,
) -> None:
    _org(tmp_path)
    _old(tmp_path / "tracker.yaml")
    pages = tmp_path / "pages"
    pages.mkdir()
    page = pages / "p.md"
    page.write_text("---\nopsync_key: p\n---\n", encoding="utf-8")
    _old(page)
    release = tmp_path / "wiki" / "releases" / "ACME-1.md"
    seen: list[str] = []

    def now() -> str:
        wiki, tracker = _fingerprints(tmp_path)
        assert wiki is not None and tracker is not None
        seen.append(wiki)
        return wiki

    start = now()
    assert now() == start  # nothing changed
    _read(tmp_path, MemoryStateStore())
    assert now() == start  # a read opens files, changes nothing
    size = release.stat().st_size
    release.write_text(release.read_text().replace("draft", "ready"), encoding="utf-8")
    assert release.stat().st_size == size
    _old(release)  # an edit: same size, its mtime put back
    now()
    _old(release, OLD + 1)  # a touch
    now()
    added = tmp_path / "wiki" / "decisions" / "D-2.md"
    added.write_text("---\nkey: D-2\n---\n", encoding="utf-8")
    _old(added)  # an add
    now()
    added.rename(added.with_name("D-3.md"))  # a rename
    now()
    added.with_name("D-3.md").unlink()  # a delete
    now()
    page.unlink()  # a page deleted
    now()
    assert seen[0] == seen[1] == seen[2]  # nothing changed, or a read only
    assert all(a != b for a, b in itertools.pairwise(seen[2:]))  # each change


def test_each_kind_of_change_gives_a_new_fingerprint(tmp_path: Path) -> None:
    _org(tmp_path)
    release = tmp_path / "wiki" / "releases" / "ACME-1.md"

    def fingerprint() -> str:
        found = read_fingerprint(_workspace(tmp_path, None))
        assert found is not None
        return found

    before = fingerprint()
    text = release.read_text()
    release.write_text(text.replace("draft", "ready"), encoding="utf-8")
    _old(release)  # same size, same mtime: the ctime changed
    edited = fingerprint()
    _old(release, OLD + 10**6)
    touched = fingerprint()
    assert len({before, edited, touched}) == 3
    (tmp_path / "wiki" / "releases" / "ACME-1.md").rename(tmp_path / "wiki" / "releases" / "A.md")
    renamed = fingerprint()
    (tmp_path / "wiki" / "releases" / "B.md").symlink_to(tmp_path / "tracker.yaml")
    linked = fingerprint()
    assert len({before, edited, touched, renamed, linked}) == 5


def test_a_file_changed_in_the_last_two_seconds_makes_the_fingerprint_unknown(
    tmp_path: Path,
) -> None:
    _org(tmp_path)
    (tmp_path / "wiki" / "releases" / "ACME-1.md").touch()
    (tmp_path / "tracker.yaml").touch()
    assert _fingerprints(tmp_path) == (None, None)
    _old(tmp_path / "tracker.yaml")
    _old(tmp_path / "wiki" / "releases" / "ACME-1.md")
    assert None not in _fingerprints(tmp_path)


def test_the_tracker_fingerprint_follows_the_tracker_file(tmp_path: Path) -> None:
    _org(tmp_path)
    tracker = tmp_path / "tracker.yaml"
    _old(tracker)
    first = releases_fingerprint(_workspace(tmp_path, None))
    assert releases_fingerprint(_workspace(tmp_path, None)) == first
    tracker.write_text("[] \n", encoding="utf-8")
    _old(tracker)
    assert releases_fingerprint(_workspace(tmp_path, None)) not in (first, None)


def test_a_connector_without_a_fingerprint_is_unknown() -> None:
    assert read_fingerprint(object()) is None and releases_fingerprint(object()) is None


def test_rows_round_trip_every_type_front_matter_gives() -> None:
    values = {
        "s": "2026-01-01",
        "d": date(2026, 1, 1),
        "t": datetime(2026, 1, 1, 9, tzinfo=UTC),
        "naive": datetime(2026, 1, 1, 9),
        "n": None,
        "f": float("inf"),
        "l": [{"d": date(2026, 1, 2)}, [1, "a"], {"one": "$d"}],
        "m": {"a": {"b": date(2026, 1, 3)}},
    }
    text = json.dumps(readcache.encode_fields(values))
    assert readcache.loads(text) == values
    assert type(readcache.loads(text)["d"]) is date
    for odd in ({1: "a"}, {"a"}, {"$d": "2026-01-01"}, {"x": [{"$t": "no"}]}):
        with pytest.raises(readcache.Uncacheable):
            readcache.encode_fields({"v": odd})


def test_a_racy_row_found_right_is_re_stamped_only_by_a_run_that_stores_rows_anyway() -> None:
    key = (10, OLD, 5, OLD)
    made = ReadCache(None)
    made.store("f.md", key, OLD + 1, readcache.digest(b"0123456789"), {"a": 1})
    row = str(made._changes["f.md"])
    later = OLD + readcache.RACY_NS
    quiet = ReadCache(None)
    quiet._rows = {"f.md": row}
    assert quiet.lookup("f.md", key, lambda: b"0123456789", later) is not None
    assert quiet._hand_over() == {}  # a no-op run writes nothing
    busy = ReadCache(None)
    busy._rows = {"f.md": row}
    assert busy.lookup("f.md", key, lambda: b"0123456789", later) is not None
    busy.forget("gone.md")
    changes = busy._hand_over()
    assert set(changes) == {"f.md", "gone.md"}
    busy._rows = {"f.md": str(changes["f.md"])}

    def never() -> bytes:
        raise AssertionError("a re-stamped row's file is not opened")

    assert busy.lookup("f.md", key, never, later) is not None


def test_a_release_field_opsync_adopts_is_checked_against_its_value_as_read(
    tmp_path: Path,
) -> None:
    """A release file a person made: ``tier`` is theirs until opsync first writes it. A save
    of the body meanwhile is kept; a save of ``tier`` is an edit; a field the read kept no
    value of is refused as an edit when the file changed (never guessed)."""
    (tmp_path / "tracker.yaml").write_text("[]\n", encoding="utf-8")
    path = _record(tmp_path, "releases", "R-1", "---\nkey: R-1\ntier: 2\n---\nbody\n")
    ws = _workspace(tmp_path, None)
    ws.read()
    path.write_text(path.read_text().replace("body", "new body"), encoding="utf-8")
    ws.write_record(RecordWrite(ref="releases/R-1", values={"tier": 3}))
    assert "new body" in path.read_text() and "tier: 3" in path.read_text()
    ws = _workspace(tmp_path, None)
    ws.read()
    path.write_text(path.read_text().replace("body", "newer body"), encoding="utf-8")
    with pytest.raises(ConflictError):
        ws.write_record(RecordWrite(ref="releases/R-1", values={"not_watched": 1}))
    ws = _workspace(tmp_path, None)
    ws.read()
    path.write_text(path.read_text().replace("tier: 3", "tier: 1"), encoding="utf-8")
    with pytest.raises(ConflictError):
        ws.write_record(RecordWrite(ref="releases/R-1", values={"tier": 3}))
    assert "tier: 1" in path.read_text()
