"""R10: every open finding reaches the person who must act, once a day at most, only when
their list changed; escalations go once each to the escalation person."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from conftest import PEOPLE, MakeCtx, ny
from opsync.domain import Finding, Level, Person, WeeklySubmission
from opsync.domain.people import Role
from opsync.domain.release import Release, Tier
from opsync.rules.codes import CODES, Code, Owner
from opsync.rules.context import RuleContext
from opsync.rules.output import RuleOutput
from opsync.rules.owners import evaluate, owner_of
from opsync.settings import OutputSettings, OwnerSettings, Settings

LEAD = Person(key="ops", name="Olga Ops", role=Role.PRODUCT_OPS)
HEAD = Person(key="hop", name="Hana Head", role=Role.HEAD_OF_PRODUCT)
TEAM = (*PEOPLE, LEAD, HEAD)
INV = Release(key="inv", title="Usage-based invoices", product_area="billing", tier=Tier.HIGH)
SSO = Release(key="sso", title="SSO", product_area="onboarding", pm="chen", tier=Tier.MEDIUM)


def found(code: str, record: str, level: Level = Level.WARNING, message: str = "") -> Finding:
    return Finding(code=code, record=record, level=level, message=message or f"{code} {record}")


EARLIER = RuleOutput(
    findings=(
        found("enablement.handoff-late", "releases/inv", Level.ERROR, "Hand the bundle off."),
        found("tiers.missing", "releases/sso"),
        found("weekly.submission-missing", "weekly_submissions/2026-W49/reporting"),
        found("weekly.update-late", "weekly_updates/2026-W49", Level.ERROR),
        found("insights.needs-triage", "insights/INS-1"),
        found("tiers.info", "releases/inv", Level.INFO),
    )
)


def run(
    make_ctx: MakeCtx, now: datetime, sent: frozenset[str] = frozenset(), **kw: object
) -> tuple[RuleContext, RuleOutput]:
    ctx = replace(make_ctx(now, people=TEAM, releases=(INV, SSO), **kw), sent=sent)
    return ctx, evaluate(ctx, EARLIER)


def test_each_finding_has_its_owner(make_ctx: MakeCtx) -> None:
    ctx, _ = run(make_ctx, ny(2026, 12, 3, 9))
    owners = {f.record: owner_of(f, ctx, "ops") for f in EARLIER.findings}
    assert owners["releases/inv"] == "ana"  # the area's PM: the release names none
    assert owners["releases/sso"] == "chen"  # the release's own PM
    assert owners["weekly_submissions/2026-W49/reporting"] == "chen"
    assert owners["weekly_updates/2026-W49"] == "ops"
    assert owners["insights/INS-1"] == "ops"  # untagged: Product Ops triages it


def test_a_submission_finding_goes_to_the_pm_who_wrote_it(make_ctx: MakeCtx) -> None:
    # Ben wrote for Billing (Ana's area) after the deadline: the late mark is his to hear.
    late = WeeklySubmission(
        key="2026-W49-billing-ben", week="2026-W49", pm="ben", product_area="billing"
    )
    ctx, _ = run(make_ctx, ny(2026, 12, 3, 15), weekly_submissions=(late,))
    finding = found("weekly.submission-late", "weekly_submissions/2026-W49-billing-ben")
    assert owner_of(finding, ctx, "ops") == "ben"


def test_digests_go_to_each_owner_and_everything_to_the_lead(make_ctx: MakeCtx) -> None:
    _, out = run(make_ctx, ny(2026, 12, 3, 9, 30))
    digests = {n.channel: n for n in out.notifications if n.key.startswith("owner-digest/")}
    assert set(digests) == {"dm:ana", "dm:chen", "dm:ops"}
    assert "Hand the bundle off." in digests["dm:ana"].text  # the owner gets the instruction
    assert "tiers.missing" not in digests["dm:ana"].text  # and only their own
    lead = digests["dm:ops"].text
    assert "Ana Ruiz:" in lead and "Chen Li:" in lead and "Yours:" in lead
    assert "tiers.info" not in lead  # information needs nobody


def test_one_digest_a_day_and_only_when_the_list_changed(make_ctx: MakeCtx) -> None:
    _, first = run(make_ctx, ny(2026, 12, 3, 9, 30))
    sent = frozenset(n.key for n in first.notifications)
    _, later_today = run(make_ctx, ny(2026, 12, 3, 16), sent)
    assert not [n for n in later_today.notifications if n.key.startswith("owner-digest/")]
    _, tomorrow_same = run(make_ctx, ny(2026, 12, 4, 9, 30), sent)
    assert not [n for n in tomorrow_same.notifications if n.key.startswith("owner-digest/")]
    ctx = replace(make_ctx(ny(2026, 12, 4, 9, 30), people=TEAM, releases=(INV, SSO)), sent=sent)
    changed = RuleOutput(findings=(*EARLIER.findings, found("tiers.missing", "releases/inv")))
    keys = [n.key for n in evaluate(ctx, changed).notifications]
    assert any(k.startswith("owner-digest/ana/2026-12-04/") for k in keys)
    assert not any(k.startswith("owner-digest/chen/") for k in keys)  # chen's list is the same


def test_a_weekly_digest_waits_a_week_after_the_last(make_ctx: MakeCtx) -> None:
    weekly = Settings(owners=OwnerSettings(digest_every_days=7))
    _, first = run(make_ctx, ny(2026, 12, 3, 9, 30), settings=weekly)
    sent = frozenset(n.key for n in first.notifications)
    ctx = replace(make_ctx(ny(2026, 12, 7, 9, 30), weekly, people=TEAM, releases=(INV,)), sent=sent)
    changed = RuleOutput(findings=(*EARLIER.findings, found("tiers.missing", "releases/inv")))
    assert not [n for n in evaluate(ctx, changed).notifications if "digest" in n.key]
    later = replace(
        make_ctx(ny(2026, 12, 10, 9, 30), weekly, people=TEAM, releases=(INV,)), sent=sent
    )
    assert [n for n in evaluate(later, changed).notifications if "digest/ana/" in n.key]


def test_no_digest_before_digest_time_or_on_a_weekend(make_ctx: MakeCtx) -> None:
    for now in (ny(2026, 12, 3, 8, 59), ny(2026, 12, 5, 10)):
        _, out = run(make_ctx, now)
        assert not [n for n in out.notifications if n.key.startswith("owner-digest/")]


def test_escalations_go_once_to_the_head_of_product(make_ctx: MakeCtx) -> None:
    _, out = run(make_ctx, ny(2026, 12, 3, 7))
    [escalation] = [n for n in out.notifications if n.key.startswith("escalation/")]
    assert escalation.channel == "dm:hop"
    assert "Tier 3 enablement is late for Usage-based invoices" in escalation.text
    settings = Settings(owners=OwnerSettings(escalate_to="#leads", digest_via=("slack", "email")))
    _, routed = run(make_ctx, ny(2026, 12, 3, 9, 30), settings=settings)
    channels = {n.channel for n in routed.notifications}
    assert "#leads" in channels and "email-dm:ana" in channels and "dm:ana" in channels


def test_switched_off_sends_nothing(make_ctx: MakeCtx) -> None:
    settings = Settings(owners=OwnerSettings(enabled=False))
    ctx = make_ctx(ny(2026, 12, 3, 9, 30), settings, people=TEAM, releases=(INV, SSO))
    assert evaluate(ctx, EARLIER).notifications == ()


def test_the_code_declares_the_role_and_the_record_names_the_person(
    make_ctx: MakeCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(CODES, "test.eng", Code(Owner.ENG_LEAD))
    monkeypatch.setitem(CODES, "test.head", Code(Owner.HEAD_OF_PRODUCT))
    ctx, _ = run(make_ctx, ny(2026, 12, 3, 9))
    assert owner_of(found("test.eng", "releases/inv"), ctx, "ops") == "dev"  # Billing's Eng lead
    assert owner_of(found("test.head", "releases/inv"), ctx, "ops") == "hop"
    # A duplicate is Product Ops' to sort out, whichever PM's record carries the key.
    assert owner_of(found("record.duplicate", "releases/sso"), ctx, "ops") == "ops"
    assert owner_of(found("tiers.missing", "releases/sso"), ctx, "ops") == "chen"


def test_a_digest_lists_the_first_items_and_sends_to_the_action_list_for_the_rest(
    make_ctx: MakeCtx,
) -> None:
    """A digest is a message: each list in it stops at ``[output] list_limit``, most urgent
    first, then says how many more the action list holds (the lead's digest held every open
    finding of the organisation: a 12 MB email at 10,000 releases)."""
    many = RuleOutput(
        findings=tuple(
            found("tiers.missing", f"releases/r{n}", message=f"Tier r{n}.") for n in range(7)
        )
    )
    short = Settings(output=OutputSettings(list_limit=3))
    ctx = make_ctx(ny(2026, 12, 3, 9, 30), short, people=TEAM, releases=(INV, SSO))
    digests = {n.channel: n for n in evaluate(ctx, many).notifications if "digest" in n.key}
    lead = digests["dm:ops"].text
    assert lead.count("Tier r") == 3 and "and 4 more — see the Product Ops action list" in lead
    assert "7 open items" in digests["dm:ops"].title  # the count is of the whole list
    # a change among the findings not shown is still a changed list: a new digest
    sent = frozenset(n.key for n in digests.values())
    later = replace(
        make_ctx(ny(2026, 12, 4, 9, 30), short, people=TEAM, releases=(INV, SSO)), sent=sent
    )
    changed = RuleOutput(findings=(*many.findings[:6], found("tiers.missing", "releases/r9")))
    assert [n for n in evaluate(later, changed).notifications if "digest/ops/2026-12-04/" in n.key]
