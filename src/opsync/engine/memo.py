"""The run's memo: a run that found nothing to do, remembered with a key of everything it
read, so that a later run reading the same inputs before the clock turns skips the read,
the rules and the plan (issue 19: a cron run costs what changed).

The engine stays level-triggered: every decision is still made from what the targets
hold. The memo is only a proof, saved by a full run whose plan was empty, that a run of
the same inputs at any instant before ``valid_until`` plans nothing again, and finds and
scores the same. It is sound because the rules are pure functions of their inputs and of
the clock, and the clock reaches them only through :class:`RuleContext`'s ``reached``,
``after``, ``stamp`` and ``today``, which note each instant at which a decision turns
(``valid_until``).

The key covers every input of a run: each connector's read fingerprint (for the local
workspace the stat of every file its reads see, taken without opening any), the config,
opsync's own code (the stat of its source files, its version among them, so an upgrade
or an edited install rebuilds), and the journal and meta the run reads from the state store. A
connector that cannot tell its inputs cheaply (a remote service) has no fingerprint: a
run using one is never skipped. A lost or corrupt memo costs one full run, never a wrong
one.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from opsync.domain.findings import Finding, Level
from opsync.rules.output import ScoreRow
from opsync.state import StateStore

MEMO = "run_memo"  # state meta: the last full run that planned nothing
VERSION = 1  # raised when the memo's shape or what its key covers changes
# the state meta a run reads (the memo itself is not among them)
_META_READ = ("identity", "reported_conflicts", "last_conflicts")
_JOURNAL_READ = ("send", "update_page")


@dataclass(frozen=True)
class Memo:
    """What a skipped run reports: the remembered run's findings and scorecard."""

    findings: list[Finding]
    scorecard: list[ScoreRow]


@cache
def _code() -> str:
    """The stat of opsync's source files (its version among them): what renders every page.
    An upgrade rewrites them, and so does an edit to an editable install."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.blake2b(digest_size=16)
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            if name.endswith((".py", ".toml", ".md", ".yaml", ".json", ".txt")):
                st = os.stat(os.path.join(folder, name))
                where = os.path.relpath(os.path.join(folder, name), root)
                digest.update(f"{where}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def inputs_key(config: str | None, prints: Sequence[str] | None, store: StateStore) -> str | None:
    """The key of a run's inputs, or None when one of them cannot be told without reading
    it (a connector without a fingerprint, a run an earlier one left unfinished)."""
    if config is None or prints is None:
        return None
    digest = hashlib.blake2b(f"opsync run memo {VERSION}\0{_code()}\0{config}".encode())
    for p in prints:
        digest.update(f"\0connector\0{p}".encode())
    for kind in _JOURNAL_READ:
        if store.unfinished(kind):
            return None  # the run closes and reports it: a full run
        for key in sorted(store.finished(kind)):
            digest.update(f"\0{kind}\0{key}".encode())
    for name in _META_READ:
        digest.update(f"\0meta\0{name}\0{store.get_meta(name)}".encode())
    return digest.hexdigest()


def _finding(data: dict[str, Any]) -> Finding:
    """A finding as :func:`remember` wrote it: built without validating it again (at
    100,000 releases a run remembers over 100,000 of them), its due date parsed back. Its
    types are still checked, which costs little: a damaged row of the right shape raises
    TypeError, and the memo is no memo."""
    due, field = data.get("due"), data.get("field")
    if field is not None and not isinstance(field, str):
        raise TypeError("a remembered finding's field is not text")
    return Finding.model_construct(
        code=_str(data, "code"),
        record=_str(data, "record"),
        message=_str(data, "message"),
        level=Level(data["level"]),
        field=field,
        due=date.fromisoformat(due) if due else None,
    )


def _str(data: dict[str, Any], name: str) -> str:
    value = data[name]
    if not isinstance(value, str):
        raise TypeError(f"a remembered finding's {name} is not text")
    return value


def recall(store: StateStore, key: str | None, now: datetime) -> Memo | None:
    """The remembered run for ``key``, if it is still valid at ``now``."""
    if key is None:
        return None
    raw = store.get_meta(MEMO)
    if not raw:
        return None
    try:
        memo: dict[str, Any] = json.loads(raw)
        if memo.get("version") != VERSION or memo.get("key") != key:
            return None
        if not now < datetime.fromisoformat(memo["valid_until"]):
            return None
        return Memo(
            findings=[_finding(f) for f in memo["findings"]],
            scorecard=[ScoreRow.model_validate(r) for r in memo["scorecard"]],
        )
    except (ValueError, KeyError, TypeError):  # a damaged memo is no memo: a full run
        return None


def remember(
    store: StateStore,
    key: str | None,
    valid_until: datetime,
    findings: list[Finding],
    scorecard: list[ScoreRow],
) -> None:
    """Keep a full run that planned nothing (or forget the last one, when ``key`` is None)."""
    if key is None:
        forget(store)
        return
    memo = {
        "version": VERSION,
        "key": key,
        "valid_until": valid_until.isoformat(),
        "findings": [f.model_dump(mode="json") for f in findings],
        "scorecard": [r.model_dump(mode="json") for r in scorecard],
    }
    text = json.dumps(memo, separators=(",", ":"))
    if store.get_meta(MEMO) != text:
        store.set_meta(MEMO, text)


def forget(store: StateStore) -> None:
    if store.get_meta(MEMO):
        store.set_meta(MEMO, "")
