"""The embedded local workspace: a tracker export file and a wiki of Markdown files.

Layout (all paths from the config):

- ``tracker``: releases as a YAML list or CSV, one row per release (a tracker export);
- ``wiki/<collection>/<key>.md``: one record per file, its properties in YAML front matter;
- ``pages/<page key>.md``: generated pages, opsync's parts between region markers;
- ``outbox/<channel>/<message key>.md``: messages "sent" (a stand-in for Slack and email).

Every file opsync creates carries its key inside it (``key`` / ``opsync_key``), so deleting
the state store never leads to a second copy. Writes go to a temporary file then replace
the target, so a killed run never leaves half a file.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

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
from opsync.connectors.local import frontmatter
from opsync.connectors.local.tracker import parse_tracker
from opsync.connectors.records import (
    MIRRORED_FIELDS,
    RECORD_MODELS,
    RELEASE_WIKI_FIELDS,
)
from opsync.documents import markdown
from opsync.documents.markdown_regions import find_regions, splice
from opsync.documents.model import Document, find_region
from opsync.domain import Collection, Finding, Level, ref
from opsync.errors import ConfigError, ConflictError, PermanentError
from opsync.state import ConnectorState

#: The state mirror naming the folders a run read records or pages from: a configured
#: folder that is gone after that (a typo, a moved folder) stops the run instead of reading
#: as a new, empty workspace whose records opsync would create all over again.
FOLDERS_MIRROR = "folders"
META_FIELDS = "opsync_fields"
META_SUM = "opsync_sum"
_UNSAFE = re.compile(r"[^A-Za-z0-9._/-]+")


def owned_sum(values: dict[str, Any]) -> str:
    """Fingerprint of the owned values of a record, stored beside them in the file."""
    canonical = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return markdown.checksum(canonical)


def _safe(key: str) -> str:
    parts = [_UNSAFE.sub("-", p).strip(".-") or "_" for p in key.split("/")]
    return "/".join(parts)


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
    ) -> None:
        self.state = state
        self.tracker = tracker
        self.wiki = wiki
        self.pages = pages
        self.outbox = outbox
        self.link_base_url = link_base_url
        self._paths: dict[str, str] = {}  # where each record and page was read from
        self._taken: dict[Path, str] = {}  # page files that are no page of opsync's, and why
        self._reads = 0
        self._as_read: dict[Path, str] = {}  # what each file held when read or written
        self._writes = 0

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

    def _remember(self, result: ReadResult) -> None:
        """Note, for the next runs, the folders this read found records or pages in."""
        if self.state is None:
            return
        folders = self._folders()
        if any(not r.startswith("page:") for r in self._paths):
            folders["wiki"] = str(self.wiki)
        if result.pages:
            folders["pages"] = str(self.pages)
        text = json.dumps(folders, sort_keys=True)
        self.state.keep(FOLDERS_MIRROR, lambda: text)

    def counts(self) -> dict[str, int]:
        return {"reads": self._reads, "writes": self._writes}

    def close(self) -> None:
        pass  # every file is closed as soon as it is read or written

    def _read_text(self, path: Path) -> str:
        self._reads += 1
        # Bytes decoded as is keep CRLF as people wrote it, and skip the text layer's cost.
        text = self._as_read[path] = path.read_bytes().decode("utf-8")
        return text

    def _since_read(self, path: Path, record: str) -> tuple[str | None, str]:
        """(the file as this run first saw it, as it is now). A person may save it between
        the read and the write: the writes check that they replace nothing of theirs."""
        before = self._as_read.get(path)
        if before is not None and not path.exists():
            raise PermanentError(
                f"{path} was deleted while opsync ran; it is not written back",
                connector="local",
                record=record,
            )
        return before, self._read_text(path)

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

    def _write_text(self, path: Path, text: str) -> None:
        """Write beside the target, then replace it. The temporary file's name is fixed per
        target: a run killed before the replace leaves it, and the rerun, which has the same
        write to do, overwrites and moves it (the run lock rules out a second writer)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".opsync-{path.name}.tmp")
        with open(tmp, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(tmp, path)
        self._as_read[path] = text
        self._writes += 1

    def _md_files(self, folder: Path) -> Iterator[Path]:
        if folder.is_dir():
            # Sorted as paths sort (part by part), by a key compared in C.
            yield from sorted(folder.rglob("*.md"), key=lambda path: path.parts)

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
        try:
            text = self._read_text(self.tracker)
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"tracker file {self.tracker} is not UTF-8 text (byte {exc.start}: "
                f"{exc.object[exc.start : exc.start + 1]!r})",
                key="connectors.local.tracker",
                hint="export it as UTF-8 from the tracker, or convert it (e.g. iconv -f "
                "latin1 -t utf-8); opsync reads no release from a file it cannot decode",
            ) from None
        return parse_tracker(text, self.tracker)

    @staticmethod
    def _bad(record: str, field: str, message: str) -> Finding:
        return Finding(
            code="record.invalid", record=record, field=field, level=Level.ERROR, message=message
        )

    def _records(
        self, collection: Collection, result: ReadResult
    ) -> Iterator[tuple[str, Path, dict[str, Any]]]:
        """(key, path, front matter) of each record file of a collection; duplicates reported."""
        seen: dict[str, Path] = {}
        for path in self._md_files(self.wiki / collection.value):
            try:
                data = frontmatter.split(self._read_text(path)).data
            except (frontmatter.FrontMatterError, UnicodeDecodeError) as exc:
                result.findings.append(
                    self._bad(
                        ref(collection, path.stem), "front matter", f"{path}: {exc}; fix the file"
                    )
                )
                continue
            key = str(data.get("key") or path.stem)
            if key in seen:
                result.findings.append(
                    self._bad(
                        ref(collection, key),
                        "key",
                        f"{path}: key {key!r} is also used by {seen[key]}; rename one of them",
                    )
                )
                continue
            seen[key] = path
            yield key, path, data

    def _state(self, record: str, path: Path, data: dict[str, Any]) -> RecordState:
        fields = data.get(META_FIELDS) or []
        owned = {f: data.get(f) for f in fields if isinstance(f, str)}
        recorded = data.get(META_SUM)
        edited = (
            frozenset(owned)
            if recorded is not None and owned_sum(owned) != recorded
            else frozenset()
        )
        where = str(path)  # kept as text, shared with the state: a Path costs several times more
        self._paths[record] = where
        return RecordState(ref=record, path=where, owned=owned, edited=edited)

    def _known(self, key: str) -> Path | None:
        where = self._paths.get(key)
        return Path(where) if where is not None else None

    def read(self) -> ReadResult:
        vanished = self._vanished()
        if vanished:
            raise vanished[0][1]
        self._paths.clear()
        self._taken.clear()
        result = ReadResult()
        for key, path, data in self._records(Collection.RELEASES, result):
            record = ref(Collection.RELEASES, key)
            result.records[record] = self._state(record, path, data)
            # Only the fields a release takes from its record: holding every record's whole
            # front matter until the releases are built was a third of a large read's memory.
            result.fields[record] = {f: data[f] for f in RELEASE_WIKI_FIELDS if f in data}
        for collection in RECORD_MODELS:
            for key, path, data in self._records(collection, result):
                record = ref(collection, key)
                result.records[record] = self._state(record, path, data)
                result.fields[record] = data
        for path in self._md_files(self.pages):
            self._read_page(path, result)
        self._remember(result)
        return result

    def _read_page(self, path: Path, result: ReadResult) -> None:
        """One generated page into ``result``; a page that cannot be read, or that carries a
        key another page has, is a finding and is remembered as taken: a create never writes
        over it (LESSONS: a sync must never replace what a person wrote)."""
        where = path.relative_to(self.pages).as_posix()
        try:
            text = self._read_text(path)
            parsed = frontmatter.split(text)
        except (frontmatter.FrontMatterError, UnicodeDecodeError) as exc:
            self._taken[path] = "its front matter does not parse"
            result.findings.append(
                self._bad(f"pages/{where}", "front matter", f"{path}: {exc}; fix the file")
            )
            return
        key = str(parsed.data.get("opsync_key") or Path(where).with_suffix("").as_posix())
        earlier = self._paths.get(f"page:{key}")
        if earlier is not None:
            keep, other = (Path(earlier), path)
            if path == self.pages / f"{_safe(key)}.md":  # the page at the key's own path wins
                keep, other = path, Path(earlier)
                result.pages.pop(key, None)
            self._taken[other] = f"it carries the key {key!r} of {keep}"
            result.findings.append(
                self._bad(
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
        regions = {
            k: RegionState(s.content, Ownership.EDITED if s.edited else Ownership.CLEAN)
            for k, s in find_regions(text).items()
        }
        result.pages[key] = PageState(
            key=key,
            path=where_text,
            regions=regions,
            text=parsed.body if reads_text(key) else None,
        )

    def accepts(self, channel: str) -> bool:
        return True  # the outbox holds every kind of message

    def sent(self, wanted: Sequence[Message], unsure: frozenset[str]) -> set[str]:
        """Every message the outbox holds (it is its own record: nothing is unsure)."""
        if not wanted or not self.outbox.is_dir():
            return set()
        keys: set[str] = set()
        for path in self._md_files(self.outbox):
            try:
                key = frontmatter.split(self._read_text(path)).data.get("opsync_key")
            except (frontmatter.FrontMatterError, UnicodeDecodeError):
                continue  # not a message opsync wrote: the journal is the record of those
            if key:
                keys.add(str(key))
        return keys

    def read_file(self, key: str) -> str | None:
        path = self.pages / _safe(key)
        return self._read_text(path) if path.is_file() else None

    def render_region(self, document: Document, region: str) -> str:
        node = find_region(document.children, region)
        return markdown.render_blocks(node.children) if node is not None else ""

    def write_record(self, op: RecordWrite) -> None:
        collection, _, key = op.ref.partition("/")
        path = self._known(op.ref) or self.wiki / collection / f"{_safe(key)}.md"
        owned = dict(op.values)
        meta = {META_FIELDS: sorted(owned), META_SUM: owned_sum(owned)}
        if op.create and not path.exists():
            text = frontmatter.compose({"key": key, **owned, **meta}, op.body)
        else:
            before, current = self._since_read(path, op.ref)
            if before is not None and before != current:
                was, now = frontmatter.split(before).data, frontmatter.split(current).data
                changed = sorted(f for f in owned if was.get(f) != now.get(f))
                if changed:
                    raise self._edited_during_run(op.ref, path, ", ".join(changed), changed[0])
            text = frontmatter.set_keys(current, {**owned, **meta})
        self._write_text(path, text)
        self._paths[op.ref] = str(path)

    def _page_path(self, key: str, suffix: str = ".md") -> Path:
        return self._known(f"page:{key}") or self.pages / f"{_safe(key)}{suffix}"

    def write_page(self, op: PageWrite) -> None:
        path = self._page_path(op.key)
        if self._known(f"page:{op.key}") is None and (path.exists() or path in self._taken):
            why = self._taken.get(path, "it is not opsync's page (no such key when read)")
            raise ConflictError(
                f"{path} is where page {op.key!r} goes, but {why}; opsync leaves the file as it "
                "is. Move it aside (or fix it), then sync again",
                target=op.key,
            )
        if op.create or not path.exists():
            body = markdown.render(op.document)
            text = frontmatter.compose({"opsync_key": op.key}, body)
        else:
            before, current = self._since_read(path, f"pages/{op.key}")
            present = find_regions(current)
            if before is not None and before != current:
                was = find_regions(before)
                for key in op.regions:
                    old = was.get(key)
                    if key in present and old is not None and present[key].content != old.content:
                        raise self._edited_during_run(f"pages/{op.key}", path, f"region {key}", key)
            replacements: dict[str, str] = {}
            appended: list[str] = []
            for key in op.regions:
                node = find_region(op.document.children, key)
                rendered = markdown.render_region(node) if node is not None else ""
                if key in present:
                    replacements[key] = rendered
                elif rendered:
                    appended.append(rendered)
            text = splice(current, replacements, appended)
        self._write_text(path, text)
        self._paths[f"page:{op.key}"] = str(path)

    def write_file(self, op: FileWrite) -> None:
        path = self.pages / _safe(op.key)
        self._write_text(path, op.content)

    def page_url(self, key: str) -> str | None:
        path = self._known(f"page:{key}") or self.pages / f"{_safe(key)}.md"
        if not path.is_file():
            return None
        if self.link_base_url:
            where = path.resolve().relative_to(self.pages.resolve()).as_posix()
            return f"{self.link_base_url.rstrip('/')}/{quote(where)}"
        return str(path)

    def _outbox_path(self, message: Message) -> Path:
        return self.outbox / _safe(message.channel.lstrip("#")) / f"{_safe(message.key)}.md"

    def missing_copies(self, sent: Sequence[Message]) -> list[str]:
        """Where in the outbox the copies of ``sent`` that are gone were (checked by name,
        nothing read): the engine reports them, and the journal keeps them from a resend."""
        paths = [self._outbox_path(m) for m in sent]
        return [p.relative_to(self.outbox).as_posix() for p in paths if not p.exists()]

    def send(self, message: Message) -> None:
        path = self._outbox_path(message)
        if path.exists():
            return
        meta: dict[str, Any] = {"opsync_key": message.key, "channel": message.channel}
        if message.title:
            meta["title"] = message.title
        if message.link:
            meta["link"] = message.link
        self._write_text(path, frontmatter.compose(meta, outbox_text(message)))


def outbox_text(message: Message) -> str:
    """The message as Markdown: its structured body when it has one, and the page's link."""
    body = markdown.render_blocks(message.document.children) if message.document else message.text
    body = body.rstrip("\n") + "\n"
    if message.link:
        body += f"\n[Open the page]({message.link})\n"
    return body


__all__ = ["MIRRORED_FIELDS", "LocalWorkspace", "outbox_text"]
