"""R8 cadence: the pack's five rituals (section 3) and the launch events around them (launch
days, Tier 3 training sessions and Day 14 syncs) as subscribable calendar events, and which
ritual artifacts were due and on time (for the scorecard's ritual adoption).

Times are org-local wall-clock times, so a ritual stays at 16:00 across a DST change. A ritual
on a non-business day moves, and its description says from where and why: the weekly update to
the previous business day (the pack wants it out *by* Thursday), meetings to the next one.
UIDs come from the nominal slot (ISO week, review date, month, quarter, release), so a
subscriber's calendar updates a moved event instead of duplicating it. An event appears only
if the cadence family and the ritual's own family are on for the event's day: a pilot that
adds roadmap reviews next month shows them from next month.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from opsync.domain.base import Collection, ref
from opsync.domain.findings import Finding
from opsync.domain.release import Release, Tier
from opsync.domain.ritual import RitualKind
from opsync.rules.context import RuleContext
from opsync.rules.dates import WeekPlan, roadmap_reviews, week_plan
from opsync.rules.invitees import NOBODY, Invite, Ritual, Roster
from opsync.rules.output import CalendarEvent, RuleOutput
from opsync.rules.period import Period, within
from opsync.rules.postlaunch import due_dates
from opsync.rules.rollout import RolloutRetro, rollout_retros, rollout_start
from opsync.rules.tiers import needs_enablement
from opsync.rules.weekly import Section, is_late, sections, source
from opsync.settings import RuleFamily

CODE_WEEK_UNREADABLE = "scorecard.week-unreadable"
_EMAIL_PREFIX = "email:"
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKLY_DESCRIPTION = (
    "Owner: Product Ops. Each PM submits a 5-bullet update (wins/shipped, what's next, "
    "risks/asks, metrics snapshot, links) by {submit}. Product Ops aggregates it, adds the "
    "cross-cutting section and publishes the Weekly Product Update to {channels} by {publish}."
)
_ROADMAP_DESCRIPTION = (
    "Owner: Head of Product. Attendees: PMs, Eng leads, Product Ops. Align on roadmap changes "
    "and dependencies; output: updated roadmap and decision log entries. Product Ops publishes "
    "the stakeholder roadmap view within {hours} hours."
)
_INSIGHTS_DESCRIPTION = (
    "Owner: Product Ops. Attendees: PMs, CS lead, Support lead, Data. Review the top themes "
    "with evidence, assign owners and decide what enters the planning backlog; output: "
    "Insights Digest with actions + owners."
)
_PLANNING_DESCRIPTION = (
    "Owner: Head of Product. Attendees: PMs, Eng leads, Sales/CS/Support leads, Product Ops. "
    "Set quarterly priorities, review Product Ops effectiveness and update the friction list; "
    "output: quarterly plan, Product Ops retrospective, updated friction list."
)


def evaluate(ctx: RuleContext, earlier: RuleOutput) -> RuleOutput:
    """The ritual calendar from today for ``settings.cadence.horizon_days`` days."""
    roster = Roster(ctx)
    events = [
        *_weekly(ctx, roster),
        *_roadmap(ctx, roster),
        *_readiness(ctx, roster),
        *_launches(ctx, roster),
        *_training(ctx, roster),
        *_day14_syncs(ctx, roster),
        *_insights(ctx, roster),
        *_planning(ctx, roster),
        *_retros(ctx, roster),
    ]
    events.sort(key=lambda e: (e.start, e.uid))
    return RuleOutput(events=tuple(events))


def window(ctx: RuleContext) -> tuple[date, date]:
    """First and last day (inclusive) the calendar covers: today and horizon_days - 1 more."""
    return ctx.today, ctx.today + timedelta(days=ctx.settings.cadence.horizon_days - 1)


def _in_window(ctx: RuleContext, day: date) -> bool:
    first, last = window(ctx)
    return first <= day <= last


def _org_wide(ctx: RuleContext, family: RuleFamily, day: date) -> bool:
    """An org-wide ritual runs once the cadence family and its own apply to any area."""
    areas = tuple(a.key for a in ctx.snapshot.product_areas)
    return all(ctx.settings.enabled_anywhere(f, areas, day) for f in (RuleFamily.CADENCE, family))


def _moved_note(ctx: RuleContext, nominal: date, actual: date) -> str:
    if nominal == actual:
        return ""
    reason = ctx.calendar.holiday_name(nominal) or "not a business day"
    return f" Moved from {_DAY_NAMES[nominal.weekday()]} {nominal.isoformat()} ({reason})."


def _next_business_day(ctx: RuleContext, day: date) -> date:
    """``day`` itself when it is a business day, else the first business day after it."""
    return ctx.calendar.step_forward(day - timedelta(days=1), 1)


def _event(
    ctx: RuleContext,
    uid: str,
    summary: str,
    day: date,
    start: time,
    minutes: int,
    description: str,
    people: Invite = NOBODY,
) -> CalendarEvent:
    begin = ctx.calendar.at(day, start)
    # Aware arithmetic in one zone is wall-clock: 45 minutes stay 45 on a DST night.
    return CalendarEvent(
        uid=f"{uid}@opsync",
        summary=summary,
        start=begin,
        end=begin + timedelta(minutes=minutes),
        description=description,
        attendees=people.attendees,
        organizer=people.organizer,
    )


def _weekly(ctx: RuleContext, roster: Roster) -> Iterator[CalendarEvent]:
    """One event per ISO week from the submission deadline (14:00) to publication (16:00)."""
    weekly = ctx.settings.weekly
    first, last = window(ctx)
    monday = first - timedelta(days=first.weekday())
    # The update only ever moves earlier, so a week just past the window may land in it.
    while monday <= last + timedelta(days=7):
        year, week, _ = monday.isocalendar()
        monday += timedelta(days=7)
        nominal = date.fromisocalendar(year, week, weekly.weekday)
        actual = nominal
        if not ctx.calendar.is_business_day(nominal):
            actual = ctx.calendar.step_back(nominal, 1)
        if not _in_window(ctx, actual) or not _org_wide(ctx, RuleFamily.WEEKLY, actual):
            continue
        label = f"{year}-W{week:02d}"
        submit, publish = f"{weekly.submission_due:%H:%M}", f"{weekly.publish_due:%H:%M}"
        span = (weekly.publish_due.hour - weekly.submission_due.hour) * 60 + (
            weekly.publish_due.minute - weekly.submission_due.minute
        )
        yield _event(
            ctx,
            f"weekly-update-{label}",
            f"Weekly Product Update {label} (submissions due {submit}, published by {publish})",
            actual,
            weekly.submission_due,
            max(span, 15),  # a publish time before the deadline is misconfigured
            _WEEKLY_DESCRIPTION.format(submit=submit, publish=publish, channels=_channels(ctx))
            + _moved_note(ctx, nominal, actual),
            roster.invite(Ritual.WEEKLY_UPDATE),
        )


def _roadmap(ctx: RuleContext, roster: Roster) -> Iterator[CalendarEvent]:
    """Every review of the schedule (:func:`opsync.rules.dates.roadmap_reviews`) held in
    the window."""
    roadmap = ctx.settings.roadmap
    cadence = ctx.settings.cadence
    for review in roadmap_reviews(ctx, *window(ctx)):
        if _org_wide(ctx, RuleFamily.ROADMAP, review.held_on):
            yield _event(
                ctx,
                f"roadmap-review-{review.scheduled.isoformat()}",
                "Biweekly Roadmap Review",
                review.held_on,
                cadence.roadmap_review_time,
                cadence.roadmap_review_minutes,
                _ROADMAP_DESCRIPTION.format(hours=roadmap.publish_within_hours)
                + _moved_note(ctx, review.scheduled, review.held_on),
                roster.invite(Ritual.ROADMAP_REVIEW),
            )


def _readiness(ctx: RuleContext, roster: Roster) -> Iterator[CalendarEvent]:
    """One Launch Readiness Check per Tier 2/3 release that has a launch date and is not out."""
    cadence = ctx.settings.cadence
    for release in sorted(ctx.snapshot.releases, key=lambda r: r.key):
        launch = release.launch_date
        if not needs_enablement(release) or launch is None or release.launched is True:
            continue
        recorded = release.readiness.meeting_on
        day = recorded if recorded is not None else ctx.calendar.step_back(launch, 1)
        if not _in_window(ctx, day):
            continue
        families = (RuleFamily.CADENCE, RuleFamily.ENABLEMENT)
        if not all(ctx.settings.enabled(f, release.product_area, day) for f in families):
            continue
        summary = f"Launch Readiness Check: {release.title}"
        if recorded is None:
            summary = f"Launch Readiness Check (to schedule): {release.title}"
        yield _event(
            ctx,
            f"readiness-check-{release.key}",
            summary,
            day,
            cadence.readiness_time,
            cadence.readiness_minutes,
            _readiness_description(ctx, release, launch, placeholder=recorded is None),
            roster.invite(Ritual.READINESS_CHECK, release),
        )


def _readiness_description(
    ctx: RuleContext, release: Release, launch: date, *, placeholder: bool
) -> str:
    tier = release.tier or Tier.MEDIUM
    text = (
        f"Tier {tier.value} ({tier.label}) release launching {launch}. Owner: Product Ops; "
        f"PM: {ctx.snapshot.person_name(release.pm)}; attendees: Eng lead, Support, Sales. "
        "Confirm the enablement bundle is complete and published, that Support and Sales are "
        "ready, and record the go/no-go."
    )
    if placeholder:
        text += " Placeholder on the last business day before launch: record the meeting date."
    return text


def _channels(ctx: RuleContext) -> str:
    """Where the weekly update goes, as configured: the description must not send people to
    a channel the organisation does not use."""
    weekly = ctx.settings.weekly
    email = weekly.email_channel
    if email.startswith(_EMAIL_PREFIX):
        email = f"email ({email.removeprefix(_EMAIL_PREFIX)})"
    return f"{weekly.slack_channel} and {email}"


def _in_scope(ctx: RuleContext, release: Release, family: RuleFamily, day: date) -> bool:
    """A release's event needs the cadence family and ``family`` on in its area that day."""
    families = (RuleFamily.CADENCE, family)
    return all(ctx.settings.enabled(f, release.product_area, day) for f in families)


