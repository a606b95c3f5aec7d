"""R9 Launch Readiness Check page of each Tier 2/3 release (pack section 3, "Ritual Spec:
Launch Readiness Check", and section 6's enablement workflow).

The page ``readiness/<release key>`` appears ``readiness_page_days_before`` business days
before the launch date L (L - 5 BD by default) and is regenerated on every run until launch
day inclusive; afterwards it stays as people left it (the engine never deletes a page). The
window is derived from the current launch date on every run, so a moved launch moves it.

What is on it, in the owned region ``readiness.header``: the release's facts; what changes
and who is impacted (the release's description and stakeholder summary, and the bundle's
"Who's impacted" section); the bundle (its page's title, linked to it where the target
gives pages a URL, engine/pagelinks.py), its stage and sections complete; and each check with its
owner and status, done on a date or missing and due by ``readiness_due`` (L - 1 BD, as
RULES.md R2 counts "before launch"). The checks are those of the enablement timeline
(bundle published, Support and Sales confirmed, for Tier 3 the training and the meeting, the
go/no-go) plus the Eng lead's two, people's fields of the release record:
``eng_monitoring_confirmed_on`` and ``rollback_ready_on``.

RULES.md R9 gives Tier 3 the pack's 30-minute meeting agenda (with the meeting's date, or
"to schedule") and Tier 2 an async checklist of the same checks. "Decision + action items"
is a skeleton outside any region: the meeting's notes are people's. The decision itself is
the PM's ``go_no_go`` on the release record: it is the readiness sign-off that ritual
adoption counts (:mod:`opsync.rules.scorecard`).

The Eng lead's confirmations still missing after ``readiness_due`` are findings owned by
the Eng lead, while the launch is ahead and on launch day: a rollback plan is worth asking
for until the release ships, and what a launch went out without is the Day 14 retro's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache

from opsync.calendar import BusinessCalendar
from opsync.documents.model import (
    Block,
    BulletList,
    Document,
    Inline,
    Link,
    ListItem,
    StatusChip,
    Text,
    Tone,
    bullets,
    cell,
    heading,
    item,
    para,
    region,
    table,
    text,
)
from opsync.domain import Collection, Finding, GoNoGo, Release, Snapshot, Tier, ref
from opsync.domain.enablement import EnablementBundle, Section
from opsync.rules.bundles import (
    bundle_for,
    bundles_by_release,
    eng_lead,
    section_complete,
    sections_complete_label,
)
from opsync.rules.context import RuleContext
from opsync.rules.dates import DateWords, weekday_date
from opsync.rules.enablement import (
    STATUS_TONE,
    EnablementStatus,
    Outcome,
    Step,
    StepCheck,
    bundle_stage,
    deadlines,
    lateness,
    section_points,
    steps,
)
from opsync.rules.output import DocumentKind, GeneratedDocument, RuleOutput
from opsync.rules.tiers import needs_enablement, pm_name, tier_label
from opsync.settings import EnablementSettings, RuleFamily

HEADER_REGION = "readiness.header"
PREFIX = "readiness/"
CODE_MONITORING = "readiness.eng-monitoring-not-confirmed"
CODE_ROLLBACK = "readiness.rollback-not-ready"
#: The pack's agenda of the 30-minute Launch Readiness Check (section 3): minutes, who, what.
AGENDA: tuple[tuple[int, str | None, str], ...] = (
    (5, "PM", "what's changing, who's impacted."),
    (10, "Support/Sales", "readiness check: do you have what you need?"),
    (5, "Eng", "monitoring, rollback readiness."),
    (10, None, "Go/no-go decision (ship/hold/delay) + action items."),
)
#: How the pack names each decision ("Ship/hold/delay"), and its colour on the page.
DECISIONS: dict[GoNoGo, tuple[str, Tone]] = {
    GoNoGo.GO: ("ship", Tone.GREEN),
    GoNoGo.HOLD: ("hold", Tone.YELLOW),
    GoNoGo.DELAY: ("delay", Tone.YELLOW),
    GoNoGo.NO_GO: ("no-go", Tone.RED),
}
#: Each check's line on the page, in the order the meeting goes through them.
LABELS: dict[Step, str] = {
    Step.PUBLISH: "Enablement bundle published",
    Step.SUPPORT: "Support readiness confirmed",
    Step.SALES: "Sales readiness confirmed",
    Step.TRAINING: "Support/Sales training held",
    Step.MONITORING: "Eng monitoring confirmed",
    Step.ROLLBACK: "Rollback ready",
    Step.MEETING: "Launch Readiness Check held",
    Step.GO_NO_GO: "Go/no-go recorded",
}
#: Steps with a date people set ahead, for a session planned rather than held.
_SCHEDULED = frozenset({Step.TRAINING, Step.MEETING})


@dataclass(frozen=True)
class Window:
    """The days the page is generated: from ``opens`` (L - N BD) to ``launch`` inclusive."""

    opens: date
    launch: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.opens <= day <= self.launch


def window(
    release: Release, calendar: BusinessCalendar, settings: EnablementSettings
) -> Window | None:
    """The page's window; None for a release that needs no readiness check or has no date."""
    launch = release.launch_date
    if launch is None or not needs_enablement(release):
        return None
    return Window(calendar.step_back(launch, settings.readiness_page_days_before), launch)


