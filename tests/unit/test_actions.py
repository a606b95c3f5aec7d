"""R10 the Product Ops action list: every open finding by owner, with its due date, most
pressing first; the owners' digests are drawn from the same lists."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from conftest import PEOPLE, MakeCtx, ny
from opsync.documents import plaintext
from opsync.documents.markdown import render
from opsync.domain import Decision, Finding, Insight, Level, Person
from opsync.domain.people import Role
from opsync.domain.release import Release, Tier
from opsync.rules import evaluate as evaluate_all
from opsync.rules.actions import ACTION_LIST, due_text
from opsync.rules.codes import STAKEHOLDER_DOCUMENTS
from opsync.rules.dates import DateWords
from opsync.rules.insights import held_on, review_on_or_after
from opsync.rules.output import DocumentKind, GeneratedDocument, RuleOutput
from opsync.rules.owners import evaluate, owner_lists
from opsync.rules.weekly import evaluate as weekly
from opsync.settings import DateStyle, OwnerSettings, Settings

GOLDEN = Path(__file__).parent.parent / "golden"
LEAD = Person(key="ops", name="Olga Ops", role=Role.PRODUCT_OPS)
TEAM = (*PEOPLE, LEAD)
TODAY = ny(2026, 12, 3, 9, 30)  # a Thursday
INV = Release(
    key="inv",
    title="Usage-based invoices",
    product_area="billing",
    tier=Tier.HIGH,
    url="https://tracker.example/browse/INV",
)
SSO = Release(key="sso", title="SSO", product_area="onboarding", pm="chen", tier=Tier.MEDIUM)
ORPHAN = Release(key="orphan", title="Orphaned export", product_area="nowhere", tier=Tier.LOW)


def found(
    code: str,
    record: str,
    due: date | None = None,
    level: Level = Level.WARNING,
    message: str = "",
) -> Finding:
    return Finding(code=code, record=record, level=level, message=message or code, due=due)


HANDOFF = (
    "Usage-based invoices: the enablement bundle was due with Product Ops by "
    "Friday, November 20, 2026 for the launch on Monday, December 7, 2026 and has"
    " not been handed off. Finish the draft and hand it over, or move the launch "
    "date."
)
PUBLISH = (
    "Usage-based invoices: the enablement bundle should have been published to "
    "stakeholders by Tuesday, December 1, 2026 for the launch on Monday, December"
    " 7, 2026. Publish it now, or move the launch date."
)
SUBMISSION = (
    "No weekly submission for Reporting in 2026-W49 (due Thursday, December 3, "
    "2026 at 14:00). Chen Li should add the 5-bullet update (wins/shipped, what's"
    " next, risks/asks, metrics, links) so the Weekly Product Update covers "
    "Reporting."
)
TIER = (
    "SSO has no release tier. Set Tier 1 (Low), 2 (Medium) or 3 (High) so that "
    "opsync knows whether it needs an enablement bundle, a readiness check and "
    "post-launch capture."
)
EARLIER = RuleOutput(
    findings=(
        found("tiers.missing", "releases/sso", message=TIER),
        found("enablement.publish-late", "releases/inv", date(2026, 12, 1), message=PUBLISH),
        found("enablement.handoff-late", "releases/inv", date(2026, 11, 20), Level.ERROR, HANDOFF),
        found(
            "decisions.review-overdue",
            "decisions/DEC-1",
            date(2026, 11, 26),
            message=(
                "Decision “Keep seat pricing for Starter” was due for review on 2026-11-26 (7"
                " days ago) and has not been reviewed. It is on the list for the next "
                "biweekly review; Ben Okafor should bring it and record the date reviewed."
            ),
        ),
        found(
            "weekly.submission-missing",
            "weekly_submissions/2026-W49/reporting",
            date(2026, 12, 3),
            message=SUBMISSION,
        ),
        found(
            "insights.needs-triage",
            "insights/INS-1",
            date(2026, 12, 8),
            message=(
                "Insight “Exports time out above 1M rows” needs triage: Product Ops should "
                "tag its severity, segment so it can be routed to the area's PM."
            ),
        ),
        found(
            "weekly.update-late",
            "weekly_updates/2026-W48",
            date(2026, 11, 26),
            Level.ERROR,
            (
                "The Weekly Product Update for 2026-W48 (due Thursday, November 26, 2026 at "
                "17:00) has not been published. Product Ops: publish it to Slack and email "
                "now."
            ),
        ),
        found(
            "tiers.missing",
            "releases/orphan",
            message=(
                "Orphaned export has no release tier. Set Tier 1 (Low), 2 (Medium) or 3 "
                "(High) so that opsync knows whether it needs an enablement bundle, a "
                "readiness check and post-launch capture."
            ),
        ),
        found("scorecard.target-missed", "scorecards/2026-Q4", level=Level.INFO),
    )
)


def action_list(out: RuleOutput) -> GeneratedDocument:
    [page] = [d for d in out.documents if d.key == ACTION_LIST]
    return page


def run(make_ctx: MakeCtx, earlier: RuleOutput = EARLIER, now: object = TODAY) -> RuleOutput:
    decision = Decision(key="DEC-1", decision="Keep seats", owner="ben")
    ctx = make_ctx(now, people=TEAM, releases=(INV, SSO, ORPHAN), decisions=(decision,))
    return evaluate(ctx, earlier)


def test_the_page_matches_golden(make_ctx: MakeCtx) -> None:
    page = action_list(run(make_ctx))
    assert page.kind is DocumentKind.ACTION_LIST
    rendered = render(page.document)
    path = GOLDEN / "action-list.md"
    if os.environ.get("OPSYNC_UPDATE_GOLDEN") == "1":
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


def test_each_owner_has_a_list_overdue_first_then_by_due_date(make_ctx: MakeCtx) -> None:
    text = plaintext.render(action_list(run(make_ctx)).document)
    # people by name, the unassigned last; the information-level finding in no list
    headings = [line for line in text.splitlines() if ": " in line and " item" in line]
    assert [h.split(":")[0] for h in headings] == [
        "Ana Ruiz",
        "Ben Okafor",
        "Chen Li",
        "Olga Ops",
        "Unassigned — PM",
    ]
    assert "scorecard.target-missed" not in text
    # Ana: the handoff (Nov 20) before the publication (Dec 1), both overdue
    assert text.index(HANDOFF) < text.index(PUBLISH)
    assert "Nov 20 — 13 days overdue" in text
    assert "[Usage-based invoices](https://tracker.example/browse/INV)" in render(
        action_list(run(make_ctx)).document
    )
    # Chen: the submission due today before the tier that has no date
    assert text.index(SUBMISSION) < text.index(TIER)
    assert "Ana Ruiz: 2 items, 2 overdue" in text
    assert "Ben Okafor: 1 item, 1 overdue" in text
    assert "Chen Li: 2 items" in text and "Chen Li: 2 items," not in text


def test_no_open_finding_is_said_as_such(make_ctx: MakeCtx) -> None:
    text = plaintext.render(action_list(run(make_ctx, RuleOutput())).document)
    assert "No open findings" in text
    assert "| Owner" not in text and "0 open findings" not in text
    one = RuleOutput(findings=(found("tiers.missing", "releases/sso"),))
    assert "1 open finding for 1 owner, 0 overdue." in plaintext.render(
        action_list(run(make_ctx, one)).document
    )


def test_due_text_reads_as_a_date_in_the_pages_style() -> None:
    today = date(2026, 12, 3)
    words = DateWords(DateStyle.LONG, today)
    assert due_text(None, today, words) == "no date"
    assert due_text(today, today, words) == "today"
    assert due_text(date(2026, 12, 8), today, words) == "Dec 8"
    assert due_text(date(2026, 12, 2), today, words) == "Dec 2 — 1 day overdue"
    assert due_text(date(2027, 1, 4), today, words) == "Jan 4, 2027"  # another year: named
    iso = DateWords(DateStyle.ISO, today)
    assert due_text(date(2026, 12, 2), today, iso) == "2026-12-02 — 1 day overdue"


def test_an_owner_nobody_can_name_is_unassigned_with_the_role(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(TODAY, people=PEOPLE, releases=(ORPHAN, SSO))  # and no Product Ops lead
    findings = [found("tiers.missing", f"releases/{r}") for r in ("orphan", "sso")]
    lists = owner_lists(ctx, [*findings, found("insights.needs-triage", "insights/I-1")], None)
    unassigned = {lst.label(ctx.snapshot): lst for lst in lists if lst.person is None}
    assert set(unassigned) == {"Unassigned — PM", "Unassigned — Product Ops"}
    assert [f.record for f in unassigned["Unassigned — PM"].findings] == ["releases/orphan"]


def test_the_digests_are_the_same_lists(make_ctx: MakeCtx) -> None:
    out = run(make_ctx)
    digests = {n.channel: n for n in out.notifications if n.key.startswith("owner-digest/")}
    ana = digests["dm:ana"].text
    assert ana.index(HANDOFF) < ana.index(PUBLISH)
    assert "Due: Nov 20 — 13 days overdue." in ana
    lead = digests["dm:ops"]
    assert lead.announces == ACTION_LIST  # the lead's digest links to the page
    assert digests["dm:ana"].announces is None
    assert "Unassigned — PM: 1" in lead.text and "Yours: 2" in lead.text
    page = plaintext.render(action_list(out).document)
    order = [h for h in ("Ana Ruiz", "Ben Okafor", "Chen Li", "Unassigned") if h in lead.text]
    assert sorted(order, key=page.index) == sorted(order, key=lead.text.index)


def test_the_page_is_for_product_ops_not_stakeholders(make_ctx: MakeCtx) -> None:
    assert DocumentKind.ACTION_LIST not in STAKEHOLDER_DOCUMENTS
    page = action_list(run(make_ctx))
    assert [r.key for r in page.document.children] == [ACTION_LIST]  # one owned region


def test_the_rules_date_what_they_find(make_ctx: MakeCtx) -> None:
    now = ny(2026, 12, 15, 10)  # a Tuesday
    late = Release(key="late", title="Late", product_area="billing", tier=Tier.MEDIUM)
    late = late.model_copy(update={"launch_date": date(2026, 12, 18)})  # handoff due Dec 11
    out_ = Release(
        key="out", title="Out", product_area="billing", tier=Tier.MEDIUM, launched=True
    ).model_copy(update={"launch_date": date(2026, 12, 10)})  # Day 3 due Mon Dec 14
    decision = Decision(
        key="D-1", decision="Keep seats", owner="ana", review_date=date(2026, 12, 1)
    )
    untagged = Insight(key="I-1", summary="Export is slow", received_on=date(2026, 12, 10))
    ctx = make_ctx(
        now, people=TEAM, releases=(late, out_), decisions=(decision,), insights=(untagged,)
    )
    dues = {(f.code, f.record): f.due for f in evaluate_all(ctx).findings}
    assert dues[("enablement.handoff-late", "releases/late")] == date(2026, 12, 11)
    assert dues[("post-launch.day3-overdue", "releases/out")] == date(2026, 12, 14)
    assert dues[("decisions.review-overdue", "decisions/D-1")] == date(2026, 12, 1)
    assert dues[("decisions.field-missing", "decisions/D-1")] is None  # no deadline applies
    review = held_on(
        review_on_or_after(ctx.today, ctx.settings.insights, ctx.calendar), ctx.calendar
    )
    assert dues[("insights.needs-triage", "insights/I-1")] == review


def test_a_missing_weekly_submission_is_due_on_the_update_day(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(ny(2026, 12, 3, 15), people=TEAM)
    missing = [f for f in weekly(ctx, RuleOutput()).findings if f.code.endswith("-missing")]
    assert missing and {f.due for f in missing} == {date(2026, 12, 3)}


def test_switched_off_no_page(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(TODAY, Settings(owners=OwnerSettings(enabled=False)), people=TEAM)
    assert evaluate(ctx, EARLIER).documents == ()
