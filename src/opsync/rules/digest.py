"""R6 Monthly Insights Digest: the page Product Ops brings to the Monthly Insights Review.

One digest per review, keyed by the review's month (``insights-digest/2026-12``): the review
still ahead today, or held today. A review on a non-business day is held on the next business
day (as on the cadence calendar); that held day is the one shown and the one windows use.
The pack's definition of done is "top 5 themes with evidence; owner assigned; decision path
identified", and its ritual adds that patterns spanning several areas go on to the Biweekly
Roadmap Review.

Window: themes are built from the insights received since the previous review was held, up
to the day before this one is held (``[previous review, this review)``): the windows follow
one another, so each item is counted in one digest only, and the page stops changing once
its review is held. (An undecided High item received in the last days of a window escalates
at a later review, once old enough: see :mod:`opsync.rules.insights`.) Only fully
tagged items count towards themes; the rest are reported as still needing triage. Items with
no received date belong to no window. Escalated High items are listed whatever month they
arrived in: the pack escalates them *to* this review until someone decides.

Ranking: volume, then number of High, then Medium items, then theme name. Themes are grouped
in any letter case, with ``-``, ``_`` and spaces alike ("UX-friction", "ux friction"), and
shown by their name in the theme vocabulary, else their most used spelling in words ("UX
friction"; see :func:`opsync.rules.insights.display_name`); segments alike. A theme's owner
is the PM of the area most of its items are tagged with (ties: area key). The digest is
produced when the insights family is enabled for some area and the snapshot holds any
insight or insight-review action, so an organisation that does not collect insights gets no
empty page.

Actions (R9): the region ``insights-actions`` and the people's "Actions + owners" table
after it come from :mod:`opsync.rules.digest_actions`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from opsync.documents.model import (
    Block,
    Document,
    Inline,
    ListItem,
    bullets,
    cell,
    heading,
    item,
    para,
    region,
    table,
    text,
)
from opsync.domain.insight import Disposition, Insight, Severity
from opsync.domain.reading import spelling
from opsync.domain.snapshot import Snapshot
from opsync.rules.context import RuleContext
from opsync.rules.dates import DateWords, date_words
from opsync.rules.digest_actions import action_blocks, actions_skeleton
from opsync.rules.insights import (
    display_name,
    escalation_day,
    held_on,
    is_escalated,
    missing_tags,
    review_before,
    review_on_or_after,
    title,
)
from opsync.rules.output import DocumentKind, GeneratedDocument, RuleOutput
from opsync.rules.wording import counted, plural
from opsync.settings import RuleFamily

_SEVERITY_ORDER = (Severity.HIGH, Severity.MEDIUM, Severity.LOW)


@dataclass(frozen=True)
class Theme:
    """One theme of the window with the items tagged with it."""

    name: str
    items: tuple[Insight, ...]

    @property
    def volume(self) -> int:
        return len(self.items)

    def severity_count(self, severity: Severity) -> int:
        return sum(1 for i in self.items if i.severity is severity)

    @property
    def rank_key(self) -> tuple[int, int, int, str, str]:
        return (
            -self.volume,
            -self.severity_count(Severity.HIGH),
            -self.severity_count(Severity.MEDIUM),
            self.name.casefold(),
            self.name,
        )

    @property
    def areas(self) -> list[tuple[str, int]]:
        return _ranked(_tag(i.product_area) for i in self.items)


def evaluate(ctx: RuleContext, earlier: RuleOutput) -> RuleOutput:
    snapshot = ctx.snapshot
    if not (snapshot.insights or snapshot.insight_actions):
        return RuleOutput()
    if not ctx.enabled_anywhere(RuleFamily.INSIGHTS):
        return RuleOutput()
    return RuleOutput(documents=(digest(ctx),))


def digest(ctx: RuleContext) -> GeneratedDocument:
    settings = ctx.settings.insights
    review = review_on_or_after(ctx.today, settings, ctx.calendar)
    held = held_on(review, ctx.calendar)
    start = held_on(review_before(review, settings), ctx.calendar)
    in_scope = [
        i
        for i in sorted(ctx.snapshot.insights, key=lambda i: i.key)
        if ctx.enabled(RuleFamily.INSIGHTS, _tag(i.product_area) or None)
    ]
    window = [i for i in in_scope if i.received_on and start <= i.received_on < held]
    tagged = [i for i in window if not missing_tags(i)]
    themes = sorted(_themes(tagged, settings.themes), key=lambda t: t.rank_key)
    top, rest = themes[: settings.top_themes], themes[settings.top_themes :]
    escalated = sorted(
        (i for i in in_scope if is_escalated(i, ctx.today, settings, ctx.calendar)),
        key=lambda i: (
            escalation_day(i, settings, ctx.calendar) or date.min,
            i.received_on or date.min,
            i.key,
        ),
    )
    month = f"{review.year}-{review.month:02d}"
    words = date_words(ctx, held)
    summary = (
        f"For the Monthly Insights Review on {words.prose(held)}. Covers insights received "
        f"from {words.prose(start)} to the day before the review: "
        f"{counted(len(tagged), 'tagged insight')} in {counted(len(themes), 'theme')}."
    )
    if not tagged:
        summary = (
            f"For the Monthly Insights Review on {words.prose(held)}. No tagged insights were "
            f"received from {words.prose(start)} to the day before the review."
        )
    untriaged = len(window) - len(tagged)
    if untriaged:
        verbs = plural(untriaged, "needs triage and is", "need triage and are")
        summary += f" {counted(untriaged, 'more insight')} still {verbs} not counted."
    document = Document(
        title=f"Monthly Insights Digest — {words.month(review)}",
        children=(
            region("insights-summary", para(summary)),
            region("insights-themes", *_theme_blocks(top, rest, ctx)),
            region("insights-cross-area", *_cross_area_blocks(themes, ctx.snapshot)),
            region("insights-escalated", *_escalated_blocks(escalated, ctx, words)),
            region("insights-actions", *action_blocks(ctx, words)),
            *actions_skeleton(month),
        ),
    )
    return GeneratedDocument(
        key=f"insights-digest/{month}", kind=DocumentKind.INSIGHTS_DIGEST, document=document
    )


def _themes(items: list[Insight], vocabulary: Mapping[str, str]) -> list[Theme]:
    groups: dict[str, list[Insight]] = {}
    for insight in items:
        groups.setdefault(spelling(_tag(insight.theme)), []).append(insight)
    themes = []
    for members in groups.values():
        spellings = Counter(_tag(i.theme) for i in members)
        tag = min(spellings, key=lambda s: (-spellings[s], s))
        themes.append(Theme(name=display_name(tag, vocabulary), items=tuple(members)))
    return themes


def _theme_blocks(top: list[Theme], rest: list[Theme], ctx: RuleContext) -> list[Block]:
    if not top:
        return [heading(2, "Top themes"), para("No themes this month: no tagged insights.")]
    blocks: list[Block] = [heading(2, f"Top {counted(len(top), 'theme')}")]
    quotes, segments = ctx.settings.insights.quotes_per_theme, ctx.settings.insights.segments
    for rank, theme in enumerate(top, start=1):
        blocks.append(heading(3, f"{rank}. {theme.name}"))
        blocks.append(bullets(*_evidence(theme, ctx.snapshot, quotes, segments)))
    if rest:
        others = ", ".join(f"{t.name} ({t.volume})" for t in rest)
        blocks.append(para(f"Other themes this month: {others}."))
    return blocks


def _evidence(
    theme: Theme, snapshot: Snapshot, quotes: int, segments: Mapping[str, str]
) -> list[ListItem]:
    mix = " · ".join(
        f"{theme.severity_count(s)} {s.value.capitalize()}"
        for s in _SEVERITY_ORDER
        if theme.severity_count(s)
    )
    areas = theme.areas
    area_text = ", ".join(f"{_area_name(snapshot, a)} ({n})" for a, n in areas)
    lines = [
        item(f"Volume: {counted(theme.volume, 'insight')}"),
        item(f"Severity mix: {mix}"),
        item(f"Segments: {_counts(_segment(i, segments) for i in theme.items)}"),
        item(f"Evidence: {_counts(_tag(i.evidence_type) for i in theme.items)}"),
        item(f"Sources: {_counts(i.source.value for i in theme.items if i.source) or '—'}"),
    ]
    if len(areas) > 1:
        lines.append(
            item(
                f"Product areas: {area_text} — ",
                text(f"spans {len(areas)} areas, for the Roadmap Review", bold=True),
            )
        )
    else:
        lines.append(item(f"Product areas: {area_text}"))
    lines.append(item(f"Owner: {theme_owner(theme, snapshot)}"))
    lines.append(item(f"Decision path: {_decision_path(theme.items)}"))
    chosen = _quotes(theme.items, quotes, segments)
    if chosen:
        lines.append(item("Quotes:", children=tuple(chosen)))
    return lines


def theme_owner(theme: Theme, snapshot: Snapshot) -> str:
    known = [(a, n) for a, n in theme.areas if snapshot.area(a) is not None]
    if not known:
        return "unassigned (no configured area)"
    best = min(known, key=lambda an: (-an[1], an[0]))[0]
    area = snapshot.area(best)
    assert area is not None
    return f"{snapshot.person_name(area.pm)} ({area.name})"


def cross_area_themes(items: Iterable[Insight], vocabulary: Mapping[str, str]) -> list[Theme]:
    """The themes of ``items`` that span more than one product area, ranked as on the
    digest; only fully tagged items count (see :func:`opsync.rules.insights.missing_tags`).
    The pack sends these on to the Biweekly Roadmap Review."""
    tagged = [i for i in items if not missing_tags(i)]
    return [
        t for t in sorted(_themes(tagged, vocabulary), key=lambda t: t.rank_key) if len(t.areas) > 1
    ]


def _decision_path(items: Iterable[Insight]) -> str:
    counts = Counter(i.disposition for i in items)
    parts = [f"{d.value} {counts[d]}" for d in Disposition]
    parts.append(f"undecided {counts[None]}")
    return " · ".join(parts)


def _quotes(items: tuple[Insight, ...], limit: int, segments: Mapping[str, str]) -> list[ListItem]:
    """The most severe, then most recent quotes: the ones a review should hear first."""
    with_quote = [i for i in items if i.quote.strip()]
    with_quote.sort(key=lambda i: (i.key,))
    with_quote.sort(key=lambda i: i.received_on or date.min, reverse=True)
    with_quote.sort(key=lambda i: _SEVERITY_ORDER.index(i.severity) if i.severity else 3)
    return [
        item(
            text(f"“{' '.join(i.quote.split())}”", italic=True),
            f" — {_segment(i, segments)}, {i.source.value if i.source else _tag(i.evidence_type)}",
        )
        for i in with_quote[:limit]
    ]


def _cross_area_blocks(themes: list[Theme], snapshot: Snapshot) -> list[Block]:
    blocks: list[Block] = [heading(2, "Cross-area themes for the Roadmap Review")]
    spanning = [t for t in themes if len(t.areas) > 1]
    if not spanning:
        blocks.append(para("No theme this month spans more than one product area."))
        return blocks
    entries = [
        item(
            text(theme.name, bold=True),
            f": {', '.join(_area_name(snapshot, a) for a, _ in theme.areas)}"
            f" ({counted(theme.volume, 'insight')}); owner "
            f"{theme_owner(theme, snapshot)}",
        )
        for theme in spanning
    ]
    blocks.append(bullets(*entries))
    return blocks


def _escalated_blocks(escalated: list[Insight], ctx: RuleContext, words: DateWords) -> list[Block]:
    blocks: list[Block] = [heading(2, "Escalated High-severity items")]
    if not escalated:
        blocks.append(para("No High-severity item is past its escalation day undecided."))
        return blocks
    settings = ctx.settings.insights
    snapshot = ctx.snapshot
    rows: list[tuple[tuple[Inline, ...], ...]] = []
    for insight in escalated:
        area = snapshot.area(_tag(insight.product_area) or None)
        day = escalation_day(insight, settings, ctx.calendar)
        rows.append(
            (
                cell(title(insight)),
                cell(display_name(_tag(insight.theme), settings.themes) or "—"),
                cell(_area_name(snapshot, _tag(insight.product_area)) or "—"),
                cell(snapshot.person_name(area.pm) if area else "unassigned"),
                cell(words.cell(insight.received_on)),
                cell(words.cell(day)),
            )
        )
    blocks.append(
        table(("Insight", "Theme", "Area", "Routed to", "Received", "Escalated on"), rows)
    )
    blocks.append(para("Each needs a disposition from its PM at this review."))
    return blocks


def _ranked(values: Iterable[str]) -> list[tuple[str, int]]:
    counts = Counter(v for v in values if v)
    return sorted(counts.items(), key=lambda vn: (-vn[1], vn[0].casefold(), vn[0]))


def _counts(values: Iterable[str]) -> str:
    return ", ".join(f"{v} ({n})" for v, n in _ranked(values))


def _segment(insight: Insight, vocabulary: Mapping[str, str]) -> str:
    return display_name(_tag(insight.segment), vocabulary)


def _area_name(snapshot: Snapshot, key: str) -> str:
    area = snapshot.area(key)
    return area.name if area else key


def _tag(value: object) -> str:
    return "" if value is None else " ".join(str(value).split())
