"""Every finding code in one place: who must act on it, and what stakeholders may read of it.

A finding's ``message`` is owner text: written for the person who must act, it says what to
do ("Publish the bundle now…"). Stakeholders (Sales, CS, Support, Eng leads, execs) read
facts, never instructions to a PM (RULES.md R3), so the pages and messages written for them
(:data:`STAKEHOLDER_DOCUMENTS`, the Weekly Product Update's post and email, launch
announcements) never show a message. Where a finding's fact matters to them, its code
declares that fact here as a short phrase (``stakeholder``, and ``launched`` for the same fact
once the release has launched); a code without one is owner-only and stays in the owner's
digest and the report.

``owner`` is the role that acts (RULES.md R10); :func:`opsync.rules.owners.owner_of` turns it
into a person. A PM-owned finding goes to the PM of the record it names (a release's PM, a
decision's owner, a submission's author).

Adding a finding code means adding it here and to docs/rules.md; ``tests/unit/test_codes.py``
fails otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from opsync.rules.output import DocumentKind
from opsync.rules.roadmap import NO_DESCRIPTION


class Owner(StrEnum):
    """Who acts on a finding (RULES.md R10)."""

    PM = "pm"
    ENG_LEAD = "eng_lead"
    PRODUCT_OPS = "product_ops"
    HEAD_OF_PRODUCT = "head_of_product"


class Audience(StrEnum):
    """``stakeholder``: the code has stakeholder text, so its fact may be shown to
    stakeholders in those words; ``owner``: only its owner reads about it."""

    STAKEHOLDER = "stakeholder"
    OWNER = "owner"


@dataclass(frozen=True)
class Code:
    """One finding code's declaration. ``stakeholder`` states the fact before launch (or
    regardless of launch for a record that is not a release); ``launched`` states it once the
    release has launched, and None there means stakeholders no longer need it (no one asks
    for a ship decision on a release that shipped)."""

    owner: Owner
    stakeholder: str | None = None
    launched: str | None = None

    @property
    def audience(self) -> Audience:
        if self.stakeholder is None and self.launched is None:
            return Audience.OWNER
        return Audience.STAKEHOLDER

    def fact(self, *, launched: bool) -> str | None:
        """The stakeholder text for a release launched or not, or None when there is none."""
        return self.launched if launched else self.stakeholder


#: Pages written for stakeholders: they show stakeholder text only. The others (post-launch
#: pages, insights digest, decision review, scorecard, the Product Ops action list) are for
#: PMs, Product Ops and the Head of Product, who own what they list.
STAKEHOLDER_DOCUMENTS: frozenset[DocumentKind] = frozenset(
    {DocumentKind.WEEKLY_UPDATE, DocumentKind.ROADMAP_VIEW, DocumentKind.BUNDLE}
)

_PM, _OPS = Owner.PM, Owner.PRODUCT_OPS

CODES: dict[str, Code] = {
    # R1 tiers and bundles
    "tiers.missing": Code(_PM, "release tier not set yet"),
    "enablement.bundle-kind-mismatch": Code(_PM, "enablement bundle not complete yet"),
    "enablement.bundle-incomplete": Code(_PM, "enablement bundle not complete yet"),
    # R2 enablement timeline
    "enablement.launch-date-missing": Code(_PM, "launch date not set yet"),
    "enablement.launched-without-bundle": Code(
        _PM, "launched without an enablement bundle", "launched without an enablement bundle"
    ),
    "enablement.handoff-late": Code(_PM, "enablement bundle behind schedule"),
    "enablement.publish-late": Code(_PM, "enablement bundle not published yet"),
    "enablement.readiness-not-confirmed": Code(
        _PM,
        "Support/Sales readiness not confirmed yet",
        "launched before Support/Sales confirmed readiness",
    ),
    "enablement.go-no-go-missing": Code(_PM, "go/no-go not recorded yet"),
    "enablement.readiness-meeting-missing": Code(_PM, "Launch Readiness Check not held yet"),
    "enablement.training-missing": Code(
        _PM, "Support/Sales training not held yet", "launched without Support/Sales training"
    ),
    "enablement.done-after-deadline": Code(_PM),
    "enablement.moved-inside-deadline": Code(
        _PM, "launch date moved closer than its enablement plan allows"
    ),
    # R9 Launch Readiness Check: the Eng lead's confirmations
    "readiness.eng-monitoring-not-confirmed": Code(Owner.ENG_LEAD),
    "readiness.rollback-not-ready": Code(Owner.ENG_LEAD),
    # R3 weekly update
    "weekly.submission-missing": Code(_PM),
    "weekly.submission-late": Code(_PM),
    "weekly.submission-unknown-area": Code(_PM),
    "weekly.update-late": Code(_OPS),
    # R4 roadmap view
    "roadmap.quarter-invalid": Code(_OPS),
    "roadmap.timing-missing": Code(_OPS),
    "roadmap.dates-inverted": Code(_OPS),
    "roadmap.stakeholder-description-missing": Code(_OPS, NO_DESCRIPTION),  # shown on the view
    "roadmap.view-late": Code(_OPS),
    "roadmap.dependency-unknown": Code(_OPS),
    # R5 decisions: the PM is the decision's owner
    "decisions.field-missing": Code(_PM),
    "decisions.review-overdue": Code(_PM),
    # R6 insights
    "insights.needs-triage": Code(_OPS),
    "insights.area-unknown": Code(_OPS),
    "insights.wont-do-without-rationale": Code(_PM),
    "insights.escalated": Code(_PM),
    "insights.tag-unknown": Code(_OPS),
    # R9 Monthly Insights Review actions: the PM is the action's owner
    "insight-actions.escalated": Code(_PM),
    "insight-actions.overdue": Code(_PM),
    "insight-actions.owner-unknown": Code(_OPS),
    "insight-actions.review-invalid": Code(_OPS),
    # R7 post-launch capture: internal follow-up, not a stakeholder risk
    "post-launch.day3-overdue": Code(_PM),
    "post-launch.day14-overdue": Code(_PM),
    "post-launch.too-few-action-items": Code(_PM),
    "post-launch.too-many-action-items": Code(_PM),
    # R8 scorecard
    "scorecard.target-missed": Code(_OPS),
    "scorecard.week-unreadable": Code(_OPS),
    # R9/R10 intake and the QBR's friction list (pack sections 1 and 8)
    "intake.untriaged": Code(_OPS),
    "intake.friction-missing": Code(_OPS),
    "intake.friction-unknown": Code(_OPS),
    "frictions.ritual-unknown": Code(_OPS),
    # R10: a conflict the last sync saw, for the lead (rules/conflicts.py)
    "sync.conflict": Code(_OPS),
    # delivery
    "message.undeliverable": Code(_OPS),
    "message.copy-missing": Code(_OPS),
    # reading
    "record.invalid": Code(_OPS),
    "record.field-missing": Code(_OPS),
    "record.duplicate": Code(_OPS),
    "record.untitled": Code(_PM),
    "page.markers": Code(_OPS),
    "jira.version-undated": Code(_PM),
    # connector setup and mapping (doctor and sync)
    "local.folder-missing": Code(_OPS),
    "local.tracker-missing": Code(_OPS),
    "notion.setup": Code(_OPS),
    "notion.id-migrated": Code(_OPS),
    "notion.property-missing": Code(_OPS),
    "notion.property-unreadable": Code(_OPS),
    "notion.option-unmapped": Code(_OPS),
    "notion.person-unmapped": Code(_OPS),
    "notion.relation-truncated": Code(_OPS),
    "notion.value-unreadable": Code(_OPS),
    "notion.value-unwritable": Code(_OPS),
    "jira.setup": Code(_OPS),
    "confluence.setup": Code(_OPS),
    "slack.auth": Code(_OPS),
    "slack.scope": Code(_OPS),
    "slack.channel": Code(_OPS),
    "slack.channel-id": Code(_OPS),
    "slack.not-in-channel": Code(_OPS),
    "slack.person": Code(_OPS),
    "slack.signals": Code(_OPS),
    "email.setup": Code(_OPS),
    "s3.setup": Code(_OPS),
}
