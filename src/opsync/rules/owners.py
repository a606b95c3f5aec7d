"""R10 People who must act: every open finding routed to its owner, and escalations.

Owner of a finding: its code declares the role that acts (:mod:`opsync.rules.codes`). Product
Ops' and the Head of Product's findings go to that person; a PM's or an Eng lead's go to the
one named by the record the finding is about:

- a release: its PM (the release's own, else its area's), or its Eng lead likewise;
- a decision: the decision's owner;
- an insight: the PM of its area;
- an insight-review action: its owner;
- a weekly submission: the PM who wrote it; a missing one (``<week>/<area>``): the area's PM.

A record that names nobody known (an insight with no area, a release whose area has no PM)
leaves the finding unassigned: it is listed under "Unassigned" with its role, on the action
list and in the Product Ops lead's digest, for the lead to assign. A code nobody declared is
a PM's.

:func:`owner_lists` groups the open findings (warnings and errors) by owner, once, for both
the Product Ops action list (:mod:`opsync.rules.actions`, the lead's daily page) and the
digests. Each owner gets a direct message with their list, on a business
day at ``digest_time`` or later, at most one every ``digest_every_days`` (a day by default),
and only when their list differs from the
last one they were sent: the message key carries the day and a digest of the list
(``owner-digest/<person>/<day>/<digest>``), and the keys already sent, which the rules are
given, tell the last list. The Product Ops lead's digest holds every open finding, grouped by
owner. The owner's digest carries the findings' instructions; stakeholder channels never do.

Escalations (a High insight past its review, an insight-review action still open after the
review it was carried to, a Tier 3 release whose enablement is late) go once each to
``escalate_to``, or to the Head of Product when it is not set.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Protocol, TypeVar

from opsync.documents import plaintext
from opsync.documents.model import Block, Document, bullets, heading, item, para, text
from opsync.domain.base import Collection
from opsync.domain.findings import Finding, Level
from opsync.domain.people import Role
from opsync.domain.release import Release, Tier
from opsync.domain.snapshot import Snapshot
from opsync.rules.actions import ACTION_LIST, OwnerList, due_text, page, rank
from opsync.rules.codes import CODES, Owner
from opsync.rules.context import RuleContext
from opsync.rules.dates import DateWords, date_words
from opsync.rules.output import Notification, RuleOutput
from opsync.rules.sections import OWNERS, cite
from opsync.rules.wording import capped, more

DIGEST = "owner-digest"
ESCALATION = "escalation"


class _HasKey(Protocol):
    @property
    def key(self) -> str: ...


_Keyed = TypeVar("_Keyed", bound=_HasKey)


def product_ops_lead(ctx: RuleContext) -> str | None:
    chosen = ctx.settings.owners.product_ops
    if chosen:
        return chosen
    return next((p.key for p in ctx.snapshot.people if p.role is Role.PRODUCT_OPS), None)


def head_of_product(snapshot: Snapshot) -> str | None:
    return next((p.key for p in snapshot.people if p.role is Role.HEAD_OF_PRODUCT), None)


def role_of(finding: Finding) -> Owner:
    code = CODES.get(finding.code)
    return code.owner if code is not None else Owner.PM


def owner_of(finding: Finding, ctx: RuleContext, lead: str | None) -> str | None:
    """The person who must act on ``finding`` (a person key; ``lead`` for Product Ops), or
    None when nobody known can be named (the finding is then unassigned)."""
    return _Owners(ctx.snapshot, lead).of(finding)


class _Owners:
    """Who acts on a finding, with the snapshot's records indexed by key once, so that
    routing every finding of a run costs one lookup each (a scan of the releases per finding
    made R10 quadratic in the organisation's size). Where two records share a key, the first
    is the one named, as a scan would find it."""

    def __init__(self, snapshot: Snapshot, lead: str | None) -> None:
        self.snapshot = snapshot
        self.lead = lead
        self.head = head_of_product(snapshot)
        self.known = {p.key for p in snapshot.people}
        self.areas = _first_by_key(snapshot.product_areas)
        self.releases = _first_by_key(snapshot.releases)
        self.decisions = _first_by_key(snapshot.decisions)
        self.insights = _first_by_key(snapshot.insights)
        self.actions = _first_by_key(snapshot.insight_actions)
        self.submissions = _first_by_key(snapshot.weekly_submissions)

    def of(self, finding: Finding) -> str | None:
        role = role_of(finding)
        if role is Owner.PRODUCT_OPS:
            return self.lead
        if role is Owner.HEAD_OF_PRODUCT:
            return self.head
        owner = self.named_by_record(finding, eng=role is Owner.ENG_LEAD)
        return owner if owner in self.known else None

    def area_pm(self, key: str | None) -> str | None:
        area = self.areas.get(key) if key is not None else None
        return area.pm if area else None

    def named_by_record(self, finding: Finding, *, eng: bool) -> str | None:
        """The PM (or, with ``eng``, the Eng lead) that the finding's record names."""
        collection, _, key = finding.record.partition("/")
        if collection == Collection.RELEASES.value:
            release = self.releases.get(key)
            if release is None:
                return None
            area = self.areas.get(release.product_area) if release.product_area else None
            if eng:
                return release.eng_lead or (area.eng_lead if area else None)
            return release.pm or (area.pm if area else None)
        if eng:
            return None
        if collection == Collection.DECISIONS.value:
            decision = self.decisions.get(key)
            return decision.owner if decision is not None else None
        if collection == Collection.INSIGHTS.value:
            insight = self.insights.get(key)
            return self.area_pm(insight.product_area) if insight is not None else None
        if collection == Collection.INSIGHT_ACTIONS.value:
            action = self.actions.get(key)
            return action.owner if action is not None else None
        if collection == Collection.WEEKLY_SUBMISSIONS.value:
            sub = self.submissions.get(key)
            return sub.pm if sub is not None else self.area_pm(key.rpartition("/")[2])
        return None


def _first_by_key(records: Iterable[_Keyed]) -> dict[str, _Keyed]:
    """Records by key; the first of several sharing one wins."""
    index: dict[str, _Keyed] = {}
    for record in records:
        index.setdefault(record.key, record)
    return index


def owner_lists(ctx: RuleContext, findings: Iterable[Finding], lead: str | None) -> list[OwnerList]:
    """The open findings (warnings and errors; information needs nobody) by owner, each list
    ranked (:func:`opsync.rules.actions.rank`): people by name, then one unassigned list per
    role. The one grouping the action list and the digests share."""
    by_owner: dict[tuple[str | None, Owner | None], list[Finding]] = defaultdict(list)
    owners = _Owners(ctx.snapshot, lead)
    for finding in findings:
        if finding.level is Level.INFO:
            continue
        person = owners.of(finding)
        # a person's list holds whatever role they act in; an unassigned list, one role
        by_owner[(person, None if person else role_of(finding))].append(finding)
    roles = list(Owner)

    def order(owner: tuple[str | None, Owner | None]) -> tuple[bool, str, str, int]:
        person, role = owner
        name = ctx.snapshot.person_name(person).casefold() if person else ""
        return (person is None, name, person or "", roles.index(role) if role else 0)

    return [
        OwnerList(person, role, tuple(sorted(by_owner[(person, role)], key=rank)))
        for person, role in sorted(by_owner, key=order)
    ]


def _fingerprint(findings: Iterable[Finding]) -> str:
    lines = sorted(f"{f.code}|{f.record}|{f.message}" for f in findings)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12]


