"""``opsync plan`` as a person reads it and a cron job acts on it (issue 20): goldens of the
acme plan after typical edits, the JSON report's field changes and region diffs, saved
plans applied or refused, and ``--force KEY``."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from support import ACME_NOW, files
from typer.testing import CliRunner

from opsync.cli.app import app
from opsync.engine.report import EXIT_CONFLICTS, EXIT_STALE, ReportSchema

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "plan"


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout


def _plan(acme: Path, *extra: str) -> str:
    code, out = _invoke("plan", "--config", str(acme), "--now", ACME_NOW, *extra)
    assert code in (0, EXIT_CONFLICTS), out
    return out.replace(str(acme.parent), "<workspace>")


def _sync(acme: Path, *extra: str) -> int:
    return _invoke("sync", "--config", str(acme), "--now", ACME_NOW, "--quiet", *extra)[0]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _move_launch(acme: Path) -> None:
    """ACME-133 (alert digests) moves from Wednesday, December 16 to Tuesday, December 22."""
    tracker = acme.parent / "tracker" / "releases.yaml"
    text = tracker.read_text(encoding="utf-8")
    head, _, tail = text.partition("- key: ACME-133\n")
    tracker.write_text(
        head
        + "- key: ACME-133\n"
        + tail.replace("launch_date: 2026-12-16", "launch_date: 2026-12-22", 1),
        encoding="utf-8",
    )


def _fill_bundle(acme: Path) -> None:
    """Nina fills in the two sections of the CSV export bundle that held only the template."""
    page = acme.parent / "pages" / "bundle" / "ACME-127.md"
    _edit(page, "- Q: A:", "- Q: Does the BOM break Google Sheets? A: No; Sheets ignores it.")
    _edit(
        page,
        "- Scenario: Resolution:",
        "- Scenario: accented names garbled in Excel. Resolution: tick Include BOM.",
    )


def _add_submission(acme: Path) -> None:
    """Priya submits the Workspace Admin & Billing update for the week, on time."""
    (acme.parent / "wiki" / "weekly_submissions" / "2026-W49-admin.md").write_text(
        "---\nkey: 2026-W49-admin\nweek: 2026-W49\npm: priya\nproduct_area: admin\n"
        "submitted_at: 2026-12-03T11:05:00-05:00\n"
        "wins: |\n  - SSO enforcement GA for all workspaces\n"
        "next: |\n  - Audit log streaming to Splunk and Datadog Dec 10\n"
        "risks: |\n  - None this week\n"
        "metrics: |\n  - 212 workspaces enforce SSO\n"
        "links: |\n  - SSO rollout notes: https://wiki.acme-analytics.example/sso\n---\n",
        encoding="utf-8",
    )


def _edit_region(acme: Path) -> None:
    """A person types into the scorecard's owned region."""
    page = acme.parent / "pages" / "scorecard" / "2026-Q4.md"
    end = "<!-- opsync:end scorecard -->"
    _edit(page, end, f"Grace: coverage looks low, check with Nina.\n{end}")


SCENARIOS = {
    "launch-moved": _move_launch,
    "bundle-filled": _fill_bundle,
    "submission-added": _add_submission,
    "region-edited": _edit_region,
}


