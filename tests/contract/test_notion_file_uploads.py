"""The Notion emulator's file uploads, through notion-client: what the documentation says
is served (create, send a multipart form, attach to an image block) and what it refuses
(notion_files.py cites the page for each rule)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from notion_client import APIResponseError, Client

from opsync.testing.emulators.notion import NotionEmulator

LOG = logging.getLogger("tests.notion_file_uploads")
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emulator(clock: Clock) -> Iterator[NotionEmulator]:
    with NotionEmulator(rate_limit=None, clock=clock, seed=7) as running:
        yield running


@pytest.fixture
def notion(emulator: NotionEmulator) -> Iterator[Client]:
    client = Client(auth=emulator.token, base_url=emulator.base_url, retry=False, logger=LOG)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def page(notion: Client, emulator: NotionEmulator) -> str:
    made = notion.pages.create(
        parent={"page_id": emulator.root_page_id},
        properties={"title": [{"type": "text", "text": {"content": "Doc"}}]},
    )
    return str(made["id"])


def refused(call: Callable[[], Any]) -> APIResponseError:
    with pytest.raises(APIResponseError) as caught:
        call()
    assert (caught.value.status, caught.value.code) == (400, "validation_error")
    return caught.value


def image(upload_id: str) -> dict[str, Any]:
    return {"type": "image", "image": {"type": "file_upload", "file_upload": {"id": upload_id}}}


def test_an_upload_is_created_pending_sent_and_attached_as_a_hosted_file(
    notion: Client, emulator: NotionEmulator, page: str
) -> None:
    made = notion.file_uploads.create(filename="chart.png", content_type="image/png")
    assert (made["object"], made["status"], made["expiry_time"]) == (
        "file_upload",
        "pending",
        "2026-12-03T21:00:00.000Z",
    )
    sent = notion.file_uploads.send(made["id"], file=("chart.png", PNG, "image/png"))
    assert (sent["status"], sent["content_length"]) == ("uploaded", len(PNG))
    (block,) = notion.blocks.children.append(page, children=[image(made["id"])])["results"]
    assert block["image"]["type"] == "file" and block["image"]["file"]["url"].endswith("/chart.png")
    assert notion.file_uploads.retrieve(made["id"])["expiry_time"] is None  # attached
    assert emulator.attached_files() == [("chart.png", PNG)]


def test_only_single_part_and_a_filename_of_900_bytes_at_most(notion: Client) -> None:
    refused(lambda: notion.file_uploads.create(mode="multi_part", number_of_parts=2))
    refused(lambda: notion.file_uploads.create(filename="x" * 897 + ".png"))
    notion.file_uploads.create(filename="x" * 896 + ".png")


def test_a_file_upload_is_sent_once_as_a_form_within_the_workspace_limit(
    notion: Client, emulator: NotionEmulator
) -> None:
    made = notion.file_uploads.create()
    big = b"\0" * (5 * 1024 * 1024 + 1)  # the bot's workspace_limits: 5 MiB
    refused(lambda: notion.file_uploads.send(made["id"], file=("big.bin", big, "image/png")))
    notion.file_uploads.send(made["id"], file=("a.png", PNG, "image/png"))
    refused(lambda: notion.file_uploads.send(made["id"], file=("a.png", PNG, "image/png")))
    missing = notion.file_uploads.create()
    refused(lambda: notion.file_uploads.send(missing["id"], part_number="1"))  # no `file` part


def test_only_an_uploaded_unexpired_image_can_be_attached(
    notion: Client, clock: Clock, page: str
) -> None:
    pending = notion.file_uploads.create(filename="a.png", content_type="image/png")
    refused(lambda: notion.blocks.children.append(page, children=[image(pending["id"])]))
    text = notion.file_uploads.create(filename="a.txt", content_type="text/plain")
    notion.file_uploads.send(text["id"], file=("a.txt", b"hello", "text/plain"))
    refused(lambda: notion.blocks.children.append(page, children=[image(text["id"])]))
    late = notion.file_uploads.create(filename="b.png", content_type="image/png")
    notion.file_uploads.send(late["id"], file=("b.png", PNG, "image/png"))
    clock.now += timedelta(hours=1)
    refused(lambda: notion.blocks.children.append(page, children=[image(late["id"])]))
    assert notion.file_uploads.retrieve(late["id"])["status"] == "expired"
    refused(lambda: notion.blocks.children.append(page, children=[image("0" * 32)]))
