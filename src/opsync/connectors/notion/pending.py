"""A page update opsync has started, marked on the page itself.

A region is rewritten by several requests (block updates, deletes, appends), and only the
last request of a page update stores the regions' new fingerprints in the "opsync regions"
property. Killed in between, the page holds a region that is neither what opsync last
recorded nor what it meant to write. With the local journal the next run knows the write was
its own; with the state store lost, only the page can say so. So an update that takes more
than one block request first stores, next to the old fingerprints, the new ones under
``~pending`` (a create too long for one request is made with the mark); the final request
drops the mark.

A region that holds exactly its pending fingerprint landed whole: it is reported with
``restamp``, and the engine plans the page again even when that is what it wants, so the
write ends with its last request (a property write) instead of leaving the mark for good.

A read that finds a region with a pending mark holding neither fingerprint takes it for
opsync's half-done write, and finishes it, only when every block inside it was last edited
by opsync's own integration (``users/me``): a block a person typed into or added since carries
their id, so that region is still a conflict. What this cannot see is a person *deleting* one
of opsync's blocks in the window between the killed run and the next: the region is then
rewritten, which restores opsync's own text and loses nothing of theirs.

A changed block is replaced, never edited in place (blocks.diff_children): the old block
goes to the trash, and the delete's answer shows whether a person typed into it since the
read, in which case the writer restores it. A run killed between that delete and the
restore would leave the person's text in the trash, out of sight, and the next run would
take the region for its own half-done write. So the mark also lists, under ``~trash``, the
blocks the update is about to delete; the run that finishes the write looks at each of them
in the trash (``GET /v1/blocks/{id}`` answers for a block in the trash) and restores one a
person last edited, then reports the region as a conflict.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from opsync.connectors.notion.chunks import children_of

PENDING_KEY = "~pending"  # never a region key: region keys are identifiers
TRASH_KEY = "~trash"


class Marks(NamedTuple):
    """What the "opsync regions" property holds."""

    stored: dict[str, str]  # fingerprints opsync recorded
    pending: dict[str, str]  # fingerprints of a write started and not finished
    trash: dict[str, list[str]]  # per region, the blocks that write set out to delete


def parse_regions(text: Any) -> Marks:
    """The property's text read; mangled or missing text holds nothing."""
    try:
        data = json.loads(text) if isinstance(text, str) and text else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        return Marks({}, {}, {})
    marked = data.pop(PENDING_KEY, None)
    pending = {str(k): str(v) for k, v in marked.items()} if isinstance(marked, dict) else {}
    listed = data.pop(TRASH_KEY, None)
    trash = (
        {str(k): [str(i) for i in v] for k, v in listed.items() if isinstance(v, list)}
        if isinstance(listed, dict)
        else {}
    )
    return Marks({str(k): str(v) for k, v in data.items()}, pending, trash)


def dump_regions(
    stored: Mapping[str, str],
    pending: Mapping[str, str] | None = None,
    trash: Mapping[str, Sequence[str]] | None = None,
) -> str:
    data: dict[str, Any] = dict(sorted(stored.items()))
    if pending:
        data[PENDING_KEY] = dict(sorted(pending.items()))
    if trash:
        data[TRASH_KEY] = {k: list(v) for k, v in sorted(trash.items()) if v}
    return json.dumps(data, separators=(",", ":"))


def _blocks(blocks: Sequence[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for block in blocks:
        yield block
        yield from _blocks(children_of(block))


def only_edited_by(callout: Mapping[str, Any], user_id: str) -> bool:
    """Whether every block inside a region's callout was last edited by ``user_id``."""
    return all(
        str((b.get("last_edited_by") or {}).get("id") or "") == user_id
        for b in _blocks(children_of(callout))
    )


__all__ = ["PENDING_KEY", "Marks", "dump_regions", "only_edited_by", "parse_regions"]
