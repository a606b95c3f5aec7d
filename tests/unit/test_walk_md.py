"""Listing a workspace's Markdown files with os.scandir finds what the os.walk listing found:
the same files and the same symbolic links, hidden entries and other files left out."""

from __future__ import annotations

import os
from pathlib import Path

from opsync.connectors.local.files import walk_md


def walked(folder: Path) -> tuple[list[Path], list[Path]]:
    """The listing as it was written with os.walk."""
    files: list[Path] = []
    links: list[Path] = []
    for top, dirs, names in os.walk(folder):
        base = Path(top)
        kept = []
        for name in dirs:
            if name.startswith("."):
                continue
            if os.path.islink(os.path.join(top, name)):
                links.append(base / name)
            else:
                kept.append(name)
        dirs[:] = kept
        for name in names:
            if name.startswith(".") or not name.endswith(".md"):
                continue
            path = base / name
            (links if os.path.islink(path) else files).append(path)
    return sorted(files, key=lambda p: p.parts), sorted(links, key=lambda p: p.parts)


def test_the_scandir_listing_finds_what_os_walk_found(tmp_path: Path) -> None:
    for folder in ("a", "a/b", "a/b/c", "d", ".hidden", "a/.tmp"):
        (tmp_path / folder).mkdir(parents=True)
        for name in ("one.md", "two.md", ".opsync-x.md.tmp", ".h.md", "notes.txt", "x.MD"):
            (tmp_path / folder / name).write_text("x")
    os.symlink(tmp_path / "a" / "b", tmp_path / "d" / "to-folder")
    os.symlink(tmp_path / "a" / "one.md", tmp_path / "d" / "to-file.md")
    os.symlink(tmp_path / "gone.md", tmp_path / "d" / "broken.md")
    os.symlink(tmp_path / "gone", tmp_path / "d" / "broken-folder")
    os.symlink(tmp_path / "a", tmp_path / "d" / ".hidden-link")
    files, links = walk_md(tmp_path)
    assert (files, links) == walked(tmp_path)
    assert len(files) == 8 and [p.name for p in links] == ["broken.md", "to-file.md", "to-folder"]
    assert walk_md(tmp_path / "missing") == ([], [])
