"""The run's memo never changes what a sync does (issue 19, "incremental plan equals full
plan"): two copies of a synced organisation receive the same random edits, one synced as
cron does (remembering runs that planned nothing, skipping runs whose inputs did not
change) and one always read and planned whole (``full``), at the same random clocks. After
every sync both report the same findings, scorecard, operations and conflicts, and hold
the same files, byte for byte.

``OPSYNC_PROPERTY_EXAMPLES`` sets how many random histories are tried (6 in CI, which
takes about a minute; docs/benchmarks.md gives a longer run's figures).
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from support import ACME_NOW, EXAMPLES, history_settings, saved_later

from opsync import api
from opsync.connectors.local import readcache, tracker
from opsync.engine.report import RunReport

START = datetime.fromisoformat(ACME_NOW)
RELEASES = [f"ACME-{n}" for n in range(101, 141)]

# a step: an edit (or none) made to both copies, then the clock moved on by some minutes
MINUTES = st.one_of(
    st.sampled_from([0, 0, 1, 59, 61, 60 * 3, 60 * 17, 60 * 24, 60 * 24 * 3, 60 * 24 * 7]),
    st.integers(min_value=0, max_value=60 * 30),
)
EDITS = st.one_of(
    st.tuples(st.just("none")),
    st.tuples(st.just("touch"), st.sampled_from(["decisions/DEC-013", "insights/INS-001"])),
    st.tuples(st.just("launch"), st.sampled_from(RELEASES), st.integers(-6, 6)),
    st.tuples(st.just("reviewed"), st.integers(0, 60)),
    st.tuples(
        st.just("bundle"),
        st.sampled_from(["ACME-102", "ACME-104", "ACME-105"]),
        st.sampled_from(["drafting", "draft"]),  # "draft" is no state: a finding
    ),
    st.tuples(st.just("insight"), st.integers(900, 905)),
    st.tuples(st.just("unsubmit"), st.sampled_from(["2026-W49-modeling", "2026-W49-modeling-ben"])),
    st.tuples(st.just("page")),
    st.tuples(st.just("picture")),  # the scorecard's chart picture deleted
)
HISTORY = st.lists(st.tuples(EDITS, MINUTES), min_size=1, max_size=6)


def _rewrite(path: Path, pattern: str, replace: Any) -> None:
    if path.exists():
        path.write_text(re.sub(pattern, replace, path.read_text("utf-8"), count=1), "utf-8")


def _edit(root: Path, edit: tuple[Any, ...], step: int) -> Path | None:
    """Make one edit in ``root``; returns the file it changed."""
    kind, *args = edit
    wiki = root / "wiki"
    if kind == "touch":
        return wiki / f"{args[0]}.md"
    if kind == "launch":
        key, days = args
        path = root / "tracker" / "releases.yaml"

        def moved(match: re.Match[str]) -> str:
            day = datetime.fromisoformat(match.group(2)).date() + timedelta(days=days)
            return f"{match.group(1)}{day.isoformat()}"

        _rewrite(path, rf"(- key: {key}\n(?:  .*\n)*?  launch_date: )(\d{{4}}-\d\d-\d\d)", moved)
        return path
    if kind == "reviewed":
        path = wiki / "decisions" / "DEC-013.md"
        day = (START.date() - timedelta(days=args[0])).isoformat()
        _rewrite(path, r"reviewed_on: .*", f"reviewed_on: {day}")
        return path
    if kind == "bundle":
        path = wiki / "releases" / f"{args[0]}.md"
        _rewrite(path, r"bundle_state: \w+", f"bundle_state: {args[1]}")
        return path
    if kind == "insight":
        path = wiki / "insights" / f"INS-{args[0]}.md"
        path.write_text(
            f"---\nkey: INS-{args[0]}\nsummary: Exports time out on large workspaces\n"
            "source: support tickets\nreceived_on: 2026-11-30\ntheme: reliability\n"
            "severity: high\nproduct_area: dashboards\n---\n",
            "utf-8",
        )
        return path
    if kind == "unsubmit":
        path = wiki / "weekly_submissions" / f"{args[0]}.md"
        path.unlink(missing_ok=True)
        return None
    if kind == "picture":
        for picture in (root / "pages").rglob("*.png"):
            picture.unlink()
        return None
    if kind == "page":
        pages = sorted((root / "pages").rglob("*.md"))
        if not pages:
            return None
        path = pages[step % len(pages)]
        path.write_text(path.read_text("utf-8") + f"\nA note of mine ({step}).\n", "utf-8")
        return path
    return None


def _outcome(report: RunReport, root: Path) -> str:
    """What a run decided, with the copy's folder in messages named alike."""
    data = report.to_json()
    decided = [data["findings"], data["scorecard"], data["operations"], data["conflicts"]]
    return json.dumps(decided, sort_keys=True).replace(str(root), "<root>")


def _files(root: Path) -> dict[str, bytes]:
    """Every file a person or a reader sees (not the config, the state store nor the lease),
    with the copy's own folder in links named alike: without a link base URL, messages
    link to a page by its path."""
    return {
        str(p.relative_to(root)): p.read_bytes().replace(bytes(root), b"<root>")
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and p.name != "opsync.toml"  # each copy's own state key
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    }


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """acme after its first sync (what every history starts from)."""
    root = tmp_path_factory.mktemp("synced") / "acme"
    shutil.copytree(EXAMPLES / "acme", root)
    assert api.sync(root / "opsync.toml", now=START).exit_code == 0
    return root


def test_a_remembered_run_equals_a_full_run_after_any_edits_at_any_clocks(
    synced: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readcache, "RACY_NS", 0)
    monkeypatch.setattr(tracker, "RACY_NS", 0)  # see saved_later
    skipped: list[int] = []

    @history_settings(6)
    @given(HISTORY)
    @example([(("picture",), 0)])  # found nothing to read before the pictures were hashed
    def history(steps: list[tuple[tuple[Any, ...], int]]) -> None:
        base = tmp_path_factory.mktemp("history")
        cron, full = base / "cron", base / "full"
        for root in (cron, full):
            shutil.copytree(synced, root)
            config = root / "opsync.toml"  # a state of its own, in PostgreSQL too
            text = config.read_text("utf-8").replace("[state]\n", f'[state]\nkey = "{root.name}"\n')
            config.write_text(text, "utf-8")
        now = START
        for step, (edit, minutes) in enumerate([((("none",)), 0), *steps]):
            for root in (cron, full):
                saved_later(_edit(root, edit, step), step)
            now += timedelta(minutes=minutes)
            for _ in range(2):  # the second sync of a step is the one the memo can skip
                a = api.sync(cron / "opsync.toml", now=now)
                b = api.sync(full / "opsync.toml", now=now, full=True)
                assert not b.unchanged
                assert _outcome(a, cron) == _outcome(b, full), (step, edit, now)
                assert (a.exit_code, a.writes) == (b.exit_code, b.writes)
                skipped.append(a.unchanged)
            assert _files(cron) == _files(full), (step, edit, now)

    history()
    assert any(skipped), "no run was skipped: the property says nothing about the memo"
