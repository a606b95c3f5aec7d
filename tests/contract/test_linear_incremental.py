"""Incremental reads of Linear: the updatedAt cursor with an overlap, pagination to the
end with a cap, and the id-only full pass that notices items taken out of the scope."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from linear_support import Builder, FakeSleep

from opsync.errors import PermanentError
from opsync.testing.emulators.linear import LinearEmulator

START = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def acme(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Iterator[LinearEmulator]:
    with LinearEmulator(clock=clock) as emulator:
        emulator.seed_acme()
        monkeypatch.setenv("OPSYNC_LINEAR_BASE_URL", emulator.base_url)
        yield emulator


@pytest.fixture
def build(acme: LinearEmulator, tmp_path: Path) -> Iterator[Builder]:
    builder = Builder(acme, FakeSleep(), state=tmp_path / "state.db")
    yield builder
    builder.close()


def test_a_second_read_asks_once_for_what_changed_and_keeps_the_rest(
    acme: LinearEmulator, clock: Clock, build: Builder
) -> None:
    assert len(build(clock=clock).read_releases().rows) == 40
    acme.reset_counts()
    clock.advance(minutes=30)
    acme.world.update("ACME-103", title="Faster first sync (Snowflake)")
    read = build(clock=clock).read_releases()  # a new run: the cursor comes from the state
    assert read.rows["ACME-103"]["title"] == "Faster first sync (Snowflake)"
    assert len(read.rows) == 40
    assert acme.operations == ["OpsyncReadIssues"]


@pytest.mark.parametrize(("overlap", "caught"), [(10, True), (1, False)])
def test_an_edit_stamped_inside_the_overlap_window_is_caught(
    acme: LinearEmulator, clock: Clock, build: Builder, overlap: int, caught: bool
) -> None:
    """A write that commits late carries an updatedAt older than the cursor: only the
    overlap brings it back (with a one-minute overlap it is missed until a full pass)."""
    build(clock=clock, overlap_minutes=overlap).read_releases()
    clock.advance(minutes=20)
    acme.world.update("ACME-110", at=START - timedelta(minutes=5), title="Edited late")
    read = build(clock=clock, overlap_minutes=overlap).read_releases()
    assert (read.rows["ACME-110"]["title"] == "Edited late") is caught


def test_an_issue_taken_out_of_the_release_label_is_dropped_at_the_next_full_pass(
    acme: LinearEmulator, clock: Clock, build: Builder
) -> None:
    build(clock=clock).read_releases()
    clock.advance(hours=1)
    acme.world.remove_label("ACME-112", "Release")
    assert "ACME-112" in build(clock=clock).read_releases().rows  # no full pass due yet
    clock.advance(hours=24)
    acme.reset_counts()
    read = build(clock=clock).read_releases()
    assert "ACME-112" not in read.rows and len(read.rows) == 39
    assert acme.operations == ["OpsyncReadIssues", "OpsyncIdsIssues"]


def test_a_project_moved_to_another_team_is_dropped_at_the_next_full_pass(
    acme: LinearEmulator, clock: Clock, build: Builder
) -> None:
    first = build(clock=clock, releases="projects").read_releases()
    assert len(first.rows) == 40
    slug = next(iter(first.rows))
    other = acme.world.add_team("OPS", "Operations")
    acme.world.find(slug).team_ids = [other.id]
    clock.advance(hours=25)
    read = build(clock=clock, releases="projects").read_releases()
    assert slug not in read.rows and len(read.rows) == 39


def test_the_full_pass_fetches_an_item_the_mirror_never_saw(
    acme: LinearEmulator, clock: Clock, build: Builder
) -> None:
    """A label added long ago to an issue whose change the cursor skipped (a lost mirror
    row): the id pass finds it and fetches it whole."""
    build(clock=clock).read_releases()
    issue = acme.world.create_issue("ACME", "Backdated release", number=190)
    acme.world.update("ACME-190", at=START - timedelta(days=3), labels=["Release", "Area/alerts"])
    clock.advance(hours=25)
    read = build(clock=clock).read_releases()
    assert read.rows["ACME-190"]["product_area"] == "alerts"
    assert issue.id in build.built[-1].reader.mirror.issues


def test_pages_are_followed_to_the_end_and_a_read_past_the_cap_fails(
    acme: LinearEmulator, build: Builder
) -> None:
    tracker = build(page_size=7)
    assert len(tracker.read_releases().rows) == 40
    assert acme.operations.count("OpsyncReadIssues") == 6  # 40 issues, 7 a page
    capped = build(page_size=7)
    capped.api.max_pages = 3
    with pytest.raises(PermanentError, match="more than 3 pages"):
        capped.read_releases()


def test_canceled_items_are_not_releases_and_a_completed_one_is_launched(
    acme: LinearEmulator, build: Builder
) -> None:
    acme.world.update("ACME-120", canceledAt="2026-12-01T10:00:00.000Z")
    acme.world.update("ACME-121", completedAt="2026-12-01T10:00:00.000Z")
    rows = build().read_releases().rows
    assert "ACME-120" not in rows and rows["ACME-121"]["launched"] is True
