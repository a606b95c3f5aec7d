"""The reason of each operation, as a sentence that cites the rule's section of docs/rules.md.

A plan is where a person decides whether to trust a sync: each operation says what changed
and which rule wants it, in words, with the section to read
(``(docs/rules.md#r2-enablement-timeline)``). Messages carry the reason their rule gave
(rules/*.py, cited the same way, from :mod:`opsync.rules.sections`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from opsync.rules import sections
from opsync.rules.output import DocumentKind
from opsync.rules.sections import cite
from opsync.rules.wording import counted, plural

#: The release fields copied from the tracker (engine/desired.py MIRRORED_RELEASE_FIELDS).
_MIRRORED = frozenset(
    {"title", "tier", "launch_date", "launched", "product_area", "pm", "eng_lead"}
)

_PAGE_NAMES: dict[DocumentKind, str] = {
    DocumentKind.WEEKLY_UPDATE: "Weekly Product Update",
    DocumentKind.ROADMAP_VIEW: "stakeholder roadmap view",
    DocumentKind.BUNDLE: "enablement bundle",
    DocumentKind.POST_LAUNCH_DAY3: "post-launch Day 3 page",
    DocumentKind.POST_LAUNCH_DAY14: "post-launch Day 14 retro page",
    DocumentKind.INSIGHTS_DIGEST: "insights digest",
    DocumentKind.DECISION_REVIEW: "decision review",
    DocumentKind.SCORECARD: "scorecard",
    DocumentKind.ACTION_LIST: "action list",
    DocumentKind.ROADMAP_REVIEW_PREP: "roadmap review prep page",
    DocumentKind.INTAKE_TRIAGE: "intake triage page",
    DocumentKind.QBR_PACK: "QBR pack",
    DocumentKind.ROLLOUT_RETRO: "rollout retro page",
    DocumentKind.READINESS_CHECK: "Launch Readiness Check page",
}


def _kind(kind: str) -> DocumentKind | None:
    try:
        return DocumentKind(kind)
    except ValueError:
        return None


def _listed(names: Sequence[str]) -> str:
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]


def page_created(kind: str) -> str:
    known = _kind(kind)
    name = _PAGE_NAMES.get(known, kind.replace("_", " ")) if known else kind.replace("_", " ")
    anchor = sections.PAGES.get(known) if known else None
    return f"The {name} is due and does not exist yet {cite(anchor)}."


def page_updated(
    kind: str, changed: Sequence[str], dropped: Sequence[str], finished: Sequence[str] = ()
) -> str:
    """``changed``: regions whose generated content differs from the page's; ``dropped``:
    regions the rule no longer generates (emptied); ``finished``: regions that hold what is
    wanted but whose last write was cut short (written again to complete it)."""
    known = _kind(kind)
    anchor = sections.PAGES.get(known) if known else None
    parts = []
    if changed:
        parts.append(
            f"What opsync generates in {counted(len(changed), 'region', 'regions')} "
            f"({_listed(changed)}) changed"
        )
    if finished:
        parts.append(
            f"opsync's last write of {_listed(finished)} was cut short (a killed run, or a "
            "file beside the page missing); written again to complete it"
        )
    if dropped:
        parts.append(f"{_listed(dropped)} {plural(len(dropped), 'is', 'are')} no longer generated")
    return "; ".join(parts) + f" {cite(anchor)}."


def feed(created: bool) -> str:
    what = "does not exist yet" if created else "changed"
    return f"The ritual calendar feed {what} {cite(sections.CADENCE)}."


def record_created(collection: str) -> str:
    return (
        "It is in the tracker and not in the wiki yet, so opsync adds it with the fields "
        f"the rules derive {cite(sections.COLLECTIONS.get(collection))}."
    )


def _words(collection: str) -> str:
    return collection.replace("_", " ")


def seed(collection: str, updates: bool, page: str | None) -> str:
    anchor = sections.COLLECTIONS.get(collection)
    if updates:
        return f"opsync keeps this {_words(collection)} record up to date {cite(anchor)}."
    if page:
        return f"It records that {page} was published; written once, after the page {cite(anchor)}."
    return f"opsync writes this {_words(collection)} record once {cite(anchor)}."


def record_updated(collection: str, changes: Iterable[tuple[str, Any, Any]]) -> str:
    """Which of opsync's fields change, by the rule that wants them: the mirrored ones first
    (the tracker changed), then each rule's derived ones."""
    mirrored: list[str] = []
    derived: dict[str | None, list[str]] = {}
    for name, _, _ in changes:
        if collection == "releases" and name in _MIRRORED:
            mirrored.append(name)
        else:
            anchor = sections.FIELDS.get(name) or sections.COLLECTIONS.get(collection)
            derived.setdefault(anchor, []).append(name)
    parts = []
    if mirrored:
        also = derived.pop(sections.TIERS, None)
        them = f" and the rules derive a new {_listed(also)}" if also else ""
        parts.append(f"the tracker holds a new {_listed(mirrored)}{them} {cite(sections.TIERS)}")
    parts.extend(
        f"the rules derive a new {_listed(names)} {cite(anchor)}"
        for anchor, names in derived.items()
    )
    sentence = "; ".join(parts) or "nothing opsync owns changes"
    return sentence[0].upper() + sentence[1:] + "."


RESTAMP = (
    "The fields opsync owns already hold what the rules want, but its record of its last "
    "write is not whole: one write restamps them, so a later change is not taken for a "
    "person's."
)
FINISH = "An earlier run was stopped while it created this record: this write finishes it."


def tracker_written(names: Sequence[str]) -> str:
    """Write-back: the enablement status, next deadline and bundle link derive from R2."""
    anchor = cite(sections.ENABLEMENT)
    if not names:
        return f"opsync restamps the tracker fields it owns, unchanged {anchor}."
    fields = _listed([n.replace("_", " ") for n in names])
    return f"What opsync writes back to the tracker changed: {fields} {anchor}."
