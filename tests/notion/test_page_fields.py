"""Notion pages as domain fields and back, under the names a workspace already uses."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from opsync.config import connector_model, parse_config
from opsync.connectors.notion.config import NotionConnectorConfig, property_names
from opsync.connectors.notion.page_fields import fields_to_properties, page_to_fields
from opsync.connectors.records import domain_fields, to_record, to_release
from opsync.domain import Collection, Level, Tier
from opsync.errors import ConfigError

RESPONSES = (
    Path(__file__).resolve().parents[2]
    / "cassettes"
    / "notion"
    / "notion_ruby_mapping"
    / "responses"
)
DB = "c37a2c66e3aa4a0da44773de3b80c253"
HKOB = "2200a911-6a96-44bb-bd38-6bfb1e01b9f6"

# A workspace whose names share nothing with the defaults.
CUSTOM = {
    "key": "Ref",
    "title": "Launch",
    "tier": "Launch tier",
    "launch_date": "Ship day",
    "launched": "Out?",
    "pm": "Owner",
    "product_area": "Area",
    "bundle_state": "Kit stage",
    "action_items": "Lessons",
    "launch_date_history": "Moves",
    "enablement_status": "Readiness light",
    "handoff_due": "Kit due",
    "tier_label": "Tier words",
}
SCHEMA = {
    "Ref": {"type": "rich_text"},
    "Launch": {"type": "title"},
    "Launch tier": {"type": "select"},
    "Ship day": {"type": "date"},
    "Out?": {"type": "checkbox"},
    "Owner": {"type": "people"},
    "Area": {"type": "select"},
    "Kit stage": {"type": "status"},
    "Lessons": {"type": "rich_text"},
    "Moves": {"type": "rich_text"},
    "Readiness light": {"type": "select"},
    "Kit due": {"type": "date"},
    "Tier words": {"type": "rich_text"},
    "Created": {"type": "created_time"},
}


def custom_config() -> NotionConnectorConfig:
    return NotionConnectorConfig.model_validate(
        {
            "collections": {
                "releases": {
                    "database_id": DB,
                    "properties": CUSTOM,
                    "options": {
                        "tier": {"1": "T1", "2": "T2", "3": "T3"},
                        "bundle_state": {"drafting": "Writing", "published": "Live"},
                        "enablement_status": {"not started": "Grey", "late": "Red"},
                    },
                }
            },
            "people": {"ana": "u-ana"},
        }
    )


def as_page(body: dict[str, Any], page_id: str = "p1") -> dict[str, Any]:
    """A request body's properties as a page Notion would return (types made explicit)."""
    props = {name: {"id": name[:4], "type": next(iter(v)), **v} for name, v in body.items()}
    return {"object": "page", "id": page_id, "properties": props}


VALUES: dict[str, Any] = {
    "key": "ACME-1",
    "title": "Usage alerts",
    "tier": 2,
    "launch_date": date(2026, 12, 10),
    "launched": True,
    "pm": "ana",
    "product_area": "billing",
    "bundle_state": "drafting",
    "action_items": ["Write the macros", "Brief Sales"],
    "launch_date_history": [{"changed_on": "2026-11-02", "old": "2026-12-01", "new": "2026-12-10"}],
    "enablement_status": "late",
    "handoff_due": date(2026, 12, 3),
    "tier_label": "Tier 2 (Medium)",
}


def test_custom_names_and_options_work_both_ways() -> None:
    config = custom_config()
    body, problems = fields_to_properties(VALUES, SCHEMA, config, Collection.RELEASES)
    assert problems == []
    assert body["Launch tier"] == {"select": {"name": "T2"}}
    assert body["Kit stage"] == {"status": {"name": "Writing"}}
    assert body["Readiness light"] == {"select": {"name": "Red"}}
    assert body["Owner"] == {"people": [{"object": "user", "id": "u-ana"}]}
    assert body["Ship day"] == {"date": {"start": "2026-12-10"}}
    assert not set(body) & set(
        property_names(NotionConnectorConfig(), Collection.RELEASES).values()
    )
    fields, problems = page_to_fields(as_page(body), config, Collection.RELEASES)
    assert problems == []
    assert fields == VALUES  # the shapes the engine compares: no rewrite on the next run


