"""End-to-end fixtures: a fresh copy of a bundled example, and the CLI run in-process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import EXAMPLES, Cli, Result
from typer.testing import CliRunner

from opsync.cli.app import app


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        report_path = tmp_path / "report.json"
        report_path.unlink(missing_ok=True)
        extra = ["--report-json", str(report_path)] if args[0] in {"plan", "sync", "report"} else []
        result = runner.invoke(app, [*args, *extra])
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
        return Result(result.exit_code, result.output, report)

    return invoke


@pytest.fixture
def acme(tmp_path: Path) -> Path:
    """A copy of examples/acme in a temporary folder; returns its config path."""
    target = tmp_path / "acme"
    shutil.copytree(EXAMPLES / "acme", target)
    return target / "opsync.toml"
