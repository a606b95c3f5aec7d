"""R2 enablement timeline for Tier 2/3 releases: deadlines, status, findings, announcement.

Deadlines for a launch on day L (RULES.md R2), all re-derived from the current launch date on
every run, so a moved date moves every deadline:

- ``handoff_due`` = L - 5 BD (Tier 2) or L - 10 BD (Tier 3): bundle drafted, with Product Ops;
- ``publish_due`` = L - 2 BD: bundle published to stakeholders;
- ``readiness_due`` = L - 1 BD: "before L" means by the last business day before launch
  (RULES.md R2), so a Monday launch's readiness is due the Friday before, never on the
  weekend nobody works. Support and Sales confirmation, the go/no-go and, for Tier 3, the
  Launch Readiness Check meeting and training share it.

A step done on its deadline is on time; a deadline has *passed* only from the next day on.
A step still missing after its deadline is a finding worded as what to do now while the
launch is ahead, and as what happened once it is out ("Sales readiness was not confirmed
before the launch"): by then it is material for the Day 14 retro, not a task. A step done
after its deadline is never silent either: the bundle page shows how late, and
``enablement.done-after-deadline`` (a warning) says so. What happened at a launch stays a
finding until the launch's Day 14 retro is recorded, where the team has gone over it.

Enablement status precedence (exactly one value per release whose tier is known):

1. ``not required``: Tier 1.
2. ``launched without bundle``: launched and the bundle was never published. After launch the
   status is final, this or ``published``; readiness steps missed at launch stay as findings.
3. ``late``: not launched and a deadline has passed without its step.
4. ``published``.
5. otherwise the bundle's stage (:func:`bundle_stage`): the further along of the state people
   recorded and the step dates, so a bundle with a handoff date is ``ready for review`` even
   if nobody moved its state from ``not started``.

A release with no tier gets no status (``tiers.missing`` explains why) rather than a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

from opsync.calendar import BusinessCalendar
from opsync.documents import plaintext
from opsync.documents.model import Document, Tone, bullets, item, para
from opsync.domain import BundleState, Collection, Finding, Level, Release, Snapshot, Tier, ref
from opsync.domain.enablement import EnablementBundle, Section
from opsync.rules.context import RuleContext
from opsync.rules.dates import weekday_date
from opsync.rules.output import DerivedValue, Notification, RuleOutput
from opsync.rules.sections import ENABLEMENT, cite
from opsync.rules.tiers import needs_enablement, pm_name, requirements, tier_label
from opsync.settings import EnablementSettings, RuleFamily


class EnablementStatus(StrEnum):
    NOT_REQUIRED = "not required"
    NOT_STARTED = "not started"
    DRAFTING = "drafting"
    READY_FOR_REVIEW = "ready for review"
    PUBLISHED = "published"
    LATE = "late"
    LAUNCHED_WITHOUT_BUNDLE = "launched without bundle"


STATUS_TONE: dict[EnablementStatus, Tone] = {
    EnablementStatus.NOT_REQUIRED: Tone.NEUTRAL,
    EnablementStatus.NOT_STARTED: Tone.NEUTRAL,
    EnablementStatus.DRAFTING: Tone.BLUE,
    EnablementStatus.READY_FOR_REVIEW: Tone.YELLOW,
    EnablementStatus.PUBLISHED: Tone.GREEN,
    EnablementStatus.LATE: Tone.RED,
    EnablementStatus.LAUNCHED_WITHOUT_BUNDLE: Tone.RED,
}


class Step(StrEnum):
    """One thing the pack asks to be done before launch; the value reads in a sentence."""

    HANDOFF = "bundle handoff to Product Ops"
    PUBLISH = "bundle publication"
    SUPPORT = "Support readiness confirmation"
    SALES = "Sales readiness confirmation"
    GO_NO_GO = "go/no-go"
    MEETING = "Launch Readiness Check meeting"
    TRAINING = "Support/Sales training session"
    # Not enablement deadlines: the Eng lead's checks on the Launch Readiness Check page
    # (rules/readiness.py), due with the other readiness steps.
    MONITORING = "Eng monitoring confirmation"
    ROLLBACK = "rollback readiness confirmation"


class Outcome(StrEnum):
    PENDING = "pending"
    ON_TIME = "on time"
    LATE = "late"
    MISSED = "missed"
    DONE = "done"
    """Done, but nobody recorded when."""


@dataclass(frozen=True)
class StepCheck:
    step: Step
    due: date
    done: bool
    done_on: date | None

    def outcome(self, today: date) -> Outcome:
        if self.done and self.done_on is not None:
            return Outcome.ON_TIME if self.done_on <= self.due else Outcome.LATE
        if self.done:
            return Outcome.DONE
        return Outcome.MISSED if today > self.due else Outcome.PENDING


#: The past tense of each step, for "published Thursday, December 3, 2026, 1 BD late".
DONE_VERBS: dict[Step, str] = {
    Step.HANDOFF: "handed off",
    Step.PUBLISH: "published",
    Step.SUPPORT: "confirmed",
    Step.SALES: "confirmed",
    Step.GO_NO_GO: "decided",
    Step.MEETING: "held",
    Step.TRAINING: "held",
    Step.MONITORING: "confirmed",
    Step.ROLLBACK: "confirmed",
}
#: How a finding about a launch that is out ends: it is history to learn from, not a task.
_RETRO = "a point for the Day 14 retro."


def lateness(check: StepCheck, calendar: BusinessCalendar) -> str:
    """How late a step was done: in business days, as its deadline is counted (``1 BD
    late``); in days when it was done on the weekend straight after a Friday deadline."""
    done = check.done_on or check.due
    business = calendar.business_days_between(check.due, done)
    if business:
        return f"{business} BD late"
    days = (done - check.due).days
    return f"{days} day late" if days == 1 else f"{days} days late"


def done_on_text(check: StepCheck, day: Callable[[date], str] = weekday_date) -> str:
    """``published Thursday, December 3, 2026``, or without a date when none was recorded;
    ``day`` writes the date (a page passes its own date style)."""
    verb = DONE_VERBS[check.step]
    if check.done_on is None:
        return f"{verb}, date not recorded"
    return f"{verb} {day(check.done_on)}"


def record_text(
    check: StepCheck,
    today: date,
    calendar: BusinessCalendar,
    day: Callable[[date], str] = weekday_date,
) -> str | None:
    """What happened to a step, beside its deadline on the bundle page: ``published
    Dec 3, 1 BD late``; None while it is neither done nor due."""
    outcome = check.outcome(today)
    if outcome is Outcome.ON_TIME:
        return f"{done_on_text(check, day)}, on time"
    if outcome is Outcome.LATE:
        return f"{done_on_text(check, day)}, {lateness(check, calendar)}"
    if outcome is Outcome.DONE:
        return done_on_text(check, day)
    if outcome is Outcome.MISSED:
        return "not done by its deadline"
    return None


@dataclass(frozen=True)
class Deadlines:
    launch: date
    handoff_due: date
    publish_due: date
    readiness_due: date


def handoff_bd(tier: Tier, settings: EnablementSettings) -> int:
    return settings.handoff_bd_tier3 if tier is Tier.HIGH else settings.handoff_bd_tier2


def deadlines(
    release: Release, calendar: BusinessCalendar, settings: EnablementSettings
) -> Deadlines | None:
    """The release's enablement deadlines; None for Tier 1, no tier or no launch date."""
    launch = release.launch_date
    if release.tier is None or not needs_enablement(release) or launch is None:
        return None
    return _deadlines(launch, release.tier, calendar, settings)


