"""R1 release tiers: what each tier obliges a release to go through (pack section 6).

The tier table is data, not branches scattered over the rules: the enablement timeline,
the bundle skeleton and post-launch capture all ask :func:`requirements` what a release
needs, so changing what Tier 2 means happens in one place. Tier 1 needs nothing from these
rules; the weekly update lists Tier 1 launches under their area's wins.

A release without a tier cannot be judged at all (is it a copy fix or a pricing overhaul?),
so it gets the ``tiers.missing`` finding and every tier-dependent derived field stays empty
until someone sets it, rather than a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from opsync.domain import BundleKind, Collection, Finding, Release, Snapshot, Tier, ref
from opsync.rules.context import RuleContext
from opsync.rules.output import DerivedValue, RuleOutput
from opsync.settings import RuleFamily


@dataclass(frozen=True)
class TierRequirements:
    """What the pack requires of a release of one tier (RULES.md R1)."""

    tier: Tier
    bundle: BundleKind | None
    """Enablement bundle to write: lite for Tier 2, full for Tier 3, none for Tier 1."""
    announcement: bool
    """Slack announcement to Support + Sales when the bundle is published."""
    async_readiness: bool
    """Async readiness check: Support and Sales confirm, the PM records go/no-go."""
    readiness_meeting: bool
    """Launch Readiness Check meeting, go/no-go recorded with its date."""
    training: bool
    """Training session for Support/Sales before launch."""
    post_launch: bool
    """Day 3 check-in and Day 14 retro."""
    retro_sync: bool
    """Day 14 retro held as a 15-minute sync instead of async."""
    weekly_update_only: bool
    """Shows up in the Weekly Product Update under its area's wins, and nothing more."""


REQUIREMENTS: dict[Tier, TierRequirements] = {
    Tier.LOW: TierRequirements(
        tier=Tier.LOW,
        bundle=None,
        announcement=False,
        async_readiness=False,
        readiness_meeting=False,
        training=False,
        post_launch=False,
        retro_sync=False,
        weekly_update_only=True,
    ),
    Tier.MEDIUM: TierRequirements(
        tier=Tier.MEDIUM,
        bundle=BundleKind.LITE,
        announcement=True,
        async_readiness=True,
        readiness_meeting=False,
        training=False,
        post_launch=True,
        retro_sync=False,
        weekly_update_only=False,
    ),
    Tier.HIGH: TierRequirements(
        tier=Tier.HIGH,
        bundle=BundleKind.FULL,
        announcement=True,
        async_readiness=False,
        readiness_meeting=True,
        training=True,
        post_launch=True,
        retro_sync=True,
        weekly_update_only=False,
    ),
}


def requirements(tier: Tier | None) -> TierRequirements | None:
    """The tier's obligations; None when the tier is unknown (never a default tier)."""
    return REQUIREMENTS[tier] if tier is not None else None


def needs_enablement(release: Release) -> bool:
    """Tier 2 and 3: a bundle, a readiness check and post-launch capture."""
    needs = requirements(release.tier)
    return needs is not None and needs.bundle is not None


def tier_label(tier: Tier | None) -> str | None:
    """``Tier 2 (Medium)``: how people name a tier in pages and messages."""
    return f"Tier {tier.value} ({tier.label})" if tier is not None else None


def pm_name(snapshot: Snapshot, release: Release) -> str:
    """The release's PM owner, falling back to the PM of its product area."""
    area = snapshot.area(release.product_area)
    return snapshot.person_name(release.pm or (area.pm if area else None))


def evaluate(ctx: RuleContext, earlier: RuleOutput) -> RuleOutput:
    """Label every release with its tier and flag releases nobody has tiered yet."""
    findings: list[Finding] = []
    derived: dict[str, dict[str, DerivedValue]] = {}
    for release in ctx.snapshot.releases:
        if not ctx.enabled(RuleFamily.TIERS, release.product_area):
            continue
        record = ref(Collection.RELEASES, release.key)
        derived[record] = {"tier_label": tier_label(release.tier)}
        if release.tier is None:
            findings.append(
                Finding(
                    code="tiers.missing",
                    record=record,
                    field="tier",
                    message=(
                        f"{release.title} has no release tier. Set Tier 1 (Low), 2 (Medium) or "
                        "3 (High) so that opsync knows whether it needs an enablement bundle, "
                        "a readiness check and post-launch capture."
                    ),
                )
            )
    return RuleOutput(findings=tuple(findings), derived=derived)
