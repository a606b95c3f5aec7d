"""Bundle skeleton pages (pack template, lite vs full) and section completeness."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import pytest

from conftest import MakeCtx, ny
from opsync.documents.markdown import render
from opsync.documents.model import Region, bullets
from opsync.domain import (
    FULL_SECTIONS,
    LITE_SECTIONS,
    Bundle,
    BundleKind,
    BundleState,
    EnablementBundle,
    Readiness,
    Release,
    Section,
    Tier,
)
from opsync.rules import RuleOutput
from opsync.rules.bundles import evaluate, placeholder_lines, section_complete
from opsync.rules.output import DocumentKind, GeneratedDocument
from opsync.settings import RolloutPhase, RuleFamily, Settings

GOLDEN = Path(__file__).parent.parent / "golden"
TODAY = ny(2026, 12, 1, 9)
LITE = Release(
    key="inv",
    title="Usage-based invoices",
    tier=Tier.MEDIUM,
    launch_date=date(2026, 12, 10),
    product_area="billing",
    pm="ana",
    bundle=Bundle(state=BundleState.DRAFTING),
)
FULL = Release(
    key="sso",
    title="SAML single sign-on for *Enterprise* | admins",
    tier=Tier.HIGH,
    launch_date=date(2027, 1, 4),
    product_area="onboarding",
)


def assert_golden(name: str, rendered: str) -> None:
    path = GOLDEN / name
    if os.environ.get("OPSYNC_UPDATE_GOLDEN") == "1":
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


def page(out: RuleOutput, key: str) -> GeneratedDocument:
    return next(d for d in out.documents if d.key == key)


def headings(markdown: str, level: str) -> list[str]:
    prefix = level + " "
    return [line.removeprefix(prefix) for line in markdown.splitlines() if line.startswith(prefix)]


def bundle(release_key: str, sections: dict[Section, str]) -> EnablementBundle:
    return EnablementBundle(
        key=f"b-{release_key}", release_key=release_key, kind=BundleKind.LITE, sections=sections
    )


def markdown_of(make_ctx: MakeCtx, when: datetime, release: Release) -> str:
    out = evaluate(make_ctx(when, releases=(release,)), RuleOutput())
    return render(page(out, f"bundle/{release.key}").document)


def test_lite_bundle_matches_golden(make_ctx: MakeCtx) -> None:
    out = evaluate(make_ctx(TODAY, releases=(LITE,)), RuleOutput())
    doc = page(out, "bundle/inv")
    assert doc.kind is DocumentKind.BUNDLE and doc.record == "releases/inv"
    markdown = render(doc.document)
    assert headings(markdown, "###") == [
        "What changed (1 paragraph)",
        "Who's impacted (eligibility/segments)",
        "How it works (user steps)",
        "FAQs + edge cases",
        "Support macros / troubleshooting",
        "Owner + escalation",
    ]
    assert_golden("bundle-lite.md", markdown)


def test_full_bundle_matches_golden(make_ctx: MakeCtx) -> None:
    out = evaluate(make_ctx(TODAY, releases=(FULL,)), RuleOutput())
    markdown = render(page(out, "bundle/sso").document)
    assert len(headings(markdown, "###")) == 9
    assert "Sales talk track (if relevant)" in headings(markdown, "###")
    assert (
        "| Tier 3 (High) | Monday, January 4, 2027 | Ben Okafor | Eve Martin |" in markdown
    )  # area's PM
    assert_golden("bundle-full.md", markdown)


def test_header_facts_are_owned_and_skeleton_is_not(make_ctx: MakeCtx) -> None:
    doc = page(evaluate(make_ctx(TODAY, releases=(FULL,)), RuleOutput()), "bundle/sso").document
    regions = [b for b in doc.children if isinstance(b, Region)]
    assert [r.key for r in regions] == ["bundle.header"]
    owned = render(doc.model_copy(update={"children": tuple(regions)}))
    assert "| Target launch date |" in owned
    assert "| Dec 17, 2026 (L - 10 BD) |" in owned  # the year before the launch's: written
    assert "Training session for Support/Sales" in owned
    assert "What changed" not in owned


def test_page_is_deterministic_and_tracks_status(make_ctx: MakeCtx) -> None:
    morning = evaluate(make_ctx(TODAY, releases=(LITE,)), RuleOutput())
    evening = evaluate(make_ctx(ny(2026, 12, 1, 17), releases=(LITE,)), RuleOutput())
    assert morning == evening
    assert "🔵 **drafting**" in markdown_of(make_ctx, TODAY, LITE)
    assert "🔴 **late**" in markdown_of(make_ctx, ny(2026, 12, 4, 9), LITE)


def test_no_bundle_page_for_tier1_or_missing_tier(make_ctx: MakeCtx) -> None:
    minor = LITE.model_copy(update={"key": "copy", "tier": Tier.LOW})
    untiered = LITE.model_copy(update={"key": "what", "tier": None})
    out = evaluate(make_ctx(TODAY, releases=(minor, untiered)), RuleOutput())
    assert out.documents == ()


def test_bundle_page_without_launch_date_says_deadlines_come_later(make_ctx: MakeCtx) -> None:
    undated = LITE.model_copy(update={"launch_date": None})
    markdown = markdown_of(make_ctx, TODAY, undated)
    assert "| Tier 2 (Medium) | not set | Ana Ruiz |" in markdown
    assert "once the release has a target launch date" in markdown


@pytest.mark.parametrize("section", list(Section))
def test_template_placeholders_alone_are_not_complete(section: Section) -> None:
    assert not section_complete(section, "\n".join(placeholder_lines(section)))
    assert not section_complete(section, "")


def test_placeholder_lines_follow_the_template() -> None:
    assert placeholder_lines(Section.WHO_IMPACTED) == ("- Customer segments:", "- Internal teams:")
    assert placeholder_lines(Section.HOW_IT_WORKS) == ("1.", "2.", "3.")
    assert placeholder_lines(Section.OWNER_ESCALATION)[-1] == "- Escalation: [Name/channel]"


@pytest.mark.parametrize(
    ("section", "text", "complete"),
    [
        (Section.WHO_IMPACTED, "- Customer segments: mid-market\n- Internal teams:", True),
        (Section.WHO_IMPACTED, "* customer SEGMENTS:\n\n  - Internal teams:  ", False),
        (
            Section.WHAT_CHANGED,
            r"\[Plain-language summary of the change and why it matters.\]",
            False,
        ),
        (Section.WHAT_CHANGED, "Invoices now bill per API call.", True),
        (Section.HOW_IT_WORKS, "1. 2. 3.", False),
        (Section.HOW_IT_WORKS, "1. Open Billing\n2.\n3.", True),
        (Section.FAQS, "- Q:\n  A:", False),
        (Section.FAQS, "- Q:", False),
        (Section.OWNER_ESCALATION, "- PM: [Name], Eng: [Name].", False),
        (Section.FAQS, "- Q: Can I switch back? A: Yes, within 30 days.", True),
        (Section.OWNER_ESCALATION, "PM: [Name]\nEng: Dev Patel\nEscalation: [Name/channel]", True),
        (Section.OWNER_ESCALATION, "### Owner + escalation\n- PM: [Name]", False),
    ],
)
def test_section_complete(section: Section, text: str, complete: bool) -> None:
    assert section_complete(section, text) is complete


def test_sections_complete_counts_required_sections(make_ctx: MakeCtx) -> None:
    written = dict.fromkeys(LITE_SECTIONS[:4], "Real text")
    out = evaluate(
        make_ctx(TODAY, releases=(LITE,), bundles=(bundle("inv", written),)), RuleOutput()
    )
    assert out.derived["releases/inv"] == {"bundle_sections_complete": "4/6"}
    assert out.findings == ()  # still drafting: incompleteness is expected
    # no page yet: the skeleton this run creates is what the next run will read back, its
    # owner section filled in with the PM's and the Eng lead's names
    no_bundle = evaluate(make_ctx(TODAY, releases=(FULL,)), RuleOutput())
    assert no_bundle.derived["releases/sso"] == {"bundle_sections_complete": "1/9"}
    assert [d.key for d in no_bundle.documents] == ["bundle/sso"]


def test_a_past_launch_without_a_bundle_page_gets_no_skeleton(make_ctx: MakeCtx) -> None:
    launched = FULL.model_copy(update={"launched": True})
    out = evaluate(make_ctx(TODAY, releases=(launched,)), RuleOutput())
    assert out.documents == ()
    assert out.derived["releases/sso"] == {"bundle_sections_complete": None}


def test_incomplete_bundle_marked_published_is_a_finding(make_ctx: MakeCtx) -> None:
    written = {s: "Real text" for s in LITE_SECTIONS if s is not Section.FAQS}
    written[Section.FAQS] = "- Q: A:"
    published = LITE.model_copy(update={"bundle": Bundle(state=BundleState.PUBLISHED)})
    ctx = make_ctx(TODAY, releases=(published,), bundles=(bundle("inv", written),))
    out = evaluate(ctx, RuleOutput())
    [finding] = out.findings
    assert finding.code == "enablement.bundle-incomplete"
    assert "FAQs + edge cases" in finding.message
    assert out.derived["releases/inv"] == {"bundle_sections_complete": "5/6"}


def test_tier3_release_with_lite_bundle(make_ctx: MakeCtx) -> None:
    written = dict.fromkeys(LITE_SECTIONS, "Real text")
    out = evaluate(
        make_ctx(TODAY, releases=(FULL,), bundles=(bundle("sso", written),)), RuleOutput()
    )
    assert [f.code for f in out.findings] == ["enablement.bundle-kind-mismatch"]
    assert "Rollback / mitigation" in out.findings[0].message
    assert out.derived["releases/sso"] == {"bundle_sections_complete": f"6/{len(FULL_SECTIONS)}"}


def test_rollout_area_not_in_pilot_gets_no_page(make_ctx: MakeCtx) -> None:
    pilot = Settings(
        rollout=(
            RolloutPhase(
                name="pilot",
                starts_on=date(2026, 11, 1),
                areas=("billing",),
                rules=(RuleFamily.ENABLEMENT,),
            ),
        )
    )
    out = evaluate(make_ctx(TODAY, pilot, releases=(LITE, FULL)), RuleOutput())
    assert [d.key for d in out.documents] == ["bundle/inv"]
    assert "releases/sso" not in out.derived


def test_page_shows_each_step_with_its_deadline_and_how_late_it_was_done(
    make_ctx: MakeCtx,
) -> None:
    late = LITE.model_copy(
        update={
            "bundle": Bundle(handed_off_on=date(2026, 12, 3), published_on=date(2026, 12, 9)),
            "readiness": Readiness(support_confirmed_on=date(2026, 12, 9)),
        }
    )
    markdown = markdown_of(make_ctx, ny(2026, 12, 9, 12), late)
    assert "🟢 **published**" in markdown
    rows = [line for line in markdown.splitlines() if " BD) |" in line]
    assert rows == [
        "| Bundle drafted and handed to Product Ops | Dec 3 (L - 5 BD) | handed off Dec 3, on time "
        "|",
        "| Bundle published to stakeholders | Dec 8 (L - 2 BD) | published Dec 9, 1 BD late |",
        "| Support readiness confirmed | Dec 9 (L - 1 BD) | confirmed Dec 9, on time |",
        "| Sales readiness confirmed | Dec 9 (L - 1 BD) | — |",
        "| Go/no-go recorded | Dec 9 (L - 1 BD) | — |",
    ]


def test_a_recorded_handoff_makes_an_incomplete_bundle_a_finding(make_ctx: MakeCtx) -> None:
    handed = LITE.model_copy(update={"bundle": Bundle(handed_off_on=date(2026, 12, 1))})
    ctx = make_ctx(TODAY, releases=(handed,), bundles=(bundle("inv", {}),))
    [finding] = evaluate(ctx, RuleOutput()).findings
    assert finding.code == "enablement.bundle-incomplete"
    assert "the enablement bundle is ready for review" in finding.message
    assert "🟡 **ready for review**" in markdown_of(make_ctx, TODAY, handed)


def test_owner_section_starts_with_the_names_opsync_knows(make_ctx: MakeCtx) -> None:
    markdown = markdown_of(make_ctx, TODAY, LITE)
    owner = markdown.split("### Owner + escalation")[1]
    assert "- PM: Ana Ruiz\n- Eng: Dev Patel\n- Escalation: \\[Name/channel\\]" in owner
    assert "[Name]" not in owner.replace("[Name/channel]", "")
    # outside every region: written at creation, the team's afterwards
    doc = page(evaluate(make_ctx(TODAY, releases=(LITE,)), RuleOutput()), "bundle/inv").document
    owners = bullets("PM: Ana Ruiz", "Eng: Dev Patel", "Escalation: [Name/channel]")
    assert doc.children[-1] == owners


def test_bundle_facts_are_a_table_not_headings(make_ctx: MakeCtx) -> None:
    markdown = markdown_of(make_ctx, TODAY, LITE)
    assert headings(markdown, "##") == []
    assert "| Release tier | Target launch date | PM owner | Eng lead | Enablement status |" in (
        markdown
    )
