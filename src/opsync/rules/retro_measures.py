"""The success measures of each 30-day phase of the rollout (pack section 7, the 30/60/90
table's Deliverables and Metrics columns), computed for the rollout retro that closes it.

Each measure counts only what happened in its phase (a :class:`Period`), up to today: the
Week 4 retro is held on Day 28, two days before its phase ends. The scorecard's metrics
(surprise, status pings, enablement coverage, PM satisfaction) are its own functions given
that period, and the cadence's artifacts are ``due_artifacts`` given it, so a retro and the
scorecard can never count the same thing two ways.

As on the scorecard, nothing to count is "no data", never "met". A measure that asks
whether something happened at all (a roadmap review held, a decision logged) has nothing
to count only while its rule family is off everywhere: with the family on, a phase in which
it never happened has not met it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from opsync.domain.ritual import RitualKind
from opsync.rules import scorecard
from opsync.rules.cadence import COMPONENTS, due_artifacts, submission_weeks
from opsync.rules.context import RuleContext
from opsync.rules.decisions import is_complete
from opsync.rules.insights import missing_tags
from opsync.rules.period import Period
from opsync.rules.postlaunch import due_dates, in_scope
from opsync.rules.scorecard import Metric, Status
from opsync.rules.wording import counted
from opsync.settings import RuleFamily

_GAPS_SHOWN = 5


@dataclass(frozen=True)
class Measure:
    """One row of a retro's measures table, in words."""

    name: str
    target: str
    value: str
    status: Status
    basis: str


Measures = Callable[[RuleContext, Period], tuple[Measure, ...]]


@dataclass(frozen=True)
class Phase:
    """One row of the 30/60/90 plan: Days ``first_day``-``last_day`` of the rollout."""

    name: str
    first_day: int
    last_day: int
    measures: Measures

    def period(self, start: date) -> Period:
        """The phase's days for a rollout whose Day 1 is ``start``."""
        return Period(
            start + timedelta(days=self.first_day - 1), start + timedelta(days=self.last_day - 1)
        )

    @property
    def days(self) -> str:
        return f"Days {self.first_day}-{self.last_day}"


def _status(total: int, met: bool) -> Status:
    if total == 0:
        return Status.NO_DATA
    return Status.MET if met else Status.NOT_MET


def _gaps(basis: str, gaps: list[str] | tuple[str, ...]) -> str:
    """The basis, then what kept the measure from its target (the first few)."""
    if not gaps:
        return basis
    shown = ", ".join(gaps[:_GAPS_SHOWN])
    more = len(gaps) - _GAPS_SHOWN
    return f"{basis}. Missed: {shown}" + (f" and {more} more" if more > 0 else "")


def from_metric(name: str, metric: Metric) -> Measure:
    """A scorecard metric, measured over a phase, as a retro measure."""
    return Measure(name, metric.target_text, metric.current_text, metric.status, metric.basis)


def _happened(ctx: RuleContext, family: RuleFamily, done: int, total: int) -> tuple[str, Status]:
    """Value and status of a "happened, and every time well" measure: ``done`` of ``total``
    occurrences met the bar; none at all is not met, unless the family is off everywhere."""
    if total == 0:
        on = ctx.enabled_anywhere(family)
        return ("none", Status.NOT_MET if on else Status.NO_DATA)
    return (f"{done} of {total}", Status.MET if done == total else Status.NOT_MET)


# --- Days 1-30: Foundation + quick win ------------------------------------------------


def weekly_on_time(ctx: RuleContext, period: Period) -> Measure:
    """The pack's "weekly update published on time 4/4 weeks": every week whose update day
    is in the phase and past, published or not, against the publish deadline."""
    artifacts, _ = due_artifacts(ctx, period)
    weeks = [a for a in artifacts if a.component == COMPONENTS[0]]
    on_time = sum(1 for a in weeks if a.on_time)
    status = _status(len(weeks), on_time == len(weeks))
    basis = "No weekly update due yet in this phase"
    if weeks:
        deadline = f"{ctx.settings.weekly.publish_due:%H:%M}"
        basis = _gaps(
            f"Published by the update day's {deadline}",
            [a.label for a in weeks if not a.on_time],
        )
    value = f"{on_time} of {counted(len(weeks), 'week')}" if weeks else "—"
    return Measure("Weekly update published on time", "every week", value, status, basis)


