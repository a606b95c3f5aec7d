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
- Submissions are per PM (RULES.md R3): a submission counts once any of its five bullets
  holds text (an empty record is a draft), and each PM's latest for an area (latest
  ``submitted_at``) is the one that counts. Every PM's counts: an area's section holds the
  submissions of all PMs who wrote for it, its configured PM first, each line attributed
  when there are several; a PM whose submission names no configured area (blank, or an area
  the org has not set up) gets a section of their own after the areas. Only an area's
  configured PM is expected, so only their absence is a missing submission.
- A submission made after the submission deadline is included and marked late on the page
  (``weekly.submission-late``, this week only); the scorecard counts it against ritual
  adoption (see ``cadence.py``).
- The page for the week is generated once one submission exists or the submission deadline
  has passed: before that it would be a page of "No submission yet". The wording does not
  change at the deadline, so a page is the same all day for the same snapshot.
- Publishing (one Slack post, one email) is due on the update day once every expected PM
  has submitted, or from the submission deadline on. Notification keys carry the ISO week, so
  however often the sync runs the engine sends each once.
- Lateness of the aggregate is judged for the current week only, from WeeklyUpdate records.
- Cross-cutting risks list every submitted risk/ask line, then each release launching this
  week or within the upcoming window (or with no launch date) that earlier rules raised a
  warning or error about, stated as facts: the stakeholder text its findings' codes declare
  (``codes.py``), never a finding's message, which is an instruction to its owner. Older
  launches stay in the report, not in the stakeholder update.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
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
from opsync.rules.codes import CODES
from opsync.rules.context import RuleContext
from opsync.rules.dates import (
    DateWords,
    WeekPlan,
    as_aware,
    clock,
    date_words,
    week_plan,
    weekday_date,
)
from opsync.rules.output import (
    DocumentKind,
    GeneratedDocument,
    Notification,
    RecordSeed,
    RuleOutput,
)
from opsync.rules.sections import WEEKLY, cite
from opsync.rules.wording import capped, counted, more
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
#: Where every release is, for a list of releases cut short (the tracker's address is its
#: connector's, not the rules').
TRACKER = text("the release tracker")
_BULLET_MARK = re.compile(r"^\s*(?:[-*•+]|\d+[.)])\s+")
_URL = re.compile(r"(https?://[^\s<>()]+[^\s<>().,;:!?'\"])")


@dataclass(frozen=True)
class Section:
    """One section of the update: a configured area with every PM who wrote for it (its
    configured PM first), or a PM whose submissions name no configured area."""

    region: str
    title: str
    area: ProductArea | None
    pms: tuple[str, ...]
    subs: tuple[WeeklySubmission, ...]
    missing: tuple[str, ...]


def evaluate(ctx: RuleContext, earlier: RuleOutput) -> RuleOutput:
    """Findings, the week's page, its publication notifications and PM reminders."""
    if not ctx.enabled_anywhere(RuleFamily.WEEKLY):
        return RuleOutput()
    plan = week_plan(ctx)
    parts = sections(ctx, plan.key)
    missing = [(s.area, pm) for s in parts if s.area is not None for pm in s.missing]
    all_in = not missing and ctx.today >= plan.update_day
    publishes = all_in or ctx.reached(plan.submission_due)
    logs = not any(u.week == plan.key for u in ctx.snapshot.weekly_updates)
    findings = [
        *_unknown_area_findings(ctx, plan),
        *(
            _late_finding(ctx, plan, s, sub)
            for s in parts
            for sub in s.subs
            if is_late(ctx, plan, sub)
        ),
        *_late_update_findings(ctx, plan, ctx.stamp() if publishes and logs else None),
    ]
    if ctx.after(plan.submission_due):
        findings.extend(_missing_finding(ctx, plan, area, pm) for area, pm in missing)
    if not any(s.subs for s in parts) and not ctx.after(plan.submission_due):
        return RuleOutput(findings=tuple(findings), notifications=_reminders(ctx, plan, missing))
    page = build_document(ctx, plan, parts, earlier)
    notifications = list(_reminders(ctx, plan, missing))
    seeds: list[RecordSeed] = []
    if publishes:
        notifications.extend(_publication(ctx, plan, page, parts, earlier))
        if logs:
            values = {"week": plan.key, "published_at": ctx.stamp()}
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


