"""The plan of the write-back to the tracker (engine/writeback.py): what is written, what a
person's edit blocks (that value only), and a bundle link that waits for its page."""

from __future__ import annotations

from datetime import date

from opsync.connectors.base import RecordState, TrackerWrite
from opsync.engine.actual import Actual
from opsync.engine.desired import Desired
from opsync.engine.plan import make_plan
from opsync.engine.writeback import DesiredWriteBack, plan_release, resolve

URL = "https://wiki.example/bundle/ACME-1"
WANT = {"enablement_status": "late", "next_deadline": date(2026, 12, 8)}


def _state(owned: dict[str, object], edited: frozenset[str] = frozenset()) -> RecordState:
    return RecordState(ref="ACME-1", path="https://jira/browse/ACME-1", owned=owned, edited=edited)


def test_only_the_values_that_differ_are_written() -> None:
    planned = plan_release(
        DesiredWriteBack("ACME-1", WANT),
        _state({"enablement_status": "late", "next_deadline": None}),
        force=False,
    )
    assert planned.write == TrackerWrite("ACME-1", {"next_deadline": date(2026, 12, 8)})
    assert planned.changes == (("next_deadline", None, date(2026, 12, 8)),)
    assert plan_release(DesiredWriteBack("ACME-1", WANT), _state(WANT), False).write is None


def test_a_persons_edit_blocks_that_value_only_unless_forced() -> None:
    state = _state(
        {"enablement_status": "done!", "next_deadline": None}, frozenset({"enablement_status"})
    )
    planned = plan_release(DesiredWriteBack("ACME-1", WANT), state, force=False)
    assert planned.conflicts == ("enablement_status",)
    assert planned.write == TrackerWrite("ACME-1", {"next_deadline": date(2026, 12, 8)})
    forced = plan_release(DesiredWriteBack("ACME-1", WANT), state, force=True)
    assert forced.conflicts == () and forced.write is not None
    assert forced.write.values["enablement_status"] == "late"


def test_a_person_who_typed_what_opsync_wants_is_restamped_not_a_conflict() -> None:
    state = _state(WANT, frozenset({"enablement_status"}))
    planned = plan_release(DesiredWriteBack("ACME-1", WANT), state, force=False)
    assert planned.conflicts == ()
    assert planned.write == TrackerWrite("ACME-1", {"enablement_status": "late"})
    assert planned.changes == ()


def test_a_link_to_a_page_made_this_run_waits_for_it_and_takes_its_url() -> None:
    want = DesiredWriteBack("ACME-1", {}, page="bundle/ACME-1", links=("bundle_page",))
    desired, actual = Desired(tracker={"ACME-1": want}), Actual(tracker={"ACME-1": _state({})})
    (op,) = make_plan(desired, actual, store=None).operations  # type: ignore[arg-type]
    assert (op.kind, op.target, op.after) == ("update_tracker", "tracker/ACME-1", "bundle/ACME-1")
    assert isinstance(op.payload, TrackerWrite)
    names = frozenset({"bundle_page", "enablement_status"})
    written = resolve(op.payload, names, {"bundle/ACME-1": URL}.get)
    assert written == TrackerWrite("ACME-1", {"bundle_page": URL})
    # a folder workspace's file path is no link for a tracker
    assert resolve(op.payload, names, lambda _: "/tmp/pages/bundle/ACME-1.md").values == {}


def test_conflicts_are_reported_with_the_target_force_only_names() -> None:
    state = _state({"enablement_status": "done!"}, frozenset({"enablement_status"}))
    desired = Desired(tracker={"ACME-1": DesiredWriteBack("ACME-1", {"enablement_status": "late"})})
    plan = make_plan(desired, Actual(tracker={"ACME-1": state}), store=None)  # type: ignore[arg-type]
    (conflict,) = plan.conflicts
    assert (conflict.target, conflict.part) == ("tracker/ACME-1", "fields enablement_status")
    assert "--force-only tracker/ACME-1" in conflict.message
    assert plan.operations == ()
    forced = make_plan(
        desired, Actual(tracker={"ACME-1": state}), store=None, force={"tracker/ACME-1"}
    )  # type: ignore[arg-type]
    assert [op.kind for op in forced.operations] == ["update_tracker"]
