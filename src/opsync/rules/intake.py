"""Intake (pack section 1, "Engagement model"; RULES.md R10): requests to Product Ops,
triaged weekly against the current quarter's top frictions.

A request comes from the wiki collection ``requests`` or, where Slack is configured, from a
#product-ops message (``source: slack``); the rules read both alike. People triage it: its
``status`` goes from new to triaged, planned or declined, ``friction`` names the friction it
serves (by key) and ``triaged_on`` says when. opsync derives nothing on the request; it
flags what triage left undone:

- a request still new ``[rules.intake] triage_within_days`` (7) days after it was received,
  owned by Product Ops and due on that day;
- a request triaged or planned without a friction (a declined one needs none), and a
  request naming a friction key that is not on the list.

Each week has one triage page, ``intake-triage/<ISO week>``, kept up to date through that
week and then left as people left it: the untriaged requests oldest first with their age,
the requests triaged this week, and every request counted by its friction. The page
appears once there is a request at all, so an organisation that does not use intake gets no
empty page. Intake is part of the cadence (R8): nothing here runs unless the cadence family
is on for some area; requests belong to no area.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, timedelta

from opsync.documents.model import (
    Block,
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
from opsync.domain.base import Collection, ref
from opsync.domain.findings import Finding
from opsync.domain.intake import Friction, Request, RequestStatus
from opsync.rules import frictions
from opsync.rules.context import RuleContext
from opsync.rules.dates import DateWords, date_words, iso_week_key, week_monday
from opsync.rules.output import DocumentKind, GeneratedDocument, RuleOutput
from opsync.rules.wording import capped, counted, more
from opsync.settings import RuleFamily

CODE_UNTRIAGED = "intake.untriaged"
CODE_FRICTION_MISSING = "intake.friction-missing"
CODE_FRICTION_UNKNOWN = "intake.friction-unknown"
TRIAGE_REGION = "intake-triage"
GUIDE_REGION = "intake-triage.guide"
#: Statuses that say the request was weighed against the list and kept.
NEEDS_FRICTION = (RequestStatus.TRIAGED, RequestStatus.PLANNED)
STATUS_ORDER = (
    RequestStatus.NEW,
    RequestStatus.TRIAGED,
    RequestStatus.PLANNED,
    RequestStatus.DECLINED,
)


def evaluate(ctx: RuleContext, earlier: RuleOutput) -> RuleOutput:
    if not ctx.enabled_anywhere(RuleFamily.CADENCE):
        return RuleOutput()
    found = [*request_findings(ctx), *frictions.findings(ctx)]
    documents = (triage_page(ctx),) if ctx.snapshot.requests else ()
    return RuleOutput(findings=tuple(found), documents=documents)


def triage_due(ctx: RuleContext, request: Request) -> date | None:
    """The day a new request becomes a finding: ``triage_within_days`` after it came in."""
    if request.received_on is None:
        return None
    return request.received_on + timedelta(days=ctx.settings.intake.triage_within_days)


def request_findings(ctx: RuleContext) -> Iterator[Finding]:
    known = ctx.snapshot.frictions
    for request in sorted(ctx.snapshot.requests, key=lambda r: r.key):
        record = ref(Collection.REQUESTS, request.key)
        name = f"Request {request.key} ({request.summary})"
        due = triage_due(ctx, request)
        if request.status is RequestStatus.NEW and due is not None and due <= ctx.today:
            days = (ctx.today - (request.received_on or ctx.today)).days
            yield Finding(
                code=CODE_UNTRIAGED,
                record=record,
                field="status",
                due=due,
                message=(
                    f"{name} has waited {counted(days, 'day')} since it was received and is "
                    "still new; triage it against the top-frictions list: set its status "
                    "(triaged, planned or declined), its friction and triaged_on."
                ),
            )
        key = (request.friction or "").strip()
        if not key and request.status in NEEDS_FRICTION:
            yield Finding(
                code=CODE_FRICTION_MISSING,
                record=record,
                field="friction",
                message=(
                    f"{name} is {request.status.value} but names no friction; set friction to "
                    "the key of the friction it reduces, or decline it (pack section 8: work "
                    "that maps to no top friction is cut)."
                ),
            )
        elif key and frictions.friction_named(known, key) is None:
            keys = ", ".join(f.key for f in frictions.ranked(known)) or "none recorded yet"
            yield Finding(
                code=CODE_FRICTION_UNKNOWN,
                record=record,
                field="friction",
                message=(
                    f"{name} names friction {key!r}, which is not on the frictions list "
                    f"(keys: {keys}); correct the key or add the friction."
                ),
            )


def request_name(ctx: RuleContext, request: Request) -> Text | Link:
    """``REQ-004 · Summary``, linked to the record (or the message it came from)."""
    label = f"{request.key} · {request.summary}"
    url = ctx.links.get(ref(Collection.REQUESTS, request.key)) or request.link
    return Link(text=label, url=url) if url else text(label)


def friction_text(known: Sequence[Friction], key: str | None) -> str:
    """How a page names a request's friction: ``Surprise launches (rank 1)``, an unknown
    key as such, or ``—`` for none."""
    if not key or not key.strip():
        return "—"
    found = frictions.friction_named(known, key)
    return frictions.label(found) if found else f"unknown friction {key.strip()!r}"


def by_friction(
    known: Sequence[Friction], requests: Sequence[Request], statuses: Sequence[RequestStatus]
) -> Block:
    """Requests counted per friction (ranked order) and status, then the ones naming an
    unknown friction and those naming none; rows with no request are left out."""
    groups: list[tuple[str, list[Request]]] = []
    for friction in frictions.ranked(known):
        mine = [r for r in requests if _friction_of(known, r) == friction.key]
        groups.append((frictions.label(friction), mine))
    unknown = [
        r for r in requests if r.friction and r.friction.strip() and not _friction_of(known, r)
    ]
    groups.append(("Unknown friction", unknown))
    groups.append(("No friction", [r for r in requests if not (r.friction or "").strip()]))
    rows: list[tuple[tuple[Inline, ...], ...]] = [
        (
            cell(name),
            *(cell(str(sum(1 for r in mine if r.status is s))) for s in statuses),
            cell(str(len(mine))),
        )
        for name, mine in groups
        if mine
    ]
    header = ("Friction", *(s.value.capitalize() for s in statuses), "Total")
    return table(header, rows)


def _friction_of(known: Sequence[Friction], request: Request) -> str | None:
    found = frictions.friction_named(known, request.friction or "")
    return found.key if found else None


def triage_page(ctx: RuleContext) -> GeneratedDocument:
    week = iso_week_key(ctx.today)
    monday = week_monday(ctx.today)
    words = date_words(ctx, monday)
    requests = sorted(ctx.snapshot.requests, key=lambda r: r.key)
    waiting = sorted(
        (r for r in requests if r.status is RequestStatus.NEW),
        key=lambda r: (r.received_on is None, r.received_on or date.min, r.key),
    )
    done = sorted(
        (
            r
            for r in requests
            if r.status is not RequestStatus.NEW
            and r.triaged_on is not None
            and monday <= r.triaged_on <= monday + timedelta(days=6)
        ),
        key=lambda r: (r.triaged_on or date.min, r.key),
    )
    late = sum(1 for r in waiting if (d := triage_due(ctx, r)) is not None and d <= ctx.today)
    summary = para(
        f"Requests to Product Ops as of {words.prose(ctx.today)}: "
        f"{counted(len(waiting), 'untriaged request')}, {late} past the "
        f"{ctx.settings.intake.triage_within_days}-day triage window; "
        f"{counted(len(done), 'request')} triaged this week."
    )
    children: list[Block] = [
        region(
            TRIAGE_REGION,
            summary,
            heading(2, "Untriaged, oldest first"),
            _waiting_table(ctx, words, waiting),
            heading(2, "Triaged this week"),
            _done_table(ctx, words, done),
            heading(2, "Requests by friction"),
            by_friction(ctx.snapshot.frictions, requests, STATUS_ORDER)
            if requests
            else para("No requests yet."),
        ),
        region(GUIDE_REGION, *_guide(ctx)),
        heading(2, "Notes from this week's triage"),
        bullets(""),
    ]
    title = f"Product Ops intake triage — {week} (week of {words.title(monday)})"
    return GeneratedDocument(
        key=f"intake-triage/{week}",
        kind=DocumentKind.INTAKE_TRIAGE,
        document=Document(title=title, children=tuple(children)),
    )


def _waiting_table(ctx: RuleContext, words: DateWords, waiting: list[Request]) -> Block:
    if not waiting:
        return para("None: every request has been triaged.")
    shown, left_out = capped(waiting, ctx.settings.output.list_limit)
    rows: list[tuple[tuple[Inline, ...], ...]] = []
    for request in shown:
        due = triage_due(ctx, request)
        age = "—"
        if request.received_on is not None:
            age = counted((ctx.today - request.received_on).days, "day")
        chip: str | StatusChip = words.cell(due)
        if due is not None and due <= ctx.today:
            chip = StatusChip(label=f"Overdue since {words.cell(due)}", tone=Tone.RED)
        rows.append(
            (
                cell(request_name(ctx, request)),
                cell(words.cell(request.received_on)),
                cell(age),
                cell(_person(ctx, request.requested_by)),
                cell(request.source or "—"),
                cell(chip),
            )
        )
    if left_out:
        rows.append(_more_row(left_out, 6))
    return table(("Request", "Received", "Age", "From", "Source", "Triage by"), rows)


def _person(ctx: RuleContext, key: str | None) -> str:
    """Who asked: a configured person by name, anyone else (a Slack handle) as written."""
    return ctx.snapshot.person_name(key) if key else "—"


def _done_table(ctx: RuleContext, words: DateWords, done: list[Request]) -> Block:
    if not done:
        return para("None yet this week.")
    shown, left_out = capped(done, ctx.settings.output.list_limit)
    rows: list[tuple[tuple[Inline, ...], ...]] = [
        (
            cell(request_name(ctx, r)),
            cell(r.status.value),
            cell(friction_text(ctx.snapshot.frictions, r.friction)),
            cell(words.cell(r.triaged_on)),
        )
        for r in shown
    ]
    if left_out:
        rows.append(_more_row(left_out, 4))
    return table(("Request", "Status", "Friction", "Triaged on"), rows)


def _more_row(left_out: int, columns: int) -> tuple[tuple[Inline, ...], ...]:
    """The last row of a capped table: how many more, and where they all are."""
    where = text(more(left_out) + "the requests collection", italic=True)
    return (cell(where), *(cell("") for _ in range(columns - 1)))


def _guide(ctx: RuleContext) -> tuple[Block, ...]:
    days = ctx.settings.intake.triage_within_days
    known = frictions.ranked(ctx.snapshot.frictions)
    listed: list[ListItem] = [item(f"{f.key}: {frictions.label(f)}") for f in known]
    against = (
        item(
            "Frictions to triage against (the friction field takes the key):",
            children=tuple(listed),
        )
        if listed
        else item("No frictions recorded yet: rank the top frictions in the frictions collection.")
    )
    return (
        heading(2, "How to triage"),
        bullets(
            "Weigh each new request against the current quarter's top frictions (pack "
            "section 1): work is prioritised by the friction it reduces.",
            "Set status to triaged (accepted), planned (in this quarter's plan) or declined "
            "(say why in notes), and triaged_on to the day.",
            "Triaged and planned requests name the friction they reduce; a declined one "
            "needs none.",
            f"A request still new {counted(days, 'day')} after it was received goes on Product "
            "Ops' action list.",
            against,
        ),
    )
