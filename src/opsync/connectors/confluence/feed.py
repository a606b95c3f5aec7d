"""The ritual feed as an attachment of one Confluence page (``feed_page``): the feeds role.

A calendar subscribes to a URL and polls it, so the URL must never change: the feed is
attached once, and every later change is a new version of that same attachment (v1
``.../child/attachment/{id}/data``), which keeps its id and its download link
``/wiki/download/attachments/<page id>/rituals.ics`` (without ``/wiki`` on Data Center).
A run reads the feed back (for SEQUENCE and the plan's comparison) and writes only when its
bytes changed, so an unchanged calendar adds no version to the page's history.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import quote

from opsync.connectors.base import FileWrite
from opsync.connectors.confluence.site import Site
from opsync.errors import ConfigError

MEDIA_TYPE = "text/calendar"
FEED_FILE = "rituals.ics"  # the engine's name for the ritual feed


@dataclass(frozen=True)
class _Held:
    attachment_id: str
    digest: str  # SHA-256 of the bytes the page holds


def download_path(page_id: str, filename: str) -> str:
    """The attachment's download link after the site root: the latest version, always."""
    return f"/download/attachments/{page_id}/{quote(filename)}"


class AttachedFeed:
    """:class:`~opsync.connectors.base.FeedStore` over the attachments of ``page_id``."""

    def __init__(self, site: Site, page_id: str | None, name: str) -> None:
        self.site = site
        self.page_id = page_id
        self.name = name
        self._held: dict[str, _Held | None] = {}  # file name → what the page holds, once read

    def read_file(self, key: str) -> str | None:
        page = self._page()
        record = f"feeds/{key}"
        found = self.site.attachment(page, key, record=record)
        if found is None:
            self._held[key] = None
            return None
        data = self.site.api.download(download_path(page, key), record=record)
        self._held[key] = _Held(str(found["id"]), _digest(data))
        return data.decode("utf-8")

    def write_file(self, op: FileWrite) -> None:
        page = self._page()
        record = f"feeds/{op.key}"
        data = op.content.encode("utf-8")
        if op.key not in self._held:  # written without a read first: look once
            self.read_file(op.key)
        held = self._held[op.key]
        if held is not None and held.digest == _digest(data):
            return  # the page holds these bytes: no new version
        if held is None:
            self.site.attach(page, op.key, data, MEDIA_TYPE, record=record)
            del self._held[op.key]  # its id is looked up if this run writes it again
            return
        self.site.replace_attachment(
            page, held.attachment_id, op.key, data, MEDIA_TYPE, record=record
        )
        self._held[op.key] = _Held(held.attachment_id, _digest(data))

    def _page(self) -> str:
        if self.page_id is None:
            raise ConfigError(
                "the Confluence connector holds the ritual feed but has no page to attach it to",
                key=f"connectors.{self.name}.feed_page",
                hint="set feed_page = <page id> (a page the subscribers can view), or name "
                "another connector for feeds under [roles]",
            )
        return self.page_id


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


__all__ = ["FEED_FILE", "MEDIA_TYPE", "AttachedFeed", "download_path"]