@lru_cache(maxsize=4096)
def _deadlines(
    launch: date, tier: Tier, calendar: BusinessCalendar, settings: EnablementSettings
) -> Deadlines:
    """Deadlines depend on the launch day and tier only, and a large organisation has many
    launches on the same few days: stepping over business days (holiday lookups) once per
    day, not three times per release, is most of this rule's time at 100,000 releases."""
    return Deadlines(
        launch=launch,
        handoff_due=calendar.step_back(launch, handoff_bd(tier, settings)),
        publish_due=calendar.step_back(launch, settings.publish_bd),
        readiness_due=calendar.step_back(launch, 1),
    )


#: The bundle states from the first to the last, to tell which of two is further along.
_STAGES = tuple(BundleState)


def bundle_stage(release: Release) -> BundleState:
    """The further along of the bundle state people set and the one its dates imply.

    People record a date (handed off, published) and forget the state, or the other way
    round; either is evidence that the bundle got that far, so neither can hold it back."""
    recorded = release.bundle.state
    if release.bundle.published_on is not None:
        return BundleState.PUBLISHED
    if release.bundle.handed_off_on is not None:
        return max(recorded, BundleState.READY_FOR_REVIEW, key=_STAGES.index)
    return recorded


def is_published(release: Release) -> bool:
    """A recorded publication date counts even if the state was not updated to match."""
    return release.bundle.published_on is not None or release.bundle.state is BundleState.PUBLISHED


