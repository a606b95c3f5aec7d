"""What the real Notion API sends must parse: public recordings replayed through opsync.

The real notion-client SDK, over :class:`~opsync.http.PolicyTransport` as the connector opens
it, receives recorded responses (vcrpy, ``record_mode="none"``), and opsync's catalog, reader,
property parsing, mapping and block essence read them. The recordings are copied unchanged
from notion-sdk-py (2026, API 2025-09-03) and notion_ruby_mapping (cassettes/notion/README.md).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from replay_support import (
    CASSETTES,
    SDK,
    WRITE_MATCH,
    notion_vcr,
    open_api,
    ruby_cassette,
)

from opsync.connectors.notion.blocks import (
    DeleteBlock,
    InsertBlocks,
    diff_children,
    holds,
    normalise,
    region_hash,
    render_blocks,
)
from opsync.connectors.notion.config import CollectionMapping
from opsync.connectors.notion.page_fields import page_to_fields
from opsync.connectors.notion.properties import DateRange, Unknown, parse_properties
from opsync.connectors.notion.reader import Catalog, Reader
from opsync.documents import model as doc
from opsync.domain import Collection
from opsync.errors import AuthError, PermanentError

SAMPLE_DB = "c37a2c66e3aa4a0da44773de3b80c253"
SAMPLE_SOURCE = "4f93db51-4e1d-4015-b07f-876e34c3b0b1"
HKOB = "2200a911-6a96-44bb-bd38-6bfb1e01b9f6"
QUERY = ("query_data_source_limit_2", "query_data_source_next_2", "query_data_source_last_2")
# The Sample table's properties, as a person would map them onto releases.
RELEASES = CollectionMapping(
    database_id=SAMPLE_DB,
    properties={
        "key": "ID",
        "title": "Title",
        "launch_date": "DateTitle",
        "launched": "CheckboxTitle",
        "pm": "UserTitle",
        "product_area": "SelectTitle",
        "go_no_go": "StatusTitle",
        "action_items": "MultiSelectTitle",
        "description": "TextTitle",
        "url": "UrlTitle",
        "bundle_handed_off_on": "FormulaTitle",
    },
)
TOKEN_SHAPES = re.compile(r"\b(?:secret|ntn)_[A-Za-z0-9]{30,}|Bearer\s+[A-Za-z0-9._~+/=-]{8,}")


def _sent_children(name: str) -> list[dict[str, Any]]:
    """The children the SDK's recorded append (the cassette's second request) sent."""
    body = yaml.safe_load((SDK / name).read_text())["interactions"][1]["request"]["body"]
    return list(json.loads(body)["children"])


def test_a_database_resolves_to_its_data_source_and_every_page_of_rows_is_read(
    tmp_path: Path,
) -> None:
    api, config = open_api(tmp_path, collections={Collection.RELEASES: RELEASES})
    catalog = Catalog(api, config, None, "notion")
    cassette_path = ruby_cassette(
        tmp_path, "retrieve_database_database", *QUERY, "retrieve_data_source_data_source"
    )
    with notion_vcr().use_cassette(str(cassette_path)) as cassette:
        rows = catalog.rows("releases")
        schema = catalog.schema("releases")
    assert catalog.source("releases") == SAMPLE_SOURCE
    # oldest first, ties by id: three pages of the listing, cursor after cursor
    titles = [parse_properties(r)["Title"] for r in rows]
    assert titles == ["DEF", "GHI", "ABC", "JKL", "MNO"]
    assert schema["Title"]["type"] == "title" and schema["ID"]["type"] == "unique_id"
    # vcrpy answers beneath our layer: one recorded interaction per transport attempt
    assert cassette.all_played and cassette.play_count == 5
    counts = api.transport.counts
    assert (counts.calls, counts.reads, counts.writes) == (5, 5, 0)
    assert api.counts() == {"reads": 5, "writes": 0}


def _sample_rows(tmp_path: Path) -> tuple[list[dict[str, object]], object]:
    api, config = open_api(
        tmp_path, collections={Collection.RELEASES: RELEASES}, people={"hkob": HKOB}
    )
    query = api.sdk.data_sources.query
    with notion_vcr().use_cassette(str(ruby_cassette(tmp_path, *QUERY))):
        rows = [dict(r) for r in api.paginate(query, SAMPLE_SOURCE, what="the Sample table")]
    return rows, config


def test_every_recorded_row_parses_to_python_values_with_dates_kept_as_dates(
    tmp_path: Path,
) -> None:
    rows, _ = _sample_rows(tmp_path)
    values = {v["Title"]: v for v in (parse_properties(r) for r in rows)}
    assert sorted(map(str, values)) == ["ABC", "DEF", "GHI", "JKL", "MNO"]
    unknown = [(t, n) for t, v in values.items() for n, x in v.items() if isinstance(x, Unknown)]
    assert unknown == []
    mno, defg, abc = values["MNO"], values["DEF"], values["ABC"]
    assert mno["DateTitle"] == date(2022, 3, 14) and not isinstance(mno["DateTitle"], datetime)
    assert defg["DateTitle"] == DateRange(date(2022, 2, 11), date(2022, 2, 12))
    assert abc["DateTitle"] == datetime.fromisoformat("2022-02-25T01:23:00+09:00")
    assert mno["NumberTitle"] == 3.1415926535 and mno["ID"] == "ST-5"
    assert abc["MultiSelectTitle"] == ("Multi Select 2", "Multi Select 1")
    assert abc["RollupTitle"] == (("Tag 1",),)
    assert defg["TextTitle"].startswith("abc\n@Hiroyuki KOBAYASHI")  # type: ignore[union-attr]


def test_recorded_rows_map_to_domain_fields_without_unreadable_values(tmp_path: Path) -> None:
    rows, config = _sample_rows(tmp_path)
    mapped = {}
    for row in rows:
        fields, findings = page_to_fields(row, config, Collection.RELEASES)  # type: ignore[arg-type]
        assert [f.code for f in findings] == []
        mapped[fields["title"]] = fields
    mno = mapped["MNO"]
    assert mno["key"] == "ST-5"
    assert mno["launch_date"] == date(2022, 3, 14)
    assert mno["launched"] is True and mno["pm"] == "hkob"
    assert mno["go_no_go"] == "Design" and mno["product_area"] == "Select 3"
    assert mno["action_items"] == ["Multi Select 2"] and mno["description"] == "new text"
    assert mno["bundle_handed_off_on"] == date(2025, 9, 8)  # a formula date, read as a date
    assert mapped["DEF"]["launch_date"] == date(2022, 2, 11)  # a range: its start
    assert mapped["ABC"]["launch_date"] == date(2022, 2, 25)  # Tokyo time keeps its day
    assert mapped["GHI"]["launch_date"] is None and mapped["GHI"]["description"] == ""


def test_retrieved_pages_parse_and_a_truncated_relation_is_reported(tmp_path: Path) -> None:
    mapping = CollectionMapping(
        database_id=SAMPLE_DB,
        properties={"key": "名前", "action_items": "Children"},
    )
    api, config = open_api(tmp_path, collections={Collection.RELEASES: mapping})
    cases = ("retrieve_page_top", "retrieve_page_db_first", "retrieve_page_with_many_relations")
    with notion_vcr().use_cassette(str(ruby_cassette(tmp_path, *cases))):
        top = api.call(api.sdk.pages.retrieve, "c01166c613ae45cbb96818b4ef2f5a77")
        first = api.call(api.sdk.pages.retrieve, "dcdc805c-85fa-4155-a55c-20fc28771af7")
        many = api.call(api.sdk.pages.retrieve, "b56cba9682ab46f2866ae7a9e590dff3")
    assert parse_properties(top) == {"title": "notion_ruby_mapping_test_data"}
    assert parse_properties(first)["Title"] == "ABC"
    fields, findings = page_to_fields(many, config, Collection.RELEASES)
    assert fields["key"] == "A parent" and len(fields["action_items"]) == 25
    assert [f.code for f in findings] == ["notion.relation-truncated"]
    assert "first 25 related pages" in findings[0].message


def test_recorded_errors_become_opsync_errors_after_one_attempt(tmp_path: Path) -> None:
    api, _ = open_api(tmp_path)
    cases = ("retrieve_page_unpermitted_page", "retrieve_data_source_wrong_format")
    with notion_vcr().use_cassette(str(ruby_cassette(tmp_path, *cases))):
        with pytest.raises(PermanentError) as missing:
            api.call(api.sdk.pages.retrieve, "2600ce2a6520801c86cbfd0b73eb91de", record="r/1")
        with pytest.raises(PermanentError) as malformed:
            api.call(api.sdk.data_sources.retrieve, "AAA")
    assert "404 object_not_found" in str(missing.value) and "share the page" in str(missing.value)
    assert missing.value.record == "r/1"
    assert missing.value.request == "GET /v1/pages/2600ce2a6520801c86cbfd0b73eb91de"
    assert "400 validation_error" in str(malformed.value)
    assert api.transport.counts.attempts == 2  # a 4xx is never tried again

    api, _ = open_api(tmp_path)
    cassette = notion_vcr().use_cassette(str(SDK / "test_api_response_error.yaml"))
    with cassette, pytest.raises(AuthError, match=r"HTTP 401 \(unauthorized"):
        api.call(api.sdk.users.list)
    assert api.transport.counts.attempts == 1


def test_block_children_are_read_page_after_page_and_hash_as_the_payload_sent(
    tmp_path: Path,
) -> None:
    api, config = open_api(tmp_path)
    reader = Reader(Catalog(api, config, None, "notion"))
    page = "393abc1e-edcd-814b-aee5-cf69471e5a43"
    with notion_vcr().use_cassette(str(SDK / "test_iterate_paginated_api.yaml")) as cassette:
        blocks = reader.tree(page, "the page", deep=True)
    assert cassette.play_count == 3 and api.counts() == {"reads": 3, "writes": 0}
    texts = [b["paragraph"]["rich_text"][0]["text"]["content"] for b in normalise(blocks)]
    assert texts == [f"paragraph {i}" for i in range(5)]
    sent = _sent_children("test_iterate_paginated_api.yaml")
    ours = render_blocks([doc.Paragraph(inlines=(doc.Text(text=t),)) for t in texts])
    assert region_hash(blocks) == region_hash(sent) == region_hash(ours)


def test_a_mention_read_back_keeps_the_essence_of_what_was_sent(tmp_path: Path) -> None:
    api, _ = open_api(tmp_path)
    with notion_vcr().use_cassette(str(SDK / "test_is_mention_rich_text_item_response.yaml")):
        block = api.call(api.sdk.blocks.retrieve, "393abc1e-edcd-8182-aa10-e3ab78a2475f")
    (essence,) = normalise([block])
    mention = essence["paragraph"]["rich_text"][0]
    assert mention == {
        "type": "mention",
        "mention": {"type": "date", "date": {"start": "2022-12-16"}},
    }
    sent = _sent_children("test_is_mention_rich_text_item_response.yaml")
    assert region_hash([block]) == region_hash(sent)


def test_a_changed_block_is_replaced_and_the_real_delete_answer_shows_what_the_trash_got(
    tmp_path: Path,
) -> None:
    """Notion's own recording: DELETE answers with the block as it went to the trash
    (``in_trash: true``, its text), and ``{"archived": false}`` restores it. The writer relies
    on both to keep a person's edit made while it replaced a block (writer ``_delete``)."""
    api, _ = open_api(tmp_path)
    page = "393abc1e-edcd-8174-b528-e4b0c7d085df"
    first = render_blocks([doc.Paragraph(inlines=(doc.Text(text="I'm a paragraph."),))])
    wanted = render_blocks([doc.Paragraph(inlines=(doc.Text(text="Something else."),))])
    with notion_vcr(WRITE_MATCH).use_cassette(str(SDK / "test_blocks_delete.yaml")) as cassette:
        added = api.call(api.sdk.blocks.children.append, page, children=first)
        (have,) = normalise(added["results"], ids=True)
        ops = diff_children(page, [have], wanted)
        assert ops == [InsertBlocks(page, have["id"], wanted), DeleteBlock(have["id"], have)]
        answer = api.call(api.sdk.blocks.delete, have["id"])
        restored = api.call(api.sdk.blocks.update, have["id"], archived=False)
    assert cassette.play_count == 3
    assert answer["in_trash"] is True and holds(answer, have)
    person = {**have, "paragraph": {"rich_text": [{"type": "text", "text": {"content": "X"}}]}}
    assert not holds(answer, person)
    assert restored["in_trash"] is False


def test_no_file_under_cassettes_holds_a_token() -> None:
    assert TOKEN_SHAPES.search("Authorization: Bearer " + "x" * 12)  # the scan can find one
    assert TOKEN_SHAPES.search("ntn_" + "A1" * 20) and not TOKEN_SHAPES.search("ntn_...")
    files = [p for p in CASSETTES.rglob("*") if p.is_file()]
    assert len(files) > 50
    found = [
        (str(p.relative_to(CASSETTES)), m.group()[:12])
        for p in files
        for m in TOKEN_SHAPES.finditer(p.read_text(encoding="utf-8", errors="replace"))
    ]
    assert found == []
