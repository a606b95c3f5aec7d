"""The issue's acceptance scenarios, through the CLI, on the bundled Acme organisation."""

from __future__ import annotations

import re
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import ACME_NOW, Cli, files, tree

from opsync.connectors import charts
from opsync.rules.codes import CODES
from opsync.rules.output import DocumentKind


def _sync(cli: Cli, config: Path, *extra: str) -> tuple[int, dict[str, object]]:
    result = cli("sync", "--config", str(config), "--now", ACME_NOW, "--quiet", *extra)
    return result.exit_code, result.report


def test_first_sync_produces_every_generated_document(cli: Cli, acme: Path) -> None:
    code, report = _sync(cli, acme)
    assert code == 0, report
    pages = acme.parent / "pages"
    made = {p.relative_to(pages).parts[0] for p in pages.rglob("*.md")}
    assert made >= {
        "weekly-update",
        "roadmap-view",
        "bundle",
        "post-launch",
        "readiness",
        "insights-digest",
        "decision-review",
        "scorecard",
        "action-list.md",
        "intake-triage",
    }
    assert (pages / "rituals.ics").is_file()
    kinds = {d.value for d in DocumentKind}
    # the prep page, the QBR pack and the rollout retros appear from their own publication
    # days (tests below and in test_acme_retros.py)
    assert len(kinds) == 14
    assert report["writes"] == report["planned"] and report["writes"] > 0
    assert report["requests"]["local"]["writes"] == report["writes"]


def test_the_qbr_pack_appears_on_its_publication_day_and_the_triage_page_each_week(
    cli: Cli, acme: Path
) -> None:
    """2027-Q1's planning is Monday Jan 4 (New Year's Day is a Friday); 5 business days
    before it, past Acme's Christmas days off, is Tuesday Dec 22."""
    pages = acme.parent / "pages"
    triage = (pages / "intake-triage" / "2026-W49.md").as_posix()
    _sync(cli, acme)
    text = Path(triage).read_text(encoding="utf-8")
    assert "REQ-005 · One view of the open Launch Readiness Checks" in text
    assert "Overdue since Nov 26" in text
    result = cli("sync", "--config", str(acme), "--now", "2026-12-21T17:00:00-05:00", "--quiet")
    assert result.exit_code == 0 and not (pages / "qbr").exists()
    result = cli("sync", "--config", str(acme), "--now", "2026-12-22T09:00:00-05:00", "--quiet")
    assert result.exit_code == 0
    text = (pages / "qbr" / "2027-Q1.md").read_text(encoding="utf-8")
    assert "Meeting: Monday, January 4, 2027 at 09:00" in text
    assert "| Monthly Insights Review | none | 🟡 **Candidate for pruning (pack §8)** |" in text
    assert (pages / "intake-triage" / "2026-W52.md").is_file()


def test_second_sync_writes_nothing_and_leaves_every_byte(cli: Cli, acme: Path) -> None:
    _sync(cli, acme)
    before = files(acme.parent)
    code, report = _sync(cli, acme)
    assert (code, report["writes"], report["planned"]) == (0, 0, 0)
    assert report["requests"]["local"]["writes"] == 0
    assert files(acme.parent) == before


def test_scorecard_history_keeps_a_record_per_week_and_the_page_embeds_its_chart(
    cli: Cli, acme: Path
) -> None:
    """R10: a value per metric per week, kept in the wiki; the page shows the trend and a
    chart drawn beside it (the charts extra is installed with dev), redrawn only when its
    data changes."""
    root = acme.parent
    _sync(cli, acme)
    history = root / "wiki" / "scorecard_history"
    weeks = sorted(p.stem for p in history.glob("*.md"))
    assert weeks == [f"2026-W{w}" for w in range(41, 50)]  # W41-W48 kept by earlier runs
    assert "week_start: 2026-11-30" in (history / "2026-W49.md").read_text(encoding="utf-8")
    text = (root / "pages" / "scorecard" / "2026-Q4.md").read_text(encoding="utf-8")
    assert (
        "| Stakeholder surprise | 16% | 15.4% | 14.3% | 14.7% | ↑ up 0.4 points (worse) | — |"
        in text
    )
    page = root / "pages" / "scorecard" / "2026-Q4.md"
    (picture,) = page.parent.glob("*.png")
    assert f"![Scorecard by week, 2026-W37 to 2026-W49]({picture.name})" in page.read_text(
        encoding="utf-8"
    )
    data = picture.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (charts.WIDTH, charts.HEIGHT)
    # the next day of the same week updates the week's record, never adds one
    result = cli("sync", "--config", str(acme), "--now", "2026-12-04T15:00:00-05:00", "--quiet")
    assert result.exit_code == 0
    assert sorted(p.stem for p in history.glob("*.md")) == weeks
    # the week after has its own record, and the page shows both weeks
    result = cli("sync", "--config", str(acme), "--now", "2026-12-10T15:00:00-05:00", "--quiet")
    assert result.exit_code == 0
    assert sorted(p.stem for p in history.glob("*.md")) == [*weeks, "2026-W50"]
    assert "| W47 | W48 | W49 | W50 |" in page.read_text(encoding="utf-8")
    assert len(list(page.parent.glob("*.png"))) == 1  # the older picture went with its data


