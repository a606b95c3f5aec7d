"""A toy wiki connector: the smallest honest one, for connector authors to read beside the
contract suite (:mod:`opsync.testing.contract`), which it passes.

Its "service" is one JSON file holding a list of rows, records and pages alike, each with
the key opsync gave it: a lookup by key, never a dictionary, so a create that forgot to
look would show as a duplicate row. Beside what opsync owns, each row keeps the fingerprint
of what opsync last wrote and the one it replaces, stored by a first save *before* a second
save writes the content: a kill between the two leaves content matching ``previous``, which
reads as opsync's own write cut short (``INTERRUPTED``), not as a person's edit.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

from opsync.connectors.base import (
    Capabilities,
    Ownership,
    PageState,
    PageWrite,
    ReadResult,
    RecordState,
    RecordWrite,
    RegionState,
    Role,
)
from opsync.connectors.config import ConnectorConfig
from opsync.connectors.context import ConnectorContext
from opsync.documents import markdown
from opsync.documents.model import Document, find_region, region_keys
from opsync.domain import Finding

Row = dict[str, Any]


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    raise TypeError(f"{type(value).__name__} is not stored by the toy wiki")


def _decode(value: dict[str, Any]) -> Any:
    if "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    if "$date" in value:
        return date.fromisoformat(value["$date"])
    return value


def fingerprint(value: Any) -> str:
    blob = json.dumps(value, sort_keys=True, default=_encode, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def ownership(current: str, stored: str | None, previous: str | None) -> Ownership:
    if stored is None or current == stored:
        return Ownership.CLEAN
    return Ownership.INTERRUPTED if current == previous else Ownership.EDITED


class ToyWiki:
    name: ClassVar[str] = "toy"
    capabilities: ClassVar[Capabilities] = Capabilities(
        roles=frozenset({Role.WIKI, Role.PAGES}), page_format="markdown"
    )

    def __init__(self, path: Path) -> None:
        self.path = path
        self._reads = self._writes = 0

    def close(self) -> None:
        return None

    def check(self) -> list[Finding]:
        return []

    def counts(self) -> dict[str, int]:
        return {"reads": self._reads, "writes": self._writes}

    def load(self) -> list[Row]:
        self._reads += 1
        if not self.path.is_file():
            return []
        rows: list[Row] = json.loads(self.path.read_text(encoding="utf-8"), object_hook=_decode)
        return rows

    def save(self, rows: list[Row]) -> None:
        """One save of the whole service, put in place at once (one step of a write)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(rows, default=_encode, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)
        self._writes += 1

    @staticmethod
    def find(rows: list[Row], kind: str, key: str) -> Row | None:
        return next((r for r in rows if r["kind"] == kind and r["key"] == key), None)

    def read(self) -> ReadResult:
        result = ReadResult()
        for row in self.load():
            if row["kind"] == "record":
                values = row["values"]
                state = ownership(fingerprint(values), row.get("sum"), row.get("previous"))
                result.records[row["key"]] = RecordState(
                    ref=row["key"],
                    path=f"toy:{row['key']}",
                    owned=values,
                    edited=frozenset(values) if state is Ownership.EDITED else frozenset(),
                    interrupted=state is Ownership.INTERRUPTED,
                )
                result.fields[row["key"]] = values
            else:
                sums, previous = row["sums"], row["previous"]
                regions = {
                    key: RegionState(
                        text, ownership(fingerprint(text), sums.get(key), previous.get(key))
                    )
                    for key, text in row["regions"].items()
                }
                result.pages[row["key"]] = PageState(row["key"], f"toy:{row['key']}", regions)
        return result

    def write_record(self, op: RecordWrite) -> None:
        rows = self.load()
        row = self.find(rows, "record", op.ref)
        if row is None:
            row = {"kind": "record", "key": op.ref, "values": {}}
            rows.append(row)
        values = dict(op.values)
        row["previous"], row["sum"] = fingerprint(row["values"]), fingerprint(values)
        self.save(rows)
        row["values"] = values
        self.save(rows)

    def render_region(self, document: Document, region: str) -> str:
        node = find_region(document.children, region)
        return markdown.render_blocks(node.children) if node is not None else ""

    def page_url(self, key: str) -> str | None:
        return f"toy://{self.name}/{key}" if self.find(self.load(), "page", key) else None

    def write_page(self, op: PageWrite) -> None:
        rows = self.load()
        row = self.find(rows, "page", op.key)
        if row is None:
            row = {"kind": "page", "key": op.key, "regions": {}, "sums": {}, "previous": {}}
            rows.append(row)
        keys = op.regions if op.regions and not op.create else region_keys(op.document.children)
        wanted = {
            k: self.render_region(op.document, k)
            for k in keys
            if find_region(op.document.children, k) is not None
        }
        have = row["regions"]
        row["previous"] = {k: fingerprint(have[k]) for k in keys if k in have}
        row["sums"] = {
            **{k: v for k, v in row["sums"].items() if k not in keys},
            **{k: fingerprint(t) for k, t in wanted.items()},
        }
        self.save(rows)
        row["regions"] = {**{k: v for k, v in have.items() if k not in keys}, **wanted}
        self.save(rows)


class ToyConfig(ConnectorConfig):
    """``[connectors.<name>]`` with ``type = "toy"``: where the service's file is."""

    type: Literal["toy"] = "toy"
    path: Path


class ToyFactory:
    """What an entry point of the ``opsync.connectors`` group would name."""

    name = "toy"
    config_model = ToyConfig
    roles = ToyWiki.capabilities.roles

    def create(self, ctx: ConnectorContext) -> ToyWiki:
        return ToyWiki(ctx.settings_as(ToyConfig).path)


factory = ToyFactory()
