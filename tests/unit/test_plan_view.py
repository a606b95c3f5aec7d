"""Values in ``opsync plan`` read as the target shows them, never as Python reprs."""

from __future__ import annotations

from datetime import date

from opsync.cli.plan_view import show

NAMES = {"maya": "Maya Chen"}


def test_dates_are_iso_and_empty_values_say_so() -> None:
    assert show(date(2026, 12, 7), NAMES) == "2026-12-07"
    assert [show(v, NAMES) for v in (None, "", [])] == ["(empty)"] * 3


def test_people_are_named_and_options_take_their_label() -> None:
    assert show("maya", NAMES) == "Maya Chen"
    assert show("nobody", NAMES) == "nobody"
    assert show(2, NAMES, {"2": "Tier 2"}) == "Tier 2"


def test_booleans_numbers_and_lists_read_as_words() -> None:
    assert (show(True, NAMES), show(False, NAMES)) == ("yes", "no")
    assert (show(14.7, NAMES), show(80.0, NAMES)) == ("14.7", "80")
    assert show(["maya", "raj"], NAMES) == "Maya Chen, raj"


def test_a_list_of_entries_is_counted_and_a_mapping_spelled_out() -> None:
    entries = [{"key": "RM-101", "date_range": "Q1 2027"}, {"key": "RM-102"}]
    assert show(entries, NAMES) == "2 entries"
    assert show(entries[0], NAMES) == "key: RM-101; date_range: Q1 2027"
