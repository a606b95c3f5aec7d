"""Business-day arithmetic as RULES.md defines it: L itself is not counted, non-business
days are skipped, and dates are local to the organisation's timezone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from opsync.calendar import BusinessCalendar


def test_step_back_over_thanksgiving(calendar: BusinessCalendar) -> None:
    # Mon 30 Nov 2026, back 5 BD: Fri 27, Wed 25, Tue 24, Mon 23, Fri 20 (Thu 26 is Thanksgiving)
    assert calendar.step_back(date(2026, 11, 30), 5) == date(2026, 11, 20)
    assert calendar.holiday_name(date(2026, 11, 26)) == "Thanksgiving Day"


def test_step_back_over_christmas_and_new_year(calendar: BusinessCalendar) -> None:
    # Tue 5 Jan 2027 back 10 BD skips Jan 1 (Fri), Dec 25 (Fri) and four weekends.
    assert calendar.step_back(date(2027, 1, 5), 10) == date(2026, 12, 18)
    assert calendar.step_back(date(2027, 1, 4), 2) == date(2026, 12, 30)


def test_step_back_from_a_weekend_day_does_not_count_it(calendar: BusinessCalendar) -> None:
    saturday = date(2026, 12, 12)
    assert calendar.step_back(saturday, 1) == date(2026, 12, 11)
    assert calendar.step_back(saturday, 2) == date(2026, 12, 10)


def test_step_zero_is_the_day_itself(calendar: BusinessCalendar) -> None:
    assert calendar.step_back(date(2026, 12, 12), 0) == date(2026, 12, 12)


def test_step_forward_and_back_are_inverse_on_business_days(calendar: BusinessCalendar) -> None:
    start = date(2026, 11, 20)
    assert calendar.step_forward(start, 5) == date(2026, 11, 30)
    assert calendar.business_days_between(start, date(2026, 11, 30)) == 5


def test_negative_steps_are_refused(calendar: BusinessCalendar) -> None:
    with pytest.raises(ValueError):
        calendar.step_back(date(2026, 12, 1), -1)


def test_company_days_off_and_custom_weekend() -> None:
    cal = BusinessCalendar(
        timezone="Asia/Dubai", country=None, extra_days_off=[date(2026, 12, 2)], weekend=(6, 7)
    )
    assert not cal.is_business_day(date(2026, 12, 2))
    assert cal.holiday_name(date(2026, 12, 2)) == "Company day off"
    assert cal.step_back(date(2026, 12, 3), 1) == date(2026, 12, 1)
    fri_sat = BusinessCalendar(timezone="Asia/Dubai", weekend=(5, 6))
    assert fri_sat.is_business_day(date(2026, 12, 6))  # a Sunday
    assert not fri_sat.is_business_day(date(2026, 12, 4))  # a Friday


def test_subdivision_holidays_apply() -> None:
    # Cesar Chavez Day is a California state holiday, not a federal one.
    ca = BusinessCalendar(timezone="America/Los_Angeles", country="US", subdivision="CA")
    us = BusinessCalendar(timezone="America/Los_Angeles", country="US")
    assert not ca.is_business_day(date(2027, 3, 31))
    assert us.is_business_day(date(2027, 3, 31))


def test_local_date_is_the_org_date_not_utc(calendar: BusinessCalendar) -> None:
    # 02:00 UTC on 4 Dec is still 3 Dec in New York: a deadline on the 3rd is not yet missed.
    assert calendar.local_date(datetime(2026, 12, 4, 2, 0, tzinfo=UTC)) == date(2026, 12, 3)


def test_local_times_across_daylight_saving(calendar: BusinessCalendar) -> None:
    # Thursday 14:00 in New York is 19:00 UTC in winter and 18:00 UTC in summer; DST starts
    # on 14 Mar 2027 and ends on 1 Nov 2026.
    assert calendar.at(date(2027, 3, 11), time(14, 0)).astimezone(UTC).hour == 19
    assert calendar.at(date(2027, 3, 18), time(14, 0)).astimezone(UTC).hour == 18
    assert calendar.at(date(2026, 10, 29), time(14, 0)).astimezone(UTC).hour == 18
    assert calendar.at(date(2026, 11, 5), time(14, 0)).astimezone(UTC).hour == 19


def test_naive_datetimes_are_refused(calendar: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="timezone"):
        calendar.local_date(datetime(2026, 12, 3, 15, 0))