def pilot_bundle(ctx: RuleContext, period: Period) -> Measure:
    """At least one Tier 2/3 release of the pilot pod (the areas where enablement is on)
    launched in the phase with its bundle published before launch."""
    metric = scorecard.enablement_coverage(ctx, period)
    covered, launched = metric.numerator, metric.denominator
    value = counted(covered, "release") if launched else "—"
    return Measure(
        "Pilot pod enablement bundle completed",
        "1+ release",
        value,
        _status(launched, covered >= 1),
        _gaps(metric.basis, metric.gaps),
    )


def baseline_survey(ctx: RuleContext, period: Period) -> Measure:
    """The baseline surprise survey, seen through its answers: opsync records the answers to
    "were you aware of this release before it shipped?", not the sending of a survey, so a
    survey counts as sent once an answer given in the phase is recorded. With no Tier 2/3
    launch in the phase there was nothing to ask about yet (no data)."""
    answers = scorecard.stakeholder_surprise(ctx, period).denominator
    launched = scorecard.enablement_coverage(ctx, period).denominator
    if answers:
        status, basis = Status.MET, f"{counted(answers, 'survey answer')} recorded in this phase"
    elif launched:
        status = Status.NOT_MET
        basis = (
            f"No survey answer recorded in this phase, after {counted(launched, 'Tier 2/3 launch')}"
        )
    else:
        status, basis = Status.NO_DATA, "No Tier 2/3 launch to ask about in this phase yet"
    return Measure(
        "Baseline stakeholder surprise survey sent (answers recorded)",
        "1+ answer",
        counted(answers, "answer"),
        status,
        basis,
    )


def pm_contributions(ctx: RuleContext, period: Period) -> Measure:
    """Every area's PM contributed to every week's update counted in the phase (a late
    submission still contributed; the scorecard's ritual adoption counts it late)."""
    expected = 0
    missing: list[str] = []
    for plan, parts in submission_weeks(ctx, period):
        for part in parts:
            if part.area is None:
                continue
            expected += 1
            missing += [
                f"{plan.key} {part.title} ({ctx.snapshot.person_name(pm)})" for pm in part.missing
            ]
    done = expected - len(missing)
    basis = "No weekly submissions recorded for this phase's weeks"
    if expected:
        basis = _gaps(
            f"{done} of {counted(expected, 'area-week')} with their PM's submission", missing
        )
    return Measure(
        "All PMs contributing to the weekly update",
        "every PM, every week",
        f"{done} of {expected}" if expected else "—",
        _status(expected, done == expected),
        basis,
    )


def foundation(ctx: RuleContext, period: Period) -> tuple[Measure, ...]:
    return (
        weekly_on_time(ctx, period),
        pilot_bundle(ctx, period),
        baseline_survey(ctx, period),
        pm_contributions(ctx, period),
    )


# --- Days 31-60: Cadence + insights ---------------------------------------------------


def roadmap_review_running(ctx: RuleContext, period: Period) -> Measure:
    """Roadmap reviews held in the phase, each with its stakeholder view published on time
    (within ``publish_within_hours``). Attendance is not recorded, so not measured."""
    artifacts, _ = due_artifacts(ctx, period)
    views = [a for a in artifacts if a.component == COMPONENTS[1]]
    on_time = sum(1 for a in views if a.on_time)
    value, status = _happened(ctx, RuleFamily.ROADMAP, on_time, len(views))
    basis = "No roadmap review recorded in this phase"
    if views:
        basis = _gaps(
            f"{counted(len(views), 'review')} held; {on_time} stakeholder "
            f"{'view' if on_time == 1 else 'views'} published on time",
            [a.label for a in views if not a.on_time],
        )
    return Measure(
        "Biweekly roadmap review running (view published on time)",
        "every review",
        value,
        status,
        basis,
    )


def insights_triaged(ctx: RuleContext, period: Period) -> Measure:
    """Insights received in the phase (in areas where the insights rules are on) that carry
    every taxonomy tag, i.e. that left "needs triage"."""
    received = [
        i
        for i in ctx.snapshot.insights
        if period.holds(i.received_on)
        and ctx.enabled(RuleFamily.INSIGHTS, (i.product_area or "").strip() or None)
    ]
    untriaged = sorted(i.key for i in received if missing_tags(i))
    triaged = len(received) - len(untriaged)
    value, status = _happened(ctx, RuleFamily.INSIGHTS, triaged, len(received))
    basis = "No insight received in this phase"
    if received:
        basis = _gaps(f"{triaged} of {counted(len(received), 'insight')} tagged", untriaged)
    return Measure(
        "Insights intake + triage operational", "every insight triaged", value, status, basis
    )


