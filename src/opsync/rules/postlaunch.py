"""R7 post-launch capture: the Day 3 check-in and the Day 14 retro of Tier 2/3 releases.

Both are due a number of *calendar* days after the launch date L (RULES.md R7: L + 3 and
L + 14), since customers do not stop using a feature at the weekend; a due date that lands
on a non-business day moves to the next business day (RULES.md R2), as nobody runs a
check-in on a Saturday. A page appears once it is due (today >= due) and stays, so reruns
regenerate the same page rather than removing it. A capture done on its due day is on time;
it is overdue from the next day.

Capture covers a launch inside the rollout: post-launch rules must have been switched on
for its area (``[[rollout.phases]]``) by ``lookback_days`` after the launch (default 14, so
a launch whose Day 14 retro is still ahead when its area joins is covered). Older launches
get no pages, thread, reminder or findings: a first sync must not open a retro for every
launch since the tracker began. With no rollout phases every launch is covered, since
nothing says when the organisation adopted the pack.

Pages follow the pack's section 6 wording. Like the bundle, the facts opsync knows sit in
the owned region ``post-launch.header``; the prompts people answer under (early issues, the
three retro questions, the action items) are a skeleton outside any region.

The Day 3 check-in is "a quick Slack thread in #product-ops": opsync starts that thread once
(``post-launch-day3/<release key>``) while it is still useful, that is until the Day 14 retro.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, partial

from opsync.calendar import BusinessCalendar
from opsync.documents.model import (
    Block,
    BulletList,
    Document,
    ListItem,
    bullets,
    heading,
    item,
    region,
)
from opsync.domain import Collection, Finding, Release, Snapshot, Tier, ref
from opsync.rules.context import RuleContext
from opsync.rules.dates import DateWords, weekday_date
from opsync.rules.output import (
    DerivedValue,
    DocumentKind,
    GeneratedDocument,
    Notification,
    RuleOutput,
)
from opsync.rules.sections import POST_LAUNCH, cite
from opsync.rules.tiers import needs_enablement, pm_name, requirements, tier_label
from opsync.settings import DateStyle, PostLaunchSettings, RuleFamily

HEADER_REGION = "post-launch.header"
EARLY_ISSUES = ("Support ticket spike:", "Unexpected behavior:", "Customer confusion:")
RETRO_QUESTIONS = (
    "What went well in the launch process?",
    "What surprised us (customers, Support, Sales)?",
    "What should we change in the enablement process?",
)


@dataclass(frozen=True)
class PostLaunchDue:
    launch: date
    day3_due: date
    day14_due: date


def due_dates(
    release: Release, calendar: BusinessCalendar, settings: PostLaunchSettings
) -> PostLaunchDue | None:
    """Due dates of the capture; None unless the release is Tier 2/3 with a launch date."""
    launch = release.launch_date
    if launch is None or not needs_enablement(release):
        return None
    return PostLaunchDue(
        launch=launch,
        day3_due=calendar.roll_forward(launch + timedelta(days=settings.day3_days)),
        day14_due=calendar.roll_forward(launch + timedelta(days=settings.day14_days)),
    )


def in_scope(ctx: RuleContext, release: Release) -> bool:
    """Whether post-launch rules apply to the release's area today and applied by
    ``lookback_days`` after its launch (see the module docstring)."""
    area = release.product_area
    if not ctx.enabled(RuleFamily.POST_LAUNCH, area):
        return False
    launch = release.launch_date
    if launch is None:
        return True
    joined_by = launch + timedelta(days=ctx.settings.post_launch.lookback_days)
    return ctx.settings.enabled(RuleFamily.POST_LAUNCH, area, min(joined_by, ctx.today))


def action_item_count(release: Release) -> int:
    return sum(1 for entry in release.post_launch.action_items if entry.strip())


def _facts(
    release: Release, snapshot: Snapshot, due: date, label: str, style: DateStyle
) -> tuple[ListItem, ...]:
    """The page's facts, dated in the page's style and anchored on the launch."""
    words = DateWords(style, release.launch_date or due)
    launch = words.full(release.launch_date) if release.launch_date else "not set"
    return (
        item(f"Release: {release.title}"),
        item(f"Release tier: {tier_label(release.tier)}"),
        item(f"Launch date: {launch}"),
        item(f"PM owner: {pm_name(snapshot, release)}"),
        item(f"{label} due: {words.prose(due)}"),
    )


def day3_document(
    release: Release,
    snapshot: Snapshot,
    due: PostLaunchDue,
    settings: PostLaunchSettings,
    style: DateStyle = DateStyle.LONG,
) -> Document:
    where = f"a quick Slack thread in {settings.day3_channel}" if settings.day3_channel else "here"
    header = region(
        HEADER_REGION,
        bullets(
            *_facts(release, snapshot, due.day3_due, "Check-in", style),
            item(f"Format: async. PM + Support report any early issues in {where}."),
        ),
    )
    return Document(title=f"Day 3 check-in — {release.title}", children=(header, *_day3_prompts()))


@cache
def _day3_prompts() -> tuple[Block, ...]:
    """The page's prompts, the same on every page; nodes are immutable, so pages share them."""
    return (heading(2, "Early issues"), bullets(*EARLY_ISSUES))


