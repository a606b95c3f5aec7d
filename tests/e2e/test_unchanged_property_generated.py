"""The run's memo never changes what a sync does, on random organisations (issue 19: "random
organisations, random edits and random clocks"): the companion of
``test_unchanged_property.py``, whose histories all start from the bundled Acme example.

Here each history starts from an organisation :mod:`bench.generate` makes from a random
seed and size (areas, people, releases around the clock, wiki records, decisions,
insights, weekly submissions, roadmap items), synced once. Two copies receive the same
random edits at the same random clocks: one synced as cron does (the memo remembered and
used), one always read and planned whole (``full``). After every sync both must report the
same findings, scorecard, operations and conflicts, write as much, and hold the same
files, byte for byte.

``OPSYNC_PROPERTY_EXAMPLES`` sets how many histories are tried (3 here in CI).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bench.engine import NOW, spec_for
from bench.generate import generate
from hypothesis import given
from hypothesis import strategies as st
from support import history_settings, saved_later

from opsync.connectors.local import readcache, tracker
from opsync.engine.report import RunReport
from opsync.engine.run import run

START = datetime.fromisoformat(NOW)

MINUTES = st.one_of(
    st.sampled_from([0, 0, 1, 61, 60 * 17, 60 * 24, 60 * 24 * 3, 60 * 24 * 8]),
    st.integers(min_value=0, max_value=60 * 30),
)
# an edit names what it touches by an index, taken modulo what the organisation holds
EDITS = st.one_of(
    st.tuples(st.just("none")),
    st.tuples(st.just("title"), st.integers(0, 10_000)),
    st.tuples(st.just("launch"), st.integers(0, 10_000), st.integers(-20, 20)),
    st.tuples(st.just("tier"), st.integers(0, 10_000), st.sampled_from(["1", "2", "3"])),
    st.tuples(st.just("insight"), st.integers(0, 10_000)),
    st.tuples(st.just("delete"), st.integers(0, 10_000)),
    st.tuples(st.just("note"), st.integers(0, 10_000)),  # a person's text outside regions
    st.tuples(st.just("region"), st.integers(0, 10_000)),  # a person's edit inside one
)
HISTORY = st.lists(st.tuples(EDITS, MINUTES), min_size=1, max_size=5)
ORGS = st.tuples(st.integers(0, 2**16), st.integers(4, 30))  # (seed, releases)


def _sub(path: Path, pattern: str, replace: Any) -> Path | None:
    text = path.read_text("utf-8")
    new = re.sub(pattern, replace, text, count=1)
    if new == text:
        return None
    path.write_text(new, "utf-8")
    return path


def _pick(paths: list[Path], index: int) -> Path | None:
    return paths[index % len(paths)] if paths else None


def _edit(root: Path, edit: tuple[Any, ...], step: int) -> Path | None:
    """Make one edit in ``root``; returns the file it changed (None: none, or deleted)."""
    kind, *args = edit
    export = root / "tracker" / "releases.yaml"
    rows = re.findall(r"^- key: (REL-\d+)$", export.read_text("utf-8"), flags=re.M)
    if kind in ("title", "launch", "tier") and rows:
        key = rows[args[0] % len(rows)]
        row = rf"(- key: {key}\n(?:  .*\n)*?  "
        if kind == "title":
            return _sub(export, row + r'title: ")', rf"\g<1>Step {step}: ")
        if kind == "tier":
            return _sub(export, row + r"tier: )\d", rf"\g<1>{args[1]}")

        def moved(match: re.Match[str]) -> str:
            day = datetime.fromisoformat(match.group(2)).date() + timedelta(days=args[1])
            return f"{match.group(1)}{day.isoformat()}"

        return _sub(export, row + r"launch_date: )(\d{4}-\d\d-\d\d)", moved)
    wiki = root / "wiki"
    if kind == "insight":
        path = _pick(sorted((wiki / "insights").glob("*.md")), args[0])
        return _sub(path, r'summary: "?', f"summary: Step {step}: ") if path else None
    if kind == "delete":  # a record a person removed (a decision or an insight)
        path = _pick(sorted([*wiki.glob("decisions/*.md"), *wiki.glob("insights/*.md")]), args[0])
        if path is not None:
            path.unlink()
        return None
    pages = sorted((root / "pages").rglob("*.md"))
    path = _pick(pages, args[0]) if kind in ("note", "region") else None
    if path is None:
        return None
    if kind == "note":
        path.write_text(path.read_text("utf-8") + f"\nA note of mine ({step}).\n", "utf-8")
        return path
    return _sub(path, r"(<!-- opsync:begin [^\n]*-->\n)", rf"\g<1>My own line ({step}).\n")


@contextmanager
def _at(work: Path, kept: Path, *, first: bool = False) -> Iterator[None]:
    """The copy ``kept`` at ``work`` while a run reads and writes it: both copies run at
    the same path, as the pages and messages name a page by its path (the renames keep
    every file's inode and stat, which the memo's key holds)."""
    if not first:
        kept.rename(work)
    try:
        yield
    finally:
        work.rename(kept)


def _outcome(report: RunReport) -> str:
    data = report.to_json()
    decided = [data["findings"], data["scorecard"], data["operations"], data["conflicts"]]
    return json.dumps(decided, sort_keys=True)


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    }


@pytest.mark.sqlite_state  # the bench's organisations keep their state in SQLite
def test_a_remembered_run_equals_a_full_run_on_random_organisations(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readcache, "RACY_NS", 0)
    monkeypatch.setattr(tracker, "RACY_NS", 0)
    skipped: list[bool] = []

    @history_settings(3)
    @given(ORGS, HISTORY)
    def history(org: tuple[int, int], steps: list[tuple[tuple[Any, ...], int]]) -> None:
        seed, size = org
        base = tmp_path_factory.mktemp("generated")
        work, cron, full = base / "work", base / "cron", base / "full"
        for kept in (cron, full):
            with _at(work, kept, first=True):
                made = generate(work, size, START.date(), seed=seed)
                (work / "org.json").write_text(json.dumps(made.manifest()), encoding="utf-8")
                assert run(spec_for(work), START, write=True).failed == []
        now = START
        for step, (edit, minutes) in enumerate([(("none",), 0), *steps]):
            for kept in (cron, full):
                saved_later(_edit(kept, edit, step), step)
            now += timedelta(minutes=minutes)
            for _ in range(2):  # the second sync of a step is the one the memo can skip
                with _at(work, cron):
                    a = run(spec_for(work), now, write=True)
                with _at(work, full):
                    b = run(spec_for(work), now, write=True, full=True)
                assert not b.unchanged
                assert _outcome(a) == _outcome(b), (seed, size, step, edit, now)
                assert (a.exit_code, a.writes) == (b.exit_code, b.writes)
                skipped.append(a.unchanged)
            assert _files(cron) == _files(full), (seed, size, step, edit, now)

    history()
    assert any(skipped), "no run was skipped: the property says nothing about the memo"