def test_a_custom_page_becomes_a_release() -> None:
    config = custom_config()
    body, _ = fields_to_properties(VALUES, SCHEMA, config, Collection.RELEASES)
    fields, _ = page_to_fields(as_page(body), config, Collection.RELEASES)
    release, problems = to_release(fields["key"], fields, fields, "notion")
    assert problems == [] and release is not None
    assert release.tier is Tier.MEDIUM
    assert release.bundle.state == "drafting"
    assert release.post_launch.action_items == ("Write the macros", "Brief Sales")
    assert release.launch_date_history[0].new == date(2026, 12, 10)


def test_default_names() -> None:
    names = property_names(NotionConnectorConfig(), Collection.RELEASES)
    assert names["title"] == "Name" and names["tier"] == "Tier"
    assert names["launch_date"] == "Launch date" and names["bundle_state"] == "Bundle state"
    assert names["enablement_status"] == "Enablement status" and names["key"] == "opsync key"
    assert property_names(NotionConnectorConfig(), Collection.INSIGHTS)["summary"] == "Name"
    for collection in Collection:
        names = property_names(NotionConnectorConfig(), collection)
        assert len(set(names.values())) == len(names), collection


def test_the_days_to_launch_formula_is_renamable_and_never_read() -> None:
    config = NotionConnectorConfig.model_validate(
        {
            "collections": {
                "releases": {"database_id": "0" * 32, "properties": {"days_to_launch": "T-minus"}}
            }
        }
    )
    assert property_names(config, Collection.RELEASES)["days_to_launch"] == "T-minus"
    assert property_names(NotionConnectorConfig(), Collection.RELEASES)["days_to_launch"] == (
        "Days to launch"
    )
    formula = {"id": "f", "type": "formula", "formula": {"type": "number", "number": 12}}
    key = {"id": "k", "type": "rich_text", "rich_text": [{"type": "text", "plain_text": "A-1"}]}
    page = {"id": "p", "properties": {"T-minus": formula, "opsync key": key}}
    fields, problems = page_to_fields(page, config, Collection.RELEASES)
    assert fields == {"key": "A-1"} and problems == []


def test_default_tier_options() -> None:
    body, _ = fields_to_properties(
        {"tier": 3}, {"Tier": {"type": "select"}}, NotionConnectorConfig(), Collection.RELEASES
    )
    assert body == {"Tier": {"select": {"name": "Tier 3"}}}


def recorded_config() -> NotionConnectorConfig:
    """hkob's recorded sample table, mapped onto a release."""
    return NotionConnectorConfig.model_validate(
        {
            "collections": {
                "releases": {
                    "database_id": DB,
                    "properties": {
                        "key": "ID",
                        "title": "Title",
                        "tier": "SelectTitle",
                        "launch_date": "DateTitle",
                        "launched": "CheckboxTitle",
                        "pm": "UserTitle",
                        "bundle_state": "StatusTitle",
                        "description": "TextTitle",
                        "action_items": "MultiSelectTitle",
                        "url": "UrlTitle",
                        "product_area": "RelationTitle",
                        "handoff_due": "FormulaTitle",
                        "tier_label": "RollupTitle",
                    },
                    "options": {
                        "tier": {"1": "Select 1", "2": "Select 2", "3": "Select 3"},
                        "bundle_state": {"drafting": "Design", "not started": "Not started"},
                    },
                }
            },
            "people": {"hkob": "hkob@metro-cit.ac.jp"},
        }
    )


