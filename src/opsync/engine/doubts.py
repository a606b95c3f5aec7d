"""Figures that carry their doubts: a page whose figures an unreadable record would change
says so on the page (RULES, "Reading input").

A record that could not be read (a finding whose code is in
:data:`~opsync.domain.findings.UNREADABLE_CODES`) is left out of the snapshot, so every
count and list drawn from its collection silently lacks it. Each page listed in
:data:`DRAWS_ON` gets, at the top of its first owned region, a one-line note naming the
records of the collections it draws on that could not be read. Without such records the
page is exactly what it was (the note's absence changes no byte), and once they are fixed
the next sync rewrites the region without it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import partial

from opsync.documents.model import Block, Document, Region, para, text
from opsync.domain import Collection, Finding, ref
from opsync.rules.output import DocumentKind, GeneratedDocument, RuleOutput

_ALL: frozenset[str] = frozenset(c.value for c in Collection)

#: The collections each generated page's figures are drawn from. The scorecard draws on
#: nearly everything (coverage, surprise, adoption, pulse, pings), so on every collection;
#: so do the rollout retros, which measure each phase with the scorecard's metrics and more.
DRAWS_ON: Mapping[DocumentKind, frozenset[str]] = {
    DocumentKind.WEEKLY_UPDATE: frozenset(
        {Collection.RELEASES, Collection.WEEKLY_SUBMISSIONS, Collection.WEEKLY_UPDATES}
    ),
    DocumentKind.ROADMAP_VIEW: frozenset({Collection.ROADMAP_ITEMS, Collection.ROADMAP_VIEWS}),
    DocumentKind.DECISION_REVIEW: frozenset({Collection.DECISIONS}),
    DocumentKind.INSIGHTS_DIGEST: frozenset({Collection.INSIGHTS, Collection.INSIGHT_ACTIONS}),
    DocumentKind.ROADMAP_REVIEW_PREP: frozenset(
        {
            Collection.ROADMAP_ITEMS,
            Collection.ROADMAP_VIEWS,
            Collection.DECISIONS,
            Collection.WEEKLY_SUBMISSIONS,
            Collection.INSIGHTS,
            Collection.RELEASES,
        }
    ),
    DocumentKind.SCORECARD: _ALL,
    DocumentKind.INTAKE_TRIAGE: frozenset({Collection.REQUESTS, Collection.FRICTIONS}),
    DocumentKind.QBR_PACK: _ALL,  # the scorecard's figures, and requests and frictions
    DocumentKind.ROLLOUT_RETRO: _ALL,
}

_SHOWN = 5  # records named in a note; the others are counted


def unreadable(tracker: Iterable[Finding], wiki: Iterable[Finding]) -> dict[str, list[str]]:
    """The records that could not be read, by the collection they would have been in.

    Every unreadable tracker finding concerns a release (a row without a usable key names
    its file and line instead of a release); a wiki finding names ``collection/key``, a
    bundle page ``pages/bundle/<release>``. Other pages are opsync's own output, which no
    figure is drawn from.
    """
    found: dict[str, set[str]] = {}
    for finding in tracker:
        if finding.unreadable:
            found.setdefault(Collection.RELEASES.value, set()).add(finding.record)
    for finding in wiki:
        if not finding.unreadable:
            continue
        collection, _, rest = finding.record.partition("/")
        if collection == "pages":
            if not rest.startswith("bundle/"):
                continue
            collection = Collection.BUNDLES.value
        if collection in _ALL:
            found.setdefault(collection, set()).add(finding.record)
    return {c: sorted(records) for c, records in found.items()}


def note(records: Sequence[str]) -> Block:
    """ "1 record could not be read (decisions/D-7); figures below may be incomplete." """
    shown = ", ".join(records[:_SHOWN])
    if len(records) > _SHOWN:
        shown += f" and {len(records) - _SHOWN} more"
    count = "1 record" if len(records) == 1 else f"{len(records)} records"
    return para(
        text(f"{count} could not be read", bold=True),
        f" ({shown}); figures below may be incomplete. The run's findings say what to fix; "
        "the next sync updates this page.",
    )


def _with_note(document: Document, records: Sequence[str]) -> Document:
    children = list(document.children)
    for index, block in enumerate(children):
        if isinstance(block, Region):
            children[index] = block.model_copy(
                update={"children": (note(records), *block.children)}
            )
            break
    else:
        children.insert(0, note(records))
    return document.model_copy(update={"children": tuple(children)})


def annotate(output: RuleOutput, doubts: Mapping[str, Sequence[str]]) -> RuleOutput:
    """``output`` with the note on every page that draws on a collection in ``doubts``."""
    if not doubts:
        return output
    # A publication log this run creates itself (one a killed run left half made) is no
    # doubt about the figures: the write makes it whole, and a note would come and go.
    made = {ref(seed.collection, seed.key) for seed in output.seeds}
    documents: list[GeneratedDocument] = []
    for doc in output.documents:
        drawn = DRAWS_ON.get(doc.kind, frozenset())
        records = sorted({r for c in drawn for r in doubts.get(c, ()) if r not in made})
        if records:
            doc = doc.transformed(partial(_with_note, records=records))
        documents.append(doc)
    return output.model_copy(update={"documents": tuple(documents)})