def _last_digest(sent: frozenset[str], person: str) -> tuple[str, str] | None:
    """(day, fingerprint) of the last digest ``person`` was sent, from the sent keys."""
    prefix = f"{DIGEST}/{person}/"
    mine = sorted(k.removeprefix(prefix).split("/") for k in sent if k.startswith(prefix))
    last = [m for m in mine if len(m) == 2]
    return (last[-1][0], last[-1][1]) if last else None


def _too_soon(ctx: RuleContext, last_day: str) -> bool:
    try:
        last = date.fromisoformat(last_day)
    except ValueError:
        return False
    return (ctx.today - last).days < ctx.settings.owners.digest_every_days


def _lines(findings: Sequence[Finding], today: date, words: DateWords) -> list[str]:
    """The list's findings in its order, each with its due date as on the action list."""
    return [
        f"{'⛔' if f.level is Level.ERROR else '⚠️'} {f.message}"
        + (f" Due: {due_text(f.due, today, words)}." if f.due is not None else "")
        for f in findings
    ]


def _capped_list(ctx: RuleContext, findings: Sequence[Finding]) -> Block:
    """A digest's list: the first ``[output] list_limit`` items, most urgent first, then one
    line saying how many more are on the action list. A digest is a message: the lead's
    held every open finding of the organisation (a 12 MB email at 10,000 releases, cut by
    Slack at 50 blocks), and the action list is where the whole list is."""
    shown, left_out = capped(findings, ctx.settings.output.list_limit)
    items = [item(line) for line in _lines(shown, ctx.today, date_words(ctx))]
    if left_out:
        where = ctx.page_link("the Product Ops action list", ACTION_LIST)
        items.append(item(text(more(left_out), italic=True), where))
    return bullets(*items)


