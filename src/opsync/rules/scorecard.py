"""R8 scorecard: the pack's five success metrics (sections 1 and 7) against configured targets.

Every metric is a count over a count, so the page can say what it rests on ("3 of 31 survey
answers"). Nothing to count is "no data": never a division by zero and never "met" — an
empty quarter must not look like a success. Ratios are compared as exact fractions, so
exactly 10% is not "< 10%".

Only metrics whose rule family is switched on somewhere are shown, and records of areas
outside the rollout are left out (a pilot is measured on the pilot). The page is named after
the current quarter (``cadence.quarter_start_months``); it counts everything recorded up to
today, as the pack measures progress against Day 0. The metric functions also take a
:class:`~opsync.rules.period.Period`, so that a rollout retro measures one phase with them.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
from typing import NamedTuple

from opsync.documents.model import (
    Document,
    Inline,
    StatusChip,
    Tone,
    bullets,
    cell,
    heading,
    para,
    region,
    table,
)
from opsync.domain.base import Collection, ref
from opsync.domain.findings import Finding, Level
from opsync.domain.release import Release
from opsync.domain.scorecard import ScorecardWeek
from opsync.rules import trend
from opsync.rules.cadence import COMPONENTS, Artifact, due_artifacts, in_rollout
from opsync.rules.context import RuleContext
from opsync.rules.enablement import Outcome, deadlines, steps
from opsync.rules.insight_actions import completion
from opsync.rules.output import DocumentKind, GeneratedDocument, RuleOutput, ScoreRow
from opsync.rules.period import Period, within
from opsync.rules.tiers import needs_enablement
from opsync.rules.wording import counted
from opsync.settings import RuleFamily

CODE_MISSED = "scorecard.target-missed"
_GAPS_SHOWN = 5


class Quarter(NamedTuple):
    """A planning quarter: ``number`` counts from the first configured start month."""

    year: int
    number: int
    start: date

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.number}"


def quarter_of(day: date, start_months: tuple[int, ...]) -> Quarter:
    """The quarter ``day`` falls in: the latest configured quarter start on or before it."""
    months = sorted(set(start_months))
    starts = [date(day.year, m, 1) for m in months]
    current = [s for s in starts if s <= day]
    # Before this year's first start, the day belongs to the previous cycle's last quarter.
    start = current[-1] if current else date(day.year - 1, months[-1], 1)
    return Quarter(start.year, months.index(start.month) + 1, start)


class Status(StrEnum):
    MET = "met"
    NOT_MET = "not met"
    NO_DATA = "no data"


class Spec(NamedTuple):
    """What a metric is, apart from the data. ``target`` starts with its comparison (<, >, ≥)."""

    name: str
    family: RuleFamily
    target: str
    method: str
    next_step: str


SPECS: dict[str, Spec] = {
    "stakeholder_surprise": Spec(
        "Stakeholder surprise",
        RuleFamily.ENABLEMENT,
        "< {}",
        "share of post-release survey answers saying No to “Were you aware of this release "
        "before it shipped?”",
        "Ask Sales, CS and Support which releases caught them out and check those releases' "
        "bundles and readiness checks.",
    ),
    "status_pings": Spec(
        "Status pings",
        RuleFamily.WEEKLY,
        "≥ {} fewer than baseline",
        "drop in “what's the status of X?” pings from the baseline sample audit to the latest",
        "Find which questions still arrive as pings and make the Weekly Product Update "
        "answer them.",
    ),
    "enablement_coverage": Spec(
        "Enablement coverage",
        RuleFamily.ENABLEMENT,
        "≥ {}",
        "share of launched Tier 2/3 releases whose bundle was published before launch day",
        "Go over the releases that launched without a published bundle at the next "
        "Launch Readiness Check.",
    ),
    "pm_satisfaction": Spec(
        "PM satisfaction",
        RuleFamily.CADENCE,
        "> {} agree",
        "share of PM pulse answers agreeing that Product Ops reduced their coordination time",
        "Ask PMs which coordination work still costs them time and prune what does not help.",
    ),
    "ritual_adoption": Spec(
        "Ritual adoption",
        RuleFamily.CADENCE,
        "> {} on time",
        "share of due weekly updates, roadmap views, digests and readiness sign-offs "
        "published on time, and of PMs' weekly submissions in by their deadline",
        "Ask the owners of the late artifacts what got in the way and adjust the cadence.",
    ),
}
_COMPARE = {"<": operator.lt, ">": operator.gt, "≥": operator.ge}


@dataclass(frozen=True)
class Metric:
    """One row of the scorecard; ``gaps`` names what kept it from its target."""

    key: str
    numerator: int
    denominator: int
    target: Fraction
    basis: str
    gaps: tuple[str, ...] = ()

    @property
    def spec(self) -> Spec:
        return SPECS[self.key]

    @property
    def value(self) -> Fraction | None:
        return Fraction(self.numerator, self.denominator) if self.denominator > 0 else None

    @property
    def status(self) -> Status:
        value = self.value
        if value is None:
            return Status.NO_DATA
        met = _COMPARE[self.spec.target[0]](value, self.target)
        return Status.MET if met else Status.NOT_MET

    @property
    def current_text(self) -> str:
        value = self.value
        if value is None:
            return "—"
        if self.key == "status_pings":
            return f"{percent(value)} fewer" if value >= 0 else f"{percent(-value)} more"
        return percent(value)

    @property
    def target_text(self) -> str:
        if self.key == "enablement_coverage" and self.target == 1:
            return "100%"
        return self.spec.target.format(percent(self.target))


def percent(value: Fraction) -> str:
    """A ratio as a percentage with at most one decimal: 1/3 -> '33.3%', 1/10 -> '10%'."""
    exact = Decimal(value.numerator) / Decimal(value.denominator) * 100
    shown = exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    whole = shown.to_integral_value()
    return f"{whole if shown == whole else shown}%"


def _target(value: float) -> Fraction:
    """Settings hold floats; 0.1 must mean one tenth exactly, not 0.1000000000000000055."""
    return Fraction(str(value))


def evaluate(ctx: RuleContext, earlier: RuleOutput) -> RuleOutput:
    if not ctx.enabled_anywhere(RuleFamily.CADENCE):
        return RuleOutput()
    quarter = quarter_of(ctx.today, ctx.settings.cadence.quarter_start_months)
    record = ref(Collection.SCORECARDS, quarter.label)
    week_findings: list[Finding] = []
    candidates = (
        stakeholder_surprise(ctx),
        status_pings(ctx),
        enablement_coverage(ctx),
        pm_satisfaction(ctx),
        ritual_adoption(ctx, week_findings),
    )
    metrics = tuple(m for m in candidates if ctx.enabled_anywhere(m.spec.family))
    title = f"Product Ops Scorecard — {quarter.year} Q{quarter.number}"
    findings = [_missed(m, title, record) for m in metrics if m.status is Status.NOT_MET]
    week = trend.this_week(ctx.today, {m.key: trend.stored(m.value) for m in metrics})
    document = GeneratedDocument(
        key=f"scorecard/{quarter.label}",
        kind=DocumentKind.SCORECARD,
        document=build_document(title, ctx.today, metrics, _trend(ctx, quarter, metrics, week)),
        record=record,
    )
    rows = tuple(
        ScoreRow(
            key=m.key,
            metric=m.spec.name,
            target=m.target_text,
            current=m.current_text,
            status=m.status.value,
            basis=m.basis,
            value=None if m.value is None else float(m.value),
            target_value=float(m.target),
            met=None if m.status is Status.NO_DATA else m.status is Status.MET,
        )
        for m in metrics
    )
    return RuleOutput(
        findings=tuple(findings + week_findings),
        documents=(document,),
        scorecard=rows,
        seeds=(trend.seed(week),),
    )


def _trend(
    ctx: RuleContext, quarter: Quarter, metrics: tuple[Metric, ...], week: ScorecardWeek
) -> trend.Trend:
    previous = quarter_of(
        quarter.start - timedelta(days=1), ctx.settings.cadence.quarter_start_months
    )
    return trend.Trend(
        metrics=tuple((m.key, m.spec.name) for m in metrics),
        recorded=tuple(trend.weeks(ctx.snapshot.scorecard_history, week)),
        previous=(f"{previous.year} Q{previous.number}", previous.start, quarter.start),
        chart_name=f"scorecard-{quarter.label}",
    )


def _missed(metric: Metric, title: str, record: str) -> Finding:
    gaps = ""
    if metric.gaps:
        more = len(metric.gaps) - _GAPS_SHOWN
        gaps = f" Behind it: {', '.join(metric.gaps[:_GAPS_SHOWN])}"
        gaps += f" and {more} more." if more > 0 else "."
    return Finding(
        code=CODE_MISSED,
        record=record,
        field=metric.key,
        level=Level.INFO,
        message=(
            f"{title}: {metric.spec.name} is {metric.current_text}, target "
            f"{metric.target_text} ({metric.basis}).{gaps} {metric.spec.next_step}"
        ),
    )


_CHIPS = {
    Status.MET: StatusChip(label="Met", tone=Tone.GREEN),
    Status.NOT_MET: StatusChip(label="Not met", tone=Tone.RED),
    Status.NO_DATA: StatusChip(label="No data", tone=Tone.NEUTRAL),
}


def build_document(
    title: str, today: date, metrics: tuple[Metric, ...], history: trend.Trend
) -> Document:
    rows: list[tuple[tuple[Inline, ...], ...]] = [
        (
            cell(m.spec.name),
            cell(m.target_text),
            cell(m.current_text),
            cell(_CHIPS[m.status]),
            cell(m.basis),
        )
        for m in metrics
    ]
    summary = para(
        f"Measured on {today.isoformat()} against the Product Ops success metrics. "
        "A metric with nothing to count yet shows No data."
    )
    return Document(
        title=title,
        children=(
            region(
                "scorecard",
                summary,
                table(("Metric", "Target", "Current", "Status", "Basis"), rows),
            ),
            region("scorecard-trend", *history.blocks()),
            region(
                "scorecard-method",
                heading(2, "How each metric is measured"),
                bullets(*(f"{m.spec.name}: {m.spec.method}" for m in metrics)),
            ),
        ),
    )


def _title(releases: dict[str, Release], key: str) -> str:
    return releases[key].title if key in releases else key


def stakeholder_surprise(ctx: RuleContext, period: Period | None = None) -> Metric:
    """Within ``period``, an answer counts on the day it was given, or when that was not
    recorded, on its release's launch day."""
    releases = {r.key: r for r in ctx.snapshot.releases}
    answers = [
        a
        for a in ctx.snapshot.survey_answers
        if in_rollout(ctx, releases, a.release_key)
        and within(period, a.answered_on or _launch_day(releases, a.release_key))
    ]
    surprised = sorted(
        {_title(releases, a.release_key) for a in answers if not a.aware_before_ship}
    )
    flagged = sum(1 for a in answers if not a.aware_before_ship)
    basis = "No survey answers yet"
    if answers:
        basis = (
            f"{flagged} of {counted(len(answers), 'survey answer')} not aware before ship "
            f"({counted(len(surprised), 'release')})"
        )
    target = _target(ctx.settings.scorecard.surprise_max)
    return Metric("stakeholder_surprise", flagged, len(answers), target, basis, tuple(surprised))


