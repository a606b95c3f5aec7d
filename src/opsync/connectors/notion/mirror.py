"""What the last read of a Notion workspace saw, kept in the state store so that a run
reads only what changed (NOTES.md 9, 10).

The engine needs the whole snapshot every run, so the rows read before are kept here, per
data source, and a run queries only the rows edited on or after a watermark, less an
overlap: Notion rounds ``last_edited_time`` down to the minute, so an edit later in the same
minute keeps a stamp already seen, and the overlap makes sure it is read again. The
watermark comes only from query answers (Notion's clock, never ours) and only moves forward:
the newest stamp of the rows answered, or, when later, the Date header of the query's first
answer less a minute. The Date matters when people's last edits are old: without it, rows a
person bulk-edited (an import) within the overlap of the newest edit would be read again by
every run until someone edits another row. Rows are merged by id, so reading one twice is
harmless. A source with no rows and no Date takes the newest watermark of the sources read
before it in the run: no later than the empty answer, so any row added since is at or after
it.

Each data source's schema (its properties, as ``GET /v1/data_sources/{id}`` answers) is
kept too, so that a run writes without reading it first; a write Notion refuses as invalid
(a property renamed or retyped since) reads it again and is tried once more (writer.py).

A query of edited rows cannot see a row moved to the trash, so every ``full_pass`` (and
whenever there is no mirror) every row is read again and rows no longer returned are
dropped.

A generated page's region hashes are kept with its row's ``last_edited_time`` and last
editor: while both are unchanged its blocks are not listed again. Checking the editor
catches a person's edit made in the same minute as opsync's own write, which keeps the stamp.
The ids of its regions' blocks are kept on the same terms, when known (kept.py), so that
updating the page lists nothing either.

The mirror is a cache: a lost, stale or unreadable one only costs a full read, since any
row edited since it was saved has a stamp at or after its watermark. It reaches the store
only when a writing run commits (``ConnectorState.keep``): a plan reads through it and
keeps what it learnt in memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from opsync.connectors.base import Ownership, RegionState
from opsync.state import ConnectorState

FORMAT = 2  # 2: a region keeps its ownership state (was: an edited flag)
NAME = "mirror"  # its name in the connector's part of the state store
OVERLAP = timedelta(minutes=2)
# How far before the Date of a query's answer its watermark is put: a row edited while the
# query ran, or stamped by a server whose clock is a little behind, is still re-read
ANSWER_SLACK = timedelta(minutes=1)
Row = Mapping[str, Any]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def when(text: str) -> datetime:
    """A stamp Notion wrote (ISO 8601, ``Z`` for UTC) as a datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def stamp(moment: datetime) -> str:
    """``moment`` as Notion writes its stamps (UTC, ``Z``)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def edited(row: Row) -> tuple[str, str]:
    """(last_edited_time, last editor's id) of a row, as Notion stamped them."""
    editor = row.get("last_edited_by") or {}
    return str(row.get("last_edited_time") or ""), str(editor.get("id") or "")


def is_live(row: Row) -> bool:
    return row.get("object", "page") == "page" and not (row.get("in_trash") or row.get("archived"))


@dataclass
class PageMemo:
    """A generated page as last read or written: its regions' hashes, for a bundle the text
    around them, and the ids of its regions' blocks when known (kept.py), valid while its
    row's stamp and editor stay the same."""

    id: str
    url: str
    stamp: str
    editor: str
    regions: dict[str, RegionState]
    text: str | None = None
    # each region callout's essence with its blocks' ids, when all are known (kept.py)
    blocks: dict[str, dict[str, Any]] | None = None

    @classmethod
    def of(
        cls,
        row: Row,
        regions: Mapping[str, RegionState],
        text: str | None,
        blocks: Mapping[str, dict[str, Any]] | None = None,
    ) -> PageMemo:
        stamp, editor = edited(row)
        url = str(row.get("url") or row["id"])
        kept = dict(blocks) if blocks is not None else None
        return cls(str(row["id"]), url, stamp, editor, dict(regions), text, kept)

    def fits(self, row: Row) -> bool:
        return bool(self.stamp) and (str(row["id"]), *edited(row)) == (
            self.id,
            self.stamp,
            self.editor,
        )

    def dump(self) -> dict[str, Any]:
        regions = {
            k: [r.content, r.ownership.value, *([True] if r.by_person else [])]
            for k, r in self.regions.items()
        }
        return {**self.__dict__, "regions": regions}

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> PageMemo:
        regions = {
            str(k): RegionState(str(v[0]), Ownership(v[1]), by_person=len(v) > 2 and v[2] is True)
            for k, v in data["regions"].items()
        }
        return cls(**{**data, "regions": regions})


@dataclass
class _Source:
    watermark: str = ""
    rows: dict[str, Row] = field(default_factory=dict)

    def merge(self, rows: Iterable[Row]) -> None:
        for row in rows:
            self.rows.pop(str(row["id"]), None)
            if is_live(row):
                self.rows[str(row["id"])] = row
            self.advance(str(row.get("last_edited_time") or ""))

    def advance(self, stamp: str) -> None:
        if stamp and (not self.watermark or when(stamp) > when(self.watermark)):
            self.watermark = stamp


class Mirror:
    """The rows and page hashes of the last read, kept in ``state`` (``None``: nothing is
    kept and every read is a full one, as for a connector built by hand).

    Args:
        state: the connector's part of the state store.
        version: the Notion-Version the rows were read with; another one starts afresh.
        full_pass: how long rows are trusted before a full read looks for trashed ones.
        clock: when a full pass is due (only that; watermarks come from Notion's stamps).
    """

    def __init__(
        self,
        state: ConnectorState | None,
        version: str,
        full_pass: timedelta,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.state, self.version, self.full_pass, self.clock = state, version, full_pass, clock
        self.sources: dict[str, _Source] = {}
        self.pages: dict[str, PageMemo] = {}
        self.resolved: dict[str, str] = {}  # where a configured id led, by sources.py's key
        self.schemas: dict[str, dict[str, Any]] = {}  # each data source's properties, by id
        self._bot = ""  # opsync's own user id (users/me), asked once
        self.lease_page = ""  # the id of the row holding the write lease (lease.py)
        self.lease_generation = 0  # the lease's generation when this store last took it
        self.full_at: datetime | None = None
        self._loaded = False
        self._floor = ""  # the newest stamp the sources read so far this run hold
        if state is not None:
            state.keep(NAME, self.dump)

    @property
    def enabled(self) -> bool:
        return self.state is not None

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        text = self.state.get(NAME) if self.state is not None else None
        if text is None:
            return
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT or data.get("version") != self.version:
                return
            sources = {
                str(s): _Source(str(v["watermark"]), dict(v["rows"]))
                for s, v in data["sources"].items()
            }
            pages = {str(k): PageMemo.load(v) for k, v in data["pages"].items()}
            full_at = datetime.fromisoformat(data["full_at"]) if data["full_at"] else None
            resolved = {str(k): str(v) for k, v in (data.get("resolved") or {}).items()}
            bot = str(data.get("bot") or "")
            schemas = {str(k): dict(v) for k, v in (data.get("schemas") or {}).items()}
            lease_page = str(data.get("lease_page") or "")
            lease_generation = int(data.get("lease_generation") or 0)
        except (ValueError, KeyError, TypeError, AttributeError):
            return  # unreadable: a full read rebuilds it
        self.sources, self.pages, self.full_at = sources, pages, full_at
        self.resolved, self._bot, self.schemas = resolved, bot, schemas
        self.lease_page, self.lease_generation = lease_page, lease_generation

    @property
    def bot(self) -> str:
        """opsync's own user id as kept, read from the file first."""
        self._load()
        return self._bot

    @bot.setter
    def bot(self, user: str) -> None:
        self._load()
        self._bot = user

    def resolution(self, key: str) -> str | None:
        """The data source a configured id was resolved to before, if known."""
        self._load()
        return self.resolved.get(key)

    def resolve(self, key: str, source: str | None) -> None:
        """Remember (``None``: forget) where a configured id leads; kept with the rest."""
        self._load()
        if source is None:
            self.resolved.pop(key, None)
        else:
            self.resolved[key] = source

    def schema(self, source: str) -> dict[str, Any] | None:
        """The properties of data source ``source`` as last read, if kept."""
        self._load()
        return self.schemas.get(source) if self.enabled else None

    def keep_schema(self, source: str, properties: Mapping[str, Any]) -> None:
        self._load()
        self.schemas[source] = dict(properties)

    def begin(self) -> bool:
        """Whether this run reads every row (a full pass)."""
        self._load()
        if not self.enabled or self.full_at is None:
            return True
        return self.clock() - self.full_at >= self.full_pass

    def since(self, source: str, full: bool) -> str | None:
        """The ``on_or_after`` bound of the query of ``source``; None to read every row."""
        known = self.sources.get(source)
        if full or not self.enabled or known is None or not known.watermark:
            return None
        return stamp(when(known.watermark) - OVERLAP)

    def shows(self, source: str, name: str, kind: str) -> bool:
        """Whether the rows kept of ``source`` have a property ``name`` of type ``kind``."""
        known = self.sources.get(source)
        row = next(iter(known.rows.values()), None) if known is not None else None
        prop = ((row or {}).get("properties") or {}).get(name) or {}
        return bool(prop.get("type") == kind)

    def rows(
        self, source: str, answer: Iterable[Row], *, whole: bool, answered: datetime | None = None
    ) -> list[Row]:
        """Every live row of ``source`` once ``answer`` (a whole listing when ``whole``, else
        the rows edited lately) is merged in. The listing is taken to its end first: rows and
        watermark from part of one would hide the rows it did not reach. ``answered``: Notion's
        clock when the listing's first page was answered (its Date header), if known."""
        rows = list(answer)
        if whole or source not in self.sources:
            self.sources[source] = _Source()
        known = self.sources[source]
        known.merge(rows)
        if answered is not None:
            known.advance(stamp(answered - ANSWER_SLACK))
        if not known.watermark:
            known.watermark = self._floor
        elif not self._floor or when(known.watermark) > when(self._floor):
            self._floor = known.watermark
        return list(known.rows.values())

    def remember(self, source: str, row: Row) -> None:
        """A row as a write left it; the watermark stays (it only follows reads)."""
        self._load()
        known = self.sources.get(source)
        if known is not None and self.enabled:
            known.rows.pop(str(row["id"]), None)
            if is_live(row):
                known.rows[str(row["id"])] = row

    def page(self, key: str, row: Row) -> PageMemo | None:
        """What page ``key`` held when its row last had this stamp and editor, if known."""
        memo = self.pages.get(key)
        return memo if memo is not None and self.enabled and memo.fits(row) else None

    def keep(self, key: str, memo: PageMemo) -> None:
        self._load()
        self.pages[key] = memo

    def forget_blocks(self, key: str | None = None) -> None:
        """Drop the block ids kept of page ``key`` (None: of every page); its next update
        lists its blocks again."""
        self._load()
        for name, memo in self.pages.items():
            if key is None or name == key:
                memo.blocks = None

    def finish(self, full: bool, pages: Iterable[str] | None) -> None:
        """End of a read: forget pages no longer there, note a full pass."""
        if pages is not None:
            seen = set(pages)
            self.pages = {k: v for k, v in self.pages.items() if k in seen}
        if full:
            self.full_at = self.clock()

    def dump(self) -> str:
        """The mirror as the store keeps it; what was kept before when nothing was read."""
        self._load()
        return json.dumps(
            {
                "format": FORMAT,
                "version": self.version,
                "full_at": self.full_at.isoformat() if self.full_at else None,
                "sources": {
                    s: {"watermark": v.watermark, "rows": v.rows} for s, v in self.sources.items()
                },
                "pages": {k: v.dump() for k, v in sorted(self.pages.items())},
                "resolved": dict(sorted(self.resolved.items())),
                "bot": self._bot,
                "schemas": dict(sorted(self.schemas.items())),
                "lease_page": self.lease_page,
                "lease_generation": self.lease_generation,
            },
            separators=(",", ":"),
        )


__all__ = ["ANSWER_SLACK", "OVERLAP", "Mirror", "PageMemo", "edited", "is_live", "stamp", "when"]
