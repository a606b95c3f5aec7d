"""Date wording for generated pages: ISO weeks, calendar quarters and date ranges.

The pack asks that the Stakeholder Roadmap View show dates "as ranges, not commitments", so a
roadmap date is never printed as a day: each day falls in a third of its month (early 1-10,
mid 11-20, late 21-end) and a range names those thirds ("early–mid March 2027", "late March –
early April 2027"). A range that covers whole months or whole calendar quarters says so
("March–April 2027", "Q1 2027"). Labels always carry the year: they are stored in published
views and compared on the next review, so they must depend on the item's dates alone, never on
the day they were computed.

Month and weekday names are spelled here rather than with ``strftime("%B")`` so that output
does not change with the process locale.

The schedules of R3 and R4 live here too, so other rules (cadence calendar, ritual adoption)
can ask "when was this week's update due?" without re-deriving it. Deadlines are built with
``calendar.at`` (org-local wall time, so a DST week is right) and durations are added in UTC
(so "24 hours" is 24 real hours across a DST change).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from opsync.rules.context import RuleContext
from opsync.settings import DateStyle

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_QUARTER = re.compile(r"(?P<year>\d{4})[- ]?Q(?P<number>[1-4])")
_QUARTER_FIRST = re.compile(r"Q(?P<number>[1-4])[- ]?(?P<year>\d{4})")

#: A day's third of its month: (last day of the third, its name).
_THIRDS = ((10, "early"), (20, "mid"), (31, "late"))


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter (Q1 = January-March)."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"quarter number must be 1-4, not {self.number}")

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, value: str) -> Quarter | None:
        """``2027-Q1`` (also ``Q1 2027``, ``2027 Q1``) as a Quarter; None when it is not one."""
        cleaned = value.strip().upper()
        match = _QUARTER.fullmatch(cleaned) or _QUARTER_FIRST.fullmatch(cleaned)
        if match is None:
            return None
        return cls(int(match["year"]), int(match["number"]))

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        return self.next().start - timedelta(days=1)

    @property
    def key(self) -> str:
        """Machine form, used in keys: ``2027-Q1``."""
        return f"{self.year}-Q{self.number}"

    @property
    def label(self) -> str:
        """Reader form: ``Q1 2027``."""
        return f"Q{self.number} {self.year}"

    def next(self) -> Quarter:
        if self.number == 4:
            return Quarter(self.year + 1, 1)
        return Quarter(self.year, self.number + 1)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def iso_week_key(day: date) -> str:
    """The ISO week of ``day`` as ``2026-W49`` (ISO year, so 2027-01-01 is ``2026-W53``)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(day: date) -> date:
    return day - timedelta(days=day.isoweekday() - 1)


def third_of_month(day: date) -> str:
    """``early``, ``mid`` or ``late``: the part of the month ``day`` falls in."""
    return next(name for last, name in _THIRDS if day.day <= last)


def long_date(day: date) -> str:
    """``December 3, 2026``."""
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def weekday_date(day: date, *, year: bool = True) -> str:
    """``Thursday, December 3, 2026`` (or ``Thursday, December 3`` without the year)."""
    text = f"{WEEKDAYS[day.weekday()]}, {MONTHS[day.month - 1]} {day.day}"
    return f"{text}, {day.year}" if year else text


@dataclass(frozen=True)
class DateWords:
    """The one way a generated page writes its dates (``[output] date_style``).

    ``anchor`` is the page's own date (the update day, the launch, the review): the year is
    written only for a day in another year. Anchoring on the page rather than on today keeps
    a page's text the same from one run to the next, New Year's Day included.
    """

    style: DateStyle
    anchor: date

    def _year(self, day: date) -> str:
        return f", {day.year}" if day.year != self.anchor.year else ""

    def prose(self, day: date) -> str:
        """A day in a sentence: ``Thursday, December 3`` · ``Thu, Dec 3`` · ``2026-12-03``."""
        if self.style is DateStyle.ISO:
            return day.isoformat()
        if self.style is DateStyle.SHORT:
            return f"{WEEKDAYS[day.weekday()][:3]}, {_abbr(day)}{self._year(day)}"
        return f"{WEEKDAYS[day.weekday()]}, {MONTHS[day.month - 1]} {day.day}{self._year(day)}"

    def full(self, day: date) -> str:
        """A day that is a page's headline fact (a launch date), with its year always:
        ``Monday, January 4, 2027``."""
        if self.style is DateStyle.ISO:
            return day.isoformat()
        return f"{self.prose(day).removesuffix(self._year(day))}, {day.year}"

    def cell(self, day: date | None) -> str:
        """A day in a table column or a compact list: ``Dec 3`` (``2026-12-03`` for iso);
        ``—`` for no day."""
        if day is None:
            return "—"
        return day.isoformat() if self.style is DateStyle.ISO else _abbr(day) + self._year(day)

    def title(self, day: date) -> str:
        """A day in a page title, which always names its year: ``December 3, 2026``."""
        if self.style is DateStyle.ISO:
            return day.isoformat()
        if self.style is DateStyle.SHORT:
            return f"{_abbr(day)}, {day.year}"
        return long_date(day)

    def month(self, day: date) -> str:
        """The month ``day`` is in, as a monthly page's title names it: ``December 2026``."""
        if self.style is DateStyle.ISO:
            return f"{day.year}-{day.month:02d}"
        name = MONTHS[day.month - 1]
        return f"{name[:3] if self.style is DateStyle.SHORT else name} {day.year}"

    def moment(self, day: date, at: time) -> str:
        """A deadline or a time something happened: ``Thursday, December 3 at 14:20``."""
        return f"{self.prose(day)} at {clock(at)}"


