"""Where each collection of a Notion workspace lives, and listing its rows: the data source
(``sources.py``), its schema read once when a write first needs it, and the query of its
rows, only those edited lately when a mirror holds the others, and of those only the ones
a person (not opsync) edited last when the data source has a "last edited by" property.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from opsync.connectors.notion.client import NotionApi
from opsync.connectors.notion.config import (
    EDITED_BY_FIELD,
    CollectionMapping,
    NotionConnectorConfig,
    property_names,
)
from opsync.connectors.notion.mirror import Mirror, is_live
from opsync.connectors.notion.sources import PAGES, Sources
from opsync.connectors.records import RECORD_MODELS
from opsync.domain import Collection

PAGE_FIELDS = {
    "key": "opsync key",
    "title": "Name",
    "kind": "Kind",
    "regions": "opsync regions",
    EDITED_BY_FIELD: "Last edited by",
}
READ_ORDER: tuple[Collection, ...] = (Collection.RELEASES, *RECORD_MODELS)
_LISTS = frozenset({"relation", "people"})  # values a page object may cut short


def page_property_names(mapping: CollectionMapping | None) -> dict[str, str]:
    """Field of a generated page's row (key, title, kind, regions) → its property name."""
    overrides = mapping.properties if mapping is not None else {}
    return {f: overrides.get(f) or name for f, name in PAGE_FIELDS.items()}


class ReadAt(NamedTuple):
    """When a run's read of a data source was made, for the edit check after it (guard.py):
    Notion's Date on its first answer (None when none was sent) and the newest stamp it saw."""

    answered: datetime | None
    newest: str


