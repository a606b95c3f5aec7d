"""`opsync doctor` for Jira against the emulator: a correct setup has no finding, and each
problem (credentials, project, field ids and types, JQL, deployment) names its fix."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from jira_support import Builder, FakeSleep, credentials

from opsync.testing.emulators.jira import JiraEmulator


@pytest.fixture
def acme(jira_emulator: JiraEmulator, monkeypatch: pytest.MonkeyPatch) -> JiraEmulator:
    jira_emulator.seed_acme()
    credentials(monkeypatch, jira_emulator)
    return jira_emulator


@pytest.fixture
def build() -> Iterator[Builder]:
    builder = Builder(FakeSleep())
    yield builder
    builder.close()


def test_a_correct_setup_has_no_finding(acme: JiraEmulator, build: Builder) -> None:
    assert build().check() == []
    assert acme.counts.of("POST", "/rest/api/3/jql/parse") == 1
    assert acme.counts.total == 5  # serverInfo, myself, project, field, jql/parse


def test_refused_credentials_are_one_finding_naming_the_fix(
    acme: JiraEmulator, build: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_API_TOKEN", "not-the-token")
    findings = build().check()
    assert [f.field for f in findings] == ["token"]
    assert "check the email and token" in findings[0].message
    assert "not-the-token" not in findings[0].message


def test_each_setup_problem_names_its_fix(acme: JiraEmulator, build: Builder) -> None:
    acme.world.add_project("OPS", "Ops")
    findings = build(
        project="OPS",
        jql="universe = 42",
        fields={
            "tier": {"field": "customfield_12345"},
            "pm": {"field": "customfield_10070"},  # a textarea: not a user
        },
    ).check()
    by_field = {f.field: f.message for f in findings}
    assert "no field customfield_12345" in by_field["fields.tier"]
    assert "customfield_10050" in by_field["fields.tier"]  # the ids that do exist
    assert "is a string field; pm needs one of array, option, user" in by_field["fields.pm"]
    assert "Field 'universe' does not exist" in by_field["jql"]


def test_a_missing_project_and_the_wrong_deployment_are_reported(
    acme: JiraEmulator, build: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    findings = build(project="NOPE").check()
    assert any(f.field == "project" and "Browse projects" in f.message for f in findings)
    monkeypatch.delenv("JIRA_EMAIL")
    wrong = build(deployment="datacenter").check()
    assert [f.field for f in wrong] == ["deployment"]
    assert 'set deployment = "cloud"' in wrong[0].message