def _launches(ctx: RuleContext, roster: Roster) -> Iterator[CalendarEvent]:
    """An all-day event on the launch date of each Tier 2/3 release, launched or not: the
    day stays on the calendar when the launch happens, and moves with the date."""
    for release in sorted(ctx.snapshot.releases, key=lambda r: r.key):
        launch = release.launch_date
        if not needs_enablement(release) or launch is None or not _in_window(ctx, launch):
            continue
        if not _in_scope(ctx, release, RuleFamily.ENABLEMENT, launch):
            continue
        tier = release.tier or Tier.MEDIUM
        begin = ctx.calendar.at(launch, time.min)
        people = roster.invite(Ritual.LAUNCH, release)
        yield CalendarEvent(
            uid=f"launch-{release.key}@opsync",
            summary=f"Launch: {release.title} (Tier {tier.value})",
            start=begin,
            end=ctx.calendar.at(launch + timedelta(days=1), time.min),
            description=(
                f"Tier {tier.value} ({tier.label}) release; "
                f"PM: {ctx.snapshot.person_name(release.pm)}."
            ),
            all_day=True,
            attendees=people.attendees,
            organizer=people.organizer,
        )


def _training(ctx: RuleContext, roster: Roster) -> Iterator[CalendarEvent]:
    """A training session per Tier 3 release not yet out: on the recorded training date, else
    a placeholder on the last business day before launch (as for the readiness check)."""
    cadence = ctx.settings.cadence
    for release in sorted(ctx.snapshot.releases, key=lambda r: r.key):
        launch = release.launch_date
        if release.tier is not Tier.HIGH or launch is None or release.launched is True:
            continue
        recorded = release.readiness.training_on
        day = recorded if recorded is not None else ctx.calendar.step_back(launch, 1)
        if not _in_window(ctx, day) or not _in_scope(ctx, release, RuleFamily.ENABLEMENT, day):
            continue
        summary = f"Tier 3 Training: {release.title}"
        description = (
            f"Support and Sales training for the Tier 3 release launching {launch}; PM: "
            f"{ctx.snapshot.person_name(release.pm)}, with Product Ops and the enablement bundle."
        )
        if recorded is None:
            summary = f"Tier 3 Training (to schedule): {release.title}"
            description += " Placeholder on the last business day before launch: record the date."
        yield _event(
            ctx,
            f"training-{release.key}",
            summary,
            day,
            cadence.training_time,
            cadence.training_minutes,
            description,
            roster.invite(Ritual.LAUNCH, release),
        )


