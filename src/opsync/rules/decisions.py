"""R5 Decision log: complete entries, and reviews that do not silently lapse.

The pack's Decision Log is "continuous; reviewed biweekly", and its definition of done asks
every significant decision for context, options, rationale, owner and a review date. A
review date is a promise to look again; once it passes unreviewed the entry goes on the list
for the next Biweekly Roadmap Review, which is where the pack ratifies decisions.

Schedule of that review: ``settings.roadmap.first_review`` is any one review date and
reviews repeat every ``interval_days`` both ways from it. As on the cadence calendar, a
review whose day is not a business day is held on the next business day. The list is for the
first review held on or after today (a review held today is still "next" until the day ends);
it is keyed by the review's scheduled date (``decision-review/2026-12-10``), the same slot
the calendar event is named by, and shows the day it is held. With no schedule configured the
list is keyed by today's ISO week (``decision-review/2026-W49``), one list per week.

"Overdue" is ``review_date < today`` with no ``reviewed_on`` on or after the review date: a
review recorded before the review date was an earlier look, not the one that was promised.
Days overdue are counted to today, the same day the finding is raised on.
"""

from __future__ import annotations

from datetime import date, timedelta

from opsync.documents.model import Document, Inline, Link, Text, cell, para, region, table, text
from opsync.domain.base import Collection, ref
from opsync.domain.decision import Decision
from opsync.domain.findings import Finding
from opsync.rules.context import RuleContext
from opsync.rules.dates import date_words
from opsync.rules.output import DerivedValue, DocumentKind, GeneratedDocument, RuleOutput
from opsync.rules.wording import counted, plural
from opsync.settings import RuleFamily

#: The Decision Log template's columns, as (model property, what people call it).
REQUIRED_FIELDS: tuple[tuple[str, str], ...] = (
    ("decided_on", "date"),
    ("decision", "decision"),
    ("context", "context"),
    ("options", "options considered"),
    ("rationale", "rationale"),
    ("owner", "owner"),
    ("review_date", "review date"),
)

REVIEW_LIST_REGION = "decision-review-list"


def evaluate(ctx: RuleContext, earlier: RuleOutput) -> RuleOutput:
    """Findings and ``review_due`` for every decision in scope, plus the review list."""
    findings: list[Finding] = []
    derived: dict[str, dict[str, DerivedValue]] = {}
    due: list[Decision] = []
    for decision in sorted(ctx.snapshot.decisions, key=lambda d: d.key):
        if not ctx.enabled(RuleFamily.DECISIONS, _blank_to_none(decision.product_area)):
            continue
        record = ref(Collection.DECISIONS, decision.key)
        findings.extend(_missing_fields(decision, record))
        overdue = is_review_overdue(decision, ctx.today)
        derived[record] = {"review_due": overdue}
        if overdue:
            due.append(decision)
            findings.append(_overdue_finding(decision, record, ctx))
    documents: tuple[GeneratedDocument, ...] = ()
    if due:
        documents = (review_list(ctx, due),)
    return RuleOutput(findings=tuple(findings), derived=derived, documents=documents)


def is_review_overdue(decision: Decision, today: date) -> bool:
    if decision.review_date is None or decision.review_date >= today:
        return False
    return decision.reviewed_on is None or decision.reviewed_on < decision.review_date


