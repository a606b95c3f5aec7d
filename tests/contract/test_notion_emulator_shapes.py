"""Response shapes match the recordings; views; edits made as a person; the CLI entry point.

Recorded responses (tests/fixtures/notion: notion-sdk-py cassettes, MIT; notion_ruby_mapping
fixtures, MIT) are the reference: for each object kind the emulator implements, the set of
keys it returns must equal the set in the recording, down to each property type's value.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from notion_client import APIResponseError, Client

from opsync.testing import pytest_plugin
from opsync.testing.emulators.notion import NotionEmulator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "notion"
LOG = logging.getLogger("tests.notion_emulator")
notion_emulator = pytest_plugin.notion_emulator  # the shipped fixture, used as installed
ALL_TYPES = {
    "Title": {"title": {}},
    "Text": {"rich_text": {}},
    "Number": {"number": {"format": "number"}},
    "Select": {"select": {"options": [{"name": "S1"}]}},
    "Multi": {"multi_select": {"options": [{"name": "M1"}]}},
    "Status": {"status": {}},
    "Date": {"date": {}},
    "People": {"people": {}},
    "Files": {"files": {}},
    "Checkbox": {"checkbox": {}},
    "Url": {"url": {}},
    "Mail": {"email": {}},
    "Tel": {"phone_number": {}},
    "Formula": {"formula": {"expression": "now()"}},
    "Rollup": {
        "rollup": {
            "function": "show_original",
            "relation_property_name": "Rel",
            "rollup_property_name": "Title",
        }
    },
    "CreatedTime": {"created_time": {}},
    "CreatedBy": {"created_by": {}},
    "EditedTime": {"last_edited_time": {}},
    "EditedBy": {"last_edited_by": {}},
    "ID": {"unique_id": {"prefix": "ST"}},
}


def recorded(cassette: str, method: str, path_part: str) -> dict[str, Any]:
    """The first recorded response body of `method` on a URI containing `path_part`."""
    interactions = yaml.safe_load((FIXTURES / "cassettes" / cassette).read_text())["interactions"]
    for interaction in interactions:
        request = interaction["request"]
        if request["method"] == method and path_part in request["uri"]:
            return dict(json.loads(interaction["response"]["body"]["string"]))
    raise AssertionError(f"{cassette} has no {method} {path_part}")


def ruby(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / "notion_ruby_mapping" / name).read_text()))


def keys(obj: dict[str, Any]) -> set[str]:
    return set(obj)


def test_object_and_list_shapes_match_the_recordings(notion_emulator: NotionEmulator) -> None:
    notion = Client(
        auth=notion_emulator.token, base_url=notion_emulator.base_url, retry=False, logger=LOG
    )
    root = notion_emulator.root_page_id
    database = notion.databases.create(parent={"type": "page_id", "page_id": root}, title=[])
    source = database["data_sources"][0]["id"]
    page = notion.pages.create(
        parent={"page_id": root}, properties={"title": [{"text": {"content": "P"}}]}
    )
    block = notion.blocks.children.append(page["id"], children=[{"paragraph": {"rich_text": []}}])[
        "results"
    ][0]
    pairs = [
        (
            notion.pages.retrieve(page["id"]),
            recorded("test_pages_retrieve.yaml", "GET", "/v1/pages/"),
        ),
        (
            notion.databases.retrieve(database["id"]),
            recorded("test_databases_retrieve.yaml", "GET", "/v1/databases/"),
        ),
        (
            notion.data_sources.retrieve(source),
            recorded("test_data_sources_retrieve.yaml", "GET", "/v1/data_sources/"),
        ),
        (
            notion.blocks.retrieve(block["id"]),
            recorded("test_blocks_retrieve.yaml", "GET", "/v1/blocks/"),
        ),
        (notion.users.me(), recorded("test_users_me.yaml", "GET", "/v1/users/me")),
        (
            notion.data_sources.query(source),
            recorded("test_data_sources_query.yaml", "POST", "/query"),
        ),
        (notion.search(), recorded("test_collect_paginated_api.yaml", "POST", "/v1/search")),
        (
            notion.blocks.children.list(page["id"]),
            recorded("test_blocks_children_list.yaml", "GET", "/children"),
        ),
        (
            notion.pages.properties.retrieve(page["id"], "title"),
            recorded("test_pages_properties_retrieve.yaml", "GET", "/properties/"),
        ),
    ]
    for mine, real in pairs:
        assert keys(mine) == keys(real), real["object"]
    assert keys(notion.blocks.retrieve(block["id"])["paragraph"]) == keys(
        recorded("test_blocks_retrieve.yaml", "GET", "/v1/blocks/")["paragraph"]
    )
    notion.close()


def test_not_found_error_matches_the_recording(notion_emulator: NotionEmulator) -> None:
    headers = {"Authorization": f"Bearer {notion_emulator.token}", "Notion-Version": "2025-09-03"}
    absent = "00000000-0000-0000-0000-000000000000"
    mine = httpx.get(f"{notion_emulator.base_url}/v1/pages/{absent}", headers=headers)
    real = recorded("test_build_request_error_integration.yaml", "GET", absent)
    assert mine.status_code == 404
    assert keys(mine.json()) == keys(real)
    assert mine.json()["message"].startswith(f"Could not find page with ID: {absent}.")


def test_every_property_type_has_the_recorded_shape(notion_emulator: NotionEmulator) -> None:
    notion = Client(
        auth=notion_emulator.token, base_url=notion_emulator.base_url, retry=False, logger=LOG
    )
    database = notion.databases.create(
        parent={"type": "page_id", "page_id": notion_emulator.root_page_id},
        title=[],
        initial_data_source={
            "properties": {**ALL_TYPES, "Rel": {"relation": {"single_property": {}}}}
        },
    )
    source = database["data_sources"][0]["id"]
    notion.pages.create(parent={"data_source_id": source}, properties={})
    page = notion.data_sources.query(source)["results"][0]
    real_page = ruby("query_data_source_limit_2.json")["results"][0]
    assert keys(page) >= keys(real_page)
    by_type = {value["type"]: keys(value) for value in real_page["properties"].values()}
    for name, value in page["properties"].items():
        assert keys(value) == by_type[value["type"]], name
    assert page["properties"]["ID"]["unique_id"] == {"prefix": "ST", "number": 1}
    real_schema = ruby("retrieve_data_source_data_source.json")["properties"]
    schema_keys = {prop["type"]: keys(prop) for prop in real_schema.values()}
    mine = notion.data_sources.retrieve(source)["properties"]
    for name, prop in mine.items():
        assert keys(prop) == schema_keys[prop["type"]], name
    real_status = next(p for p in real_schema.values() if p["type"] == "status")["status"]
    assert keys(mine["Status"]["status"]) == keys(real_status)
    assert keys(mine["Status"]["status"]["groups"][0]) == keys(real_status["groups"][0])
    assert keys(mine["Select"]["select"]["options"][0]) == keys(real_status["options"][0])
    notion.close()


def test_main_prints_how_to_connect_and_stops_on_interrupt() -> None:
    command = [
        sys.executable,
        "-m",
        "opsync.testing.emulators.notion",
        "--port",
        "0",
        "--rate",
        "0",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(4)]
        settings = dict(line.split("=", 1) for line in lines if "=" in line)
        root = lines[3].removeprefix("root page id: ")
        notion = Client(
            auth=settings["NOTION_TOKEN"],
            base_url=settings["OPSYNC_NOTION_BASE_URL"],
            retry=False,
            logger=LOG,
        )
        assert notion.pages.retrieve(root)["parent"] == {"type": "workspace", "workspace": True}
        notion.close()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_views_lifecycle(notion_emulator: NotionEmulator) -> None:
    notion = Client(
        auth=notion_emulator.token, base_url=notion_emulator.base_url, retry=False, logger=LOG
    )
    database = notion.databases.create(
        parent={"type": "page_id", "page_id": notion_emulator.root_page_id},
        title=[],
        initial_data_source={"properties": {"Name": {"title": {}}, "Done": {"checkbox": {}}}},
    )
    source = database["data_sources"][0]["id"]
    view = {
        "database_id": database["id"],
        "data_source_id": source,
        "name": "Open",
        "type": "board",
    }
    board = notion.views.create(**view, filter={"property": "Done", "checkbox": {"equals": False}})
    assert (board["object"], board["data_source_id"], board["type"]) == ("view", source, "board")
    assert keys(board["parent"]) == {"type", "database_id"}
    assert notion.views.update(board["id"], name="Board")["name"] == "Board"
    listed = notion.views.list(database_id=database["id"])["results"]
    assert len(listed) == 2 and {"object": "view", "id": board["id"]} in listed
    for bad in (
        {**view, "view_id": board["id"]},
        {**view, "filter": {"property": "Nope", "checkbox": {"equals": True}}},
        {**view, "type": "spreadsheet"},
    ):
        with pytest.raises(APIResponseError) as refused:
            notion.views.create(**bad)
        assert refused.value.status == 400
    notion.views.delete(board["id"])
    with pytest.raises(APIResponseError) as gone:
        notion.views.retrieve(board["id"])
    assert gone.value.status == 404
    notion.close()


def test_a_persons_block_edit_marks_the_page_as_theirs(notion_emulator: NotionEmulator) -> None:
    bot = Client(
        auth=notion_emulator.token, base_url=notion_emulator.base_url, retry=False, logger=LOG
    )
    person = Client(
        auth=notion_emulator.person_token,
        base_url=notion_emulator.base_url,
        retry=False,
        logger=LOG,
    )
    page = bot.pages.create(parent={"page_id": notion_emulator.root_page_id}, properties={})
    block = bot.blocks.children.append(page["id"], children=[{"paragraph": {"rich_text": []}}])
    assert bot.pages.retrieve(page["id"])["last_edited_by"]["id"] == notion_emulator.bot_user_id
    edit = {"rich_text": [{"text": {"content": "edited by hand"}}]}
    person.blocks.update(block["results"][0]["id"], paragraph=edit)
    assert bot.pages.retrieve(page["id"])["last_edited_by"]["id"] == notion_emulator.person_user_id
    assert person.users.me()["type"] == "person"
    bot.close()
    person.close()


def test_a_views_configuration_names_properties_by_id_with_the_right_type(
    notion_emulator: NotionEmulator,
) -> None:
    notion = Client(
        auth=notion_emulator.token, base_url=notion_emulator.base_url, retry=False, logger=LOG
    )
    schema = {"Name": {"title": {}}, "Stage": {"select": {}}, "When": {"date": {}}}
    database = notion.databases.create(
        parent={"type": "page_id", "page_id": notion_emulator.root_page_id},
        title=[],
        initial_data_source={"properties": schema},
    )
    source = database["data_sources"][0]["id"]
    ids = {n: p["id"] for n, p in notion.data_sources.retrieve(source)["properties"].items()}
    base = {"database_id": database["id"], "data_source_id": source, "name": "V"}
    board = {"type": "board", "group_by": {"type": "select", "property_id": ids["Stage"]}}
    made = notion.views.create(**base, type="board", configuration=board)
    assert made["configuration"] == board
    calendar = {"type": "calendar", "date_property_id": ids["When"]}
    assert notion.views.create(**base, type="calendar", configuration=calendar)["configuration"]
    soon = {"property": "When", "date": {"next_week": {}}}
    assert notion.views.create(**base, type="table", filter=soon)["filter"] == soon
    for kind, bad in (
        ("board", {"type": "board", "group_by": {"type": "select", "property_id": "nope"}}),
        ("board", {"type": "board", "group_by": {"type": "status", "property_id": ids["Stage"]}}),
        ("calendar", {"type": "calendar", "date_property_id": ids["Stage"]}),
        ("calendar", {"type": "board", "date_property_id": ids["When"]}),
        ("chart", {"type": "chart", "chart_type": "pie"}),
    ):
        with pytest.raises(APIResponseError) as refused:
            notion.views.create(**base, type=kind, configuration=bad)
        assert refused.value.status == 400, bad
    with pytest.raises(APIResponseError) as relative:
        notion.views.create(
            **base, type="table", filter={"property": "When", "date": {"next_week": 14}}
        )
    assert relative.value.status == 400
    notion.close()
