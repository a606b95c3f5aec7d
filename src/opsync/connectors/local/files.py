"""How the local workspace names, finds, reads and replaces its files safely.

- **File names.** :func:`encode_key` maps a key to a relative path, injectively and
  reversibly (:func:`decode_key`): a key made of ``[A-Za-z0-9._-]`` segments keeps the
  name it always had; Unicode letters and digits stay as they are; every other character
  is percent-encoded as its UTF-8 bytes (``ACME:200`` → ``ACME%3A200``), and so are a
  leading dot (no hidden files, no ``..``), a trailing dot and the first letter of a
  Windows reserved name (``CON`` → ``%43ON``). :func:`fold` is what two names are
  compared by on a case- or normalisation-insensitive file system.
- **Links.** Nothing is read or written through a symbolic link below a workspace folder:
  :func:`walk_md` lists them apart, :func:`link_on_way` finds one on a write's way.
- **Writes.** :func:`write_atomic` writes a temporary file made with ``O_EXCL`` under a
  random name beside the target (``.opsync-…tmp``), checks the target is still what the
  write was based on (:class:`Identity`), then renames over it; leftovers of a killed run
  are removed by :func:`sweep_temp`, which deletes only regular files of that pattern.
- **Errors.** A full, read-only or forbidden disk is a :class:`~opsync.errors.DiskError`
  naming the path and the fix (:func:`storage_error`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_to_bytes

from opsync.errors import DiskError

TEMP_PREFIX = ".opsync-"
TEMP_SUFFIX = ".tmp"

_ASCII_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
# Windows refuses these as a file or folder name, whatever follows the first dot.
_RESERVED = re.compile(r"(?:CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(?:\..*)?", re.IGNORECASE)
_EMPTY = "%"  # an empty segment (``a//b``): a lone % is never the encoding of anything else


def _escape(ch: str) -> str:
    return "".join(f"%{b:02X}" for b in ch.encode("utf-8"))


def _kept(ch: str) -> bool:
    if ch in _ASCII_SAFE:
        return True
    # Unicode letters, combining marks and decimal digits are valid names everywhere.
    return ord(ch) > 127 and unicodedata.category(ch) in {
        "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Nd",
    }  # fmt: skip


def _segment(part: str) -> str:
    if not part:
        return _EMPTY
    out = [c if _kept(c) else _escape(c) for c in part]
    if part[0] == ".":  # no hidden file, no `.` or `..`
        out[0] = _escape(".")
    if part[-1] == "." and len(part) > 1:  # Windows drops a trailing dot
        out[-1] = _escape(".")
    name = "".join(out)
    if _RESERVED.fullmatch(name):
        name = _escape(name[0]) + name[1:]
    return name


def encode_key(key: str) -> str:
    """The relative path (``/``-separated, no suffix) of the file of ``key``."""
    return "/".join(_segment(p) for p in key.split("/"))


def decode_key(name: str) -> str | None:
    """The key whose :func:`encode_key` is ``name``, or None when ``name`` is no encoding
    (a file a person named, e.g. ``50%.md``)."""
    parts: list[str] = []
    for segment in name.split("/"):
        if segment == _EMPTY:
            parts.append("")
            continue
        try:
            parts.append(unquote_to_bytes(segment).decode("utf-8"))
        except UnicodeDecodeError:
            return None
    key = "/".join(parts)
    return key if encode_key(key) == name else None


def channel_folder(channel: str) -> str:
    """The outbox folder of a channel (``dm:ana`` → ``dm-ana``): only a grouping, as each
    message's file is named by its own key, so it keeps the names it always had."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", channel).strip(".-") or "_"
    return _escape(name[0]) + name[1:] if _RESERVED.fullmatch(name) else name


def fold(relative: str) -> str:
    """What a case-insensitive, normalising file system (macOS, Windows) compares names by."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", relative).casefold())


def link_on_way(root: Path, path: Path) -> Path | None:
    """The first symbolic link from ``root`` (exclusive) down to ``path`` (inclusive)."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return path  # not below the folder at all: treated as a link out
    here = root
    for part in parts:
        here = here / part
        try:
            if stat.S_ISLNK(os.lstat(here).st_mode):
                return here
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return None
    return None


def walk_md(folder: Path) -> tuple[list[Path], list[Path]]:
    """(the ``*.md`` files below ``folder``, the symbolic links found there), sorted as paths
    sort. Hidden files and folders (opsync's temporary files among them) are skipped, and
    no link is followed. Listed with ``os.scandir``, whose entries know whether they are
    links without another system call for each of a large workspace's files."""
    found, links = _scan(folder, stat=False)
    return [path for path, _ in found], links


def scan_md(folder: Path) -> tuple[list[tuple[Path, os.stat_result]], list[Path]]:
    """As :func:`walk_md`, each file with its ``lstat`` taken by the same ``scandir`` pass
    (what the read cache and the read fingerprint compare; no file is opened). A file gone
    between the listing and its stat is left out."""
    return _scan(folder, stat=True)


