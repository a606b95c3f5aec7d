"""The local workspace's file names, links, temporary files and atomic replace (issue
"Trust", sections 4 and 8): the pieces, on a workspace built in a temporary folder."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from opsync.connectors.base import FileWrite, PageWrite, RecordWrite
from opsync.connectors.local import files
from opsync.connectors.local.workspace import LocalWorkspace
from opsync.documents.model import Document, para, region
from opsync.errors import ConflictError, DiskError

# ------------------------------------------------------------------ names


@pytest.mark.parametrize(
    "key",
    ["ACME-1", "ACME-200", "weekly-update/2026-W49", "bundle/ACME-1", "v1.2_rc", "a.b-c_d"],
)
def test_keys_of_safe_characters_keep_the_name_they_always_had(key: str) -> None:
    assert files.encode_key(key) == key


@pytest.mark.parametrize(
    "keys",
    [
        ("ACME-200", "ACME 200", "ACME:200", "ACME/200", "ACME%200", "ACME-200."),
        ("機能-1", "画面-1", "1", "-1"),
        (".x", "x", "%2Ex", "_", ""),
        ("a//b", "a/b", "a/_/b"),
        ("CON", "%43ON", "con", "con.txt", "CON-1"),
    ],
)
def test_distinct_keys_get_distinct_names_and_each_name_decodes_to_its_key(
    keys: tuple[str, ...],
) -> None:
    names = [files.encode_key(k) for k in keys]
    assert len(set(names)) == len(keys), names
    assert [files.decode_key(n) for n in names] == list(keys)


def test_unicode_letters_stay_readable_and_the_rest_is_percent_encoded() -> None:
    assert files.encode_key("機能-1") == "機能-1"
    assert files.encode_key("Café crème") == "Café%20crème"
    assert files.encode_key("ACME:200") == "ACME%3A200"
    assert files.encode_key('a<b>|?*\\"') == "a%3Cb%3E%7C%3F%2A%5C%22"


@pytest.mark.parametrize(
    "key", ["CON", "prn", "Aux", "nul", "COM1", "lpt9", "con.md", "NUL.tar.gz", "COM¹"]
)
def test_windows_reserved_names_are_never_produced(key: str) -> None:
    name = files.encode_key(key)
    assert name != key
    numbered = {f"{d}{n}" for d in ("COM", "LPT") for n in "0123456789¹²³"}
    reserved = {"CON", "PRN", "AUX", "NUL", *numbered}
    assert name.split(".")[0].upper() not in reserved
    assert files.decode_key(name) == key


@pytest.mark.parametrize("key", ["x.", "x ", ".", "..", "../etc/passwd", "a/../b", " x"])
def test_no_name_is_hidden_or_ends_in_a_dot_or_space_or_climbs_out(key: str) -> None:
    for segment in files.encode_key(key).split("/"):
        assert not segment.startswith(".") and not segment.endswith((".", " "))
        assert segment not in {".", ".."}


def test_a_name_no_key_encodes_to_decodes_to_nothing() -> None:
    assert files.decode_key("50%off") is None
    assert files.decode_key("ACME%3a200") is None  # lower-case hex is not ours
    assert files.decode_key("a b") is None


# ------------------------------------------------------------------ a small workspace


def _workspace(root: Path) -> LocalWorkspace:
    (root / "tracker.yaml").write_text("[]\n", encoding="utf-8")
    return LocalWorkspace(
        tracker=root / "tracker.yaml",
        wiki=root / "wiki",
        pages=root / "pages",
        outbox=root / "outbox",
    )


def _page(key: str, body: str) -> Document:
    return Document(title=key, children=(region("main", para(body)),))


def _update(ws: LocalWorkspace, key: str, body: str) -> None:
    ws.write_page(PageWrite(key=key, document=_page(key, body), regions=("main",)))


def test_keys_that_differ_only_in_case_are_a_conflict_not_an_overwrite(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    ws.read()
    ws.write_record(RecordWrite("releases/ACME-1", {"title": "Upper"}, create=True))
    with pytest.raises(ConflictError, match="ignores case"):
        ws.write_record(RecordWrite("releases/acme-1", {"title": "Lower"}, create=True))
    assert "Upper" in (tmp_path / "wiki" / "releases" / "ACME-1.md").read_text()
    assert not (tmp_path / "wiki" / "releases" / "acme-1.md").exists()
    ws = _workspace(tmp_path)  # the next run: the file read, then the other key's create
    ws.read()
    with pytest.raises(ConflictError, match="ignores case"):
        ws.write_record(RecordWrite("releases/acme-1", {"title": "Lower"}, create=True))


def test_a_file_named_by_an_older_opsync_is_found_by_its_key(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    old = tmp_path / "wiki" / "releases" / "ACME-200.md"  # how `ACME:200` used to be named
    old.parent.mkdir(parents=True)
    old.write_text("---\nkey: ACME:200\ntitle: Old\n---\n", encoding="utf-8")
    read = ws.read()
    assert "releases/ACME:200" in read.records
    ws.write_record(RecordWrite("releases/ACME:200", {"title": "New"}))
    assert "title: New" in old.read_text()
    assert sorted(p.name for p in old.parent.iterdir()) == ["ACME-200.md"]


# ------------------------------------------------------------------ temporary files


def test_a_failed_write_leaves_no_temporary_file_and_is_a_storage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = _workspace(tmp_path)
    ws.read()

    def full(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(DiskError, match="disk is full") as caught:
        ws.write_page(PageWrite("weekly/2026-W49", _page("w", "hello"), create=True))
    assert "weekly/2026-W49.md" in caught.value.path
    monkeypatch.undo()
    assert [p.name for p in (tmp_path / "pages").rglob("*")] == ["weekly"]


def test_temporary_files_get_random_names_made_with_o_excl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = _workspace(tmp_path)
    ws.read()
    seen: list[tuple[str, int]] = []
    real_open = os.open

    def spy(path: str, flags: int, *args: int, **kw: int) -> int:
        seen.append((os.path.basename(path), flags))
        return real_open(path, flags, *args, **kw)

    monkeypatch.setattr(os, "open", spy)
    for _ in range(2):
        ws.write_file(FileWrite("f.ics", "x"))
    temps = [(n, f) for n, f in seen if n.startswith(".opsync-")]
    assert len(temps) == 2 and temps[0][0] != temps[1][0]
    assert all(f & os.O_EXCL and f & os.O_CREAT for _, f in temps)
    assert temps[0][0] != ".opsync-f.ics.tmp"


def test_the_sweep_removes_only_regular_temporary_files_and_follows_no_link(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / ".opsync-keep.tmp").write_text("not ours")
    pages = tmp_path / "pages"
    (pages / "bundle").mkdir(parents=True)
    (pages / "bundle" / ".opsync-k2j3abcd.tmp").write_text("left by a killed run")
    (pages / ".opsync-dir.tmp").mkdir()  # a folder, not a file: kept
    (pages / ".opsync-link.tmp").symlink_to(outside / ".opsync-keep.tmp")
    (pages / "linked").symlink_to(outside, target_is_directory=True)
    (pages / "notes.tmp").write_text("a person's")
    assert files.sweep_temp(pages) == 1
    assert not (pages / "bundle" / ".opsync-k2j3abcd.tmp").exists()
    assert (pages / ".opsync-dir.tmp").is_dir()
    assert (pages / ".opsync-link.tmp").is_symlink()
    assert (outside / ".opsync-keep.tmp").read_text() == "not ours"
    assert (pages / "notes.tmp").exists()
