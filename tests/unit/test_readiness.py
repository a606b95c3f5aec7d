"""R9 Launch Readiness Check page: its window (L - 5 BD to launch day), Tier 3 agenda vs
Tier 2 checklist, each check's status, the Eng lead's findings and the new record fields."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from conftest import MakeCtx, ny
from opsync.connectors.local.workspace import LocalWorkspace
from opsync.connectors.records import domain_fields, to_release
from opsync.documents.markdown import render
from opsync.documents.model import Document, Region
from opsync.domain import (
    Bundle,
    BundleKind,
    BundleState,
    Collection,
    DateChange,
    EnablementBundle,
    GoNoGo,
    Readiness,
    Release,
    Section,
    Tier,
)
from opsync.engine.pagelinks import resolve
from opsync.engine.snapshot import build_snapshot
from opsync.rules import RuleOutput
from opsync.rules import evaluate as evaluate_all
from opsync.rules.codes import CODES, Owner
from opsync.rules.output import DocumentKind, GeneratedDocument
from opsync.rules.owners import owner_of
from opsync.rules.readiness import CODE_MONITORING, CODE_ROLLBACK, evaluate
from opsync.settings import EnablementSettings, RolloutPhase, RuleFamily, Settings

GOLDEN = Path(__file__).parent.parent / "golden"
T2 = Release(
    key="inv",
    title="Usage-based invoices",
    tier=Tier.MEDIUM,
    launch_date=date(2026, 12, 10),  # Thursday: opens Thu Dec 3, checks due Wed Dec 9
    product_area="billing",
    pm="ana",
    description="Invoices itemise metered usage per workspace.",
    stakeholder_summary="Admins see what each workspace used on their invoice.",
    url="https://tracker.example/browse/INV-1",
)
T3 = Release(
    key="sso",
    title="SAML single sign-on",
    tier=Tier.HIGH,
    launch_date=date(2026, 12, 17),  # Thursday: opens Thu Dec 10, checks due Wed Dec 16
    product_area="onboarding",
    pm="ben",
    description="SAML 2.0 login with Okta and Azure AD; SCIM later.",
)


def assert_golden(name: str, rendered: str) -> None:
    path = GOLDEN / name
    if os.environ.get("OPSYNC_UPDATE_GOLDEN") == "1":
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


def pages(out: RuleOutput) -> dict[str, GeneratedDocument]:
    return {d.key: d for d in out.documents}


def run(make_ctx: MakeCtx, now: object, *releases: Release, **extra: object) -> RuleOutput:
    return evaluate(make_ctx(now, releases=releases, **extra), RuleOutput())


def ready(release: Release, **fields: object) -> Release:
    return release.model_copy(update={"readiness": Readiness.model_validate(fields)})


# ------------------------------------------------------------------ window


def test_the_page_appears_five_business_days_before_launch_and_not_a_day_earlier(
    make_ctx: MakeCtx,
) -> None:
    assert pages(run(make_ctx, ny(2026, 12, 2, 20), T2)) == {}
    page = pages(run(make_ctx, ny(2026, 12, 3, 8), T2))["readiness/inv"]
    assert page.kind is DocumentKind.READINESS_CHECK and page.record == "releases/inv"
    assert [b.key for b in page.document.children if isinstance(b, Region)] == ["readiness.header"]


def test_the_page_is_kept_current_until_launch_day_and_left_alone_after(
    make_ctx: MakeCtx,
) -> None:
    assert "readiness/inv" in pages(run(make_ctx, ny(2026, 12, 10, 23), T2))
    assert pages(run(make_ctx, ny(2026, 12, 11, 9), T2)) == {}


def test_holidays_are_not_counted_in_the_five_business_days(make_ctx: MakeCtx) -> None:
    # Monday after Thanksgiving: Fri 27, Wed 25, Tue 24, Mon 23 and Fri 20 (Thu 26 is off)
    monday = T2.model_copy(update={"launch_date": date(2026, 11, 30)})
    assert pages(run(make_ctx, ny(2026, 11, 19, 17), monday)) == {}
    assert "readiness/inv" in pages(run(make_ctx, ny(2026, 11, 20, 9), monday))


def test_a_moved_launch_moves_the_window(make_ctx: MakeCtx) -> None:
    moved = T2.model_copy(
        update={
            "launch_date": date(2026, 12, 17),
            "launch_date_history": (
                DateChange(
                    changed_on=date(2026, 12, 1), old=date(2026, 12, 10), new=date(2026, 12, 17)
                ),
            ),
        }
    )
    assert pages(run(make_ctx, ny(2026, 12, 4, 9), moved)) == {}
    assert "readiness/inv" in pages(run(make_ctx, ny(2026, 12, 10, 9), moved))


def test_the_lead_time_is_configurable(make_ctx: MakeCtx) -> None:
    settings = Settings(enablement=EnablementSettings(readiness_page_days_before=2))
    assert pages(run(make_ctx, ny(2026, 12, 7, 9), T2, settings=settings)) == {}
    assert "readiness/inv" in pages(run(make_ctx, ny(2026, 12, 8, 9), T2, settings=settings))


def test_only_tier_2_and_3_releases_with_a_date_inside_the_rollout_get_a_page(
    make_ctx: MakeCtx,
) -> None:
    tier1 = T2.model_copy(update={"key": "t1", "tier": Tier.LOW})
    undated = T2.model_copy(update={"key": "nodate", "launch_date": None})
    untiered = T2.model_copy(update={"key": "notier", "tier": None})
    out = run(make_ctx, ny(2026, 12, 3, 9), T2, tier1, undated, untiered)
    assert set(pages(out)) == {"readiness/inv"}
    pilot = Settings(
        rollout=(
            RolloutPhase(
                name="pilot",
                starts_on=date(2026, 11, 1),
                areas=("onboarding",),
                rules=(RuleFamily.TIERS, RuleFamily.ENABLEMENT),
            ),
        )
    )
    assert pages(run(make_ctx, ny(2026, 12, 3, 9), T2, settings=pilot)) == {}
    tiers_only = Settings(
        rollout=(
            RolloutPhase(
                name="tiers", starts_on=date(2026, 11, 1), areas=("*",), rules=(RuleFamily.TIERS,)
            ),
        )
    )
    assert pages(run(make_ctx, ny(2026, 12, 3, 9), T2, settings=tiers_only)) == {}


# ------------------------------------------------------------------ content


def test_tier_3_gets_the_thirty_minute_agenda_and_the_meeting_date(make_ctx: MakeCtx) -> None:
    text = render(pages(run(make_ctx, ny(2026, 12, 10, 9), T3))["readiness/sso"].document)
    assert "## Agenda (30 min)" in text
    assert "Meeting: to schedule, by Wednesday, December 16." in text
    assert "1. \\[5 min\\] PM (Ben Okafor): what's changing, who's impacted." in text
    assert "3. \\[5 min\\] Eng (Eve Martin): monitoring, rollback readiness." in text
    assert "## Async checklist" not in text
    held = ready(T3, meeting_on=date(2026, 12, 15))
    text = render(pages(run(make_ctx, ny(2026, 12, 10, 9), held))["readiness/sso"].document)
    assert "Meeting: Tuesday, December 15." in text
    assert "| Launch Readiness Check held | Product Ops | 🔵 **scheduled** Dec 15 |" in text


def test_tier_2_gets_the_async_checklist_and_no_agenda(make_ctx: MakeCtx) -> None:
    release = ready(T2, support_confirmed_on=date(2026, 12, 4))
    text = render(pages(run(make_ctx, ny(2026, 12, 7, 9), release))["readiness/inv"].document)
    assert "## Agenda" not in text and "## Async checklist" in text
    assert "- ☑ Support readiness confirmed (Support): 🟢 **done** Dec 4" in text
    assert "- ☐ Sales readiness confirmed (Sales): ⚪ **missing**, due by Dec 9" in text
    assert "- ☐ Rollback ready (Dev Patel): ⚪ **missing**, due by Dec 9" in text
    # Tier 2 has neither the meeting nor the training among its checks
    assert "training" not in text and "Launch Readiness Check held" not in text


def test_what_changes_shows_the_release_the_bundle_and_who_is_impacted(
    make_ctx: MakeCtx,
) -> None:
    bundle = EnablementBundle(
        key="inv",
        release_key="inv",
        kind=BundleKind.LITE,
        sections={
            Section.WHO_IMPACTED: "- Customer segments: usage-billed plans\n- Internal teams:"
        },
    )
    release = T2.model_copy(update={"bundle": Bundle(state=BundleState.READY_FOR_REVIEW)})
    ctx = make_ctx(ny(2026, 12, 3, 9), releases=(release,), bundles=(bundle,))
    ctx = replace(ctx, links={"bundle/inv": "https://wiki.example/bundle-inv"})
    text = render(pages(evaluate(ctx, RuleOutput()))["readiness/inv"].document)
    assert "Invoices itemise metered usage per workspace." in text
    assert "**For stakeholders:** Admins see what each workspace used on their invoice." in text
    assert "  - Customer segments: usage-billed plans" in text
    assert "Internal teams" not in text  # a template label with nothing after it
    link = "[Launch Enablement Bundle — Usage-based invoices](https://wiki.example/bundle-inv)"
    assert f"{link}: 🟡 **ready for review**" in text


def test_a_bundle_page_made_in_the_same_run_is_named_and_linked_when_written(
    make_ctx: MakeCtx,
) -> None:
    release = T2.model_copy(update={"bundle": Bundle(state=BundleState.READY_FOR_REVIEW)})
    ctx = make_ctx(ny(2026, 12, 3, 9), releases=(release,))
    made = RuleOutput(
        documents=(
            GeneratedDocument(
                key="bundle/inv",
                kind=DocumentKind.BUNDLE,
                document=Document(title="Bundle", children=()),
            ),
        )
    )
    page = pages(evaluate(ctx, made))["readiness/inv"]
    assert page.links_to == ("bundle/inv",)
    text = render(page.document)  # as the rules made it: the bundle page's name
    assert "*Launch Enablement Bundle — Usage-based invoices*: 🟡 **ready for review**" in text
    linked = render(resolve(page.document, {"bundle/inv": "https://wiki.example/b"}.get))
    assert "[Launch Enablement Bundle — Usage-based invoices](https://wiki.example/b)" in linked
    unknown = render(resolve(page.document, lambda key: None))
    assert unknown == text
    alone = pages(evaluate(ctx, RuleOutput()))["readiness/inv"]  # no bundle page: no link
    assert alone.links_to == ()


def test_statuses_say_done_on_a_date_late_or_missing_and_the_decision(
    make_ctx: MakeCtx,
) -> None:
    release = ready(
        T3,
        support_confirmed_on=date(2026, 12, 14),
        sales_confirmed_on=date(2026, 12, 17),  # launch day: a BD after the due day
        eng_monitoring_confirmed_on=date(2026, 12, 11),
        go_no_go=GoNoGo.HOLD,
        go_no_go_on=date(2026, 12, 16),
    )
    text = render(pages(run(make_ctx, ny(2026, 12, 17, 9), release))["readiness/sso"].document)
    assert "| Support readiness confirmed | Support | 🟢 **done** Dec 14 |" in text
    assert "| Sales readiness confirmed | Sales | 🟡 **done late** Dec 17 (1 BD late) |" in text
    assert "| Eng monitoring confirmed | Eve Martin | 🟢 **done** Dec 11 |" in text
    assert "| Rollback ready | Eve Martin | 🔴 **missing**, was due Dec 16 |" in text
    assert "| Go/no-go recorded | Ben Okafor | 🟡 **hold** Dec 16 |" in text


def test_ship_is_how_the_pack_spells_go(make_ctx: MakeCtx) -> None:
    release, problems = to_release(
        "sso", {"title": "SSO", "tier": 3}, {"go_no_go": "Ship", "go_no_go_on": "2026-12-16"}, "t"
    )
    assert problems == [] and release is not None
    assert release.readiness.go_no_go is GoNoGo.GO
    shipped = T3.model_copy(update={"readiness": release.readiness})
    text = render(pages(run(make_ctx, ny(2026, 12, 16, 9), shipped))["readiness/sso"].document)
    assert "| Go/no-go recorded | Ben Okafor | 🟢 **ship** Dec 16 |" in text


def test_the_decision_and_action_items_are_people_s_outside_the_region(
    make_ctx: MakeCtx,
) -> None:
    doc = pages(run(make_ctx, ny(2026, 12, 3, 9), T2))["readiness/inv"].document
    outside = render(doc.model_copy(update={"children": doc.children[1:]}))
    assert outside == (
        "# Launch Readiness Check — Usage-based invoices\n\n"
        "## Decision + action items\n\n"
        "- Decision (ship / hold / delay):\n"
        "- Action items + owners:\n"
    )


def test_tier_3_page_matches_golden(make_ctx: MakeCtx) -> None:
    release = ready(
        T3,
        support_confirmed_on=date(2026, 12, 14),
        eng_monitoring_confirmed_on=date(2026, 12, 11),
        meeting_on=date(2026, 12, 16),
    ).model_copy(
        update={"bundle": Bundle(state=BundleState.PUBLISHED, published_on=date(2026, 12, 14))}
    )
    out = run(make_ctx, ny(2026, 12, 15, 9), release)
    assert_golden("readiness-tier3.md", render(pages(out)["readiness/sso"].document))


def test_tier_2_page_matches_golden(make_ctx: MakeCtx) -> None:
    release = ready(
        T2,
        support_confirmed_on=date(2026, 12, 4),
        sales_confirmed_on=date(2026, 12, 7),
        rollback_ready_on=date(2026, 12, 8),
        go_no_go=GoNoGo.GO,
        go_no_go_on=date(2026, 12, 8),
    )
    bundle = EnablementBundle(
        key="inv",
        release_key="inv",
        kind=BundleKind.LITE,
        sections={
            Section.WHO_IMPACTED: "- Customer segments: usage-billed plans\n"
            "- Internal teams: Support (billing macros), Sales (pricing talk track)",
        },
    )
    out = run(make_ctx, ny(2026, 12, 8, 15), release, bundles=(bundle,))
    assert_golden("readiness-tier2.md", render(pages(out)["readiness/inv"].document))


# ------------------------------------------------------------------ findings


def test_missing_eng_confirmations_are_the_eng_lead_s_findings_after_their_due_day(
    make_ctx: MakeCtx,
) -> None:
    assert run(make_ctx, ny(2026, 12, 9, 23), T2).findings == ()  # due today: not yet
    out = run(make_ctx, ny(2026, 12, 10, 9), T2)
    found = {f.code: f for f in out.findings}
    assert set(found) == {CODE_MONITORING, CODE_ROLLBACK}
    assert found[CODE_ROLLBACK].field == "rollback_ready_on"
    assert found[CODE_ROLLBACK].due == date(2026, 12, 9)
    assert "Usage-based invoices" in found[CODE_MONITORING].message
    assert "eng_monitoring_confirmed_on" in found[CODE_MONITORING].message
    assert {CODES[c].owner for c in found} == {Owner.ENG_LEAD}
    ctx = make_ctx(ny(2026, 12, 10, 9), releases=(T2,))
    assert {owner_of(f, ctx, None) for f in out.findings} == {"dev"}  # Billing's Eng lead


def test_a_recorded_confirmation_clears_its_finding_and_a_launch_ends_them(
    make_ctx: MakeCtx,
) -> None:
    confirmed = ready(T2, eng_monitoring_confirmed_on=date(2026, 12, 10))
    out = run(make_ctx, ny(2026, 12, 10, 9), confirmed)
    assert [f.code for f in out.findings] == [CODE_ROLLBACK]
    assert run(make_ctx, ny(2026, 12, 11, 9), T2).findings == ()  # the Day 14 retro's now


def test_the_rule_runs_in_the_full_rule_order(make_ctx: MakeCtx) -> None:
    out = evaluate_all(make_ctx(ny(2026, 12, 3, 9), releases=(T2,)))
    page = pages(out)["readiness/inv"]
    # the bundle rule runs first: the page counts the skeleton it creates this run
    assert "Usage-based invoices*: ⚪ **not started**, 1/6 sections complete" in render(
        page.document
    )


# ------------------------------------------------------------------ reading the new fields


def test_the_eng_fields_are_read_from_the_local_workspace(tmp_path: Path) -> None:
    tracker = tmp_path / "releases.yaml"
    tracker.write_text(
        "- key: INV-1\n  title: Usage-based invoices\n  tier: 2\n  launch_date: 2026-12-10\n",
        encoding="utf-8",
    )
    record = tmp_path / "wiki" / "releases" / "INV-1.md"
    record.parent.mkdir(parents=True)
    record.write_text(
        "---\nkey: INV-1\neng_monitoring_confirmed_on: 2026-12-08\nrollback_ready_on: 2026-12-09\n"
        "go_no_go: ship\n---\n",
        encoding="utf-8",
    )
    ws = LocalWorkspace(
        tracker=tracker, wiki=tmp_path / "wiki", pages=tmp_path / "pages", outbox=tmp_path / "out"
    )
    snapshot, invalid = build_snapshot(ws.read_releases(), ws.read(), (), ())
    assert invalid == []
    (release,) = snapshot.releases
    assert release.readiness.eng_monitoring_confirmed_on == date(2026, 12, 8)
    assert release.readiness.rollback_ready_on == date(2026, 12, 9)
    assert release.readiness.go_no_go is GoNoGo.GO


@pytest.mark.parametrize("field", ["eng_monitoring_confirmed_on", "rollback_ready_on"])
def test_every_connector_knows_the_new_release_fields(field: str) -> None:
    assert field in domain_fields(Collection.RELEASES)
