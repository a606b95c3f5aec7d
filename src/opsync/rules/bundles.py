"""Enablement bundle skeletons (pack section 4 template) and how complete each bundle is.

Every Tier 2/3 release gets a page ``bundle/<release key>`` laid out as the pack's "Launch
Enablement Bundle (Template)": lite (six sections, RULES.md R1) for Tier 2, all nine for
Tier 3. The facts opsync knows (tier, target launch date, PM owner, Eng lead, status, each
step's deadline and what happened to it) live in the owned region ``bundle.header``, as two
compact tables, and are kept current; the section headings and the template's placeholder
lines are written outside any region, because they are the skeleton people overwrite with
the bundle prose, which opsync must never touch. The "Owner + escalation" section starts
with the PM's and Eng lead's names instead of "PM: [Name]": written once, at creation, it is
the team's afterwards like every other section.

A section counts as complete when it holds text beyond the template's placeholder lines. The
comparison ignores list markers, Markdown escapes, case and the placeholders' labels, so a
section read back from any target ("- Customer segments:" in Markdown, a bare bullet in
Notion) is judged the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache, partial

from opsync.calendar import BusinessCalendar
from opsync.documents.model import (
    Block,
    BulletList,
    Document,
    Inline,
    ListItem,
    StatusChip,
    bullets,
    cell,
    heading,
    para,
    region,
    table,
)
from opsync.domain import (
    FULL_SECTIONS,
    LITE_SECTIONS,
    BundleKind,
    BundleState,
    Collection,
    EnablementBundle,
    Finding,
    Release,
    Section,
    Snapshot,
    ref,
)
from opsync.rules.context import RuleContext
from opsync.rules.dates import DateWords
from opsync.rules.enablement import (
    STATUS_TONE,
    Step,
    bundle_stage,
    deadlines,
    enablement_status,
    handoff_bd,
    record_text,
    steps,
)
from opsync.rules.output import DerivedValue, DocumentKind, GeneratedDocument, RuleOutput
from opsync.rules.tiers import pm_name, requirements, tier_label
from opsync.settings import DateStyle, EnablementSettings, RuleFamily

HEADER_REGION = "bundle.header"
#: Each step's row on the page, worded as the pack's workflow says it.
STEP_ROWS: dict[Step, str] = {
    Step.HANDOFF: "Bundle drafted and handed to Product Ops",
    Step.PUBLISH: "Bundle published to stakeholders",
    Step.SUPPORT: "Support readiness confirmed",
    Step.SALES: "Sales readiness confirmed",
    Step.GO_NO_GO: "Go/no-go recorded",
    Step.MEETING: "Launch Readiness Check meeting held",
    Step.TRAINING: "Training session for Support/Sales held",
}


@dataclass(frozen=True)
class SectionTemplate:
    """One section of the pack's template: its heading and the placeholder lines under it."""

    heading: str
    lines: tuple[str, ...]
    """Placeholder text without list markers."""
    style: str = "bullets"
    """``paragraph``, ``bullets`` or ``numbered``."""


TEMPLATES: dict[Section, SectionTemplate] = {
    Section.WHAT_CHANGED: SectionTemplate(
        "What changed (1 paragraph)",
        ("[Plain-language summary of the change and why it matters.]",),
        "paragraph",
    ),
    Section.WHO_IMPACTED: SectionTemplate(
        "Who's impacted (eligibility/segments)", ("Customer segments:", "Internal teams:")
    ),
    # The template's "1. 2. 3." is three empty user steps.
    Section.HOW_IT_WORKS: SectionTemplate("How it works (user steps)", ("", "", ""), "numbered"),
    Section.FAQS: SectionTemplate("FAQs + edge cases", ("Q: A:",)),
    Section.SUPPORT_MACROS: SectionTemplate(
        "Support macros / troubleshooting", ("Scenario: Resolution:",)
    ),
    Section.SALES_TALK_TRACK: SectionTemplate(
        "Sales talk track (if relevant)", ("Positioning:", "Key objection handling:")
    ),
    Section.MONITORING: SectionTemplate(
        "Monitoring + guardrails",
        ("Key metrics to watch:", "Alert thresholds:", "Dashboard link:"),
    ),
    Section.ROLLBACK: SectionTemplate(
        "Rollback / mitigation",
        ("Rollback procedure:", "Rollback owner:", "Decision criteria for rollback:"),
    ),
    Section.OWNER_ESCALATION: SectionTemplate(
        "Owner + escalation", ("PM: [Name]", "Eng: [Name]", "Escalation: [Name/channel]")
    ),
}

