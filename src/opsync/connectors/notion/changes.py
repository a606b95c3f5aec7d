"""Which data sources hold rows edited since the last read, from one search: the data
sources nobody else touched are not queried at all (docs/notion.md, "Incremental reads").

An incremental read costs one query per data source even when nothing changed: 16 with
today's collections. ``POST /v1/search`` sorted by ``last_edited_time``, newest first, lists
the pages the integration can reach across every data source; its first answer (100 pages)
shows every page edited since the last read, and each page names its data source in
``parent.data_source_id``. A data source none of them belongs to has nothing new to read
and keeps its mirrored rows; the others are queried as before, from their own watermarks.

What the search cannot be trusted with, it is not asked: a full pass, a data source the
mirror has never read, a run after another writer, or any answer it does not give (an
error, more edits than :data:`PAGES` pages of results hold, or a last run that wrote that many
rows itself, which the search would read back through) all query every data source.

Notion's search is an index, and "search indexing is not immediate" (its reference). The
scan therefore reaches back past the last read by :data:`LOOKBACK` on top of the stamps'
rounding (:data:`~opsync.connectors.notion.mirror.OVERLAP`): an edit the index shows within
that time is read by the next run after it shows, since data sources not queried keep their
watermark. An edit the index takes longer than that to show is read at the next full pass
(``full_pass_hours``) or with the next edit of its data source, whichever comes first.
``search_changes = false`` turns this off.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from opsync.connectors.notion.client import PAGE_SIZE, NotionApi
from opsync.connectors.notion.mirror import OVERLAP, Mirror, edited, when
from opsync.errors import AuthError, ConnectorError

# How far before the last read's first answer the scan reaches, beyond the stamps' rounding:
# the time Notion's search index may take to show an edit
LOOKBACK = timedelta(minutes=5)
# Pages of results (100 each) the scan reads at most; more edits than that: every data
# source is queried
PAGES = 3
_QUERY: dict[str, Any] = {
    "filter": {"property": "object", "value": "page"},
    "sort": {"timestamp": "last_edited_time", "direction": "descending"},
}


def _edited_since(api: NotionApi, since: datetime) -> list[Mapping[str, Any]] | None:
    """The pages edited on or after ``since``, newest first; None when the search did not
    give them all (an error, or more than :data:`PAGES` pages of them)."""
    found: list[Mapping[str, Any]] = []
    try:
        for page in api.paginate(api.sdk.search, what="the pages edited lately", **_QUERY):
            if when(str(page.get("last_edited_time") or "")) < since:
                return found
            found.append(page)
            if len(found) == PAGES * PAGE_SIZE:
                return None  # the next page may hold more: no more requests than it saves
    except AuthError:
        raise
    except (ConnectorError, ValueError):
        return None  # the queries that follow ask each data source instead
    return found


def unchanged_sources(
    api: NotionApi,
    mirror: Mirror,
    sources: Mapping[str, str],
    bot: Callable[[], str],
    edited_by: Callable[[str], str],
) -> tuple[frozenset[str], datetime | None]:
    """The collections (keys of ``sources``, each mapped to its data source id) whose data
    source one search shows nobody but opsync edited since the last read, and Notion's
    clock at the search's answer. Empty when the search is not to be trusted this run.

    ``edited_by(where)`` names the "last edited by" property of a collection: a row opsync
    edited last is skipped only where the incremental query would leave it out too, that
    is where the rows kept show that property (catalog.py)."""
    last = mirror.searched
    known = {w: s for w, s in sources.items() if mirror.since(s, False) is not None}
    if not last or len(known) < len(sources) or mirror.wrote() >= PAGES * PAGE_SIZE:
        return frozenset(), None  # after many writes, the scan would cost more than it saves
    api.mark()
    pages = _edited_since(api, when(last) - OVERLAP - LOOKBACK)
    answered = api.answered_since_mark()
    if pages is None or answered is None:
        return frozenset(), None
    me = bot()
    touched: set[str] = set()
    for page in pages:
        source = str((page.get("parent") or {}).get("data_source_id") or "")
        where = next((w for w, s in known.items() if s == source), None)
        if where is None:
            continue  # a page of no data source opsync reads
        mine = bool(me) and edited(page)[1] == me
        if mine and mirror.shows(source, edited_by(where), "last_edited_by"):
            continue  # opsync's own write, in the mirror as Notion answered it
        touched.add(where)
    return frozenset(known) - touched, answered


__all__ = ["LOOKBACK", "PAGES", "unchanged_sources"]
