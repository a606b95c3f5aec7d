"""Every bundled example syncs through the CLI, and a second sync writes nothing (kopf runs
its examples the same way)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import ACME_NOW, EXAMPLES, Cli

from opsync import api


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()))
def test_example_syncs_twice_cleanly(name: str, tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / name
    config = api.init_workspace(target, example=name)
    first = cli("sync", "--config", str(config), "--now", ACME_NOW)
    assert first.exit_code == 0, first.output
    second = cli("sync", "--config", str(config), "--now", ACME_NOW)
    assert (second.exit_code, second.report["writes"]) == (0, 0), second.output


def test_init_refuses_to_overwrite_and_names_unknown_examples(tmp_path: Path, cli: Cli) -> None:
    shutil.copytree(EXAMPLES / "empty", tmp_path / "x")
    assert cli("init", str(tmp_path / "x")).exit_code == 2
    unknown = cli("init", str(tmp_path / "y"), "--example", "nope")
    assert unknown.exit_code == 2 and "acme" in unknown.output
