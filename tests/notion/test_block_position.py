"""Inserting blocks after a given block speaks the Notion-Version in use: `after` up to
2025-09-03, `position` from 2026-03-11 on, never both (NOTES.md 1, 11). Checked on the body
that leaves through the SDK, since the SDK passes both keys through silently."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from opsync.connectors.notion.config import NotionConnectorConfig
from opsync.connectors.notion.connector import NotionWiki
from opsync.http import TokenBucket

AFTER = "1c3b2a10-0000-4000-8000-000000000001"
PARENT = "1c3b2a10-0000-4000-8000-000000000002"


@pytest.mark.parametrize(
    ("version", "where"),
    [
        ("2025-09-03", {"after": AFTER}),
        ("2026-03-11", {"position": {"type": "after_block", "after_block": {"id": AFTER}}}),
    ],
)
def test_an_insert_after_a_block_uses_the_versions_key(
    version: str, where: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTION_TOKEN", "ntn_test")
    sent: list[tuple[str, dict[str, Any]]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append((request.headers["Notion-Version"], json.loads(request.content)))
        return httpx.Response(200, json={"object": "list", "results": [{"id": "new"}]})

    config = NotionConnectorConfig(notion_version=version)
    wiki = NotionWiki(
        config, transport=httpx.MockTransport(answer), bucket=TokenBucket(1000.0, 100)
    )
    block = {"type": "paragraph", "paragraph": {"rich_text": []}}
    try:
        wiki.writer._append(PARENT, [block], AFTER, "pages/x")
    finally:
        wiki.close()
    ((header, body),) = sent
    assert header == version
    assert {k: v for k, v in body.items() if k != "children"} == where
