"""Connectors connected to the shipped emulators, shared by the contract tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from opsync.connectors.confluence.config import ConfluenceConnectorConfig
from opsync.connectors.confluence.connector import ConfluenceWiki
from opsync.http import RetryPolicy
from opsync.testing.emulators.confluence import ConfluenceEmulator


@pytest.fixture
def confluence_pages(
    confluence_emulator: ConfluenceEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ConfluenceWiki]:
    """The Confluence connector on the emulator's space, generated pages under its root
    page, retrying without sleeping."""
    monkeypatch.setenv("OPSYNC_CONFLUENCE_BASE_URL", confluence_emulator.base_url)
    monkeypatch.setenv("CONFLUENCE_EMAIL", confluence_emulator.email)
    monkeypatch.setenv("CONFLUENCE_TOKEN", confluence_emulator.token)
    config = ConfluenceConnectorConfig(space="OPS", pages_parent=confluence_emulator.root_page_id)
    connector = ConfluenceWiki(config, policy=RetryPolicy(sleep=lambda _: None))
    yield connector
    connector.close()
