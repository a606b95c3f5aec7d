"""The organisation's business calendar: timezone, weekends, public and company holidays.

Every deadline of the pack ("L - 5 BD", "Thursday 14:00") is computed here, so that a
date is never one day off because of UTC midnight or a forgotten holiday. RULES.md defines
"L - N BD" as the date reached by stepping back N business days from L, skipping
non-business days and not counting L itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

from opsync import public_holidays


class BusinessCalendar:
    """Business days of one organisation.

    Args:
        timezone: IANA zone name of the organisation, e.g. ``America/New_York``.
        country: ISO 3166 country code whose public holidays are days off, or None.
        subdivision: optional state/province code for the country's holidays.
        extra_days_off: company days off on top of public holidays.
        weekend: ISO weekday numbers (Monday=1 … Sunday=7) that are never business days.
    """

    def __init__(
        self,
        timezone: str = "UTC",
        country: str | None = None,
        subdivision: str | None = None,
        extra_days_off: Iterable[date] = (),
        weekend: Iterable[int] = (6, 7),
    ) -> None:
        self.timezone = timezone
        self.tz = ZoneInfo(timezone)
        self.country = country
        self.subdivision = subdivision
        self.extra_days_off = frozenset(extra_days_off)
        self.weekend = frozenset(weekend)

    @cached_property
    def _holidays(self) -> holidays.HolidayBase | None:
        if not self.country:
            return None
        return public_holidays.country_holidays(self.country, self.subdivision)

    def holiday_name(self, day: date) -> str | None:
        """The name of the public holiday or company day off on ``day``, if any."""
        if day in self.extra_days_off:
            return "Company day off"
        if self._holidays is not None:
            name = self._holidays.get(day)
            return str(name) if name else None
        return None

    def is_business_day(self, day: date) -> bool:
        return day.isoweekday() not in self.weekend and self.holiday_name(day) is None

    def step_back(self, day: date, n: int) -> date:
        """``day - n BD``: step back n business days; ``day`` itself is not counted."""
        return self._step(day, n, -1)

    def step_forward(self, day: date, n: int) -> date:
        """``day + n BD``: step forward n business days; ``day`` itself is not counted."""
        return self._step(day, n, 1)

    def roll_forward(self, day: date) -> date:
        """``day`` if it is a business day, else the next one: where a due date counted in
        calendar days (Day 3, Day 14) lands when it falls on a weekend or a holiday."""
        return day if self.is_business_day(day) else self.step_forward(day, 1)

    def _step(self, day: date, n: int, direction: int) -> date:
        if n < 0:
            raise ValueError("business-day steps must be >= 0")
        current = day
        remaining = n
        while remaining:
            current += timedelta(days=direction)
            if self.is_business_day(current):
                remaining -= 1
        return current

    def business_days_between(self, start: date, end: date) -> int:
        """Business days in (start, end]: how many steps forward lead from start to end."""
        if end <= start:
            return 0
        return sum(
            1
            for offset in range(1, (end - start).days + 1)
            if self.is_business_day(start + timedelta(days=offset))
        )

    def local_date(self, instant: datetime) -> date:
        """The calendar date of an aware instant in the organisation's timezone."""
        return self.localize(instant).date()

    def localize(self, instant: datetime) -> datetime:
        if instant.tzinfo is None:
            raise ValueError(f"naive datetime {instant.isoformat()} has no timezone")
        return instant.astimezone(self.tz)

    def at(self, day: date, clock_time: time) -> datetime:
        """The aware instant of ``clock_time`` on ``day`` in the org timezone (DST-correct)."""
        return datetime.combine(day, clock_time, tzinfo=self.tz)