@pytest.mark.sqlite_state  # looks at the SQLite file or the lock file itself
def test_deleting_the_state_store_creates_no_duplicate(cli: Cli, acme: Path) -> None:
    _sync(cli, acme)
    before = files(acme.parent)
    shutil.rmtree(acme.parent / ".opsync")
    code, report = _sync(cli, acme)
    assert (code, report["writes"]) == (0, 0)
    assert files(acme.parent) == before


def test_deleting_the_outbox_sends_nothing_again(cli: Cli, acme: Path) -> None:
    code, first = _sync(cli, acme)
    sent = [o for o in first["operations"] if o["kind"] == "send"]  # type: ignore[union-attr]
    assert code == 0 and sent
    shutil.rmtree(acme.parent / "outbox")
    code, report = _sync(cli, acme)
    assert (code, report["planned"]) == (0, 0)  # the journal remembers what went out
    assert not (acme.parent / "outbox").exists()


def test_person_owned_edits_are_untouched_and_no_conflict(cli: Cli, acme: Path) -> None:
    _sync(cli, acme)
    record = next((acme.parent / "wiki" / "releases").glob("*.md"))
    text = record.read_text(encoding="utf-8")
    human = text.replace("---\n", "---\nmy_own_key: kept as typed   # mine\n", 1) + "\nPM notes.\n"
    record.write_text(human, encoding="utf-8")
    page = next((acme.parent / "pages" / "weekly-update").glob("*.md"))
    page.write_text(
        page.read_text(encoding="utf-8") + "\nA note from Product Ops.\n", encoding="utf-8"
    )
    code, report = _sync(cli, acme)
    assert (code, report["conflicts"], report["writes"]) == (0, [], 0)
    assert record.read_text(encoding="utf-8") == human
    assert page.read_text(encoding="utf-8").endswith("A note from Product Ops.\n")


def test_roadmap_review_prep_page_on_the_day_before_the_review_keeps_peoples_actions(
    cli: Cli, acme: Path
) -> None:
    """R9: Acme reviews on Tuesday, December 8; its page appears on Monday with every
    section filled from the example, and the actions people write survive the next sync."""
    page = acme.parent / "pages" / "roadmap-review" / "2026-12-08.md"
    _sync(cli, acme)
    assert not page.exists()  # Thursday, December 3: not yet
    monday = cli("sync", "--config", str(acme), "--now", "2026-12-07T09:00:00-05:00", "--quiet")
    assert monday.exit_code == 0, monday.report
    text = page.read_text(encoding="utf-8")
    for empty in (
        "nothing to compare",
        "No new dependency",
        "No decision is due",
        "No risk or",
        "No insight theme",
    ):
        assert empty not in text
    assert "| new, cross-area |" in text
    people = text.replace("|  |  |  |", "| Ratify the NL assistant slip | Grace | Dec 10 |", 1)
    page.write_text(people, encoding="utf-8")
    tuesday = cli("sync", "--config", str(acme), "--now", "2026-12-08T09:00:00-05:00", "--quiet")
    assert (tuesday.exit_code, tuesday.report["conflicts"]) == (0, [])
    assert "| Ratify the NL assistant slip | Grace | Dec 10 |" in page.read_text(encoding="utf-8")


