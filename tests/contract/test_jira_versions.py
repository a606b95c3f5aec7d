"""Releases read from fix versions (`releases = "versions"`) against the Jira emulator:
keyed by version id so a rename moves nothing, archived versions dropped, an undated
version a finding naming it, fields voted by the version's issues, and still two requests
a run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from jira_support import Builder, FakeSleep, credentials
from pydantic import ValidationError

from opsync.connectors.jira import JiraConnectorConfig
from opsync.connectors.jira.connector import JiraTracker
from opsync.domain import Release
from opsync.testing.emulators.jira import JiraEmulator

START = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
VERSIONS: dict[str, Any] = {"releases": "versions"}


class Clock:
    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock()


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


def version_of(acme: JiraEmulator, issue_key: str) -> str:
    return str(acme.world.by_key(issue_key).values["fixVersions"][0])


def test_each_version_is_a_release_keyed_by_its_id_with_its_issue_fields(
    acme: JiraEmulator, build: Builder
) -> None:
    read = build(**VERSIONS).read_releases()
    live = [v for v in acme.world.versions.values() if not v.archived]
    assert len(read.rows) == len(live) > 30
    pdf = version_of(acme, "ACME-102")
    row = read.rows[f"ACME-v{pdf}"]
    assert row["title"] == "2026-10-08 ACME-102"
    assert row["launch_date"] == date(2026, 10, 8)
    issue = build().read_releases().rows["ACME-102"]  # the same fields, voted by its issue
    for name in ("tier", "product_area", "pm", "eng_lead"):
        assert row[name] == issue[name] is not None
    assert row["url"].endswith(f"/projects/ACME/versions/{pdf}")
    assert acme.counts.total == 4  # two reads per run: versions and one search page


def test_a_renamed_version_is_the_same_release_with_a_new_title(
    acme: JiraEmulator, clock: Clock, build: Builder
) -> None:
    pdf = version_of(acme, "ACME-102")
    build(**VERSIONS).read_releases()
    acme.world.update_version(pdf, name="Scheduled PDF reports")
    acme.reset_counts()
    read = build(**VERSIONS).read_releases()
    assert read.rows[f"ACME-v{pdf}"]["title"] == "Scheduled PDF reports"
    assert not [k for k, r in read.rows.items() if r["title"] == "2026-10-08 ACME-102"]
    assert acme.counts.total == 2  # a no-op costs the same as in issue mode


def test_an_archived_version_is_no_release(acme: JiraEmulator, build: Builder) -> None:
    pdf = version_of(acme, "ACME-102")
    assert f"ACME-v{pdf}" in build(**VERSIONS).read_releases().rows
    acme.world.update_version(pdf, archived=True)
    assert f"ACME-v{pdf}" not in build(**VERSIONS).read_releases().rows


def test_a_version_without_a_release_date_is_a_finding_naming_it(
    acme: JiraEmulator, build: Builder
) -> None:
    later = acme.world.add_version("ACME", "Someday: SSO for embeds")
    read = build(**VERSIONS).read_releases()
    assert read.rows[f"ACME-v{later.id}"]["launch_date"] is None
    [finding] = [f for f in read.findings if f.record == f"releases/ACME-v{later.id}"]
    assert "Someday: SSO for embeds" in finding.message and later.id in finding.message
    assert finding.field == "launch_date"


def test_fields_are_the_most_common_among_the_issues_else_the_defaults(
    acme: JiraEmulator, build: Builder
) -> None:
    platform = acme.world.add_version("ACME", "2027.1", release_date=date(2027, 1, 12))
    empty = acme.world.add_version("ACME", "2027.2", release_date=date(2027, 2, 9))
    # The first issue and the last one each disagree with the majority.
    votes = (("admin", "High"), ("connectors", "Low"), ("connectors", "Low"), ("alerts", "Medium"))
    for area, tier in votes:
        acme.world.create_issue(
            "ACME", f"work in {area}", components=[area], fixVersions=[platform.id],
            customfield_10050=tier, labels=["eng-lena"],
        )  # fmt: skip
    defaults = {"tier": "2", "product_area": "embedded", "pm": "elliot"}
    read = build(**VERSIONS, version_defaults=defaults).read_releases()
    voted = read.rows[f"ACME-v{platform.id}"]
    assert (voted["product_area"], voted["tier"], voted["eng_lead"]) == ("connectors", "1", "lena")
    assert voted["pm"] == "elliot"  # no issue names a PM: the default
    bare = read.rows[f"ACME-v{empty.id}"]
    assert (bare["tier"], bare["product_area"], bare["eng_lead"]) == ("2", "embedded", None)


def test_a_name_pattern_picks_the_versions(acme: JiraEmulator, build: Builder) -> None:
    acme.world.add_version("ACME", "Mobile 1.0", release_date=date(2027, 1, 5))
    read = build(**VERSIONS, version_names="2026-11-*").read_releases()
    assert read.rows and all(r["title"].startswith("2026-11-") for r in read.rows.values())


def test_versions_mode_is_part_of_the_identity_and_takes_no_date_field() -> None:
    issues = JiraConnectorConfig(project="ACME")
    versions = JiraConnectorConfig(project="ACME", releases="versions")
    assert issues.identity() == {"type": "jira", "project": "ACME"}
    assert versions.identity() == {"type": "jira", "project": "ACME", "releases": "versions"}
    with pytest.raises(ValidationError, match="does not apply when releases"):
        JiraConnectorConfig(project="ACME", releases="versions", launch_date="duedate")
    with pytest.raises(ValidationError, match="not a release field"):
        JiraConnectorConfig(project="ACME", version_defaults={"owner": "maya"})


def test_a_moved_version_date_is_kept_as_launch_date_history(
    acme: JiraEmulator, clock: Clock, build: Builder
) -> None:
    pdf = version_of(acme, "ACME-102")
    assert (
        build(clock=clock, full_pass_hours=100)
        .read_releases()
        .rows["ACME-102"]["launch_date_history"]
        == []
    )
    clock.at += timedelta(days=2)
    acme.world.update_version(pdf, release_date=date(2026, 10, 15))
    acme.reset_counts()
    moved = (
        build(clock=clock, full_pass_hours=100)
        .read_releases()
        .rows["ACME-102"]["launch_date_history"]
    )
    change = {"changed_on": "2026-12-05", "old": "2026-10-08", "new": "2026-10-15"}
    assert moved == [change]
    assert acme.counts.total == 2  # noting the move cost no request
    clock.at += timedelta(days=1)
    assert build(clock=clock, full_pass_hours=100).read_releases().rows["ACME-102"][
        "launch_date_history"
    ] == [change]


def test_a_moved_date_field_is_kept_as_history_and_reaches_the_release(
    acme: JiraEmulator, clock: Clock, build: Builder
) -> None:
    acme.world.update_issue("ACME-110", duedate="2026-11-02")
    build(clock=clock, launch_date="duedate").read_releases()
    clock.at += timedelta(minutes=30)
    acme.world.update_issue("ACME-110", duedate="2026-11-20")
    tracker: JiraTracker = build(clock=clock, launch_date="duedate")
    row = tracker.read_releases().rows["ACME-110"]
    assert row["launch_date"] == date(2026, 11, 20)
    [move] = row["launch_date_history"]
    assert (move["old"], move["new"]) == ("2026-11-02", "2026-11-20")
    release = Release.model_validate({k: v for k, v in row.items() if k in Release.model_fields})
    assert release.launch_date_history[0].new == release.launch_date  # what the rules look for
