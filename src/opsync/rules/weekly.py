"""R3 Weekly Product Update: aggregate the PMs' 5-bullet submissions into one page a week.

The pack's RACI gives the content to PMs and the aggregation to Product Ops; this rule is
that aggregation, so the page is entirely opsync's (each part in an owned region) while the
words in it come from the PMs' submission records and the release tracker.

Decisions where the pack leaves room:

- The week is the ISO week of today in the org timezone. Submissions are due on the update
  day (``settings.weekly.weekday``, Thursday) at ``submission_due`` local time and the update
  is due published at ``publish_due``; both instants come from ``calendar.at`` so the week of
  a DST change is right. An update day that is not a business day moves to the business day
  before it (as on the R8 cadence calendar), deadlines and page title with it.
- A submission counts once any of its five bullets holds text; an empty record is a draft.
  If an area has several for the week, the latest ``submitted_at`` wins.
- The page for the week is generated once one submission exists or the submission deadline
  has passed: before that it would be a page of "No submission yet". The wording does not
  change at the deadline, so a page is the same all day for the same snapshot.
- Publishing (one Slack post, one email) is due on the update day once every area has
  submitted, or from the submission deadline on. Notification keys carry the ISO week, so
  however often the sync runs the engine sends each once.
- Lateness of the aggregate is judged for the current week only, from WeeklyUpdate records.
- Cross-cutting risks list every submitted risk/ask line, then each release launching this
  week or within the upcoming window (or with no launch date) that earlier rules raised a
  warning or error about; older launches stay in the report, not in the stakeholder update.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from opsync.documents import plaintext
from opsync.documents.model import (
    Block,
    Document,
    Link,
    ListItem,
    Text,
    bullets,
    heading,
    item,
    para,
    region,
    text,
)
from opsync.domain.base import Collection, ref
from opsync.domain.findings import Finding, Level
from opsync.domain.people import ProductArea
from opsync.domain.release import Release, Tier
from opsync.domain.weekly import WeeklySubmission
from opsync.rules.context import RuleContext
from opsync.rules.dates import WeekPlan, as_aware, clock, week_plan, weekday_date
from opsync.rules.output import (
    DocumentKind,
    GeneratedDocument,
    Notification,
    RecordSeed,
    RuleOutput,
)
from opsync.settings import RuleFamily

#: The pack template's five bullets: (WeeklySubmission property, label).
BULLETS: tuple[tuple[str, str], ...] = (
    ("wins", "Wins / shipped"),
    ("next", "What's next"),
    ("risks", "Risks / asks"),
    ("metrics", "Metrics snapshot"),
    ("links", "Links (PRDs/specs/notes)"),
)
HIGHLIGHTS_REGION = "weekly.highlights"
NO_SUBMISSION = "No submission yet"
_BULLET_MARK = re.compile(r"^\s*(?:[-*•+]|\d+[.)])\s+")
_URL = re.compile(r"(https?://[^\s<>()]+[^\s<>().,;:!?'\"])")


def evaluate(ctx: RuleContext, earlier: RuleOutput) -> RuleOutput:
    """Findings, the week's page, its publication notifications and PM reminders."""
    if not ctx.enabled_anywhere(RuleFamily.WEEKLY):
        return RuleOutput()
    plan = week_plan(ctx)
    areas = weekly_areas(ctx)
    submissions = submissions_by_area(ctx, plan.key)
    missing = tuple(a for a in areas if a.key not in submissions)
    findings = [*_unknown_area_findings(ctx, plan), *_late_update_findings(ctx, plan)]
    if ctx.now > plan.submission_due:
        findings.extend(_missing_finding(ctx, plan, a) for a in missing)
    if not submissions and ctx.now <= plan.submission_due:
        return RuleOutput(findings=tuple(findings), notifications=_reminders(ctx, plan, missing))
    page = build_document(ctx, plan, submissions, earlier)
    notifications = list(_reminders(ctx, plan, missing))
    all_in = not missing and ctx.today >= plan.update_day
    seeds: list[RecordSeed] = []
    if all_in or ctx.now >= plan.submission_due:
        notifications.extend(_publication(ctx, plan, page, missing, earlier))
        if not any(u.week == plan.key for u in ctx.snapshot.weekly_updates):
            values = {"week": plan.key, "published_at": ctx.now}
            seeds.append(
                RecordSeed(
                    collection=Collection.WEEKLY_UPDATES,
                    key=plan.key,
                    values=values,
                    page=page.key,
                )
            )
    return RuleOutput(
        findings=tuple(findings),
        documents=(page,),
        notifications=tuple(notifications),
        seeds=tuple(seeds),
    )