def counted_submissions(ctx: RuleContext, week: str) -> list[WeeklySubmission]:
    """The submissions that count this week: per PM and area as written, the latest with any
    content. A submission naming no configured area follows the rollout of "no area"."""
    configured = {a.key for a in ctx.snapshot.product_areas}
    latest: dict[tuple[str, str], WeeklySubmission] = {}
    for sub in ctx.snapshot.weekly_submissions:
        if sub.week != week or not has_content(sub):
            continue
        area = sub.product_area if sub.product_area in configured else None
        if not ctx.enabled(RuleFamily.WEEKLY, area):
            continue
        slot = (sub.pm, sub.product_area.strip())
        current = latest.get(slot)
        if current is None or _order(ctx, sub) > _order(ctx, current):
            latest[slot] = sub
    return sorted(latest.values(), key=lambda s: _order(ctx, s))


def sections(ctx: RuleContext, week: str) -> tuple[Section, ...]:
    """The week's sections: one per area in rollout, in the configured order, then one per PM
    whose submissions name no configured area, by name. Nothing a PM wrote is dropped."""
    by_area: dict[str, list[WeeklySubmission]] = defaultdict(list)
    by_pm: dict[str, list[WeeklySubmission]] = defaultdict(list)
    configured = {a.key for a in ctx.snapshot.product_areas}
    for sub in counted_submissions(ctx, week):
        if sub.product_area in configured:
            by_area[sub.product_area].append(sub)
        else:
            by_pm[sub.pm].append(sub)
    name = ctx.snapshot.person_name
    result: list[Section] = []
    for area in weekly_areas(ctx):
        subs = sorted(by_area[area.key], key=lambda s: (s.pm != area.pm, name(s.pm), s.key))
        pms = tuple(dict.fromkeys([area.pm, *(s.pm for s in subs)]))
        missing = () if any(s.pm == area.pm for s in subs) else (area.pm,)
        result.append(
            Section(f"weekly.area.{area.key}", area.name, area, pms, tuple(subs), missing)
        )
    for pm in sorted(by_pm, key=lambda k: (name(k), k)):
        result.append(Section(f"weekly.pm.{pm}", name(pm), None, (pm,), tuple(by_pm[pm]), ()))
    return tuple(result)


def is_late(ctx: RuleContext, plan: WeekPlan, sub: WeeklySubmission) -> bool:
    """Submitted after the deadline. A submission without a time is taken as on time: there
    is nothing to say it was late."""
    at = sub.submitted_at
    return at is not None and as_aware(at, ctx.calendar.tz) > plan.submission_due


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
    ctx: RuleContext, plan: WeekPlan, parts: tuple[Section, ...], earlier: RuleOutput
) -> GeneratedDocument:
    view = _roadmap_view(ctx, earlier)  # where a list cut short sends the reader
    this_week = _releases_between(ctx, plan.monday, plan.sunday)  # once, not once per area
    children: list[Block] = [_highlights(ctx, plan, parts, earlier, this_week, view)]
    children.extend(_section_block(ctx, plan, s, this_week) for s in parts)
    title = plan.title(ctx.settings.output.date_style)
    return GeneratedDocument(
        key=plan.document_key,
        kind=DocumentKind.WEEKLY_UPDATE,
        document=Document(title=title, children=tuple(children)),
        record=ref(Collection.WEEKLY_UPDATES, plan.key),
        links_to=(view.page,) if isinstance(view, Text) and view.page else (),
    )


def _labelled(label: str, children: list[ListItem], empty: str = "none") -> ListItem:
    if not children:
        return item(f"{label}: {empty}")
    return item(f"{label}:", children=tuple(children))


def _capped(ctx: RuleContext, entries: list[ListItem], where: Text | Link) -> list[ListItem]:
    """At most ``[output] list_limit`` entries, then one line saying how many more and where
    they all are: an update of 5,000 releases stays a page people read to the end."""
    shown, left_out = capped(entries, ctx.settings.output.list_limit)
    if not left_out:
        return list(shown)
    return [*shown, item(text(more(left_out), italic=True), where)]


def _roadmap_view(ctx: RuleContext, earlier: RuleOutput) -> Text | Link:
    """The newest Stakeholder Roadmap View, published before or in this run, linked where
    the target gives it a URL (filled in as the page is written, so a view created in the
    same run is linked too): the full view of what is launching, for a list cut short."""
    made = {d.key for d in earlier.documents if d.kind is DocumentKind.ROADMAP_VIEW}
    views = sorted(made.union(k for k in ctx.links if k.startswith("roadmap-view/")))
    name = "the Stakeholder Roadmap View"
    return ctx.page_link(name, views[-1]) if views else text(name)


