"""Small things a new user reaches for (issue 18, point 8): `opsync --version`, `opsync
report --json` and its filters, `--report-json -` leaving stdout to the JSON report, and the
scaffold's `.gitignore`."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest
from support import ACME_NOW
from typer.testing import CliRunner

from opsync.cli.app import app
from opsync.engine.report import ReportSchema


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _report(acme: Path, *args: str) -> tuple[int, dict[str, object], str]:
    code, stdout, stderr = _invoke("report", "-c", str(acme), "--now", ACME_NOW, "--json", *args)
    body = json.loads(stdout)
    ReportSchema.model_validate(body)
    return code, body, stderr


def test_version_prints_the_installed_version() -> None:
    code, stdout, _ = _invoke("--version")
    assert (code, stdout) == (0, f"opsync {version('opsync')}\n")


def test_report_json_prints_the_json_report_to_stdout(acme: Path) -> None:
    code, body, _ = _report(acme)
    assert code == 0 and body["applied"] is False and body["error"] is None
    findings = body["findings"]
    assert isinstance(findings, list) and len(findings) > 20
    assert body["scorecard"]


def test_report_filters_keep_the_findings_matching_every_option(acme: Path) -> None:
    _, whole, _ = _report(acme)
    everything = whole["findings"]
    assert isinstance(everything, list)

    _, by_family, _ = _report(acme, "--code", "enablement")
    assert by_family["findings"] == [f for f in everything if f["code"].startswith("enablement.")]
    assert by_family["findings"]

    _, by_code, _ = _report(acme, "--code", "enablement.handoff-late", "--code", "record.invalid")
    codes = {f["code"] for f in by_code["findings"]}  # type: ignore[attr-defined]
    assert codes == {"enablement.handoff-late"}  # acme has no invalid record

    _, errors, _ = _report(acme, "--severity", "error")
    assert errors["findings"] == [f for f in everything if f["level"] == "error"]
    _, warned, _ = _report(acme, "--severity", "warning")
    assert warned["findings"] == [f for f in everything if f["level"] in ("warning", "error")]

    _, one, _ = _report(acme, "--record", "releases/ACME-129", "--code", "enablement.*-late")
    assert one["findings"] == [
        f
        for f in everything
        if f["record"] == "releases/ACME-129" and f["code"] == "enablement.handoff-late"
    ]
    _, collection, _ = _report(acme, "--record", "releases")
    assert collection["findings"] == [f for f in everything if f["record"].startswith("releases/")]
    # the filters choose what is shown, not the run: the exit code is the whole report's
    assert one["exit_code"] == whole["exit_code"]


def test_report_tables_say_how_many_findings_the_filters_kept(acme: Path) -> None:
    _, whole, _ = _report(acme, "--severity", "error")
    total = len(_report(acme)[1]["findings"])  # type: ignore[arg-type]
    kept = len(whole["findings"])  # type: ignore[arg-type]
    code, stdout, _ = _invoke("report", "-c", str(acme), "--now", ACME_NOW, "--severity", "error")
    assert code == 0 and f"Findings ({kept} of {total})" in stdout


def test_report_json_and_report_json_to_stdout_together_are_refused(acme: Path) -> None:
    code, _, stderr = _invoke(
        "report", "-c", str(acme), "--now", ACME_NOW, "--json", "--report-json", "-"
    )
    assert code == 2 and "both print to stdout" in " ".join(stderr.split())


@pytest.mark.parametrize("command", ["plan", "sync", "report"])
def test_report_json_dash_leaves_stdout_to_the_json_report(acme: Path, command: str) -> None:
    code, stdout, stderr = _invoke(
        command, "-c", str(acme), "--now", ACME_NOW, "--report-json", "-"
    )
    assert code == 0
    body = json.loads(stdout)  # stdout is the report and nothing else
    ReportSchema.model_validate(body)
    # what the command prints otherwise went to stderr
    said = {"plan": "Plan:", "sync": "operation(s);", "report": "Findings"}[command]
    assert said in stderr and said not in stdout


@pytest.mark.sqlite_state  # looks at the SQLite state file or its folder
def test_init_writes_a_gitignore_that_keeps_state_and_outbox_out_of_git(tmp_path: Path) -> None:
    folder = tmp_path / "acme"
    code, _, _ = _invoke("init", str(folder), "--example", "acme")
    assert code == 0
    ignore = (folder / ".gitignore").read_text()
    assert ignore.splitlines()[1:] == ["/.opsync/", "/outbox/"]
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    _git(folder, "init", "-q")
    assert _invoke("sync", "-c", str(folder / "opsync.toml"), "--now", ACME_NOW)[0] == 0
    assert (folder / ".opsync").is_dir() and any((folder / "outbox").iterdir())
    untracked = _git(folder, "status", "--porcelain", "--untracked-files=all").splitlines()
    paths = [line[3:] for line in untracked]
    assert not [p for p in paths if p.startswith((".opsync/", "outbox/"))]
    assert "opsync.toml" in paths and any(p.startswith("pages/weekly-update/") for p in paths)


def test_init_adds_to_a_gitignore_already_there(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("node_modules/\n/outbox/")
    assert _invoke("init", str(tmp_path))[0] == 0
    lines = (tmp_path / ".gitignore").read_text().splitlines()
    assert lines[0] == "node_modules/" and lines[1] == "/outbox/"
    assert lines[2].startswith("# opsync's state and outbox") and lines[3:] == ["/.opsync/"]


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=folder, capture_output=True, text=True, check=True
    ).stdout


def test_report_json_prints_the_error_report_when_the_config_is_refused(tmp_path: Path) -> None:
    code, stdout, stderr = _invoke("report", "-c", str(tmp_path / "missing.toml"), "--json")
    body = json.loads(stdout)
    ReportSchema.model_validate(body)
    assert code == 2 and body["exit_code"] == 2 and body["error"]["kind"] == "ConfigError"
    assert "error" in stderr
