"""The domain snapshot, built once from what the tracker and the wiki hold.

Every wiki connector returns its records' fields and its pages' text as it found them; the
domain is built here, the same way for every target, so a rule sees the same organisation
whichever wiki holds it (bundle completeness included) and a new connector copies none of
it. A record whose values do not fit its model becomes a finding naming the record and its
source, and is left out: one broken record never stops the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from opsync.connectors.base import ReadResult, TrackerRead
from opsync.connectors.bundles import parse_bundle
from opsync.connectors.records import RECORD_MODELS, to_record, to_release
from opsync.domain import Collection, Finding, Person, ProductArea, Snapshot, ref
from opsync.domain.reading import Aliases

_RELEASES = Collection.RELEASES.value + "/"
_NONE: Mapping[str, Any] = {}
_COLLECTIONS = {c.value: c for c in RECORD_MODELS}


def build_snapshot(
    tracker: TrackerRead,
    wiki: ReadResult,
    people: tuple[Person, ...],
    areas: tuple[ProductArea, ...],
    aliases: Aliases | None = None,
) -> tuple[Snapshot, list[Finding]]:
    """The snapshot, and the findings on rows and records that could not become domain
    models. Releases are the tracker's rows merged with the people-owned fields of their
    wiki record; every other collection comes from the wiki alone. ``aliases`` are the
    organisation's own words for enumeration values (config ``[aliases]``)."""
    findings: list[Finding] = []
    releases = []
    for key, row in tracker.rows.items():
        record = ref(Collection.RELEASES, key)
        state = wiki.records.get(record)
        source = f"{tracker.source} / {state.path if state is not None else key}"
        release, problems = to_release(key, row, wiki.fields.get(record, _NONE), source, aliases)
        findings.extend(problems)
        if release is not None:
            releases.append(release)
    records: dict[Collection, list[BaseModel]] = {c: [] for c in RECORD_MODELS}
    for record, fields in wiki.fields.items():
        if record.startswith(_RELEASES):
            continue
        collection_name, _, key = record.partition("/")
        collection = _COLLECTIONS.get(collection_name)
        if collection is None:
            continue  # a collection the rules do not read (a third-party connector's own)
        model, problems = to_record(collection, key, fields, wiki.records[record].path, aliases)
        findings.extend(problems)
        if model is not None:
            records[collection].append(model)
    bundles = []
    for key, page in wiki.pages.items():
        bundle = parse_bundle(key, page.text) if page.text is not None else None
        if bundle is not None:
            bundles.append(bundle)
    snapshot = Snapshot(
        people=people,
        product_areas=areas,
        releases=tuple(releases),
        bundles=tuple(bundles),
        **{c.value: tuple(records[c]) for c in RECORD_MODELS},
    )
    return snapshot, findings


def links(wiki: ReadResult) -> dict[str, str]:
    """Where a person opens each record (by ref) and generated page (by key), for those the
    target gives a web address: pages link decisions and other pages with it. A folder's
    relative paths are left out: a link must open from wherever the page is read."""
    found = {r: s.path for r, s in wiki.records.items()}
    found |= {k: p.path for k, p in wiki.pages.items()}
    return {k: v for k, v in found.items() if v.startswith(("https://", "http://"))}