def test_an_edit_inside_an_owned_region_is_a_conflict_until_forced(cli: Cli, acme: Path) -> None:
    _sync(cli, acme)
    page = next((acme.parent / "pages" / "scorecard").glob("*.md"))
    original = page.read_text(encoding="utf-8")
    marker = "<!-- opsync:end scorecard -->"
    edited = original.replace(marker, "I changed a number here.\n" + marker, 1)
    assert edited != original
    page.write_text(edited, encoding="utf-8")
    code, report = _sync(cli, acme)
    assert code == 3
    assert [c["target"] for c in report["conflicts"]] == [
        page.relative_to(acme.parent / "pages").with_suffix("").as_posix()
    ]
    assert page.read_text(encoding="utf-8") == edited
    code, report = _sync(cli, acme, "--force")
    assert code == 0 and report["conflicts"] == []
    assert page.read_text(encoding="utf-8") == original


def test_an_invalid_date_is_a_finding_and_the_rest_syncs(cli: Cli, acme: Path) -> None:
    decisions = sorted((acme.parent / "wiki" / "decisions").glob("*.md"))
    bad = decisions[0]
    text = bad.read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln.startswith("review_date:")]
    broken = (
        text.replace(lines[0], "review_date: 2026-02-30")
        if lines
        else text.replace("---\n", "---\nreview_date: 2026-02-30\n", 1)
    )
    bad.write_text(broken, encoding="utf-8")
    code, report = _sync(cli, acme)
    assert code == 5  # completed; some input could not be read
    invalid = [f for f in report["findings"] if f["code"] == "record.invalid"]
    assert len(invalid) == 1
    assert invalid[0]["field"] == "review_date" and bad.name in invalid[0]["message"]
    assert bad.read_text(encoding="utf-8") == broken
    assert any((acme.parent / "pages" / "weekly-update").glob("*.md"))


def test_a_malformed_config_exits_2_naming_the_key(cli: Cli, acme: Path) -> None:
    acme.write_text(
        acme.read_text(encoding="utf-8").replace("timezone", "timezon", 1), encoding="utf-8"
    )
    result = cli("sync", "--config", str(acme), "--now", ACME_NOW)
    assert result.exit_code == 2
    assert "org.timezon" in result.output and "timezone" in result.output


@pytest.mark.sqlite_state  # looks at the SQLite file or the lock file itself
def test_a_run_while_another_holds_the_lock_exits_4_at_once(cli: Cli, acme: Path) -> None:
    lock = acme.parent / ".opsync" / "state.db.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from opsync.state import RunLock\n"
            f"with RunLock(Path({str(lock)!r})):\n    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        result = cli("sync", "--config", str(acme), "--now", ACME_NOW)
        assert result.exit_code == 4
        assert "another opsync run holds" in result.output
        assert time.monotonic() - started < 30
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    code, _ = _sync(cli, acme)
    assert code == 0  # the killed holder's lock was released by the system


def test_plan_shows_the_diff_and_writes_nothing(cli: Cli, acme: Path) -> None:
    before = files(acme.parent)
    result = cli("plan", "--config", str(acme), "--now", ACME_NOW, "--detail")
    assert result.exit_code == 0
    assert "+ weekly-update/2026-W49" in result.output
    assert result.report["planned"] > 0 and result.report["writes"] == 0
    assert files(acme.parent) == before
    assert not (acme.parent / ".opsync").exists()


def test_plan_after_a_sync_leaves_every_byte_including_the_state(cli: Cli, acme: Path) -> None:
    assert _sync(cli, acme)[0] == 0
    before = tree(acme.parent)
    result = cli("plan", "--config", str(acme), "--now", ACME_NOW)
    assert result.exit_code == 0
    assert tree(acme.parent) == before


def test_weekly_update_has_every_pm_and_marks_the_late_one(cli: Cli, acme: Path) -> None:
    code, report = _sync(cli, acme)
    assert code == 0, report
    page = (acme.parent / "pages" / "weekly-update" / "2026-W49.md").read_text(encoding="utf-8")
    modeling = page.split("## SQL & Modeling — Sofia Alvarez and Ben Adeyemi\n")[1]
    modeling = modeling.split("<!--")[0]
    assert "*Submitted late by Sofia Alvarez: Thursday, December 3 at 14:40 (due 14:00).*" in (
        modeling
    )
    assert "  - Ben Adeyemi: Query result caching: per-workspace opt-out" in modeling
    assert "  - Sofia Alvarez: NL query assistant (beta) Dec 15" in modeling
    assert "## Nina Kowalski\n" in page  # no area of her own: never dropped
    codes = {(f["code"], f["record"]) for f in report["findings"]}  # type: ignore[union-attr]
    assert ("weekly.submission-late", "weekly_submissions/2026-W49-modeling") in codes


