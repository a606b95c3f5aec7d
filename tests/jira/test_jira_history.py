"""Launch date moves noted in the mirror between runs (no Jira request involved)."""

from __future__ import annotations

from datetime import date

from opsync.connectors.base import TrackerRead
from opsync.connectors.jira.history import note_moves
from opsync.connectors.jira.mirror import Mirror
from opsync.domain import Finding

DAY1, DAY2, DAY3 = date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)


def read(**dates: date | None) -> TrackerRead:
    return TrackerRead(rows={k: {"key": k, "launch_date": d} for k, d in dates.items()})


def test_a_move_is_noted_once_with_the_day_it_was_seen() -> None:
    mirror = Mirror(None, "x")
    note_moves(mirror, read(A=date(2027, 1, 5)), DAY1)
    moved = read(A=date(2027, 1, 12))
    note_moves(mirror, moved, DAY2)
    change = {"changed_on": "2026-12-02", "old": "2027-01-05", "new": "2027-01-12"}
    assert moved.rows["A"]["launch_date_history"] == [change]
    again = read(A=date(2027, 1, 12))
    note_moves(mirror, again, DAY3)
    assert again.rows["A"]["launch_date_history"] == [change]


def test_a_skipped_release_keeps_its_history_and_a_gone_one_loses_it() -> None:
    mirror = Mirror(None, "x")
    note_moves(mirror, read(A=DAY1, B=DAY1), DAY1)
    skipped = read()
    skipped.findings.append(Finding(code="record.invalid", record="releases/A", message="bad"))
    note_moves(mirror, skipped, DAY2)
    assert set(mirror.dates) == {"A"}
    back = read(A=DAY3, B=DAY3)
    note_moves(mirror, back, DAY3)
    assert back.rows["A"]["launch_date_history"] == [
        {"changed_on": "2026-12-03", "old": "2026-12-01", "new": "2026-12-03"}
    ]
    assert back.rows["B"]["launch_date_history"] == []  # B was gone: a new history
