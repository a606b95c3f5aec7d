"""Helpers shared by the end-to-end tests (the ``cli`` and ``acme`` fixtures are in
tests/conftest.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
