"""A chart on a Notion page: an image block whose caption, not its signed URL, says which
picture it shows, so a read-back holds what was sent and new data is a new block."""

from __future__ import annotations

from opsync.connectors.notion.blocks import UPLOAD_PLACEHOLDER, chart_block, region_hash
from opsync.documents.model import Chart, Series


def _chart(last: float) -> Chart:
    return Chart(
        name="scorecard-2026-Q4",
        title="Scorecard by week",
        labels=("W48", "W49"),
        series=(Series(name="Ritual adoption", values=(70.0, last)),),
        unit="%",
        text="Not drawn here.",
    )


def test_the_image_block_names_its_picture_and_reads_back_with_the_same_hash() -> None:
    sent = chart_block(_chart(75.5))
    image = sent["image"]
    assert image["file_upload"]["id"] == UPLOAD_PLACEHOLDER + _chart(75.5).filename
    read_back = {
        "type": "image",
        "id": "b1",
        "has_children": False,
        "image": {
            "type": "file",
            "file": {
                "url": "https://files.example/x.png?sig=1",
                "expiry_time": "2026-12-03T21:00Z",
            },
            "caption": [
                {
                    "type": "text",
                    "text": {"content": image["caption"][0]["text"]["content"], "link": None},
                    "annotations": {
                        "bold": False,
                        "italic": False,
                        "strikethrough": False,
                        "underline": False,
                        "code": False,
                        "color": "default",
                    },
                    "plain_text": image["caption"][0]["text"]["content"],
                    "href": None,
                }
            ],
        },
    }
    assert region_hash([sent]) == region_hash([read_back])
    assert region_hash([chart_block(_chart(80.0))]) != region_hash([sent])
