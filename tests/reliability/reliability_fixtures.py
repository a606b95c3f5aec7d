"""Fixtures of the reliability tests: the targets and the run's results. Each test module
imports them by name (a conftest.py here would shadow tests/conftest.py, which unit tests
import as ``conftest``).

``OPSYNC_RELIABILITY_FULL=1`` sweeps every kill point (CI runs a seeded subset).
Each test adds what it tried and what held to ``results``; the figures of docs/reliability.md
are rendered from them (see reliability_results.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_atlassian import AtlassianTarget
from reliability_results import RUN, Results
from reliability_slack import Inbox, SlackTarget, smtp_server
from reliability_targets import LocalTarget, NotionTarget, Target

from opsync.testing.emulators.confluence import ConfluenceEmulator
from opsync.testing.emulators.jira import JiraEmulator
from opsync.testing.emulators.notion import NotionEmulator
from opsync.testing.emulators.slack import SlackEmulator

TARGETS = ("local", "notion", "atlassian", "slack")


@pytest.fixture
def results() -> Results:
    return RUN


@pytest.fixture(scope="module")
def seeded_emulator() -> Iterator[NotionEmulator]:
    """One emulator per module; trials restore its world instead of starting a new one."""
    with NotionEmulator(rate_limit=None, seed=7) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def atlassian_emulators() -> Iterator[tuple[JiraEmulator, ConfluenceEmulator]]:
    """A Jira site seeded with Acme's releases and a Confluence site, one pair per module."""
    with JiraEmulator(rate_limit=None) as jira, ConfluenceEmulator() as confluence:
        jira.seed_acme()
        yield jira, confluence


@pytest.fixture(scope="module")
def messaging() -> Iterator[tuple[SlackEmulator, Inbox, int]]:
    """A Slack workspace and a mail server, one pair per module."""
    with SlackEmulator() as slack, smtp_server() as (inbox, port):
        yield slack, inbox, port


@pytest.fixture(scope="module", params=TARGETS)
def target(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    seeded_emulator: NotionEmulator,
) -> Target:
    """Each target in turn (a module imports ``atlassian_emulators`` too when it uses this)."""
    root: Path = tmp_path_factory.mktemp(f"target-{request.param}")
    if request.param == "local":
        return LocalTarget(root)
    if request.param == "atlassian":
        return AtlassianTarget(root, *request.getfixturevalue("atlassian_emulators"))
    if request.param == "slack":
        return SlackTarget(root, *request.getfixturevalue("messaging"))
    return NotionTarget(root, seeded_emulator)
