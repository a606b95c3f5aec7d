"""Fixtures of the reliability tests: the targets, the full-sweep switch, the results file.

``OPSYNC_RELIABILITY_FULL=1`` sweeps every kill point (CI runs a seeded subset).
Each test adds what it tried and what held to ``results``; the figures of docs/reliability.md
are rendered from them (see reliability_results.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_results import Results
from reliability_targets import LocalTarget, NotionTarget, Target

from opsync.testing.emulators.notion import NotionEmulator

TARGETS = ("local", "notion")


@pytest.fixture(scope="session")
def results() -> Iterator[Results]:
    collected = Results.start()
    yield collected
    collected.finish()


@pytest.fixture(scope="module")
def seeded_emulator() -> Iterator[NotionEmulator]:
    """One emulator per module; trials restore its world instead of starting a new one."""
    with NotionEmulator(rate_limit=None, seed=7) as emulator:
        yield emulator


@pytest.fixture(scope="module", params=TARGETS)
def target(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    seeded_emulator: NotionEmulator,
) -> Target:
    root: Path = tmp_path_factory.mktemp(f"target-{request.param}")
    if request.param == "local":
        return LocalTarget(root)
    return NotionTarget(root, seeded_emulator)