_MARKER = re.compile(r"^(?:[-*+•#>]+|\d+[.)])\s*")
_ESCAPE = re.compile(r"\\(.)")
_LABEL_BREAK = re.compile(r"(?<=:)\s+")


def sections_for(kind: BundleKind) -> tuple[Section, ...]:
    return LITE_SECTIONS if kind is BundleKind.LITE else FULL_SECTIONS


def placeholder_lines(section: Section) -> tuple[str, ...]:
    """The template's lines under ``section`` as Markdown shows them (``- Internal teams:``)."""
    template = TEMPLATES[section]
    if template.style == "paragraph":
        return template.lines
    if template.style == "numbered":
        return tuple(f"{n}. {line}".rstrip() for n, line in enumerate(template.lines, start=1))
    return tuple(f"- {line}".rstrip() for line in template.lines)


def _normalise(line: str) -> str:
    text = _ESCAPE.sub(r"\1", line).strip()
    while (stripped := _MARKER.sub("", text, count=1)) != text:
        text = stripped.strip()
    return " ".join(text.split()).casefold()


@cache
def _template_fragments(section: Section) -> tuple[str, ...]:
    """The section's heading and placeholder words, longest first."""
    template = TEMPLATES[section]
    fragments = {_normalise(template.heading), _normalise(section.value)}
    for line in placeholder_lines(section):
        fragments.update(_LABEL_BREAK.split(_normalise(line)))
    fragments.discard("")
    return tuple(sorted(fragments, key=len, reverse=True))


@lru_cache(maxsize=4096)
def section_complete(section: Section, text: str) -> bool:
    """Whether ``text`` (what is under the section's heading) says more than the template.

    Memoised: most bundles of a large organisation still hold the template's very text."""
    remainder = " ".join(_normalise(line) for line in text.splitlines())
    for fragment in _template_fragments(section):
        remainder = remainder.replace(fragment, " ")
    return re.search(r"\w", remainder) is not None


def bundle_for(snapshot: Snapshot, release_key: str) -> EnablementBundle | None:
    return next((b for b in snapshot.bundles if b.release_key == release_key), None)


def bundles_by_release(snapshot: Snapshot) -> dict[str, EnablementBundle]:
    """:func:`bundle_for` of every release at once (a release's first bundle wins), so that
    a pass over all releases does not scan all bundles for each."""
    index: dict[str, EnablementBundle] = {}
    for bundle in snapshot.bundles:
        index.setdefault(bundle.release_key, bundle)
    return index


def incomplete_sections(release: Release, bundle: EnablementBundle) -> tuple[Section, ...]:
    """Sections the release's tier requires that the bundle has not filled in yet."""
    needs = requirements(release.tier)
    if needs is None or needs.bundle is None:
        return ()
    return tuple(
        s for s in sections_for(needs.bundle) if not section_complete(s, bundle.sections.get(s, ""))
    )


def sections_complete_label(release: Release, bundle: EnablementBundle | None) -> str | None:
    """``4/6``: complete sections out of those the tier requires; None without a bundle."""
    needs = requirements(release.tier)
    if bundle is None or needs is None or needs.bundle is None:
        return None
    total = len(sections_for(needs.bundle))
    return f"{total - len(incomplete_sections(release, bundle))}/{total}"