def weekly_areas(ctx: RuleContext) -> tuple[ProductArea, ...]:
    """The areas the rule covers today, in the org's configured order (the page's order)."""
    return tuple(a for a in ctx.snapshot.product_areas if ctx.enabled(RuleFamily.WEEKLY, a.key))


def submissions_by_area(ctx: RuleContext, week: str) -> dict[str, WeeklySubmission]:
    """The submission that counts for each area this week (latest with any content)."""
    latest: dict[str, WeeklySubmission] = {}
    for sub in ctx.snapshot.weekly_submissions:
        if sub.week != week or not has_content(sub):
            continue
        if not ctx.enabled(RuleFamily.WEEKLY, sub.product_area):
            continue
        current = latest.get(sub.product_area)
        if current is None or _order(ctx, sub) > _order(ctx, current):
            latest[sub.product_area] = sub
    return latest


def has_content(sub: WeeklySubmission) -> bool:
    return any(str(getattr(sub, name)).strip() for name, _ in BULLETS)


def _order(ctx: RuleContext, sub: WeeklySubmission) -> tuple[datetime, str]:
    at = sub.submitted_at
    return (as_aware(at, ctx.calendar.tz) if at else datetime.min.replace(tzinfo=UTC), sub.key)


def lines(value: str) -> list[str]:
    """A PM's bullet text as separate lines, list markers removed (people paste lists)."""
    return [s for s in (_BULLET_MARK.sub("", raw).strip() for raw in value.splitlines()) if s]


def linked(line: str) -> list[str | Link]:
    """A line with its bare URLs as links, so they stay clickable in every target."""
    parts = _URL.split(line)
    return [Link(text=p, url=p) if n % 2 else p for n, p in enumerate(parts) if p]


# --- the page ---------------------------------------------------------------------------


def build_document(
    ctx: RuleContext, plan: WeekPlan, subs: dict[str, WeeklySubmission], earlier: RuleOutput
) -> GeneratedDocument:
    children: list[Block] = [_highlights(ctx, plan, subs, earlier)]
    this_week = _releases_between(ctx, plan.monday, plan.sunday)  # once, not once per area
    children.extend(
        _area_section(ctx, plan, a, subs.get(a.key), this_week) for a in weekly_areas(ctx)
    )
    return GeneratedDocument(
        key=plan.document_key,
        kind=DocumentKind.WEEKLY_UPDATE,
        document=Document(title=plan.title, children=tuple(children)),
        record=ref(Collection.WEEKLY_UPDATES, plan.key),
    )


def _labelled(label: str, children: list[ListItem], empty: str = "none") -> ListItem:
    if not children:
        return item(f"{label}: {empty}")
    return item(f"{label}:", children=tuple(children))


def _highlights(
    ctx: RuleContext, plan: WeekPlan, subs: dict[str, WeeklySubmission], earlier: RuleOutput
) -> Block:
    horizon = plan.sunday + timedelta(days=ctx.settings.weekly.upcoming_days)
    this_week = _releases_between(ctx, plan.monday, plan.sunday)
    upcoming = _releases_between(ctx, plan.sunday + timedelta(days=1), horizon)
    risks = [
        item(f"{a.name} ({ctx.snapshot.person_name(a.pm)}): ", *linked(line))
        for a in weekly_areas(ctx)
        if a.key in subs
        for line in lines(subs[a.key].risks)
    ]
    risks.extend(_release_risks(ctx, earlier, plan.monday, horizon))
    return region(
        HIGHLIGHTS_REGION,
        heading(2, "Org-wide highlights (Product Ops)"),
        bullets(
            _labelled("Key launches this week", [_launch(ctx, r) for r in this_week]),
            _labelled(
                f"Upcoming launches (next {_span_words(ctx.settings.weekly.upcoming_days)})",
                [_launch(ctx, r) for r in upcoming],
            ),
            _labelled("Cross-cutting risks/dependencies", risks),
        ),
    )


