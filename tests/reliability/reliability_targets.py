"""The targets the reliability tests run against, behind one small interface.

A target is the bundled Acme organisation synced once at ``BASE_NOW`` (a week before
``NOW``), with a person's text then added around owned regions and in person-owned fields.
That state is kept ("pristine") and restored before each trial; the trial's sync at
``NOW`` updates those pages and records, creates pages, a record and messages. ``dump``
gives a normalised picture of everything the target holds (ids and timestamps left out),
so the end state of a trial compares with a clean run's by equality, and duplicates show
as extra rows or files.

Adding a connector is one more class (as ``reliability_atlassian.py`` does for Jira and
Confluence) and one more entry in ``TARGETS``: the crash and edit tests are parametrised
over it.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Protocol

from opsync import api
from opsync.config import load_config
from opsync.connectors.base import RecordWrite
from opsync.connectors.lease import LEASE_KEY, Holder, Lease
from opsync.connectors.local import frontmatter
from opsync.connectors.notion.bootstrap import bootstrap
from opsync.connectors.notion.client import NotionApi
from opsync.connectors.notion.config import NotionConnectorConfig, property_names
from opsync.connectors.notion.connector import NotionWiki
from opsync.connectors.notion.reader import owned_fields
from opsync.connectors.records import RECORD_MODELS, RELEASE_WIKI_FIELDS, WRITTEN_WHOLE
from opsync.domain import Collection
from opsync.http import TokenBucket
from opsync.testing.emulators.notion import NotionEmulator

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "opsync" / "examples" / "acme"
BASE_NOW = "2026-11-26T15:00:00-05:00"
NOW = "2026-12-03T15:00:00-05:00"
# Pages and records the sync at NOW rewrites, where a person left text before it.
EDITED_PAGES = ("scorecard/2026-Q4", "bundle/ACME-131", "decision-review/2026-12-08")
EDITED_RECORDS = {"decisions/DEC-017": "rationale", "decisions/DEC-019": "context"}
# A block's parent is where it is nested in the dump already; its id differs between runs.
_VOLATILE = {"id", "parent", "created_time", "last_edited_time", "created_by", "last_edited_by"}


def human(where: str) -> str:
    """The text a person wrote at ``where``: searched for verbatim after every trial."""
    return f"HUMAN-{where.replace('/', '-')}"


def human_texts() -> list[str]:
    texts = [human(f"{page}-above") for page in EDITED_PAGES]
    texts += [human(f"{page}-below") for page in EDITED_PAGES]
    return texts + [human(record) for record in EDITED_RECORDS]


class Target(Protocol):
    name: str
    work: Path  # the folder of the current trial
    config: Path  # its config file

    def restore(self) -> None: ...

    def state(self) -> Path: ...

    def session(self) -> AbstractContextManager[None]: ...

    def dump(self) -> dict[str, Any]: ...

    def env(self) -> dict[str, str]: ...


# A page's id in a link a message carries (Notion's 32 hex digits, Confluence's page id):
# made afresh by every run against a fresh emulator, like the ids the dumps leave out.
_PAGE_ID = re.compile(r"[0-9a-f]{32}|/pages/\d+")


def _files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): _lease_or(_text(p), p.name)
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".opsync" not in p.parts and not p.name.endswith(".tmp")
    }


def _text(path: Path) -> str:
    """A file's text; a picture (the scorecard's chart) as a hash of its bytes."""
    data = path.read_bytes()
    if path.suffix == ".png":
        return "png " + hashlib.sha256(data).hexdigest()
    return data.decode("utf-8")


def _lease_or(text: str, name: str) -> str:
    """A file's text with page ids set aside; the write lease (``connectors/lease.py``) as
    only whether it is free: its generation counts the runs that took it (a killed run and
    its rerun take it twice), its holder and expiry name a process. A lease a killed run
    left is free too (its host sees the process is gone), whether or not a rerun that had
    nothing left to write took it since."""
    if name.endswith(".opsync-lease") or name == LEASE_KEY:
        holder = Holder.parse(Lease.load(text).holder)
        return "<lease free>" if holder is None or holder.dead() else "<lease held>"
    return _PAGE_ID.sub("<id>", text)


def leftovers(root: Path) -> list[str]:
    """Temporary files a killed write left behind (never read, but litter)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.tmp"))