def _launch_day(releases: dict[str, Release], key: str) -> date | None:
    return releases[key].launch_date if key in releases else None


def status_pings(ctx: RuleContext, period: Period | None = None) -> Metric:
    """Reduction from the latest baseline audit to the latest audit after it; within
    ``period``, the latest audit in it against the latest baseline up to its end (the
    baseline is usually taken before the period, in Week 1)."""
    end = ctx.today if period is None else min(ctx.today, period.last)
    audits = [a for a in ctx.snapshot.ping_audits if a.period_start <= end]
    target = _target(ctx.settings.scorecard.ping_reduction_min)
    baselines = [a.period_start for a in audits if a.baseline]
    if not baselines:
        return Metric("status_pings", 0, 0, target, "No baseline audit recorded")
    base_day = max(baselines)
    base = sum(a.count for a in audits if a.baseline and a.period_start == base_day)
    if base <= 0:
        return Metric("status_pings", 0, 0, target, f"Baseline audit ({base_day}) counted none")
    later = [
        a.period_start
        for a in audits
        if not a.baseline and a.period_start > base_day and within(period, a.period_start)
    ]
    if not later:
        basis = f"Baseline {base} pings ({base_day}); no audit since"
        return Metric("status_pings", 0, 0, target, basis)
    day = max(later)
    latest = sum(a.count for a in audits if not a.baseline and a.period_start == day)
    basis = f"{latest} pings ({day}) vs {base} at baseline ({base_day})"
    return Metric("status_pings", base - latest, base, target, basis)


