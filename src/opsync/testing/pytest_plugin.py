"""pytest fixtures for testing against opsync's emulators (registered as a pytest11 plugin).

`notion_emulator` is a fresh, running Notion emulator per test, without the rate limit so
suites stay fast; a test about pacing turns it on with `set_rate_limit(3.0)`.

Every emulator is imported by its fixture: pytest loads this plugin in any project where
opsync is installed, and the emulators' validation stack is the ``emulators`` extra.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from opsync.testing.emulators.confluence import ConfluenceEmulator
    from opsync.testing.emulators.jira import JiraEmulator
    from opsync.testing.emulators.linear import LinearEmulator
    from opsync.testing.emulators.notion import NotionEmulator


@pytest.fixture
def notion_emulator() -> Iterator[NotionEmulator]:
    """A running emulator: `.base_url`, `.token`, `.root_page_id`, `.counts`, `.faults`."""
    from opsync.testing.emulators.notion import NotionEmulator

    with NotionEmulator(rate_limit=None) as emulator:
        yield emulator


@pytest.fixture
def jira_emulator() -> Iterator[JiraEmulator]:
    """A running Jira Cloud emulator without a rate limit: `.base_url`, `.email`, `.token`,
    `.world` (projects, versions, issues), `.counts`, `.faults`."""
    from opsync.testing.emulators.jira import JiraEmulator

    with JiraEmulator(rate_limit=None) as emulator:
        yield emulator


@pytest.fixture
def confluence_emulator() -> Iterator[ConfluenceEmulator]:
    """A running Confluence emulator: `.base_url`, `.email`, `.token`, `.space`,
    `.root_page_id`, `.counts`, `.fail(...)`, `.drop(...)`, `.edit(...)`."""
    from opsync.testing.emulators.confluence import ConfluenceEmulator

    with ConfluenceEmulator() as emulator:
        yield emulator


@pytest.fixture
def linear_emulator() -> Iterator[LinearEmulator]:
    """A running Linear emulator: `.base_url`, `.key`, `.world`, `.counts`, `.operations`,
    `.faults`, `.set_limits(...)`."""
    from opsync.testing.emulators.linear import LinearEmulator

    with LinearEmulator() as emulator:
        yield emulator
