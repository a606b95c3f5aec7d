"""The rollout retros on the Acme organisation (rollout from Thursday 2026-10-01): each page
appears two business days before its retro with the phase's measures computed from acme's
records, keeps what people write under its prompts, and is left alone after its day."""

from __future__ import annotations

from pathlib import Path

from support import Cli


def _sync(cli: Cli, config: Path, now: str) -> None:
    result = cli("sync", "--config", str(config), "--now", now, "--quiet")
    assert result.exit_code == 0, result.report


def test_week_4_page_measures_the_pilot_phase_and_keeps_peoples_answers(
    cli: Cli, acme: Path
) -> None:
    retros = acme.parent / "pages" / "rollout-retro"
    _sync(cli, acme, "2026-10-23T09:00:00-04:00")  # Friday: three business days before
    assert not retros.exists()
    _sync(cli, acme, "2026-10-26T09:00:00-04:00")
    page = retros / "week-4.md"
    text = page.read_text(encoding="utf-8")
    assert sorted(p.name for p in retros.iterdir()) == ["week-4.md"]
    assert "Audience: the pilot pod's PMs." in text
    # Acme's W40 update came out at 16:05 and W42's on the Friday: 2 of 4 weeks.
    assert "| Weekly update published on time | every week | 2 of 4 weeks |" in text
    assert "Counted over Oct 1 to Oct 26 (the phase so far)" in text
    pilot = "| Pilot pod enablement bundle completed | 1+ release | {} | 🟢 **Met** |"
    assert pilot.format("1 release") in text  # Scheduled PDF reports (Dashboards)
    page.write_text(
        text.replace("## What's overhead?\n\n-", "## What's overhead?\n\n- Bundle FAQs"),
        encoding="utf-8",
    )
    _sync(cli, acme, "2026-10-28T17:00:00-04:00")  # the retro's day: measured again
    held = page.read_text(encoding="utf-8")
    assert "- Bundle FAQs" in held
    assert "Counted over Oct 1 to Oct 28 (the phase so far)" in held
    assert pilot.format("2 releases") in held  # the next Dashboards launch was on the 27th
    _sync(cli, acme, "2026-10-29T17:00:00-04:00")  # after its day: left as it was
    assert page.read_text(encoding="utf-8") == held


def test_week_8_and_week_12_pages_appear_on_their_days(cli: Cli, acme: Path) -> None:
    retros = acme.parent / "pages" / "rollout-retro"
    _sync(cli, acme, "2026-11-24T09:00:00-05:00")
    week8 = (retros / "week-8.md").read_text(encoding="utf-8")
    assert "Days 31-60 (Cadence + insights)" in week8
    assert "| Ad-hoc status pings reduced | ≥ 50% fewer than baseline | 26.1% fewer |" in week8
    _sync(cli, acme, "2026-12-24T09:00:00-05:00")  # two business days before Tue 29 Dec
    week12 = (retros / "week-12.md").read_text(encoding="utf-8")
    assert "# Week 12 (Day 90) Product Ops retrospective — December 29, 2026" in week12
    assert "| PM satisfaction | \\> 70% agree | 75% | 🟢 **Met** |" in week12