def next_review_day(ctx: RuleContext) -> date | None:
    """The scheduled day of the first Biweekly Roadmap Review held on or after today."""
    first = ctx.settings.roadmap.first_review
    if first is None:
        return None
    interval = ctx.settings.roadmap.interval_days
    nominal = first + timedelta(days=((ctx.today - first).days // interval) * interval)
    while _held_on(ctx, nominal) < ctx.today:
        nominal += timedelta(days=interval)
    return nominal


def review_list_key(ctx: RuleContext) -> str:
    review_day = next_review_day(ctx)
    if review_day is not None:
        return f"decision-review/{review_day.isoformat()}"
    year, week, _ = ctx.today.isocalendar()
    return f"decision-review/{year}-W{week:02d}"


def review_list(ctx: RuleContext, due: list[Decision]) -> GeneratedDocument:
    """The list of lapsed reviews for the next biweekly review, oldest review date first.

    Each decision is shown whole (the agenda is where people read what they are deciding
    again) and linked to its log entry where the target gives one a web address."""
    review_day = next_review_day(ctx)
    key = review_list_key(ctx)
    if review_day is not None:
        held = _held_on(ctx, review_day)
        words = date_words(ctx, held)
        title = f"Decision Review — {words.title(held)}"
        lead = f"for the Biweekly Roadmap Review on {words.prose(held)}"
    else:
        words = date_words(ctx)
        title = f"Decision Review — {key.removeprefix('decision-review/')}"
        lead = "for this week's Biweekly Roadmap Review"
    ordered = sorted(due, key=lambda d: (d.review_date or date.min, d.key))
    rows: list[tuple[tuple[Inline, ...], ...]] = [
        (
            cell(words.cell(d.decided_on)),
            cell(decision_link(ctx, d)),
            cell(ctx.snapshot.person_name(_blank_to_none(d.owner))),
            cell(words.cell(d.review_date)),
            cell(str(_days_overdue(d, ctx.today))),
        )
        for d in ordered
    ]
    count = len(ordered)
    document = Document(
        title=title,
        children=(
            region(
                REVIEW_LIST_REGION,
                para(
                    f"{counted(count, 'decision')} {plural(count, 'is', 'are')} past "
                    f"{plural(count, 'its', 'their')} review date without a review, {lead}. ",
                    "Record the outcome and the date reviewed in the decision log; ",
                    "set a new review date if the decision stands.",
                ),
                table(("Date", "Decision", "Owner", "Review date", "Days overdue"), rows),
                para(text(f"As of {words.prose(ctx.today)}.", italic=True)),
            ),
        ),
    )
    return GeneratedDocument(key=key, kind=DocumentKind.DECISION_REVIEW, document=document)


def decision_link(ctx: RuleContext, decision: Decision) -> Text | Link:
    """The decision's full text, linked to its log entry when the target gives a URL."""
    url = ctx.links.get(ref(Collection.DECISIONS, decision.key))
    name = _title(decision)
    return Link(text=name, url=url) if url else text(name)


def _missing_fields(decision: Decision, record: str) -> list[Finding]:
    missing = [(name, label) for name, label in REQUIRED_FIELDS if _is_missing(decision, name)]
    if not missing:
        return []
    to_fill = ", ".join(label for _, label in missing)
    return [
        Finding(
            code="decisions.field-missing",
            record=record,
            field=name,
            message=(
                f"Decision “{_title(decision)}” has no {label}. "
                f"Its owner should fill in the decision log entry (missing: {to_fill})."
            ),
        )
        for name, label in missing
    ]


def _overdue_finding(decision: Decision, record: str, ctx: RuleContext) -> Finding:
    days = _days_overdue(decision, ctx.today)
    owner = ctx.snapshot.person_name(_blank_to_none(decision.owner))
    review = date_words(ctx).prose(decision.review_date) if decision.review_date else "—"
    return Finding(
        code="decisions.review-overdue",
        record=record,
        field="review_date",
        due=decision.review_date,
        message=(
            f"Decision “{_title(decision)}” was due for review on "
            f"{review} ({counted(days, 'day')} ago) and has not been reviewed. "
            f"It is on the list for the next biweekly review; {owner} should bring it and "
            "record the date reviewed."
        ),
    )


def _held_on(ctx: RuleContext, scheduled: date) -> date:
    """A review day that is not a business day moves to the next business day."""
    return ctx.calendar.step_forward(scheduled - timedelta(days=1), 1)


def is_complete(decision: Decision) -> bool:
    """Whether the entry has every field the log's template asks for (R5)."""
    return not any(_is_missing(decision, name) for name, _ in REQUIRED_FIELDS)


def _is_missing(decision: Decision, name: str) -> bool:
    value = getattr(decision, name)
    return value is None or (isinstance(value, str) and not value.strip())


def _days_overdue(decision: Decision, today: date) -> int:
    return (today - decision.review_date).days if decision.review_date else 0


def _title(decision: Decision) -> str:
    """The decision text, whole, stands in for a title; the key when it is empty."""
    return " ".join(decision.decision.split()) or decision.key


def _blank_to_none(value: str | None) -> str | None:
    return value if value and value.strip() else None
