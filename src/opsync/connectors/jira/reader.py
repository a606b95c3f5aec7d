"""Incremental reads of the release issues, with a periodic id-only full pass.

Each run costs, after the first: one request for the project's versions (unpaginated, and
re-read every time because renaming or releasing a version does not touch its issues'
``updated``), and one search page of the issues updated since the cursor minus the overlap
(``updated >= <epoch ms>``, oldest first, deduplicated by id; the overlap absorbs JQL's
minute precision and search's eventual consistency, NOTES.md §1-2). Deleted issues, moved
issues and lost permissions never show up in such a query, so every ``full_pass_hours`` an
id-only pass (the cheapest page size) lists what still exists: the rest is dropped, and
ids the mirror does not hold are fetched whole. The same two requests serve both modes:
releases as issues, or as versions (``versions.py``) whose fields come from their issues.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from opsync.connectors.base import TrackerRead
from opsync.connectors.jira import jql
from opsync.connectors.jira.client import JiraApi
from opsync.connectors.jira.config import JiraConnectorConfig
from opsync.connectors.jira.history import note_moves
from opsync.connectors.jira.mirror import Mirror
from opsync.connectors.jira.rows import RowMapper
from opsync.connectors.jira.versions import VersionRows
from opsync.domain import Collection, Finding, Level, ref

ID_PAGE = 1000  # an id-only page may be far larger than one with fields
FETCH_CHUNK = 100


def updated_ms(issue: dict[str, Any]) -> int | None:
    """The issue's ``updated`` in epoch milliseconds (Jira sends a ``+HHMM`` offset)."""
    stamp = (issue.get("fields") or {}).get("updated")
    try:
        return jql.epoch_ms(datetime.fromisoformat(str(stamp)))
    except (ValueError, TypeError):
        return None


def _natural(key: str) -> tuple[str, int, str]:
    project, _, number = key.rpartition("-")
    return (project, int(number), "") if number.isdigit() else (key, 0, key)


class Reader:
    def __init__(
        self,
        api: JiraApi,
        config: JiraConnectorConfig,
        mapper: RowMapper,
        mirror: Mirror,
        clock: Callable[[], datetime],
    ) -> None:
        self.api = api
        self.config = config
        self.mapper = mapper
        self.mirror = mirror
        self.clock = clock
        self.base = jql.scope(config.project, config.filters, config.jql)

    def read(self) -> TrackerRead:
        mirror = self.mirror
        versions = {
            str(v.get("id")): v
            for v in self.api.get(f"project/{self.config.project}/versions") or []
        }
        now = self.clock()
        first = mirror.cursor_ms is None
        overlap = self.config.overlap_minutes * 60_000
        since = None if first else max((mirror.cursor_ms or 0) - overlap, 0)
        query = jql.updated_since(self.base, since)
        self._store(self.api.search(query, self.mapper.fields(), what="the release issues"))
        due = mirror.full_pass_at is None or now - mirror.full_pass_at >= timedelta(
            hours=self.config.full_pass_hours
        )
        if first:
            mirror.full_pass_at = now
        elif due:
            self._full_pass()
            mirror.full_pass_at = now
        if self.config.releases == "versions":
            read = TrackerRead(
                *VersionRows(self.config, self.mapper).rows(versions.values(), mirror.issues)
            )
        else:
            read = self._rows(versions)
        note_moves(mirror, read, now.date())
        return read

    def _store(self, issues: Iterable[dict[str, Any]]) -> None:
        mirror = self.mirror
        for issue in issues:
            mirror.issues[str(issue["id"])] = issue
            stamp = updated_ms(issue)
            if stamp is not None and (mirror.cursor_ms is None or stamp > mirror.cursor_ms):
                mirror.cursor_ms = stamp

    def _full_pass(self) -> None:
        """Drop issues that no longer match (deleted, moved, hidden); fetch unknown ones."""
        found = {
            str(issue["id"])
            for issue in self.api.search(
                self.base + jql.ORDER, ["id"], what="the release issue ids", size=ID_PAGE
            )
        }
        for gone in set(self.mirror.issues) - found:
            del self.mirror.issues[gone]
        missing = sorted(found - set(self.mirror.issues), key=int)
        for start in range(0, len(missing), FETCH_CHUNK):
            chunk = missing[start : start + FETCH_CHUNK]
            query = jql.with_ids(self.base, chunk)
            self._store(self.api.search(query, self.mapper.fields(), what="new release issues"))

    def _rows(self, versions: dict[str, dict[str, Any]]) -> TrackerRead:
        read = TrackerRead()
        keyed: dict[str, dict[str, Any]] = {}
        for issue in self.mirror.issues.values():
            key, row, findings = self.mapper.row(issue, versions)
            read.findings.extend(findings)
            if row is None:
                continue
            if key in keyed:
                read.findings.append(
                    Finding(
                        code="record.invalid",
                        record=ref(Collection.RELEASES, key),
                        field="key",
                        level=Level.ERROR,
                        message=f"Jira returned issue {key} twice under different ids; "
                        "the second is ignored",
                    )
                )
                continue
            keyed[key] = row
        read.rows = {k: keyed[k] for k in sorted(keyed, key=_natural)}
        return read
