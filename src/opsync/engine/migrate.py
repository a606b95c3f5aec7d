"""``opsync migrate``: copy what people wrote from one wiki to another, keyed and idempotent.

An organisation moving from the folder workspace to Notion or Confluence (or back) keeps its
history: the records people own, the people's fields of each release record, the sections
people wrote on each enablement bundle page, and the publication logs opsync keeps.
Everything goes through the connectors' own read (``RecordSource.read``) and write paths
(``RecordSink.write_record``, ``PageStore.write_page``), so every wiki connector works as
source and as target, at the pace its policy sets.

What is copied, and why:

- People's records, whole (weekly submissions, decisions, insights, insight actions,
  frictions, requests, survey and pulse answers, ping audits, roadmap items, rituals), as
  people's fields (``RecordWrite.people``): the target records no ownership for them.
- Release records: only the fields people fill (``RELEASE_WIKI_FIELDS``: bundle state,
  readiness dates, go/no-go, post-launch). The tracker's mirrored fields and the derived
  fields are the next sync's to write.
- The publication logs (weekly updates' ``published_at``, roadmap views and their entries,
  the scorecard history): opsync's own records, copied as opsync's (``RecordWrite.values``).
  They are history no sync can write again: lateness of past weekly updates, ritual
  adoption, the roadmap's "changes since" and the scorecard's trend are read from them.
- Bundle pages (``bundle/<release>``): the text outside opsync's regions, which the rules
  read for completeness (``connectors/bundles.py``). A page missing in the target is created
  with that text and an empty region of each of its keys, which the next sync fills.

Not copied: the derived fields and the generated pages (the next sync writes them again),
the text people wrote outside the regions of other generated pages (the wikis give it only
for bundle pages), and records the source cannot read (each is reported: fix it there).

A record is matched by its key. One the target lacks is created; one it holds with the same
content (compared as the domain reads them, so a date typed in a folder and the same date
in Notion agree) is left alone; one it holds with some of the copied fields blank and the
others the same gets those fields filled in; one it holds with other content is reported
and left as it is, unless ``overwrite``. A rerun therefore creates nothing. Pages are
never overwritten.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError

from opsync.connectors.base import (
    Leased,
    PageState,
    PageWrite,
    ReadResult,
    RecordWrite,
    WikiConnector,
)
from opsync.connectors.bundles import parse_bundle
from opsync.connectors.records import RECORD_MODELS, RELEASE_WIKI_FIELDS, to_record
from opsync.documents.markdown_read import PENDING, parse_document
from opsync.documents.model import para, region
from opsync.domain import Collection, Release
from opsync.domain.reading import ALIASES, Aliases
from opsync.errors import OpsyncError

#: opsync's publication logs: history the next sync cannot write again, copied as opsync's.
LOGS: frozenset[Collection] = frozenset(
    {Collection.WEEKLY_UPDATES, Collection.ROADMAP_VIEWS, Collection.SCORECARD_HISTORY}
)


class Outcome(StrEnum):
    CREATE = "create"  # the target lacks it: created
    FILL = "fill"  # the target holds it with some of these fields blank: those filled in
    SAME = "same"  # the target holds the same: left alone
    DIFFERS = "differs"  # the target holds other content: reported, left as it is
    OVERWRITE = "overwrite"  # the target held other content and --overwrite replaced it
    SKIPPED = "skipped"  # the source cannot give it (unreadable): reported
    FAILED = "failed"  # the target refused the write


@dataclass(frozen=True)
class Item:
    """One record or page and what the migration did (or, in a dry run, would do) with it."""

    target: str  # a record ref, or ``pages/<page key>``
    outcome: Outcome
    detail: str = ""


@dataclass
class MigrationReport:
    dry_run: bool
    items: list[Item] = field(default_factory=list)
    # requests each side's connector made, by side ("from", "to"), as Connector.counts()
    requests: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for item in self.items if item.outcome is outcome)

    @property
    def writes(self) -> int:
        """Writes made (or, in a dry run, planned)."""
        return sum(self.count(o) for o in (Outcome.CREATE, Outcome.FILL, Outcome.OVERWRITE))

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "counts": {o.value: self.count(o) for o in Outcome},
            "requests": self.requests,
            "items": [
                {"target": i.target, "outcome": i.outcome.value, "detail": i.detail}
                for i in self.items
            ],
        }


def _plain(value: Any) -> Any:
    """A domain value as the connectors write it (the shapes the engine's writes use)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def _compared(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` as two wikis holding the same content agree on them: text with its runs of
    whitespace folded (a Confluence cell holds no line breaks; a folder keeps them)."""

    def fold(value: Any) -> Any:
        if isinstance(value, str):
            return " ".join(value.split())
        if isinstance(value, list):
            return [fold(v) for v in value]
        if isinstance(value, dict):
            return {k: fold(v) for k, v in value.items()}
        return value

    return {k: fold(v) for k, v in values.items()}


def _filled(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that hold something: a blank one reads as its default in the domain, and a
    wiki that lists every property (Notion) must not differ from one that omits it."""
    return {k: v for k, v in fields.items() if not _blank(v)}


def _release_fields(
    fields: Mapping[str, Any], aliases: Aliases | None
) -> tuple[dict[str, Any] | None, str]:
    """The people's fields of a release record, read as the domain reads them."""
    fields = _filled(fields)
    groups: dict[str, dict[str, Any]] = {}
    for flat, (group, name) in RELEASE_WIKI_FIELDS.items():
        if flat in fields:
            groups.setdefault(group, {})[name] = fields[flat]
    out: dict[str, Any] = {}
    for group, data in groups.items():
        model = Release.model_fields[group].annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        try:
            read = model.model_validate(data, context={ALIASES: aliases})
        except ValidationError as exc:
            return None, f"a value does not fit ({exc.errors()[0]['msg']})"
        for flat, (in_group, name) in RELEASE_WIKI_FIELDS.items():
            if in_group == group and flat in fields:
                out[flat] = _plain(getattr(read, name))
    return {k: v for k, v in out.items() if not _blank(v)}, ""


def values_of(
    record: str, fields: Mapping[str, Any], aliases: Aliases | None
) -> tuple[dict[str, Any] | None, str]:
    """What is copied of ``record``: its fields as the domain reads them (blank ones left
    out), or None and why when the record cannot be read."""
    name, _, key = record.partition("/")
    if name == Collection.RELEASES.value:
        return _release_fields(fields, aliases)
    collection = Collection(name)
    fields = _filled(fields)
    model, problems = to_record(collection, key, fields, record, aliases)
    if model is None:
        return None, "; ".join(p.message for p in problems)
    values = {
        f: _plain(getattr(model, f)) for f in type(model).model_fields if f != "key" and f in fields
    }
    return {k: v for k, v in values.items() if not _blank(v)}, ""


_ESCAPED = re.compile(r"\\(.)")
_WORD = re.compile(r"[^\W_]+")
_MARKER = re.compile(r"^\s*(?:[-*+•]|\d+[.)])(?:\s+|$)")  # a list item's bullet or number


def bundle_words(key: str, text: str) -> dict[str, list[str]]:
    """A bundle page's sections as their words: what decides completeness, whatever the
    wiki's formatting (Notion drops bold, Markdown escapes underscores)."""
    bundle = parse_bundle(key, text)
    if bundle is None:
        return {}
    return {
        s.value: [
            word
            for line in body.splitlines()
            for word in _WORD.findall(_ESCAPED.sub(r"\1", _MARKER.sub("", line)).casefold())
        ]
        for s, body in bundle.sections.items()
    }


def _copied(collection: str) -> bool:
    return collection == Collection.RELEASES.value or collection in {c.value for c in RECORD_MODELS}


@dataclass(frozen=True)
class _Planned:
    item: Item
    write: RecordWrite | PageWrite | None = None


def plan(
    source: ReadResult,
    target: ReadResult,
    *,
    overwrite: bool = False,
    source_aliases: Aliases | None = None,
    target_aliases: Aliases | None = None,
) -> list[_Planned]:
    """What the migration does with each record and bundle page of ``source``."""
    planned: list[_Planned] = []
    for record, fields in source.fields.items():
        collection = record.partition("/")[0]
        if not _copied(collection):
            continue  # a collection opsync does not know (a third-party connector's own)
        values, why = values_of(record, fields, source_aliases)
        if values is None:
            planned.append(
                _Planned(Item(record, Outcome.SKIPPED, f"unreadable in the source: {why}"))
            )
            continue
        logs = Collection(collection) in LOGS
        owned, people = (values, {}) if logs else ({}, values)
        there = target.fields.get(record)
        if there is None:
            write = RecordWrite(ref=record, values=owned, people=people, create=True)
            planned.append(_Planned(Item(record, Outcome.CREATE), write))
            continue
        have, _ = values_of(record, there, target_aliases)
        if have is not None and _compared(have) == _compared(values):
            planned.append(_Planned(Item(record, Outcome.SAME)))
            continue
        mine, theirs = _compared(values), _compared(have or {})
        fields_differ = sorted(f for f in {*mine, *theirs} if theirs.get(f) != mine.get(f))
        if have is not None and all(f not in have for f in fields_differ):
            # only fields the target leaves blank (a release record a sync made before the
            # migration): filling them replaces nothing anyone wrote
            filled = {f: values[f] for f in fields_differ}
            write = RecordWrite(
                ref=record,
                values=filled if logs else {},
                people={} if logs else filled,
            )
            detail = "filled in " + ", ".join(fields_differ)
            planned.append(_Planned(Item(record, Outcome.FILL, detail), write))
            continue
        detail = "differs in " + ", ".join(fields_differ) if have is not None else "unreadable"
        if overwrite:
            # a field the source leaves blank is cleared in the target, so the two agree
            cleared = {f: None for f in (have or {}) if f not in values}
            write = RecordWrite(
                ref=record,
                values={**owned, **cleared} if logs else owned,
                people={} if logs else {**people, **cleared},
            )
            planned.append(_Planned(Item(record, Outcome.OVERWRITE, detail), write))
        else:
            planned.append(_Planned(Item(record, Outcome.DIFFERS, detail)))
    for key, page in source.pages.items():
        if page.text is None:
            continue  # a page whose text no rule reads: the next sync generates it again
        planned.append(_page(key, page, target.pages.get(key)))
    return planned


def _page(key: str, page: PageState, there: PageState | None) -> _Planned:
    target = f"pages/{key}"
    text = page.text or ""
    if there is None:
        document = parse_document(text, title=key)
        children = list(document.children)
        present = {getattr(b, "key", None) for b in children}
        # a wiki that leaves regions out of the text (Notion): each goes first, empty
        missing = [k for k in page.regions if k not in present]
        children = [*(region(k, para(PENDING)) for k in missing), *children]
        document = document.model_copy(update={"children": tuple(children)})
        return _Planned(
            Item(target, Outcome.CREATE), PageWrite(key=key, document=document, create=True)
        )
    want, have = bundle_words(key, text), bundle_words(key, there.text or "")
    if want == have:
        return _Planned(Item(target, Outcome.SAME))
    differ = sorted(s for s in {*want, *have} if want.get(s) != have.get(s))
    return _Planned(
        Item(
            target,
            Outcome.DIFFERS,
            f"the target's page holds other text (in {', '.join(differ)}); pages are never "
            "overwritten: copy the sections by hand, or delete the target's page and migrate "
            "again",
        )
    )


@contextmanager
def _lease(target: WikiConnector, write: bool) -> Iterator[None]:
    """The target's write lease for a writing migration, as a sync holds it."""
    if write and isinstance(target, Leased):
        with target.hold(f"migrate-{uuid.uuid4().hex[:8]}"):
            yield
    else:
        yield


def migrate(
    source: WikiConnector,
    target: WikiConnector,
    *,
    dry_run: bool = False,
    overwrite: bool = False,
    source_aliases: Aliases | None = None,
    target_aliases: Aliases | None = None,
    progress: Callable[[Item], None] | None = None,
) -> MigrationReport:
    """Copy the people-owned records and bundle text of ``source``'s wiki into ``target``'s;
    with ``dry_run``, read both and report what would be copied, writing nothing."""
    report = MigrationReport(dry_run=dry_run)
    with _lease(target, not dry_run):
        read = source.read()
        planned = plan(
            read,
            target.read(),
            overwrite=overwrite,
            source_aliases=source_aliases,
            target_aliases=target_aliases,
        )
        writing = not dry_run and any(step.write is not None for step in planned)
        if writing and isinstance(target, Leased):
            target.claim()  # another writer holding the target stops the migration here
        for step in planned:
            item = step.item
            if step.write is not None and writing:
                try:
                    if isinstance(step.write, RecordWrite):
                        target.write_record(step.write)
                    else:
                        target.write_page(step.write)
                except OpsyncError as exc:
                    item = Item(item.target, Outcome.FAILED, str(exc))
            report.items.append(item)
            if progress is not None:
                progress(item)
    report.requests = {"from": source.counts(), "to": target.counts()}
    return report


__all__ = ["LOGS", "Item", "MigrationReport", "Outcome", "bundle_words", "migrate", "plan"]