def _golden(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("OPSYNC_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_plan_after_an_edit_matches_its_golden(name: str, acme: Path) -> None:
    assert _sync(acme) == 0
    SCENARIOS[name](acme)
    _golden(name, _plan(acme))


def test_the_first_sync_plan_is_collapsed_and_matches_its_golden(acme: Path) -> None:
    text = _plan(acme)
    assert "--detail" in text and len(text.splitlines()) < 80
    _golden("first-sync", text)


def test_no_golden_holds_a_python_repr() -> None:
    goldens = sorted(GOLDEN.glob("*.txt"))
    assert len(goldens) == 5
    for path in goldens:
        text = path.read_text(encoding="utf-8")
        assert "datetime." not in text and "{'" not in text, path.name
        assert "RULES.md" not in text and "None →" not in text, path.name


def test_detail_shows_every_operation_and_no_python_repr(acme: Path) -> None:
    text = _plan(acme, "--detail")
    assert "datetime." not in text and "{'" not in text
    assert "+ releases/ACME-101" in text and "+ roadmap-view/2026-11-24" in text
    assert "→ weekly-update/2026-W49/slack to #product-updates" in text
    create = text.split("+ releases/ACME-101\n", 1)[1].split("\n  + ", 1)[0]
    assert re.search(r"^ +pm +Maya Chen$", create, re.M)  # people by name, not handle
    assert re.search(r"^ +tier +Tier 1$", create, re.M)  # the option's name
    assert re.search(r"^ +launch_date +2026-10-06$", create, re.M)
    assert re.search(r"^ +handoff_due +\(empty\)$", create, re.M)


def test_every_reason_is_a_sentence_citing_a_section_of_the_rules(acme: Path) -> None:
    code, _ = _invoke(
        "plan",
        "--config",
        str(acme),
        "--now",
        ACME_NOW,
        "--report-json",
        str(acme.parent / "r.json"),
    )
    assert code == 0
    report = json.loads((acme.parent / "r.json").read_text(encoding="utf-8"))
    headings = _anchors(Path(__file__).resolve().parents[2] / "docs" / "rules.md")
    for op in report["operations"]:
        reason = op["reason"]
        assert reason[0].isupper() or reason.startswith("opsync "), reason  # a sentence
        assert reason.endswith("."), reason
        cited = re.findall(r"\(docs/rules\.md#([a-z0-9-]+)\)", reason)
        assert cited and set(cited) <= headings, reason


def _anchors(doc: Path) -> set[str]:
    """The anchors GitHub gives the headings of ``doc``."""
    found = set()
    for line in doc.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", title)))
    return found


def test_the_json_report_carries_field_changes_and_region_diffs(acme: Path) -> None:
    assert _sync(acme) == 0
    _move_launch(acme)
    out = acme.parent / "r.json"
    code, _ = _invoke("plan", "--config", str(acme), "--now", ACME_NOW, "--report-json", str(out))
    assert code == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    ReportSchema.model_validate(report)
    ops = {op["target"]: op for op in report["operations"]}
    release = ops["releases/ACME-133"]
    assert {"field": "launch_date", "before": "2026-12-16", "after": "2026-12-22"} in release[
        "changes"
    ]
    bundle = ops["bundle/ACME-133"]
    (region,) = bundle["regions"]
    assert region["region"] == "bundle.header"
    assert "-| Tier 2 (Medium) | Wednesday, December 16, 2026" in region["diff"]
    assert "+| Tier 2 (Medium) | Tuesday, December 22, 2026" in region["diff"]


def test_a_saved_plan_is_applied_after_an_edit_that_leaves_it_as_it_is(acme: Path) -> None:
    assert _sync(acme) == 0
    saved = acme.parent / "plan.json"
    _move_launch(acme)
    code, _ = _invoke(
        "plan", "--config", str(acme), "--now", ACME_NOW, "--out", str(saved), "--quiet"
    )
    assert code == 0
    planned = json.loads(saved.read_text(encoding="utf-8"))
    assert planned["fingerprint"] and planned["now"] == ACME_NOW
    # a tracker edit the plan read but that changes nothing it would write: a description
    # of a Tier 1 release launched in October (no page shows it any more)
    _edit(
        acme.parent / "tracker" / "releases.yaml",
        "fixes #4410 and #4412.",
        "fixes #4410, #4412 and #4413.",
    )
    out = acme.parent / "applied.json"
    code, _ = _invoke("apply", str(saved), "--quiet", "--report-json", str(out))
    assert code == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["writes"] == len(planned["operations"]) > 0
    assert [op["key"] for op in report["operations"]] == [op["key"] for op in planned["operations"]]
    bundle = (acme.parent / "pages" / "bundle" / "ACME-133.md").read_text(encoding="utf-8")
    assert "Tuesday, December 22, 2026" in bundle
    assert _invoke("plan", "--config", str(acme), "--now", ACME_NOW)[1].startswith("Nothing to do")


def test_a_saved_plan_is_refused_after_an_edit_that_changes_it(acme: Path) -> None:
    assert _sync(acme) == 0
    saved = acme.parent / "plan.json"
    _add_submission(acme)
    code, _ = _invoke(
        "plan", "--config", str(acme), "--now", ACME_NOW, "--out", str(saved), "--quiet"
    )
    assert code == 0
    _move_launch(acme)  # the tracker moves a launch the saved plan does not know of
    before = files(acme.parent)
    out = acme.parent / "refused.json"
    code, _ = _invoke("apply", str(saved), "--quiet", "--report-json", str(out))
    assert code == EXIT_STALE == 7
    assert files(acme.parent) == before | {"refused.json": out.read_bytes()}  # nothing written
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["error"]["kind"] == "StalePlan" and report["exit_code"] == 7
    assert "releases/ACME-133" in report["error"]["message"]


def test_apply_refuses_a_file_that_is_not_a_saved_plan(acme: Path) -> None:
    report = acme.parent / "report.json"
    _invoke("plan", "--config", str(acme), "--now", ACME_NOW, "--report-json", str(report))
    code, _ = _invoke("apply", str(report), "--config", str(acme))
    assert code == 2


def test_force_key_overwrites_only_that_key_and_keeps_every_other_conflict(acme: Path) -> None:
    assert _sync(acme) == 0
    _edit_region(acme)
    weekly = acme.parent / "pages" / "weekly-update" / "2026-W49.md"
    _edit(
        weekly,
        "<!-- opsync:end weekly.highlights -->",
        "Mine.\n<!-- opsync:end weekly.highlights -->",
    )
    decision = acme.parent / "wiki" / "decisions" / "DEC-013.md"
    _edit(decision, "review_due: true", "review_due: false")
    edited = {p: p.read_text(encoding="utf-8") for p in (weekly, decision)}
    out = acme.parent / "forced.json"
    code, _ = _invoke(
        "sync", "--config", str(acme), "--now", ACME_NOW, "--quiet",
        "--force", "scorecard/2026-Q4", "--report-json", str(out),
    )  # fmt: skip
    assert code == EXIT_CONFLICTS
    report = json.loads(out.read_text(encoding="utf-8"))
    kept = {(c["target"], c["not_targeted"]) for c in report["conflicts"]}
    assert kept == {("weekly-update/2026-W49", True), ("decisions/DEC-013", True)}
    assert {p: p.read_text(encoding="utf-8") for p in edited} == edited
    scorecard = (acme.parent / "pages" / "scorecard" / "2026-Q4.md").read_text(encoding="utf-8")
    assert "Grace: coverage looks low" not in scorecard


@pytest.mark.parametrize("on_conflict", ["fail", "report"])
def test_a_conflict_reported_before_and_unchanged_exits_0_only_with_on_conflict_report(
    acme: Path, on_conflict: str
) -> None:
    with acme.open("a", encoding="utf-8") as config:
        config.write(f'\n[run]\non_conflict = "{on_conflict}"\n')
    assert _sync(acme) == 0
    _edit_region(acme)
    runner = CliRunner()
    args = ["sync", "--config", str(acme), "--now", ACME_NOW, "--quiet"]
    first = runner.invoke(app, [*args, "--report-json", str(acme.parent / "1.json")])
    assert first.exit_code == EXIT_CONFLICTS and "scorecard/2026-Q4" in first.output
    again = runner.invoke(app, [*args, "--report-json", str(acme.parent / "2.json")])
    (conflict,) = json.loads((acme.parent / "2.json").read_text(encoding="utf-8"))["conflicts"]
    if on_conflict == "fail":
        assert again.exit_code == EXIT_CONFLICTS and "scorecard/2026-Q4" in again.output
        assert conflict["reported"] is False
        return
    assert (again.exit_code, again.output) == (0, "")  # cron mails nothing
    assert conflict["reported"] is True  # still listed for a monitor
    # ... and the owner is told instead: the lead's action list (and so their digest)
    told = json.loads((acme.parent / "2.json").read_text(encoding="utf-8"))["findings"]
    assert [f["record"] for f in told if f["code"] == "sync.conflict"] == ["scorecard/2026-Q4"]
    actions = (acme.parent / "pages" / "action-list.md").read_text(encoding="utf-8")
    assert "opsync sync --force scorecard/2026-Q4" in actions
    _edit(
        acme.parent / "pages" / "scorecard" / "2026-Q4.md",
        "check with Nina.",
        "check with Nina and Raj.",
    )
    changed = runner.invoke(app, args)
    assert changed.exit_code == EXIT_CONFLICTS and "scorecard/2026-Q4" in changed.output


def test_the_plan_excerpt_in_the_cli_docs_is_the_golden_one() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    excerpt = doc.split("An excerpt of the acme plan", 1)[1].split("```\n", 2)[1]
    golden = (GOLDEN / "launch-moved.txt").read_text(encoding="utf-8")
    assert len(excerpt.splitlines()) > 10
    assert all(line in golden.splitlines() for line in excerpt.splitlines())
    assert excerpt.endswith(golden.splitlines()[-1] + "\n")