def _day14_syncs(ctx: RuleContext, roster: Roster) -> Iterator[CalendarEvent]:
    """The Day 14 sync of each Tier 3 release, on the Day 14 retro's due date (R7)."""
    cadence = ctx.settings.cadence
    for release in sorted(ctx.snapshot.releases, key=lambda r: r.key):
        due = due_dates(release, ctx.calendar, ctx.settings.post_launch)
        if release.tier is not Tier.HIGH or due is None or not _in_window(ctx, due.day14_due):
            continue
        if not _in_scope(ctx, release, RuleFamily.POST_LAUNCH, due.day14_due):
            continue
        yield _event(
            ctx,
            f"day14-sync-{release.key}",
            f"Day 14 Sync: {release.title}",
            due.day14_due,
            cadence.day14_sync_time,
            cadence.day14_sync_minutes,
            f"Tier 3 release launched {due.launch}. Owner: "
            f"{ctx.snapshot.person_name(release.pm)} (PM). Review adoption and feedback "
            "against the success metrics; output: the Day 14 retro with its action items.",
            roster.invite(Ritual.LAUNCH, release),
        )


def _insights(ctx: RuleContext, roster: Roster) -> Iterator[CalendarEvent]:
    """The Nth weekday of each month (settings.insights)."""
    insights = ctx.settings.insights
    cadence = ctx.settings.cadence
    first, last = window(ctx)
    year, month = first.year, first.month
    while date(year, month, 1) <= last:
        start = date(year, month, 1)
        offset = (insights.review_weekday - start.isoweekday()) % 7
        nominal = start + timedelta(days=offset + 7 * (insights.review_week_of_month - 1))
        actual = _next_business_day(ctx, nominal)
        if _in_window(ctx, actual) and _org_wide(ctx, RuleFamily.INSIGHTS, actual):
            yield _event(
                ctx,
                f"insights-review-{year}-{month:02d}",
                "Monthly Insights Review",
                actual,
                cadence.insights_review_time,
                cadence.insights_review_minutes,
                _INSIGHTS_DESCRIPTION + _moved_note(ctx, nominal, actual),
                roster.invite(Ritual.INSIGHTS_REVIEW),
            )
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def planning_day(ctx: RuleContext, quarter_start: date) -> date:
    """The day the Quarterly Planning/QBR of the quarter starting on ``quarter_start`` is
    held: that quarter's first business day (the calendar event and the QBR pack agree)."""
    return _next_business_day(ctx, quarter_start)


