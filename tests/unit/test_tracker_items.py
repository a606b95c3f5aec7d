"""The tracker export parsed again item by item (issue 19, "A cached read"): a YAML list
whose items changed has only those items parsed, and the result is always what parsing the
whole file gives, for any edit; a file whose stat is unchanged is not parsed at all."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsync.connectors.local import readcache, tracker
from opsync.connectors.local.tracker import (
    parse_tracker,
    parse_tracker_again,
    split_items,
    tracker_from_kept,
)
from opsync.connectors.local.workspace import LocalWorkspace
from opsync.state import SqliteStateStore

PATH = Path("/org/tracker/releases.yaml")


def _same(a: Any, b: Any) -> None:
    assert a.rows == b.rows
    assert [(f.record, f.field, f.message) for f in a.findings] == [
        (f.record, f.field, f.message) for f in b.findings
    ]


def _kept(payload: Any) -> Any:
    """The payload as the state store gives it back (JSON, dates tagged)."""
    return readcache.loads(json.dumps(payload))


# Items in the shapes people and exports write, including the ones item splitting must
# not get wrong: a quoted value running over a line that starts with "- ", an anchor used
# in another item, a block scalar, comments, a key used twice, a row that is no mapping.
ITEMS = [
    "- key: R-{n}\n  title: Release {n}\n  tier: 2\n  launch_date: 2026-12-0{d}\n",
    "- key: R-{n}\n  title: 'Quoted {n}'\n  launch_date: 2026-11-1{d}T10:00:00+01:00\n",
    "- key: R-{n}\n  description: |\n    line one\n    - not an item {n}\n  tier: 3\n",
    '- key: R-{n}\n  title: "runs over\n- a line {n}"\n',
    "- key: R-{n}\n  owners: &own{n} [maya, tom]\n  also: *own{n}\n",
    "- key: R-{n}\n  also: *own1\n",
    "- key: R-{n}\n  base: &x{d} {{a: 1}}\n  launch_date_history: [2026-10-0{d}]\n",
    "# a comment about R-{n}\n\n- key: R-{n}\n  tier: {d}\n",
    "- key: R-1\n  title: a key used twice\n",
    "- just text {n}\n",
    "- key: R-{n}\n  tier: not-a-date 2026-13-45\n  launch_date: 2026-02-30\n",
]
HEADS = ["", "# export\n\n", "---\n", "releases:\n"]


def _text(head: str, items: list[tuple[int, int]]) -> str:
    body = "".join(ITEMS[i].format(n=n, d=n % 9 + 1) for i, n in items)
    if head == "releases:\n":
        body = "".join("  " + line + "\n" for line in body.splitlines())
    return head + body


def _parses(text: str) -> bool:
    try:
        parse_tracker(text, PATH)
    except Exception:
        return False
    return True


item = st.tuples(st.integers(0, len(ITEMS) - 1), st.integers(1, 8))
edits = st.lists(st.tuples(st.sampled_from(["set", "insert", "delete"]), st.integers(0, 30), item))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(HEADS), st.lists(item, max_size=12), st.lists(edits, max_size=3))
def test_parsing_again_after_any_edits_gives_what_parsing_the_whole_file_gives(
    head: str, items: list[tuple[int, int]], history: list[list[tuple[str, int, Any]]]
) -> None:
    text, payload = _text(head, items), None
    if _parses(text):
        read, payload = parse_tracker_again(text, PATH, None)
        _same(read, parse_tracker(text, PATH))
    for step in history:
        for op, at, new in step:
            if op == "set" and items:
                items[at % len(items)] = new
            elif op == "insert":
                items.insert(at % (len(items) + 1), new)
            elif op == "delete" and items:
                del items[at % len(items)]
        text = _text(head, items)
        if not _parses(text):  # the run stops (exit 2) and keeps the payload it had
            continue
        read, payload = parse_tracker_again(text, PATH, _kept(payload))
        _same(read, parse_tracker(text, PATH))
        if payload is not None:  # an unchanged stat reads the kept payload back
            again = tracker_from_kept(_kept(payload), PATH)
            assert again is not None
            _same(again, read)


def test_items_are_split_only_from_a_plain_list_at_column_zero() -> None:
    assert split_items("# c\n- key: A\n\n- key: B\n  x: 1\n") == [
        "- key: A\n\n",
        "- key: B\n  x: 1\n",
    ]
    for text in ("---\n- key: A\n", "releases:\n  - key: A\n", "[{key: A}]\n", "\ufeff- a\n"):
        assert split_items(text) is None, text
    assert split_items("  stray: 1\n- key: A\n") is None


def test_only_the_changed_item_is_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _text("", [(0, n) for n in range(1, 30)])
    _, payload = parse_tracker_again(text, PATH, None)
    parsed: list[str] = []
    real = yaml.load

    def counting(stream: Any, Loader: Any) -> Any:
        parsed.append(stream)
        return real(stream, Loader=Loader)

    monkeypatch.setattr(tracker.yaml, "load", counting)
    edited = text.replace("title: Release 7\n", "title: Release seven\n")
    read, _ = parse_tracker_again(edited, PATH, _kept(payload))
    assert parsed == [ITEMS[0].format(n=7, d=8).replace("Release 7", "Release seven")]
    assert read.rows["R-7"]["title"] == "Release seven"
    _same(read, parse_tracker(edited, PATH))


def test_an_alias_of_another_items_anchor_has_the_whole_file_parsed() -> None:
    text = _text("", [(4, 1), (0, 2)])
    _, payload = parse_tracker_again(text, PATH, None)
    edited = _text("", [(4, 1), (5, 2)])  # R-2 now says `also: *own1`
    read, _ = parse_tracker_again(edited, PATH, _kept(payload))
    _same(read, parse_tracker(edited, PATH))
    assert any("aliases" in f.message for f in read.findings)  # the bound check still sees it


def _workspace(root: Path, store: SqliteStateStore, encoding: str = "utf-8") -> LocalWorkspace:
    return LocalWorkspace(
        tracker=root / "releases.yaml",
        wiki=root / "wiki",
        pages=root / "pages",
        outbox=root / "outbox",
        state=store.connector("local"),
        tracker_encoding=encoding,
    )


def test_the_workspace_keeps_the_tracker_parse_in_the_state_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "releases.yaml"
    path.write_text(_text("# export\n", [(0, n) for n in range(1, 6)]), encoding="utf-8")
    old = time.time_ns() - 3600 * 10**9
    os.utime(path, ns=(old, old))
    store = SqliteStateStore(tmp_path / "state.db")
    first = _workspace(tmp_path, store).read_releases()
    store.commit()
    loads: list[str] = []
    real = yaml.load
    monkeypatch.setattr(
        tracker.yaml, "load", lambda s, Loader: loads.append(s) or real(s, Loader=Loader)
    )
    _same(_workspace(tmp_path, store).read_releases(), first)  # stat unchanged: no parse
    assert loads == []
    text = path.read_text(encoding="utf-8").replace(
        "tier: 2\n  launch_date: 2026-12-04", "tier: 3\n  launch_date: 2026-12-04"
    )
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(old + 10**9, old + 10**9))
    again = _workspace(tmp_path, store).read_releases()
    assert len(loads) == 1 and again.rows["R-3"]["tier"] == 3
    _same(again, parse_tracker(text, path))
    store.close()


def test_a_changed_tracker_encoding_reads_the_unchanged_file_again(tmp_path: Path) -> None:
    path = tmp_path / "releases.yaml"
    path.write_bytes("- key: R-1\n  title: Café\n".encode())
    old = time.time_ns() - 3600 * 10**9
    os.utime(path, ns=(old, old))
    store = SqliteStateStore(tmp_path / "state.db")
    assert _workspace(tmp_path, store).read_releases().rows["R-1"]["title"] == "Café"
    store.commit()
    latin = _workspace(tmp_path, store, "latin-1")
    assert latin.read_releases().rows["R-1"]["title"] == "CafÃ©"  # the config's encoding
    store.close()


def test_a_racy_tracker_that_changed_is_read_once_for_its_check_and_its_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Written within the racy window, the kept row is trusted only while the bytes match:
    # that check reads the file, and the parse after a mismatch uses the same bytes.
    # (the change time cannot be set back: the key leaves it out here, as on a file system
    # whose stamps are coarse, so the rewritten file's key is the first one's)
    monkeypatch.setattr(readcache, "stat_key", lambda st: (st.st_size, st.st_mtime_ns, 0, 0))
    path = tmp_path / "releases.yaml"
    path.write_text(_text("", [(0, 1), (0, 2)]), encoding="utf-8")
    first = os.stat(path)
    store = SqliteStateStore(tmp_path / "state.db")
    _workspace(tmp_path, store).read_releases()
    store.commit()
    text = path.read_text(encoding="utf-8").replace("tier: 2", "tier: 1", 1)
    assert text != path.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(first.st_atime_ns, first.st_mtime_ns))  # its stat key, in the window
    reads: list[Path] = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self) or real(self))
    again = _workspace(tmp_path, store).read_releases()
    assert reads == [path]
    _same(again, parse_tracker(text, path))
    store.close()