def scan_md_relative(
    folder: Path, *, stat: bool = True, suffixes: tuple[str, ...] = (".md",)
) -> tuple[list[tuple[str, os.stat_result]], list[str]]:
    """As :func:`scan_md`, with paths relative to ``folder`` as text (``a/b.md``): what a
    fingerprint of a large workspace hashes, without building a ``Path`` for each file.
    ``suffixes``: the files listed (a fingerprint adds the pages' chart pictures)."""
    files: list[tuple[str, os.stat_result]] = []
    links: list[str] = []
    if not folder.is_dir():
        return files, links
    pending = [("", os.fspath(folder))]
    none = os.stat_result((0,) * 10)
    while pending:
        relative, base = pending.pop()
        try:
            entries = list(os.scandir(base))
        except OSError:  # a folder that cannot be listed is skipped, as os.walk does
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            inside = relative + name
            try:
                is_dir = entry.is_dir()  # a link to a folder counts as a folder, as in os.walk
            except OSError:
                is_dir = False
            if is_dir:
                if entry.is_symlink():
                    links.append(inside)
                else:
                    pending.append((inside + "/", entry.path))
            elif name.endswith(suffixes):
                if entry.is_symlink():
                    links.append(inside)
                    continue
                try:
                    st = entry.stat(follow_symlinks=False) if stat else none
                except OSError:
                    continue
                files.append((inside, st))
    files.sort(key=lambda item: item[0].split("/"))  # as paths sort: part by part
    links.sort(key=lambda path: path.split("/"))
    return files, links


def _scan(folder: Path, *, stat: bool) -> tuple[list[tuple[Path, os.stat_result]], list[Path]]:
    found, links = scan_md_relative(folder, stat=stat)
    return [(folder / path, st) for path, st in found], [folder / path for path in links]


def sweep_temp(folder: Path) -> int:
    """Remove the temporary files a killed run left below ``folder``: regular files named
    ``.opsync-…tmp`` only, never through or at a link. Returns how many went."""
    removed = 0
    if not folder.is_dir():
        return 0
    for top, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(top, d))]
        for name in names:
            if not (name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)):
                continue
            path = os.path.join(top, name)
            try:
                if stat.S_ISREG(os.lstat(path).st_mode):
                    os.unlink(path)
                    removed += 1
            except FileNotFoundError:
                pass
    return removed


@dataclass(frozen=True)
class Identity:
    """What a file was when read: replaced, rewritten or touched, one of these changes."""

    inode: int
    mtime_ns: int
    size: int
    digest: str


def digest(data: bytes) -> str:
    """What the edit check and the read cache compare a file's bytes by (not its text)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def read_file(path: Path) -> tuple[bytes, Identity]:
    """The bytes of ``path`` (never through a link at it) and its identity as read."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        with os.fdopen(fd, "rb", closefd=False) as stream:
            data = stream.read()
        st = os.fstat(fd)
    finally:
        os.close(fd)
    return data, Identity(st.st_ino, st.st_mtime_ns, st.st_size, digest(data))


def identity_now(path: Path) -> Identity | None:
    """The identity of ``path`` now; None when it does not exist."""
    try:
        return read_file(path)[1]
    except FileNotFoundError:
        return None


def _quick(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class Changed(Exception):
    """The target changed after the write read it: re-read it and decide again."""


def write_atomic(path: Path, text: str | bytes, based_on: Identity | None) -> None:
    """Put ``text`` at ``path``: a temporary file beside it, then a rename over it.

    ``based_on`` is the target as the write read it (None: it did not exist). Right before
    the rename the target is compared with it (inode, mtime, size, then content); if a
    person saved it since, :class:`Changed` is raised and nothing is replaced. What remains
    is the moment between the last ``lstat`` and the rename (docs/reliability.md)."""
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        now = identity_now(path)
        if now != based_on:
            raise Changed(str(path))
        quick = (based_on.inode, based_on.mtime_ns, based_on.size) if based_on else None
        if _quick(path) != quick:  # the last look, as close to the rename as it gets
            raise Changed(str(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def storage_error(exc: OSError, path: Path | str) -> DiskError:
    """The clean error for a write the disk refused; ``exc`` is chained by the caller."""
    return DiskError.of(exc, str(path))


def guarded(path: Path, action: Callable[[], object]) -> None:
    """Run ``action``; a disk that refuses it (full, read-only, forbidden) stops the run
    with a :class:`DiskError` naming ``path``."""
    try:
        action()
    except OSError as exc:
        if exc.errno in DiskError.ERRNOS:
            raise storage_error(exc, exc.filename or path) from exc
        raise


__all__ = [
    "TEMP_PREFIX",
    "TEMP_SUFFIX",
    "Changed",
    "Identity",
    "channel_folder",
    "decode_key",
    "digest",
    "encode_key",
    "fold",
    "guarded",
    "identity_now",
    "link_on_way",
    "read_file",
    "scan_md",
    "scan_md_relative",
    "storage_error",
    "sweep_temp",
    "walk_md",
    "write_atomic",
]