def _span_words(days: int) -> str:
    weeks, rest = divmod(days, 7)
    return f"{weeks} weeks" if weeks > 1 and not rest else f"{days} days"


def _releases_between(ctx: RuleContext, first: date, last: date) -> list[Release]:
    chosen = [
        r
        for r in ctx.snapshot.releases
        if r.launch_date is not None
        and first <= r.launch_date <= last
        and ctx.enabled(RuleFamily.WEEKLY, r.product_area)
    ]
    return sorted(chosen, key=lambda r: (r.launch_date or date.min, r.title, r.key))


def _title(release: Release) -> Text | Link:
    name = release.title.strip() or release.key
    return Link(text=name, url=release.url) if release.url else text(name)


def _launch(ctx: RuleContext, release: Release) -> ListItem:
    area = ctx.snapshot.area(release.product_area)
    where = area.name if area else (release.product_area or "no product area")
    tier = f"Tier {release.tier.value} ({release.tier.label})" if release.tier else "tier not set"
    day = weekday_date(release.launch_date, year=False) if release.launch_date else "date not set"
    return item(_title(release), f" — {where} · {tier} · {day}")


def _release_risks(
    ctx: RuleContext, earlier: RuleOutput, first: date, last: date
) -> list[ListItem]:
    """Releases launching this week or in the upcoming window that other rules raised
    warnings or errors about, each with those messages. Past launches stay in the report:
    a stakeholder update that repeats every old finding each week stops being read."""
    prefix = f"{Collection.RELEASES.value}/"
    messages: dict[str, list[str]] = defaultdict(list)
    for finding in earlier.findings:
        if not finding.record.startswith(prefix) or finding.level == Level.INFO:
            continue
        key = finding.record.removeprefix(prefix)
        if finding.message not in messages[key]:
            messages[key].append(finding.message)
    releases = {r.key: r for r in ctx.snapshot.releases}
    found = [
        release
        for key in messages
        if (release := releases.get(key)) is not None
        and ctx.enabled(RuleFamily.WEEKLY, release.product_area)
        and (release.launch_date is None or first <= release.launch_date <= last)
    ]
    found.sort(key=lambda r: (r.launch_date or date.max, r.title, r.key))
    result: list[ListItem] = []
    for release in found:
        area = ctx.snapshot.area(release.product_area)
        suffix = f" ({area.name}): open findings" if area else ": open findings"
        children = tuple(item(m) for m in sorted(messages[release.key]))
        result.append(item(_title(release), suffix, children=children))
    return result


def _area_section(
    ctx: RuleContext,
    plan: WeekPlan,
    area: ProductArea,
    sub: WeeklySubmission | None,
    this_week: list[Release],
) -> Block:
    pm = ctx.snapshot.person_name(area.pm)
    shipped = [
        item(_title(r), " (Tier 1, from the release tracker)")
        for r in this_week
        if r.tier == Tier.LOW and r.product_area == area.key and r.has_launched(ctx.today)
    ]
    blocks: list[Block] = [heading(2, f"{area.name} — {pm}")]
    entries: list[ListItem] = []
    if sub is None:
        due = f"{weekday_date(plan.update_day, year=False)} at {clock(plan.submission_due.time())}"
        blocks.append(para(text(f"{NO_SUBMISSION} from {pm} (due {due}).", italic=True)))
        entries.append(_labelled("Wins / shipped", shipped, empty="—"))
        entries.extend(item(f"{label}: —") for _, label in BULLETS[1:])
    else:
        for name, label in BULLETS:
            written = [item(*linked(line)) for line in lines(str(getattr(sub, name)))]
            if name == "wins":
                written.extend(shipped)
            entries.append(_labelled(label, written))
    blocks.append(bullets(*entries))
    return region(f"weekly.area.{area.key}", *blocks)


