"""The Notion request benchmark's scenarios at a tiny scale, so the script cannot rot.

Nothing here is timed: the figures are the benchmark's business (docs/benchmarks.md). What
is checked is that each scenario does what its name says, against a real emulator through
the real SDK, and that the tables render. ``bench`` is imported from the repository root,
which is on the path when the suite runs as ``python -m pytest`` (the README's command).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from bench.notion_org import TOKEN_ENV
from bench.notion_requests import PHASES, change_one, measure, pace_check, prepared
from bench.notion_tables import markdown, query_pages

from opsync.connectors.notion.client import BASE_URL_ENV

TINY = "12"  # releases: 6 areas, 1 decision, 6 insights, the weekly submissions and roadmap


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return measure(TINY, tmp_path_factory.mktemp("nbench"))


def test_the_wiki_is_seeded_and_the_first_sync_writes_what_the_report_counts(
    tiny: dict[str, Any],
) -> None:
    assert tiny["seeded"]["insights"] == tiny["generated"]["insights"] == 6
    first = tiny["first"]
    assert first["writes"] > 0 and not first["failed"]
    assert first["report_requests"] == {"reads": first["reads"], "writes": first["writes"]}
    # every seeded insight is read, and its derived fields written
    assert tiny["rows"]["insights"] == 6
    assert first["operations"]["update_record insights"] == 6


def test_no_op_syncs_write_nothing_and_only_the_last_one_does_a_full_pass(
    tiny: dict[str, Any],
) -> None:
    for phase in ("noop-1", "noop-2", "noop-full"):
        assert (tiny[phase]["writes"], tiny[phase]["operations"]) == (0, {}), phase
    # only the first sync and the no-op with the pass due (change-2, after it, has none)
    assert [p for p in PHASES if tiny[p]["full_pass"]] == ["first", "noop-full"]
    # a full pass lists every row: one query page per 100 rows of each collection, and
    # one GET of the write lease (connectors/notion/lease.py)
    assert tiny["noop-full"]["reads"] == query_pages(tiny["rows"]) + 1
    # any other no-op reads one query page per collection: the rows opsync wrote last are
    # in its mirror, so the query leaves them out (and asks users/me no more: kept)
    for phase in ("noop-1", "noop-2"):
        assert tiny[phase]["reads"] <= len(tiny["rows"]) + 1, phase


def test_the_one_change_sync_touches_only_the_changed_release(tiny: dict[str, Any]) -> None:
    key = tiny["changed"]["release"]
    applied = tiny["change"]["applied"]
    assert applied and all(key in line or "rituals.ics" in line for line in applied), applied
    assert tiny["change"]["operations"]["update_record releases"] == 1


def test_change_one_edits_one_launch_date_line(tmp_path: Path) -> None:
    tracker = tmp_path / "releases.yaml"
    rows = [
        "- key: A-1\n  tier: 2\n  launch_date: 2026-12-10\n",
        "- key: A-2\n  tier: 1\n  launch_date: 2027-01-20\n",
        "- key: A-3\n  tier: 2\n  launch_date: 2027-01-20\n",
        "- key: A-4\n  tier: 2\n  launch_date: 2027-01-20\n",
    ]
    tracker.write_text("".join(rows), encoding="utf-8")
    changed = change_one(tracker, "2026-12-03T15:00:00-05:00")
    assert changed == {"release": "A-3", "launch_date": "2027-01-20 → 2027-01-27"}
    expected = [*rows[:2], rows[2].replace("2027-01-20", "2027-01-27"), rows[3]]
    assert tracker.read_text(encoding="utf-8") == "".join(expected)


def test_the_pace_check_and_the_tables_render(tiny: dict[str, Any], tmp_path: Path) -> None:
    paced = pace_check(tmp_path, pace=380.0, limit=400.0, org=TINY)
    assert paced["requests"] > 0 and not paced["failed"]
    assert paced["apply"]["requests"] > 0
    text = markdown({"orgs": [{**tiny, "wall_s": 0.0}], "paces": [paced]})
    assert "### 12 releases" in text and "| noop-full |" in text
    assert "Pace against a rate-limited emulator" in text


def test_the_environment_is_put_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BASE_URL_ENV, "https://example.invalid")
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with prepared("acme", tmp_path, pace=100.0, limit=None) as (_, emulator, _clock, _info):
        assert os.environ[BASE_URL_ENV] == emulator.base_url
        assert os.environ[TOKEN_ENV] == emulator.token
    assert os.environ[BASE_URL_ENV] == "https://example.invalid"
    assert TOKEN_ENV not in os.environ
