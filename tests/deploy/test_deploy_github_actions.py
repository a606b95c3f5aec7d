"""deploy/github-actions/opsync.yml: valid against the GitHub workflow schema (SchemaStore's,
as vendored by check-jsonschema, in the dev extra), scheduled without overlap, keeping its
state and outbox in the Actions cache, and mapping opsync's exit codes as docs/deploy.md
says. The sync step's shell runs here with a stand-in ``docker`` that exits with each code.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsync.connectors.notion.client import DEFAULT_TOKEN_ENV as NOTION_TOKEN_ENV
from opsync.connectors.slack.client import DEFAULT_TOKEN_ENV as SLACK_TOKEN_ENV

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "deploy" / "github-actions" / "opsync.yml"


def workflow() -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    return loaded


def steps() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = workflow()["jobs"]["sync"]["steps"]
    return found


def step(name: str) -> dict[str, Any]:
    (found,) = [s for s in steps() if s.get("name") == name]
    return found


def check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("check_jsonschema")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_workflow_is_valid_against_the_github_workflow_schema() -> None:
    done = check_jsonschema(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_rejects_a_misspelled_key(tmp_path: Path) -> None:
    broken = tmp_path / "opsync.yml"
    broken.write_text(WORKFLOW.read_text().replace("cancel-in-progress:", "cancel_in_progress:"))
    assert check_jsonschema(broken).returncode != 0


def test_it_runs_on_a_schedule_and_never_two_at_once() -> None:
    triggers = workflow()[True]  # YAML 1.1 reads the key `on` as true
    (schedule,) = triggers["schedule"]
    assert len(schedule["cron"].split()) == 5
    concurrency = workflow()["concurrency"]
    assert concurrency["group"] and concurrency["cancel-in-progress"] is False


def test_the_state_and_the_outbox_are_restored_before_the_sync_and_saved_after_it_always() -> None:
    names = [s.get("name") for s in steps()]
    restore, save = step("Restore the state and the outbox"), step("Save the state and the outbox")
    assert names.index(restore["name"]) < names.index("Sync") < names.index(save["name"])
    assert restore["uses"].startswith("actions/cache/restore@")
    assert save["uses"].startswith("actions/cache/save@")
    assert save["if"] == "always()"
    for cached in (restore, save):
        assert cached["with"]["path"].split() == [".opsync", "outbox"]
    assert save["with"]["key"] == restore["with"]["key"]
    assert save["with"]["key"].startswith(restore["with"]["restore-keys"].strip())


def test_secrets_come_from_the_repositorys_secrets() -> None:
    env = step("Sync")["env"]
    for name in (NOTION_TOKEN_ENV, SLACK_TOKEN_ENV, "OPSYNC_STATE_URL", "PGPASSWORD"):
        assert env[name] == "${{ secrets." + name + " }}"
    for name in env:
        assert f"--env {name}" in step("Sync")["run"], f"{name} is not passed to the container"


@pytest.fixture
def fake_docker(tmp_path: Path) -> Path:
    """A ``docker`` that records its arguments and exits with $FAKE_EXIT."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$FAKE_ARGS"\nexit "$FAKE_EXIT"\n')
    docker.chmod(0o755)
    return bin_dir


@pytest.mark.parametrize(("opsync_exit", "step_exit"), [(0, 0), (4, 0), (1, 1), (3, 3), (5, 5)])
def test_the_sync_step_fails_on_what_needs_someone_and_passes_on_a_held_lock(
    fake_docker: Path, tmp_path: Path, opsync_exit: int, step_exit: int
) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    args = tmp_path / "args"
    env = {
        "PATH": f"{fake_docker}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_WORKSPACE": str(workspace),
        "OPSYNC_IMAGE": workflow()["env"]["OPSYNC_IMAGE"],
        "FAKE_EXIT": str(opsync_exit),
        "FAKE_ARGS": str(args),
    }
    # GitHub's default shell for `run` on Linux
    done = subprocess.run(
        [bash, "--noprofile", "--norc", "-eo", "pipefail", "-c", step("Sync")["run"]],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == step_exit, done.stdout + done.stderr
    called = args.read_text().splitlines()
    assert called[:2] == ["run", "--rm"]
    assert f"{workspace}:/config" in called
    assert re.fullmatch(r"\d+:\d+", called[called.index("--user") + 1])
    image = called.index(env["OPSYNC_IMAGE"])
    assert called[image + 1 : image + 4] == ["sync", "--config", "/config/opsync.toml"]
    assert {".opsync", "outbox"} <= {p.name for p in workspace.iterdir()}
