"""R6 Insights pipeline: intake, routing, disposition and escalation of each item.

The pack's pipeline (section 5) is intake → triage → routing → the PM's disposition, with
unresolved High-severity items escalating to the Monthly Insights Review. Dispositions are
the PM's call; opsync only derives where an item stands and who holds it.

Derived fields on each insight:

- ``triage_status``: ``needs triage`` (a taxonomy tag is missing) · ``unrouted`` (tagged,
  but its product area has no PM in the org config) · ``routed`` (waiting on the PM's
  disposition) · ``decided`` (the PM recorded a disposition).
- ``routed_to`` / ``routed_on``: the PM of the item's area, and when it was routed. A
  snapshot cannot tell when the item became fully tagged, so ``routed_on`` is the day it was
  received, and empty when that is unknown: a date that moved with every run would rewrite
  the record daily and tell the PM nothing true.
- ``escalated``: a High item with no disposition by its escalation day (below).

Escalation day: ``received_on + escalate_after_days`` when that setting is set; otherwise the
day of the first Monthly Insights Review held at least ``escalate_min_age_days`` (default 7)
after the day received, and strictly after it: an item received the day before a review
waits for the next one, so its PM had time to decide (RULES.md R6 leaves the "next review"
open; a review cannot ask for a decision the PM has had a day for). The review is
the Nth ISO weekday of the month from settings; like the cadence calendar, a review whose day
is not a business day is held on the next business day, and that is the day that counts. A
High item with no received date cannot be placed on that timeline and is never escalated.

Vocabulary: themes and segments are free tags ("UX-friction"); pages show each by its name in
``settings.insights.themes`` / ``segments`` (tags match in any letter case, with ``-``, ``_``
and spaces alike), or by the tag in words when none is configured ("UX friction"). With a
vocabulary configured, a tag outside it is ``insights.tag-unknown``: a typo would otherwise
split a theme in two on the digest.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache

from opsync.calendar import BusinessCalendar
from opsync.domain.base import Collection, ref
from opsync.domain.findings import Finding, Level
from opsync.domain.insight import Disposition, Insight, Severity
from opsync.domain.reading import spelling
from opsync.rules.context import RuleContext
from opsync.rules.output import DerivedValue, RuleOutput
from opsync.settings import InsightSettings, RuleFamily

#: The pack's minimal taxonomy, as (model property, what people call the tag).
TAGS: tuple[tuple[str, str], ...] = (
    ("theme", "theme"),
    ("segment", "segment"),
    ("severity", "severity"),
    ("evidence_type", "evidence type"),
    ("product_area", "product area"),
)

NEEDS_TRIAGE = "needs triage"
UNROUTED = "unrouted"
ROUTED = "routed"
DECIDED = "decided"
_TITLE_MAX = 80


def evaluate(ctx: RuleContext, earlier: RuleOutput) -> RuleOutput:
    """Triage status, routing and escalation for every insight whose area is in rollout."""
    findings: list[Finding] = []
    derived: dict[str, dict[str, DerivedValue]] = {}
    # Triage, routing and rationale are due by the next review, where the digest counts the
    # item (RULES.md R10: every open finding has a due date).
    review = held_on(
        review_on_or_after(ctx.today, ctx.settings.insights, ctx.calendar), ctx.calendar
    )
    for insight in sorted(ctx.snapshot.insights, key=lambda i: i.key):
        area_key = _clean(insight.product_area)
        if not ctx.enabled(RuleFamily.INSIGHTS, area_key):
            continue
        record = ref(Collection.INSIGHTS, insight.key)
        missing = missing_tags(insight)
        area = ctx.snapshot.area(area_key)
        routed = not missing and area is not None
        found: list[Finding] = []
        if missing:
            found.append(_needs_triage(insight, record, missing))
        if area_key is not None and area is None:
            found.append(_area_unknown(insight, record, area_key))
        found.extend(_unknown_tags(insight, record, ctx.settings.insights))
        if insight.disposition is Disposition.WONT_DO and not insight.disposition_rationale.strip():
            found.append(_wont_do_without_rationale(insight, record, ctx))
        findings.extend(f.model_copy(update={"due": review}) for f in found)
        escalated = is_escalated(insight, ctx.today, ctx.settings.insights, ctx.calendar)
        if escalated:
            findings.append(_escalated(insight, record, ctx))
        derived[record] = {
            "triage_status": _status(insight, missing, area is not None),
            "routed_to": area.pm if routed and area is not None else None,
            "routed_on": insight.received_on if routed else None,
            "escalated": escalated,
        }
    return RuleOutput(findings=tuple(findings), derived=derived)


def missing_tags(insight: Insight) -> list[str]:
    """Labels of the taxonomy tags the item lacks (blank text counts as missing)."""
    return [label for name, label in TAGS if _clean(getattr(insight, name)) is None]


def display_name(tag: str, vocabulary: Mapping[str, str]) -> str:
    """How pages show a theme or segment tag: its name in the vocabulary, else the tag in
    words (hyphens and underscores as spaces, first letter capitalised, acronyms kept)."""
    folded = spelling(tag)
    for known, name in vocabulary.items():
        if spelling(known) == folded:
            return name
    words = " ".join(tag.replace("-", " ").replace("_", " ").split())
    return words[:1].upper() + words[1:]


def _unknown_tags(insight: Insight, record: str, settings: InsightSettings) -> list[Finding]:
    found = []
    for field, vocabulary in (("theme", settings.themes), ("segment", settings.segments)):
        tag = _clean(getattr(insight, field))
        if not vocabulary or tag is None:
            continue
        if spelling(tag) in {spelling(known) for known in vocabulary}:
            continue
        listed = ", ".join(vocabulary)
        found.append(
            Finding(
                code="insights.tag-unknown",
                record=record,
                field=field,
                message=(
                    f"Insight “{title(insight)}” is tagged with {field} “{tag}”, which is not "
                    f"in the {field} vocabulary ({listed}). Product Ops should retag it, or "
                    f"add the {field} to [rules.insights.{field}s] in the config."
                ),
            )
        )
    return found


def monthly_review(year: int, month: int, settings: InsightSettings) -> date:
    """The nominal Monthly Insights Review of a month: its Nth configured ISO weekday.

    The nominal day names the review (the digest key, the calendar event's UID); see
    :func:`held_on` for the day it happens.
    """
    first = date(year, month, 1)
    offset = (settings.review_weekday - first.isoweekday()) % 7
    return first + timedelta(days=offset + 7 * (settings.review_week_of_month - 1))


def held_on(nominal: date, calendar: BusinessCalendar) -> date:
    """The review's nominal day when it is a business day, else the next business day."""
    return calendar.step_forward(nominal - timedelta(days=1), 1)


def review_after(day: date, settings: InsightSettings, calendar: BusinessCalendar) -> date:
    """The nominal day of the first Monthly Insights Review held strictly after ``day``."""
    year, month = _add_months(day.year, day.month, -1)
    while True:
        nominal = monthly_review(year, month, settings)
        if held_on(nominal, calendar) > day:
            return nominal
        year, month = _add_months(year, month, 1)


def review_on_or_after(day: date, settings: InsightSettings, calendar: BusinessCalendar) -> date:
    """The review still ahead on ``day``, or held on it: the one the digest is for."""
    return review_after(day - timedelta(days=1), settings, calendar)


def review_before(review: date, settings: InsightSettings) -> date:
    """The nominal Monthly Insights Review of the month before ``review``'s month."""
    return review_months_on(review, -1, settings)


def review_months_on(review: date, months: int, settings: InsightSettings) -> date:
    """The nominal Monthly Insights Review ``months`` months after ``review``'s month (before
    it for a negative count): reviews are monthly, so the Nth review after this one."""
    year, month = _add_months(review.year, review.month, months)
    return monthly_review(year, month, settings)


def escalation_day(
    insight: Insight, settings: InsightSettings, calendar: BusinessCalendar
) -> date | None:
    """The day an undecided High item escalates, or None when it cannot be placed."""
    if insight.received_on is None:
        return None
    if settings.escalate_after_days is not None:
        return insight.received_on + timedelta(days=settings.escalate_after_days)
    # held strictly after the day before the item is old enough, and after the day received
    old_enough = insight.received_on + timedelta(days=max(settings.escalate_min_age_days - 1, 0))
    return _held_review_after(
        old_enough, settings.review_weekday, settings.review_week_of_month, calendar
    )


@lru_cache(maxsize=4096)
def _held_review_after(day: date, weekday: int, week: int, calendar: BusinessCalendar) -> date:
    """Memoised per day: tens of thousands of insights arrive on a few hundred days, and
    finding the review steps over months and business days. Keyed by the review's schedule,
    not the settings, which hold the (unhashable) vocabularies."""
    schedule = InsightSettings(review_weekday=weekday, review_week_of_month=week)
    return held_on(review_after(day, schedule, calendar), calendar)


def is_escalated(
    insight: Insight, today: date, settings: InsightSettings, calendar: BusinessCalendar
) -> bool:
    if insight.severity is not Severity.HIGH or insight.disposition is not None:
        return False
    day = escalation_day(insight, settings, calendar)
    return day is not None and today >= day


def title(insight: Insight) -> str:
    """The item's summary, shortened, stands in for a title; the key when it is empty."""
    words = " ".join(insight.summary.split())
    if not words:
        return insight.key
    return words if len(words) <= _TITLE_MAX else words[: _TITLE_MAX - 1].rstrip() + "…"


def _status(insight: Insight, missing: list[str], area_known: bool) -> str:
    if missing:
        return NEEDS_TRIAGE
    if not area_known:
        return UNROUTED
    return DECIDED if insight.disposition is not None else ROUTED


def _needs_triage(insight: Insight, record: str, missing: list[str]) -> Finding:
    names = dict(TAGS)
    fields = [name for name, label in names.items() if label in missing]
    return Finding(
        code="insights.needs-triage",
        record=record,
        field=fields[0] if len(fields) == 1 else None,
        message=(
            f"Insight “{title(insight)}” needs triage: Product Ops should tag its "
            f"{', '.join(missing)} so it can be routed to the area's PM."
        ),
    )


def _area_unknown(insight: Insight, record: str, area_key: str) -> Finding:
    return Finding(
        code="insights.area-unknown",
        record=record,
        field="product_area",
        message=(
            f"Insight “{title(insight)}” is tagged with product area “{area_key}”, which has "
            "no PM in the org config. Retag it with a configured area, or add the area and "
            "its PM to the config, so it can be routed."
        ),
    )


def _wont_do_without_rationale(insight: Insight, record: str, ctx: RuleContext) -> Finding:
    area = ctx.snapshot.area(_clean(insight.product_area))
    who = ctx.snapshot.person_name(area.pm) if area else "The PM"
    return Finding(
        code="insights.wont-do-without-rationale",
        record=record,
        field="disposition_rationale",
        message=(
            f"Insight “{title(insight)}” is marked won't do without a rationale. "
            f"{who} should record why, so the people who raised it get an answer."
        ),
    )


def _escalated(insight: Insight, record: str, ctx: RuleContext) -> Finding:
    settings = ctx.settings.insights
    day = escalation_day(insight, settings, ctx.calendar)
    area = ctx.snapshot.area(_clean(insight.product_area))
    who = ctx.snapshot.person_name(area.pm) if area else "The area's PM"
    due = day.isoformat() if day else "—"
    received = insight.received_on.isoformat() if insight.received_on else "—"
    if settings.escalate_after_days is not None:
        since = (
            f"{settings.escalate_after_days} days after it was received on {received} "
            f"(due {due}), and is escalated to the Monthly Insights Review"
        )
    else:
        since = (
            f"by the Monthly Insights Review on {due}, the first held at least "
            f"{settings.escalate_min_age_days} days after it was received on {received}, "
            "and is escalated to that review"
        )
    return Finding(
        code="insights.escalated",
        record=record,
        field="disposition",
        level=Level.ERROR,
        due=day,
        message=(
            f"High-severity insight “{title(insight)}” has no disposition {since}. {who} "
            "should record backlog, needs research, already addressed or won't do."
        ),
    )


def _clean(value: object) -> str | None:
    """A tag's text, or None when it is unset or blank (enums pass through as their value)."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1
