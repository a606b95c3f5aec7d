from __future__ import annotations

from datetime import date

from conftest import MakeCtx, ny
from opsync.domain import BundleKind, Release, Tier
from opsync.rules import RuleOutput
from opsync.rules.tiers import evaluate, needs_enablement, pm_name, requirements, tier_label
from opsync.settings import RolloutPhase, RuleFamily, Settings


def test_missing_tier_is_a_finding_not_a_crash(make_ctx: MakeCtx) -> None:
    release = Release(key="r1", title="Usage-based invoices", product_area="billing")
    out = evaluate(make_ctx(ny(2026, 12, 1, 9), releases=(release,)), RuleOutput())
    [finding] = out.findings
    assert finding.code == "tiers.missing"
    assert finding.record == "releases/r1"
    assert finding.field == "tier"
    assert "Usage-based invoices" in finding.message
    assert out.derived["releases/r1"] == {"tier_label": None}


def test_tiered_release_gets_its_label_and_no_finding(make_ctx: MakeCtx) -> None:
    release = Release(key="r2", title="SSO", tier=Tier.HIGH, product_area="onboarding")
    out = evaluate(make_ctx(ny(2026, 12, 1, 9), releases=(release,)), RuleOutput())
    assert out.findings == ()
    assert out.derived["releases/r2"] == {"tier_label": "Tier 3 (High)"}


def test_requirements_table_follows_the_pack() -> None:
    low, medium, high = (requirements(t) for t in Tier)
    assert low is not None and medium is not None and high is not None
    assert low.bundle is None and low.weekly_update_only and not low.post_launch
    assert medium.bundle is BundleKind.LITE and medium.announcement and medium.async_readiness
    assert not medium.readiness_meeting and not medium.training and not medium.retro_sync
    assert high.bundle is BundleKind.FULL and high.readiness_meeting and high.training
    assert high.retro_sync and high.post_launch and high.announcement
    assert requirements(None) is None


def test_needs_enablement_only_for_tier_2_and_3() -> None:
    base = Release(key="r", title="t")
    assert not needs_enablement(base)
    assert not needs_enablement(base.model_copy(update={"tier": Tier.LOW}))
    assert needs_enablement(base.model_copy(update={"tier": Tier.MEDIUM}))
    assert needs_enablement(base.model_copy(update={"tier": Tier.HIGH}))
    assert tier_label(Tier.LOW) == "Tier 1 (Low)"


def test_pm_falls_back_to_the_area_pm(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(ny(2026, 12, 1, 9))
    own = Release(key="a", title="t", pm="chen", product_area="billing")
    area = Release(key="b", title="t", product_area="billing")
    nobody = Release(key="c", title="t")
    assert pm_name(ctx.snapshot, own) == "Chen Li"
    assert pm_name(ctx.snapshot, area) == "Ana Ruiz"
    assert pm_name(ctx.snapshot, nobody) == "unassigned"


def test_rollout_skips_areas_outside_the_pilot(make_ctx: MakeCtx) -> None:
    pilot = Settings(
        rollout=(
            RolloutPhase(
                name="pilot",
                starts_on=date(2026, 11, 1),
                areas=("billing",),
                rules=(RuleFamily.TIERS,),
            ),
        )
    )
    inside = Release(key="in", title="t", product_area="billing")
    outside = Release(key="out", title="t", product_area="reporting")
    out = evaluate(make_ctx(ny(2026, 12, 1, 9), pilot, releases=(inside, outside)), RuleOutput())
    assert [f.record for f in out.findings] == ["releases/in"]
    assert "releases/out" not in out.derived
