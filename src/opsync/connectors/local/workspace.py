"""The embedded local workspace: a tracker export file and a wiki of Markdown files.

Layout (all paths from the config):

- ``tracker``: releases as a YAML list or CSV, one row per release (a tracker export);
- ``wiki/<collection>/<key>.md``: one record per file, its properties in YAML front matter;
- ``pages/<page key>.md``: generated pages, opsync's parts between region markers;
- ``outbox/<channel>/<message key>.md``: messages "sent" (a stand-in for Slack and email).

Every file opsync creates carries its key inside it (``key`` / ``opsync_key``), so deleting
the state store never leads to a second copy. A file's name is its key, encoded so that no
two keys share a name (:mod:`opsync.connectors.local.files`). Writes go to a temporary file
then replace the target, so a killed run never leaves half a file, and only if the target
is still what the write read. Nothing is read or written through a symbolic link.
"""

from __future__ import annotations

import errno
import functools
import glob
import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote, unquote

from opsync.connectors import charts
from opsync.connectors.base import (
    Capabilities,
    FileWrite,
    Message,
    Ownership,
    PageState,
    PageWrite,
    ReadResult,
    RecordState,
    RecordWrite,
    RegionState,
    Role,
    TrackerRead,
)
from opsync.connectors.bundles import reads_text
from opsync.connectors.local import files, frontmatter, readcache
from opsync.connectors.local.files import Identity
from opsync.connectors.local.lease import FileLease
from opsync.connectors.local.readcache import ReadCache
from opsync.connectors.local.tracker import (
    parse_tracker_again,
    tracker_fingerprint,
    tracker_from_kept,
)
from opsync.connectors.records import (
    DERIVED_FIELDS,
    MIRRORED_FIELDS,
    RECORD_MODELS,
    RELEASE_WIKI_FIELDS,
)
from opsync.documents import markdown
from opsync.documents.markdown_regions import MarkerProblem, parse_regions, splice
from opsync.documents.model import Block, Chart, Document, find_region
from opsync.domain import Collection, Finding, Level, ref
from opsync.domain.findings import duplicate
from opsync.errors import ConfigError, ConflictError, PermanentError
from opsync.state import ConnectorState

Read = tuple[bytes, Identity]  # a file's bytes and its identity as read

#: The state mirror naming the folders a run read records or pages from: a configured
#: folder that is gone after that (a typo, a moved folder) stops the run instead of reading
#: as a new, empty workspace whose records opsync would create all over again.
FOLDERS_MIRROR = "folders"
META_FIELDS = "opsync_fields"
META_SUM = "opsync_sum"
ATTEMPTS = 3  # writes in a row a target may change under before it is left as it is
_Op = TypeVar("_Op")
_READ = object()  # a write based on the target as this operation read it (or its absence)


#: The fields of a release file, besides its owned ones and those a release takes from it,
#: whose values the edit check keeps from the read: those opsync may write on a release.
_RELEASE_WATCHED = frozenset(
    (*RELEASE_WIKI_FIELDS, *MIRRORED_FIELDS, *DERIVED_FIELDS.get(Collection.RELEASES, ()))
)
_NONE: Mapping[str, Any] = {}


@dataclass(frozen=True, slots=True)
class AsRead:
    """What the edit check keeps of a file the run read or wrote: the digest of its bytes
    (never its text) and the values the run's decisions were based on, looked up in
    ``values`` in turn. ``watched``: the only fields those values cover (None: every
    field, one in none of them was absent); a write of any other field, to a file changed
    since, is refused as an edit. ``values`` None: unknown (any change is an edit)."""

    digest: str
    values: tuple[Mapping[str, Any], ...] | None = None
    watched: frozenset[str] | None = None

    def same(self, field: str, now: Mapping[str, Any]) -> bool:
        """Whether ``field`` holds in ``now`` what it held when read."""
        if self.values is None:
            return False
        for values in self.values:
            if field in values:
                return bool(values[field] == now.get(field))
        if self.watched is not None and field not in self.watched:
            return False
        return now.get(field) is None


def owned_sum(values: dict[str, Any]) -> str:
    """Fingerprint of the owned values of a record, stored beside them in the file."""
    canonical = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return markdown.checksum(canonical)


def _owned(data: dict[str, Any]) -> dict[str, Any]:
    """A record's owned values, as its front matter names them."""
    return {f: data.get(f) for f in data.get(META_FIELDS) or [] if isinstance(f, str)}


def _edited(data: dict[str, Any], owned: dict[str, Any]) -> bool:
    """Whether the owned values differ from the sum opsync stored beside them (a person
    edited one)."""
    recorded = data.get(META_SUM)
    return recorded is not None and owned_sum(owned) != recorded


def _record_payload(data: dict[str, Any]) -> Any:
    """A record file's cache row: its front matter, and whether its owned values were
    edited (a checksum of them, computed once per change of the file)."""
    try:
        return {"f": readcache.encode_fields(data), "e": _edited(data, _owned(data))}
    except readcache.Uncacheable:
        return None


