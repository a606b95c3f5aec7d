"""Desired state: what the targets should hold after this run, computed from the rules.

Level-triggered: it is recomputed in full on every run from the snapshot, so a run never
depends on what an earlier run did, only on what the targets hold now.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any

from opsync.connectors.base import Message
from opsync.documents.model import Document
from opsync.domain import Collection, Release, ref
from opsync.engine import pagelinks, reasons
from opsync.engine.writeback import DesiredWriteBack
from opsync.rules.output import RuleOutput, built

MIRRORED_RELEASE_FIELDS = (
    "title",
    "tier",
    "launch_date",
    "launched",
    "product_area",
    "pm",
    "eng_lead",
)


@dataclass(frozen=True)
class DesiredRecord:
    collection: str
    key: str
    values: Mapping[str, Any]
    create: bool = False  # create the record when the target has none (mirrored releases)
    create_only: bool = False  # a publication log: written once, never updated
    reason: str = ""
    after: str | None = None  # a page that must be written first (the page a log records)


@dataclass(frozen=True)
class DesiredPage:
    key: str
    kind: str
    # its links to other generated pages as the read knows their URLs; or, for a page the
    # rules defer (GeneratedDocument.deferred), what builds it: the plan asks once (tree)
    document: Document | Callable[[], Document]
    linked: Document | None = None  # with those links by key, for the write (pagelinks.py)
    links_to: tuple[str, ...] = ()

    def tree(self) -> Document:
        """The page's tree, built now if it was deferred (not kept: the plan lets it go)."""
        return built(self.document)


@dataclass(frozen=True)
class DesiredMessage:
    key: str
    channel: str
    text: str
    reason: str
    title: str = ""
    document: Document | None = None
    announces: str | None = None

    def message(self) -> Message:
        return Message(
            key=self.key,
            channel=self.channel,
            text=self.text,
            title=self.title,
            document=self.document,
            announces=self.announces,
        )


@dataclass
class Desired:
    records: dict[str, DesiredRecord] = field(default_factory=dict)
    pages: dict[str, DesiredPage] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    messages: dict[str, DesiredMessage] = field(default_factory=dict)
    # what each release should hold in the tracker, when it writes back (engine/writeback.py)
    tracker: dict[str, DesiredWriteBack] = field(default_factory=dict)


#: Types stored as they are; exact types, so enums (str and int subclasses) and datetimes
#: (a date subclass) still take their conversion below.
_AS_IS: frozenset[type] = frozenset({str, int, float, bool, date, type(None)})


def plain(value: Any) -> Any:
    """A value as a target stores it: enums by value, tuples as lists, datetimes as ISO text."""
    if type(value) in _AS_IS:  # most values, checked first: this runs for every field
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, date | str | int | float | bool) or value is None:
        return value
    return str(value)


def _release_values(release: Release) -> dict[str, Any]:
    return {name: plain(getattr(release, name)) for name in MIRRORED_RELEASE_FIELDS}


def build(
    releases: tuple[Release, ...],
    output: RuleOutput,
    files: Mapping[str, str],
    existing: set[str],
    page_url: pagelinks.UrlOf,
) -> Desired:
    """Desired state from the rules' output; ``existing`` are the record refs the wiki holds
    (derived fields are written only onto records that exist, except mirrored releases);
    ``page_url`` the wiki's addresses of the pages its read found, which pages link to (the
    same lookup the write makes, engine/pagelinks.py, so both resolve a link alike)."""
    desired = Desired(files=dict(files))
    url_of = pagelinks.web_only(page_url)
    for release in releases:
        record = ref(Collection.RELEASES, release.key)
        values = _release_values(release)
        values.update({k: plain(v) for k, v in output.derived.get(record, {}).items()})
        desired.records[record] = DesiredRecord(
            collection=Collection.RELEASES.value,
            key=release.key,
            values=values,
            create=True,
            reason=reasons.record_created(Collection.RELEASES.value),
        )
    for record, fields in sorted(output.derived.items()):
        if record in desired.records or record not in existing:
            continue
        collection, _, key = record.partition("/")
        desired.records[record] = DesiredRecord(
            collection=collection,
            key=key,
            values={k: plain(v) for k, v in fields.items()},
        )
    for seed in output.seeds:
        record = ref(seed.collection, seed.key)
        desired.records.setdefault(
            record,
            DesiredRecord(
                collection=seed.collection.value,
                key=seed.key,
                values={k: plain(v) for k, v in seed.values.items()},
                create=True,
                create_only=not seed.updates,
                reason=reasons.seed(seed.collection.value, seed.updates, seed.page),
                after=seed.page,
            ),
        )
    for doc in output.documents:
        if not doc.links_to:
            desired.pages[doc.key] = DesiredPage(doc.key, doc.kind.value, doc.source)
            continue
        desired.pages[doc.key] = DesiredPage(
            key=doc.key,
            kind=doc.kind.value,
            document=pagelinks.resolve(doc.document, url_of),
            linked=doc.document,
            links_to=doc.links_to,
        )
    for note in output.notifications:
        desired.messages[note.key] = DesiredMessage(
            note.key,
            note.channel,
            note.text,
            note.reason,
            title=note.title,
            document=note.document,
            announces=note.announces,
        )
    return desired
