"""R7 post-launch capture: Day 3 check-in and Day 14 retro pages, due dates, findings."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from conftest import MakeCtx, ny
from opsync.documents.markdown import render
from opsync.documents.model import Region
from opsync.domain import PostLaunch, Release, Tier
from opsync.rules import RuleOutput
from opsync.rules.output import DocumentKind, GeneratedDocument
from opsync.rules.postlaunch import evaluate
from opsync.settings import PostLaunchSettings, RolloutPhase, RuleFamily, Settings

GOLDEN = Path(__file__).parent.parent / "golden"
T2 = Release(
    key="inv",
    title="Usage-based invoices",
    tier=Tier.MEDIUM,
    launch_date=date(2026, 12, 10),  # Day 3 Sun Dec 13, due Mon Dec 14; Day 14 due Thu Dec 24
    product_area="billing",
    pm="ana",
)
T3 = Release(
    key="sso",
    title="SAML single sign-on",
    tier=Tier.HIGH,
    launch_date=date(2027, 1, 4),  # Day 14 is Mon Jan 18 2027, MLK Day: due Tue Jan 19
    product_area="onboarding",
    pm="ben",
)


def assert_golden(name: str, rendered: str) -> None:
    path = GOLDEN / name
    if os.environ.get("OPSYNC_UPDATE_GOLDEN") == "1":
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


def documents(out: RuleOutput) -> dict[str, GeneratedDocument]:
    return {d.key: d for d in out.documents}


def codes(out: RuleOutput) -> list[str]:
    return sorted(f.code for f in out.findings)


def done(release: Release, **changes: object) -> Release:
    return release.model_copy(update={"post_launch": PostLaunch.model_validate(changes)})


def test_due_dates_are_calendar_days_after_launch_moved_off_days_off(make_ctx: MakeCtx) -> None:
    out = evaluate(make_ctx(ny(2026, 12, 1, 9), releases=(T2, T3)), RuleOutput())
    assert out.derived["releases/inv"] == {
        "day3_due": date(2026, 12, 14),  # L + 3 is a Sunday
        "day14_due": date(2026, 12, 24),
    }
    assert out.derived["releases/sso"]["day14_due"] == date(2027, 1, 19)  # L + 14 is MLK Day
    assert out.documents == () and out.findings == ()


def test_day3_page_appears_on_its_due_day(make_ctx: MakeCtx) -> None:
    before = evaluate(make_ctx(ny(2026, 12, 13, 20), releases=(T2,)), RuleOutput())
    assert documents(before) == {}
    due = evaluate(make_ctx(ny(2026, 12, 14, 9), releases=(T2,)), RuleOutput())
    page = documents(due)["post-launch/inv/day3"]
    assert page.kind is DocumentKind.POST_LAUNCH_DAY3 and page.record == "releases/inv"
    assert codes(due) == []


def test_day3_overdue_from_the_next_new_york_day(make_ctx: MakeCtx) -> None:
    # 23:00 in New York on the due day is already Dec 15 in UTC: not overdue yet.
    evening = evaluate(make_ctx(ny(2026, 12, 14, 23), releases=(T2,)), RuleOutput())
    assert codes(evening) == []
    late = evaluate(make_ctx(ny(2026, 12, 15, 9), releases=(T2,)), RuleOutput())
    assert codes(late) == ["post-launch.day3-overdue"]
    assert "Usage-based invoices" in late.findings[0].message
    recorded = done(T2, day3_done_on=date(2026, 12, 15))
    assert codes(evaluate(make_ctx(ny(2026, 12, 15, 9), releases=(recorded,)), RuleOutput())) == []


def test_day14_page_and_overdue(make_ctx: MakeCtx) -> None:
    checked = done(T2, day3_done_on=date(2026, 12, 13))
    due = evaluate(make_ctx(ny(2026, 12, 24, 9), releases=(checked,)), RuleOutput())
    assert set(documents(due)) == {"post-launch/inv/day3", "post-launch/inv/day14"}
    assert documents(due)["post-launch/inv/day14"].kind is DocumentKind.POST_LAUNCH_DAY14
    assert codes(due) == []
    late = evaluate(make_ctx(ny(2026, 12, 25, 9), releases=(checked,)), RuleOutput())
    assert codes(late) == ["post-launch.day14-overdue"]


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ((), ["post-launch.too-few-action-items"]),
        (("", "  "), ["post-launch.too-few-action-items"]),
        (("Move FAQ review earlier",), []),
        (("a", "b", "c"), []),
        (("a", "b", "c", "d"), ["post-launch.too-many-action-items"]),
    ],
)
def test_retro_action_items(make_ctx: MakeCtx, items: tuple[str, ...], expected: list[str]) -> None:
    retro = done(
        T2, day3_done_on=date(2026, 12, 13), day14_done_on=date(2026, 12, 24), action_items=items
    )
    out = evaluate(make_ctx(ny(2027, 1, 5, 9), releases=(retro,)), RuleOutput())
    assert codes(out) == expected


def test_action_items_are_not_judged_before_the_retro_is_done(make_ctx: MakeCtx) -> None:
    pending = done(T2, day3_done_on=date(2026, 12, 13), action_items=("a", "b", "c", "d"))
    out = evaluate(make_ctx(ny(2026, 12, 20, 9), releases=(pending,)), RuleOutput())
    assert codes(out) == []


def test_only_launched_tier2_and_tier3_releases(make_ctx: MakeCtx) -> None:
    slipped = T2.model_copy(update={"key": "slip", "launched": False})
    minor = T2.model_copy(update={"key": "copy", "tier": Tier.LOW})
    untiered = T2.model_copy(update={"key": "what", "tier": None})
    out = evaluate(make_ctx(ny(2026, 12, 30, 9), releases=(slipped, minor, untiered)), RuleOutput())
    assert out.documents == () and out.findings == () and out.notifications == ()
    assert out.derived["releases/copy"] == {"day3_due": None, "day14_due": None}


def test_day3_thread_posted_once_while_useful(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(ny(2026, 12, 14, 9), releases=(T2, T2.model_copy(update={"key": "inv2"})))
    first, again = evaluate(ctx, RuleOutput()), evaluate(ctx, RuleOutput())
    keys = [n.key for n in first.notifications]
    assert keys == ["post-launch-day3/inv", "post-launch-day3/inv2"]
    assert first.notifications == again.notifications
    assert first.notifications[0].channel == "#product-ops"
    assert "customer confusion" in first.notifications[0].text
    recorded = done(T2, day3_done_on=date(2026, 12, 14))
    quiet = evaluate(make_ctx(ny(2026, 12, 14, 9), releases=(recorded,)), RuleOutput())
    assert quiet.notifications == ()
    stale = evaluate(make_ctx(ny(2026, 12, 25, 9), releases=(T2,)), RuleOutput())
    assert [n for n in stale.notifications if n.key.startswith("post-launch-day3/")] == []
    off = Settings(post_launch=PostLaunchSettings(day3_channel=""))
    assert (
        evaluate(make_ctx(ny(2026, 12, 14, 9), off, releases=(T2,)), RuleOutput()).notifications
        == ()
    )


def test_day14_reminder_goes_to_the_pm_with_the_retro_page_until_recorded(
    make_ctx: MakeCtx,
) -> None:
    due = evaluate(make_ctx(ny(2026, 12, 25, 9), releases=(T2,)), RuleOutput())
    [reminder] = [n for n in due.notifications if n.key == "post-launch-day14/inv"]
    assert reminder.channel == f"dm:{T2.pm}"
    assert reminder.announces == "post-launch/inv/day14"
    assert "Day 14 retro" in reminder.text and "async" in reminder.text
    early = evaluate(make_ctx(ny(2026, 12, 13, 9), releases=(T2,)), RuleOutput())
    assert not [n for n in early.notifications if n.key.startswith("post-launch-day14/")]
    recorded = done(T2, day14_done_on=date(2026, 12, 24))
    after = evaluate(make_ctx(ny(2026, 12, 25, 9), releases=(recorded,)), RuleOutput())
    assert not [n for n in after.notifications if n.key.startswith("post-launch-day14/")]


def test_day3_page_matches_golden(make_ctx: MakeCtx) -> None:
    out = evaluate(make_ctx(ny(2026, 12, 14, 9), releases=(T2,)), RuleOutput())
    doc = documents(out)["post-launch/inv/day3"].document
    assert [b.key for b in doc.children if isinstance(b, Region)] == ["post-launch.header"]
    assert_golden("post-launch-day3.md", render(doc))


def test_day14_page_matches_golden(make_ctx: MakeCtx) -> None:
    out = evaluate(make_ctx(ny(2027, 1, 19, 9), releases=(T3,)), RuleOutput())
    markdown = render(documents(out)["post-launch/sso/day14"].document)
    assert "Format: 15-min sync (Tier 3)." in markdown
    assert "## Action items (1-3)" in markdown
    assert_golden("post-launch-day14.md", markdown)


def test_tier2_retro_is_async_and_page_is_stable(make_ctx: MakeCtx) -> None:
    first = evaluate(make_ctx(ny(2026, 12, 24, 9), releases=(T2,)), RuleOutput())
    later = evaluate(make_ctx(ny(2026, 12, 24, 18), releases=(T2,)), RuleOutput())
    page = documents(first)["post-launch/inv/day14"]
    assert page == documents(later)["post-launch/inv/day14"]
    assert "Format: async (Tier 2)." in render(page.document)


def test_rollout_area_not_in_pilot_gets_nothing(make_ctx: MakeCtx) -> None:
    pilot = Settings(
        rollout=(
            RolloutPhase(
                name="pilot",
                starts_on=date(2026, 11, 1),
                areas=("onboarding",),
                rules=(RuleFamily.POST_LAUNCH,),
            ),
        )
    )
    out = evaluate(make_ctx(ny(2026, 12, 30, 9), pilot, releases=(T2,)), RuleOutput())
    assert (out.documents, out.findings, out.notifications) == ((), (), ())
    assert out.derived == {"releases/inv": {"day3_due": None, "day14_due": None}}


def _rollout(starts_on: date) -> Settings:
    return Settings(rollout=(RolloutPhase(name="adopted", starts_on=starts_on),))


def test_no_capture_for_launches_from_before_the_rollout_and_its_look_back(
    make_ctx: MakeCtx,
) -> None:
    # post-launch rules switched on Dec 28: T2 launched Dec 10 is 18 days before, beyond
    # the default 14-day look-back; one launched Dec 17 is inside it
    adopted = _rollout(date(2026, 12, 28))
    recent = T2.model_copy(update={"key": "recent", "launch_date": date(2026, 12, 17)})
    out = evaluate(make_ctx(ny(2026, 12, 28, 9), adopted, releases=(T2, recent)), RuleOutput())
    assert set(documents(out)) == {"post-launch/recent/day3"}
    assert {f.record for f in out.findings} == {"releases/recent"}
    assert {n.key for n in out.notifications} == {"post-launch-day3/recent"}
    # out of scope, its dates are written empty: a date an earlier scope gave it goes
    assert out.derived["releases/inv"] == {"day3_due": None, "day14_due": None}
    wider = Settings(post_launch=PostLaunchSettings(lookback_days=30), rollout=adopted.rollout)
    out = evaluate(make_ctx(ny(2026, 12, 28, 9), wider, releases=(T2,)), RuleOutput())
    assert set(documents(out)) == {"post-launch/inv/day3", "post-launch/inv/day14"}


def test_a_launch_on_the_rollout_day_less_the_look_back_is_covered(make_ctx: MakeCtx) -> None:
    adopted = _rollout(date(2026, 12, 24))  # T2's launch + 14 days
    out = evaluate(make_ctx(ny(2026, 12, 24, 9), adopted, releases=(T2,)), RuleOutput())
    assert "post-launch/inv/day14" in documents(out)
    no_look_back = Settings(
        post_launch=PostLaunchSettings(lookback_days=0), rollout=adopted.rollout
    )
    out = evaluate(make_ctx(ny(2026, 12, 24, 9), no_look_back, releases=(T2,)), RuleOutput())
    assert (out.documents, out.findings, out.notifications) == ((), (), ())
    assert out.derived == {"releases/inv": {"day3_due": None, "day14_due": None}}