def recorded(name: str, index: int) -> dict[str, Any]:
    page: dict[str, Any] = json.loads((RESPONSES / name).read_text(encoding="utf-8"))["results"][
        index
    ]
    return page


def test_a_recorded_page_reads_as_domain_fields() -> None:
    fields, problems = page_to_fields(
        recorded("query_data_source_limit_2.json", 1),
        recorded_config(),
        Collection.RELEASES,
        page_keys={"860753bb-6d1f-48de-9621-1fa6e0e31f82": "billing"},
    )
    assert problems == []
    assert fields == {
        "key": "ST-5",
        "title": "MNO",
        "tier": 3,
        "launch_date": date(2022, 3, 14),
        "launched": True,
        "pm": "hkob",
        "bundle_state": "drafting",
        "description": "new text",
        "action_items": ["Multi Select 2"],
        "url": "https://www.google.com/",
        "product_area": "billing",
        "handoff_due": "2025-09-08T03:52:00+00:00",
        "tier_label": "Tag 1",
    }
    release, errors = to_release(str(fields["key"]), fields, fields, "notion")
    assert errors == [] and release is not None and release.launch_date == date(2022, 3, 14)


def test_empty_recorded_values() -> None:
    fields, problems = page_to_fields(
        recorded("query_data_source_limit_2.json", 0), recorded_config(), Collection.RELEASES
    )
    assert problems == []
    assert fields["tier"] is None and fields["launch_date"] is None and fields["pm"] is None
    assert fields["description"] == ""  # a text field that is never None
    assert fields["url"] is None and fields["action_items"] == [] and fields["product_area"] is None


def test_a_date_with_time_on_a_date_field_keeps_its_own_day() -> None:
    config = recorded_config()
    fields, _ = page_to_fields(
        recorded("query_data_source_last_2.json", 0), config, Collection.RELEASES
    )
    assert fields["launch_date"] == date(2022, 2, 25)  # 01:23 at +09:00; in UTC still the 24th


def test_what_a_page_cannot_give_is_a_finding() -> None:
    page = recorded("query_data_source_limit_2.json", 1)
    page["properties"]["SelectTitle"]["select"]["name"] = "Select 9"
    page["properties"]["StatusTitle"] = {"id": "x", "type": "place", "place": {}}
    page["properties"]["UserTitle"]["people"][0]["id"] = "someone-else"
    page["properties"]["UserTitle"]["people"][0]["person"]["email"] = "other@example.com"
    many = json.loads(
        (RESPONSES / "retrieve_page_with_many_relations.json").read_text(encoding="utf-8")
    )
    page["properties"]["RelationTitle"] = many["properties"]["Children"]
    fields, problems = page_to_fields(page, recorded_config(), Collection.RELEASES)
    codes = {p.code: p for p in problems}
    assert set(codes) == {
        "notion.option-unmapped",
        "notion.property-unreadable",
        "notion.person-unmapped",
        "notion.relation-truncated",
    }
    assert all(p.record == "releases/ST-5" for p in problems)
    assert '"Select 9"' in codes["notion.option-unmapped"].message
    assert codes["notion.person-unmapped"].level is Level.INFO
    assert "bundle_state" not in fields and fields["tier"] == "Select 9"
    assert fields["pm"] == "other@example.com"


def test_values_that_cannot_land_are_findings_and_left_out() -> None:
    values = {"key": "A-1", "tier": 1, "pm": "zoe", "tier_label": "x", "launch_date": "soon"}
    schema = {
        "Ref": {"type": "rich_text"},
        "Launch tier": {"type": "formula"},
        "Owner": {"type": "people"},
        "Ship day": {"type": "date"},
    }
    body, problems = fields_to_properties(values, schema, custom_config(), Collection.RELEASES)
    assert body == {"Ref": {"rich_text": [{"type": "text", "text": {"content": "A-1"}}]}}
    assert [(p.code, p.field) for p in problems] == [
        ("notion.value-unwritable", "tier"),
        ("notion.value-unwritable", "pm"),
        ("notion.property-missing", "tier_label"),
        ("notion.value-unwritable", "launch_date"),
    ]
    assert all(p.level is Level.ERROR and p.record == "releases/A-1" for p in problems)
    assert "read-only" in problems[0].message and '"Tier words"' in problems[2].message