@cache
def _day14_prompts(low: int, high: int) -> tuple[Block, ...]:
    questions = tuple(b for q in RETRO_QUESTIONS for b in (heading(2, q), bullets("")))
    slots = BulletList(items=tuple(ListItem(inlines=()) for _ in range(high)), ordered=True)
    return (*questions, heading(2, f"Action items ({low}-{high})"), slots)


def day14_document(
    release: Release,
    snapshot: Snapshot,
    due: PostLaunchDue,
    settings: PostLaunchSettings,
    style: DateStyle = DateStyle.LONG,
) -> Document:
    needs = requirements(release.tier)
    sync = needs is not None and needs.retro_sync
    form = "15-min sync (Tier 3)" if sync else "async (Tier 2)"
    low, high = settings.min_action_items, settings.max_action_items
    header = region(
        HEADER_REGION,
        bullets(
            *_facts(release, snapshot, due.day14_due, "Retro", style),
            item(f"Format: {form}."),
            item(f"Outcome: {low}-{high} action items for Product Ops to improve the system."),
        ),
    )
    return Document(
        title=f"Day 14 retro — {release.title}", children=(header, *_day14_prompts(low, high))
    )


def day3_thread(
    release: Release, due: PostLaunchDue, today: date, settings: PostLaunchSettings
) -> Notification | None:
    """Start the Day 3 Slack thread, from its due day until the Day 14 retro, if not done."""
    channel = settings.day3_channel
    if not channel or release.post_launch.day3_done_on is not None:
        return None
    if not due.day3_due <= today <= due.day14_due:
        return None
    return Notification(
        key=f"post-launch-day3/{release.key}",
        channel=channel,
        text=(
            f"Day 3 check-in for {release.title} (launched {weekday_date(due.launch)}). PM and "
            "Support: reply in this thread with any early issues: a support ticket spike, "
            "unexpected behavior, customer confusion."
        ),
        title=f"Day 3 check-in — {release.title}",
        announces=f"post-launch/{release.key}/day3",
        reason=f"The Day 3 check-in of {release.key} is due and not recorded {cite(POST_LAUNCH)}.",
    )


def day14_reminder(
    release: Release,
    snapshot: Snapshot,
    due: PostLaunchDue,
    today: date,
    settings: PostLaunchSettings,
) -> Notification | None:
    """Remind the PM of the Day 14 retro on its due day (or the first run after), once, with
    the retro page's link; a retro already recorded needs no reminder."""
    pm = release.pm or (area.pm if (area := snapshot.area(release.product_area)) else None)
    if not settings.day14_reminder or pm is None or release.post_launch.day14_done_on:
        return None
    if not due.day14_due <= today <= due.day14_due + timedelta(days=settings.day14_days):
        return None
    sync = release.tier is Tier.HIGH
    form = "a 15-minute sync retro (Tier 3)" if sync else "an async retro (Tier 2)"
    text = (
        f"Day 14 retro for {release.title} is due {weekday_date(due.day14_due)}: {form}, "
        f"ending in {settings.min_action_items}-{settings.max_action_items} action items. "
        "The retro page has the prompts."
    )
    return Notification(
        key=f"post-launch-day14/{release.key}",
        channel=f"dm:{pm}",
        text=text,
        title=f"Day 14 retro — {release.title}",
        announces=f"post-launch/{release.key}/day14",
        reason=f"The Day 14 retro of {release.key} is due and not recorded {cite(POST_LAUNCH)}.",
    )