def page_key(release_key: str) -> str:
    return f"{PREFIX}{release_key}"


@dataclass(frozen=True)
class Check:
    """One line of the readiness check: what, who confirms it, and what is recorded."""

    label: str
    who: str
    record: StepCheck


def checks(
    release: Release, snapshot: Snapshot, calendar: BusinessCalendar, settings: EnablementSettings
) -> tuple[Check, ...]:
    """The checks the release's tier requires before launch, in the meeting's order: the
    enablement steps but the handoff (the bundle's stage says it), and the Eng lead's two."""
    recorded = {c.step: c for c in steps(release, calendar, settings)}
    due = deadlines(release, calendar, settings)
    if due is None:
        return ()
    ready = release.readiness
    for step, on in (
        (Step.MONITORING, ready.eng_monitoring_confirmed_on),
        (Step.ROLLBACK, ready.rollback_ready_on),
    ):
        recorded[step] = StepCheck(step, due.readiness_due, on is not None, on)
    eng = eng_lead(release, snapshot)
    who = {
        Step.PUBLISH: "Product Ops",
        Step.SUPPORT: "Support",
        Step.SALES: "Sales",
        Step.TRAINING: "PM and Product Ops",
        Step.MONITORING: snapshot.person_name(eng) if eng else "Eng lead",
        Step.ROLLBACK: snapshot.person_name(eng) if eng else "Eng lead",
        Step.MEETING: "Product Ops",
        Step.GO_NO_GO: pm_name(snapshot, release),
    }
    return tuple(
        Check(label, who[step], recorded[step])
        for step, label in LABELS.items()
        if step in recorded
    )


def done(check: Check, release: Release) -> bool:
    """Ticked on the checklist: recorded (a go/no-go as soon as its decision is)."""
    if check.record.step is Step.GO_NO_GO and release.readiness.go_no_go is not None:
        return True
    return check.record.done


def status(
    check: Check, release: Release, today: date, calendar: BusinessCalendar, words: DateWords
) -> tuple[Inline, ...]:
    """``done Dec 2``, ``missing, due by Dec 9``; a go/no-go shows its decision."""
    record = check.record
    outcome = record.outcome(today)
    decision = release.readiness.go_no_go if record.step is Step.GO_NO_GO else None
    if decision is not None:
        label, tone = DECISIONS[decision]
        if record.done_on is None:
            pending = "due by" if outcome is not Outcome.MISSED else "was due"
            tail = ", date not recorded" + (
                "" if record.done else f", {pending} {words.cell(record.due)}"
            )
        else:
            tail = _on(record, calendar, words)
        return cell(StatusChip(label=label, tone=tone), tail)
    if record.step in _SCHEDULED and record.done_on is not None and record.done_on > today:
        return cell(StatusChip(label="scheduled", tone=Tone.BLUE), f" {words.cell(record.done_on)}")
    if outcome is Outcome.ON_TIME or outcome is Outcome.DONE:
        return cell(StatusChip(label="done", tone=Tone.GREEN), _on(record, calendar, words))
    if outcome is Outcome.LATE:
        return cell(StatusChip(label="done late", tone=Tone.YELLOW), _on(record, calendar, words))
    if outcome is Outcome.MISSED:
        return cell(
            StatusChip(label="missing", tone=Tone.RED), f", was due {words.cell(record.due)}"
        )
    return cell(StatusChip(label="missing"), f", due by {words.cell(record.due)}")


def _on(record: StepCheck, calendar: BusinessCalendar, words: DateWords) -> str:
    if record.done_on is None:
        return ", date not recorded"
    late = f" ({lateness(record, calendar)})" if record.done_on > record.due else ""
    return f" {words.cell(record.done_on)}{late}"