def test_other_collections_use_their_model_shapes() -> None:
    config = NotionConnectorConfig()
    schema = {
        "opsync key": {"type": "rich_text"},
        "Published at": {"type": "date"},
        "Week": {"type": "rich_text"},
    }
    values = {"key": "2026-W49", "week": "2026-W49", "published_at": "2026-12-04T16:00:00+00:00"}
    body, problems = fields_to_properties(values, schema, config, Collection.WEEKLY_UPDATES)
    fields, more = page_to_fields(as_page(body), config, Collection.WEEKLY_UPDATES)
    assert problems == more == [] and fields == values
    record, errors = to_record(Collection.WEEKLY_UPDATES, "2026-W49", fields, "notion")
    assert errors == [] and record is not None


def config_problem(collection: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        NotionConnectorConfig.model_validate({"collections": {"releases": collection}})
    (error,) = caught.value.errors()
    return f"{error['msg']} ({error.get('ctx', {}).get('hint', '')})"


def test_config_mistakes_are_named_with_their_fix() -> None:
    assert 'did you mean "tier_label"' in config_problem(
        {"database_id": DB, "properties": {"tier_lable": "X"}}
    )
    assert "is not a field" in config_problem({"database_id": DB, "options": {"colour": {}}})
    assert "twice" in config_problem(
        {"database_id": DB, "data_source_id": DB, "data_source_name": "Main"}
    )
    assert 'the property "Name"' in config_problem(
        {"database_id": DB, "properties": {"tier": "Name"}}
    )
    assert 'the option "t1" (give 1 and 2' in config_problem(
        {"database_id": DB, "options": {"tier": {"1": "T1", "2": "t1"}}}
    )
    assert "not a Notion id" in config_problem({"database_id": "releases"})


def test_ids_are_taken_from_urls_and_compact_forms() -> None:
    url = f"https://www.notion.so/acme/Releases-{DB}?v=0123456789abcdef0123456789abcdef"
    config = NotionConnectorConfig.model_validate(
        {"collections": {"releases": {"database_id": url}}}
    )
    assert (
        config.collections[Collection.RELEASES].database_id
        == "c37a2c66-e3aa-4a0d-a447-73de3b80c253"
    )


def test_the_config_loader_knows_the_notion_type(tmp_path: Path) -> None:
    assert connector_model("notion") is NotionConnectorConfig
    data = {
        "org": {"name": "Acme", "timezone": "America/New_York"},
        "connectors": {
            "notion": {
                "type": "notion",
                "token_env": "NOTION_TOKEN",
                "collections": {
                    "releases": {"database_id": DB, "properties": {"tier": "Launch tier"}}
                },
            }
        },
    }
    config = parse_config(data, base_dir=tmp_path)
    _, notion = config.connector("wiki")
    assert isinstance(notion, NotionConnectorConfig) and notion.notion_version == "2025-09-03"
    assert property_names(notion, Collection.RELEASES)["tier"] == "Launch tier"
    data["connectors"]["notion"]["collections"]["releses"] = {"database_id": DB}  # type: ignore[index]
    with pytest.raises(ConfigError, match="releases"):
        parse_config(data, base_dir=tmp_path)


def test_every_collection_has_a_key_field() -> None:
    assert all(domain_fields(c)[0] == "key" for c in Collection)


def test_people_are_written_by_user_id_only() -> None:
    schema = {"UserTitle": {"type": "people"}}
    body, problems = fields_to_properties(
        {"pm": "hkob"}, schema, recorded_config(), Collection.RELEASES
    )
    assert body == {} and "user ids" in problems[0].message
