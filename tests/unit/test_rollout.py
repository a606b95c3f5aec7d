"""Rollout by phase (pack section 7): rule families switch on for a pilot area first, then
org-wide; a record with no area only follows phases that cover every area."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from conftest import MakeCtx, ny
from opsync.calendar import BusinessCalendar
from opsync.domain import Bundle, BundleState, Release, SurveyAnswer, Tier
from opsync.rules import cadence, scorecard
from opsync.rules.output import RuleOutput
from opsync.rules.rollout import rollout_retros, rollout_start
from opsync.settings import RolloutPhase, RuleFamily, Settings

AREAS = ("billing", "onboarding", "reporting")
PILOT = RolloutPhase(
    name="pilot pod",
    starts_on=date(2026, 10, 1),
    areas=("billing",),
    rules=("weekly", "enablement", "cadence"),
)
ORG_WIDE = RolloutPhase(
    name="org-wide",
    starts_on=date(2026, 11, 16),
    rules=("weekly", "enablement", "cadence", "roadmap"),
)
PHASED = Settings(rollout=(ORG_WIDE, PILOT))  # order of phases does not matter


def test_without_phases_every_family_applies_everywhere() -> None:
    settings = Settings()
    assert all(settings.enabled(f, None, date(2020, 1, 1)) for f in RuleFamily)
    assert settings.enabled(RuleFamily.INSIGHTS, "anything", date(2020, 1, 1))


def test_nothing_applies_before_the_pilot_starts() -> None:
    day = date(2026, 9, 30)
    assert not PHASED.enabled(RuleFamily.WEEKLY, "billing", day)
    assert not PHASED.enabled_anywhere(RuleFamily.WEEKLY, AREAS, day)


def test_pilot_phase_covers_its_area_and_families_only() -> None:
    day = date(2026, 10, 1)
    assert PHASED.enabled(RuleFamily.ENABLEMENT, "billing", day)
    assert not PHASED.enabled(RuleFamily.ENABLEMENT, "onboarding", day)
    assert not PHASED.enabled(RuleFamily.ROADMAP, "billing", day)  # not a pilot family
    assert not PHASED.enabled(RuleFamily.ENABLEMENT, None, day)  # no area: not in the pilot
    assert PHASED.enabled_anywhere(RuleFamily.ENABLEMENT, AREAS, day)
    assert not PHASED.enabled_anywhere(RuleFamily.ROADMAP, AREAS, day)


def test_org_wide_phase_extends_areas_and_families_from_its_start() -> None:
    before, start = date(2026, 11, 15), date(2026, 11, 16)
    assert not PHASED.enabled(RuleFamily.ENABLEMENT, "onboarding", before)
    assert PHASED.enabled(RuleFamily.ENABLEMENT, "onboarding", start)
    assert PHASED.enabled(RuleFamily.ENABLEMENT, None, start)
    assert PHASED.enabled(RuleFamily.ROADMAP, "reporting", start)
    assert PHASED.enabled(RuleFamily.ROADMAP, None, start)
    # Families no phase names stay off, in every area and for records without one.
    for family in (RuleFamily.INSIGHTS, RuleFamily.DECISIONS, RuleFamily.POST_LAUNCH):
        assert not PHASED.enabled_anywhere(family, AREAS, date(2027, 6, 1))


def test_phase_rules_are_families_or_star() -> None:
    phase = RolloutPhase.model_validate(
        {"name": "p", "starts_on": "2026-10-01", "rules": ["weekly", "*"]}
    )
    assert phase.rules == (RuleFamily.WEEKLY, "*")
    with pytest.raises(ValidationError, match="unknown rule families"):
        RolloutPhase.model_validate({"name": "p", "starts_on": "2026-10-01", "rules": ["weeky"]})


def launched(key: str, area: str | None, *, bundle: bool) -> Release:
    return Release(
        key=key,
        title=f"Release {key}",
        tier=Tier.MEDIUM,
        launch_date=date(2026, 10, 29),
        product_area=area,
        bundle=Bundle(state=BundleState.PUBLISHED, published_on=date(2026, 10, 26))
        if bundle
        else Bundle(),
    )


RELEASES = (
    launched("bill", "billing", bundle=True),
    launched("onb", "onboarding", bundle=False),
    launched("orphan", None, bundle=False),
)
ANSWERS = (
    SurveyAnswer(key="a1", release_key="bill", respondent="s1", aware_before_ship=True),
    SurveyAnswer(key="a2", release_key="onb", respondent="s2", aware_before_ship=False),
)


def test_scorecard_measures_the_pilot_then_the_org(make_ctx: MakeCtx) -> None:
    pilot = make_ctx(ny(2026, 11, 2, 9), PHASED, releases=RELEASES, survey_answers=ANSWERS)
    coverage = scorecard.enablement_coverage(pilot)
    assert (coverage.numerator, coverage.denominator) == (1, 1)  # billing only
    surprise = scorecard.stakeholder_surprise(pilot)
    assert (surprise.numerator, surprise.denominator) == (0, 1)
    org = make_ctx(ny(2026, 11, 16, 9), PHASED, releases=RELEASES, survey_answers=ANSWERS)
    coverage = scorecard.enablement_coverage(org)
    assert (coverage.numerator, coverage.denominator) == (1, 3)  # the area-less one too
    (doc,) = scorecard.evaluate(org, RuleOutput()).documents
    assert "Status pings" in str(doc.document)  # weekly is on: its metric is shown


def test_cadence_events_follow_each_phase_from_its_own_day(make_ctx: MakeCtx) -> None:
    conf = PHASED.model_copy(
        update={
            "roadmap": PHASED.roadmap.model_copy(update={"first_review": date(2026, 11, 3)}),
            "cadence": PHASED.cadence.model_copy(update={"horizon_days": 30}),
        }
    )
    upcoming = (
        Release(
            key="b",
            title="Billing",
            tier=Tier.HIGH,
            launch_date=date(2026, 11, 12),
            product_area="billing",
        ),
        Release(
            key="o",
            title="Onboarding",
            tier=Tier.HIGH,
            launch_date=date(2026, 11, 12),
            product_area="onboarding",
        ),
        Release(
            key="o2",
            title="Later",
            tier=Tier.HIGH,
            launch_date=date(2026, 11, 20),
            product_area="onboarding",
        ),
    )
    out = cadence.evaluate(make_ctx(ny(2026, 11, 2, 9), conf, releases=upcoming), RuleOutput())
    uids = {e.uid for e in out.events}
    # Roadmap reviews start with the org-wide phase: not on 3 Nov, yes on 17 Nov.
    assert "roadmap-review-2026-11-03@opsync" not in uids
    assert "roadmap-review-2026-11-17@opsync" in uids
    # Readiness checks follow the release's area on the check's day.
    assert "readiness-check-b@opsync" in uids
    assert "readiness-check-o@opsync" not in uids  # 10 Nov: onboarding not yet in rollout
    assert "readiness-check-o2@opsync" in uids  # 19 Nov: org-wide
    assert "weekly-update-2026-W45@opsync" in uids  # weekly runs for the pilot already
    assert not [u for u in uids if u.startswith("insights-review-")]  # never switched on


def test_rollout_retros_fall_on_days_28_56_and_90_moved_to_business_days(
    calendar: BusinessCalendar,
) -> None:
    """Acme's rollout starts Thursday 2026-10-01: Day 28 is Wednesday Oct 28, Day 56 the
    Wednesday before Thanksgiving, Day 90 Tuesday Dec 29 (the pack: "Week 12 (Day 90)")."""
    settings = Settings(rollout=(ORG_WIDE, PILOT))
    retros = rollout_retros(settings, calendar)
    assert [(r.key, r.day_number, r.held_on) for r in retros] == [
        ("week-4", 28, date(2026, 10, 28)),
        ("week-8", 56, date(2026, 11, 25)),
        ("week-12", 90, date(2026, 12, 29)),
    ]
    assert "pilot pod" in retros[0].audience
    assert rollout_start(settings) == date(2026, 10, 1)


def test_a_retro_on_a_weekend_moves_to_the_next_business_day(calendar: BusinessCalendar) -> None:
    # Day 28 from Sunday 2026-11-01 is Saturday Nov 28: held Monday Nov 30.
    settings = Settings(rollout=(RolloutPhase(name="all", starts_on=date(2026, 11, 1)),))
    week4 = rollout_retros(settings, calendar)[0]
    assert week4.nominal == date(2026, 11, 28)
    assert week4.held_on == date(2026, 11, 30)


def test_no_phases_means_no_rollout_retros(calendar: BusinessCalendar) -> None:
    assert rollout_retros(Settings(), calendar) == ()
