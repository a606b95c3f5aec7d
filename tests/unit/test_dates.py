"""Date wording (ranges, quarters, ISO weeks) and the R3/R4 schedules built on the calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from conftest import NY, MakeCtx, ny
from opsync.rules.dates import (
    DateWords,
    Quarter,
    as_aware,
    clock,
    date_range,
    iso_week_key,
    long_date,
    third_of_month,
    timing,
    week_monday,
    week_plan,
    weekday_date,
)
from opsync.settings import DateStyle


@pytest.mark.parametrize(
    ("day", "third"),
    [(1, "early"), (10, "early"), (11, "mid"), (20, "mid"), (21, "late"), (31, "late")],
)
def test_third_of_month_boundaries(day: int, third: str) -> None:
    assert third_of_month(date(2027, 3, day)) == third


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # one third of one month
        (date(2027, 3, 2), date(2027, 3, 9), "early March 2027"),
        # two thirds of one month: tight en dash
        (date(2027, 3, 2), date(2027, 3, 15), "early–mid March 2027"),
        (date(2027, 3, 12), date(2027, 3, 28), "mid–late March 2027"),
        # crossing a month: spaced en dash
        (date(2027, 3, 25), date(2027, 4, 6), "late March – early April 2027"),
        (date(2027, 2, 22), date(2027, 3, 12), "late February – mid March 2027"),
        # crossing a year: both years named
        (date(2026, 12, 21), date(2027, 1, 8), "late December 2026 – early January 2027"),
        (date(2026, 12, 1), date(2027, 1, 31), "December 2026 – January 2027"),
        # whole months
        (date(2027, 3, 1), date(2027, 3, 31), "March 2027"),
        (date(2027, 3, 3), date(2027, 4, 28), "March–April 2027"),
        # whole quarters
        (date(2027, 1, 1), date(2027, 3, 31), "Q1 2027"),
        (date(2027, 1, 4), date(2027, 6, 25), "Q1–Q2 2027"),
        (date(2026, 10, 1), date(2027, 3, 31), "Q4 2026 – Q1 2027"),
        # leap day is late February
        (date(2028, 2, 29), None, "late February 2028"),
    ],
)
def test_date_range_wording(start: date, end: date | None, expected: str) -> None:
    assert date_range(start, end) == expected


def test_date_range_never_names_a_day() -> None:
    label = date_range(date(2027, 3, 5), date(2027, 3, 5))
    assert label == "early March 2027"
    assert "5" not in label.replace("2027", "")


def test_date_range_one_end_and_swapped_ends() -> None:
    assert date_range(None, date(2027, 4, 14)) == "mid April 2027"
    assert date_range(date(2027, 4, 14), None) == "mid April 2027"
    assert date_range(date(2027, 4, 6), date(2027, 3, 25)) == "late March – early April 2027"
    assert date_range(None, None) is None


@pytest.mark.parametrize(
    ("day", "quarter"),
    [
        (date(2027, 1, 1), Quarter(2027, 1)),
        (date(2027, 3, 31), Quarter(2027, 1)),
        (date(2027, 4, 1), Quarter(2027, 2)),
        (date(2026, 12, 31), Quarter(2026, 4)),
    ],
)
def test_quarter_of_boundaries(day: date, quarter: Quarter) -> None:
    assert Quarter.of(day) == quarter
    assert quarter.contains(day)


def test_quarter_bounds_next_and_labels() -> None:
    q4 = Quarter(2026, 4)
    assert (q4.start, q4.end) == (date(2026, 10, 1), date(2026, 12, 31))
    assert q4.next() == Quarter(2027, 1)
    assert Quarter(2027, 1).end == date(2027, 3, 31)
    assert (q4.key, q4.label) == ("2026-Q4", "Q4 2026")
    assert Quarter(2026, 4) < Quarter(2027, 1)


@pytest.mark.parametrize("text", ["2027-Q1", "2027 Q1", "Q1 2027", "q1-2027", " 2027Q1 "])
def test_quarter_parse_accepts_common_spellings(text: str) -> None:
    assert Quarter.parse(text) == Quarter(2027, 1)


@pytest.mark.parametrize("text", ["2027-Q5", "Q1", "spring 2027", "27-Q1", ""])
def test_quarter_parse_rejects_what_is_not_a_quarter(text: str) -> None:
    assert Quarter.parse(text) is None


def test_timing_prefers_dates_and_lands_where_the_range_ends() -> None:
    crossing = timing(date(2026, 12, 14), date(2027, 1, 8), "2026-Q4")
    assert crossing is not None
    assert crossing.quarter == Quarter(2027, 1)
    assert crossing.sort == date(2026, 12, 14)
    only_quarter = timing(None, None, "2027-Q2")
    assert only_quarter is not None
    assert (only_quarter.label, only_quarter.quarter) == ("Q2 2027", Quarter(2027, 2))
    assert timing(None, None, "someday") is None
    assert timing(None, None, None) is None


def test_iso_week_uses_the_iso_year() -> None:
    assert iso_week_key(date(2026, 12, 3)) == "2026-W49"
    assert iso_week_key(date(2027, 1, 1)) == "2026-W53"
    assert iso_week_key(date(2027, 1, 4)) == "2027-W01"
    assert week_monday(date(2026, 12, 6)) == date(2026, 11, 30)


def test_reader_formats_do_not_depend_on_locale() -> None:
    assert long_date(date(2026, 12, 3)) == "December 3, 2026"
    assert weekday_date(date(2026, 12, 3)) == "Thursday, December 3, 2026"
    assert weekday_date(date(2026, 12, 3), year=False) == "Thursday, December 3"
    assert clock(time(14, 0)) == "14:00"


def test_naive_timestamps_are_read_as_org_local() -> None:
    assert as_aware(datetime(2026, 12, 3, 15), NY) == ny(2026, 12, 3, 15)
    aware = datetime(2026, 12, 3, 20, tzinfo=UTC)
    assert as_aware(aware, NY) is aware


# --- R3 week plan across the US DST changes ---------------------------------------------


def test_week_plan_thursday_deadlines_in_a_plain_week(make_ctx: MakeCtx) -> None:
    plan = week_plan(make_ctx(ny(2026, 11, 30, 9)))
    assert plan.key == "2026-W49"
    assert (plan.monday, plan.update_day, plan.sunday) == (
        date(2026, 11, 30),
        date(2026, 12, 3),
        date(2026, 12, 6),
    )
    assert plan.submission_due == ny(2026, 12, 3, 14)
    assert plan.publish_due == ny(2026, 12, 3, 16)
    assert plan.document_key == "weekly-update/2026-W49"
    assert plan.title() == "Weekly Product Update — December 3, 2026"


def test_week_plan_deadlines_follow_the_autumn_dst_change(make_ctx: MakeCtx) -> None:
    # DST ends Sunday 2026-11-01: that Sunday still belongs to the week of Thursday Oct 29.
    before = week_plan(make_ctx(ny(2026, 11, 1, 12)))
    after = week_plan(make_ctx(ny(2026, 11, 2, 9)))
    assert before.update_day == date(2026, 10, 29)
    assert before.submission_due.astimezone(UTC) == datetime(2026, 10, 29, 18, tzinfo=UTC)
    assert after.update_day == date(2026, 11, 5)
    assert after.submission_due.astimezone(UTC) == datetime(2026, 11, 5, 19, tzinfo=UTC)
    assert after.publish_due.astimezone(UTC) == datetime(2026, 11, 5, 21, tzinfo=UTC)


def test_week_plan_deadlines_follow_the_spring_dst_change(make_ctx: MakeCtx) -> None:
    # DST starts Sunday 2027-03-14 (second Sunday of March).
    before = week_plan(make_ctx(ny(2027, 3, 14, 12)))
    after = week_plan(make_ctx(ny(2027, 3, 15, 9)))
    assert before.submission_due.astimezone(UTC) == datetime(2027, 3, 11, 19, tzinfo=UTC)
    assert after.submission_due.astimezone(UTC) == datetime(2027, 3, 18, 18, tzinfo=UTC)
    assert after.submission_due == ny(2027, 3, 18, 14)


def test_week_plan_at_the_iso_year_boundary(make_ctx: MakeCtx) -> None:
    plan = week_plan(make_ctx(ny(2027, 1, 2, 12)))
    assert plan.key == "2026-W53"
    assert plan.update_day == date(2026, 12, 31)


def test_week_plan_moves_a_holiday_update_day_to_the_business_day_before(
    make_ctx: MakeCtx,
) -> None:
    # Thu 2026-11-26 is Thanksgiving: the update is due Wednesday instead, in the same week.
    plan = week_plan(make_ctx(ny(2026, 11, 23, 9)))
    assert plan.key == "2026-W48"
    assert plan.update_day == date(2026, 11, 25)
    assert plan.submission_due == ny(2026, 11, 25, 14)
    assert plan.title() == "Weekly Product Update — November 25, 2026"


def test_date_words_write_one_style_and_the_year_only_outside_the_pages_year() -> None:
    day, next_year = date(2026, 12, 3), date(2027, 1, 4)
    long = DateWords(DateStyle.LONG, day)
    assert (long.prose(day), long.cell(day), long.title(day)) == (
        "Thursday, December 3",
        "Dec 3",
        "December 3, 2026",
    )
    assert (long.prose(next_year), long.cell(next_year)) == (
        "Monday, January 4, 2027",
        "Jan 4, 2027",
    )
    assert long.full(day) == "Thursday, December 3, 2026"
    assert long.month(day) == "December 2026"
    assert long.moment(day, time(14, 20)) == "Thursday, December 3 at 14:20"
    assert long.cell(None) == "—"
    short = DateWords(DateStyle.SHORT, day)
    assert (short.prose(day), short.full(day), short.title(day)) == (
        "Thu, Dec 3",
        "Thu, Dec 3, 2026",
        "Dec 3, 2026",
    )
    iso = DateWords(DateStyle.ISO, day)
    assert {iso.prose(day), iso.cell(day), iso.title(day), iso.full(day)} == {"2026-12-03"}
    assert iso.month(day) == "2026-12"
