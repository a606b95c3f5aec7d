"""Which data source holds each collection's rows, found from the config once and kept.

Since Notion API 2025-09-03 a database is a container of data sources, and their ids are not
interchangeable (NOTES.md 1). The config names a collection's place by its database (and,
when the database holds several, the data source's name) or by the data source's id. A
database's data source is looked up once and remembered in the mirror, so later runs spend
no request on it.

Ids stored by an earlier version are migrated, never re-created: a config written for the
older API holds a *database* id where the data source id is now expected (in
``data_source_id``). Notion answers such an id with 404; the id is then tried as a database,
its data source is used and remembered, and every run reports the line to change in the
config. A remembered data source that is gone (404) is looked up again from the database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from opsync.connectors.notion.client import NotFoundError, NotionApi
from opsync.connectors.notion.config import CollectionMapping, NotionConnectorConfig
from opsync.connectors.notion.mirror import Mirror
from opsync.domain import Collection, Finding, Level
from opsync.errors import ConfigError

PAGES = "pages"  # the data source of generated pages, beside the domain's collections
T = TypeVar("T")


class Sources:
    """Data source ids by collection (or ``pages``), resolved at most once per run."""

    def __init__(
        self,
        api: NotionApi,
        config: NotionConnectorConfig,
        pages: CollectionMapping | None,
        name: str,
        mirror: Mirror | None,
    ) -> None:
        self.api, self.config, self.pages, self.name, self.mirror = api, config, pages, name, mirror
        self.notes: list[Finding] = []  # ids the config should change, for the read's report
        self._ids: dict[str, str] = {}

    def reset(self) -> None:
        self._ids.clear()
        self.notes.clear()

    def mapping(self, where: str) -> CollectionMapping | None:
        if where == PAGES:
            return self.pages
        return self.config.collections.get(Collection(where))

    def _key(self, where: str) -> str:
        return f"connectors.{self.name}." + ("pages" if where == PAGES else f"collections.{where}")

    def _entry(self, where: str) -> CollectionMapping:
        entry = self.mapping(where)
        if entry is None:
            raise ConfigError(
                f"no Notion database is mapped for {where}",
                key=self._key(where),
                hint="run `opsync bootstrap notion` and paste the block it prints",
            )
        return entry

    @staticmethod
    def _memo(entry: CollectionMapping) -> str:
        if entry.data_source_id:
            return f"id:{entry.data_source_id}"
        return f"database:{entry.database_id}:{entry.data_source_name or ''}"

    def get(self, where: str) -> str:
        """The data source id of ``where``."""
        if where not in self._ids:
            entry = self._entry(where)
            known = self.mirror.resolution(self._memo(entry)) if self.mirror else None
            if entry.data_source_id and known is not None:
                self._note(where, entry.data_source_id, known)
            found = known or entry.data_source_id or self._from_database(where, entry.database_id)
            self._ids[where] = found
            if self.mirror is not None and not entry.data_source_id:
                self.mirror.resolve(self._memo(entry), found)
        return self._ids[where]

    def using(self, where: str, action: Callable[[str], T]) -> T:
        """``action(data source id)``; on a 404, once more with the id found again (an earlier
        version's database id, or a remembered data source that is gone)."""
        try:
            return action(self.get(where))
        except NotFoundError:
            if not self._recover(where):
                raise
            return action(self.get(where))

    def _recover(self, where: str) -> bool:
        entry = self._entry(where)
        failed = self._ids.pop(where, None)
        memo = self._memo(entry)
        if self.mirror is not None:
            self.mirror.resolve(memo, None)
        if entry.data_source_id:
            try:  # written for the older API: the database's id
                found = self._from_database(where, entry.data_source_id)
            except NotFoundError:
                return False
            self._note(where, entry.data_source_id, found)
        else:
            found = self._from_database(where, entry.database_id)
        if found == failed:
            return False
        self._ids[where] = found
        if self.mirror is not None:
            self.mirror.resolve(memo, found)
        return True

    def _note(self, where: str, database: str, source: str) -> None:
        self.notes.append(
            Finding(
                code="notion.id-migrated",
                record=f"config/connectors/{self.name}",
                field=f"{where}.data_source_id",
                level=Level.WARNING,
                message=(
                    f"{database} is the id of the {where} database, not of its data source "
                    "(Notion API 2025-09-03 tells them apart); opsync uses its data source "
                    f'and remembers it. Put data_source_id = "{source}" under '
                    f"[{self._key(where)}] (or paste the block `opsync bootstrap notion` prints)"
                ),
            )
        )

    def _from_database(self, where: str, database_id: str) -> str:
        entry = self._entry(where)
        database = self.api.call(self.api.sdk.databases.retrieve, database_id)
        sources = [(str(s.get("name") or ""), str(s["id"])) for s in database.get("data_sources")]
        chosen = [i for n, i in sources if entry.data_source_name in (None, n)]
        if len(chosen) == 1:
            return chosen[0]
        names = ", ".join(f'"{n}"' for n, _ in sources) or "none"
        wanted = f' named "{entry.data_source_name}"' if entry.data_source_name else ""
        raise ConfigError(
            f"the {where} database holds {len(sources)} data sources ({names}), and not "
            f"exactly one{wanted}",
            key=f"{self._key(where)}.data_source_name",
            hint="name the one opsync uses: data_source_name = <one of the names above>",
        )


__all__ = ["PAGES", "Sources"]
