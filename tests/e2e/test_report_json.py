"""The JSON report has one shape for every outcome (issue "Trust", section 9): a completed
run, a run an error stopped, a lock held; and a run that did not start never overwrites the
previous report. Every report the `cli` fixture reads is also checked against the schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import ACME_NOW
from typer.testing import CliRunner

from opsync.cli.app import app
from opsync.connectors.local.workspace import LocalWorkspace
from opsync.engine.report import SCHEMA_VERSION, ReportSchema
from opsync.errors import PermanentError
from opsync.state import RunLock


def _run(config: Path, report: Path, *extra: str) -> int:
    args = ["sync", "--config", str(config), "--now", ACME_NOW, "--quiet"]
    return CliRunner().invoke(app, [*args, "--report-json", str(report), *extra]).exit_code


def _read(report: Path) -> dict[str, object]:
    data = json.loads(report.read_text(encoding="utf-8"))
    ReportSchema.model_validate(data)
    return data


def test_a_completed_run_has_the_schema_version_and_no_error(acme: Path, tmp_path: Path) -> None:
    report = tmp_path / "last.json"
    assert _run(acme, report) == 0
    data = _read(report)
    assert data["schema_version"] == SCHEMA_VERSION == 5 and data["error"] is None
    assert list(data) == list(ReportSchema.model_fields)  # the documented order


def test_a_run_an_error_stopped_has_the_same_keys(
    acme: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = tmp_path / "last.json"
    assert _run(acme, report) == 0
    completed = _read(report)

    def refuse(self: LocalWorkspace) -> None:
        raise PermanentError("the wiki cannot be listed", connector="local")

    monkeypatch.setattr(LocalWorkspace, "read", refuse)
    assert _run(acme, report) == 1
    stopped = _read(report)  # the run had started: its report replaces the last one
    assert list(stopped) == list(completed)
    assert stopped["error"] == {
        "kind": "PermanentError",
        "message": "the wiki cannot be listed (connector local)",
    }
    assert (stopped["exit_code"], stopped["planned"], stopped["writes"]) == (1, 0, 0)
    assert stopped["now"] == ACME_NOW and stopped["applied"] is True


@pytest.mark.sqlite_state  # looks at the SQLite file or the lock file itself
def test_a_run_that_did_not_start_leaves_the_previous_report(acme: Path, tmp_path: Path) -> None:
    report = tmp_path / "last.json"
    assert _run(acme, report) == 0
    before = report.read_bytes()
    with RunLock(acme.parent / ".opsync" / "state.db.lock"):
        assert _run(acme, report) == 4  # another run holds the lock
    assert report.read_bytes() == before
    assert _run(tmp_path / "nowhere.toml", report) == 2  # no config there
    assert report.read_bytes() == before
