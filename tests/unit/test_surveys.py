"""The post-release survey and the quarterly PM pulse (rules/surveys.py): who is asked,
when, and under which key (the key is what sends each once)."""

from __future__ import annotations

from datetime import date, datetime

from conftest import MakeCtx, ny
from opsync.domain import Release, Role, Tier
from opsync.rules import surveys
from opsync.rules.output import RuleOutput
from opsync.settings import Settings, SurveySettings

CHANNELS = Settings(surveys=SurveySettings(stakeholder_channels=("#sales", "#support")))


def release(key: str, tier: Tier, launch: date, **extra: object) -> Release:
    return Release(key=key, title=f"Release {key}", tier=tier, launch_date=launch, **extra)


def keys(make_ctx: MakeCtx, now: datetime, settings: Settings, **records: object) -> list[str]:
    out = surveys.evaluate(make_ctx(now, settings, **records), RuleOutput())
    return [n.key for n in out.notifications]


def test_each_stakeholder_channel_is_asked_about_a_tier_2_or_3_launch(
    make_ctx: MakeCtx,
) -> None:
    launched = (
        release("R2", Tier.MEDIUM, date(2026, 12, 3)),
        release("R1", Tier.LOW, date(2026, 12, 3)),  # Tier 1: no survey
        release("R3", Tier.HIGH, date(2026, 12, 8)),  # not launched yet
        release("RX", Tier.HIGH, date(2026, 12, 2), launched=False),  # called off
    )
    found = keys(make_ctx, ny(2026, 12, 3, 15), CHANNELS, releases=launched)
    assert found == ["survey/R2/sales", "survey/R2/support"]
    ctx = make_ctx(ny(2026, 12, 3, 15), CHANNELS, releases=launched)
    note = surveys.evaluate(ctx, RuleOutput())
    assert "Were you aware of Release R2 before it shipped? React ✅ yes / ❌ no" in (
        note.notifications[0].text
    )


def test_a_survey_is_sent_on_a_later_run_only_within_the_window(make_ctx: MakeCtx) -> None:
    launched = (release("R2", Tier.MEDIUM, date(2026, 11, 30)),)
    assert keys(make_ctx, ny(2026, 12, 3, 9), CHANNELS, releases=launched)  # 3 days later
    assert not keys(make_ctx, ny(2026, 12, 4, 9), CHANNELS, releases=launched)  # 4: too late


def test_no_stakeholder_channels_means_no_survey(make_ctx: MakeCtx) -> None:
    launched = (release("R2", Tier.MEDIUM, date(2026, 12, 3)),)
    assert not keys(make_ctx, ny(2026, 12, 3, 15), Settings(), releases=launched)


def test_the_pm_pulse_goes_to_each_pm_by_dm_on_its_business_day(make_ctx: MakeCtx) -> None:
    settings = Settings(surveys=SurveySettings(pulse_business_day=3))
    # Q4 starts Thu Oct 1, 2026: business days Oct 1, 2, 5 -> the pulse is due Mon Oct 5
    assert not keys(make_ctx, ny(2026, 10, 2, 9), settings)
    found = keys(make_ctx, ny(2026, 10, 5, 9), settings)
    ctx = make_ctx(ny(2026, 10, 5, 9), settings)
    pms = sorted(p.key for p in ctx.snapshot.people if p.role is Role.PM)
    assert pms and found == [f"pulse/2026-Q4/{pm}" for pm in pms]
    assert not keys(make_ctx, ny(2026, 10, 9, 9), settings)  # past send_within_days
