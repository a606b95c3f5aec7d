"""Intake (pack section 1; RULES.md R10): requests to Product Ops triaged weekly against the
ranked top-frictions list, a finding for one left new past the triage window, and the weekly
triage page."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

from conftest import MakeCtx, ny
from opsync.documents.markdown import render
from opsync.domain import Friction, Request
from opsync.rules import frictions, intake
from opsync.rules.output import DocumentKind, GeneratedDocument, RuleOutput
from opsync.settings import IntakeSettings, RolloutPhase, Settings

GOLDEN = Path(__file__).parent.parent / "golden"
NOW = ny(2026, 12, 3, 15)  # Thursday of ISO week 2026-W49 (Monday Nov 30)

FRICTIONS = (
    Friction(
        key="enablement-gaps",
        title="Launches without enablement",
        rank=3,
        reduced_by=("readiness check", "enablement bundle"),
    ),
    Friction(
        key="surprise", title="Stakeholders surprised by launches", rank=1, reduced_by=("QBR",)
    ),
    Friction(key="pings", title="Status pings", rank=2, reduced_by=("Weekly Product Update",)),
)


def req(key: str, received: date | None, status: str = "new", **extra: object) -> Request:
    return Request.model_validate(
        {"key": key, "summary": f"Request {key}", "received_on": received, "status": status} | extra
    )


def run(make_ctx: MakeCtx, *requests: Request, now: datetime = NOW, **kwargs: object) -> RuleOutput:
    kwargs.setdefault("frictions", FRICTIONS)
    ctx = make_ctx(now, requests=requests, **kwargs)
    return intake.evaluate(ctx, RuleOutput())


def codes(out: RuleOutput) -> list[tuple[str, str]]:
    return sorted((f.code, f.record) for f in out.findings)


# findings -----------------------------------------------------------------------------


def test_a_request_new_for_seven_days_is_a_finding_due_that_day(make_ctx: MakeCtx) -> None:
    six, seven = req("r6", date(2026, 11, 27)), req("r7", date(2026, 11, 26))
    out = run(make_ctx, six, seven)
    (finding,) = out.findings
    assert (finding.code, finding.record, finding.field) == (
        "intake.untriaged",
        "requests/r7",
        "status",
    )
    assert finding.due == date(2026, 12, 3)
    assert "waited 7 days" in finding.message and "Request r7" in finding.message


def test_the_triage_window_is_configurable(make_ctx: MakeCtx) -> None:
    settings = Settings(intake=IntakeSettings(triage_within_days=3))
    out = run(make_ctx, req("r", date(2026, 11, 30)), settings=settings)
    assert codes(out) == [("intake.untriaged", "requests/r")]
    assert out.findings[0].due == date(2026, 12, 3)
    assert run(make_ctx, req("r", date(2026, 12, 1)), settings=settings).findings == ()


def test_a_request_from_slack_is_treated_like_any_other(make_ctx: MakeCtx) -> None:
    slack = req("slack-1", date(2026, 11, 2), source="slack", link="https://slack.example/p1")
    assert codes(run(make_ctx, slack)) == [("intake.untriaged", "requests/slack-1")]


def test_a_triaged_request_is_no_longer_untriaged_whatever_its_age(make_ctx: MakeCtx) -> None:
    old = req("r", date(2026, 9, 1), "Triaged", friction="pings")
    assert run(make_ctx, old).findings == ()


def test_triaged_or_planned_without_a_friction_is_a_finding_declined_is_not(
    make_ctx: MakeCtx,
) -> None:
    out = run(
        make_ctx,
        req("t", date(2026, 12, 1), "triaged"),
        req("p", date(2026, 12, 1), "planned", friction="  "),
        req("d", date(2026, 12, 1), "declined"),
    )
    assert codes(out) == [
        ("intake.friction-missing", "requests/p"),
        ("intake.friction-missing", "requests/t"),
    ]


def test_a_friction_key_not_on_the_list_is_a_finding_any_letter_case_is_not(
    make_ctx: MakeCtx,
) -> None:
    out = run(
        make_ctx,
        req("ok", date(2026, 12, 1), "planned", friction="Surprise"),
        req("bad", date(2026, 12, 1), "declined", friction="visibility"),
    )
    (finding,) = out.findings
    assert (finding.code, finding.record) == ("intake.friction-unknown", "requests/bad")
    assert (
        "'visibility'" in finding.message and "surprise, pings, enablement-gaps" in finding.message
    )


def test_nothing_runs_unless_the_cadence_family_is_on(make_ctx: MakeCtx) -> None:
    phase = RolloutPhase(name="weekly only", starts_on=date(2026, 10, 1), rules=("weekly",))
    out = run(make_ctx, req("r", date(2026, 9, 1)), settings=Settings(rollout=(phase,)))
    assert out == RuleOutput()


# the frictions list ---------------------------------------------------------------------


def test_frictions_are_ranked_by_rank_then_unranked_then_key() -> None:
    unranked = Friction(key="a-unranked", title="Unranked")
    tie = Friction(key="a-tie", title="Tie", rank=2)
    order = frictions.ranked((*FRICTIONS, unranked, tie))
    assert [f.key for f in order] == ["surprise", "a-tie", "pings", "enablement-gaps", "a-unranked"]


def test_ritual_names_are_read_in_any_spelling() -> None:
    for name in ("Weekly Product Update", "weekly_update", "WEEKLY-UPDATE", "weekly  update"):
        assert frictions.ritual_named(name) == frictions.RITUALS[0]
    assert frictions.ritual_named("QBR") is frictions.ritual_named("Quarterly Planning/QBR")
    assert frictions.ritual_named("standup") is None


def test_an_unknown_ritual_in_reduced_by_is_a_finding(make_ctx: MakeCtx) -> None:
    bad = Friction(key="f", title="F", rank=1, reduced_by=("weekly update", "standup", "standup"))
    out = run(make_ctx, frictions=(bad,))
    (finding,) = out.findings
    assert (finding.code, finding.record, finding.field) == (
        "frictions.ritual-unknown",
        "frictions/f",
        "reduced_by",
    )
    assert "'standup'" in finding.message and "post-launch capture" in finding.message


# the weekly triage page -----------------------------------------------------------------


def test_no_triage_page_without_requests(make_ctx: MakeCtx) -> None:
    assert run(make_ctx).documents == ()


def test_the_page_is_the_current_iso_week_s(make_ctx: MakeCtx) -> None:
    (doc,) = run(make_ctx, req("r", date(2026, 12, 1))).documents
    assert (doc.key, doc.kind) == ("intake-triage/2026-W49", DocumentKind.INTAKE_TRIAGE)
    sunday = ny(2027, 1, 3, 12)  # ISO week 2026-W53
    (later,) = run(make_ctx, req("r", date(2026, 12, 1)), now=sunday).documents
    assert later.key == "intake-triage/2026-W53"


def test_untriaged_oldest_first_and_only_this_week_s_triage(make_ctx: MakeCtx) -> None:
    text = render(golden(make_ctx).document)
    untriaged = text.split("## Untriaged")[1].split("## Triaged this week")[0]
    assert untriaged.index("REQ-3") < untriaged.index("REQ-5") < untriaged.index("REQ-7")
    this_week = text.split("## Triaged this week")[1].split("## Requests by friction")[0]
    assert "REQ-6" in this_week and "REQ-1 " not in this_week


def golden(make_ctx: MakeCtx) -> GeneratedDocument:
    requests = (
        req(
            "REQ-1",
            date(2026, 10, 12),
            "planned",
            friction="enablement-gaps",
            triaged_on=date(2026, 10, 14),
            requested_by="ana",
        ),
        req("REQ-2", date(2026, 11, 2), "declined", triaged_on=date(2026, 11, 4)),
        req("REQ-3", date(2026, 11, 18), requested_by="chen", source="form"),
        req(
            "REQ-7",
            date(2026, 12, 2),
            source="slack",
            requested_by="@sam",
            link="https://slack.example/archives/C1/p1",
        ),
        req("REQ-5", date(2026, 11, 25), source="slack"),
        req(
            "REQ-6",
            date(2026, 11, 24),
            "triaged",
            friction="pings",
            triaged_on=date(2026, 12, 1),
        ),
        req("REQ-8", date(2026, 11, 30), "triaged", friction="typo", triaged_on=date(2026, 12, 2)),
    )
    (doc,) = run(make_ctx, *requests).documents
    return doc


def test_golden_intake_triage(make_ctx: MakeCtx) -> None:
    rendered = render(golden(make_ctx).document)
    path = GOLDEN / "intake-triage.md"
    if os.environ.get("OPSYNC_UPDATE_GOLDEN") == "1":
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")
