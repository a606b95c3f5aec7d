"""The Atlassian target: releases read from the Jira emulator, the wiki and the generated
pages in the Confluence emulator (messages and the calendar feed in local folders), as in
the Acme Atlassian example and tests/e2e/test_atlassian_cli.py.

Set up once like the Notion target: ``opsync bootstrap confluence`` (its block pasted into
the config), the example's wiki records written into Confluence, a sync at ``BASE_NOW``,
then a person's text added above and below opsync's regions and typed into person-owned
rows of record pages. Jira is only read, so only the Confluence world is saved and
restored between trials.
"""

from __future__ import annotations

import copy
import itertools
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reliability_targets import (
    BASE_NOW,
    EDITED_PAGES,
    EDITED_RECORDS,
    EXAMPLE,
    _files,
    _when,
    human,
    seed_wiki,
)

from opsync import api
from opsync.config import load_config
from opsync.connectors.confluence.config import ConfluenceConnectorConfig, row_names
from opsync.connectors.confluence.connector import ConfluenceWiki
from opsync.connectors.confluence.records import record_title
from opsync.connectors.confluence.storage import escape
from opsync.connectors.lease import LEASE_KEY, Holder
from opsync.domain import Collection
from opsync.http import TokenBucket
from opsync.testing.emulators.confluence import ConfluenceEmulator
from opsync.testing.emulators.jira import JiraEmulator

CONFIG = "opsync.atlassian.toml"
# Confluence numbers macros as it saves them; the number says nothing about the content.
_MACRO_ID = re.compile(r' ac:macro-id="[^"]*"')


