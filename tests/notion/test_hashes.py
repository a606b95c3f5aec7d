"""The hashes of what opsync last wrote on a row: stable across JSON's number forms, and a
mangled property holds none rather than marking every field edited."""

from __future__ import annotations

from datetime import date

from opsync.connectors.notion.hashes import dump_hashes, edited_fields, load_hashes, value_hash


def test_a_value_hashes_the_same_after_a_json_round_trip() -> None:
    assert value_hash(3) == value_hash(3.0)
    assert value_hash(["a", "b"]) == value_hash(("a", "b"))
    assert value_hash(date(2026, 12, 3)) == value_hash(date(2026, 12, 3))
    assert value_hash("late") != value_hash("done")
    assert value_hash(None) != value_hash(False)


def test_only_fields_whose_value_moved_are_edited() -> None:
    stored = load_hashes(dump_hashes({"a": value_hash("x"), "b": value_hash(2)}))
    assert edited_fields({"a": "x", "b": 2, "c": "never written"}, stored) == frozenset()
    assert edited_fields({"a": "y", "b": 2}, stored) == {"a"}


def test_a_missing_or_mangled_property_holds_no_hashes() -> None:
    assert load_hashes(None) == {} and load_hashes("") == {}
    assert load_hashes("{not json") == {} and load_hashes("[1, 2]") == {}
    assert edited_fields({"a": "y"}, load_hashes("{oops")) == frozenset()