def _handed_off(release: Release) -> bool:
    """Ready for review or published implies Product Ops has the bundle."""
    return bundle_stage(release) in (BundleState.READY_FOR_REVIEW, BundleState.PUBLISHED)


def _recorded(step: Step, due: date, on: date | None) -> StepCheck:
    return StepCheck(step, due, on is not None, on)


def steps(
    release: Release, calendar: BusinessCalendar, settings: EnablementSettings
) -> tuple[StepCheck, ...]:
    """Every pre-launch step the release's tier requires, with its deadline and record."""
    due = deadlines(release, calendar, settings)
    needs = requirements(release.tier)
    if due is None or needs is None:
        return ()
    ready = release.readiness
    # Tier 3 decides in the Launch Readiness Check meeting, so its go/no-go needs its date.
    go_done = ready.go_no_go is not None and (
        not needs.readiness_meeting or ready.go_no_go_on is not None
    )
    checks = [
        StepCheck(
            Step.HANDOFF, due.handoff_due, _handed_off(release), release.bundle.handed_off_on
        ),
        StepCheck(
            Step.PUBLISH, due.publish_due, is_published(release), release.bundle.published_on
        ),
        _recorded(Step.SUPPORT, due.readiness_due, ready.support_confirmed_on),
        _recorded(Step.SALES, due.readiness_due, ready.sales_confirmed_on),
        StepCheck(Step.GO_NO_GO, due.readiness_due, go_done, ready.go_no_go_on),
    ]
    if needs.readiness_meeting:
        checks.append(_recorded(Step.MEETING, due.readiness_due, ready.meeting_on))
    if needs.training:
        checks.append(_recorded(Step.TRAINING, due.readiness_due, ready.training_on))
    return tuple(checks)


def enablement_status(
    release: Release, today: date, calendar: BusinessCalendar, settings: EnablementSettings
) -> EnablementStatus | None:
    """The one status of the release's enablement on ``today`` (precedence in module doc)."""
    if release.tier is None:
        return None
    if not needs_enablement(release):
        return EnablementStatus.NOT_REQUIRED
    published = is_published(release)
    if release.has_launched(today):
        return EnablementStatus.PUBLISHED if published else EnablementStatus.LAUNCHED_WITHOUT_BUNDLE
    checks = steps(release, calendar, settings)
    if any(c.outcome(today) is Outcome.MISSED for c in checks):
        return EnablementStatus.LATE
    return EnablementStatus(bundle_stage(release).value)


def announcement(
    release: Release,
    snapshot: Snapshot,
    today: date,
    calendar: BusinessCalendar,
    settings: EnablementSettings,
    bundles: Mapping[str, EnablementBundle] | None = None,
) -> list[Notification]:
    """The announcement to Support and Sales, once per release and channel, when its bundle
    is out: the tier, the launch date, who is impacted (the bundle's own section), the link to
    the bundle, and the ask, with its date. ``bundles``: the snapshot's bundles by release
    (the first of a release's wins), when the caller has them indexed."""
    if not needs_enablement(release) or not is_published(release):
        return []
    since = release.bundle.published_on or release.launch_date
    if since is not None and (today - since).days > settings.announce_max_age_days:
        return []
    launch = weekday_date(release.launch_date) if release.launch_date else "not set yet"
    due = deadlines(release, calendar, settings)
    by = weekday_date(due.readiness_due) if due else "before launch"
    bundle = (
        bundles.get(release.key)
        if bundles is not None
        else next((b for b in snapshot.bundles if b.release_key == release.key), None)
    )
    impacted = (bundle.sections.get(Section.WHO_IMPACTED, "") if bundle else "").strip()
    impacted_lines = section_points(impacted)
    title = f"Enablement bundle published: {release.title}"
    facts = [
        item(f"Tier: {tier_label(release.tier)}"),
        item(f"Launch date: {launch}"),
        item(f"PM owner: {pm_name(snapshot, release)}"),
    ]
    if impacted_lines:
        facts.append(item("Who's impacted:", children=tuple(item(x) for x in impacted_lines[:5])))
    ask = f"Support and Sales: read the bundle and confirm you are ready by {by}."
    document = Document(title=title, children=(bullets(*facts), para(ask)))
    channels = settings.announce_channel
    names = [channels] if isinstance(channels, str) else list(channels)
    return [
        Notification(
            key=f"bundle-published/{release.key}" + ("" if n == 0 else f"/{channel}"),
            channel=channel,
            text=plaintext.render(document),
            title=title,
            document=document,
            # linked when the bundle is an opsync page; a bundle kept elsewhere has no page here
            announces=f"bundle/{release.key}" if bundle is not None else None,
            reason=(
                f"The {tier_label(release.tier)} enablement bundle of {release.key} was "
                f"published, so the teams it impacts are told once {cite(ENABLEMENT)}."
            ),
        )
        for n, channel in enumerate(names)
    ]