def _planning(ctx: RuleContext, roster: Roster) -> Iterator[CalendarEvent]:
    """Half a day on the first business day of each quarter."""
    cadence = ctx.settings.cadence
    first, last = window(ctx)
    for year in range(first.year, last.year + 1):
        for month in cadence.quarter_start_months:
            start = date(year, month, 1)
            actual = planning_day(ctx, start)
            if not _in_window(ctx, actual) or not _org_wide(ctx, RuleFamily.CADENCE, actual):
                continue
            number = cadence.quarter_start_months.index(month) + 1  # the months are sorted
            yield _event(
                ctx,
                f"quarterly-planning-{year}-Q{number}",
                f"Quarterly Planning / QBR {year} Q{number}",
                actual,
                cadence.planning_time,
                cadence.planning_minutes,
                _PLANNING_DESCRIPTION + _moved_note(ctx, start, actual),
                roster.invite(Ritual.QUARTERLY_PLANNING),
            )


def _retros(ctx: RuleContext, roster: Roster) -> Iterator[CalendarEvent]:
    """The rollout's own retros (pack section 7), on the days rules/rollout.py gives."""
    cadence = ctx.settings.cadence
    start = rollout_start(ctx.settings)
    for retro in rollout_retros(ctx.settings, ctx.calendar):
        day = retro.held_on
        if start is None or not _in_window(ctx, day):
            continue
        if not _org_wide(ctx, RuleFamily.CADENCE, day):
            continue
        yield _event(
            ctx,
            f"rollout-retro-{retro.key}",
            f"Rollout retro: {retro.name}",
            day,
            cadence.retro_time,
            cadence.retro_minutes,
            _retro_description(retro, start) + _moved_note(ctx, retro.nominal, day),
            roster.invite(Ritual(retro.key)),
        )


