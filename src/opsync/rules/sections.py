"""Where each rule is explained: the section of docs/rules.md a plan's reasons cite.

A reason a person reads in ``opsync plan`` ends with the section that says why, as
``(docs/rules.md#r2-enablement-timeline)``: the anchor GitHub and most Markdown viewers give
the heading. One table here, so a renamed heading is one edit (tests/unit/test_sections.py
checks every anchor against the headings of docs/rules.md).
"""

from __future__ import annotations

from opsync.domain import Collection
from opsync.rules.output import DocumentKind

DOC = "docs/rules.md"

TIERS = "r1-release-tiers"
ENABLEMENT = "r2-enablement-timeline"
WEEKLY = "r3-weekly-product-update"
ROADMAP = "r4-stakeholder-roadmap-view"
DECISIONS = "r5-decision-log"
INSIGHTS = "r6-insights-pipeline"
POST_LAUNCH = "r7-post-launch-capture"
CADENCE = "r8-cadence-and-metrics"
SCORECARD = "scorecard"
REVIEW_PREP = "r9-biweekly-roadmap-review-prep"
INTAKE = "intake"
QBR = "quarterly-planningqbr-pack"
INSIGHT_ACTIONS = "r9-monthly-insights-review-actions"
OWNERS = "r10-people-who-must-act"
RETROS = "rollout-retros"
READINESS = "r9-launch-readiness-check-page"
SURVEYS = "surveys-without-a-server-and-status-pings-measured-pack-sections-1-and-7"
SLACK_INTAKE = "requests-from-product-ops-intake-rulesmd-r10"

#: The section of each generated page's rule.
PAGES: dict[DocumentKind, str] = {
    DocumentKind.WEEKLY_UPDATE: WEEKLY,
    DocumentKind.ROADMAP_VIEW: ROADMAP,
    DocumentKind.BUNDLE: ENABLEMENT,
    DocumentKind.POST_LAUNCH_DAY3: POST_LAUNCH,
    DocumentKind.POST_LAUNCH_DAY14: POST_LAUNCH,
    DocumentKind.INSIGHTS_DIGEST: INSIGHTS,
    DocumentKind.DECISION_REVIEW: DECISIONS,
    DocumentKind.SCORECARD: SCORECARD,
    DocumentKind.ACTION_LIST: OWNERS,
    DocumentKind.ROADMAP_REVIEW_PREP: REVIEW_PREP,
    DocumentKind.INTAKE_TRIAGE: INTAKE,
    DocumentKind.QBR_PACK: QBR,
    DocumentKind.ROLLOUT_RETRO: RETROS,
    DocumentKind.READINESS_CHECK: READINESS,
}

#: The section of the rule that derives each field opsync writes on people's records, and
#: of the release fields mirrored from the tracker (the tiers rule reads them first).
FIELDS: dict[str, str] = {
    "title": TIERS,
    "tier": TIERS,
    "launch_date": TIERS,
    "launched": TIERS,
    "product_area": TIERS,
    "pm": TIERS,
    "eng_lead": TIERS,
    "tier_label": TIERS,
    "enablement_status": ENABLEMENT,
    "handoff_due": ENABLEMENT,
    "publish_due": ENABLEMENT,
    "readiness_due": ENABLEMENT,
    "bundle_kind": ENABLEMENT,
    "bundle_sections_complete": ENABLEMENT,
    "day3_due": POST_LAUNCH,
    "day14_due": POST_LAUNCH,
    "review_due": DECISIONS,
    "triage_status": INSIGHTS,
    "routed_to": INSIGHTS,
    "routed_on": INSIGHTS,
    "escalated": INSIGHTS,
    "date_range": ROADMAP,
}

#: The section of the rule whose log or history records opsync writes in a collection.
COLLECTIONS: dict[str, str] = {
    Collection.WEEKLY_UPDATES.value: WEEKLY,
    Collection.ROADMAP_VIEWS.value: ROADMAP,
    Collection.SCORECARD_HISTORY.value: SCORECARD,
    Collection.RELEASES.value: TIERS,
    Collection.DECISIONS.value: DECISIONS,
    Collection.INSIGHTS.value: INSIGHTS,
    Collection.ROADMAP_ITEMS.value: ROADMAP,
    Collection.INSIGHT_ACTIONS.value: INSIGHT_ACTIONS,
    Collection.REQUESTS.value: SLACK_INTAKE,
}


def cite(anchor: str | None) -> str:
    """``(docs/rules.md#anchor)``, or the whole reference when no section is known."""
    return f"({DOC}#{anchor})" if anchor else f"({DOC})"
