"""What the engine asks of a connector, one small protocol per role.

The engine sees connectors only through these protocols and plain data, never a vendor
type: a connector translates its service's records into domain models (reads) and applies
the engine's operations (writes). Each operation carries the stable key of what it creates,
and the connector stores that key in the target, so a lost state store never duplicates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable

from opsync.documents.model import Document
from opsync.domain.findings import Finding
from opsync.domain.snapshot import Snapshot


class Role(StrEnum):
    TRACKER = "tracker"  # reads releases (Jira, Linear, a tracker export)
    WIKI = "wiki"  # reads and writes record collections (Notion, Confluence, folders)
    PAGES = "pages"  # writes generated pages (the wiki connector, for now)
    NOTIFIER = "notifier"  # sends messages exactly once
    FEEDS = "feeds"  # holds files opsync owns whole, such as the ritual calendar


@dataclass(frozen=True)
class Capabilities:
    roles: frozenset[Role]
    incremental: bool = False
    page_format: str | None = None  # "markdown" | "notion" | "confluence"
    requests_per_second: float | None = None  # pacing budget; None = not rate limited


@dataclass(frozen=True)
class RecordState:
    """A record as the target holds it: the values of the fields opsync owns on it."""

    ref: str
    path: str
    owned: Mapping[str, Any]
    edited: frozenset[str] = frozenset()  # owned fields a person changed since opsync wrote them
    # opsync's own create that a killed run left without what its follow-up requests add
    # (Confluence's label and property): written once more, even create-only or unchanged,
    # or the record would never get them
    unfinished: bool = False


@dataclass(frozen=True)
class RegionState:
    content: str
    edited: bool
    # opsync's own write that landed whole while its fingerprint did not (a write killed
    # before its last request): not a person's edit, but the page is written once more so
    # that the target records it
    restamp: bool = False


@dataclass(frozen=True)
class PageState:
    key: str
    path: str
    regions: Mapping[str, RegionState]


@dataclass
class TrackerRead:
    """Release rows as the tracker holds them, by release key, in the flat field names of
    :mod:`opsync.connectors.records` (``TRACKER_FIELDS``), and rows it could not use."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


@dataclass
class ReadResult:
    """Everything a read produced: the domain snapshot, the targets' current state of what
    opsync owns, and findings about records that could not be read."""

    snapshot: Snapshot
    records: dict[str, RecordState] = field(default_factory=dict)
    pages: dict[str, PageState] = field(default_factory=dict)
    sent: set[str] = field(default_factory=set)
    files: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class RecordWrite:
    """Create (``create=True``) or update the owned fields of one record."""

    ref: str
    values: Mapping[str, Any]
    create: bool = False
    body: str = ""


@dataclass(frozen=True)
class PageWrite:
    """Create a page, or replace some of its owned regions; ``document`` is the whole page."""

    key: str
    document: Document
    regions: tuple[str, ...] = ()  # region keys to rewrite; all when creating
    create: bool = False


@dataclass(frozen=True)
class FileWrite:
    """A file opsync owns entirely, e.g. the ritual calendar feed."""

    key: str
    content: str


@dataclass(frozen=True)
class Message:
    key: str
    channel: str
    text: str


@runtime_checkable
class Connector(Protocol):
    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def check(self) -> list[Finding]: ...

    def counts(self) -> dict[str, int]:
        """Requests made so far, as ``{"reads": n, "writes": m}``."""
        ...

    def close(self) -> None:
        """Release what the connector holds open (HTTP connections); called once, after
        the run or the check it was built for."""
        ...


class TrackerSource(Protocol):
    def read_releases(self) -> TrackerRead: ...


class RecordSource(Protocol):
    """Reads the wiki's records and pages into a snapshot plus the state of what opsync owns.

    Releases are built from the tracker's rows merged with the wiki's release records; a
    connector that is also the tracker reads its own rows when ``tracker`` is None.
    """

    def read(self, tracker: TrackerRead | None = None) -> ReadResult: ...


class RecordSink(Protocol):
    def write_record(self, op: RecordWrite) -> None: ...


class PageStore(Protocol):
    def render_region(self, document: Document, region: str) -> str:
        """The region's content as this target stores it, to compare with what is there."""
        ...

    def write_page(self, op: PageWrite) -> None: ...


class FeedStore(Protocol):
    def read_file(self, key: str) -> str | None: ...

    def write_file(self, op: FileWrite) -> None: ...


class Notifier(Protocol):
    def sent(self) -> set[str]:
        """Keys of the messages already sent, read back from the target."""
        ...

    def send(self, message: Message) -> None:
        """Send once; the message key is stored with the message in the target."""
        ...


class WikiConnector(Connector, RecordSource, RecordSink, PageStore, Protocol):
    """The connector that holds the records and the generated pages."""


class Workspace(WikiConnector, TrackerSource, FeedStore, Notifier, Protocol):
    """A connector that plays every role, as the embedded local workspace does."""