def _edit_local_pages(pages: Path) -> None:
    for key in EDITED_PAGES:
        path = pages / f"{key}.md"
        text = path.read_text(encoding="utf-8")
        head, marker, rest = text.partition("<!-- opsync:begin")
        path.write_text(
            f"{head}{human(key + '-above')}\n\n{marker}{rest}\n{human(key + '-below')}\n",
            encoding="utf-8",
        )


def _edit_local_records(wiki: Path) -> None:
    for ref, field in EDITED_RECORDS.items():
        path = wiki / f"{ref}.md"
        text = frontmatter.set_keys(path.read_text(encoding="utf-8"), {field: human(ref)})
        path.write_text(text, encoding="utf-8")


class LocalTarget:
    """The embedded local workspace (files)."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.work = root / "trial"
        self.config = self.work / "opsync.toml"
        shutil.copytree(EXAMPLE, self.work)
        api.sync(self.config, now=_when(BASE_NOW))
        _edit_local_pages(self.work / "pages")
        _edit_local_records(self.work / "wiki")
        self.pristine = root / "pristine"
        shutil.copytree(self.work, self.pristine, symlinks=True)

    def restore(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)
        shutil.copytree(self.pristine, self.work, symlinks=True)

    def env(self) -> dict[str, str]:
        return {}

    def session(self) -> AbstractContextManager[None]:
        return nullcontext()

    def state(self) -> Path:
        return self.work / ".opsync"

    def dump(self) -> dict[str, Any]:
        return {"files": _files(self.work)}


def _when(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text)


def _normal(value: Any) -> Any:
    if isinstance(value, dict):
        # a Notion-hosted file's signed url changes with every read, as does its expiry
        signed = {"url", "expiry_time"} if "expiry_time" in value else set()
        return {k: _normal(v) for k, v in sorted(value.items()) if k not in _VOLATILE | signed}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def seed_wiki(wiki: Any, folder: Path) -> None:
    """The example's wiki records written into a wiki connector (anything with
    ``write_record``) as people left them, fields opsync owns left for the sync to write."""
    for collection in (Collection.RELEASES, *RECORD_MODELS):
        for path in sorted((folder / "wiki" / collection.value).glob("*.md")):
            data = frontmatter.split(path.read_text(encoding="utf-8")).data
            key = str(data.pop("key", path.stem))
            keep = RELEASE_WIKI_FIELDS if collection is Collection.RELEASES else data
            # the weeks of the scorecard history are what earlier runs wrote: seeded whole
            owned = set() if collection in WRITTEN_WHOLE else set(owned_fields(collection))
            values = {
                k: v
                for k, v in data.items()
                if k in keep and not k.startswith("opsync") and k not in owned
            }
            wiki.write_record(
                RecordWrite(ref=f"{collection.value}/{key}", values=values, create=True)
            )


class NotionTarget:
    """The Notion connector against the emulator (releases from the tracker file; messages
    and the calendar feed in local folders, as in the Acme Notion example)."""

    name = "notion"

    def __init__(self, root: Path, emulator: NotionEmulator) -> None:
        self.emulator = emulator
        self.work = root / "trial"
        self.config = self.work / "opsync.notion.toml"
        shutil.copytree(EXAMPLE, self.work)
        with self._env():
            defaults = NotionConnectorConfig()
            notion = NotionApi(defaults, bucket=TokenBucket(1000.0, 100))
            try:
                made = bootstrap(notion, emulator.root_page_id, defaults)
            finally:
                notion.close()
            config = self.config
            text, paced = re.subn(
                r"(?m)^requests_per_second = .*$",
                "requests_per_second = 1000",
                config.read_text(encoding="utf-8"),
            )
            assert paced == 1, "the example's Notion pace was not found to raise"
            config.write_text(text + "\n" + made.config_block(defaults), encoding="utf-8")
            loaded = load_config(config)
            _, settings = loaded.wiki_connector()
            assert isinstance(settings, NotionConnectorConfig)
            self.settings = settings
            wiki = NotionWiki(settings, bucket=TokenBucket(1000.0, 100))
            try:
                seed_wiki(wiki, self.work)
            finally:
                wiki.close()
            api.sync(config, now=_when(BASE_NOW))
            self._edit()
        self.saved_world = self._world_state()
        self.pristine = root / "pristine"
        shutil.copytree(self.work, self.pristine, symlinks=True)

    @contextmanager
    def _env(self) -> Iterator[None]:
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

    def env(self) -> dict[str, str]:
        return {
            "NOTION_TOKEN": self.emulator.token,
            "OPSYNC_NOTION_BASE_URL": self.emulator.base_url,
        }

    @contextmanager
    def session(self) -> Iterator[None]:
        with self._env():
            yield

    def state(self) -> Path:
        return self.work / ".opsync"

    # The emulator's world is saved and restored whole: trials then start from the same
    # workspace, ids included, without bootstrapping and seeding again.
    def _world_state(self) -> dict[str, Any]:
        world = self.emulator._world
        with world.lock:
            return copy.deepcopy(
                {k: v for k, v in vars(world).items() if k not in ("lock", "clock")}
            )

    def restore(self) -> None:
        world = self.emulator._world
        with world.lock:
            vars(world).update(copy.deepcopy(self.saved_world))
        self.emulator.faults.clear()
        shutil.rmtree(self.work, ignore_errors=True)
        shutil.copytree(self.pristine, self.work, symlinks=True)

    def _pages_by_key(self) -> dict[str, str]:
        world = self.emulator._world
        source = self.settings_pages_source()
        key_prop = world.data_sources[source].properties["opsync key"]["id"]
        from opsync.testing.emulators.notion_rich import plain_text

        return {
            plain_text(p.values.get(key_prop, [])): p.id
            for p in world.pages.values()
            if p.data_source_id == source and not p.in_trash
        }

    def settings_pages_source(self) -> str:
        assert self.settings.pages is not None
        return self.settings.pages.data_source_id

    def _edit(self) -> None:
        """A person appends text to generated pages (outside opsync's callouts, above and
        below them) and types into person-owned properties."""
        from notion_client import Client

        person = Client(
            auth=self.emulator.person_token, base_url=self.emulator.base_url, retry=False
        )
        try:
            pages = self._pages_by_key()
            for key in EDITED_PAGES:
                page = pages[key]
                first = person.blocks.children.list(page)["results"][0]["id"]
                person.blocks.children.append(page, children=[_paragraph(human(key + "-below"))])
                person.blocks.children.append(
                    page, children=[_paragraph(human(key + "-above"))], after=first
                )
            for ref, field in EDITED_RECORDS.items():
                collection, _, key = ref.partition("/")
                names = property_names(self.settings, Collection(collection))
                source = self.settings.collections[Collection(collection)].data_source_id
                rows = person.data_sources.query(
                    source, filter={"property": names["key"], "rich_text": {"equals": key}}
                )["results"]
                kind = rows[0]["properties"][names[field]]["type"]
                value: Any = (
                    {"select": {"name": human(ref)}}
                    if kind == "select"
                    else {"rich_text": [{"type": "text", "text": {"content": human(ref)}}]}
                )
                person.pages.update(rows[0]["id"], properties={names[field]: value})
        finally:
            person.close()

    def dump(self) -> dict[str, Any]:
        world = self.emulator._world
        out: dict[str, Any] = {"files": _files(self.work), "duplicates": {}}
        with world.lock:
            for source in world.data_sources.values():
                title = "".join(t.get("plain_text", "") for t in source.title)
                rows = []
                keys: Counter[str] = Counter()
                for page in world.pages.values():
                    if page.data_source_id != source.id or page.in_trash:
                        continue
                    props = _normal(world.page_json(page)["properties"])
                    key = json_text(props.get("opsync key") or props.get("Key"))
                    keys[key] += 1
                    if key == LEASE_KEY:
                        text = json_text(props.get("opsync regions"))
                        props["opsync regions"] = _lease_or(text, LEASE_KEY)
                    rows.append({"props": props, "blocks": self._blocks(page.id)})
                rows.sort(key=repr)
                out[title] = rows
                out["duplicates"][title] = sorted(k for k, n in keys.items() if n > 1 and k)
        return out

    def _blocks(self, parent: str) -> list[Any]:
        world = self.emulator._world
        return [
            {"block": _normal(world.block_json(child)), "children": self._blocks(child)}
            for child in world.live_children(parent)
        ]


def json_text(prop: Any) -> str:
    if not isinstance(prop, dict):
        return ""
    parts = prop.get("rich_text") or prop.get("title") or []
    return "".join(p.get("plain_text", "") for p in parts)


def _paragraph(text: str) -> dict[str, Any]:
    return {
        "object": "block",
        "type": "paragraph",
        "paragraph": {"rich_text": [{"type": "text", "text": {"content": text}}]},
    }
