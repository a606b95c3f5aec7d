"""`pip install opsync` (no extra) runs the local workspace: the README's quick start, a
report, a logged plan and doctor succeed in an interpreter where every module an extra installs
fails to import, and none of them is loaded. The installed sizes of a real core install and
of each extra are measured by hand (docs/benchmarks.md); this is the check CI can afford."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from support import ACME_NOW
from without_extras import EXTRA_MODULES

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("without_extras.py")


@pytest.mark.sqlite_state  # looks at the SQLite state file or its folder
def test_the_quick_start_runs_and_imports_nothing_an_extra_installs(tmp_path: Path) -> None:
    folder = tmp_path / "work" / "acme"
    ran = subprocess.run(
        [sys.executable, str(SCRIPT), str(folder), ACME_NOW],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    line = next(ln for ln in ran.stdout.splitlines() if ln.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    assert result["codes"] == [0, 0, 0, 0, 0], ran.stderr
    loaded = sorted({m for m in result["modules"] if m.partition(".")[0] in EXTRA_MODULES})
    assert loaded == []
    assert "opsync.connectors.local.factory" in result["modules"]  # the sync did run
    assert list((folder / "pages" / "weekly-update").glob("*.md"))


def test_the_core_dependencies_hold_no_vendor_sdk_and_each_extra_its_part() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = {_name(d) for d in project["dependencies"]}
    assert core == {
        "pydantic",
        "tenacity",
        "holidays",
        "icalendar",
        "pyyaml",
        "typer",
        "rich",
        "portalocker",
    }
    extras = {k: {_name(d) for d in v} for k, v in project["optional-dependencies"].items()}
    assert extras["notion"] >= {"notion-client"}
    assert extras["atlassian"] >= {"atlassian-python-api"}
    assert extras["slack"] >= {"slack-sdk"}
    assert extras["linear"] == {"httpx"}
    assert extras["postgres"] == {"psycopg"}
    # the OpenAPI and GraphQL validation stack is in the emulators extra and nowhere else
    validation = {"openapi-core", "graphql-core", "werkzeug"}
    assert extras["emulators"] == validation
    assert not [k for k, v in extras.items() if v & validation and k != "emulators"]
    parts = set(extras) - {"all", "dev"}
    assert project["optional-dependencies"]["all"] == [
        f"opsync[{','.join(sorted(parts, key=list(extras).index))}]"
    ]
    assert "opsync[all]" in project["optional-dependencies"]["dev"]


def _name(requirement: str) -> str:
    """The distribution a requirement names, normalised: "psycopg[binary]>=3.1" → psycopg."""
    for stop in "[<>=!~; ":
        requirement = requirement.partition(stop)[0]
    return requirement.lower().replace("_", "-")