def _digest(
    ctx: RuleContext, person: str, lists: Sequence[OwnerList], lead: bool
) -> list[Notification]:
    mine = [f for lst in lists for f in lst.findings]
    fingerprint = _fingerprint(mine)
    today = ctx.today.isoformat()
    last = _last_digest(ctx.sent, person)
    if last is not None and (last[1] == fingerprint or _too_soon(ctx, last[0])):
        return []  # only when the list changed, and not more often than configured
    name = ctx.snapshot.person_name(person)
    count = f"{len(mine)} open item{'s' if len(mine) != 1 else ''}"
    title = f"Your Product Ops actions — {count}"
    children: list[Block] = [
        para(f"Hi {name.split(' ')[0]}, here is what needs you ({ctx.today:%b %-d}).")
    ]
    for lst in lists:
        if lead:
            label = "Yours" if lst.person == person else lst.label(ctx.snapshot)
            children.append(heading(2, f"{label}: {len(lst.findings)}"))
        children.append(_capped_list(ctx, lst.findings))
    document = Document(title=title, children=tuple(children))
    key = f"{DIGEST}/{person}/{today}/{fingerprint}"
    reason = (
        f"The open findings this person must act on changed since their last digest {cite(OWNERS)}."
    )
    notes = []
    for via in ctx.settings.owners.digest_via:
        channel = f"dm:{person}" if via == "slack" else f"email-dm:{person}"
        suffix = "" if via == "slack" else "/email"
        notes.append(
            Notification(
                key=key + suffix,
                channel=channel,
                text=plaintext.render(document),
                title=title,
                document=document,
                reason=reason,
                # the lead's digest is the action list in short: it links to the page
                announces=ACTION_LIST if lead else None,
            )
        )
    return notes


def _escalations(ctx: RuleContext, findings: Iterable[Finding]) -> list[Notification]:
    target = ctx.settings.owners.escalate_to or (
        f"dm:{h}" if (h := head_of_product(ctx.snapshot)) else None
    )
    if not target:
        return []
    releases = {r.key: r for r in ctx.snapshot.releases}
    notes: list[Notification] = []
    seen: set[str] = set()
    for finding in findings:
        what = _escalation(finding, releases)
        if what is None or finding.record in seen:
            continue
        seen.add(finding.record)
        notes.append(
            Notification(
                key=f"{ESCALATION}/{finding.record}/{finding.code}",
                channel=target,
                text=f"Escalation: {what} {finding.message}",
                title="Product Ops escalation",
                reason=f"{what[0].upper()}{what[1:-1]}, so it is escalated to {target} "
                f"{cite(OWNERS)}.",
            )
        )
    return notes


def _escalation(finding: Finding, releases: dict[str, Release]) -> str | None:
    if finding.code == "insights.escalated":
        return "a High-severity insight is past its review without a disposition."
    if finding.code == "insight-actions.escalated":
        return "an insight-review action is still open after the review it was carried to."
    collection, _, key = finding.record.partition("/")
    release = releases.get(key) if collection == Collection.RELEASES.value else None
    if (
        release is not None
        and release.tier is Tier.HIGH
        and finding.code.startswith("enablement.")
        and finding.code.endswith("-late")
        and finding.level is Level.ERROR
    ):
        return f"Tier 3 enablement is late for {release.title}."
    return None


def evaluate(ctx: RuleContext, earlier: RuleOutput) -> RuleOutput:
    settings = ctx.settings.owners
    if not settings.enabled:
        return RuleOutput()
    lead = product_ops_lead(ctx)
    lists = owner_lists(ctx, earlier.findings, lead)
    notes: list[Notification] = []
    due = ctx.calendar.is_business_day(ctx.today) and ctx.reached(
        ctx.calendar.at(ctx.today, settings.digest_time)
    )
    if due:
        for lst in lists:
            if lst.person is not None and lst.person != lead:
                notes.extend(_digest(ctx, lst.person, [lst], lead=False))
        if lead is not None and lists:
            notes.extend(_digest(ctx, lead, lists, lead=True))
    notes.extend(_escalations(ctx, earlier.findings))
    return RuleOutput(
        documents=(page(lists, ctx.snapshot, ctx.today, date_words(ctx)),),
        notifications=tuple(notes),
    )
