"""Helpers shared by the end-to-end tests (the ``cli`` and ``acme`` fixtures are in
tests/conftest.py)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, settings

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "opsync" / "examples"
ACME_NOW = "2026-12-03T15:00:00-05:00"

Cli = Callable[..., Any]


def tree(root: Path) -> str:
    """A hash of every file under ``root``, the state store included, names and bytes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(root)}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` except the state store, by relative path."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".opsync" not in p.parts
    }


def acme_checkout(tmp_path: Path, name: str, config: str, block: str | None = None) -> Path:
    """A copy of the acme example under ``tmp_path/name`` and its config ``config``, with
    ``block`` (bootstrap's output) appended and every connector unpaced: pacing has its own
    tests (tests/http, the contract tests' advertised pace), and at Notion's 2.8 requests a
    second each acme sync takes a minute."""
    target = tmp_path / name
    shutil.copytree(EXAMPLES / "acme", target)
    path = target / config
    text, paced = re.subn(
        r"(?m)^requests_per_second = .*$", "requests_per_second = 1000", path.read_text("utf-8")
    )
    assert paced, f"{config} sets no requests_per_second"
    path.write_text(text + (block or ""), encoding="utf-8")
    return path


#: Collections added after the first workspaces were bootstrapped (issue 16).
NEWER_COLLECTIONS = ("frictions", "requests", "insight_actions")


def without_tables(block: str, connector: str, collections: tuple[str, ...]) -> str:
    """The pasted config block without the tables of ``collections`` (and their sub-tables)."""
    kept, skipping = [], False
    for line in block.splitlines(keepends=True):
        if line.startswith("["):
            name = line.strip().strip("[]")
            skipping = any(
                name == f"connectors.{connector}.collections.{c}"
                or name.startswith(f"connectors.{connector}.collections.{c}.")
                for c in collections
            )
        if not skipping:
            kept.append(line)
    return "".join(kept)


T = TypeVar("T")

#: How many random histories a memo property test tries (tests/e2e/test_unchanged_property*.py)
PROPERTY_EXAMPLES_ENV = "OPSYNC_PROPERTY_EXAMPLES"


def history_settings(default_examples: int) -> Callable[[T], T]:
    """The hypothesis settings of a memo property test: ``OPSYNC_PROPERTY_EXAMPLES`` histories
    (``default_examples`` in CI), the same ones each run, none shrunk (each step is several
    syncs)."""
    return settings(
        max_examples=int(os.environ.get(PROPERTY_EXAMPLES_ENV, str(default_examples))),
        deadline=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow],
    )


def saved_later(path: Path | None, step: int) -> None:
    """An edit saved a while after the file's last change, as a person's is: the memo's scan
    then sees it (racy files, changed within the scan's grain, have their own test)."""
    if path is not None and path.exists():
        at = path.stat().st_mtime_ns + (step + 1) * 1_000_000_000
        os.utime(path, ns=(at, at))
