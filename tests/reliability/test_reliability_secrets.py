"""Secrets: recognisable fake tokens (Notion; Jira and Confluence) never appear in any
output, report, log, state or mirror file, nor in the committed cassettes.

The sync runs as a real process at debug level, against an emulator that accepts only the
fake token, with failures queued so that error paths (retries, a lost answer, a failing
record) log and report too; then a run with a wrong token fails on authentication.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import reliability_fixtures
from reliability_atlassian import AtlassianTarget
from reliability_results import Results
from reliability_targets import NOW, NotionTarget

from opsync.testing.emulators.confluence import ConfluenceEmulator
from opsync.testing.emulators.jira import JiraEmulator
from opsync.testing.emulators.notion import NotionEmulator

# the state searched for tokens is the SQLite file beside the config
pytestmark = pytest.mark.sqlite_state

# Built at run time, so the tree holds no string shaped like a real Notion token.
TOKEN = "ntn_" + "opsyncLEAKcanary" + secrets.token_hex(12)
WRONG = "ntn_" + "opsyncWRONGcanary" + secrets.token_hex(12)
REPO = Path(__file__).resolve().parents[2]

results = reliability_fixtures.results


@pytest.fixture(scope="module")
def leaky(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NotionTarget]:
    with NotionEmulator(rate_limit=None, seed=11, token=TOKEN) as emulator:
        target = NotionTarget(tmp_path_factory.mktemp("secrets"), emulator)
        target.restore()
        yield target


def opsync(target: NotionTarget, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **target.env(), "NOTION_TOKEN": token}
    return subprocess.run(
        [sys.executable, "-m", "opsync", "--log-level", "debug", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def everything_written(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_token_appears_in_no_output_log_report_state_or_cassette(
    leaky: NotionTarget, tmp_path: Path, results: Results
) -> None:
    faults = leaky.emulator.faults
    faults.fail(503, times=1, method="PATCH")
    faults.reset_connection(times=1, method="POST", path="/v1/pages", apply=True)
    report = tmp_path / "report.json"
    config = str(leaky.config)
    runs = [
        opsync(
            leaky, TOKEN, "sync", "--config", config, "--now", NOW, "--report-json", str(report)
        ),
        opsync(leaky, TOKEN, "doctor", "--config", config),
        opsync(
            leaky, WRONG, "sync", "--config", config, "--now", NOW, "--report-json", str(report)
        ),
        opsync(leaky, WRONG, "doctor", "--config", config),
    ]
    first, _, wrong, doctor = runs
    assert "DEBUG" in first.stderr and "opsync.http" in first.stderr  # logging did happen
    assert first.returncode == 1, first.stderr[-2000:]  # the lost answer failed one create
    assert wrong.returncode == 2 or wrong.returncode == 1
    assert "401" in wrong.stdout + wrong.stderr or "unauthorized" in (wrong.stdout + wrong.stderr)
    assert doctor.returncode == 1

    places: dict[str, bytes] = {}
    for i, run in enumerate(runs):
        places[f"run {i} stdout"] = run.stdout.encode()
        places[f"run {i} stderr"] = run.stderr.encode()
    places.update(everything_written(leaky.work))
    places.update(everything_written(tmp_path))
    for folder in REPO.joinpath("tests").rglob("cassettes"):
        places.update(everything_written(folder))
    assert any(p.endswith("state.db") for p in places)
    leaks = [
        where
        for where, data in places.items()
        for secret in (TOKEN, WRONG)
        if secret.encode() in data
    ]
    results.add(
        "secrets",
        "notion",
        "outputs, logs, reports, state and cassettes searched",
        len(places),
        len(places) - len(set(leaks)),
    )
    assert leaks == []


JIRA_TOKEN = "ATATT3xFfGF0opsyncJIRAcanary5e8d2a7c9b1f"
CONFLUENCE_TOKEN = "ATATT3xFfGF0opsyncWIKIcanary3c6b9e1d4a7f"
WRONG_ATLASSIAN = "ATATT3xFfGF0opsyncWRONGcanary8a2d5f0c3e6b"


@pytest.fixture(scope="module")
def leaky_atlassian(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AtlassianTarget]:
    with (
        JiraEmulator(rate_limit=None, token=JIRA_TOKEN) as jira,
        ConfluenceEmulator(token=CONFLUENCE_TOKEN) as confluence,
    ):
        jira.seed_acme()
        target = AtlassianTarget(tmp_path_factory.mktemp("secrets-atlassian"), jira, confluence)
        target.restore()
        yield target


def atlassian(
    target: AtlassianTarget, jira: str, wiki: str, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **target.env(), "JIRA_API_TOKEN": jira, "CONFLUENCE_TOKEN": wiki}
    return subprocess.run(
        [sys.executable, "-m", "opsync", "--log-level", "debug", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_atlassian_jira_and_confluence_tokens_appear_in_no_output_log_report_or_state(
    leaky_atlassian: AtlassianTarget, tmp_path: Path, results: Results
) -> None:
    target = leaky_atlassian
    target.confluence.fail("PUT", r"/api/v2/pages/\d+$", 503)
    target.confluence.drop("POST", r"/api/v2/pages$")
    target.jira.faults.fail(429, times=1, path="/rest/api/3/search/jql", retry_after="1")
    report = tmp_path / "report.json"
    config = str(target.config)
    sync = ("sync", "--config", config, "--now", NOW, "--report-json", str(report))
    runs = [
        atlassian(target, JIRA_TOKEN, CONFLUENCE_TOKEN, *sync),
        atlassian(target, JIRA_TOKEN, CONFLUENCE_TOKEN, "doctor", "--config", config),
        atlassian(target, WRONG_ATLASSIAN, CONFLUENCE_TOKEN, *sync),
        atlassian(target, JIRA_TOKEN, WRONG_ATLASSIAN, *sync),
        atlassian(target, WRONG_ATLASSIAN, WRONG_ATLASSIAN, "doctor", "--config", config),
    ]
    first, doctor, wrong_jira, wrong_wiki, wrong_doctor = runs
    assert "DEBUG" in first.stderr and "opsync.http" in first.stderr  # logging did happen
    assert first.returncode in (0, 1), first.stderr[-2000:]
    assert doctor.returncode == 0, doctor.stdout[-2000:]
    for wrong in (wrong_jira, wrong_wiki):
        assert wrong.returncode in (1, 2), wrong.stderr[-2000:]
        assert "401" in wrong.stdout + wrong.stderr
    assert wrong_doctor.returncode == 1

    places: dict[str, bytes] = {}
    for i, run in enumerate(runs):
        places[f"run {i} stdout"] = run.stdout.encode()
        places[f"run {i} stderr"] = run.stderr.encode()
    places.update(everything_written(target.work))
    places.update(everything_written(tmp_path))
    for folder in REPO.joinpath("tests").rglob("cassettes"):
        places.update(everything_written(folder))
    assert any(p.endswith("atlassian-state.db") for p in places)
    secrets = (JIRA_TOKEN, CONFLUENCE_TOKEN, WRONG_ATLASSIAN)
    leaks = [where for where, data in places.items() for s in secrets if s.encode() in data]
    results.add(
        "secrets",
        "atlassian",
        "Jira and Confluence tokens: outputs, logs, reports, state and cassettes searched",
        len(places),
        len(places) - len(set(leaks)),
    )
    assert leaks == []