class Catalog:
    """Where each collection lives: its data source (``sources.py``), and its schema read
    once, when a write first needs it."""

    def __init__(
        self,
        api: NotionApi,
        config: NotionConnectorConfig,
        pages: CollectionMapping | None,
        name: str,
        mirror: Mirror | None = None,
    ) -> None:
        self.api, self.config, self.pages, self.name = api, config, pages, name
        self.mirror = mirror
        self.full = True  # whether this run's reads list every row
        self.sources = Sources(api, config, pages, name, mirror)
        self._schemas: dict[str, Mapping[str, Any]] = {}
        self._kept: set[str] = set()  # whose schema this run took from the mirror, unread
        self._me: str | None = None
        # Collections whose every live row this run's read listed (no time filter): a key
        # it did not see is not there, so a create need not look it up first
        self.listed: set[str] = set()
        # This run's read of each data source, where the edit check before writes starts
        self.read_at: dict[str, ReadAt] = {}

    def reset(self) -> None:
        self.sources.reset()
        self._schemas.clear()
        self._kept.clear()

    def mapping(self, where: str) -> CollectionMapping | None:
        return self.sources.mapping(where)

    def configured(self) -> list[Collection]:
        return [c for c in READ_ORDER if c in self.config.collections]

    def source(self, where: str) -> str:
        """The data source id of collection ``where`` (or of the pages)."""
        return self.sources.get(where)

    def schema(self, where: str, *, fresh: bool = False) -> Mapping[str, Any]:
        """The data source's properties by name: as the mirror kept them from an earlier run
        unless ``fresh`` (see :meth:`stale`), else read once per run."""
        if fresh and where in self._kept:
            self.forget_schema(where)
        if where not in self._schemas:
            kept = None if fresh or self.mirror is None else self.mirror.schema(self.source(where))
            if kept is not None:
                self._schemas[where] = kept
                self._kept.add(where)
                return kept
            found = self.sources.using(
                where, lambda source: self.api.call(self.api.sdk.data_sources.retrieve, source)
            )
            self._schemas[where] = found.get("properties") or {}
            if self.mirror is not None:
                self.mirror.keep_schema(self.source(where), self._schemas[where])
        return self._schemas[where]

    def stale(self, where: str) -> bool:
        """Whether the schema of ``where`` in use is one kept from an earlier run, which a
        person may have changed since (a property renamed or retyped)."""
        return where in self._kept

    def forget_schema(self, where: str) -> None:
        """Drop the schema of ``where``, kept one included: the next :meth:`schema` reads it
        from Notion."""
        self._schemas.pop(where, None)
        self._kept.discard(where)
        if self.mirror is not None:
            self.mirror.schemas.pop(self.source(where), None)

    def rows(self, where: str) -> list[Mapping[str, Any]]:
        """Every live page of the data source, oldest first (so the first of two pages with
        one key is the one kept); with a mirror, only those edited lately are queried."""
        results = self.sources.using(where, lambda source: self._rows(where, source))
        return self.oldest_first(results)

    def oldest_first(self, rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The live rows, oldest first: the first of rows sharing a key is the one kept, by
        the read, the lookup before a create and the lease alike. Notion stamps creation to
        the minute: of two rows made in one minute, the one opsync's account made is its own
        (a person's duplicate is the copy), when known."""
        me = self._me or (self.mirror.bot if self.mirror is not None else "")

        def age(row: Mapping[str, Any]) -> tuple[str, bool, str]:
            maker = str((row.get("created_by") or {}).get("id") or "")
            return str(row.get("created_time") or ""), bool(me) and maker != me, str(row["id"])

        return sorted((r for r in rows if is_live(r)), key=age)

    def bot(self) -> str:
        """opsync's own user id, asked once (and kept in the mirror), only when needed: to
        leave its own edits out of a query, or tell them from a person's."""
        if self._me is None:
            self._me = self.mirror.bot if self.mirror is not None else ""
        if not self._me:
            self._me = str(self.api.call(self.api.sdk.users.me).get("id") or "")
            if self.mirror is not None:
                self.mirror.bot = self._me
        return self._me

    def wrote(self, row: Mapping[str, Any]) -> None:
        """Note opsync's user id from the answer to one of its own writes (Notion stamps the
        row with the writer), so that a run after a first sync need not ask ``users/me``."""
        editor = str((row.get("last_edited_by") or {}).get("id") or "")
        if editor and not self._me and (self.mirror is None or not self.mirror.bot):
            self._me = editor
            if self.mirror is not None:
                self.mirror.bot = editor

    def edited_by(self, where: str) -> str:
        """The name of the "last edited by" property of ``where`` (bootstrap makes it)."""
        if where == PAGES:
            return page_property_names(self.pages)[EDITED_BY_FIELD]
        return property_names(self.config, Collection(where))[EDITED_BY_FIELD]

    def _rows(self, where: str, source: str) -> list[Mapping[str, Any]]:
        since = self.mirror.since(source, self.full) if self.mirror is not None else None
        extra: dict[str, Any] = {}
        if since is not None:
            extra["filter"] = {
                "timestamp": "last_edited_time",
                "last_edited_time": {"on_or_after": since},
            }
            name = self.edited_by(where)
            if self.mirror is not None and self.mirror.shows(source, name, "last_edited_by"):
                # Rows opsync edited last are in the mirror as its writes left them.
                mine = {"property": name, "last_edited_by": {"does_not_contain": self.bot()}}
                extra["filter"] = {"and": [extra["filter"], mine]}
        self.api.mark()
        listing = self.api.paginate(
            self.api.sdk.data_sources.query, source, what=f"the {where} data source", **extra
        )
        results = [self.whole(row) for row in listing]
        answered = self.api.answered_since_mark()
        newest = max((str(r.get("last_edited_time") or "") for r in results), default="")
        self.read_at[where] = ReadAt(answered, newest)
        if self.mirror is not None:
            rows = self.mirror.rows(source, results, whole=since is None, answered=answered)
        else:
            rows = results
        if since is None:
            self.listed.add(where)
        return rows

    def whole(self, row: Mapping[str, Any]) -> Mapping[str, Any]:
        """``row`` with each relation or people value Notion cut short (``has_more``: a page
        object shows 25) read in full through the page-property endpoint (NOTES.md 4, 12)."""
        props: Mapping[str, Any] = row.get("properties") or {}
        cut = [n for n, p in props.items() if p.get("has_more") and p.get("type") in _LISTS]
        if not cut:
            return row
        whole = dict(props)
        for name in cut:
            prop = props[name]
            kind = str(prop["type"])
            items = self.api.paginate(
                self.api.sdk.pages.properties.retrieve,
                str(row["id"]),
                str(prop["id"]),
                what=f'"{name}" of {row.get("url") or row["id"]}',
            )
            whole[name] = {**prop, kind: [item[kind] for item in items], "has_more": False}
        return {**row, "properties": whole}


__all__ = ["PAGES", "PAGE_FIELDS", "READ_ORDER", "Catalog", "ReadAt", "page_property_names"]
