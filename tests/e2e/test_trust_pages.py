"""A page a person broke or copied is never written over (issue "Trust", case 1).

Each test does what a careless colleague does to the Acme workspace after a first sync, then
syncs again through the CLI: the person's text must still be there, byte for byte, and the
run must say what it left alone and why.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import ACME_NOW, Cli
from typer.testing import CliRunner

from opsync.cli.app import app


def _sync(cli: Cli, config: Path) -> tuple[int, dict[str, object]]:
    result = cli("sync", "--config", str(config), "--now", ACME_NOW, "--quiet")
    return result.exit_code, result.report


def test_a_page_whose_front_matter_no_longer_parses_is_left_alone(cli: Cli, acme: Path) -> None:
    assert _sync(cli, acme)[0] == 0
    page = acme.parent / "pages" / "scorecard" / "2026-Q4.md"
    broken = page.read_text(encoding="utf-8").replace("opsync_key:", "opsync_key: [unclosed\nx:", 1)
    broken += "\nMy notes for the QBR: keep these.\n"
    page.write_text(broken, encoding="utf-8")
    code, report = _sync(cli, acme)
    assert page.read_text(encoding="utf-8") == broken  # not one byte replaced
    assert code == 3, report  # a conflict: a person must decide
    conflicts = report["conflicts"]
    assert any("front matter does not parse" in c["message"] for c in conflicts)  # type: ignore[union-attr]
    findings = report["findings"]
    assert any(
        f["code"] == "record.invalid" and "2026-Q4.md" in f["message"]  # type: ignore[index]
        for f in findings  # type: ignore[union-attr]
    )


def test_a_draft_copied_from_another_bundle_is_not_overwritten(cli: Cli, acme: Path) -> None:
    assert _sync(cli, acme)[0] == 0
    bundles = acme.parent / "pages" / "bundle"
    original = sorted(bundles.glob("*.md"))[0]
    copy = bundles / "ACME-999.md"
    text = original.read_text(encoding="utf-8") + "\nDraft for the next launch: mine.\n"
    copy.write_text(text, encoding="utf-8")
    before = original.read_text(encoding="utf-8")
    code, report = _sync(cli, acme)
    assert copy.read_text(encoding="utf-8") == text
    assert original.read_text(encoding="utf-8") == before  # the page its key names is kept
    findings = report["findings"]
    assert any(
        f["field"] == "opsync_key" and "ACME-999.md" in f["message"]  # type: ignore[index]
        for f in findings  # type: ignore[union-attr]
    ), findings
    # a duplicate (record.duplicate, a warning): the page its key names is read, so no
    # figure is missing and the run exits 0
    assert code == 0


BOMB = """lol: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
l1: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
l2: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
l3: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
l4: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
l5: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
l6: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
l7: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
l8: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
rationale: [*i,*i,*i,*i,*i,*i,*i,*i,*i]
"""


def test_a_yaml_alias_bomb_in_a_record_is_a_finding_and_the_rest_syncs(
    cli: Cli, acme: Path
) -> None:
    decision = acme.parent / "wiki" / "decisions" / "DEC-017.md"
    text = decision.read_text(encoding="utf-8")
    decision.write_text(text.replace("---\n", "---\n" + BOMB, 1), encoding="utf-8")
    code, report = _sync(cli, acme)
    assert code == 5, report  # completed; some input could not be read
    [finding] = [f for f in report["findings"] if "DEC-017" in f["record"]]  # type: ignore[union-attr,index]
    assert "aliases" in finding["message"] and len(finding["message"]) < 400  # type: ignore[index]
    assert (acme.parent / "pages" / "weekly-update" / "2026-W49.md").is_file()


def test_a_yaml_alias_bomb_in_a_tracker_row_is_a_finding_on_that_row(cli: Cli, acme: Path) -> None:
    tracker = acme.parent / "tracker" / "releases.yaml"
    bomb_row = "- key: ACME-900\n  title: Bomb\n" + "".join(
        f"  {line}\n" for line in BOMB.splitlines()
    )
    text = tracker.read_text(encoding="utf-8")
    marker = "releases:\n" if text.startswith("releases:") else ""
    body = text[len(marker) :]
    tracker.write_text(marker + bomb_row + body, encoding="utf-8")
    code, report = _sync(cli, acme)
    assert code == 5, report
    assert any(
        "aliases" in f["message"] and f["record"] == "releases.yaml[0]"  # type: ignore[index]
        for f in report["findings"]  # type: ignore[union-attr]
    )


def test_a_latin1_file_among_pages_or_in_the_outbox_does_not_stop_the_run(
    cli: Cli, acme: Path
) -> None:
    assert _sync(cli, acme)[0] == 0
    (acme.parent / "pages" / "notes-café.md").write_bytes("Café notes: naïve\n".encode("latin-1"))
    (acme.parent / "outbox" / "old.md").write_bytes("Résumé\n".encode("latin-1"))
    code, report = _sync(cli, acme)
    assert code == 0, report
    assert any(
        "notes-caf" in f["message"] and f["field"] == "front matter"  # type: ignore[index]
        for f in report["findings"]  # type: ignore[union-attr]
    )


def test_a_tracker_export_that_is_not_utf8_stops_the_run_naming_the_byte(
    cli: Cli, acme: Path
) -> None:
    tracker = acme.parent / "tracker" / "releases.yaml"
    tracker.write_bytes(tracker.read_bytes() + "# Zürich\n".encode("latin-1"))
    result = cli("sync", "--config", str(acme), "--now", ACME_NOW, "--quiet")
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "not utf-8 text" in said and "byte" in said and "tracker_encoding" in said


def test_the_tracker_encoding_is_configurable(cli: Cli, acme: Path) -> None:
    tracker = acme.parent / "tracker" / "releases.yaml"
    text = tracker.read_text(encoding="utf-8").replace(
        "title: Scheduled PDF reports", "title: Scheduled PDF reports für Zürich", 1
    )
    tracker.write_bytes(text.replace("\u2192", "->").encode("cp1252"))
    config = acme.read_text(encoding="utf-8")
    acme.write_text(
        config.replace(
            "[connectors.local]\n", '[connectors.local]\ntracker_encoding = "cp1252"\n', 1
        ),
        encoding="utf-8",
    )
    assert 'tracker_encoding = "cp1252"' in acme.read_text(encoding="utf-8")
    result = cli("sync", "--config", str(acme), "--now", ACME_NOW, "--quiet")
    assert result.exit_code == 0, result.output
    pages = (acme.parent / "pages").rglob("*.md")
    assert any("für Zürich" in p.read_text(encoding="utf-8") for p in pages)
    acme.write_text(
        config.replace(
            "[connectors.local]\n", '[connectors.local]\ntracker_encoding = "klingon"\n', 1
        )
    )
    bad = cli("plan", "--config", str(acme), "--now", ACME_NOW)
    assert (
        bad.exit_code == 2 and "tracker_encoding" in bad.output and "unknown encoding" in bad.output
    )


def test_report_json_dash_is_standard_output_not_a_file(
    acme: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(acme.parent)
    args = ["plan", "--config", str(acme), "--now", ACME_NOW, "--quiet", "--report-json", "-"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["planned"] > 0  # the report is all that stdout holds
    assert not (acme.parent / "-").exists()


def test_no_announcement_and_no_publication_log_run_ahead_of_their_page(
    cli: Cli, acme: Path
) -> None:
    work = acme.parent
    page = work / "pages" / "weekly-update" / "2026-W49.md"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("---\nopsync_key: [broken\n---\nA person's draft.\n", encoding="utf-8")
    code, report = _sync(cli, acme)
    assert code == 3  # the page could not be written: a conflict, the file left alone
    outbox = sorted(p.relative_to(work / "outbox").as_posix() for p in work.rglob("outbox/**/*.md"))
    assert not [p for p in outbox if "weekly-update/2026-W49" in p], outbox
    assert not (work / "wiki" / "weekly_updates" / "2026-W49.md").exists()
    assert report["failed"] == []
    waiting = {w["operation"].split(":")[0] for w in report["waiting"]}  # type: ignore[index,union-attr]
    assert waiting == {"create_record", "send"}, report["waiting"]
    page.unlink()  # the person moves the draft aside: everything follows, once
    code, report = _sync(cli, acme)
    assert code == 0, report
    assert (work / "wiki" / "weekly_updates" / "2026-W49.md").is_file()
    assert (
        work / "outbox" / "product-updates" / "weekly-update" / "2026-W49" / "slack.md"
    ).is_file()


def test_a_deleted_chart_picture_is_drawn_again_and_the_plan_says_why(cli: Cli, acme: Path) -> None:
    """The scorecard links its chart's picture: a picture gone (a person tidying the folder,
    or a run killed between the picture and the page) is put back by the next sync, which
    says the region is written again to complete it, not that its content changed."""
    pytest.importorskip("matplotlib")
    assert _sync(cli, acme)[0] == 0
    folder = acme.parent / "pages" / "scorecard"
    (picture,) = folder.glob("*.png")
    page = (folder / "2026-Q4.md").read_bytes()
    picture.unlink()
    plan = cli("plan", "--config", str(acme), "--now", ACME_NOW, "--quiet").report
    (op,) = plan["operations"]  # type: ignore[misc]
    assert op["kind"] == "update_page" and op["target"] == "scorecard/2026-Q4"
    assert "cut short" in op["reason"] and "changed" not in op["reason"]
    assert _sync(cli, acme)[0] == 0
    assert [p.name for p in folder.glob("*.png")] == [picture.name]
    assert (folder / "2026-Q4.md").read_bytes() == page
