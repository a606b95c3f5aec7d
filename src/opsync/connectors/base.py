"""What the engine asks of a connector, one small protocol per role.

The engine sees connectors only through these protocols and plain data, never a vendor
type: a connector translates its service's records into domain models (reads) and applies
the engine's operations (writes). Each operation carries the stable key of what it creates,
and the connector stores that key in the target, so a lost state store never duplicates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable

from opsync.documents.model import Document
from opsync.domain.findings import Finding


class Role(StrEnum):
    TRACKER = "tracker"  # reads releases (Jira, Linear, a tracker export)
    WIKI = "wiki"  # reads and writes record collections (Notion, Confluence, folders)
    PAGES = "pages"  # writes generated pages (the wiki connector, for now)
    NOTIFIER = "notifier"  # sends messages exactly once
    FEEDS = "feeds"  # holds files opsync owns whole, such as the ritual calendar
    SIGNALS = "signals"  # reads what people said in chat: reactions, pings, requests


@dataclass(frozen=True)
class Capabilities:
    roles: frozenset[Role]
    incremental: bool = False
    page_format: str | None = None  # "markdown" | "notion" | "confluence"
    requests_per_second: float | None = None  # pacing budget; None = not rate limited


class Ownership(StrEnum):
    """Where one thing opsync owns stands (a record's owned fields, a page region), told
    from the fingerprint the target stores beside it and the one before it.

    Every connector reports its owned things in these three states and the plan decides
    what to do with each in one place (``engine/plan.py``): a connector never decides
    whether to overwrite, it only says what it sees.
    """

    CLEAN = "clean"  # holds what opsync last wrote (or opsync never wrote it): plan freely
    EDITED = "edited"  # a person changed it since opsync wrote it: a conflict, never a write
    # opsync's own write, cut short (a killed run, a write that failed part-way): not a
    # person's edit, and written once more even when it already holds what is wanted, so
    # the target records the write as whole
    INTERRUPTED = "interrupted"
    # a page region whose markers a person broke (a begin without its end, and so on): opsync
    # cannot tell where it ends, so it neither writes it, nor adds it again, nor removes it,
    # not even forced; the connector reports a finding that says how to repair the markers
    DAMAGED = "damaged"


@dataclass(frozen=True)
class RecordState:
    """A record as the target holds it: the values of the fields opsync owns on it, where a
    person finds it, and the state of its owned fields. ``edited`` names the owned fields a
    person changed (the record is then ``EDITED``, unless opsync's own create was cut short,
    which makes every row opsync's)."""

    ref: str
    path: str
    owned: Mapping[str, Any]
    edited: frozenset[str] = frozenset()
    interrupted: bool = False

    @property
    def ownership(self) -> Ownership:
        if self.interrupted:
            return Ownership.INTERRUPTED
        return Ownership.EDITED if self.edited else Ownership.CLEAN


@dataclass(frozen=True)
class RegionState:
    """An owned region of a page: its content as the target stores it (or its fingerprint),
    and its state. ``by_person``: the target names someone other than opsync as the last
    editor of what the region holds (Notion's ``last_edited_by`` on its blocks), so an
    ``EDITED`` region is a person's edit for certain, even on a page whose last write the
    journal shows unfinished (``engine/actual.settle``)."""

    content: str
    ownership: Ownership = Ownership.CLEAN
    by_person: bool = False


@dataclass(frozen=True)
class PageState:
    """A generated page: where a person finds it, its owned regions, and, for the pages whose
    text the rules read (enablement bundles, :mod:`opsync.connectors.bundles`), its text as
    Markdown, opsync's regions left out or left as their markers."""

    key: str
    path: str
    regions: Mapping[str, RegionState]
    text: str | None = None


#: What a tracker may hold for opsync on a release when write-back is on (each optional, per
#: config): the enablement status (a Jira field, a Linear label), the next enablement deadline
#: (a date), the bundle page's URL in a field, and a link object to the bundle page (a Jira
#: remote link, a Linear attachment) that the tracker finds again by a stable id, so a lost
#: state store never adds a second one.
WRITE_BACK = ("enablement_status", "next_deadline", "bundle_link", "bundle_page")


@dataclass
class TrackerRead:
    """Release rows as the tracker holds them, by release key, in the flat field names of
    :mod:`opsync.connectors.records` (``TRACKER_FIELDS``), and rows it could not use.
    ``source`` names the tracker in findings (a file, a site). ``owned``: with write-back
    on, what each release holds of :data:`WRITE_BACK` (values as domain values: a date for
    ``next_deadline``, text for the rest) and which of them a person changed since opsync
    last wrote them (``RecordState.edited``)."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    source: str = "tracker"
    owned: dict[str, RecordState] = field(default_factory=dict)


@dataclass
class ReadResult:
    """What a wiki read found, as the target holds it: each record's fields (flat names, by
    record ref, in the order read) and the state of what opsync owns on it, each generated
    page's regions and text, and findings about what could not be read. The engine builds
    the domain snapshot from it (``engine/snapshot.py``), the same way for every wiki."""

    records: dict[str, RecordState] = field(default_factory=dict)
    fields: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    pages: dict[str, PageState] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class RecordWrite:
    """Create (``create=True``) or update the owned fields of one record.

    ``people``: fields written as people's, not opsync's: the target holds them like any
    field a person typed, and records no ownership for them, so a later sync neither
    reports a change to them as an edit nor clears them. Only ``opsync migrate`` writes
    them (the engine writes derived fields and logs, which are opsync's)."""

    ref: str
    values: Mapping[str, Any]
    create: bool = False
    body: str = ""
    people: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PageWrite:
    """Create a page, or replace some of its owned regions; ``document`` is the whole page."""

    key: str
    document: Document
    regions: tuple[str, ...] = ()  # region keys to rewrite; all when creating
    create: bool = False
    # the page as the rules made it, with links to other generated pages by key: the engine
    # fills their URLs in as it writes (engine/pagelinks.py); a connector never sees it
    linked: Document | None = None
    # each region to rewrite as the plan rendered it from ``document`` with the target's own
    # ``render_region`` (a Markdown target, which compares text): the write uses it instead
    # of rendering the region again (a large page's region is seconds of work); None when
    # the plan did not render it, or the document was changed since (its links filled in)
    rendered: Mapping[str, str] | None = None


@dataclass(frozen=True)
class FileWrite:
    """A file opsync owns entirely, e.g. the ritual calendar feed."""

    key: str
    content: str


@dataclass(frozen=True)
class TrackerWrite:
    """Write-back onto one release in the tracker: ``values`` by :data:`WRITE_BACK` name,
    only those that change. ``page`` names the generated bundle page whose URL is the
    value of ``bundle_link`` and ``bundle_page`` when the page is created in the same run
    (it has no URL before then): the engine fills those in just before the write."""

    key: str
    values: Mapping[str, Any]
    page: str | None = None


@dataclass(frozen=True)
class Message:
    """A message sent exactly once, whatever the notifier.

    ``channel`` addresses it: ``#name`` (a chat channel), ``dm:<person id>`` (a direct
    message to a person), ``email:<list>`` (a configured recipient list) or
    ``email-dm:<person id>`` (an email to a person). ``text`` reads on its own as plain text;
    ``document``, when given, is the same content structured, for notifiers that format
    (Block Kit, HTML). ``announces`` names the generated page the message is about: the
    message goes out only once that page exists in the wiki, and carries its ``link``,
    which the engine fills in just before sending (a page created in this run has no URL
    before then).
    """

    key: str
    channel: str
    text: str
    title: str = ""
    document: Document | None = None
    announces: str | None = None
    link: str | None = None


@runtime_checkable
class Fingerprinted(Protocol):
    """A connector that can tell, without reading, whether a run's reads of it would see
    anything other than last time: the run's memo (engine/memo.py) then skips a run of
    unchanged inputs. A connector that cannot tell cheaply (a remote service) does not
    implement it, and runs that use it are never skipped."""

    def inputs_fingerprint(self) -> str | None:
        """A digest of everything a run's reads of this connector return; None when it
        cannot be told now (a file changed too recently): the run is then a full one."""
        ...


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


@runtime_checkable
class TrackerSink(Protocol):
    """A tracker that writes opsync's values back onto its releases (optional, per config)."""

    def writes_back(self) -> frozenset[str]:
        """The :data:`WRITE_BACK` names this tracker is configured to write; empty: none."""
        ...

    def write_release(self, op: TrackerWrite) -> None:
        """Write ``op.values`` onto release ``op.key``, only what the tracker does not hold
        already; raises ``ConflictError`` when a person changed one of them since the read."""
        ...


class RecordSource(Protocol):
    """Reads the wiki's records and generated pages, and the state of what opsync owns."""

    def read(self) -> ReadResult: ...


class RecordSink(Protocol):
    def write_record(self, op: RecordWrite) -> None: ...


class PageStore(Protocol):
    def render_region(self, document: Document, region: str) -> str:
        """The region's content as this target stores it, to compare with what is there."""
        ...

    def write_page(self, op: PageWrite) -> None: ...

    def page_url(self, key: str) -> str | None:
        """Where a person opens generated page ``key`` now (a URL, or a path for a folder
        without a configured base URL), or None when the page does not exist."""
        ...


class FeedStore(Protocol):
    def read_file(self, key: str) -> str | None: ...

    def write_file(self, op: FileWrite) -> None: ...


class Notifier(Protocol):
    def accepts(self, channel: str) -> bool:
        """Whether this notifier delivers to ``channel`` (see :class:`Message`)."""
        ...

    def sent(self, wanted: Sequence[Message], unsure: frozenset[str]) -> set[str]:
        """The keys among ``wanted`` already sent. ``unsure`` are the keys whose send a run
        started and never saw finish (the journal's word): the notifier must find out from
        the target whether they went out, where the target can tell."""
        ...

    def send(self, message: Message) -> None:
        """Send once; the message key is stored with the message in the target."""
        ...


@dataclass(frozen=True)
class SignalAsk:
    """What the engine asks a chat service to read back in one run (``engine/signals.py``),
    each part off when empty. ``now`` is the run's instant (``--now`` in a simulation): the
    windows and weeks below are counted from it.

    ``reactions``: the key prefixes of messages whose reactions are read (``survey/``), for
    messages posted less than ``reaction_days`` ago; older ones keep what was last read.
    ``ping_channels``: channels whose messages matching ``ping_patterns`` (regular
    expressions, case-insensitive) are counted per ISO week from ``ping_since`` on, weeks
    counted in ``timezone``. ``intake_channel``: the channel whose messages of the last
    ``intake_days`` are requests to Product Ops.
    """

    now: datetime | None = None
    timezone: str = "UTC"
    reactions: tuple[str, ...] = ()
    reaction_days: int = 14
    ping_channels: tuple[str, ...] = ()
    ping_patterns: tuple[str, ...] = ()
    ping_since: date | None = None
    intake_channel: str | None = None
    intake_days: int = 14

    def __bool__(self) -> bool:
        return bool(self.reactions or self.ping_channels or self.intake_channel)


@dataclass(frozen=True)
class Reaction:
    """The reactions one user left on one message opsync sent (by its message key).
    ``person`` is the configured person the user is, when known; ``on`` the day the message
    was posted."""

    message: str
    user: str
    person: str | None
    names: tuple[str, ...]
    on: date


@dataclass(frozen=True)
class PingCount:
    """Messages matching the ping patterns in ``channel`` in the ISO week starting
    ``week`` (a Monday), counted once the week was over."""

    channel: str
    week: date
    count: int


@dataclass(frozen=True)
class ChatRequest:
    """A person's top-level message in the intake channel: ``key`` is stable from the
    channel and the message's ts, so reading it again never makes a second request."""

    key: str
    channel: str
    text: str
    user: str
    person: str | None
    on: date
    link: str | None = None


@dataclass
class Signals:
    """What a chat service read back for a :class:`SignalAsk`, and findings about what it
    could not read (a channel the app is not in, a missing scope)."""

    reactions: list[Reaction] = field(default_factory=list)
    pings: list[PingCount] = field(default_factory=list)
    requests: list[ChatRequest] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


@runtime_checkable
class SignalSource(Protocol):
    """A connector that reads back what people said in chat (Slack): reactions to the
    survey messages opsync sent, status pings, requests in the intake channel."""

    def read_signals(self, ask: SignalAsk) -> Signals: ...


@runtime_checkable
class Leased(Protocol):
    """A target that keeps its one-writer lease in itself (see ``connectors/lease.py``), so
    that writers with different state stores, on different hosts, still exclude each other."""

    def hold(self, writer: str) -> AbstractContextManager[None]:
        """Held around a writing run; ``writer`` is the state store's writer id. Releases
        the lease on exit if the run took it."""
        ...

    def claim(self) -> None:
        """Take the lease before the run's first write; raises ``LockHeld`` (exit 4) when
        another writer holds it, or wrote since this run read."""
        ...


class WikiConnector(Connector, RecordSource, RecordSink, PageStore, Protocol):
    """The connector that holds the records and the generated pages."""


@runtime_checkable
class ReadFingerprinted(Protocol):
    """A record source that can tell, cheaply and without reading, whether its next
    :meth:`~RecordSource.read` would see what an earlier one saw (the local workspace:
    from a stat of each file). Optional: :func:`read_fingerprint` is None for the others."""

    def read_fingerprint(self) -> str | None:
        """A digest of everything :meth:`~RecordSource.read` depends on: equal digests, an
        equal read. None: unknown (read, as always)."""
        ...


@runtime_checkable
class ReleasesFingerprinted(Protocol):
    """The same for a tracker source's :meth:`~TrackerSource.read_releases`."""

    def releases_fingerprint(self) -> str | None: ...


def read_fingerprint(source: object) -> str | None:
    """``source``'s read fingerprint; None (unknown) for a source that has none, so a
    caller skips a read only on the word of a source that can give it."""
    return source.read_fingerprint() if isinstance(source, ReadFingerprinted) else None


def releases_fingerprint(source: object) -> str | None:
    """The same for a tracker source's releases (:class:`ReleasesFingerprinted`)."""
    return source.releases_fingerprint() if isinstance(source, ReleasesFingerprinted) else None


class Workspace(WikiConnector, TrackerSource, FeedStore, Notifier, Protocol):
    """A connector that plays every role, as the embedded local workspace does."""