def launched_tier23(ctx: RuleContext, period: Period | None = None) -> list[tuple[Release, date]]:
    """Tier 2/3 releases in rollout whose launch date is today or past (and not called off),
    by launch date, launched within ``period`` if one is given: what enablement coverage
    counts (here, per area on the QBR pack, and per phase on the rollout retros)."""
    found = []
    for release in sorted(ctx.snapshot.releases, key=lambda r: (r.launch_date or date.max, r.key)):
        launch = release.launch_date
        if not needs_enablement(release) or launch is None or launch > ctx.today:
            continue
        if not within(period, launch):
            continue
        if release.launched is not False and ctx.enabled(
            RuleFamily.ENABLEMENT, release.product_area
        ):
            found.append((release, launch))
    return found


def enablement_coverage(ctx: RuleContext, period: Period | None = None) -> Metric:
    launched = launched_tier23(ctx, period)
    missing = tuple(
        f"{r.title} ({launch})"
        for r, launch in launched
        if r.bundle.published_on is None or r.bundle.published_on >= launch
    )
    covered = len(launched) - len(missing)
    basis = "No Tier 2/3 release has launched yet"
    if launched:
        on_time, total = _steps_on_time(ctx, launched)
        basis = (
            f"{covered} of {counted(len(launched), 'launched Tier 2/3 release')}; "
            f"{on_time} of {counted(total, 'enablement step')} on time"
        )
    target = _target(ctx.settings.scorecard.coverage_min)
    return Metric("enablement_coverage", covered, len(launched), target, basis, missing)