def readiness_document(
    release: Release,
    ctx: RuleContext,
    sections_complete: str | None,
    bundles: Mapping[str, EnablementBundle] | None = None,
    bundle_page: str | None = None,
) -> Document | None:
    """The page of a Tier 2/3 release with a launch date; None for any other. ``bundles``:
    the snapshot's bundles by release (:func:`bundles_by_release`), when the caller has it;
    ``bundle_page``: the key of the release's bundle page, when there is one to link."""
    settings = ctx.settings.enablement
    due = deadlines(release, ctx.calendar, settings)
    if due is None or release.tier is None:
        return None
    snapshot, today = ctx.snapshot, ctx.today
    words = DateWords(ctx.settings.output.date_style, due.launch)
    lines = checks(release, snapshot, ctx.calendar, settings)
    meeting = release.tier is Tier.HIGH
    owned: list[Block] = [_facts(release, ctx, words, due.readiness_due, meeting)]
    if meeting:
        owned += _agenda(release, snapshot, words, due.readiness_due)
    bundle = bundles.get(release.key) if bundles is not None else bundle_for(snapshot, release.key)
    owned += _what_changes(release, ctx, sections_complete, bundle, bundle_page)
    if meeting:
        rows: list[tuple[tuple[Inline, ...], ...]] = [
            (cell(c.label), cell(c.who), status(c, release, today, ctx.calendar, words))
            for c in lines
        ]
        owned += [heading(2, "Readiness checks"), table(("Check", "Who", "Status"), rows)]
    else:
        owned += [
            heading(2, "Async checklist"),
            bullets(*(_tick(c, release, today, ctx.calendar, words) for c in lines)),
        ]
    owned.append(_how_to_record(release, words, due.readiness_due))
    return Document(
        title=f"Launch Readiness Check — {release.title}",
        children=(region(HEADER_REGION, *owned), *_decision_prompts()),
    )


def _facts(
    release: Release, ctx: RuleContext, words: DateWords, readiness_due: date, meeting: bool
) -> BulletList:
    snapshot = ctx.snapshot
    eng = eng_lead(release, snapshot)
    name: Text | Link = (
        Link(text=release.title, url=release.url) if release.url else text(release.title)
    )
    launch = release.launch_date
    form = (
        "30-minute Launch Readiness Check meeting (Tier 3)"
        if meeting
        else "async checklist (Tier 2), no meeting"
    )
    return bullets(
        item("Release: ", name),
        item(f"Release tier: {tier_label(release.tier)}"),
        item(f"Launch date: {words.full(launch) if launch else 'not set'}"),
        item(f"PM owner: {pm_name(snapshot, release)}"),
        item(f"Eng lead: {snapshot.person_name(eng) if eng else 'not set'}"),
        item(f"Checks due: {words.prose(readiness_due)} (L - 1 BD)"),
        item(f"Format: {form}"),
    )


def _agenda(
    release: Release, snapshot: Snapshot, words: DateWords, readiness_due: date
) -> list[Block]:
    held = release.readiness.meeting_on
    when = (
        words.prose(held) if held is not None else f"to schedule, by {words.prose(readiness_due)}"
    )
    eng = eng_lead(release, snapshot)
    names = {"PM": pm_name(snapshot, release), "Eng": snapshot.person_name(eng) if eng else None}
    slots = tuple(
        item(f"[{minutes} min] " + (_speaker(who, names) + ": " if who else "") + what)
        for minutes, who, what in AGENDA
    )
    return [
        heading(2, f"Agenda ({sum(m for m, _, _ in AGENDA)} min)"),
        para(
            f"Meeting: {when}. Attendees: PM (owner), Eng lead, Support, Sales; run by Product Ops."
        ),
        BulletList(items=slots, ordered=True),
    ]


def _speaker(who: str, names: dict[str, str | None]) -> str:
    name = names.get(who)
    return f"{who} ({name})" if name else who


def _what_changes(
    release: Release,
    ctx: RuleContext,
    sections_complete: str | None,
    bundle: EnablementBundle | None,
    bundle_page: str | None,
) -> list[Block]:
    blocks: list[Block] = [heading(2, "What's changing and who's impacted")]
    description = release.description.strip()
    summary = release.stakeholder_summary.strip()
    if description:
        blocks.append(para(description))
    if summary and summary != description:
        blocks.append(para(text("For stakeholders:", bold=True), f" {summary}"))
    if not description and not summary:
        blocks.append(para("The release has no description or stakeholder summary yet."))
    impacted = [
        p
        for p in section_points(bundle.sections.get(Section.WHO_IMPACTED, "") if bundle else "")
        if section_complete(Section.WHO_IMPACTED, p)
    ]
    who = (
        item("Who's impacted (from the bundle):", children=tuple(item(p) for p in impacted))
        if impacted
        else item("Who's impacted: not written in the bundle yet.")
    )
    # Linked by key: on a first sync the bundle page is created in the same run, and its
    # URL is filled in as this page is written, after it (engine/pagelinks.py).
    title = f"Launch Enablement Bundle — {release.title}"
    name = (
        ctx.page_link(title, bundle_page, italic=True) if bundle_page else text(title, italic=True)
    )
    stage = EnablementStatus(bundle_stage(release).value)
    complete = f", {sections_complete} sections complete" if sections_complete else ""
    blocks.append(
        bullets(
            who,
            item(name, ": ", StatusChip(label=stage.value, tone=STATUS_TONE[stage]), complete),
        )
    )
    return blocks


