"""Every property type parsed from real recorded pages, and write bodies for the writable ones."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from opsync.connectors.notion.properties import (
    DateRange,
    FileRef,
    PropertyWriteError,
    Relation,
    Unknown,
    User,
    build_value,
    parse_properties,
    parse_value,
)

RESPONSES = (
    Path(__file__).resolve().parents[2]
    / "cassettes"
    / "notion"
    / "notion_ruby_mapping"
    / "responses"
)
HKOB = User(
    id="2200a911-6a96-44bb-bd38-6bfb1e01b9f6",
    name="Hiroyuki KOBAYASHI",
    email="hkob@metro-cit.ac.jp",
)


def page(name: str, index: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RESPONSES / name).read_text(encoding="utf-8"))
    return data["results"][index] if index is not None else data


def test_every_type_of_a_recorded_page() -> None:
    values = parse_properties(page("query_data_source_limit_2.json", 1))
    assert values["Title"] == "MNO"
    assert values["TextTitle"] == "new text"
    assert values["NumberTitle"] == 3.1415926535
    assert values["SelectTitle"] == "Select 3"
    assert values["MultiSelectTitle"] == ("Multi Select 2",)
    assert values["StatusTitle"] == "Design"
    assert values["DateTitle"] == date(2022, 3, 14)
    assert values["UserTitle"] == (HKOB,)
    assert values["CheckboxTitle"] is True
    assert values["UrlTitle"] == "https://www.google.com/"
    assert values["MailTitle"] == "hkobhkob@gmail.com"
    assert values["TelTitle"] == "zz-zzzz-zzzz"
    assert values["RelationTitle"] == Relation(("860753bb-6d1f-48de-9621-1fa6e0e31f82",), False)
    assert values["FormulaTitle"] == datetime(2025, 9, 8, 3, 52, tzinfo=UTC)
    assert values["RollupTitle"] == (("Tag 1",),)
    assert values["CreatedTimeTitle"] == datetime(2022, 3, 10, 4, 13, tzinfo=UTC)
    assert values["LastEditedTimeTitle"] == datetime(2025, 9, 2, 4, 15, tzinfo=UTC)
    assert values["CreatedByTitle"] == HKOB
    assert values["LastEditedByTitle"] == User(
        id="40673a87-d8ed-41e0-aa55-7f0e8ace24cd", name="input_tasks"
    )
    assert values["ID"] == "ST-5"
    assert values["File&MediaTitle"] == (
        FileRef(
            "https://img.icons8.com/ios-filled/250/000000/mac-os.png",
            "https://img.icons8.com/ios-filled/250/000000/mac-os.png",
        ),
    )
    assert not any(isinstance(v, Unknown) for v in values.values())


def test_empty_values_of_a_recorded_page() -> None:
    values = parse_properties(page("query_data_source_limit_2.json", 0))
    assert values["TextTitle"] == "" and values["NumberTitle"] is None
    assert values["SelectTitle"] is None and values["DateTitle"] is None
    assert values["MultiSelectTitle"] == () and values["UserTitle"] == ()
    assert values["CheckboxTitle"] is False and values["UrlTitle"] is None
    assert values["RollupTitle"] == ()
    assert values["StatusTitle"] == "Not started"


def test_a_date_only_value_stays_a_calendar_date() -> None:
    value = parse_properties(page("query_data_source_limit_2.json", 1))["DateTitle"]
    assert type(value) is date  # never a midnight datetime, which shifts a day west of UTC


def test_a_date_with_time_keeps_its_offset_and_a_range_both_ends() -> None:
    last = parse_properties(page("query_data_source_last_2.json", 0))
    moment = last["DateTitle"]
    assert isinstance(moment, datetime) and moment.utcoffset() == timedelta(hours=9)
    assert moment == datetime(2022, 2, 25, 1, 23, tzinfo=timezone(timedelta(hours=9)))
    second = parse_properties(page("retrieve_page_db_second.json"))
    assert second["DateTitle"] == DateRange(date(2022, 2, 11), date(2022, 2, 12))


def test_a_naive_time_is_read_in_its_time_zone() -> None:
    value = parse_value(
        {
            "type": "date",
            "date": {"start": "2026-03-08T09:00:00.000", "time_zone": "America/New_York"},
        }
    )
    assert isinstance(value, datetime) and value.utcoffset() == timedelta(hours=-4)


def test_truncated_relations_are_flagged() -> None:
    value = parse_properties(page("retrieve_page_with_many_relations.json"))["Children"]
    assert isinstance(value, Relation) and value.has_more and len(value.ids) == 25


def test_mentions_in_rich_text_read_as_their_text() -> None:
    text = parse_properties(page("retrieve_page_db_second.json"))["TextTitle"]
    assert isinstance(text, str) and text.startswith("abc\n")


def test_formula_types_and_rollups() -> None:
    assert parse_value({"type": "formula", "formula": {"type": "string", "string": "x"}}) == "x"
    assert parse_value({"type": "formula", "formula": {"type": "number", "number": 2}}) == 2
    assert (
        parse_value({"type": "formula", "formula": {"type": "boolean", "boolean": False}}) is False
    )
    assert (
        parse_value(
            {"type": "rollup", "rollup": {"type": "number", "number": 7, "function": "sum"}}
        )
        == 7
    )
    rollup = parse_value(
        {"type": "rollup", "rollup": {"type": "date", "date": {"start": "2026-01-02"}}}
    )
    assert rollup == date(2026, 1, 2)
    unique = parse_value({"type": "unique_id", "unique_id": {"prefix": None, "number": 12}})
    assert unique == "12"


def test_unknown_types_and_unreadable_values_are_markers_not_errors() -> None:
    value = parse_value({"id": "x", "type": "place", "place": {"lat": 1}})
    assert value == Unknown("place", {"lat": 1})
    broken = parse_value({"type": "date", "date": {"start": "not a date"}})
    assert isinstance(broken, Unknown) and broken.reason == "unreadable value"
    odd = parse_value({"type": "formula", "formula": {"type": "list", "list": []}})
    assert isinstance(odd, Unknown)


@pytest.mark.parametrize(
    ("kind", "value", "body"),
    [
        ("number", 3, {"number": 3}),
        ("number", None, {"number": None}),
        ("select", "T1", {"select": {"name": "T1"}}),
        ("select", None, {"select": None}),
        ("status", "Done", {"status": {"name": "Done"}}),
        ("multi_select", ["a", "b"], {"multi_select": [{"name": "a"}, {"name": "b"}]}),
        ("date", date(2026, 12, 10), {"date": {"start": "2026-12-10"}}),
        ("date", "2026-12-10", {"date": {"start": "2026-12-10"}}),
        ("date", "2026-12-10T16:00:00+01:00", {"date": {"start": "2026-12-10T16:00:00+01:00"}}),
        (
            "date",
            DateRange(date(2026, 1, 1), date(2026, 1, 3)),
            {"date": {"start": "2026-01-01", "end": "2026-01-03"}},
        ),
        ("date", None, {"date": None}),
        ("checkbox", True, {"checkbox": True}),
        ("checkbox", None, {"checkbox": False}),
        ("url", "https://x.example", {"url": "https://x.example"}),
        ("url", "", {"url": None}),
        ("people", ["u1"], {"people": [{"object": "user", "id": "u1"}]}),
        (
            "title",
            "Usage alerts",
            {"title": [{"type": "text", "text": {"content": "Usage alerts"}}]},
        ),
        ("rich_text", None, {"rich_text": []}),
    ],
)
def test_write_bodies(kind: str, value: Any, body: dict[str, Any]) -> None:
    assert build_value(kind, value) == body


def test_a_date_is_written_without_a_time() -> None:
    body = build_value("date", date(2026, 12, 10))
    assert body["date"]["start"] == "2026-12-10"  # "2026-12-10T00:00:00" would be UTC midnight


def test_long_text_is_split_under_2000_characters() -> None:
    body = build_value("rich_text", "y" * 4500)
    assert [len(r["text"]["content"]) for r in body["rich_text"]] == [2000, 2000, 500]


def test_written_values_read_back_the_same() -> None:
    for kind, value in [
        ("title", "x" * 2500),
        ("select", "T2"),
        ("multi_select", ["a"]),
        ("date", date(2026, 2, 1)),
        ("people", ["u1"]),
        ("checkbox", True),
    ]:
        read = parse_value(build_value(kind, value))
        expected = {"multi_select": ("a",), "people": (User("u1"),)}.get(kind, value)
        assert read == expected, kind


@pytest.mark.parametrize(
    ("kind", "value", "words"),
    [
        ("formula", 1, "read-only"),
        ("rollup", 1, "read-only"),
        ("created_time", "x", "read-only"),
        ("last_edited_by", "x", "read-only"),
        ("unique_id", 1, "read-only"),
        ("files", [], "does not write"),
        ("number", True, "finite number"),
        ("number", float("nan"), "finite number"),
        ("select", "a,b", "commas"),
        ("select", ["a", "b"], "one option"),
        ("multi_select", [str(n) for n in range(101)], "at most 100"),
        ("date", datetime(2026, 1, 1, 9), "no UTC offset"),
        ("date", "soon", "not a date"),
        ("checkbox", "yes", "true or false"),
        ("email", "a" * 201, "longer than 200"),
        ("rich_text", "z" * 200_001, "too long"),
        ("people", [1], "ids"),
    ],
)
def test_values_that_cannot_be_written_are_refused(kind: str, value: Any, words: str) -> None:
    with pytest.raises(PropertyWriteError, match=words):
        build_value(kind, value)