# --- findings and notifications ---------------------------------------------------------


def _missing_finding(ctx: RuleContext, plan: WeekPlan, area: ProductArea) -> Finding:
    pm = ctx.snapshot.person_name(area.pm)
    due = f"{weekday_date(plan.update_day)} at {clock(plan.submission_due.time())}"
    return Finding(
        code="weekly.submission-missing",
        record=ref(Collection.WEEKLY_SUBMISSIONS, f"{plan.key}/{area.key}"),
        message=(
            f"No weekly submission for {area.name} in {plan.key} (due {due}). {pm} should add "
            "the 5-bullet update (wins/shipped, what's next, risks/asks, metrics, links) so "
            f"the Weekly Product Update covers {area.name}."
        ),
    )


def _unknown_area_findings(ctx: RuleContext, plan: WeekPlan) -> list[Finding]:
    known = {a.key for a in ctx.snapshot.product_areas}
    return [
        Finding(
            code="weekly.submission-unknown-area",
            record=ref(Collection.WEEKLY_SUBMISSIONS, sub.key),
            field="product_area",
            message=(
                f"Weekly submission {sub.key} from {ctx.snapshot.person_name(sub.pm)} names "
                f"product area “{sub.product_area}”, which is not configured, so it is not in "
                "the Weekly Product Update. Set its product area to one of the org's areas."
            ),
        )
        for sub in ctx.snapshot.weekly_submissions
        if sub.week == plan.key and sub.product_area not in known
    ]


def _late_update_findings(ctx: RuleContext, plan: WeekPlan) -> list[Finding]:
    if ctx.now <= plan.publish_due:
        return []
    records = [u for u in ctx.snapshot.weekly_updates if u.week == plan.key]
    published = sorted(as_aware(u.published_at, ctx.calendar.tz) for u in records if u.published_at)
    if published and published[0] <= plan.publish_due:
        return []
    due = f"{weekday_date(plan.update_day)} at {clock(plan.publish_due.time())}"
    if published:
        when = ctx.calendar.localize(published[0])
        what = f"was published late, on {weekday_date(when.date())} at {clock(when.time())}"
        todo = "Product Ops: check what held it up so next week's goes out on time."
    else:
        what = "has not been published"
        todo = "Product Ops: publish it to Slack and email now."
    key = min(u.key for u in records) if records else plan.key
    return [
        Finding(
            code="weekly.update-late",
            record=ref(Collection.WEEKLY_UPDATES, key),
            field="published_at",
            level=Level.ERROR if not published else Level.WARNING,
            message=f"The Weekly Product Update for {plan.key} (due {due}) {what}. {todo}",
        )
    ]


def _publication(
    ctx: RuleContext,
    plan: WeekPlan,
    page: GeneratedDocument,
    missing: tuple[ProductArea, ...],
    earlier: RuleOutput,
) -> list[Notification]:
    """The post and the email saying the update is out: each reads on its own (the week's
    launches, the next ones, the risks stated as facts, who did not submit) and links to the
    page. Written for stakeholders: no finding's instruction is pasted here (RULES.md R3)."""
    weekly = ctx.settings.weekly
    summary = post_document(ctx, plan, page, missing, earlier)
    text_body = plaintext.render(summary)
    reason = f"Weekly Product Update {plan.key} is due published {clock(plan.publish_due.time())}"
    return [
        Notification(
            key=f"{plan.document_key}/slack",
            channel=weekly.slack_channel,
            text=text_body,
            title=page.document.title,
            document=summary,
            announces=page.key,
            reason=reason,
        ),
        Notification(
            key=f"{plan.document_key}/email",
            channel=weekly.email_channel,
            text=text_body,
            title=page.document.title,
            document=summary,
            announces=page.key,
            reason=reason,
        ),
    ]


