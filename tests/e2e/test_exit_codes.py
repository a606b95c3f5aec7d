"""Each documented exit code through the CLI, with the JSON report that goes with it
(0, 2, plan-time 3 and 4 are also in test_acme.py's scenarios)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import ACME_NOW, Cli
from typer.testing import CliRunner

from opsync.cli import app as cli_app
from opsync.cli.output import ConsoleReporter
from opsync.engine.report import ReportSchema

LATER = "2026-12-04T15:00:00-05:00"  # a day on: the scorecard page has an update to write


def test_a_failed_operation_exits_1_and_the_others_are_applied(cli: Cli, acme: Path) -> None:
    (acme.parent / "outbox").mkdir()
    (acme.parent / "outbox" / "product-updates").write_text("in the way\n", encoding="utf-8")
    result = cli("sync", "--config", str(acme), "--now", ACME_NOW, "--quiet")
    report = result.report
    assert result.exit_code == 1 == report["exit_code"]
    assert report["failed"] and all(f["operation"].startswith("send:") for f in report["failed"])
    assert report["writes"] == report["planned"] - len(report["failed"]) > 0
    assert report["conflicts"] == []


def test_an_edit_made_while_sync_applies_exits_3_and_the_rest_is_applied(
    cli: Cli, acme: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("sync", "--config", str(acme), "--now", ACME_NOW, "--quiet").exit_code == 0
    page = acme.parent / "pages" / "scorecard" / "2026-Q4.md"
    marker = "<!-- opsync:end scorecard -->"
    mine = page.read_text(encoding="utf-8").replace(marker, "My number.\n" + marker, 1)

    class EditingReporter(ConsoleReporter):
        """A person saves the page after opsync read it and before it writes."""

        def stage(self, name: str) -> None:
            if name == "apply":
                page.write_text(mine, encoding="utf-8")
            super().stage(name)

    monkeypatch.setattr(cli_app, "ConsoleReporter", EditingReporter)
    result = cli("sync", "--config", str(acme), "--now", LATER, "--quiet")
    report = result.report
    assert result.exit_code == 3 == report["exit_code"], result.output
    assert report["failed"] == []
    assert [(c["target"], c["part"]) for c in report["conflicts"]] == [
        ("scorecard/2026-Q4", "region scorecard")
    ]
    assert report["writes"] == report["planned"] - 1 > 0
    assert "conflict" in result.output and "scorecard/2026-Q4" in result.output
    assert page.read_text(encoding="utf-8") == mine


@pytest.mark.parametrize("now", ["2026-12-03T15:00:00", "next tuesday"])
def test_a_bad_clock_exits_2_and_leaves_the_previous_json_report(
    acme: Path, now: str, tmp_path: Path
) -> None:
    previous = tmp_path / "last.json"
    runner = CliRunner()
    args = ["sync", "--config", str(acme), "--report-json", str(previous)]
    assert runner.invoke(cli_app.app, [*args, "--now", ACME_NOW, "--quiet"]).exit_code == 0
    before = previous.read_bytes()
    result = runner.invoke(cli_app.app, [*args, "--now", now])
    assert result.exit_code == 2 and "--now" in result.output
    assert previous.read_bytes() == before  # a run that did not start overwrites nothing
    # to standard output the error is the one report shape, with `error` set
    shown = runner.invoke(
        cli_app.app, ["sync", "--config", str(acme), "--now", now, "--quiet", "--report-json", "-"]
    )
    report = ReportSchema.model_validate(json.loads(shown.stdout)).model_dump()
    assert report["exit_code"] == 2 and report["error"]["kind"] == "ConfigError"
    assert (report["planned"], report["writes"], report["findings"]) == (0, 0, [])