@cache
def _section_blocks(section: Section, lines: tuple[str, ...] | None = None) -> tuple[Block, ...]:
    """One section of the skeleton (``lines`` instead of the template's placeholders); its
    nodes are immutable, so every page shares them."""
    template = TEMPLATES[section]
    title = heading(3, template.heading)
    lines = template.lines if lines is None else lines
    if template.style == "paragraph":
        return (title, *(para(line) for line in lines))
    if template.style == "numbered":
        steps = tuple(ListItem(inlines=()) for _ in lines)
        return (title, BulletList(items=steps, ordered=True))
    return (title, bullets(*lines))


def owner_lines(release: Release, snapshot: Snapshot) -> tuple[str, ...]:
    """The "Owner + escalation" section as opsync can fill it in: the PM and the Eng lead
    (the release's, else its area's); the escalation path is the team's to write."""
    eng = eng_lead(release, snapshot)
    _, eng_line, escalation = TEMPLATES[Section.OWNER_ESCALATION].lines
    return (
        f"PM: {pm_name(snapshot, release)}",
        f"Eng: {snapshot.person_name(eng)}" if eng else eng_line,
        escalation,
    )


def eng_lead(release: Release, snapshot: Snapshot) -> str | None:
    area = snapshot.area(release.product_area)
    return release.eng_lead or (area.eng_lead if area else None)


def _header(
    release: Release,
    snapshot: Snapshot,
    today: date,
    calendar: BusinessCalendar,
    settings: EnablementSettings,
    style: DateStyle,
) -> tuple[Block, ...]:
    """The facts opsync keeps current, as two compact tables: what the release is, then each
    step's deadline beside what happened to it. Dates are anchored on the launch, so the
    year appears only for a deadline in the year before it."""
    launch_day = release.launch_date
    words = DateWords(style, launch_day or today)
    tier = tier_label(release.tier) or "not set"
    eng = eng_lead(release, snapshot)
    status = enablement_status(release, today, calendar, settings)
    facts: list[tuple[str, str | StatusChip]] = [
        ("Release tier", tier),
        ("Target launch date", words.full(launch_day) if launch_day else "not set"),
        ("PM owner", pm_name(snapshot, release)),
        ("Eng lead", snapshot.person_name(eng) if eng else "not set"),
    ]
    if status is not None:
        facts.append(
            ("Enablement status", StatusChip(label=status.value, tone=STATUS_TONE[status]))
        )
    blocks: list[Block] = [
        table(tuple(label for label, _ in facts), [tuple(cell(value) for _, value in facts)])
    ]
    due = deadlines(release, calendar, settings)
    needs = requirements(release.tier)
    if due is None or needs is None or release.tier is None:
        blocks.append(para("Deadlines appear here once the release has a target launch date."))
        return tuple(blocks)
    # the readiness steps are all due "before L", that is by L - 1 BD
    lead = {Step.HANDOFF: handoff_bd(release.tier, settings), Step.PUBLISH: settings.publish_bd}
    rows: list[tuple[tuple[Inline, ...], ...]] = [
        (
            cell(STEP_ROWS[check.step]),
            cell(f"{words.cell(check.due)} (L - {lead.get(check.step, 1)} BD)"),
            cell(record_text(check, today, calendar, words.cell) or "—"),
        )
        for check in steps(release, calendar, settings)
    ]
    blocks.append(table(("Step", "Deadline", "Done"), rows))
    return tuple(blocks)


def bundle_document(
    kind: BundleKind,
    release: Release,
    snapshot: Snapshot,
    today: date,
    calendar: BusinessCalendar,
    settings: EnablementSettings,
    style: DateStyle = DateStyle.LONG,
) -> Document:
    """The bundle page (``kind``: the bundle the release's tier needs).

    The skeleton outside the header is written once, when the page is created: its owner
    section starts with the names opsync knows and is the team's from then on."""
    skeleton = _skeleton(kind, owner_lines(release, snapshot))
    facts = _header(release, snapshot, today, calendar, settings, style)
    return Document(
        title=f"Launch Enablement Bundle — {release.title}",
        children=(region(HEADER_REGION, *facts), *skeleton),
    )