def date_words(ctx: RuleContext, anchor: date | None = None) -> DateWords:
    """The page's :class:`DateWords`, anchored on ``anchor`` (default: today)."""
    return DateWords(ctx.settings.output.date_style, ctx.today if anchor is None else anchor)


def _abbr(day: date) -> str:
    return f"{MONTHS[day.month - 1][:3]} {day.day}"


def clock(value: time) -> str:
    """``14:00``: a due time as people read it on a schedule."""
    return f"{value.hour:02d}:{value.minute:02d}"


@dataclass(frozen=True)
class Timing:
    """When a roadmap item lands, as stakeholders read it: its wording, the quarter its
    range ends in, and its first day for sorting."""

    label: str
    quarter: Quarter
    sort: date


def timing(start: date | None, end: date | None, quarter: str | None) -> Timing | None:
    """Dates win over a ``2027-Q1`` quarter; None when neither gives a usable answer."""
    known = [d for d in (start, end) if d is not None]
    label = date_range(start, end)
    if known and label is not None:
        return Timing(label=label, quarter=Quarter.of(max(known)), sort=min(known))
    parsed = Quarter.parse(quarter) if quarter else None
    if parsed is None:
        return None
    return Timing(label=parsed.label, quarter=parsed, sort=parsed.start)


def as_aware(instant: datetime, zone: tzinfo) -> datetime:
    """A connector's naive timestamp read as org-local time, rather than crashing a compare."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=zone)


def date_range(start: date | None, end: date | None) -> str | None:
    """The reader's wording of a roadmap date range; None when neither end is known.

    One known end stands for both (a single date still reads as a third of a month, never as
    a day). Ends given the wrong way round are read in date order; the caller decides whether
    that is worth a finding.
    """
    known = [day for day in (start, end) if day is not None]
    if not known:
        return None
    first, last = min(known), max(known)
    whole_start = third_of_month(first) == "early"
    whole_end = third_of_month(last) == "late"
    if whole_start and whole_end and first.month % 3 == 1 and last.month % 3 == 0:
        return _quarter_span(Quarter.of(first), Quarter.of(last))
    if whole_start and whole_end:
        return _span(_month(first), _month(last), first.year, last.year)
    return _span(_part(first), _part(last), first.year, last.year)


def _quarter_span(first: Quarter, last: Quarter) -> str:
    if first == last:
        return first.label
    if first.year == last.year:
        return f"Q{first.number}–Q{last.number} {first.year}"
    return f"{first.label} – {last.label}"


def _month(day: date) -> str:
    return MONTHS[day.month - 1]


def _part(day: date) -> str:
    return f"{third_of_month(day)} {MONTHS[day.month - 1]}"


def _span(left: str, right: str, left_year: int, right_year: int) -> str:
    """Join two sides with an en dash: tight between single words, spaced otherwise."""
    if left_year != right_year:
        return f"{left} {left_year} – {right} {right_year}"
    if left == right:
        return f"{left} {left_year}"
    left_words, right_words = left.split(" "), right.split(" ")
    if len(left_words) == 2 and len(right_words) == 2 and left_words[1] == right_words[1]:
        return f"{left_words[0]}–{right_words[0]} {left_words[1]} {left_year}"
    if len(left_words) == 1 and len(right_words) == 1:
        return f"{left}–{right} {left_year}"
    return f"{left} – {right} {left_year}"


# --- schedules: when the weekly update and the roadmap view are due -------------------


@dataclass(frozen=True)
class WeekPlan:
    """One ISO week's update: its key, days and deadlines (aware instants)."""

    key: str
    monday: date
    sunday: date
    update_day: date
    submission_due: datetime
    publish_due: datetime

    @property
    def document_key(self) -> str:
        return f"weekly-update/{self.key}"

    def title(self, style: DateStyle = DateStyle.LONG) -> str:
        """The page's title, dated by its update day in the page's date style."""
        return f"Weekly Product Update — {DateWords(style, self.update_day).title(self.update_day)}"


