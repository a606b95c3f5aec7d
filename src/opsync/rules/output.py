"""What rules return: findings, derived fields, generated documents, notifications, events.

All of it is plain data; the engine turns it into operations on a target. Derived values
are scalars so that every target (front matter, Notion properties, Jira fields) can hold them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from opsync.documents.model import Document
from opsync.domain.base import Collection
from opsync.domain.findings import Finding

DerivedValue = str | int | float | bool | date | None


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DocumentKind(StrEnum):
    WEEKLY_UPDATE = "weekly_update"
    ROADMAP_VIEW = "roadmap_view"
    BUNDLE = "bundle"
    READINESS_CHECK = "readiness_check"
    POST_LAUNCH_DAY3 = "post_launch_day3"
    POST_LAUNCH_DAY14 = "post_launch_day14"
    INSIGHTS_DIGEST = "insights_digest"
    DECISION_REVIEW = "decision_review"
    SCORECARD = "scorecard"
    ACTION_LIST = "action_list"
    ROADMAP_REVIEW_PREP = "roadmap_review_prep"
    INTAKE_TRIAGE = "intake_triage"
    QBR_PACK = "qbr_pack"
    ROLLOUT_RETRO = "rollout_retro"


def built(source: Document | Callable[[], Document]) -> Document:
    """A page's tree, or the tree its builder makes now (:meth:`GeneratedDocument.deferred`)."""
    return source if isinstance(source, Document) else source()


class GeneratedDocument(_Out):
    """A page opsync generates. ``key`` is stable across runs and identifies the page in any
    target (e.g. ``weekly-update/2026-W49``); ``record`` is the record it is about, if any.

    Its tree is given (``document=``) or, for the pages there is one of per release, built
    when asked for (:meth:`deferred`): the plan builds, compares and lets go of one page at
    a time, so a run never holds every release's page at once (55 MB of trees at 10,000
    releases). A deferred page is built by a pure function of the snapshot, the same tree
    each time it is asked for."""

    key: str
    kind: DocumentKind
    record: str | None = None
    # the generated pages its page links go to (documents.model.page_link): written first
    links_to: tuple[str, ...] = ()
    _source: Document | Callable[[], Document] = PrivateAttr()

    def __init__(self, *, document: Document | Callable[[], Document], **fields: Any) -> None:
        super().__init__(**fields)
        if not isinstance(document, Document) and not callable(document):
            raise TypeError(f"generated page {self.key!r}: document is {document!r}")
        self._source = document

    @classmethod
    def deferred(
        cls, build: Callable[[], Document], *, key: str, kind: DocumentKind, record: str | None
    ) -> GeneratedDocument:
        """A page whose tree ``build`` makes when asked for (no links to other pages)."""
        return cls(document=build, key=key, kind=kind, record=record)

    @property
    def source(self) -> Document | Callable[[], Document]:
        """The tree, or what builds it."""
        return self._source

    @property
    def document(self) -> Document:
        return built(self._source)

    def transformed(self, change: Callable[[Document], Document]) -> GeneratedDocument:
        """This page with ``change`` applied to its tree, as deferred as it is."""
        source = self._source
        changed = change(source) if isinstance(source, Document) else lambda: change(source())
        return GeneratedDocument(
            document=changed,
            key=self.key,
            kind=self.kind,
            record=self.record,
            links_to=self.links_to,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GeneratedDocument):
            return NotImplemented
        mine = (self.key, self.kind, self.record, self.links_to)
        return mine == (other.key, other.kind, other.record, other.links_to) and (
            self.document == other.document
        )

    def __hash__(self) -> int:
        return hash((self.key, self.kind, self.record, self.links_to))


