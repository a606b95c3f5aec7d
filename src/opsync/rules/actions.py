"""R10 The Product Ops action list: every open finding, grouped by owner, most pressing first.

RULES.md R10: "one generated action list groups them by owner, and each owner gets a digest
when their list changes". The list is the Product Ops lead's daily view, an internal page
(not in :data:`opsync.rules.codes.STAKEHOLDER_DOCUMENTS`): it shows each finding's message,
the owner text, because the people it names are the ones who must act.

:func:`opsync.rules.owners.owner_lists` makes the lists (one per owner, each ranked by
:func:`rank`); this module holds their shape and renders them, as the page here and as each
owner's digest in :mod:`opsync.rules.owners`, so that both say the same thing in the same
order.

Order: within a list, by due date (so what is overdue comes first, the oldest first), then
errors before warnings; findings with no due date last. Lists: people by name, then the
findings nobody could be named for, one list per role ("Unassigned — PM").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from opsync.documents.model import (
    Block,
    Document,
    Inline,
    Link,
    StatusChip,
    Text,
    Tone,
    cell,
    heading,
    para,
    region,
    table,
    text,
)
from opsync.domain.base import Collection
from opsync.domain.findings import Finding, Level
from opsync.domain.release import Release
from opsync.domain.snapshot import Snapshot
from opsync.rules.codes import Owner
from opsync.rules.dates import DateWords
from opsync.rules.output import DocumentKind, GeneratedDocument
from opsync.rules.wording import counted

ACTION_LIST = "action-list"  # the page's key, and its one region's
TITLE = "Product Ops Action List"

#: How a role reads in a heading: an unassigned list names the role nobody could be found for.
ROLE_NAMES: Mapping[Owner, str] = {
    Owner.PM: "PM",
    Owner.ENG_LEAD: "Eng lead",
    Owner.PRODUCT_OPS: "Product Ops",
    Owner.HEAD_OF_PRODUCT: "Head of Product",
}

_LEVEL_ORDER = {Level.ERROR: 0, Level.WARNING: 1, Level.INFO: 2}
_LEVEL_CHIP = {
    Level.ERROR: StatusChip(label="Error", tone=Tone.RED),
    Level.WARNING: StatusChip(label="Warning", tone=Tone.YELLOW),
    Level.INFO: StatusChip(label="Info", tone=Tone.NEUTRAL),
}


@dataclass(frozen=True)
class OwnerList:
    """One owner's open findings, ranked. ``person`` is None when nobody known can be named
    (a release whose area has no PM, no Product Ops lead configured): the list then holds the
    findings of one ``role``, for the lead to assign."""

    person: str | None
    role: Owner | None  # None on a person's list, whatever roles they act in
    findings: tuple[Finding, ...]

    def label(self, snapshot: Snapshot) -> str:
        if self.person is None:
            return f"Unassigned — {ROLE_NAMES[self.role or Owner.PM]}"
        return snapshot.person_name(self.person)

    def overdue(self, today: date) -> int:
        return sum(1 for f in self.findings if f.due is not None and f.due < today)


def rank(finding: Finding) -> tuple[bool, date, int, str, str, str]:
    """Sort key: dated before undated, earliest due first, errors before warnings."""
    return (
        finding.due is None,
        finding.due or date.max,
        _LEVEL_ORDER[finding.level],
        finding.record,
        finding.code,
        finding.message,
    )


def due_text(due: date | None, today: date, words: DateWords) -> str:
    """``no date``, ``today``, ``Dec 8`` (in the page's date style), or how overdue it is."""
    if due is None:
        return "no date"
    if due == today:
        return "today"
    if due > today:
        return words.cell(due)
    days = (today - due).days
    return f"{words.cell(due)} — {counted(days, 'day')} overdue"


#: A record's collection as a reader names one of its records ("Decision DEC-13").
_NOUNS: Mapping[str, str] = {
    Collection.RELEASES.value: "Release",
    Collection.BUNDLES.value: "Bundle",
    Collection.WEEKLY_SUBMISSIONS.value: "Weekly submission",
    Collection.WEEKLY_UPDATES.value: "Weekly update",
    Collection.ROADMAP_ITEMS.value: "Roadmap item",
    Collection.ROADMAP_VIEWS.value: "Roadmap view",
    Collection.DECISIONS.value: "Decision",
    Collection.INSIGHTS.value: "Insight",
    Collection.INSIGHT_ACTIONS.value: "Insight action",
    Collection.RITUALS.value: "Ritual",
    Collection.FRICTIONS.value: "Friction",
    Collection.REQUESTS.value: "Request",
    "pages": "Page",
}


def subject(finding: Finding, releases: Mapping[str, Release]) -> Inline:
    """What the finding concerns, as a reader finds it: a release by its title, linked to
    its tracker issue when the tracker gave one (the rules know no other record's address);
    any other record by its kind and key, as it is filed in the wiki."""
    collection, _, key = finding.record.partition("/")
    release = releases.get(key) if collection == Collection.RELEASES.value else None
    if release is None:
        noun = _NOUNS.get(collection)
        return Text(text=f"{noun} {key}" if noun and key else finding.record)
    name = release.title.strip() or release.key
    return Link(text=name, url=release.url) if release.url else Text(text=name)


def page(
    lists: Sequence[OwnerList], snapshot: Snapshot, today: date, words: DateWords
) -> GeneratedDocument:
    """The action list: a summary, a line per owner, then each owner's items as a table."""
    total = sum(len(lst.findings) for lst in lists)
    overdue = sum(lst.overdue(today) for lst in lists)
    blocks: list[Block] = []
    if not total:
        blocks.append(para("No open findings: nothing needs anyone today."))
    else:
        blocks.append(
            para(
                text(
                    f"{counted(total, 'open finding')} for {counted(len(lists), 'owner')}, "
                    f"{overdue} overdue.",
                    bold=True,
                ),
                " Each owner's list starts with what is overdue, then goes by due date; items "
                "with no date come last. Each owner gets their list in a direct message when "
                "it changes; an item leaves the list at the first sync after it is fixed.",
            )
        )
        blocks.append(
            table(
                ("Owner", "Open", "Overdue", "Next due"), _overview(lists, snapshot, today, words)
            )
        )
    releases = {r.key: r for r in snapshot.releases}
    for lst in lists:
        late = lst.overdue(today)
        count = counted(len(lst.findings), "item") + (f", {late} overdue" if late else "")
        blocks.append(heading(2, f"{lst.label(snapshot)}: {count}"))
        rows: list[tuple[tuple[Inline, ...], ...]] = [
            (
                cell(due_text(f.due, today, words)),
                cell(_LEVEL_CHIP[f.level]),
                cell(subject(f, releases)),
                cell(f.message),
            )
            for f in lst.findings
        ]
        blocks.append(table(("Due", "Level", "About", "What to do"), rows))
    blocks.append(para(text(f"As of {words.prose(today)}.", italic=True)))
    document = Document(title=TITLE, children=(region(ACTION_LIST, *blocks),))
    return GeneratedDocument(key=ACTION_LIST, kind=DocumentKind.ACTION_LIST, document=document)


def _overview(
    lists: Sequence[OwnerList], snapshot: Snapshot, today: date, words: DateWords
) -> list[tuple[tuple[Inline, ...], ...]]:
    """One row per owner: how much is open, how much overdue, and the next day due."""
    rows: list[tuple[tuple[Inline, ...], ...]] = []
    for lst in lists:
        ahead = [f.due for f in lst.findings if f.due is not None and f.due >= today]
        rows.append(
            (
                cell(lst.label(snapshot)),
                cell(str(len(lst.findings))),
                cell(str(lst.overdue(today)) if lst.overdue(today) else "—"),
                cell(due_text(min(ahead), today, words) if ahead else "—"),
            )
        )
    return rows
