"""`check()` (doctor) of the Confluence connector against the emulator."""

from __future__ import annotations

import pytest

from opsync.connectors.confluence.config import ConfluenceConnectorConfig
from opsync.connectors.confluence.connector import ConfluenceWiki
from opsync.http import RetryPolicy, TokenBucket
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


class _Clock:
    """The emulator's clock, moved on by the connector's retry sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_over_the_burst_limit_the_emulator_answers_429_and_the_policy_waits_it_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = _Clock()
    with ConfluenceEmulator(rate_limit=1.0, burst=2, clock=clock) as emulator:
        monkeypatch.setenv("OPSYNC_CONFLUENCE_BASE_URL", emulator.base_url)
        monkeypatch.setenv("CONFLUENCE_EMAIL", emulator.email)
        monkeypatch.setenv("CONFLUENCE_TOKEN", emulator.token)
        config = ConfluenceConnectorConfig(space="OPS", pages_parent=emulator.root_page_id)
        waits: list[float] = []

        def sleep(seconds: float) -> None:
            waits.append(seconds)
            clock.sleep(seconds)

        wiki = ConfluenceWiki(
            config, bucket=TokenBucket(1000, 1000), policy=RetryPolicy(sleep=sleep)
        )
        try:
            for _ in range(3):
                wiki.site.page(emulator.root_page_id)
        finally:
            wiki.close()
        assert emulator.counts.of("GET", "(429)") == 1
        assert waits == [1.0]  # the Retry-After it sent, in whole seconds
        assert emulator.counts.of("GET", "/wiki/api/v2/pages/{id}") == 3
