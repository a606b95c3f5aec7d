"""The emulated workspace: records, the clock, ids, and the JSON each object answers with.

Response shapes follow the recordings (cassettes/notion-sdk-py and
fixtures/notion_ruby_mapping, copied under tests/fixtures/notion): pages carry `in_trash`,
`is_archived` and `archived`; page, block and data source times are rounded down to the
minute, database times keep milliseconds (NOTES.md section 9).
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from opsync.testing.emulators import notion_props as props
from opsync.testing.emulators.notion_rich import plain_text

Clock = Callable[[], datetime]


def minute(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:00.000Z")


def millis(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds")


def user_ref(user_id: str) -> dict[str, Any]:
    return {"object": "user", "id": user_id}


@dataclass
class Stamp:
    """Who made an object and who last changed it, and when."""

    created: datetime
    edited: datetime
    created_by: str
    edited_by: str

    def touch(self, when: datetime, user_id: str) -> None:
        self.edited = when
        self.edited_by = user_id


@dataclass
class PageRec:
    id: str
    parent: dict[str, Any]
    stamp: Stamp
    values: dict[str, Any]
    data_source_id: str | None = None
    unique: dict[str, int] = field(default_factory=dict)
    icon: Any = None
    cover: Any = None
    in_trash: bool = False


@dataclass
class BlockRec:
    id: str
    parent: dict[str, Any]
    stamp: Stamp
    type: str
    content: dict[str, Any]
    in_trash: bool = False


@dataclass
class DataSourceRec:
    id: str
    database_id: str
    stamp: Stamp
    title: list[dict[str, Any]]
    properties: dict[str, dict[str, Any]]
    icon: Any = None
    description: list[dict[str, Any]] = field(default_factory=list)
    in_trash: bool = False
    next_unique: int = 1


@dataclass
class DatabaseRec:
    id: str
    parent: dict[str, Any]
    stamp: Stamp
    title: list[dict[str, Any]]
    data_sources: list[str]
    description: list[dict[str, Any]] = field(default_factory=list)
    icon: Any = None
    cover: Any = None
    is_inline: bool = False
    in_trash: bool = False


class World:
    """All state of one emulator; every read and write holds `lock`."""

    def __init__(self, clock: Clock, seed: int) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.rng = random.Random(seed)
        self.bot_id = self.new_id()
        self.person_id = self.new_id()
        self.pages: dict[str, PageRec] = {}
        self.blocks: dict[str, BlockRec] = {}
        self.databases: dict[str, DatabaseRec] = {}
        self.data_sources: dict[str, DataSourceRec] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, Any] = {}  # file uploads (notion_files.py)
        self.children: dict[str, list[str]] = {}
        self.root_page_id = self.new_id()
        root_title = [_text("opsync emulator root")]
        self.pages[self.root_page_id] = PageRec(
            self.root_page_id,
            {"type": "workspace", "workspace": True},
            self.stamp(self.person_id),
            {"title": root_title},
        )

    def now(self) -> datetime:
        return self.clock()

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def new_prop_id(self) -> str:
        """Short URL-encoded property ids like the real ones (`%3CnJT`): paths must encode them."""
        alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ<>:;@[]|~"
        raw = "".join(self.rng.choice(alphabet) for _ in range(4))
        return "".join(c if c.isalnum() else f"%{ord(c):02X}" for c in raw)

    def stamp(self, user_id: str) -> Stamp:
        when = self.now()
        return Stamp(when, when, user_id, user_id)

    def user(self, user_id: str) -> dict[str, Any]:
        if user_id == self.bot_id:
            return {
                "object": "user",
                "id": self.bot_id,
                "name": "opsync emulator",
                "avatar_url": None,
                "type": "bot",
                "bot": {
                    "owner": {"type": "workspace", "workspace": True},
                    "workspace_name": "opsync emulator",
                    "workspace_id": str(uuid.UUID(int=0)),
                    "workspace_limits": {"max_file_upload_size_in_bytes": 5242880},
                },
            }
        return {
            "object": "user",
            "id": self.person_id,
            "name": "Emulated Person",
            "avatar_url": None,
            "type": "person",
            "person": {"email": "person@example.com"},
        }

    def attach(self, parent_id: str, child_id: str, after: str | None = None) -> None:
        siblings = self.children.setdefault(parent_id, [])
        siblings.insert(siblings.index(after) + 1 if after else len(siblings), child_id)

    def live_children(self, parent_id: str) -> list[str]:
        return [c for c in self.children.get(parent_id, []) if not self.trashed(c)]

    def trashed(self, object_id: str) -> bool:
        record = (
            self.blocks.get(object_id) or self.pages.get(object_id) or self.databases.get(object_id)
        )
        return bool(record and record.in_trash)

    # Rendering -----------------------------------------------------------------

    def facts(self, page: PageRec) -> props.PageFacts:
        source = self.data_sources.get(page.data_source_id or "")
        return props.PageFacts(
            minute(page.stamp.created),
            minute(page.stamp.edited),
            user_ref(page.stamp.created_by),
            user_ref(page.stamp.edited_by),
            page.unique,
            self.now(),
            source.properties if source else {},
        )

    def page_json(self, page: PageRec, only: list[str] | None = None) -> dict[str, Any]:
        facts = self.facts(page)
        if page.data_source_id is None:
            shown = {"title": {"id": "title", "type": "title", "title": page.values["title"]}}
        else:
            schema = self.data_sources[page.data_source_id].properties
            shown = {
                name: props.render(prop, page.values, facts)
                for name, prop in schema.items()
                if only is None or {name, prop["id"], unquote(prop["id"])} & set(only)
            }
        return {
            "object": "page",
            "id": page.id,
            "created_time": facts.created_time,
            "last_edited_time": facts.last_edited_time,
            "created_by": facts.created_by,
            "last_edited_by": facts.last_edited_by,
            "cover": page.cover,
            "icon": page.icon,
            "parent": page.parent,
            "in_trash": page.in_trash,
            "is_archived": page.in_trash,
            "is_locked": False,
            "properties": shown,
            "url": f"https://www.notion.so/{page.id.replace('-', '')}",
            "public_url": None,
            "archived": page.in_trash,
        }

    def page_title(self, page: PageRec) -> str:
        if page.data_source_id is None:
            return plain_text(page.values["title"])
        schema = self.data_sources[page.data_source_id].properties
        title = next(p for p in schema.values() if p["type"] == "title")
        return plain_text(page.values.get(title["id"], []))

    def block_json(self, object_id: str) -> dict[str, Any]:
        """A block, or a page or database seen as the child_page / child_database block it is."""
        kind: str
        content: dict[str, Any]
        if object_id in self.blocks:
            block = self.blocks[object_id]
            parent, stamp, in_trash = block.parent, block.stamp, block.in_trash
            kind, content = block.type, block.content
        elif object_id in self.pages:
            page = self.pages[object_id]
            parent, stamp, in_trash = page.parent, page.stamp, page.in_trash
            kind, content = "child_page", {"title": self.page_title(page)}
        else:
            database = self.databases[object_id]
            parent, stamp, in_trash = database.parent, database.stamp, database.in_trash
            kind, content = "child_database", {"title": plain_text(database.title)}
        return {
            "object": "block",
            "id": object_id,
            "parent": parent,
            "created_time": minute(stamp.created),
            "last_edited_time": minute(stamp.edited),
            "created_by": user_ref(stamp.created_by),
            "last_edited_by": user_ref(stamp.edited_by),
            "has_children": bool(self.live_children(object_id)),
            "in_trash": in_trash,
            "type": kind,
            kind: content,
            "archived": in_trash,
        }

    def database_json(self, database: DatabaseRec) -> dict[str, Any]:
        return {
            "object": "database",
            "id": database.id,
            "title": database.title,
            "description": database.description,
            "parent": database.parent,
            "is_inline": database.is_inline,
            "in_trash": database.in_trash,
            "is_locked": False,
            "created_time": millis(database.stamp.created),
            "last_edited_time": millis(database.stamp.edited),
            "data_sources": [
                {"id": ds, "name": plain_text(self.data_sources[ds].title)}
                for ds in database.data_sources
            ],
            "icon": database.icon,
            "cover": database.cover,
            "url": f"https://www.notion.so/{database.id.replace('-', '')}",
            "public_url": None,
            "archived": database.in_trash,
        }

    def data_source_json(self, source: DataSourceRec) -> dict[str, Any]:
        database = self.databases[source.database_id]
        return {
            "object": "data_source",
            "id": source.id,
            "cover": None,
            "icon": source.icon,
            "created_time": minute(source.stamp.created),
            "created_by": user_ref(source.stamp.created_by),
            "last_edited_by": user_ref(source.stamp.edited_by),
            "last_edited_time": minute(source.stamp.edited),
            "title": source.title,
            "description": source.description,
            "is_inline": database.is_inline,
            "properties": source.properties,
            "parent": {"type": "database_id", "database_id": database.id},
            "database_parent": database.parent,
            "url": f"https://www.notion.so/{database.id.replace('-', '')}",
            "public_url": None,
            "in_trash": source.in_trash,
            "archived": source.in_trash,
        }


def _text(content: str) -> dict[str, Any]:
    return {
        "type": "text",
        "text": {"content": content, "link": None},
        "annotations": {
            "bold": False,
            "italic": False,
            "strikethrough": False,
            "underline": False,
            "code": False,
            "color": "default",
        },
        "plain_text": content,
        "href": None,
    }