def _page_row(payload: Any) -> bool:
    """Whether a page's cache row has the shape :meth:`LocalWorkspace._page_payload` gives
    (a row some other code wrote into the table is no row)."""
    return (
        isinstance(payload, dict)
        and isinstance(payload.get("k"), str)
        and isinstance(payload.get("r"), dict)
        and all(isinstance(v, list) and len(v) == 2 for v in payload["r"].values())
        and isinstance(payload.get("d"), list)
        and isinstance(payload.get("x"), list)
        and all(isinstance(p, list) and len(p) == 4 for p in payload["x"])
        and (payload.get("b") is None or isinstance(payload["b"], str))
    )


def _regions(document: Document, keys: Sequence[str]) -> list[Block]:
    """The regions ``keys`` of ``document`` (those a page update rewrites)."""
    found = (find_region(document.children, k) for k in keys)
    return [r for r in found if r is not None]


#: A chart's picture as the Markdown renderer shows it, ``![title](name-<fingerprint>.png)``
#: (the title escaped: no unescaped ``]`` inside). A link (``[mock-up](x-….png)``, a
#: release's relative URL) is no picture.
_PICTURE = re.compile(r"!\[(?:[^\]\\]|\\.)*\]\(([^()\s/]+)-([0-9a-f]{12})\.png\)")


def _old_charts(folder: Path, name: str, keep: str) -> list[Path]:
    """The pictures of chart ``name`` beside a page other than ``keep``: only the files
    named as opsync names them (``name-<fingerprint>.png``), so a person's
    ``scorecard-2026-Q4-annotated.png`` stays, and no link."""
    ours = re.compile(re.escape(name) + r"-[0-9a-f]{12}\.png")
    return [
        p
        for p in folder.glob(f"{glob.escape(name)}-*.png")
        if p.name != keep and ours.fullmatch(p.name) and p.is_file() and not p.is_symlink()
    ]


def _pictures_settled(folder: Path, content: str) -> bool:
    """Whether the pictures a region shows are beside its page, each without the pictures
    of its earlier data: otherwise a write of the region was cut short between the picture
    and the page, or a person removed the picture, and writing the region again repairs it."""
    if ".png)" not in content:
        return True
    for found in _PICTURE.finditer(content):
        name = unquote(found.group(1))
        filename = f"{name}-{found.group(2)}.png"
        # a link put in the picture's place is a person's: there, and never written through
        if not os.path.lexists(folder / filename) or _old_charts(folder, name, filename):
            return False
    return True


def _safe(key: str) -> str:
    return files.encode_key(key)


def _retrying(
    write: Callable[[LocalWorkspace, _Op], None],
) -> Callable[[LocalWorkspace, _Op], None]:
    """Run a write again when its target changed between the write's read and its rename
    (a person saved it): the new attempt re-reads it and checks the person's save anew."""

    @functools.wraps(write)
    def attempt(self: LocalWorkspace, op: _Op) -> None:
        if isinstance(op, RecordWrite):
            owner = target = op.ref
        else:
            target = str(getattr(op, "key", ""))
            kind = {PageWrite: "page", FileWrite: "file"}.get(type(op), "message")
            owner = f"{kind}:{target}"
        for _ in range(ATTEMPTS):
            self._fresh = {}
            self._owner, self._target = owner, target
            try:
                write(self, op)
                return
            except files.Changed as exc:
                changed = str(exc)
        raise ConflictError(
            f"{changed} changed under each of opsync's {ATTEMPTS} attempts to write it (a "
            "person saving it?); left as it is. Sync again when it is quiet",
            target=target,
        )

    return attempt


