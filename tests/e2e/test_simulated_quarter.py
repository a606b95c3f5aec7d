"""Issue 16's acceptance: a simulated quarter on the bundled Acme organisation.

One real sync per day (``--now`` stepped daily at 09:00 New York time), from the first day
of Acme's rollout (Thursday 2026-10-01) through the first business days of 2027, on one
workspace and one state store, as cron would run it. After each run the test notes which
pages exist; each ritual page must appear on its publication day, not a day earlier, and
exist once (one file per key) ever after. Acme's calendar: US federal holidays plus
Thanksgiving Friday, Christmas Eve and New Year's Eve off.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from opsync import api

NY = ZoneInfo("America/New_York")
FIRST_DAY = date(2026, 10, 1)
LAST_DAY = date(2027, 1, 5)
EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "opsync" / "examples" / "acme"
RITUAL_PAGES = ("roadmap-review/", "readiness/", "rollout-retro/", "qbr/", "intake-triage/")


class Quarter:
    """What the daily runs made: the first day each page existed, and every exit code."""

    def __init__(self) -> None:
        self.first_seen: dict[str, date] = {}
        self.exit_codes: dict[date, int] = {}
        self.pages_per_day: dict[date, frozenset[str]] = {}


@pytest.fixture(scope="module")
def quarter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Quarter]:
    work = tmp_path_factory.mktemp("quarter") / "acme"
    shutil.copytree(EXAMPLE, work)
    seen = Quarter()
    day = FIRST_DAY
    while day <= LAST_DAY:
        report = api.sync(work / "opsync.toml", now=datetime.combine(day, time(9), NY))
        seen.exit_codes[day] = report.exit_code
        pages = frozenset(
            str(p.relative_to(work / "pages").with_suffix("")).replace("\\", "/")
            for p in (work / "pages").rglob("*.md")
        )
        seen.pages_per_day[day] = pages
        for key in pages:
            seen.first_seen.setdefault(key, day)
        day += timedelta(days=1)
    yield seen


def _first(quarter: Quarter, prefix: str) -> dict[str, date]:
    return {k: d for k, d in sorted(quarter.first_seen.items()) if k.startswith(prefix)}


def test_every_daily_run_succeeds(quarter: Quarter) -> None:
    # findings are not failures: never a failed write, a conflict or unreadable input
    assert set(quarter.exit_codes.values()) == {0}, quarter.exit_codes


def test_a_page_once_made_is_never_removed_nor_duplicated(quarter: Quarter) -> None:
    days = sorted(quarter.pages_per_day)
    for before, after in pairwise(days):
        assert quarter.pages_per_day[before] <= quarter.pages_per_day[after], after