def evaluate(ctx: RuleContext, earlier: RuleOutput) -> RuleOutput:
    """Derive due dates, generate the pages that are due, flag overdue or unfinished retros."""
    settings = ctx.settings.post_launch
    today = ctx.today
    findings: list[Finding] = []
    derived: dict[str, dict[str, DerivedValue]] = {}
    documents: list[GeneratedDocument] = []
    notes: list[Notification] = []
    for release in ctx.snapshot.releases:
        record = ref(Collection.RELEASES, release.key)
        if not in_scope(ctx, release):
            # written as empty, so a date an earlier scope gave the release does not linger
            derived[record] = {"day3_due": None, "day14_due": None}
            continue
        due = due_dates(release, ctx.calendar, settings)
        derived[record] = {
            "day3_due": due.day3_due if due else None,
            "day14_due": due.day14_due if due else None,
        }
        if due is None or not release.has_launched(today):
            continue
        style = ctx.settings.output.date_style
        if today >= due.day3_due:
            documents.append(
                GeneratedDocument.deferred(
                    partial(day3_document, release, ctx.snapshot, due, settings, style),
                    key=f"post-launch/{release.key}/day3",
                    kind=DocumentKind.POST_LAUNCH_DAY3,
                    record=record,
                )
            )
        if today >= due.day14_due:
            documents.append(
                GeneratedDocument.deferred(
                    partial(day14_document, release, ctx.snapshot, due, settings, style),
                    key=f"post-launch/{release.key}/day14",
                    kind=DocumentKind.POST_LAUNCH_DAY14,
                    record=record,
                )
            )
        note = day3_thread(release, due, today, settings)
        if note is not None:
            notes.append(note)
        reminder = day14_reminder(release, ctx.snapshot, due, today, settings)
        if reminder is not None:
            notes.append(reminder)
        findings.extend(_findings(release, record, due, today, settings))
    return RuleOutput(
        findings=tuple(findings),
        derived=derived,
        documents=tuple(documents),
        notifications=tuple(notes),
    )


def _findings(
    release: Release, record: str, due: PostLaunchDue, today: date, settings: PostLaunchSettings
) -> list[Finding]:
    done = release.post_launch
    title = release.title
    out: list[Finding] = []
    if today > due.day3_due and done.day3_done_on is None:
        out.append(
            Finding(
                code="post-launch.day3-overdue",
                record=record,
                field="post_launch",
                due=due.day3_due,
                message=(
                    f"{title}: the Day 3 check-in was due on {weekday_date(due.day3_due)} and is "
                    "not recorded. PM and Support should report early issues (ticket spike, "
                    "unexpected behavior, customer confusion) and record the date."
                ),
            )
        )
    if today > due.day14_due and done.day14_done_on is None:
        out.append(
            Finding(
                code="post-launch.day14-overdue",
                record=record,
                field="post_launch",
                due=due.day14_due,
                message=(
                    f"{title}: the Day 14 retro was due on {weekday_date(due.day14_due)} and is "
                    "not recorded. Product Ops should run it with the PM and record its date and "
                    "action items."
                ),
            )
        )
    if done.day14_done_on is None:
        return out
    count = action_item_count(release)
    low, high = settings.min_action_items, settings.max_action_items
    if count < low:
        out.append(
            Finding(
                code="post-launch.too-few-action-items",
                record=record,
                field="action_items",
                message=(
                    f"{title}: the Day 14 retro is recorded with {count} action items; the pack "
                    f"asks for {low}-{high}. Add what Product Ops should change in the "
                    "enablement process, each as one action item."
                ),
            )
        )
    elif count > high:
        out.append(
            Finding(
                code="post-launch.too-many-action-items",
                record=record,
                field="action_items",
                message=(
                    f"{title}: the Day 14 retro lists {count} action items; the pack asks for "
                    f"{low}-{high}. Keep the {high} that matter most so that they get done."
                ),
            )
        )
    return out