def _highlights(
    ctx: RuleContext,
    plan: WeekPlan,
    parts: tuple[Section, ...],
    earlier: RuleOutput,
    this_week: list[Release],
    view: Text | Link,
) -> Block:
    horizon = plan.sunday + timedelta(days=ctx.settings.weekly.upcoming_days)
    upcoming = _releases_between(ctx, plan.sunday + timedelta(days=1), horizon)
    risks = [
        item(f"{source(ctx, part, sub.pm)}: ", *linked(line))
        for part in parts
        for sub in part.subs
        for line in lines(sub.risks)
    ]
    risks.extend(_release_risks(ctx, earlier, plan.monday, horizon))
    words = date_words(ctx, plan.update_day)
    return region(
        HIGHLIGHTS_REGION,
        heading(2, "Org-wide highlights (Product Ops)"),
        bullets(
            _labelled(
                "Key launches this week",
                _capped(ctx, [_launch(ctx, words, r) for r in this_week], view),
            ),
            _labelled(
                f"Upcoming launches (next {_span_words(ctx.settings.weekly.upcoming_days)})",
                _capped(ctx, [_launch(ctx, words, r) for r in upcoming], view),
            ),
            _labelled("Cross-cutting risks/dependencies", _capped(ctx, risks, TRACKER)),
        ),
    )


def source(ctx: RuleContext, part: Section, pm: str) -> str:
    """Whose words: ``Billing (Ana Ruiz)``, or the PM alone without an area."""
    name = ctx.snapshot.person_name(pm)
    return f"{part.title} ({name})" if part.area is not None else name


def _names(ctx: RuleContext, keys: tuple[str, ...]) -> str:
    names = [ctx.snapshot.person_name(k) for k in keys]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


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


def _launch(ctx: RuleContext, words: DateWords, release: Release) -> ListItem:
    area = ctx.snapshot.area(release.product_area)
    where = area.name if area else (release.product_area or "no product area")
    tier = f"Tier {release.tier.value} ({release.tier.label})" if release.tier else "tier not set"
    day = words.prose(release.launch_date) if release.launch_date else "date not set"
    return item(_title(release), f" — {where} · {tier} · {day}")


def _release_risks(
    ctx: RuleContext, earlier: RuleOutput, first: date, last: date
) -> list[ListItem]:
    """Releases launching this week or in the upcoming window (or with no launch date) that
    other rules flagged, each with what stands, in stakeholder words. Past launches stay in
    the report: a stakeholder update that repeats every old finding each week stops being
    read."""
    chosen = [
        r
        for r in ctx.snapshot.releases
        if ctx.enabled(RuleFamily.WEEKLY, r.product_area)
        and (r.launch_date is None or first <= r.launch_date <= last)
    ]
    chosen.sort(key=lambda r: (r.launch_date or date.max, r.title, r.key))
    result: list[ListItem] = []
    words = date_words(ctx, week_plan(ctx).update_day)
    for release, facts in release_facts(ctx, earlier, chosen):
        area = ctx.snapshot.area(release.product_area)
        where = f" ({area.name})" if area else ""
        when = _when(ctx, words, release)
        result.append(item(_title(release), f"{where}: {'; '.join(facts)}{when}"))
    return result


def release_facts(
    ctx: RuleContext, earlier: RuleOutput, releases: list[Release]
) -> list[tuple[Release, list[str]]]:
    """Each release that other rules raised a warning or error about, with the stakeholder
    text of those findings (RULES.md R3: facts, never a finding's instruction). A release
    whose findings are all owner-only is left out: there is nothing for stakeholders in it."""
    by_key = {r.key: r for r in releases}
    found: dict[str, list[str]] = defaultdict(list)
    for finding in earlier.findings:
        collection, _, key = finding.record.partition("/")
        code = CODES.get(finding.code)
        release = by_key.get(key) if collection == Collection.RELEASES.value else None
        if release is None or code is None or finding.level is Level.INFO:
            continue
        fact = code.fact(launched=release.has_launched(ctx.today))
        if fact and fact not in found[key]:
            found[key].append(fact)
    return [(r, found[r.key]) for r in releases if found.get(r.key)]


def _when(ctx: RuleContext, words: DateWords, release: Release) -> str:
    day = release.launch_date
    if day is None:
        return ""
    verb = "launched" if release.has_launched(ctx.today) else "launches"
    return f"; {verb} {words.prose(day)}"


