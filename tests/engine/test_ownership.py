"""The three ownership states, decided in one place: what the plan does with each, and how
the journal's unfinished page writes settle into them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from opsync.connectors.base import Ownership, PageState, RegionState
from opsync.connectors.local.workspace import LocalWorkspace
from opsync.documents.model import Document, para, region
from opsync.engine.actual import Actual, settle
from opsync.engine.desired import Desired, DesiredPage
from opsync.engine.plan import Act, decide, make_plan

CLEAN, EDITED, INTERRUPTED = Ownership.CLEAN, Ownership.EDITED, Ownership.INTERRUPTED


@pytest.mark.parametrize(
    ("state", "holds_wanted", "force", "act"),
    [
        (CLEAN, True, False, Act.SKIP),  # the no-op: nothing to write
        (CLEAN, False, False, Act.WRITE),
        (EDITED, False, False, Act.CONFLICT),  # a person's text is never overwritten
        (EDITED, False, True, Act.WRITE),  # unless the run is forced
        (EDITED, True, False, Act.WRITE),  # holds what opsync wants: restamped, not a conflict
        (INTERRUPTED, False, False, Act.WRITE),  # opsync's own write is finished
        (INTERRUPTED, True, False, Act.WRITE),  # even when it landed whole: record it
    ],
)
def test_each_state_becomes_one_act(
    state: Ownership, holds_wanted: bool, force: bool, act: Act
) -> None:
    assert decide(state, holds_wanted, force) is act


def test_a_page_the_journal_shows_unfinished_has_its_edited_regions_taken_as_opsyncs() -> None:
    regions = {"a": RegionState("x", EDITED), "b": RegionState("y", CLEAN)}
    pages = {
        "weekly/1": PageState("weekly/1", "p1", regions),
        "weekly/2": PageState("weekly/2", "p2", regions),
    }
    settled = settle(pages, frozenset({"weekly/1", "gone/3"}))
    assert settled["weekly/1"].regions == {
        "a": RegionState("x", INTERRUPTED),
        "b": RegionState("y", CLEAN),
    }
    assert settled["weekly/2"] == pages["weekly/2"]  # no unfinished write: still a person's
    assert "gone/3" not in settled


def test_a_region_the_target_shows_a_person_edited_stays_theirs_on_an_unfinished_page() -> None:
    """Killed mid-write, then a person types into the page before the next run: Notion names
    them as the last editor of a block inside the region, and that is not opsync's write."""
    regions = {"a": RegionState("x", EDITED, by_person=True), "b": RegionState("y", EDITED)}
    settled = settle({"weekly/1": PageState("weekly/1", "p1", regions)}, frozenset({"weekly/1"}))
    assert settled["weekly/1"].regions == {
        "a": RegionState("x", EDITED, by_person=True),
        "b": RegionState("y", INTERRUPTED),
    }


@pytest.mark.parametrize(
    ("state", "says"),
    [
        (RegionState("", INTERRUPTED), "was cut short"),  # rewritten to complete it
        (RegionState("", EDITED, by_person=True), None),  # a person typed what is wanted
    ],
)
def test_a_region_already_holding_what_is_wanted_is_called_cut_short_only_when_it_was(
    tmp_path: Path, state: RegionState, says: str | None
) -> None:
    store = LocalWorkspace(tmp_path / "t.yaml", tmp_path / "w", tmp_path / "p", tmp_path / "o")
    page = Document(title="T", children=(region("r", para("Wanted.")),))
    held = replace(state, content=store.render_region(page, "r"))
    desired = Desired(pages={"p": DesiredPage(key="p", kind="scorecard", document=page)})
    actual = Actual(pages={"p": PageState("p", "p.md", {"r": held})})
    (op,) = make_plan(desired, actual, store).operations
    assert ("cut short" in op.reason) is (says is not None)
    assert ("changed" in op.reason) is (says is None)  # before, both read "changed"