@cache
def _skeleton(kind: BundleKind, owner: tuple[str, ...] | None = None) -> tuple[Block, ...]:
    return tuple(
        b
        for s in sections_for(kind)
        for b in _section_blocks(s, owner if s is Section.OWNER_ESCALATION else None)
    )


def evaluate(ctx: RuleContext, earlier: RuleOutput) -> RuleOutput:
    """Generate each Tier 2/3 bundle page and measure how much of each bundle is written.

    A skeleton is created only for a release that has not launched yet (a page for a past
    launch helps nobody; R2 reports it as launched without bundle); an existing bundle page
    keeps its owned header up to date. A bundle page about to be created counts as the
    empty skeleton it will be, so that the run that creates it and the next run agree.
    """
    settings = ctx.settings.enablement
    documents: list[GeneratedDocument] = []
    derived: dict[str, dict[str, DerivedValue]] = {}
    findings: list[Finding] = []
    bundles = bundles_by_release(ctx.snapshot)
    for release in ctx.snapshot.releases:
        if not ctx.enabled(RuleFamily.ENABLEMENT, release.product_area):
            continue
        record = ref(Collection.RELEASES, release.key)
        bundle = bundles.get(release.key)
        needs = requirements(release.tier)
        kind = needs.bundle if needs is not None else None  # None: the tier needs no bundle
        paged = kind is not None and (bundle is not None or not release.has_launched(ctx.today))
        if paged and bundle is None and kind is not None:
            owner = "\n".join(owner_lines(release, ctx.snapshot))
            bundle = EnablementBundle(
                key=release.key,
                release_key=release.key,
                kind=kind,
                sections={Section.OWNER_ESCALATION: owner},
            )
        derived[record] = {"bundle_sections_complete": sections_complete_label(release, bundle)}
        if not paged or kind is None:
            continue
        build = partial(
            bundle_document,
            kind,
            release,
            ctx.snapshot,
            ctx.today,
            ctx.calendar,
            settings,
            ctx.settings.output.date_style,
        )
        documents.append(
            GeneratedDocument.deferred(
                build, key=f"bundle/{release.key}", kind=DocumentKind.BUNDLE, record=record
            )
        )
        if bundle is not None and not release.has_launched(ctx.today):
            findings.extend(_bundle_findings(release, bundle, record))
    return RuleOutput(findings=tuple(findings), derived=derived, documents=tuple(documents))


def _bundle_findings(release: Release, bundle: EnablementBundle, record: str) -> list[Finding]:
    needs = requirements(release.tier)
    if needs is None or needs.bundle is None:
        return []
    out: list[Finding] = []
    if bundle.kind is BundleKind.LITE and needs.bundle is BundleKind.FULL:
        extra = ", ".join(s.value for s in FULL_SECTIONS if s not in LITE_SECTIONS)
        out.append(
            Finding(
                code="enablement.bundle-kind-mismatch",
                record=record,
                field="bundle",
                message=(
                    f"{release.title} is Tier 3 but its enablement bundle is the lite one. Add "
                    f"the full bundle's other sections: {extra}."
                ),
            )
        )
    missing = incomplete_sections(release, bundle)
    stage = bundle_stage(release)
    if missing and stage in (BundleState.READY_FOR_REVIEW, BundleState.PUBLISHED):
        out.append(
            Finding(
                code="enablement.bundle-incomplete",
                record=record,
                field="bundle",
                message=(
                    f"{release.title}: the enablement bundle is {stage.value} but these "
                    f"sections still hold only the template: "
                    f"{', '.join(s.value for s in missing)}. The PM should fill them in; the "
                    "pack counts a bundle done only when every section is complete."
                ),
            )
        )
    return out
