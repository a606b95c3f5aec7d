"""The ritual feed as an attachment of a Confluence page, against the emulator: attached once,
then a new version of the same attachment when it changes (the same id, so the same download
URL a calendar subscribed to), nothing written when it did not, and a whole sync of acme
publishing there."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from opsync.connectors.base import FileWrite
from opsync.connectors.confluence.config import ConfluenceConnectorConfig
from opsync.connectors.confluence.connector import ConfluenceWiki
from opsync.http import RetryPolicy
from opsync.testing.emulators.confluence import ConfluenceEmulator

ATTACHMENTS = "/wiki/rest/api/content/{id}/child/attachment"
NEW_VERSION = "/wiki/rest/api/content/{id}/child/attachment/{aid}/data"
ACME_NOW = "2026-12-03T15:00:00-05:00"
LATER = "2026-12-04T15:00:00-05:00"
FEED = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nEND:VCALENDAR\r\n"


@pytest.fixture
def feeds(
    confluence_emulator: ConfluenceEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ConfluenceWiki]:
    monkeypatch.setenv("OPSYNC_CONFLUENCE_BASE_URL", confluence_emulator.base_url)
    monkeypatch.setenv("CONFLUENCE_EMAIL", confluence_emulator.email)
    monkeypatch.setenv("CONFLUENCE_TOKEN", confluence_emulator.token)
    yield connector(confluence_emulator)


def connector(emulator: ConfluenceEmulator) -> ConfluenceWiki:
    config = ConfluenceConnectorConfig(
        space="OPS", pages_parent=emulator.root_page_id, feed_page=emulator.root_page_id
    )
    return ConfluenceWiki(config, policy=RetryPolicy(sleep=lambda _: None))


def subscribe(emulator: ConfluenceEmulator) -> httpx.Response:
    """What a calendar fetches: the stable download URL, with the account's credentials."""
    url = f"{emulator.base_url}/wiki/download/attachments/{emulator.root_page_id}/rituals.ics"
    return httpx.get(url, auth=(emulator.email, emulator.token))


def test_feed_is_attached_once_and_downloads_as_a_calendar(
    feeds: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    assert feeds.read_file("rituals.ics") is None
    feeds.write_file(FileWrite("rituals.ics", FEED))
    page = confluence_emulator.world.page(confluence_emulator.root_page_id)
    assert page is not None and [a.title for a in page.attachments] == ["rituals.ics"]
    fetched = subscribe(confluence_emulator)
    assert fetched.status_code == 200 and fetched.content == FEED.encode()
    assert fetched.headers["content-type"].startswith("text/calendar")
    assert feeds.read_file("rituals.ics") == FEED
    feeds.close()


def test_a_changed_feed_is_a_new_version_at_the_same_url_and_an_unchanged_one_no_write(
    feeds: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    feeds.write_file(FileWrite("rituals.ics", FEED))
    page = confluence_emulator.world.page(confluence_emulator.root_page_id)
    assert page is not None
    (first,) = page.attachments
    attachment_id = first.id
    confluence_emulator.reset_counts()
    later = connector(confluence_emulator)  # the next run reads it back, then writes the same
    assert later.read_file("rituals.ics") == FEED
    later.write_file(FileWrite("rituals.ics", FEED))
    assert confluence_emulator.counts.writes == 0
    changed = FEED.replace("-//test//EN", "-//test//FR")
    later.write_file(FileWrite("rituals.ics", changed))
    assert confluence_emulator.counts.of("POST", NEW_VERSION) == 1
    assert confluence_emulator.counts.of("POST", ATTACHMENTS) == 0
    (now,) = page.attachments
    assert (now.id, now.version) == (attachment_id, 2)
    assert subscribe(confluence_emulator).content == changed.encode()
    later.close()
    feeds.close()


def test_without_feed_page_the_feed_role_is_a_config_error(
    confluence_emulator: ConfluenceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSYNC_CONFLUENCE_BASE_URL", confluence_emulator.base_url)
    monkeypatch.setenv("CONFLUENCE_EMAIL", confluence_emulator.email)
    monkeypatch.setenv("CONFLUENCE_TOKEN", confluence_emulator.token)
    wiki = ConfluenceWiki(ConfluenceConnectorConfig(space="OPS"))
    with pytest.raises(Exception, match="feed_page"):
        wiki.read_file("rituals.ics")
    wiki.close()


def test_a_sync_publishes_acme_feed_to_the_page_and_a_rerun_writes_nothing(
    confluence_emulator: ConfluenceEmulator,
    monkeypatch: pytest.MonkeyPatch,
    acme: Path,
    cli: Callable[..., Any],
) -> None:
    monkeypatch.setenv("OPSYNC_CONFLUENCE_BASE_URL", confluence_emulator.base_url)
    monkeypatch.setenv("CONFLUENCE_EMAIL", confluence_emulator.email)
    monkeypatch.setenv("CONFLUENCE_TOKEN", confluence_emulator.token)
    acme.write_text(
        acme.read_text() + '\n[connectors.calendar]\ntype = "confluence"\nspace = "OPS"\n'
        f'feed_page = "{confluence_emulator.root_page_id}"\n'
        '\n[roles]\ntracker = "local"\nwiki = "local"\npages = "local"\nnotifier = "local"\n'
        'feeds = "calendar"\n'
    )
    first = cli("sync", "--config", str(acme), "--now", ACME_NOW)
    assert first.exit_code in (0, 3), first.output
    data = subscribe(confluence_emulator).content
    uids = {str(e["UID"]) for e in Calendar.from_ical(data).walk("VEVENT")}
    assert "rollout-retro-week-12@opsync" in uids
    assert not (acme.parent / "pages" / "rituals.ics").exists()
    doctor = cli("doctor", "--config", str(acme))
    assert doctor.exit_code == 0, doctor.output
    confluence_emulator.reset_counts()
    again = cli("sync", "--config", str(acme), "--now", ACME_NOW)
    assert again.report["planned"] == 0 and confluence_emulator.counts.writes == 0
    cli("sync", "--config", str(acme), "--now", LATER)
    assert confluence_emulator.counts.of("POST", NEW_VERSION) == 1
    page = confluence_emulator.world.page(confluence_emulator.root_page_id)
    assert page is not None and [a.title for a in page.attachments] == ["rituals.ics"]
    assert subscribe(confluence_emulator).content != data


def test_without_roles_feeds_stays_in_the_local_workspace(
    confluence_emulator: ConfluenceEmulator,
    monkeypatch: pytest.MonkeyPatch,
    acme: Path,
    cli: Callable[..., Any],
) -> None:
    """A Confluence table beside the local one does not move the feed by itself."""
    monkeypatch.setenv("OPSYNC_CONFLUENCE_BASE_URL", confluence_emulator.base_url)
    monkeypatch.setenv("CONFLUENCE_EMAIL", confluence_emulator.email)
    monkeypatch.setenv("CONFLUENCE_TOKEN", confluence_emulator.token)
    acme.write_text(
        acme.read_text() + '\n[connectors.calendar]\ntype = "confluence"\nspace = "OPS"\n'
        f'feed_page = "{confluence_emulator.root_page_id}"\n'
        '\n[roles]\ntracker = "local"\nwiki = "local"\npages = "local"\n'
    )
    cli("sync", "--config", str(acme), "--now", ACME_NOW)
    assert (acme.parent / "pages" / "rituals.ics").is_file()
    assert confluence_emulator.counts.writes == 0