def _retro_description(retro: RolloutRetro, start: date) -> str:
    prompts = " ".join(retro.prompts)
    return (
        f"Day {retro.day_number} of the Product Ops rollout (Day 1: {start.isoformat()}). "
        f"Owner: Product Ops; with {retro.audience}. Prompts: {prompts}"
    )


class Artifact(NamedTuple):
    """One ritual artifact that was due, for ritual adoption: ``component`` is in COMPONENTS."""

    component: str
    label: str
    on_time: bool


COMPONENTS = (
    "weekly updates",
    "roadmap views",
    "digests",
    "readiness sign-offs",
    "weekly submissions",
)
Deadline = Callable[[RuleContext, date], datetime]
_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def due_artifacts(
    ctx: RuleContext, period: Period | None = None
) -> tuple[list[Artifact], list[Finding]]:
    """Ritual artifacts due so far and whether each came out on time, by the cadence's own
    deadlines; a kind counts only while its family is on somewhere. Readiness sign-offs of
    Tier 2/3 releases come from the releases themselves (see the scorecard).

    With a ``period``, only artifacts due in it: weeks whose update day falls in it, and
    rituals held in it (a rollout retro measures the phase it closes)."""
    found: list[Artifact] = []
    findings: list[Finding] = []
    if ctx.enabled_anywhere(RuleFamily.WEEKLY):
        found += _weekly_artifacts(ctx, findings, period)
        found += _submission_artifacts(ctx, period)
    rituals = (
        (RuleFamily.ROADMAP, RitualKind.ROADMAP_REVIEW, COMPONENTS[1], _view_due),
        (RuleFamily.INSIGHTS, RitualKind.INSIGHTS_REVIEW, COMPONENTS[2], _next_day),
        (RuleFamily.ENABLEMENT, RitualKind.READINESS_CHECK, COMPONENTS[3], _next_day),
    )
    for family, kind, component, deadline in rituals:
        if ctx.enabled_anywhere(family):
            found += _ritual_artifacts(ctx, kind, component, deadline, period)
    return found, findings


def in_rollout(ctx: RuleContext, releases: dict[str, Release], key: str | None) -> bool:
    """Release-linked records follow their release's area; no known release means no area."""
    release = releases.get(key) if key is not None else None
    return ctx.enabled(RuleFamily.ENABLEMENT, release.product_area if release else None)


def _weekly_artifacts(
    ctx: RuleContext, findings: list[Finding], period: Period | None
) -> list[Artifact]:
    """Every week from the first recorded update to now is due; a week with none is missed.
    With a ``period``, every week whose update day falls in it is due, recorded or not.

    On time means published by the nominal weekday's publish time (Thursday 16:00), even when
    the calendar moved that week's update earlier for a holiday: adoption is not penalised.
    """
    weekly = ctx.settings.weekly
    rank = {None: 0, False: 1, True: 2}
    state: dict[tuple[int, int], bool | None] = {}  # True on time, False late, None unpublished
    for update in sorted(ctx.snapshot.weekly_updates, key=lambda u: u.key):
        week = _parse_week(update.week)
        if week is None:
            findings.append(_bad_week(update.key, update.week))
            continue
        deadline = ctx.calendar.at(date.fromisocalendar(*week, weekly.weekday), weekly.publish_due)
        stamp = _aware(ctx, update.published_at)
        on_time = None if stamp is None else stamp <= deadline
        state[week] = max(state.get(week), on_time, key=lambda v: rank[v])
    if period is not None:
        monday = period.first - timedelta(days=period.first.weekday())
    elif state:
        monday = date.fromisocalendar(*min(state), 1)
    else:
        return []
    while monday <= ctx.today:
        state.setdefault(monday.isocalendar()[:2], None)
        monday += timedelta(days=7)
    return [
        Artifact("weekly updates", f"weekly update {year}-W{week:02d}", state[(year, week)] is True)
        for year, week in sorted(state)
        # A week counts once its update day has passed, published or not: counting an early
        # publication the same day would change the scorecard between two runs of one day.
        if (day := date.fromisocalendar(year, week, weekly.weekday)) < ctx.today
        and within(period, day)
    ]