def test_every_finding_code_is_declared_and_stakeholders_read_no_owner_text(
    cli: Cli, acme: Path
) -> None:
    code, report = _sync(cli, acme)
    assert code == 0, report
    findings: list[dict[str, str]] = report["findings"]  # type: ignore[assignment]
    assert {f["code"] for f in findings} <= set(CODES)
    folder = acme.parent
    stakeholder_files = [
        *(folder / "pages" / "weekly-update").glob("*.md"),
        *(folder / "pages" / "roadmap-view").glob("*.md"),
        *(folder / "pages" / "bundle").glob("*.md"),
        folder / "pages" / "rituals.ics",
        *(folder / "outbox" / "product-updates").rglob("*.*"),
        *(folder / "outbox" / "email-stakeholders").rglob("*.*"),
        *(folder / "outbox" / "launches").rglob("*.*"),
    ]
    assert len(stakeholder_files) > 10
    # Markdown escapes and ICS line folding aside, no sentence of any finding's message (all
    # are owner text) is on a stakeholder page or in a stakeholder message.
    read = [
        p.read_text(encoding="utf-8").replace("\\", "").replace("\r\n ", "")
        for p in stakeholder_files
    ]
    owner_text = {
        sentence.strip()
        for f in findings
        for sentence in re.split(r"(?<=[.!?])\s+", f["message"])
        if len(sentence.strip()) >= 40
    }
    assert len(owner_text) > 50
    leaked = {s for s in owner_text for text in read if s in text}
    assert not leaked


def test_insight_review_actions_are_carried_over_then_escalated(cli: Cli, acme: Path) -> None:
    """R9: on Dec 3 the October review's open action (IA-002) is escalated to the Dec 8
    review and overdue, November's open one (IA-003, its review written as a day) is carried
    over; after the Dec 8 review, November's is escalated to January's."""
    root = acme.parent
    code, report = _sync(cli, acme)
    assert code == 0, report
    found = {(f["code"], f["record"]) for f in report["findings"]}  # type: ignore[union-attr]
    actions = {c for c in found if c[1].startswith("insight_actions/")}
    assert actions == {
        ("insight-actions.escalated", "insight_actions/IA-002"),
        ("insight-actions.overdue", "insight_actions/IA-002"),
    }
    page = (root / "pages" / "insights-digest" / "2026-12.md").read_text(encoding="utf-8")
    region = page.split("## Actions from earlier reviews")[1].split("<!-- opsync:end")[0]
    escalated, carried = region.split("### Carried over from November 2026")
    assert "| Interview three enterprise admins about dashboard load times | Performance | " in (
        escalated
    )
    assert "| Maya Chen | October 2026 | Nov 20 (overdue) |" in escalated
    assert (
        "| Size a seat-based pricing option as planning input for Q1 | Pricing | Priya Nair |"
        in (carried)
    )
    completed = carried.split("### Completed since the last review")[1]
    assert "IA-001" not in completed and "alert-noise" not in completed  # done before Nov 10
    assert "| Elliot Park | November 2026 | Dec 1 | Dec 2 |" in completed
    assert "Completion: 2 of 4 insight actions done by their due date (50%;" in region
    assert "## Actions + owners" in page.split("<!-- opsync:end insights-actions")[1]
    escalation = root / "outbox" / "dm-grace" / "escalation" / "insight_actions" / "IA-002"
    assert len(list(escalation.glob("*.md"))) == 1

    after = cli("sync", "--config", str(acme), "--now", "2026-12-09T15:00:00-05:00", "--quiet")
    assert after.exit_code == 0, after.output
    later = {(f["code"], f["record"]) for f in after.report["findings"]}
    assert ("insight-actions.escalated", "insight_actions/IA-003") in later
    january = (root / "pages" / "insights-digest" / "2027-01.md").read_text(encoding="utf-8")
    assert "### Carried over from" not in january
    assert "Size a seat-based pricing option" in january.split("### Escalated")[1]
