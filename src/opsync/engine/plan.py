"""Plan: the exact operations that make the targets match the desired state, and nothing
more. Pure: it compares data and asks the page store only how it would render a region.

The plan is frozen data, so ``opsync plan`` prints exactly what ``opsync sync`` applies.
Every operation has a deterministic idempotency key (kind, target, content hash) and a
reason a person can read. Owned content a person edited since opsync wrote it becomes a
conflict, never an operation, unless the run is forced.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from opsync.connectors.base import (
    FileWrite,
    Message,
    Ownership,
    PageStore,
    PageWrite,
    RecordWrite,
    TrackerWrite,
)
from opsync.documents import markdown
from opsync.documents.model import Document, find_region, region_keys
from opsync.engine import reasons
from opsync.engine.actual import Actual
from opsync.engine.desired import Desired
from opsync.engine.writeback import TARGET, plan_release

Payload = RecordWrite | PageWrite | FileWrite | Message | TrackerWrite
# What a run may overwrite of what people edited: nothing (False), everything (True), or the
# conflicts of the named pages and records only (``--force KEY``): a record as
# ``collection/key`` (``releases/ACME-1``), a page as its key (``weekly-update/2026-W49``)
# or ``pages/`` and its key.
Force = bool | Collection[str]


@dataclass(frozen=True)
class RegionChange:
    """One owned region a page write rewrites, as text a person can diff: ``before`` is what
    the page holds (None when the region is new, or when the target keeps only a fingerprint
    of it, as Notion and Confluence do; ``Capabilities.page_format``), ``after`` what opsync
    writes (empty for a region no longer generated)."""

    region: str
    before: str | None
    after: str


@dataclass(frozen=True)
class Operation:
    """One write the plan holds: ``kind`` (below) on ``target`` in ``collection``, for the
    ``reason`` shown in the plan; ``key`` names it in ``--force`` and in the journal;
    ``changes`` lists each field's (name, before, after)."""

    # create_record | update_record | create_page | update_page | write_file | send |
    # update_tracker
    kind: str
    key: str
    collection: str
    target: str
    reason: str
    payload: Payload = field(compare=False)
    changes: tuple[tuple[str, Any, Any], ...] = ()
    # a page whose write must have succeeded in this run (or be in the wiki already) before
    # this operation runs: a publication log, or a message, never runs ahead of its page
    after: str | None = None
    # update_page: each rewritten region's text before and after, for the plan's diffs
    regions: tuple[RegionChange, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Conflict:
    """Something opsync owns that a person edited (``part``: a field or a page region of
    ``target``): left as the person wrote it, and waiting for them (``message`` says how to
    settle it)."""

    target: str
    part: str
    message: str
    # the run forced some conflicts (--force KEY) but not this one: it was not named
    not_targeted: bool = False
    # a region's conflict on a target that stores text: what opsync would write (before)
    # and what the page holds (after), so the plan shows the person's edit as a diff
    edit: RegionChange | None = field(default=None, compare=False)
    # the conflict and the person's edit, hashed: the same while nobody touches it again
    fingerprint: str = field(default="", compare=False)
    # an earlier sync reported this very conflict and [run] on_conflict = "report": it is
    # listed, and it no longer makes the run exit 3
    reported: bool = False


@dataclass(frozen=True)
class Plan:
    operations: tuple[Operation, ...] = ()
    conflicts: tuple[Conflict, ...] = ()

    def by_collection(self) -> dict[str, list[Operation]]:
        groups: dict[str, list[Operation]] = {}
        for op in self.operations:
            groups.setdefault(op.collection, []).append(op)
        return groups

    def fingerprint(self) -> str:
        """What this plan would do, whole: every operation with all it writes or sends, and
        every conflict. Two plans with the same fingerprint write the same things (a saved
        plan is applied only while the targets still call for exactly it)."""
        operations = [
            [op.kind, op.key, op.target, op.after, _canonical(op.payload)] for op in self.operations
        ]
        conflicts = [[c.target, c.part, c.not_targeted] for c in self.conflicts]
        return hashlib.sha256(
            json.dumps([operations, conflicts], sort_keys=True, default=str).encode("utf-8")
        ).hexdigest()


class Act(StrEnum):
    SKIP = "skip"
    WRITE = "write"
    CONFLICT = "conflict"


def decide(ownership: Ownership, holds_wanted: bool, force: bool) -> Act:
    """What to do with one owned thing (a record's owned fields, a page region): the one
    place where the three ownership states become a write, nothing or a conflict.

    - a region whose markers a person broke (``DAMAGED``): nothing, ever, not even forced
      (opsync cannot tell where it ends; the connector's finding says how to repair it);
    - holding what is wanted: nothing, unless opsync's record of the write is not whole
      (``INTERRUPTED``: a write cut short; ``EDITED``: a write that landed before its
      fingerprint, or a person who typed exactly what opsync wants), which one write
      restamps, so the next change is not taken for a person's edit;
    - else a person's edit is a conflict, never overwritten unless forced;
    - else (clean, or opsync's own write cut short) it is written.
    """
    if ownership is Ownership.DAMAGED:
        return Act.SKIP
    if holds_wanted:
        return Act.SKIP if ownership is Ownership.CLEAN else Act.WRITE
    if ownership is Ownership.EDITED and not force:
        return Act.CONFLICT
    return Act.WRITE


def forces(force: Force, target: str) -> bool:
    """Whether ``force`` covers the owned things of ``target`` (a record or a page key)."""
    if isinstance(force, bool):
        return force
    return target in force or f"pages/{target}" in force


def untargeted(conflict: Conflict) -> Conflict:
    """``conflict`` as a forced run reports it when --force did not name its target."""
    return replace(
        conflict,
        message=f"{conflict.message} (not forced: --force did not name {conflict.target})",
        not_targeted=True,
    )


def _canonical(value: Any) -> Any:
    """``value`` (a payload and what it holds) as plain JSON data, for the fingerprint."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def _digest(*parts: Any) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def _page_collection(key: str) -> str:
    return "pages/" + key.split("/", 1)[0]


def _records(
    desired: Desired, actual: Actual, force: Force
) -> tuple[list[Operation], list[Conflict]]:
    ops: list[Operation] = []
    conflicts: list[Conflict] = []
    for record, want in sorted(desired.records.items()):
        state = actual.records.get(record)
        if state is None:
            if want.create:
                payload = RecordWrite(ref=record, values=want.values, create=True)
                ops.append(
                    Operation(
                        kind="create_record",
                        key=f"create_record:{record}:{_digest(dict(want.values))}",
                        collection=want.collection,
                        target=record,
                        reason=want.reason,
                        payload=payload,
                        changes=tuple((k, None, v) for k, v in want.values.items()),
                        after=want.after,
                    )
                )
            continue
        if state.ownership is Ownership.INTERRUPTED:
            ops.append(_finish(record, want.collection, dict(want.values), state.owned))
            continue
        if want.create_only:
            continue
        values = dict(want.values)
        if values != state.owned:  # the usual case is equal, in one comparison
            for stale in state.owned:
                if stale not in values and state.owned[stale] is not None:
                    values[stale] = None
        changes = tuple(
            (k, state.owned.get(k), v)
            for k, v in values.items()
            if k not in state.owned or state.owned.get(k) != v
        )
        act = decide(state.ownership, not changes, forces(force, record))
        if act is Act.CONFLICT:
            conflicts.append(
                Conflict(
                    target=record,
                    part="fields " + ", ".join(sorted(state.edited)),
                    fingerprint=_digest(record, {k: state.owned.get(k) for k in state.edited}),
                    message=(
                        f"{state.path}: fields opsync owns were edited by hand since opsync wrote "
                        "them; put the edit where it belongs (tracker or a person-owned field) "
                        f"and restore them, or run with --force {record} to overwrite them"
                    ),
                )
            )
        elif act is Act.WRITE:
            ops.append(
                Operation(
                    kind="update_record",
                    key=f"update_record:{record}:{_digest(values)}",
                    collection=want.collection,
                    target=record,
                    reason=(
                        reasons.record_updated(want.collection, changes)
                        if changes
                        else reasons.RESTAMP
                    ),
                    payload=RecordWrite(ref=record, values=values),
                    changes=changes,
                )
            )
    # A publication log the rules no longer ask for (the read holds it) is finished with
    # what its rows already say: the values opsync wrote before the kill.
    ops.extend(
        _finish(record, record.partition("/")[0], dict(state.owned), state.owned)
        for record, state in sorted(actual.records.items())
        if state.ownership is Ownership.INTERRUPTED and record not in desired.records
    )
    return ops, conflicts


def _finish(
    record: str, collection: str, values: dict[str, Any], owned: Mapping[str, Any]
) -> Operation:
    """The write that completes opsync's own create a killed run cut short: never a
    conflict (the rows are opsync's), and planned even when they already match."""
    return Operation(
        kind="update_record",
        key=f"update_record:{record}:finish:{_digest(values)}",
        collection=collection,
        target=record,
        reason=reasons.FINISH,
        payload=RecordWrite(ref=record, values=values),
        changes=tuple((k, owned.get(k), v) for k, v in values.items() if owned.get(k) != v),
    )


def _pages(
    desired: Desired, actual: Actual, store: PageStore, force: Force
) -> tuple[list[Operation], list[Conflict]]:
    ops: list[Operation] = []
    conflicts: list[Conflict] = []
    text = _as_text(store)  # its region changes are its own renderings: the write reuses them
    for key, want in sorted(desired.pages.items()):
        state = actual.pages.get(key)
        doc: Document = want.tree()  # a deferred page is built here, and let go after
        if state is None:
            ops.append(
                Operation(
                    kind="create_page",
                    key=f"create_page:{key}:{_digest(doc.model_dump(mode='json'))}",
                    collection=_page_collection(key),
                    target=key,
                    reason=reasons.page_created(want.kind),
                    payload=PageWrite(key=key, document=doc, create=True, linked=want.linked),
                )
            )
            continue
        rewrite: list[str] = []
        finished: list[str] = []  # what is wanted already, the write cut short (INTERRUPTED)
        changes: list[RegionChange] = []
        wanted = region_keys(doc.children)
        for region in wanted:
            have = state.regions.get(region)
            if have is None:
                rewrite.append(region)
                changes.append(_region_change(store, doc, region, None))
                continue
            rendered = store.render_region(doc, region)
            act = decide(have.ownership, have.content == rendered, forces(force, key))
            if act is Act.WRITE:
                rewrite.append(region)
                if have.ownership is Ownership.INTERRUPTED and have.content == rendered:
                    finished.append(region)
                changes.append(_region_change(store, doc, region, have.content, rendered))
            elif act is Act.CONFLICT:
                conflicts.append(
                    Conflict(
                        target=key,
                        part=f"region {region}",
                        edit=RegionChange(region, rendered, have.content) if text else None,
                        fingerprint=_digest(key, region, have.content),
                        message=(
                            f"{state.path}: the opsync region `{region}` was edited by hand; move "
                            "the text outside the region markers, or run with --force "
                            f"{key} to regenerate it"
                        ),
                    )
                )
        dropped = [
            r
            for r, s in state.regions.items()
            if r not in wanted and s.ownership not in (Ownership.EDITED, Ownership.DAMAGED)
        ]
        changes.extend(_region_change(store, doc, r, state.regions[r].content) for r in dropped)
        changed = [r for r in rewrite if r not in finished]
        rewrite.extend(dropped)
        if rewrite:
            ops.append(
                Operation(
                    kind="update_page",
                    key=f"update_page:{key}:{_digest(rewrite, doc.model_dump(mode='json'))}",
                    collection=_page_collection(key),
                    target=key,
                    reason=reasons.page_updated(want.kind, changed, dropped, finished),
                    payload=PageWrite(
                        key=key,
                        document=doc,
                        regions=tuple(rewrite),
                        linked=want.linked,
                        rendered={c.region: c.after for c in changes} if text else None,
                    ),
                    regions=tuple(changes),
                )
            )
    # the pages others link to first, so that those links have their URLs when written
    linked_to = {k for page in desired.pages.values() for k in page.links_to}
    if linked_to:
        ops.sort(key=lambda op: op.target not in linked_to)
    for name, content in sorted(desired.files.items()):
        feed = actual.files.get(name)
        if feed == content:
            continue
        ops.append(
            Operation(
                kind="write_file",
                key=f"write_file:{name}:{_digest(content)}",
                collection="pages/files",
                target=name,
                reason=reasons.feed(created=feed is None),
                payload=FileWrite(key=name, content=content),
            )
        )
    return ops, conflicts


def _region_change(
    store: PageStore,
    doc: Document,
    region: str,
    before: str | None,
    rendered: str | None = None,
) -> RegionChange:
    """A region's change as text: the target's own rendering when it stores text (the one
    the plan compared), else the region as Markdown with no earlier text to diff against."""
    if _as_text(store):
        after = rendered if rendered is not None else store.render_region(doc, region)
        return RegionChange(region, before, after)
    node = find_region(doc.children, region)
    after = markdown.render_blocks(node.children) if node is not None else ""
    return RegionChange(region, None, after)


def _as_text(store: PageStore) -> bool:
    """Whether ``store`` keeps a region's text (Markdown), not only its fingerprint."""
    capabilities = getattr(store, "capabilities", None)
    return getattr(capabilities, "page_format", None) == "markdown"


def _messages(desired: Desired, actual: Actual) -> list[Operation]:
    return [
        Operation(
            kind="send",
            key=f"send:{key}",
            collection=f"messages/{msg.channel}",
            target=key,
            reason=msg.reason,
            payload=msg.message(),
            after=msg.announces,
        )
        for key, msg in sorted(desired.messages.items())
        if key not in actual.sent
    ]


def _tracker(
    desired: Desired, actual: Actual, force: Force
) -> tuple[list[Operation], list[Conflict]]:
    """The write-back onto each release in the tracker (``engine/writeback.py``); a value
    a person changed there is a conflict on that value only, the others are written."""
    ops: list[Operation] = []
    conflicts: list[Conflict] = []
    for key, want in sorted(desired.tracker.items()):
        target = TARGET + key
        state = actual.tracker.get(key)
        planned = plan_release(want, state, forces(force, target))
        if planned.conflicts:
            where = state.path if state is not None else key
            conflicts.append(
                Conflict(
                    target=target,
                    part="fields " + ", ".join(planned.conflicts),
                    message=(
                        f"{where}: {', '.join(planned.conflicts)}, which opsync writes back, "
                        "changed in the tracker since opsync wrote it; opsync leaves it as it "
                        "is. Restore it (or clear it), or run with --force-only "
                        f"{target} to overwrite it"
                    ),
                )
            )
        if planned.write is None:
            continue
        payload = planned.write
        ops.append(
            Operation(
                kind="update_tracker",
                key=f"update_tracker:{key}:{_digest(dict(payload.values), payload.page)}",
                collection="tracker",
                target=target,
                reason=reasons.tracker_written([name for name, _, _ in planned.changes]),
                payload=payload,
                changes=planned.changes,
                after=payload.page,
            )
        )
    return ops, conflicts


def make_plan(desired: Desired, actual: Actual, store: PageStore, *, force: Force = False) -> Plan:
    """The plan; ``force`` overwrites people's edits of owned content (all, or the named
    pages' and records'), never a region whose markers are damaged or text outside regions."""
    record_ops, record_conflicts = _records(desired, actual, force)
    page_ops, page_conflicts = _pages(desired, actual, store, force)
    tracker_ops, tracker_conflicts = _tracker(desired, actual, force)
    if not isinstance(force, bool) and force:  # --force KEY: say what it left as it was
        record_conflicts = [untargeted(c) for c in record_conflicts]
        page_conflicts = [untargeted(c) for c in page_conflicts]
        tracker_conflicts = [untargeted(c) for c in tracker_conflicts]
    # what waits for a page goes after every page write; updates of what the read saw go
    # first, right after the read, creates after them: a connector that checks for people's
    # edits once per batch of updates (Notion's) then has them close to the read
    first = [op for op in record_ops if op.after is None and op.kind != "create_record"]
    first += [op for op in record_ops if op.after is None and op.kind == "create_record"]
    logs = [op for op in record_ops if op.after is not None]
    return Plan(
        operations=tuple(first + page_ops + logs + tracker_ops + _messages(desired, actual)),
        conflicts=tuple(record_conflicts + page_conflicts + tracker_conflicts),
    )