def section_points(text: str) -> list[str]:
    """A section's bullet points, each whole (a wrapped line joins its point), placeholders
    (``[…]`` template lines) left out."""
    points: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line[:1] in "-*•" or not points:
            points.append(line.lstrip("-*• ").strip())
        else:
            points[-1] += " " + line
    return [p for p in points if p and not p.startswith("[")]


def evaluate(ctx: RuleContext, earlier: RuleOutput) -> RuleOutput:
    """Derive deadlines and status for every release; flag what is missing past its deadline."""
    settings = ctx.settings.enablement
    findings: list[Finding] = []
    derived: dict[str, dict[str, DerivedValue]] = {}
    notes: list[Notification] = []
    bundles: dict[str, EnablementBundle] = {}
    for bundle in ctx.snapshot.bundles:  # indexed once, not scanned per announcement
        bundles.setdefault(bundle.release_key, bundle)
    for release in ctx.snapshot.releases:
        if not ctx.enabled(RuleFamily.ENABLEMENT, release.product_area):
            continue
        due = deadlines(release, ctx.calendar, settings)
        needs = requirements(release.tier)
        status = enablement_status(release, ctx.today, ctx.calendar, settings)
        derived[ref(Collection.RELEASES, release.key)] = {
            "enablement_status": status.value if status else None,
            "handoff_due": due.handoff_due if due else None,
            "publish_due": due.publish_due if due else None,
            "readiness_due": due.readiness_due if due else None,
            "bundle_kind": needs.bundle.value if needs and needs.bundle else None,
        }
        if not needs_enablement(release):
            continue
        findings.extend(_findings(release, ctx, settings))
        notes.extend(
            announcement(release, ctx.snapshot, ctx.today, ctx.calendar, settings, bundles)
        )
    return RuleOutput(findings=tuple(findings), derived=derived, notifications=tuple(notes))


