"""The snapshot the engine builds from what a wiki read, the same for every wiki."""

from __future__ import annotations

from opsync.connectors.base import ReadResult, RecordState, TrackerRead
from opsync.engine.snapshot import build_snapshot


def test_records_of_a_collection_the_rules_do_not_read_are_left_out_not_a_crash() -> None:
    wiki = ReadResult(
        records={
            "gadgets/G-1": RecordState("gadgets/G-1", "toy:G-1", {}),
            "decisions/D-1": RecordState("decisions/D-1", "toy:D-1", {}),
        },
        fields={"gadgets/G-1": {"name": "x"}, "decisions/D-1": {"decision": "Ship it"}},
    )
    snapshot, invalid = build_snapshot(TrackerRead(), wiki, (), ())
    assert [d.key for d in snapshot.decisions] == ["D-1"]
    assert invalid == []
