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


def test_each_roadmap_review_prep_page_appears_the_business_day_before_its_review(
    quarter: Quarter,
) -> None:
    # Biweekly Tuesdays; Columbus Day (Monday Oct 12) moves the Oct 13 prep to Friday Oct 9.
    assert _first(quarter, "roadmap-review/") == {
        "roadmap-review/2026-10-13": date(2026, 10, 9),
        "roadmap-review/2026-10-27": date(2026, 10, 26),
        "roadmap-review/2026-11-10": date(2026, 11, 9),
        "roadmap-review/2026-11-24": date(2026, 11, 23),
        "roadmap-review/2026-12-08": date(2026, 12, 7),
        "roadmap-review/2026-12-22": date(2026, 12, 21),
        "roadmap-review/2027-01-05": date(2027, 1, 4),
    }


def test_each_rollout_retro_page_appears_two_business_days_before_it(quarter: Quarter) -> None:
    # Day 28 (Wed Oct 28), Day 56 (Wed Nov 25), Day 90 (Tue Dec 29): two business days
    # before Dec 29 skip Christmas Eve (a day off), Christmas and the weekend.
    assert _first(quarter, "rollout-retro/") == {
        "rollout-retro/week-4": date(2026, 10, 26),
        "rollout-retro/week-8": date(2026, 11, 23),
        "rollout-retro/week-12": date(2026, 12, 23),
    }


def test_the_qbr_pack_appears_five_business_days_before_the_quarter_starts(
    quarter: Quarter,
) -> None:
    # 2027 Q1's planning is Monday Jan 4: five business days back skip New Year's Eve, Christmas
    # and Christmas Eve, to Tuesday Dec 22. Q4's (Oct 1) was due before the rollout; the first
    # run, on its meeting day, still makes it.
    assert _first(quarter, "qbr/") == {
        "qbr/2026-Q4": date(2026, 10, 1),
        "qbr/2027-Q1": date(2026, 12, 22),
    }


def test_the_intake_triage_page_is_made_each_monday(quarter: Quarter) -> None:
    first = _first(quarter, "intake-triage/")
    assert len(first) == 15  # 2026-W40 (the first run, a Thursday) to 2027-W01
    assert all(day.weekday() == 0 for key, day in first.items() if key != "intake-triage/2026-W40")
    assert first["intake-triage/2026-W53"] == date(2026, 12, 28)


def test_each_readiness_page_appears_five_business_days_before_its_launch(
    quarter: Quarter,
) -> None:
    # Tier 2/3 releases only; until Nov 2 enablement runs for the Dashboards pilot alone, so
    # ACME-110 (Admin, launching Nov 4) gets its page the day its area joins, not Oct 28.
    # Veterans Day (Nov 11), Thanksgiving and its Friday off are skipped when counting back.
    assert _first(quarter, "readiness/") == {
        "readiness/ACME-102": date(2026, 10, 1),  # launches Oct 8: L - 5 BD is the first run
        "readiness/ACME-108": date(2026, 10, 20),
        "readiness/ACME-110": date(2026, 11, 2),
        "readiness/ACME-112": date(2026, 11, 3),
        "readiness/ACME-113": date(2026, 11, 4),
        "readiness/ACME-115": date(2026, 11, 9),
        "readiness/ACME-117": date(2026, 11, 12),
        "readiness/ACME-118": date(2026, 11, 16),
        "readiness/ACME-119": date(2026, 11, 17),
        "readiness/ACME-121": date(2026, 11, 19),
        "readiness/ACME-124": date(2026, 11, 24),
        "readiness/ACME-125": date(2026, 11, 25),
        "readiness/ACME-126": date(2026, 12, 1),
        "readiness/ACME-127": date(2026, 12, 2),
        "readiness/ACME-129": date(2026, 12, 3),
        "readiness/ACME-131": date(2026, 12, 8),
        "readiness/ACME-133": date(2026, 12, 9),
        "readiness/ACME-134": date(2026, 12, 10),
        "readiness/ACME-135": date(2026, 12, 15),
        "readiness/ACME-138": date(2027, 1, 5),
    }


def test_no_ritual_page_exists_but_those_expected(quarter: Quarter) -> None:
    """A page's key is its file, so one file per ritual occurrence: no second copy under
    another name, no page for an occurrence that is not due."""
    last = quarter.pages_per_day[LAST_DAY]
    made = {
        k for k in last if k.startswith(("roadmap-review/", "rollout-retro/", "qbr/", "readiness/"))
    }
    assert len(made) == 7 + 3 + 2 + 20