def _section_block(
    ctx: RuleContext, plan: WeekPlan, part: Section, this_week: list[Release]
) -> Block:
    """An area's section (the template's "[Product Area] — [PM Name]") or a PM's own. With
    several PMs each line names its author, so merged submissions stay attributed."""
    area = part.area
    shipped = _capped(
        ctx,
        [
            item(_title(r), " (Tier 1, from the release tracker)")
            for r in this_week
            if area is not None
            and r.tier == Tier.LOW
            and r.product_area == area.key
            and r.has_launched(ctx.today)
        ],
        TRACKER,
    )
    title = part.title if area is None else f"{part.title} — {_names(ctx, part.pms)}"
    blocks: list[Block] = [heading(2, title)]
    words = date_words(ctx, plan.update_day)
    due = words.moment(plan.update_day, plan.submission_due.time())
    for pm in part.missing:
        name = ctx.snapshot.person_name(pm)
        blocks.append(para(text(f"{NO_SUBMISSION} from {name} (due {due}).", italic=True)))
    for sub in part.subs:
        if is_late(ctx, plan, sub) and sub.submitted_at is not None:
            at = ctx.calendar.localize(as_aware(sub.submitted_at, ctx.calendar.tz))
            when = words.moment(at.date(), at.time())
            by = clock(plan.submission_due.time()) if at.date() == plan.update_day else due
            late = f"Submitted late by {ctx.snapshot.person_name(sub.pm)}: {when} (due {by})."
            blocks.append(para(text(late, italic=True)))
    entries: list[ListItem] = []
    if not part.subs:
        entries.append(_labelled("Wins / shipped", shipped, empty="—"))
        entries.extend(item(f"{label}: —") for _, label in BULLETS[1:])
    else:
        attribute = len(part.pms) > 1
        for name, label in BULLETS:
            written = [
                item(
                    *([f"{ctx.snapshot.person_name(sub.pm)}: "] if attribute else []), *linked(line)
                )
                for sub in part.subs
                for line in lines(str(getattr(sub, name)))
            ]
            if name == "wins":
                written.extend(shipped)
            entries.append(_labelled(label, written))
    blocks.append(bullets(*entries))
    return region(part.region, *blocks)


# --- findings and notifications ---------------------------------------------------------


def _missing_finding(ctx: RuleContext, plan: WeekPlan, area: ProductArea, pm: str) -> Finding:
    name = ctx.snapshot.person_name(pm)
    due = f"{weekday_date(plan.update_day)} at {clock(plan.submission_due.time())}"
    return Finding(
        code="weekly.submission-missing",
        record=ref(Collection.WEEKLY_SUBMISSIONS, f"{plan.key}/{area.key}"),
        due=plan.update_day,
        message=(
            f"No weekly submission for {area.name} in {plan.key} (due {due}). {name} should add "
            "the 5-bullet update (wins/shipped, what's next, risks/asks, metrics, links) so "
            f"the Weekly Product Update covers {area.name}."
        ),
    )


def _late_finding(
    ctx: RuleContext, plan: WeekPlan, part: Section, sub: WeeklySubmission
) -> Finding:
    at = ctx.calendar.localize(as_aware(sub.submitted_at or ctx.stamp(), ctx.calendar.tz))
    due = f"{weekday_date(plan.update_day)} at {clock(plan.submission_due.time())}"
    return Finding(
        code="weekly.submission-late",
        record=ref(Collection.WEEKLY_SUBMISSIONS, sub.key),
        field="submitted_at",
        message=(
            f"{ctx.snapshot.person_name(sub.pm)}'s weekly submission for {part.title} in "
            f"{plan.key} came in on {weekday_date(at.date())} at {clock(at.time())}, after the "
            f"deadline ({due}). It is in the update, marked late, and counts against ritual "
            "adoption; submit by the deadline so Product Ops can aggregate in time."
        ),
    )


def _unknown_area_findings(ctx: RuleContext, plan: WeekPlan) -> list[Finding]:
    """A submission naming an area the org has not configured (often a typo): it is shown
    under its PM's name, and the PM is told. A blank area is a PM without an area: no finding."""
    known = {a.key for a in ctx.snapshot.product_areas}
    return [
        Finding(
            code="weekly.submission-unknown-area",
            record=ref(Collection.WEEKLY_SUBMISSIONS, sub.key),
            field="product_area",
            message=(
                f"Weekly submission {sub.key} from {ctx.snapshot.person_name(sub.pm)} names "
                f"product area “{sub.product_area}”, which is not configured, so the Weekly "
                "Product Update shows it under the PM's name rather than an area. Set its "
                "product area to one of the org's areas, or leave it blank."
            ),
        )
        for sub in ctx.snapshot.weekly_submissions
        if sub.week == plan.key and sub.product_area.strip() and sub.product_area not in known
    ]