def _submission_artifacts(ctx: RuleContext, period: Period | None) -> list[Artifact]:
    """The PMs' submissions, the weekly update's input ("all PMs contributed"): each that
    counts is on time when in by the submission deadline, and an area's PM with none is
    missed, so a late submission counts against adoption and a missing one no less."""
    found: list[Artifact] = []
    for plan, parts in submission_weeks(ctx, period):
        for part in parts:
            for sub in part.subs:
                label = f"{plan.key} weekly submission, {source(ctx, part, sub.pm)}"
                found.append(Artifact(COMPONENTS[4], label, not is_late(ctx, plan, sub)))
            for pm in part.missing:
                label = f"{plan.key} weekly submission, {source(ctx, part, pm)}"
                found.append(Artifact(COMPONENTS[4], label, False))
    return found


def submission_weeks(
    ctx: RuleContext, period: Period | None = None
) -> Iterator[tuple[WeekPlan, tuple[Section, ...]]]:
    """The weeks whose submissions are counted, with their sections: the weeks that have
    submission records, once that week's deadline has passed (and whose update day falls in
    ``period``, if given)."""
    weeks = {s.week for s in ctx.snapshot.weekly_submissions}
    for year, week in sorted(w for w in map(_parse_week, weeks) if w is not None):
        plan = week_plan(ctx, date.fromisocalendar(year, week, 1))
        if not ctx.after(plan.submission_due) or not within(period, plan.update_day):
            continue
        yield plan, sections(ctx, plan.key)


def _aware(ctx: RuleContext, stamp: datetime | None) -> datetime | None:
    """A time typed without a zone (e.g. in a sheet) is read as org-local, not rejected."""
    return stamp.replace(tzinfo=ctx.calendar.tz) if stamp and stamp.tzinfo is None else stamp


def _parse_week(text: str) -> tuple[int, int] | None:
    match = _ISO_WEEK.match(text.strip())
    if match is None:
        return None
    try:
        date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        return None
    return int(match[1]), int(match[2])


def _bad_week(key: str, week: str) -> Finding:
    return Finding(
        code=CODE_WEEK_UNREADABLE,
        record=ref(Collection.WEEKLY_UPDATES, key),
        field="week",
        message=(
            f"Weekly update {key} has week {week!r}, which is not an ISO week like 2026-W49; "
            "correct it so that the update counts toward ritual adoption."
        ),
    )


def _view_due(ctx: RuleContext, held_on: date) -> datetime:
    """The roadmap view is due ``publish_within_hours`` after the review ends (as R4 has it)."""
    cadence, roadmap = ctx.settings.cadence, ctx.settings.roadmap
    after = cadence.roadmap_review_minutes + 60 * roadmap.publish_within_hours
    return ctx.calendar.at(held_on, cadence.roadmap_review_time) + timedelta(minutes=after)


def _next_day(ctx: RuleContext, held_on: date) -> datetime:
    """Digests and readiness records: any time on the day after the meeting."""
    return ctx.calendar.at(held_on + timedelta(days=1), time.max)


def _ritual_artifacts(
    ctx: RuleContext, kind: RitualKind, component: str, deadline: Deadline, period: Period | None
) -> list[Artifact]:
    """Held occurrences of ``kind`` (in ``period``, if given) and whether their artifact came
    out by ``deadline``.

    A readiness check for a Tier 2/3 release is left to that release's go/no-go date, so
    that one sign-off never counts twice.
    """
    releases = {r.key: r for r in ctx.snapshot.releases}
    found: list[Artifact] = []
    for ritual in sorted(ctx.snapshot.rituals, key=lambda r: (r.held_on, r.key)):
        key = ritual.release_key
        if ritual.kind is not kind or not within(period, ritual.held_on):
            continue
        if key is not None and kind is RitualKind.READINESS_CHECK:
            if key in releases and needs_enablement(releases[key]):
                continue
            if not in_rollout(ctx, releases, key):
                continue
        due = deadline(ctx, ritual.held_on)
        stamp = _aware(ctx, ritual.artifact_published_at)
        if stamp is None and ctx.calendar.local_date(due) >= ctx.today:
            continue  # decided by the day, not the hour: same date, same page
        label = f"{kind.value} of {ritual.held_on}"
        if key is not None:
            label += f" ({releases[key].title if key in releases else key})"
        found.append(Artifact(component, label, stamp is not None and stamp <= due))
    return found