def post_document(
    ctx: RuleContext,
    plan: WeekPlan,
    page: GeneratedDocument,
    missing: tuple[ProductArea, ...],
    earlier: RuleOutput,
) -> Document:
    horizon = plan.sunday + timedelta(days=ctx.settings.weekly.upcoming_days)
    this_week = _releases_between(ctx, plan.monday, plan.sunday)
    upcoming = _releases_between(ctx, plan.sunday + timedelta(days=1), horizon)
    count = len(this_week)
    blocks: list[Block] = [
        para(
            f"{count} launch{'es' if count != 1 else ''} this week. The full update is on the page."
        ),
        heading(2, "Launches this week"),
        bullets(*([_launch(ctx, r) for r in this_week] or [item("none")])),
        heading(2, f"Next {_span_words(ctx.settings.weekly.upcoming_days)}"),
        bullets(*([_launch(ctx, r) for r in upcoming] or [item("none")])),
    ]
    risks = [
        item(f"{a.name}: ", *linked(line))
        for a in weekly_areas(ctx)
        for sub in [submissions_by_area(ctx, plan.key).get(a.key)]
        if sub is not None
        for line in lines(sub.risks)
    ]
    risks.extend(_risk_facts(ctx, earlier, [*this_week, *upcoming]))
    blocks += [heading(2, "Cross-cutting risks"), bullets(*(risks or [item("none reported")]))]
    if missing:
        names = ", ".join(f"{a.name} ({ctx.snapshot.person_name(a.pm)})" for a in missing)
        blocks.append(para(f"No submission this week from {names}."))
    return Document(title=page.document.title, children=tuple(blocks))


_STATUS_FACTS = {
    "not started": "enablement bundle not started",
    "drafting": "enablement bundle still in draft",
    "ready for review": "enablement bundle in review, not published yet",
    "late": "enablement is behind its deadlines",
    "launched without bundle": "launched without an enablement bundle",
}


def _risk_facts(ctx: RuleContext, earlier: RuleOutput, releases: list[Release]) -> list[ListItem]:
    """A fact per launching release other rules flagged: what stands, not what to do."""
    flagged = {f.record for f in earlier.findings if f.level is not Level.INFO}
    facts: list[ListItem] = []
    for release in releases:
        record = ref(Collection.RELEASES, release.key)
        if record not in flagged:
            continue
        status = str(earlier.derived.get(record, {}).get("enablement_status") or "")
        what = _STATUS_FACTS.get(status, "open questions with its owner")
        if release.tier is None:
            what = "tier not set yet"
        day = weekday_date(release.launch_date, year=False) if release.launch_date else "no date"
        facts.append(item(_title(release), f": {what}; launches {day}"))
    return facts


def _reminders(
    ctx: RuleContext, plan: WeekPlan, missing: tuple[ProductArea, ...]
) -> tuple[Notification, ...]:
    """One reminder per PM still missing a submission, inside the configured window."""
    hours = ctx.settings.weekly.reminder_hours_before
    if hours is None or not missing:
        return ()
    due = plan.submission_due.astimezone(UTC)
    if not due - timedelta(hours=hours) <= ctx.now.astimezone(UTC) < due:
        return ()
    by_pm: dict[str, list[str]] = defaultdict(list)
    for area in missing:
        by_pm[area.pm].append(area.name)
    when = f"{weekday_date(plan.update_day, year=False)} at {clock(plan.submission_due.time())}"
    return tuple(
        Notification(
            key=f"weekly-reminder/{plan.key}/{pm}",
            channel=f"dm:{pm}",
            text=(
                f"Reminder: your 5-bullet weekly update for {', '.join(names)} is due {when} "
                "(wins/shipped, what's next, risks/asks, metrics snapshot, links)."
            ),
            reason=f"No weekly submission yet for {plan.key}",
        )
        for pm, names in sorted(by_pm.items())
    )