def _late_update_findings(
    ctx: RuleContext, plan: WeekPlan, publishing: datetime | None
) -> list[Finding]:
    """``publishing``: when this run publishes the update (its log is written with the
    page), so the finding says what the next run will read, rather than "publish it now"."""
    if not ctx.after(plan.publish_due):
        return []
    records = [u for u in ctx.snapshot.weekly_updates if u.week == plan.key]
    logged = [as_aware(u.published_at, ctx.calendar.tz) for u in records if u.published_at]
    published = sorted([*logged, *([publishing] if publishing else [])])
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
            due=None if published else plan.update_day,
            message=f"The Weekly Product Update for {plan.key} (due {due}) {what}. {todo}",
        )
    ]


def _publication(
    ctx: RuleContext,
    plan: WeekPlan,
    page: GeneratedDocument,
    parts: tuple[Section, ...],
    earlier: RuleOutput,
) -> list[Notification]:
    """The post and the email saying the update is out: each reads on its own (the week's
    launches, the next ones, the risks stated as facts, who did not submit) and links to the
    page. Written for stakeholders: no finding's instruction is pasted here (RULES.md R3)."""
    weekly = ctx.settings.weekly
    summary = post_document(ctx, plan, page, parts, earlier)
    text_body = plaintext.render(summary)
    reason = (
        f"The Weekly Product Update {plan.key} is published, due by "
        f"{clock(plan.publish_due.time())} {cite(WEEKLY)}."
    )
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
    parts: tuple[Section, ...],
    earlier: RuleOutput,
) -> Document:
    horizon = plan.sunday + timedelta(days=ctx.settings.weekly.upcoming_days)
    this_week = _releases_between(ctx, plan.monday, plan.sunday)
    upcoming = _releases_between(ctx, plan.sunday + timedelta(days=1), horizon)
    words = date_words(ctx, plan.update_day)
    page_link = text("the full update")
    blocks: list[Block] = [
        para(
            f"{counted(len(this_week), 'launch', 'launches')} this week. "
            "The full update is on the page."
        ),
        heading(2, "Launches this week"),
        bullets(
            *(
                _capped(ctx, [_launch(ctx, words, r) for r in this_week], page_link)
                or [item("none")]
            )
        ),
        heading(2, f"Next {_span_words(ctx.settings.weekly.upcoming_days)}"),
        bullets(
            *(_capped(ctx, [_launch(ctx, words, r) for r in upcoming], page_link) or [item("none")])
        ),
    ]
    risks = [
        item(f"{part.title}: ", *linked(line))
        for part in parts
        for sub in part.subs
        for line in lines(sub.risks)
    ]
    risks.extend(
        item(_title(release), f": {'; '.join(facts)}{_when(ctx, words, release)}")
        for release, facts in release_facts(ctx, earlier, [*this_week, *upcoming])
    )
    risks = _capped(ctx, risks, page_link)
    blocks += [heading(2, "Cross-cutting risks"), bullets(*(risks or [item("none reported")]))]
    missing = [f"{p.title} ({ctx.snapshot.person_name(pm)})" for p in parts for pm in p.missing]
    if missing:
        blocks.append(para(f"No submission this week from {', '.join(missing)}."))
    return Document(title=page.document.title, children=tuple(blocks))


def _launch_list(
    ctx: RuleContext, words: DateWords, releases: list[Release], rest: Text | Link
) -> Block:
    return bullets(
        *(_capped(ctx, [_launch(ctx, words, r) for r in releases], rest) or [item("none")])
    )


def _reminders(
    ctx: RuleContext, plan: WeekPlan, missing: list[tuple[ProductArea, str]]
) -> tuple[Notification, ...]:
    """One reminder per PM still missing a submission, inside the configured window."""
    hours = ctx.settings.weekly.reminder_hours_before
    if hours is None or not missing:
        return ()
    due = plan.submission_due.astimezone(UTC)
    if not ctx.reached(due - timedelta(hours=hours)) or ctx.reached(due):
        return ()
    by_pm: dict[str, list[str]] = defaultdict(list)
    for area, pm in missing:
        by_pm[pm].append(area.name)
    when = f"{weekday_date(plan.update_day, year=False)} at {clock(plan.submission_due.time())}"
    return tuple(
        Notification(
            key=f"weekly-reminder/{plan.key}/{pm}",
            channel=f"dm:{pm}",
            text=(
                f"Reminder: your 5-bullet weekly update for {', '.join(names)} is due {when} "
                "(wins/shipped, what's next, risks/asks, metrics snapshot, links)."
            ),
            reason=f"{pm} has an area without a weekly submission for {plan.key} {cite(WEEKLY)}.",
        )
        for pm, names in sorted(by_pm.items())
    )