def _tick(
    check: Check, release: Release, today: date, calendar: BusinessCalendar, words: DateWords
) -> ListItem:
    box = "☑" if done(check, release) else "☐"
    return item(
        f"{box} ",
        text(check.label),
        f" ({check.who}): ",
        *status(check, release, today, calendar, words),
    )


def _how_to_record(release: Release, words: DateWords, readiness_due: date) -> Block:
    # not linked, as the bundle: opsync creates the release's record on a first sync
    return para(
        f"A check is done when its date is on the release's record ({release.key}), by "
        f"{words.prose(readiness_due)}; this page follows it. The PM records the go/no-go "
        "there (ship, hold or delay) with its date: it is the readiness sign-off.",
    )


@cache
def _decision_prompts() -> tuple[Block, ...]:
    """The meeting's notes, people's from the start; nodes are immutable, so pages share them."""
    return (
        heading(2, "Decision + action items"),
        bullets("Decision (ship / hold / delay):", "Action items + owners:"),
    )


def in_scope(ctx: RuleContext, release: Release) -> bool:
    """Readiness checks follow the rollout of tiers and enablement in the release's area."""
    area = release.product_area
    return ctx.enabled(RuleFamily.TIERS, area) and ctx.enabled(RuleFamily.ENABLEMENT, area)


def evaluate(ctx: RuleContext, earlier: RuleOutput) -> RuleOutput:
    """The readiness page of each release in its window, and the Eng lead's missing checks."""
    settings = ctx.settings.enablement
    documents: list[GeneratedDocument] = []
    findings: list[Finding] = []
    bundles = bundles_by_release(ctx.snapshot)  # one index, not a scan per release
    pages = {d.key for d in earlier.documents if d.kind is DocumentKind.BUNDLE}
    for release in sorted(ctx.snapshot.releases, key=lambda r: r.key):
        if not in_scope(ctx, release):
            continue
        days = window(release, ctx.calendar, settings)
        if days is None:
            continue
        record = ref(Collection.RELEASES, release.key)
        if ctx.today in days:
            # the bundle rule's count, which knows a bundle page this run creates
            made = earlier.derived.get(record, {}).get("bundle_sections_complete")
            sections = (
                made
                if isinstance(made, str)
                else sections_complete_label(release, bundles.get(release.key))
            )
            key = f"bundle/{release.key}"
            bundle_page = key if key in pages or key in ctx.links else None
            document = readiness_document(release, ctx, sections, bundles, bundle_page)
            if document is not None:
                documents.append(
                    GeneratedDocument(
                        key=page_key(release.key),
                        kind=DocumentKind.READINESS_CHECK,
                        document=document,
                        record=record,
                        links_to=(bundle_page,) if bundle_page else (),
                    )
                )
        if ctx.today <= days.launch:
            findings.extend(_findings(release, ctx, record))
    return RuleOutput(findings=tuple(findings), documents=tuple(documents))


def _findings(release: Release, ctx: RuleContext, record: str) -> Iterator[Finding]:
    """The Eng lead's checks missing after their due day (R10: owned by the Eng lead)."""
    mine = {Step.MONITORING: CODE_MONITORING, Step.ROLLBACK: CODE_ROLLBACK}
    launch = weekday_date(release.launch_date) if release.launch_date else "not set"
    for check in checks(release, ctx.snapshot, ctx.calendar, ctx.settings.enablement):
        code = mine.get(check.record.step)
        if code is None or check.record.outcome(ctx.today) is not Outcome.MISSED:
            continue
        by = weekday_date(check.record.due)
        what = (
            "monitoring for the launch (metrics to watch, alert thresholds, dashboard)"
            if check.record.step is Step.MONITORING
            else "that the rollback procedure is ready (owner, steps, decision criteria)"
        )
        field = (
            "eng_monitoring_confirmed_on"
            if check.record.step is Step.MONITORING
            else "rollback_ready_on"
        )
        yield Finding(
            code=code,
            record=record,
            field=field,
            due=check.record.due,
            message=(
                f"{release.title}: the Eng lead has not confirmed {what}; it was due by {by}, "
                f"the last business day before the launch on {launch}. Confirm it before the "
                f"launch and record the date on the release's record ({field})."
            ),
        )