def _steps_on_time(ctx: RuleContext, launched: list[tuple[Release, date]]) -> tuple[int, int]:
    """Steps of these releases done by their R2 deadline, and all their steps, counted beside
    coverage: the pack's measure says whether a bundle came out before launch at all, this
    says whether each step came when the timeline asks. A step done with no date recorded
    (Tier 2's async go/no-go needs none) counts as on time, as nothing shows it late."""
    settings = ctx.settings.enablement
    outcomes = [
        check.outcome(ctx.today)
        for release, _ in launched
        for check in steps(release, ctx.calendar, settings)
    ]
    on_time = sum(1 for o in outcomes if o in (Outcome.ON_TIME, Outcome.DONE))
    return on_time, len(outcomes)


def pm_satisfaction(ctx: RuleContext, period: Period | None = None) -> Metric:
    """Within ``period``, only answers dated in it count (an undated one has no place)."""
    answers = [a for a in ctx.snapshot.pulse_answers if within(period, a.answered_on)]
    agree = sum(1 for a in answers if a.agree)
    basis = f"{agree} of {counted(len(answers), 'pulse answer')} agree"
    if not answers:
        basis = "No pulse answers yet"
    target = _target(ctx.settings.scorecard.pm_satisfaction_min)
    return Metric("pm_satisfaction", agree, len(answers), target, basis)


def adoption_artifacts(ctx: RuleContext) -> tuple[list[Artifact], list[Finding]]:
    """Every ritual artifact due so far, readiness sign-offs included, with the findings of
    weekly updates whose week cannot be read: what ritual adoption counts (here and per
    component on the QBR pack)."""
    artifacts, week_findings = due_artifacts(ctx)
    if ctx.enabled_anywhere(RuleFamily.ENABLEMENT):
        artifacts += _signoff_artifacts(ctx)
    return artifacts, week_findings


def ritual_adoption(ctx: RuleContext, findings: list[Finding]) -> Metric:
    artifacts, week_findings = adoption_artifacts(ctx)
    findings.extend(week_findings)
    on_time = sum(1 for a in artifacts if a.on_time)
    basis = "No artifact due yet"
    if artifacts:
        parts = []
        for component in COMPONENTS:
            mine = [a.on_time for a in artifacts if a.component == component]
            if mine:
                parts.append(f"{component} {sum(mine)}/{len(mine)}")
        basis = f"{on_time} of {counted(len(artifacts), 'artifact')} on time: {', '.join(parts)}"
    basis += _insight_actions(ctx)
    target = _target(ctx.settings.scorecard.ritual_adoption_min)
    gaps = tuple(a.label for a in artifacts if not a.on_time)
    return Metric("ritual_adoption", on_time, len(artifacts), target, basis, gaps)


def _insight_actions(ctx: RuleContext) -> str:
    """Insight-review actions done by their due date, counted beside adoption (R9): the
    pack's Day 90 measure is an insights review "producing owned action items", and a
    review is only adopted if its actions get done. Not part of the metric or its target."""
    if not ctx.enabled_anywhere(RuleFamily.INSIGHTS):
        return ""
    done, due = completion(ctx.snapshot.insight_actions, ctx.today)
    return f"; insight actions {done}/{due} done by their due date" if due else ""


def _signoff_artifacts(ctx: RuleContext) -> list[Artifact]:
    """A Tier 2/3 go/no-go is on time when recorded "before launch", by L - 1 BD as R2
    counts it (a Sunday sign-off for a Monday launch is late); due once launch day comes."""
    found: list[Artifact] = []
    for release in sorted(ctx.snapshot.releases, key=lambda r: (r.launch_date or date.max, r.key)):
        launch = release.launch_date
        if not needs_enablement(release) or launch is None or release.launched is False:
            continue
        if not ctx.enabled(RuleFamily.ENABLEMENT, release.product_area):
            continue
        signed = release.readiness.go_no_go_on
        if signed is None and launch > ctx.today:
            continue
        due = deadlines(release, ctx.calendar, ctx.settings.enablement)
        on_time = signed is not None and due is not None and signed <= due.readiness_due
        label = f"readiness sign-off for {release.title}"
        found.append(Artifact(COMPONENTS[3], label, on_time))
    return found