class Notification(_Out):
    """A message to send exactly once; ``key`` is what makes it exactly once.

    ``text`` reads on its own (plain text, the fallback of every notifier); ``document`` is
    the same content structured, which Slack renders as blocks and email as HTML.
    ``announces`` is the key of the generated page the message is about: it is sent only
    once that page exists, with its link.
    """

    key: str
    channel: str
    text: str
    reason: str
    title: str = ""
    document: Document | None = None
    announces: str | None = None


class Attendee(_Out):
    """Someone a calendar event involves, as plain data (the ICS writer makes it an
    ATTENDEE or ORGANIZER line): only people with an email address are ever listed."""

    name: str
    email: str


class CalendarEvent(_Out):
    """One ritual occurrence on the cadence calendar (exported as ICS)."""

    uid: str
    summary: str
    start: datetime
    end: datetime
    description: str = ""
    # A launch day is a day, not a slot: clients show it as a banner over the day's meetings.
    # start and end are then local midnights (end exclusive), exported as dates.
    all_day: bool = False
    # The people the ritual involves, by role (rules/invitees.py), and its owner; empty
    # when no email is known or the organisation keeps emails out of the feed.
    attendees: tuple[Attendee, ...] = ()
    organizer: Attendee | None = None


class RecordSeed(_Out):
    """A record opsync writes and owns whole. By default it is created once and never
    updated afterwards: the publication log of an artifact (a weekly update, a roadmap
    view), which later runs read back to judge lateness and to say what changed since.
    With ``updates``, every run that asks for it keeps it up to date (the scorecard's
    current week), and a run that no longer asks leaves it as it last wrote it."""

    collection: Collection
    key: str
    values: dict[str, Any]
    page: str | None = None  # the page it logs: the log is written only once that page is
    updates: bool = False


class ScoreRow(_Out):
    """One scorecard metric, for reports, dashboards and notebooks: the figures as numbers
    (``value``, ``target_value``, ``met``) and as the page shows them (``current``,
    ``target``, ``status``), so a program never parses "14.7%".

    Attributes:
        key: the metric's stable key (``stakeholder_surprise``, ``status_pings``,
            ``enablement_coverage``, ``pm_satisfaction``, ``ritual_adoption``).
        metric: its name on the page ("Stakeholder surprise").
        target, current, status, basis: the page's words ("< 10%", "14.7%", "not met",
            "3 of 31 survey answers").
        value: the ratio measured, 0.147 for 14.7%; for ``status_pings`` the drop from the
            baseline (negative when pings grew). None when there was nothing to count.
        target_value: the configured target as a ratio (0.1 for "< 10%").
        met: whether ``value`` meets the target; None when there is no data (never True).
    """

    key: str
    metric: str
    target: str
    current: str
    status: str
    basis: str
    value: float | None
    target_value: float
    met: bool | None


class RuleOutput(_Out):
    findings: tuple[Finding, ...] = ()
    derived: dict[str, dict[str, DerivedValue]] = Field(default_factory=dict)
    documents: tuple[GeneratedDocument, ...] = ()
    notifications: tuple[Notification, ...] = ()
    events: tuple[CalendarEvent, ...] = ()
    seeds: tuple[RecordSeed, ...] = ()
    scorecard: tuple[ScoreRow, ...] = ()

    def merge(self, other: RuleOutput) -> RuleOutput:
        """Both outputs combined; neither is changed.

        Built without validation (both parts are valid already), copying only the derived
        fields of the records ``other`` touches: the rules' outputs are merged one at a time,
        and copying and re-checking every derived field at each step cost seconds at 100,000
        releases.
        """
        derived = dict(self.derived)
        for record, fields in other.derived.items():
            derived[record] = {**derived[record], **fields} if record in derived else dict(fields)
        return RuleOutput.model_construct(
            findings=self.findings + other.findings,
            derived=derived,
            documents=self.documents + other.documents,
            notifications=self.notifications + other.notifications,
            events=self.events + other.events,
            seeds=self.seeds + other.seeds,
            scorecard=self.scorecard + other.scorecard,
        )

    def findings_for(self, record: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.record == record)
