"""Counting words on pages: agreement with the count, and the line that ends a long list."""

from __future__ import annotations

from opsync.rules.wording import capped, counted, more, plural


def test_words_agree_with_their_count() -> None:
    assert counted(1, "decision") == "1 decision"
    assert counted(0, "decision") == "0 decisions"
    assert counted(1204, "launch", "launches") == "1,204 launches"
    assert f"1 decision {plural(1, 'is', 'are')} past {plural(1, 'its', 'their')} review date" == (
        "1 decision is past its review date"
    )
    assert plural(2, "its", "their") == "their"


def test_capped_keeps_the_first_items_and_counts_the_rest() -> None:
    assert capped(list(range(30)), 25) == (list(range(25)), 5)
    assert capped([1, 2], 25) == ([1, 2], 0)
    assert more(4990) == "and 4,990 more — see "
