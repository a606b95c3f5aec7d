"""Helpers shared by the end-to-end tests (fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "opsync" / "examples"
ACME_NOW = "2026-12-03T15:00:00-05:00"


@dataclass
class Result:
    exit_code: int
    output: str
    report: dict[str, Any]


Cli = Callable[..., Result]


def files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` except the state store, by relative path."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".opsync" not in p.parts
    }