def _findings(release: Release, ctx: RuleContext, settings: EnablementSettings) -> list[Finding]:
    record = ref(Collection.RELEASES, release.key)
    title = release.title
    if release.launch_date is None:
        return [
            Finding(
                code="enablement.launch-date-missing",
                record=record,
                field="launch_date",
                message=(
                    f"{title} is {tier_label(release.tier)} but has no target launch date, so its "
                    "enablement deadlines cannot be set. Add the launch date."
                ),
            )
        ]
    launched = release.has_launched(ctx.today)
    if launched and release.post_launch.day14_done_on is not None:
        return []  # the Day 14 retro went over how the launch went
    launch = weekday_date(release.launch_date)
    checks = steps(release, ctx.calendar, settings)
    missed = {c.step: c for c in checks if c.outcome(ctx.today) is Outcome.MISSED}
    out: list[Finding] = []
    dues = {c.step: c.due for c in checks}

    def add(
        code: str,
        message: str,
        level: Level = Level.WARNING,
        field: str | None = None,
        due: date | None = None,
    ) -> None:
        out.append(
            Finding(code=code, record=record, message=message, level=level, field=field, due=due)
        )

    def missed_text(happened: str, todo: str) -> str:
        """What to do while the launch is ahead; once it is out, what happened, for the
        retro (nobody can confirm readiness for a launch that already went out)."""
        return f"{title}: {happened}; {_RETRO}" if launched else f"{title}: {todo}"

    if launched and not is_published(release):
        add(
            "enablement.launched-without-bundle",
            f"{title} launched on {launch} without a published enablement bundle, so Support "
            "and Sales learnt about it from customers. Publishing the bundle now still gives "
            f"them what they need; {_RETRO}",
            Level.ERROR,
            "bundle",
            dues.get(Step.PUBLISH),
        )
    if not launched and Step.HANDOFF in missed:
        add(
            "enablement.handoff-late",
            f"{title}: the enablement bundle was due with Product Ops by "
            f"{weekday_date(missed[Step.HANDOFF].due)} for the launch on {launch} and has not "
            "been handed off. Finish the draft and hand it over, or move the launch date.",
            field="bundle",
            due=missed[Step.HANDOFF].due,
        )
    if not launched and Step.PUBLISH in missed:
        add(
            "enablement.publish-late",
            f"{title}: the enablement bundle should have been published to stakeholders by "
            f"{weekday_date(missed[Step.PUBLISH].due)} for the launch on {launch}. Publish it "
            "now, or move the launch date.",
            field="bundle",
            due=missed[Step.PUBLISH].due,
        )
    teams = [
        name for step, name in ((Step.SUPPORT, "Support"), (Step.SALES, "Sales")) if step in missed
    ]
    if teams:
        who = " and ".join(teams)
        by_day = missed[Step.SUPPORT if Step.SUPPORT in missed else Step.SALES].due
        by = weekday_date(by_day)
        add(
            "enablement.readiness-not-confirmed",
            missed_text(
                f"{who} readiness was not confirmed before the launch on {launch}",
                f"{who} did not confirm readiness by {by}, the last business day before the "
                f"launch on {launch}. Ask {who} whether they have what they need and record "
                "the date they confirm.",
            ),
            field="readiness",
            due=by_day,
        )
    if Step.GO_NO_GO in missed:
        undated = release.readiness.go_no_go is not None
        add(
            "enablement.go-no-go-missing",
            missed_text(
                "the go/no-go was recorded without the date of the Launch Readiness Check "
                f"that made it, so nothing shows it was decided before the launch on {launch}",
                "the go/no-go decision was recorded without the date of the Launch Readiness "
                "Check that made it. Add that date.",
            )
            if undated
            else missed_text(
                f"no go/no-go was recorded before the launch on {launch}",
                f"no go/no-go was recorded before the launch on {launch}. The PM should "
                "record the ship decision (go, no-go, hold or delay).",
            ),
            field="readiness",
            due=missed[Step.GO_NO_GO].due,
        )
    if Step.MEETING in missed:
        add(
            "enablement.readiness-meeting-missing",
            missed_text(
                f"no Launch Readiness Check meeting was held before the Tier 3 launch on {launch}",
                "no Launch Readiness Check meeting was recorded before the Tier 3 launch on "
                f"{launch}. Hold it, or record the date it was held.",
            ),
            field="readiness",
            due=missed[Step.MEETING].due,
        )
    if Step.TRAINING in missed:
        add(
            "enablement.training-missing",
            missed_text(
                "no training session for Support/Sales was held before the Tier 3 launch on "
                f"{launch}",
                "no training session for Support/Sales was recorded before the Tier 3 launch "
                f"on {launch}. Schedule it, or record the date it was held.",
            ),
            field="readiness",
            due=missed[Step.TRAINING].due,
        )
    late = [c for c in checks if c.outcome(ctx.today) is Outcome.LATE]
    if late:
        what = "; ".join(
            f"{c.step.value} {lateness(c, ctx.calendar)} ({done_on_text(c)}, due "
            f"{weekday_date(c.due)})"
            for c in late
        )
        add(
            "enablement.done-after-deadline",
            f"{title}: done after the deadline: {what}" + (f"; {_RETRO}" if launched else "."),
            field="bundle" if late[0].step in (Step.HANDOFF, Step.PUBLISH) else "readiness",
        )
    moved = _moved_inside_deadline(release, checks)
    if moved is not None:
        add("enablement.moved-inside-deadline", moved, field="launch_date")
    return out


def _moved_inside_deadline(release: Release, checks: tuple[StepCheck, ...]) -> str | None:
    """Explain the latest launch date move if it put undone steps' deadlines in the past.

    Only the move that produced the current date counts: a later move that gives the team
    enough time again clears the finding, since deadlines are re-derived from the current date.
    """
    moves = [m for m in release.launch_date_history if m.new == release.launch_date]
    if not moves:
        return None
    move = max(moves, key=lambda m: m.changed_on)
    if move.old == move.new:
        return None
    squeezed = [c for c in checks if not c.done and c.due <= move.changed_on]
    if not squeezed:
        return None
    old = weekday_date(move.old) if move.old else "no date"
    what = "; ".join(f"{c.step.value} (due {weekday_date(c.due)})" for c in squeezed)
    return (
        f"{release.title}: the launch date moved on {weekday_date(move.changed_on)} from {old} "
        f"to {weekday_date(move.new) if move.new else 'no date'}, which put these deadlines at "
        f"or before the day of the move, and they are not done: {what}. Agree with the PM and "
        "the Head of Product whether to move the date again or shorten the enablement plan."
    )
