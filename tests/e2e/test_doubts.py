"""Figures that carry their doubts (issue "Trust", section 6, "Why" cases 8 and 12).

Input that could not be read is a finding naming the file and the row or record, the run
exits 5 ("completed; some input could not be read") and every page whose figures the
missing record would change says so; with nothing unreadable nothing changes.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path
from typing import Any

import yaml
from support import ACME_NOW, Cli, files

from opsync.domain import Finding, Level
from opsync.engine.plan import Plan
from opsync.engine.report import RunReport, exit_code

UNREADABLE = 5  # "completed; some input could not be read"


def _sync(cli: Cli, config: Path) -> tuple[int, dict[str, Any], str]:
    result = cli("sync", "--config", str(config), "--now", ACME_NOW, "--quiet")
    return result.exit_code, result.report, result.output


def _unreadable(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["code"] == "record.invalid"]


def _to_csv(acme: Path) -> Path:
    """The Acme tracker as the CSV a Jira export gives (CRLF lines, nested values as YAML)."""
    folder = acme.parent / "tracker"
    rows = yaml.safe_load((folder / "releases.yaml").read_text(encoding="utf-8"))
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns)
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: yaml.safe_dump(v, default_flow_style=True).strip()
                if isinstance(v, list | dict)
                else ("" if v is None else v)
                for k, v in row.items()
            }
        )
    target = folder / "releases.csv"
    target.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    (folder / "releases.yaml").unlink()
    config = acme.read_text(encoding="utf-8")
    acme.write_text(config.replace("tracker/releases.yaml", "tracker/releases.csv"), "utf-8")
    return target


def _edit_csv_row(path: Path, key: str, change: Any) -> None:
    lines = path.read_bytes().decode("utf-8").split("\r\n")
    index = next(i for i, line in enumerate(lines) if line.startswith(f"{key},"))
    lines[index] = change(lines[index])
    path.write_text("\r\n".join(lines), encoding="utf-8", newline="")


def _coverage(report: dict[str, Any]) -> str:
    return next(r["current"] for r in report["scorecard"] if r["metric"] == "Enablement coverage")


def test_a_csv_row_without_a_key_names_its_line_and_exits_5(cli: Cli, acme: Path) -> None:
    tracker = _to_csv(acme)
    code, report, _ = _sync(cli, acme)
    assert code == 0, report
    full = _coverage(report)
    # ACME-105 is the 5th data row: line 6 of the file, after the header
    _edit_csv_row(tracker, "ACME-105", lambda line: line.removeprefix("ACME-105"))
    code, report, output = _sync(cli, acme)
    assert code == UNREADABLE == report["exit_code"], output
    [finding] = _unreadable(report)
    assert finding["record"] == "releases.csv:6" and finding["field"] == "key"
    assert f"{tracker}, line 6" in finding["message"] and "no `key`" in finding["message"]
    assert "releases.csv:6" in output  # --quiet still says it: cron mails it
    assert _coverage(report) != full  # the figure moved, and the page says why
    page = (acme.parent / "pages" / "scorecard" / "2026-Q4.md").read_text(encoding="utf-8")
    assert "1 record could not be read** (releases.csv:6)" in page


def test_a_yaml_row_without_a_key_names_its_list_index(cli: Cli, acme: Path) -> None:
    tracker = acme.parent / "tracker" / "releases.yaml"
    text = tracker.read_text(encoding="utf-8")
    tracker.write_text(text.replace("- key: ACME-105\n  title:", "- title:", 1), "utf-8")
    code, report, _ = _sync(cli, acme)
    assert code == UNREADABLE
    [finding] = _unreadable(report)
    assert finding["record"] == "releases.yaml[4]"
    assert f"{tracker}[4] (list item 5)" in finding["message"]


def test_a_nested_value_in_a_csv_row_is_a_finding_and_the_run_goes_on(cli: Cli, acme: Path) -> None:
    tracker = _to_csv(acme)
    _edit_csv_row(tracker, "ACME-105", lambda line: line + '"{changed_on: [2026-10-01"')
    code, report, output = _sync(cli, acme)
    assert "Traceback" not in output
    assert code == UNREADABLE, output
    [finding] = _unreadable(report)
    assert finding["record"] == "releases.csv:6" and "launch_date_history" in finding["message"]
    assert report["writes"] > 100  # the rest of the organisation synced
    assert (
        not (acme.parent / "wiki" / "releases" / "ACME-105.md")
        .read_text(encoding="utf-8")
        .count("enablement_status")
    )


def test_a_nested_key_in_a_yaml_row_is_a_finding_on_that_row(cli: Cli, acme: Path) -> None:
    tracker = acme.parent / "tracker" / "releases.yaml"
    text = tracker.read_text(encoding="utf-8")
    tracker.write_text(text.replace("- key: ACME-105\n", "- key: [ACME-105]\n", 1), "utf-8")
    code, report, _ = _sync(cli, acme)
    assert code == UNREADABLE
    [finding] = _unreadable(report)
    assert finding["record"] == "releases.yaml[4]" and "is a list" in finding["message"]
    assert not any("[" in f["record"].partition("/")[2] for f in report["findings"])


def test_a_non_utf8_decision_is_said_on_the_decision_review(cli: Cli, acme: Path) -> None:
    decision = acme.parent / "wiki" / "decisions" / "DEC-021.md"
    decision.write_bytes(decision.read_bytes().replace(b"EU data region", b"EU data r\xe9gion"))
    code, report, _ = _sync(cli, acme)
    assert code == UNREADABLE
    [finding] = _unreadable(report)
    assert finding["record"] == "decisions/DEC-021" and "DEC-021.md" in finding["message"]
    [review] = (acme.parent / "pages" / "decision-review").glob("*.md")
    page = review.read_text(encoding="utf-8")
    assert "EU data" not in page  # left out, as before, but no longer silently
    assert "**1 record could not be read** (decisions/DEC-021); figures below may be" in page
    # only the pages drawing on decisions (and the scorecard, which draws on everything)
    noted = {
        p.relative_to(acme.parent / "pages").parts[0]
        for p in (acme.parent / "pages").rglob("*.md")
        if "could not be read" in p.read_text(encoding="utf-8")
    }
    assert noted == {"decision-review", "scorecard"}
    # fixed: the next sync takes the note away, and the run exits 0 again
    decision.write_bytes(decision.read_bytes().replace(b"r\xe9gion", b"region"))
    code, report, _ = _sync(cli, acme)
    assert code == 0
    page = review.read_text(encoding="utf-8")
    assert "could not be read" not in page and "EU data region" in page


def test_a_page_says_nothing_when_everything_was_read(cli: Cli, acme: Path) -> None:
    code, report, _ = _sync(cli, acme)
    assert code == 0 and not _unreadable(report)
    for page in (acme.parent / "pages").rglob("*.md"):
        assert not re.search("could not be read", page.read_text(encoding="utf-8")), page


def _report(findings: list[Finding], failed: bool = False) -> RunReport:
    report = RunReport(now=ACME_NOW, applied=True, plan=Plan(), findings=findings)
    if failed:
        report.failed = [(object(), "boom")]  # type: ignore[list-item]
    return report


def test_exit_5_only_when_the_run_would_otherwise_exit_0() -> None:
    late = Finding(code="enablement.handoff-late", record="releases/A", message="late")
    bad = Finding(code="record.invalid", record="decisions/D", message="x", level=Level.ERROR)
    assert exit_code(_report([late])) == 0  # a rule's finding never changes the code
    assert exit_code(_report([late, bad])) == 5
    assert exit_code(_report([bad], failed=True)) == 1  # a failure is more urgent
    assert not late.unreadable and bad.unreadable


def test_a_deleted_outbox_is_reported_and_nothing_is_sent_again(cli: Cli, acme: Path) -> None:
    code, _, _ = _sync(cli, acme)
    outbox = acme.parent / "outbox"
    sent = {p.relative_to(outbox).parts[0]: 0 for p in outbox.rglob("*.md")}
    for path in outbox.rglob("*.md"):
        sent[path.relative_to(outbox).parts[0]] += 1
    assert code == 0 and sent
    shutil.rmtree(outbox)
    code, report, _ = _sync(cli, acme)
    assert (code, report["planned"], report["writes"]) == (0, 0, 0)  # the journal: no resend
    assert not outbox.exists()
    missing = {f["record"]: f for f in report["findings"] if f["code"] == "message.copy-missing"}
    # the messages the rules still want this run (a past reminder is no longer asked about)
    assert {"outbox/product-updates", "outbox/launches"} <= set(missing)
    assert set(missing) <= {f"outbox/{folder}" for folder in sent}
    product = missing["outbox/product-updates"]
    assert product["level"] == "info"
    assert re.fullmatch(
        r"outbox/product-updates: \d+ sent message\(s\)' copies are missing; they were sent "
        r"\(the state store's journal records them\) and are not sent again",
        product["message"],
    )


def test_a_wiki_folder_gone_after_a_sync_is_a_config_error_and_doctor_says_so(
    cli: Cli, acme: Path
) -> None:
    assert _sync(cli, acme)[0] == 0
    before = files(acme.parent)
    config = acme.read_text(encoding="utf-8")
    acme.write_text(config.replace('wiki = "wiki"', 'wiki = "wikki"', 1), encoding="utf-8")
    code, _, output = _sync(cli, acme)
    flat = " ".join(output.split())
    assert code == 2 and "connectors.local.wiki" in flat and "wikki does not exist" in flat
    assert "correct `wiki` under [connectors.local]" in flat
    assert not (acme.parent / "wikki").exists()
    assert files(acme.parent) == {**before, "opsync.toml": acme.read_bytes()}  # nothing written
    doctor = cli("doctor", "--config", str(acme))
    assert doctor.exit_code == 1 and "wikki does not exist" in " ".join(doctor.output.split())


def test_a_new_workspace_still_gets_its_wiki_folder(cli: Cli, acme: Path) -> None:
    config = acme.read_text(encoding="utf-8")
    acme.write_text(config.replace('wiki = "wiki"', 'wiki = "wikki"', 1), encoding="utf-8")
    assert cli("doctor", "--config", str(acme)).exit_code == 0
    assert _sync(cli, acme)[0] == 0  # no state yet: a first sync, as before
    assert any((acme.parent / "wikki" / "releases").glob("*.md"))
