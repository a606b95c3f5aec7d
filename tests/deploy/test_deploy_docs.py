"""docs/deploy.md names every recipe in deploy/ and tells what to do with every exit code a
scheduled run can end with (those of docs/cli.md but `apply`'s own)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_DOC = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")


def table_codes(markdown: str, heading: str) -> list[int]:
    section = markdown.split(heading, 1)[1].split("\n#", 1)[0]
    return [int(code) for code in re.findall(r"^\| (\d+) \|", section, re.M)]


def test_every_recipe_in_deploy_is_named_in_the_guide() -> None:
    recipes = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "deploy").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]
    assert recipes
    missing = [path for path in recipes if f"`{path}`" not in DEPLOY_DOC]
    assert not missing, f"docs/deploy.md does not name {missing}"


def test_the_guide_tells_what_to_do_with_every_exit_code_a_sync_can_end_with() -> None:
    cli_codes = table_codes((ROOT / "docs" / "cli.md").read_text(encoding="utf-8"), "## Exit codes")
    apply_only = {7}
    assert table_codes(DEPLOY_DOC, "### Exit codes") == [
        c for c in cli_codes if c not in apply_only
    ]
