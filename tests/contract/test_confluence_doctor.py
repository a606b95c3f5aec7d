"""`check()` (doctor) of the Confluence connector against the emulator."""

from __future__ import annotations

import pytest

from opsync.connectors.confluence.config import ConfluenceConnectorConfig
from opsync.connectors.confluence.connector import ConfluenceWiki
from opsync.http import RetryPolicy
from opsync.testing.emulators.confluence import ConfluenceEmulator

_OPEN: list[ConfluenceWiki] = []


@pytest.fixture(autouse=True)
def _close() -> object:
    yield None
    while _OPEN:
        _OPEN.pop().close()


def _wiki(
    emulator: ConfluenceEmulator, monkeypatch: pytest.MonkeyPatch, **kw: str
) -> ConfluenceWiki:
    monkeypatch.setenv("OPSYNC_CONFLUENCE_BASE_URL", emulator.base_url)
    monkeypatch.setenv("CONFLUENCE_EMAIL", emulator.email)
    monkeypatch.setenv("CONFLUENCE_TOKEN", kw.pop("token", emulator.token))
    config = ConfluenceConnectorConfig(**{"space": "OPS", **kw})
    _OPEN.append(ConfluenceWiki(config, policy=RetryPolicy(max_attempts=1)))
    return _OPEN[-1]


def test_doctor_is_quiet_on_a_good_setup(
    confluence_emulator: ConfluenceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    wiki = _wiki(confluence_emulator, monkeypatch, pages_parent=confluence_emulator.root_page_id)
    assert wiki.check() == []


def test_doctor_names_bad_credentials_space_parent_and_live_docs(
    confluence_emulator: ConfluenceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = _wiki(confluence_emulator, monkeypatch, token="wrong")
    (finding,) = bad.check()
    assert finding.field == "space" and "credentials" in finding.message
    assert "wrong" not in finding.message
    missing = _wiki(confluence_emulator, monkeypatch, space="NOPE")
    assert "NOPE" in missing.check()[0].message
    gone = _wiki(confluence_emulator, monkeypatch, pages_parent="999999")
    assert any(f.field == "pages_parent" and "999999" in f.message for f in gone.check())
    confluence_emulator.world.pages[confluence_emulator.root_page_id].subtype = "live"
    live = _wiki(confluence_emulator, monkeypatch, pages_parent=confluence_emulator.root_page_id)
    assert any("live doc" in f.message for f in live.check())