def decision_log_in_use(ctx: RuleContext, period: Period) -> Measure:
    """Decisions logged in the phase, each with every field of the template."""
    logged = [d for d in ctx.snapshot.decisions if period.holds(d.decided_on)]
    incomplete = sorted(d.key for d in logged if not is_complete(d))
    complete = len(logged) - len(incomplete)
    value, status = _happened(ctx, RuleFamily.DECISIONS, complete, len(logged))
    basis = "No decision logged in this phase"
    if logged:
        basis = _gaps(f"{complete} of {counted(len(logged), 'decision')} complete", incomplete)
    return Measure(
        "Decision log in use (entries complete)", "1+ entry, all complete", value, status, basis
    )


def cadence_and_insights(ctx: RuleContext, period: Period) -> tuple[Measure, ...]:
    return (
        from_metric("Ad-hoc status pings reduced", scorecard.status_pings(ctx, period)),
        from_metric(
            "All Tier 2/3 releases have enablement bundles",
            scorecard.enablement_coverage(ctx, period),
        ),
        roadmap_review_running(ctx, period),
        insights_triaged(ctx, period),
        decision_log_in_use(ctx, period),
    )


# --- Days 61-90: Full system + measure ------------------------------------------------


def insights_review_actions(ctx: RuleContext, period: Period) -> Measure:
    """Monthly Insights Reviews held in the phase, and the actions they assigned (an
    action's ``review`` month is the month of a review held in the phase), each owned."""
    held = [
        r.held_on
        for r in ctx.snapshot.rituals
        if r.kind is RitualKind.INSIGHTS_REVIEW and period.holds(r.held_on)
    ]
    months = {f"{d.year}-{d.month:02d}" for d in held}
    actions = [a for a in ctx.snapshot.insight_actions if (a.review or "").strip() in months]
    unowned = sorted(a.key for a in actions if not (a.owner or "").strip())
    owned = len(actions) - len(unowned)
    value, status = _happened(ctx, RuleFamily.INSIGHTS, owned, len(actions))
    if not held:
        basis = "No Monthly Insights Review recorded in this phase"
    elif not actions:
        basis = f"{counted(len(held), 'review')} held; no action recorded from it"
    else:
        basis = _gaps(
            f"{counted(len(held), 'review')} held; {owned} of "
            f"{counted(len(actions), 'action')} with an owner",
            unowned,
        )
    return Measure(
        "Insights review producing owned action items",
        "1+ action, all owned",
        value,
        status,
        basis,
    )


def post_launch_running(ctx: RuleContext, period: Period) -> Measure:
    """Day 3 check-ins and Day 14 retros of Tier 2/3 releases due in the phase (and by
    yesterday, as a capture is late only from the day after it is due), recorded."""
    settings = ctx.settings.post_launch
    due: list[tuple[str, bool]] = []
    for release in sorted(ctx.snapshot.releases, key=lambda r: r.key):
        dates = due_dates(release, ctx.calendar, settings)
        if dates is None or not in_scope(ctx, release) or release.launched is False:
            continue
        done = release.post_launch
        for label, day, done_on in (
            ("Day 3", dates.day3_due, done.day3_done_on),
            ("Day 14", dates.day14_due, done.day14_done_on),
        ):
            if period.holds(day) and day < ctx.today:
                due.append((f"{release.title} {label}", done_on is not None))
    recorded = sum(1 for _, ok in due if ok)
    basis = "No Day 3 or Day 14 capture due in this phase yet"
    if due:
        basis = _gaps(
            f"{recorded} of {counted(len(due), 'capture')} recorded",
            [label for label, ok in due if not ok],
        )
    return Measure(
        "Post-launch capture running for all Tier 2/3",
        "every capture",
        f"{recorded} of {len(due)}" if due else "—",
        _status(len(due), recorded == len(due)),
        basis,
    )


def full_system(ctx: RuleContext, period: Period) -> tuple[Measure, ...]:
    return (
        from_metric("Stakeholder surprise score", scorecard.stakeholder_surprise(ctx, period)),
        from_metric("PM satisfaction", scorecard.pm_satisfaction(ctx, period)),
        insights_review_actions(ctx, period),
        post_launch_running(ctx, period),
        from_metric("Enablement coverage for Tier 2/3", scorecard.enablement_coverage(ctx, period)),
    )


# The phase each retro closes, by retro key (rules/rollout.py).
PHASES: dict[str, Phase] = {
    "week-4": Phase("Foundation + quick win", 1, 30, foundation),
    "week-8": Phase("Cadence + insights", 31, 60, cadence_and_insights),
    "week-12": Phase("Full system + measure", 61, 90, full_system),
}