def week_plan(ctx: RuleContext, day: date | None = None) -> WeekPlan:
    """The update for the ISO week of ``day`` (default: today in the org timezone).

    An update day that is not a business day (Thanksgiving Thursday) moves to the business day
    before it, as on the cadence calendar: the pack wants the update out *by* Thursday.
    """
    day = ctx.today if day is None else day
    weekly = ctx.settings.weekly
    monday = week_monday(day)
    update_day = monday + timedelta(days=weekly.weekday - 1)
    if not ctx.calendar.is_business_day(update_day):
        update_day = ctx.calendar.step_back(update_day, 1)
    return WeekPlan(
        key=iso_week_key(day),
        monday=monday,
        sunday=monday + timedelta(days=6),
        update_day=update_day,
        submission_due=ctx.calendar.at(update_day, weekly.submission_due),
        publish_due=ctx.calendar.at(update_day, weekly.publish_due),
    )


@dataclass(frozen=True)
class ReviewSlot:
    """The review a view belongs to. ``opens``: views published from then count for it."""

    key: str
    review: date | None
    opens: datetime
    due: datetime | None

    @property
    def document_key(self) -> str:
        return f"roadmap-view/{self.key}"


def review_slot(ctx: RuleContext) -> ReviewSlot:
    """The latest Roadmap Review on or before today, or today's quarter with no schedule.

    The key is the scheduled date; a review scheduled on a non-business day is held on the next
    business day (as on the cadence calendar), and ``review``, ``opens`` and ``due`` follow it.
    """
    settings = ctx.settings.roadmap
    if settings.first_review is None:
        return ReviewSlot(
            Quarter.of(ctx.today).key, None, ctx.calendar.at(ctx.today, time(0)), None
        )
    periods = (ctx.today - settings.first_review).days // settings.interval_days
    scheduled = settings.first_review + timedelta(days=periods * settings.interval_days)
    review = ctx.calendar.step_forward(scheduled - timedelta(days=1), 1)
    cadence = ctx.settings.cadence
    ends = ctx.calendar.at(review, cadence.roadmap_review_time).astimezone(UTC) + timedelta(
        minutes=cadence.roadmap_review_minutes
    )
    return ReviewSlot(
        key=scheduled.isoformat(),
        review=review,
        opens=ctx.calendar.at(review, time(0)),
        due=ends + timedelta(hours=settings.publish_within_hours),
    )


@dataclass(frozen=True)
class RoadmapReview:
    """One Biweekly Roadmap Review: ``scheduled`` is its day on the schedule (what keys and
    calendar UIDs are named by, so a moved review keeps its name), ``held_on`` the business
    day it is held on."""

    scheduled: date
    held_on: date


def roadmap_reviews(ctx: RuleContext, first: date, last: date) -> Iterator[RoadmapReview]:
    """The reviews held from ``first`` to ``last`` (inclusive), in order; none without a
    ``first_review``.

    Reviews repeat every ``interval_days`` both ways from ``first_review`` (any one review
    date); a review on a non-business day is held on the next business day. The calendar,
    the prep page and anything else asking "when is the review?" read it here.
    """
    roadmap = ctx.settings.roadmap
    if roadmap.first_review is None:
        return
    interval = timedelta(days=roadmap.interval_days)
    # Start one interval early: a review on a holiday may move forward into the span.
    steps = (first - roadmap.first_review).days // roadmap.interval_days - 1
    scheduled = roadmap.first_review + steps * interval
    while scheduled <= last:
        review = roadmap_review(ctx, scheduled)
        if first <= review.held_on <= last:
            yield review
        scheduled += interval


def roadmap_review(ctx: RuleContext, scheduled: date) -> RoadmapReview:
    """The review scheduled on ``scheduled``, held on the next business day when that day
    is not one."""
    return RoadmapReview(scheduled, ctx.calendar.roll_forward(scheduled))
