"""Incremental reads of Jira: epoch-ms cursor with overlap, the id-only full pass for
deletions, versions re-read each run, and values escaped in every JQL opsync sends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from jira_support import Builder, FakeSleep, credentials

from opsync.state import SqliteStateStore
from opsync.testing.emulators.jira import JiraEmulator
from opsync.testing.emulators.jira_search import search

SEARCH = ("GET", "/rest/api/3/search/jql")
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
def acme(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Iterator[JiraEmulator]:
    with JiraEmulator(rate_limit=None, clock=clock, timezone="America/New_York") as emulator:
        emulator.seed_acme()
        credentials(monkeypatch, emulator)
        yield emulator


@pytest.fixture
def build(tmp_path: Path) -> Iterator[Builder]:
    builder = Builder(FakeSleep(), state=tmp_path / "state.db")
    yield builder
    builder.close()


def searches(emulator: JiraEmulator) -> int:
    return emulator.counts.of(*SEARCH)


def test_a_second_read_asks_only_for_issues_updated_since_the_cursor_minus_the_overlap(
    acme: JiraEmulator, clock: Clock, build: Builder
) -> None:
    assert len(build(clock=clock).read_releases().rows) == 40
    acme.reset_counts()
    clock.advance(minutes=30)
    acme.world.update_issue("ACME-103", summary="Faster first sync (Snowflake)")
    read = build(clock=clock).read_releases()  # a new run: the cursor comes from the file
    assert read.rows["ACME-103"]["title"] == "Faster first sync (Snowflake)"
    assert len(read.rows) == 40  # the unchanged 39 come from the mirror
    counts = acme.counts
    assert counts.total == 2 and searches(acme) == 1  # versions + one search page


def test_the_cursor_is_epoch_ms_so_an_account_behind_utc_skips_nothing(
    acme: JiraEmulator, clock: Clock, build: Builder
) -> None:
    build(clock=clock).read_releases()
    clock.advance(minutes=20)
    acme.world.update_issue("ACME-110", summary="Edited twenty minutes later")
    # The naive cursor: the last run's newest `updated`, formatted in UTC without a zone.
    # Jira reads it in the account's zone (New York, 5 hours behind) and skips the edit.
    naive = f'project = "ACME" AND updated >= "{START:%Y/%m/%d %H:%M}"'
    assert [i.key for i in search(acme.world, naive, bounded=True)] == []
    read = build(clock=clock).read_releases()
    assert read.rows["ACME-110"]["title"] == "Edited twenty minutes later"


def test_the_query_carries_the_cursor_minus_the_overlap_in_epoch_ms(
    acme: JiraEmulator, clock: Clock, build: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(clock=clock).read_releases()
    sent: list[str] = []
    original = acme._app.answer

    def spy(method: str, path: str, query: dict[str, list[str]], *rest: object) -> object:
        sent.extend(query.get("jql", []))
        return original(method, path, query, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(acme._app, "answer", spy)
    build(clock=clock, overlap_minutes=15).read_releases()
    cursor = int(START.timestamp() * 1000)  # every seeded issue was updated at START
    assert sent == [
        f'project = "ACME" AND issuetype in ("Epic") AND updated >= {cursor - 15 * 60_000}'
        " ORDER BY updated ASC, key ASC"
    ]


def test_the_daily_full_pass_drops_deleted_issues_and_finds_hidden_ones(
    acme: JiraEmulator, clock: Clock, build: Builder
) -> None:
    build(clock=clock).read_releases()
    acme.world.delete_issue("ACME-104")
    clock.advance(hours=1)
    assert "ACME-104" in build(clock=clock).read_releases().rows  # not due yet: still there
    # An issue that appears with an old `updated` (moved in, permission granted).
    moved = acme.world.create_issue("ACME", "Moved in from another project", key="ACME-999")
    moved.updated = START - timedelta(days=30)
    clock.advance(hours=24)
    acme.reset_counts()
    read = build(clock=clock).read_releases()
    assert "ACME-104" not in read.rows
    assert read.rows["ACME-999"]["title"] == "Moved in from another project"
    # versions, the incremental page, the id-only page, the fetch of the unknown id
    assert acme.counts.total == 4


def test_a_version_moved_or_released_is_seen_without_any_issue_changing(
    acme: JiraEmulator, clock: Clock, build: Builder
) -> None:
    first = build(clock=clock).read_releases()
    assert first.rows["ACME-102"]["launch_date"] == date(2026, 10, 8)
    issue = acme.world.by_key("ACME-102")
    version = issue.values["fixVersions"][0]
    acme.world.update_version(version, release_date=date(2026, 10, 13), released=True)
    acme.world.update_version(version, name="2026-10-13 PDF reports")
    clock.advance(minutes=5)
    read = build(clock=clock).read_releases()
    assert read.rows["ACME-102"]["launch_date"] == date(2026, 10, 13)
    assert read.rows["ACME-102"]["launched"] is True


def test_a_lost_or_foreign_mirror_means_one_full_read(
    acme: JiraEmulator, clock: Clock, build: Builder, tmp_path: Path
) -> None:
    build(clock=clock).read_releases()
    build.commit()
    store = SqliteStateStore(tmp_path / "state.db")
    store.save_mirrors({("jira", "mirror"): "{not json"})
    store.close()
    acme.reset_counts()
    assert len(build(clock=clock).read_releases().rows) == 40
    # Another project's mirror is not reused either.
    acme.world.add_project("BILL", "Billing")
    acme.world.create_issue("BILL", "A billing epic")
    read = build(clock=clock, project="BILL", filters={}).read_releases()
    assert list(read.rows) == ["BILL-1"]


def test_filter_values_are_escaped_so_they_cannot_change_the_query(
    acme: JiraEmulator, clock: Clock, build: Builder
) -> None:
    world = acme.world
    world.add_project("X", "Another team")
    world.create_issue("X", "Must never be read")
    for name in ('Billing "EU"', "a OR project = X", "back\\slash"):
        world.add_component("ACME", name)
    world.create_issue("ACME", "EU billing", components=['Billing "EU"'])
    world.create_issue("ACME", "Odd name", components=["a OR project = X"])
    world.create_issue("ACME", "Slashes", components=["back\\slash"])
    read = build(
        clock=clock,
        filters={"component": ['Billing "EU"', "a OR project = X", "back\\slash"]},
        fields={},
    ).read_releases()
    titles = sorted(row["title"] for row in read.rows.values())
    assert titles == ["EU billing", "Odd name", "Slashes"]


def test_a_reserved_word_project_key_is_quoted(
    acme: JiraEmulator, clock: Clock, build: Builder
) -> None:
    acme.world.add_project("DO", "Delivery Ops")
    acme.world.create_issue("DO", "Quoted key")
    read = build(clock=clock, project="DO", filters={}, fields={}).read_releases()
    assert [r["title"] for r in read.rows.values()] == ["Quoted key"]


def test_a_broken_issue_is_a_finding_naming_the_issue_and_field(
    acme: JiraEmulator, clock: Clock, build: Builder
) -> None:
    acme.world.update_issue("ACME-107", customfield_10050="Critical")
    acme.world.update_issue("ACME-108", labels=["eng-nobody"])
    read = build(clock=clock).read_releases()
    assert len(read.rows) == 38
    by_record = {f.record: f for f in read.findings}
    tier = by_record["releases/ACME-107"]
    assert tier.field == "tier" and "ACME-107" in tier.message
    assert "customfield_10050" in tier.message and "'Critical'" in tier.message
    assert by_record["releases/ACME-108"].field == "eng_lead"


def test_a_datetime_launch_field_keeps_its_calendar_date(
    acme: JiraEmulator, clock: Clock, build: Builder
) -> None:
    field = acme.world.add_field("Launch at", "datetime")
    # Midnight-thirty in Berlin is the evening before in UTC: the date must not move.
    acme.world.update_issue("ACME-101", **{field: "2026-10-06T00:30:00.000+0200"})
    acme.world.update_issue("ACME-102", **{field: "6 Oct"})
    read = build(clock=clock, launch_date=field).read_releases()
    assert read.rows["ACME-101"]["launch_date"] == date(2026, 10, 6)
    finding = next(f for f in read.findings if f.record == "releases/ACME-102")
    assert finding.field == "launch_date" and "'6 Oct' is not a date" in finding.message


def test_search_pages_ask_for_named_fields_only(acme: JiraEmulator, build: Builder) -> None:
    seen: list[str] = []
    original = acme._app.answer

    def spy(method: str, path: str, query: dict[str, list[str]], *rest: object) -> object:
        if path.endswith("/search/jql"):
            seen.extend(query.get("fields", []))
        return original(method, path, query, *rest)  # type: ignore[arg-type]

    acme._app.answer = spy  # type: ignore[method-assign]
    build().read_releases()
    assert seen and "*all" not in ",".join(seen)
    assert parse_qs(urlsplit("?fields=" + seen[0]).query)["fields"][0].startswith("summary")


def test_the_overlap_catches_an_edit_search_indexed_late(
    acme: JiraEmulator, clock: Clock, build: Builder
) -> None:
    build(clock=clock).read_releases()
    clock.advance(minutes=10)
    acme.world.update_issue("ACME-120", summary="Indexed late", index_delay=timedelta(minutes=5))
    clock.advance(minutes=1)
    acme.world.update_issue("ACME-121", summary="Indexed at once")
    clock.advance(minutes=1)
    second = build(clock=clock).read_releases()
    assert second.rows["ACME-121"]["title"] == "Indexed at once"
    assert second.rows["ACME-120"]["title"] != "Indexed late"  # not in the index yet
    # The cursor is now ACME-121's `updated`, a minute after ACME-120's: only the overlap
    # brings ACME-120 back once the index has it.
    clock.advance(minutes=10)
    third = build(clock=clock).read_releases()
    assert third.rows["ACME-120"]["title"] == "Indexed late"