class LocalWorkspace:
    name: ClassVar[str] = "local"
    capabilities: ClassVar[Capabilities] = Capabilities(
        roles=frozenset(Role), incremental=False, page_format="markdown"
    )

    def __init__(
        self,
        tracker: Path,
        wiki: Path,
        pages: Path,
        outbox: Path,
        link_base_url: str | None = None,
        state: ConnectorState | None = None,
        tracker_encoding: str = "utf-8",
    ) -> None:
        self.tracker_encoding = tracker_encoding
        self.state = state
        self.tracker = tracker
        self.wiki = wiki
        self.pages = pages
        self.outbox = outbox
        self.link_base_url = link_base_url
        self._paths: dict[str, str] = {}  # where each record and page was read from
        self._taken: dict[Path, str] = {}  # page files that are no page of opsync's, and why
        self._reads = 0
        self._seen: dict[str, AsRead] = {}  # each file read or written: its digest, values
        self._fresh: dict[Path, Identity] = {}  # the files the current write read
        self._cache = ReadCache(None)  # made again once the state is known (_read_cache)
        self._owner = self._target = ""  # the record or page the current write is for
        # each file's name as a case-blind disk compares it → (owner, its record or page)
        self._names: dict[str, tuple[str, str]] = {}
        self._swept = False
        self._writes = 0
        self.lease = FileLease(wiki)

    def hold(self, writer: str) -> AbstractContextManager[None]:
        return self.lease.hold(writer)

    def claim(self) -> None:
        self.lease.claim()

    def check(self) -> list[Finding]:
        found = [
            Finding(
                code="local.folder-missing",
                record="config/connectors",
                field=f"connectors.local.{role}",
                level=Level.ERROR,
                message=problem.message + "; " + problem.hint,
            )
            for role, problem in self._vanished()
        ]
        if self.tracker.is_file():
            return found
        return [
            Finding(
                code="local.tracker-missing",
                record="config/connectors",
                level=Level.ERROR,
                message=f"tracker file {self.tracker} does not exist; create it or fix the path",
            ),
            *found,
        ]

    def _folders(self) -> dict[str, str]:
        """The folders earlier runs read records or pages from, by role (the mirror)."""
        stored = self.state.get(FOLDERS_MIRROR) if self.state is not None else None
        try:
            folders = json.loads(stored) if stored else {}
        except ValueError:
            return {}
        return folders if isinstance(folders, dict) else {}

    def _vanished(self) -> list[tuple[str, ConfigError]]:
        """Each configured folder that an earlier run read from and that is gone now."""
        gone = []
        for role, path in (("wiki", self.wiki), ("pages", self.pages)):
            before = self._folders().get(role)
            if before is None or path.is_dir():
                continue
            where = "" if before == str(path) else f" (the last sync read {before})"
            gone.append(
                (
                    role,
                    ConfigError(
                        f"the {role} folder {path} does not exist, but this workspace has "
                        f"synced before{where}: read as it is, it would be a new, empty "
                        f"{role} and opsync would create everything in it again",
                        key=f"connectors.local.{role}",
                        hint=(
                            f"correct `{role}` under [connectors.local] in opsync.toml (a "
                            f"typo?), or put the folder back; to start a new, empty {role} "
                            "on purpose, create the folder first"
                        ),
                    ),
                )
            )
        return gone

    def _remember(self) -> None:
        """Note, for the next runs, the folders this run found or wrote records or pages in
        (as of each commit: a first sync that creates the pages folder notes it, so the
        run after it, reading the same, changes nothing)."""
        if self.state is None:
            return

        def dump() -> str:
            folders = self._folders()
            if any(not r.startswith("page:") for r in self._paths):
                folders["wiki"] = str(self.wiki)
            if any(r.startswith("page:") for r in self._paths):
                folders["pages"] = str(self.pages)
            return json.dumps(folders, sort_keys=True)

        self.state.keep(FOLDERS_MIRROR, dump)

    def counts(self) -> dict[str, int]:
        return {"reads": self._reads, "writes": self._writes}

    def close(self) -> None:
        pass  # every file is closed as soon as it is read or written

    def _read_text(self, path: Path) -> str:
        """The file as text, never through a link at ``path``."""
        return self._read(path)[0]

    def _read(self, path: Path, read: Callable[[], Read] | None = None) -> tuple[str, Identity]:
        # Bytes decoded as is keep CRLF as people wrote it, and skip the text layer's cost.
        data, identity = (read or self._reader(path))()
        self._fresh[path] = identity
        return data.decode("utf-8"), identity

    def _reader(self, path: Path) -> Callable[[], Read]:
        """The file's bytes and identity, read at most once however often asked: a racy
        cache row's digest check and the parse after a mismatch share one read."""

        @functools.cache
        def read() -> Read:
            self._reads += 1
            return files.read_file(path)

        return read

    def _since_read(self, path: Path, record: str) -> tuple[AsRead | None, str]:
        """(what this run knew of the file when it decided, the file as it is now) — None
        when the file changed since (a person saved it between the read and the write: the
        writes check that they replace nothing of theirs), or when it was not read."""
        self._check_path(path)  # nothing read through a link, nor written over another key
        before = self._seen.get(str(path))
        if before is not None and not path.exists():
            raise PermanentError(
                f"{path} was deleted while opsync ran; it is not written back",
                connector="local",
                record=record,
            )
        text = self._read_text(path)
        changed = before is not None and before.digest != self._fresh[path].digest
        return (before if changed else None), text

    @staticmethod
    def _edited_during_run(record: str, path: Path, what: str, region: str) -> ConflictError:
        """A person saved what this write would replace after the plan read it: the same
        conflict the plan reports for an earlier edit, found later."""
        return ConflictError(
            f"{path}: {what} was edited while opsync ran; left as the person wrote it. Rerun "
            "to see the conflict and decide (or force it)",
            target=record,
            region=region,
        )

    def _root(self, path: Path) -> Path:
        for root in (self.pages, self.wiki, self.outbox):
            if path.is_relative_to(root):
                return root
        return path.parent

    def _check_path(self, path: Path) -> None:
        """Refuse a write through a symbolic link (at the file or a folder on its way), or
        to a name another key's file has on a case-insensitive disk."""
        link = files.link_on_way(self._root(path), path)
        if link is not None:
            raise ConflictError(
                f"{link} is a symbolic link: opsync writes nothing through a link (it could "
                "lead out of the workspace). Replace it with a real folder or file, then sync "
                "again",
                target=self._target,
            )
        other = self._names.get(files.fold(str(path)))
        if other is not None and other[0] != self._owner:
            raise ConflictError(
                f"{path} is also the file of {other[1]!r} on a disk that "
                "ignores case (macOS, Windows): the two keys differ only in case or accents, so "
                "opsync writes neither over the other. Rename one of the keys",
                target=self._target,
            )

    def _sweep(self) -> None:
        """Remove temporary files a killed run left (a writing run holds the run lock, so
        no other opsync is writing them)."""
        self._swept = True
        for root in (self.wiki, self.pages, self.outbox):
            files.guarded(root, functools.partial(files.sweep_temp, root))

    def _write_text(self, path: Path, text: str, basis: object = _READ) -> None:
        """Write beside the target under a random name, then replace it, if the target is
        still what this write read (or still absent, when it read nothing): otherwise
        :class:`files.Changed`, and :func:`_retrying` runs the write again."""
        if not self._swept:
            self._sweep()
        self._check_path(path)
        based_on = self._fresh.get(path) if basis is _READ else basis
        assert based_on is None or isinstance(based_on, Identity)

        def put() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            files.write_atomic(path, text, based_on)

        try:
            files.guarded(path, put)
        except OSError as exc:  # a link put there since the check: refused all the same
            if exc.errno != errno.ELOOP:
                raise
            self._check_path(path)
            raise
        data = text.encode("utf-8") if isinstance(text, str) else text
        self._seen[str(path)] = AsRead(files.digest(data))
        self._names[files.fold(str(path))] = (self._owner, self._target)
        self._writes += 1
        self._cache_written(path, data, text if isinstance(text, str) else None)

    def _cache_written(self, path: Path, data: bytes, written: str | None = None) -> None:
        """The cache row of a record or page file this run wrote, so the next run need not
        parse it. Its stat is taken after the write, so the row is racy (checked against the
        file's bytes) until a commit finds the file unchanged (:meth:`ReadCache.settle`).
        ``written``: the text ``data`` encodes, when the writer has it."""
        where = str(path)
        if path.suffix != ".md" or not (
            path.is_relative_to(self.wiki) or path.is_relative_to(self.pages)
        ):
            return
        key = readcache.lstat_key(path)
        if key is None:
            self._cache.forget(where)
            return
        sum_ = files.digest(data)
        try:
            text = data.decode("utf-8") if written is None else written  # not a second copy
            if path.is_relative_to(self.pages):
                payload = self._page_payload(path, frontmatter.head(text), text)
            else:
                payload = _record_payload(frontmatter.head(text).data)
        except (frontmatter.FrontMatterError, UnicodeDecodeError, readcache.Uncacheable):
            payload = None
        self._cache.store(where, key, key[1], sum_, payload)

    def _md_files(self, folder: Path) -> Iterator[Path]:
        yield from files.walk_md(folder)[0]

    def _link_finding(self, record: str, link: Path) -> Finding:
        return self._bad(
            record,
            "file",
            f"{link} is a symbolic link: opsync reads and writes nothing through a link, so "
            "what it points to is ignored. Replace it with the file or folder itself",
        )

    def read_releases(self) -> TrackerRead:
        """The tracker export's rows; a missing file stops the run (exit 2) rather than
        reading as an organisation without releases (LESSONS: an unexpected empty read must
        fail loudly)."""
        if not self.tracker.is_file():
            raise ConfigError(
                f"tracker file {self.tracker} does not exist",
                key="connectors.local.tracker",
                hint="create the file (a YAML list or CSV of releases) or fix the path",
            )
        self._reads += 1
        where, taken = str(self.tracker), time.time_ns()  # before the stat: racy against it
        key = readcache.stat_key(os.stat(self.tracker))
        once = functools.cache(self.tracker.read_bytes)  # a racy row's check and the parse
        hit, kept = self._read_cache().lookup_file(where, key, once, taken)
        if hit is not None:
            kept = hit.payload
            # the same bytes read in another encoding are other rows: kept for one only
            if isinstance(kept, dict) and kept.get("encoding") == self.tracker_encoding:
                cached = tracker_from_kept(kept, self.tracker)
                if cached is not None:
                    return cached
        data = once()
        try:
            text = data.decode(self.tracker_encoding)
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"tracker file {self.tracker} is not {self.tracker_encoding} text (byte "
                f"{exc.start}: {exc.object[exc.start : exc.start + 1]!r})",
                key="connectors.local.tracker_encoding",
                hint="export it as UTF-8 from the tracker, or name the encoding it has (e.g. "
                'tracker_encoding = "cp1252", the encoding of an Excel CSV on Windows); opsync '
                "reads no release from a file it cannot decode",
            ) from None
        read, payload = parse_tracker_again(text, self.tracker, kept)
        if payload is not None:
            payload["encoding"] = self.tracker_encoding
        self._cache.store(where, key, taken, readcache.digest(data), payload)
        return read

    def _read_cache(self) -> ReadCache:
        """The read cache of this run's reads (the tracker's and the wiki's, one object, so
        that both hand their rows to the same commit), made once the state is known."""
        if self._cache.state is not self.state:
            self._cache = ReadCache(self.state)
        return self._cache

    @staticmethod
    def _bad(record: str, field: str, message: str) -> Finding:
        return Finding(
            code="record.invalid", record=record, field=field, level=Level.ERROR, message=message
        )

    def _front_matter(
        self, path: Path, st: os.stat_result, taken: int
    ) -> tuple[dict[str, Any], str, bool | None]:
        """(front matter, digest of the bytes, whether its owned values were edited when
        known) of a record file: from the cache while the file's stat is the one its row
        holds, otherwise read and parsed (and the row made)."""
        where = str(path)
        key = readcache.stat_key(st)
        read = self._reader(path)
        hit = self._cache.lookup(where, key, lambda: read()[0], taken)
        if hit is not None and isinstance(hit.payload, dict):
            data, edited = hit.payload.get("f"), hit.payload.get("e")
            if isinstance(data, dict) and isinstance(edited, bool):
                return data, hit.digest, edited
        try:
            text, identity = self._read(path, read)
            data = frontmatter.head(text).data
        except (frontmatter.FrontMatterError, UnicodeDecodeError):
            self._cache.forget(where)
            raise
        self._cache.store(where, key, taken, identity.digest, _record_payload(data))
        return data, identity.digest, None

    def _records(
        self, collection: Collection, result: ReadResult
    ) -> Iterator[tuple[str, Path, dict[str, Any], str, bool | None]]:
        """(key, path, front matter, digest, edited if known) of each record file of a
        collection; duplicates reported."""
        seen: dict[str, Path] = {}
        taken = time.time_ns()  # before the stats: a row is racy against this moment
        self._cache.folder(self.wiki / collection.value)
        found, links = files.scan_md(self.wiki / collection.value)
        for link in links:
            result.findings.append(self._link_finding(ref(collection, link.stem), link))
        for path, st in found:
            try:
                data, sum_, edited = self._front_matter(path, st, taken)
            except (frontmatter.FrontMatterError, UnicodeDecodeError) as exc:
                result.findings.append(
                    self._bad(
                        ref(collection, path.stem), "front matter", f"{path}: {exc}; fix the file"
                    )
                )
                continue
            key = str(data.get("key") or files.decode_key(path.stem) or path.stem)
            if key in seen:
                result.findings.append(
                    duplicate(
                        ref(collection, key),
                        "key",
                        f"{path}: key {key!r} is also used by {seen[key]}, which opsync uses; "
                        "rename one of them, or delete the copy",
                    )
                )
                continue
            seen[key] = path
            yield key, path, data, sum_, edited

    def _state(
        self, record: str, path: Path, data: dict[str, Any], edited: bool | None = None
    ) -> RecordState:
        owned = _owned(data)
        if edited is None:
            edited = _edited(data, owned)
        where = str(path)  # kept as text, shared with the state: a Path costs several times more
        self._paths[record] = where
        self._names[files.fold(where)] = (record, record)
        return RecordState(
            ref=record, path=where, owned=owned, edited=frozenset(owned) if edited else frozenset()
        )

    def _known(self, key: str) -> Path | None:
        where = self._paths.get(key)
        return Path(where) if where is not None else None

    def read(self) -> ReadResult:
        vanished = self._vanished()
        if vanished:
            raise vanished[0][1]
        self._paths.clear()
        self._taken.clear()
        self._names.clear()
        self._seen.clear()
        self._read_cache()
        result = ReadResult()
        for key, path, data, sum_, edited in self._records(Collection.RELEASES, result):
            record = ref(Collection.RELEASES, key)
            state = result.records[record] = self._state(record, path, data, edited)
            # Only the fields a release takes from its record: holding every record's whole
            # front matter until the releases are built was a third of a large read's memory.
            fields = result.fields[record] = {f: data[f] for f in RELEASE_WIKI_FIELDS if f in data}
            owned = state.owned  # the fields opsync wrote before: most of those it writes
            extra = {
                f: data[f]
                for f in _RELEASE_WATCHED
                if f in data and f not in owned and f not in fields
            }
            watched = (owned, fields, extra or _NONE)
            self._seen[state.path] = AsRead(sum_, watched, _RELEASE_WATCHED)
        for collection in RECORD_MODELS:
            for key, path, data, sum_, edited in self._records(collection, result):
                record = ref(collection, key)
                state = result.records[record] = self._state(record, path, data, edited)
                result.fields[record] = data
                self._seen[state.path] = AsRead(sum_, (data,))
        taken = time.time_ns()
        self._cache.folder(self.pages)
        pages, links = files.scan_md(self.pages)
        for link in links:
            where = link.relative_to(self.pages).as_posix()
            self._taken[link] = "it is a symbolic link"
            result.findings.append(self._link_finding(f"pages/{where}", link))
        for path, st in pages:
            self._read_page(path, st, taken, result)
        self._cache.drop_unused()
        self._remember()
        return result

    def read_fingerprint(self) -> str | None:
        """A digest of every file :meth:`read` would see (relative path, size, ``mtime_ns``,
        inode of each record and page file and link), listed by one ``scandir`` pass
        without opening a file: equal digests, an equal read."""
        roots = [(c.value, self.wiki / c.value) for c in (Collection.RELEASES, *RECORD_MODELS)]
        return readcache.fingerprint([*roots, ("pages", self.pages)], self._folders_text())

    def inputs_fingerprint(self) -> str | None:
        """What every read of a run sees of this workspace, from the files' stats alone: the
        wiki and pages (:meth:`read`), the tracker export, the outbox (:meth:`sent`) and the
        files it keeps whole beside the pages (the calendar feed, :meth:`read_file`)."""
        parts = [
            self.read_fingerprint(),
            self.releases_fingerprint(),
            readcache.fingerprint([("outbox", self.outbox)]),
            readcache.files_fingerprint(self._feed_files()),
        ]
        if any(part is None for part in parts):
            return None
        return readcache.digest("\0".join(map(str, parts)).encode())

    def _feed_files(self) -> list[Path]:
        """The files beside the pages that are no page: what :meth:`read_file` serves."""
        try:
            with os.scandir(self.pages) as entries:
                return sorted(
                    Path(e.path)
                    for e in entries
                    if not e.name.startswith(".")
                    and not e.name.endswith(".md")
                    and not e.is_dir(follow_symlinks=False)
                )
        except OSError:
            return []

    def releases_fingerprint(self) -> str | None:
        """A digest of the tracker file's stat (and the encoding it is read in): equal
        digests, an equal :meth:`read_releases`."""
        return tracker_fingerprint(self.tracker, self.tracker_encoding)

    def _folders_text(self) -> str:
        """The folders mirror, which decides whether a missing folder stops the read."""
        return json.dumps(self._folders(), sort_keys=True)

    def _page_payload(self, path: Path, front: frontmatter.Head, text: str) -> Any:
        """What a page's read takes from its text, as a cache row's JSON data."""
        where = path.relative_to(self.pages).as_posix()
        stem = Path(where).with_suffix("").as_posix()
        named = front.data.get("opsync_key")
        key = str(named or files.decode_key(stem) or stem)
        regions = parse_regions(text, key)
        return {
            "k": key,
            "r": {k: [s.content, s.edited] for k, s in regions.owned.items()},
            "d": sorted(regions.damaged),
            "x": [[p.kind, p.key, p.line, p.message] for p in regions.problems],
            "b": text[front.at :] if reads_text(key) else None,
        }

    def _page(self, path: Path, st: os.stat_result, taken: int) -> tuple[Any, str]:
        """(the page's cache payload, digest of its bytes): from the cache while the file's
        stat is its row's, otherwise read and parsed (and the row made)."""
        where = str(path)
        key = readcache.stat_key(st)
        read = self._reader(path)
        hit = self._cache.lookup(where, key, lambda: read()[0], taken)
        if hit is not None and _page_row(hit.payload):
            return hit.payload, hit.digest
        try:
            text, identity = self._read(path, read)
            payload = self._page_payload(path, frontmatter.head(text), text)
        except (frontmatter.FrontMatterError, UnicodeDecodeError):
            self._cache.forget(where)
            raise
        self._cache.store(where, key, taken, identity.digest, payload)
        return payload, identity.digest

    def _read_page(self, path: Path, st: os.stat_result, taken: int, result: ReadResult) -> None:
        """One generated page into ``result``; a page that cannot be read, or that carries a
        key another page has, is a finding and is remembered as taken: a create never writes
        over it (LESSONS: a sync must never replace what a person wrote)."""
        where = path.relative_to(self.pages).as_posix()
        try:
            payload, sum_ = self._page(path, st, taken)
        except (frontmatter.FrontMatterError, UnicodeDecodeError) as exc:
            self._taken[path] = "its front matter does not parse"
            result.findings.append(
                self._bad(f"pages/{where}", "front matter", f"{path}: {exc}; fix the file")
            )
            return
        key = str(payload["k"])
        earlier = self._paths.get(f"page:{key}")
        if earlier is not None:
            keep, other = (Path(earlier), path)
            if path == self.pages / f"{_safe(key)}.md":  # the page at the key's own path wins
                keep, other = path, Path(earlier)
                result.pages.pop(key, None)
            self._taken[other] = f"it carries the key {key!r} of {keep}"
            result.findings.append(
                duplicate(
                    f"pages/{key}",
                    "opsync_key",
                    f"{other} carries the key {key!r} of {keep} (a copy?): opsync uses "
                    f"{keep} and leaves {other} alone; give the copy its own key or delete "
                    "its opsync_key line",
                )
            )
            if keep != path:
                return
        where_text = self._paths[f"page:{key}"] = str(path)
        self._names[files.fold(where_text)] = (f"page:{key}", key)
        owned = {k: str(content) for k, (content, _) in payload["r"].items()}
        # An edited region here is a person's for certain (``by_person``): opsync writes a
        # page whole, in one atomic replace, each begin marker with the checksum of what it
        # wrote, so its own write cut short never shows as one (engine/actual.settle)
        regions = {
            k: RegionState(
                owned[k], Ownership.EDITED if edited else Ownership.CLEAN, by_person=bool(edited)
            )
            for k, (_, edited) in payload["r"].items()
        }
        for k, state in regions.items():
            if state.ownership is Ownership.CLEAN and not _pictures_settled(path.parent, owned[k]):
                regions[k] = RegionState(owned[k], Ownership.INTERRUPTED)
        for damaged in payload["d"]:
            regions[damaged] = RegionState("", Ownership.DAMAGED)
        result.findings.extend(
            _marker_finding(key, path, MarkerProblem(kind, k, line, message))
            for kind, k, line, message in payload["x"]
        )
        result.pages[key] = PageState(key=key, path=where_text, regions=regions, text=payload["b"])
        self._seen[where_text] = AsRead(sum_, (owned,))

    def accepts(self, channel: str) -> bool:
        return True  # the outbox holds every kind of message

    def sent(self, wanted: Sequence[Message], unsure: frozenset[str]) -> set[str]:
        """Every message the outbox holds (it is its own record: nothing is unsure)."""
        if not wanted or not self.outbox.is_dir():
            return set()
        keys: set[str] = set()
        for path in self._md_files(self.outbox):
            try:
                key = frontmatter.head(self._read_text(path)).data.get("opsync_key")
            except (frontmatter.FrontMatterError, UnicodeDecodeError):
                continue  # not a message opsync wrote: the journal is the record of those
            if key:
                keys.add(str(key))
        return keys

    def read_file(self, key: str) -> str | None:
        path = self.pages / _safe(key)
        if files.link_on_way(self.pages, path) is not None:
            return None  # read as absent: the write then refuses the link, naming it
        return self._read_text(path) if path.is_file() else None

    def render_region(self, document: Document, region: str) -> str:
        node = find_region(charts.drawable(document).children, region)
        return markdown.render_blocks(node.children) if node is not None else ""

    @_retrying
    def write_record(self, op: RecordWrite) -> None:
        self.lease.tick()
        collection, _, key = op.ref.partition("/")
        path = self._known(op.ref) or self.wiki / collection / f"{_safe(key)}.md"
        owned = dict(op.values)
        # people's fields carry no ownership: a write of them alone leaves the record's
        # account of what opsync owns as it was (none, on a record it creates)
        meta = {META_FIELDS: sorted(owned), META_SUM: owned_sum(owned)} if owned else {}
        written = {**op.people, **owned}
        if op.create and not path.exists():
            text = frontmatter.compose({"key": key, **written, **meta}, op.body)
        else:
            before, current = self._since_read(path, op.ref)
            if before is not None:  # changed since the read: by whom, in which fields?
                now = frontmatter.head(current).data
                changed = sorted(f for f in written if not before.same(f, now))
                if changed:
                    raise self._edited_during_run(op.ref, path, ", ".join(changed), changed[0])
            text = frontmatter.set_keys(current, {**written, **meta})
        self._write_text(path, text)
        self._paths[op.ref] = str(path)

    def _page_path(self, key: str, suffix: str = ".md") -> Path:
        return self._known(f"page:{key}") or self.pages / f"{_safe(key)}{suffix}"

    @_retrying
    def write_page(self, op: PageWrite) -> None:
        self.lease.tick()
        op = replace(op, document=charts.drawable(op.document))
        path = self._page_path(op.key)
        if self._known(f"page:{op.key}") is None and (path.exists() or path in self._taken):
            why = self._taken.get(path, "it is not opsync's page (no such key when read)")
            raise ConflictError(
                f"{path} is where page {op.key!r} goes, but {why}; opsync leaves the file as it "
                "is. Move it aside (or fix it), then sync again",
                target=op.key,
            )
        if op.create or not path.exists():
            body = markdown.render(op.document, op.key)
            text = frontmatter.compose({"opsync_key": op.key}, body)
        else:
            text = self._updated(op, path)
        written = op.document.children if op.create else _regions(op.document, op.regions)
        drawn = list(charts.charts(written))
        # The pictures before the page that shows them, and the old ones gone only after it:
        # a run killed in between leaves a page whose picture is there, and the read reports
        # the leftovers (``_pictures_settled``) so the next run finishes the write.
        for chart in drawn:
            self._draw_chart(path.parent, chart)
        self._write_text(path, text)
        self._paths[f"page:{op.key}"] = str(path)
        for chart in drawn:
            self._remove_old_charts(path.parent, chart.name, chart.filename)

    def _updated(self, op: PageWrite, path: Path) -> str:
        """The page's text with ``op``'s regions rewritten; a conflict when a person edited
        one since the read. Its own function so that the text as read, its regions and their
        renderings are let go before the write: a large page (the action list of a big
        organisation) is megabytes of text, four bytes a character once it holds an emoji."""
        before, current = self._since_read(path, f"pages/{op.key}")
        now = parse_regions(current, op.key)
        present = now.owned
        for key in sorted(now.damaged.intersection(op.regions)):
            raise self._edited_during_run(
                f"pages/{op.key}", path, f"the markers of region {key}", key
            )
        if before is not None:  # changed since the read: which regions?
            was = before.values[0] if before.values is not None else None
            for key in op.regions:
                if key not in present:
                    continue
                old = was.get(key) if was is not None else None
                if was is None or (old is not None and present[key].content != old):
                    raise self._edited_during_run(f"pages/{op.key}", path, f"region {key}", key)
        replacements: dict[str, str | tuple[str, ...]] = {}
        appended: list[str] = []
        done = op.rendered or {}  # the plan's renderings of the same document
        for key in op.regions:
            node = find_region(op.document.children, key)
            if node is None:
                replacements[key] = ""  # no longer generated: removed, if there
            elif key in present:
                replacements[key] = markdown.region_parts(node, op.key, done.get(key))
            else:
                appended.append(markdown.render_region(node, op.key, done.get(key)))
        # where the regions are is all the splice takes: their text as read goes first
        where = {k: (span.start, span.end) for k, span in present.items()}
        del now, present
        return splice(current, replacements, appended, op.key, where)

    def _draw_chart(self, folder: Path, chart: Chart) -> None:
        """The chart's picture beside its page, drawn only when its name (its fingerprint)
        is new there."""
        path = folder / chart.filename
        if path.is_file():
            return
        self._check_path(path)
        data = charts.draw(chart)

        def put() -> None:
            folder.mkdir(parents=True, exist_ok=True)  # a new page's folder, made first here
            files.write_atomic(path, data, None)  # part of the page's write

        files.guarded(path, put)

    @staticmethod
    def _remove_old_charts(folder: Path, name: str, keep: str) -> None:
        """The pictures of this chart's earlier data, which the page no longer shows."""
        for old in _old_charts(folder, name, keep):
            old.unlink(missing_ok=True)

    @_retrying
    def write_file(self, op: FileWrite) -> None:
        self.lease.tick()
        path = self.pages / _safe(op.key)
        self._check_path(path)  # before looking at what is there
        self._write_text(path, op.content, files.identity_now(path))  # opsync's file alone

    def page_url(self, key: str) -> str | None:
        path = self._known(f"page:{key}") or self.pages / f"{_safe(key)}.md"
        if not path.is_file():
            return None
        if self.link_base_url:
            where = path.resolve().relative_to(self.pages.resolve()).as_posix()
            return f"{self.link_base_url.rstrip('/')}/{quote(where)}"
        return str(path)

    def _outbox_path(self, message: Message) -> Path:
        folder = files.channel_folder(message.channel.lstrip("#"))
        return self.outbox / folder / f"{_safe(message.key)}.md"

    def missing_copies(self, sent: Sequence[Message]) -> list[str]:
        """Where in the outbox the copies of ``sent`` that are gone were (checked by name,
        nothing read): the engine reports them, and the journal keeps them from a resend."""
        paths = [self._outbox_path(m) for m in sent]
        return [p.relative_to(self.outbox).as_posix() for p in paths if not os.path.lexists(p)]

    @_retrying
    def send(self, message: Message) -> None:
        self.lease.tick()
        path = self._outbox_path(message)
        self._check_path(path)
        if os.path.lexists(path):
            return
        meta: dict[str, Any] = {"opsync_key": message.key, "channel": message.channel}
        if message.title:
            meta["title"] = message.title
        if message.link:
            meta["link"] = message.link
        self._write_text(path, frontmatter.compose(meta, outbox_text(message)))


def _marker_finding(page: str, path: Path, problem: MarkerProblem) -> Finding:
    """A region marker opsync cannot prove it wrote there, as a finding naming the file and
    the line: a damaged pair is a warning (the region is not updated until it is repaired),
    a copy or a quote is information (it is the person's text)."""
    return Finding(
        code="page.markers",
        record=f"pages/{page}",
        field=problem.key,
        level=Level.WARNING if problem.kind == "damaged" else Level.INFO,
        message=f"{path} (page {page}), {problem.message}",
    )


def outbox_text(message: Message) -> str:
    """The message as Markdown: its structured body when it has one, and the page's link."""
    body = markdown.render_blocks(message.document.children) if message.document else message.text
    body = body.rstrip("\n") + "\n"
    if message.link:
        body += f"\n[Open the page]({message.link})\n"
    return body


__all__ = ["MIRRORED_FIELDS", "LocalWorkspace", "outbox_text"]