class AtlassianTarget:
    """Jira (tracker) and Confluence (wiki and pages) emulators."""

    name = "atlassian"

    def __init__(self, root: Path, jira: JiraEmulator, confluence: ConfluenceEmulator) -> None:
        self.jira, self.confluence = jira, confluence
        self.work = root / "trial"
        self.config = self.work / CONFIG
        shutil.copytree(EXAMPLE, self.work)
        with self.session():
            text = self.config.read_text(encoding="utf-8")
            self.config.write_text(
                text.replace("requests_per_second = 5.0", "requests_per_second = 1000"),
                encoding="utf-8",
            )
            _, block = api.bootstrap("confluence", self.config, confluence.root_page_id)
            with self.config.open("a", encoding="utf-8") as out:
                out.write("\n" + block)
            loaded = load_config(self.config)
            _, settings = loaded.wiki_connector()
            assert isinstance(settings, ConfluenceConnectorConfig)
            self.settings = settings
            wiki = ConfluenceWiki(settings, bucket=TokenBucket(1000.0, 100))
            try:
                seed_wiki(wiki, self.work)
            finally:
                wiki.close()
            _as_made_by_people(confluence)
            report = api.sync(self.config, now=_when(BASE_NOW))
            assert report.exit_code == 0, report.failed
            self._edit()
        self.saved_world = self._world_state()
        self.pristine = root / "pristine"
        shutil.copytree(self.work, self.pristine, symlinks=True)

    def env(self) -> dict[str, str]:
        return {
            "OPSYNC_JIRA_BASE_URL": self.jira.base_url,
            "JIRA_EMAIL": self.jira.email,
            "JIRA_API_TOKEN": self.jira.token,
            "OPSYNC_CONFLUENCE_BASE_URL": self.confluence.base_url,
            "CONFLUENCE_EMAIL": self.confluence.email,
            "CONFLUENCE_TOKEN": self.confluence.token,
        }

    @contextmanager
    def session(self) -> Iterator[None]:
        before = {k: os.environ.get(k) for k in self.env()}
        os.environ.update(self.env())
        try:
            yield
        finally:
            for k, v in before.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def state(self) -> Path:
        return self.work / ".opsync"

    # The site's pages and id counters are saved whole, so trials start from the same ids.
    def _world_state(self) -> dict[str, Any]:
        world = self.confluence.world
        with world.lock:
            next_id = next(world._ids)
            world._ids = itertools.count(next_id)
            next_macro = next(world.normalise._ids)
            world.normalise._ids = itertools.count(next_macro)
            return {
                "pages": copy.deepcopy(world.pages),
                "spaces": copy.deepcopy(world.spaces),
                "ids": next_id,
                "macros": next_macro,
            }

    def restore(self) -> None:
        world, saved = self.confluence.world, self.saved_world
        with world.lock:
            world.pages = copy.deepcopy(saved["pages"])
            world.spaces = copy.deepcopy(saved["spaces"])
            world._ids = itertools.count(saved["ids"])
            world.normalise._ids = itertools.count(saved["macros"])
        self.clear_faults()
        shutil.rmtree(self.work, ignore_errors=True)
        shutil.copytree(self.pristine, self.work, symlinks=True)

    def clear_faults(self) -> None:
        with self.confluence._app.lock:
            self.confluence._app.faults.clear()
        self.jira.faults.clear()

    def faults_left(self) -> int:
        """Queued faults no request has met yet."""
        with self.confluence._app.lock:
            left = len(self.confluence._app.faults)
        return left + sum(f.times for f in self.jira.faults._queue)

    def page_id(self, title: str) -> str:
        world = self.confluence.world
        with world.lock:
            for page in world.pages.values():
                if page.title == title and page.status == "current":
                    return page.id
        raise AssertionError(f"no page titled {title!r}")

    def generated_id(self, key: str) -> str:
        """The id of the generated page whose opsync key is ``key``."""
        world = self.confluence.world
        with world.lock:
            for page in world.pages.values():
                prop = page.props.get("opsync")
                if page.status == "current" and prop is not None and prop.value["key"] == key:
                    return page.id
        raise AssertionError(f"no generated page {key}")

    def body(self, page_id: str) -> str:
        with self.confluence.world.lock:
            return self.confluence.world.pages[page_id].body

    def record_page(self, record: str) -> str:
        collection, _, key = record.partition("/")
        return self.page_id(record_title(Collection(collection), key))

    def header(self, record: str, field: str) -> str:
        collection = Collection(record.partition("/")[0])
        return row_names(self.settings, collection)[field]

    def set_cell(self, record: str, field: str, text: str) -> None:
        """A person types ``text`` into the row ``field`` of the record's page (a save)."""
        page = self.record_page(record)
        header = re.escape(escape(self.header(record, field)))
        body = self.body(page)
        cell = re.compile(rf"(<th[^>]*>(?:<p>)?{header}(?:</p>)?</th>\s*<td[^>]*>)(.*?)(</td>)")
        edited, count = cell.subn(rf"\g<1><p>{text}</p>\g<3>", body, count=1)
        assert count == 1, (record, field, body[:600])
        self.confluence.edit(page, edited)

    def _edit(self) -> None:
        """A person writes above and below each edited page's regions and in person-owned
        rows of record pages."""
        for key in EDITED_PAGES:
            page = self.generated_id(key)
            body = self.body(page)
            self.confluence.edit(
                page, f"<p>{human(key + '-above')}</p>{body}<p>{human(key + '-below')}</p>"
            )
        for record, field in EDITED_RECORDS.items():
            self.set_cell(record, field, human(record))

    def dump(self) -> dict[str, Any]:
        world = self.confluence.world
        out: dict[str, Any] = {"files": _files(self.work)}
        with world.lock:
            live = {p.id: p for p in world.pages.values() if p.status == "current"}
            pages = []
            for page in live.values():
                parent = live[page.parent].title if page.parent in live else str(page.parent)
                # The version a write made and the hashes it replaced are bookkeeping: a
                # rerun after a kill may hold other ones for the same content. Every
                # page's property and labels are compared, publication logs' too (a create
                # killed before them is finished by the next run).
                # The write lease's expiry and generation (connectors/confluence/lease.py)
                # count the writing runs, which faults change: only whether it is free is
                # compared (released, or held by a process that is gone, which the next
                # writing run takes at once), as for the other targets.
                props = {
                    k: _lease(p.value)
                    if k == LEASE_KEY
                    else {f: v for f, v in p.value.items() if f not in ("version", "previous")}
                    for k, p in sorted(page.props.items())
                }
                body = _MACRO_ID.sub("", page.body)
                labels = tuple(sorted(page.labels))
                pages.append((parent, page.title, body, repr(props), labels))
        out["pages"] = sorted(pages)
        # Two live pages under one parent with one title or one opsync key: a duplicate.
        places = Counter((p[0], p[1]) for p in pages)
        places.update(
            (str(page.parent), f"key {page.props['opsync'].value.get('key')}")
            for page in live.values()
            if "opsync" in page.props
        )
        out["duplicates"] = sorted(repr(place) for place, n in places.items() if n > 1)
        return out


def _as_made_by_people(confluence: ConfluenceEmulator) -> None:
    """The seeded record pages become pages people made by hand (no opsync property: opsync
    finds them by their "opsync key" row and owns none of their rows until it writes one)."""
    world = confluence.world
    with world.lock:
        for page in world.pages.values():
            page.props.pop("opsync", None)
            page.author = "person"


def _lease(value: Any) -> str:
    holder = Holder.parse(str(value.get("holder") or ""))
    return "<lease free>" if holder is None or holder.dead() else "<lease held>"
