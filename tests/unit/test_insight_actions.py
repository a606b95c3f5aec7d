"""R9 Monthly Insights Review actions: open until done, carried over to the next review, then
escalated; overdue and ownerless actions are findings; the digest lists them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from conftest import MakeCtx, ny
from opsync.documents.markdown import render
from opsync.documents.model import Text
from opsync.domain import Finding, InsightAction, Person
from opsync.domain.people import Role
from opsync.rules import digest, insight_actions, owners, scorecard
from opsync.rules.actions import subject
from opsync.rules.output import RuleOutput
from opsync.settings import OwnerSettings, RolloutPhase, Settings

# Default schedule: the Monthly Insights Review is the first Tuesday: Oct 6, Nov 3, Dec 1,
# then Jan 5, 2027. On Nov 25 the upcoming review is Dec 1.
TODAY = ny(2026, 11, 25, 10)
LEAD = Person(key="ops", name="Olga Ops", role=Role.PRODUCT_OPS)
HEAD = Person(key="hop", name="Hana Head", role=Role.HEAD_OF_PRODUCT)


def act(key: str, review: str | None = "2026-11", **changes: object) -> InsightAction:
    base = InsightAction(
        key=key,
        action=f"Action {key}",
        owner="ana",
        review=review,
        theme="onboarding",
        due_on=date(2026, 11, 30),
    )
    return base.model_copy(update=changes)


def findings(
    make_ctx: MakeCtx, *actions: InsightAction, now: datetime = TODAY, **kw: object
) -> list[Finding]:
    ctx = make_ctx(now, insight_actions=actions, **kw)
    return list(insight_actions.evaluate(ctx, RuleOutput()).findings)


def codes(found: list[Finding]) -> list[tuple[str, str]]:
    return [(f.code, f.record) for f in found]


def page(make_ctx: MakeCtx, *actions: InsightAction, now: datetime = TODAY) -> str:
    ctx = make_ctx(now, insight_actions=actions)
    [doc] = digest.evaluate(ctx, RuleOutput()).documents
    return render(doc.document)


def test_an_open_action_from_the_last_review_is_carried_over_not_escalated(
    make_ctx: MakeCtx,
) -> None:
    assert findings(make_ctx, act("a1")) == []
    text = page(make_ctx, act("a1"))
    assert "### Carried over from November 2026" in text
    assert "| Action a1 | Onboarding | Ana Ruiz | November 2026 | Nov 30 |" in text
    assert "### Escalated" not in text


def test_still_open_after_the_review_it_was_carried_to_it_escalates_to_the_next(
    make_ctx: MakeCtx,
) -> None:
    october = act("a1", "2026-10", due_on=None)
    [finding] = findings(make_ctx, october)
    assert finding.code == "insight-actions.escalated"
    assert finding.record == "insight_actions/a1"
    assert finding.due == date(2026, 12, 1)  # the second review after October's
    assert "still open at the review on 2026-11-03" in finding.message
    assert "Ana Ruiz should complete it and set done_on" in finding.message
    text = page(make_ctx, october)
    assert "### Escalated: still open after the review they were carried to" in text
    assert "| Action a1 | Onboarding | Ana Ruiz | October 2026 | — |" in text


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (ny(2026, 12, 1, 23), []),  # the review it is carried to is still today
        (ny(2026, 12, 2, 0), [("insight-actions.escalated", "insight_actions/a1")]),
    ],
)
def test_escalation_starts_the_day_after_the_review_it_was_carried_to(
    make_ctx: MakeCtx, now: datetime, expected: list[tuple[str, str]]
) -> None:
    november = act("a1", "2026-11", due_on=None)
    found = findings(make_ctx, november, now=now)
    assert codes(found) == expected
    if found:
        assert found[0].due == date(2027, 1, 5)


def test_the_escalation_reaches_its_owner_and_the_escalation_target_once(
    make_ctx: MakeCtx,
) -> None:
    team = (*make_ctx(TODAY).snapshot.people, LEAD, HEAD)
    ctx = make_ctx(TODAY, insight_actions=(act("a1", "2026-10"),), people=team)
    earlier = insight_actions.evaluate(ctx, RuleOutput())
    escalated = next(f for f in earlier.findings if f.code == "insight-actions.escalated")
    assert owners.owner_of(escalated, ctx, "ops") == "ana"
    out = owners.evaluate(ctx, earlier)
    [note] = [n for n in out.notifications if n.key.startswith("escalation/")]
    assert note.channel == "dm:hop"
    assert note.key == "escalation/insight_actions/a1/insight-actions.escalated"
    assert "still open after the review it was carried to" in note.text
    settings = Settings(owners=OwnerSettings(escalate_to="#product-leads"))
    routed = owners.evaluate(replace(ctx, settings=settings), earlier)
    assert [n.channel for n in routed.notifications if n.key.startswith("escalation/")] == [
        "#product-leads"
    ]


def test_an_action_past_its_due_day_is_its_owners_finding(make_ctx: MakeCtx) -> None:
    late = act("late", due_on=date(2026, 11, 24))
    today = act("today", due_on=date(2026, 11, 25))
    [finding] = findings(make_ctx, late, today)
    assert (finding.code, finding.record, finding.due) == (
        "insight-actions.overdue",
        "insight_actions/late",
        date(2026, 11, 24),
    )
    assert owners.owner_of(finding, make_ctx(TODAY, insight_actions=(late,)), "ops") == "ana"
    assert "| Action late | Onboarding | Ana Ruiz | November 2026 | Nov 24 (overdue) |" in page(
        make_ctx, late
    )


def test_an_action_with_no_owner_or_an_unknown_one_goes_to_product_ops(make_ctx: MakeCtx) -> None:
    nobody, stranger = act("nobody", owner=None), act("stranger", owner="zoe")
    found = findings(make_ctx, nobody, stranger)
    assert codes(found) == [
        ("insight-actions.owner-unknown", "insight_actions/nobody"),
        ("insight-actions.owner-unknown", "insight_actions/stranger"),
    ]
    assert "has no owner" in found[0].message
    assert "names “zoe”, who is not a configured person" in found[1].message
    assert {f.due for f in found} == {date(2026, 12, 1)}
    ctx = make_ctx(TODAY, insight_actions=(nobody, stranger))
    assert {owners.owner_of(f, ctx, "ops") for f in found} == {"ops"}
    text = page(make_ctx, nobody, stranger)
    assert "| Action nobody | Onboarding | none |" in text
    assert "| Action stranger | Onboarding | unknown (zoe) |" in text


def test_an_escalated_action_with_an_unknown_owner_is_left_for_the_lead_to_assign(
    make_ctx: MakeCtx,
) -> None:
    orphan = act("orphan", "2026-10", owner="zoe", due_on=None)
    found = findings(make_ctx, orphan)
    assert sorted(f.code for f in found) == [
        "insight-actions.escalated",
        "insight-actions.owner-unknown",
    ]
    escalated = next(f for f in found if f.code == "insight-actions.escalated")
    ctx = make_ctx(TODAY, insight_actions=(orphan,))
    assert owners.owner_of(escalated, ctx, "ops") is None  # unassigned, on the lead's list
    assert "Its owner should complete it" in escalated.message


@pytest.mark.parametrize(
    ("review", "says"),
    [
        (None, "has no review month"),
        ("November", "has review “November”, which is not a month such as 2026-11"),
        ("2026-13", "which is not a month"),
        ("2027-01", "names the 2027-01 review, which has not been held yet"),
    ],
)
def test_an_action_that_cannot_be_placed_on_the_reviews_is_product_ops_to_fix(
    make_ctx: MakeCtx, review: str | None, says: str
) -> None:
    [finding] = findings(make_ctx, act("a1", review, due_on=None))
    assert finding.code == "insight-actions.review-invalid"
    assert says in finding.message
    assert "### Open, with a review month to fix" in page(make_ctx, act("a1", review))


@pytest.mark.parametrize("written", [date(2026, 11, 3), "2026-11-03", " 2026-11-03 ", "2026-11"])
def test_the_review_day_written_as_a_date_or_text_is_read_as_its_month(written: object) -> None:
    action = InsightAction.model_validate(
        {"key": "a1", "action": "Call the churned accounts", "review": written}
    )
    assert action.review == "2026-11"
    assert insight_actions.assigned_review(action, Settings().insights) == date(2026, 11, 3)


def test_done_actions_raise_nothing_and_show_when_completed_since_the_last_review(
    make_ctx: MakeCtx,
) -> None:
    actions = (
        act("before", "2026-10", done_on=date(2026, 11, 2)),  # done before the last review
        act("on-review-day", "2026-10", done_on=date(2026, 11, 3), due_on=date(2026, 11, 1)),
        act("this-week", "2026-11", done_on=date(2026, 11, 23), due_on=date(2026, 11, 24)),
    )
    assert findings(make_ctx, *actions) == []
    text = page(make_ctx, *actions)
    completed = text.split("### Completed since the last review")[1]
    assert "| Action on-review-day | Onboarding | Ana Ruiz | October 2026 | Nov 1 | Nov 3 |" in (
        completed
    )
    assert "| Action this-week |" in completed
    assert "Action before" not in completed
    assert "No action from an earlier review is open." in text


def test_completion_rate_counts_actions_done_by_their_due_day(make_ctx: MakeCtx) -> None:
    actions = (
        act("early", done_on=date(2026, 11, 20)),  # due Nov 30, done: counted, on time
        act("late", done_on=date(2026, 11, 24), due_on=date(2026, 11, 20)),  # counted, late
        act("missed", due_on=date(2026, 11, 24)),  # past due, open: counted, not done
        act("pending"),  # due Nov 30, open: outcome unknown, not counted
        act("undated", due_on=None, done_on=date(2026, 11, 10)),  # no due date: not counted
    )
    assert insight_actions.completion(actions, date(2026, 11, 25)) == (1, 3)
    text = page(make_ctx, *actions)
    assert "Completion: 1 of 3 insight actions done by their due date (33%;" in text
    assert "no insight action has reached its due date yet" in page(make_ctx, act("pending"))


def test_nothing_is_tracked_where_the_insights_rules_are_not_rolled_out(
    make_ctx: MakeCtx,
) -> None:
    later = Settings(rollout=(RolloutPhase(name="later", starts_on=date(2027, 1, 1)),))
    assert findings(make_ctx, act("a1", "2026-10"), settings=later) == []
    ctx = make_ctx(TODAY, settings=later, insight_actions=(act("a1", "2026-10"),))
    assert digest.evaluate(ctx, RuleOutput()).documents == ()


def test_people_note_new_actions_in_a_table_outside_the_regions(make_ctx: MakeCtx) -> None:
    text = page(make_ctx, act("a1"))
    people = text.split("<!-- opsync:end insights-actions -->")[1]
    assert "## Actions + owners" in people
    assert r"insight\_actions record (action, owner, review: 2026-12, theme, due\_on)" in people
    assert "| Theme | Action | Owner | Due | Next step |" in people
    assert "opsync:begin" not in people


def test_the_action_list_names_an_action_by_its_kind_and_key(make_ctx: MakeCtx) -> None:
    [finding] = findings(make_ctx, act("IA-7", due_on=date(2026, 11, 2)))
    assert subject(finding, {}) == Text(text="Insight action IA-7")


def test_the_scorecard_counts_insight_actions_beside_ritual_adoption(make_ctx: MakeCtx) -> None:
    actions = (act("on-time", done_on=date(2026, 11, 20)), act("missed", due_on=date(2026, 11, 2)))
    ctx = make_ctx(TODAY, insight_actions=actions)
    adoption = scorecard.ritual_adoption(ctx, [])
    assert adoption.basis == "No artifact due yet; insight actions 1/2 done by their due date"
    assert (adoption.numerator, adoption.denominator) == (0, 0)  # the metric is unchanged
    none_due = make_ctx(TODAY, insight_actions=(act("pending"),))
    assert scorecard.ritual_adoption(none_due, []).basis == "No artifact due yet"
