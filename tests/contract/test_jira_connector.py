"""The Jira tracker against the emulator, through atlassian-python-api over real HTTP:
the rows it maps, pagination to the end, and the one pacing + retry policy (429 honoured
once, HTTP-date Retry-After, 5xx, 400 not retried, nothing retried twice)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from email.utils import format_datetime

import pytest
from jira_support import Builder, FakeSleep, credentials

from opsync.errors import AuthError, PermanentError, TransientError
from opsync.testing.emulators.jira import JiraEmulator

SEARCH = ("GET", "/rest/api/3/search/jql")
VERSIONS = ("GET", "/rest/api/3/project/{projectIdOrKey}/versions")


@pytest.fixture
def acme(jira_emulator: JiraEmulator, monkeypatch: pytest.MonkeyPatch) -> JiraEmulator:
    jira_emulator.seed_acme()
    credentials(monkeypatch, jira_emulator)
    return jira_emulator


@pytest.fixture
def time() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def build(time: FakeSleep) -> Iterator[Builder]:
    builder = Builder(time)
    yield builder
    builder.close()


def test_reads_every_release_with_its_mapped_fields(
    acme: JiraEmulator, time: FakeSleep, build: Builder
) -> None:
    tracker = build()
    read = tracker.read_releases()
    assert read.findings == []
    assert len(read.rows) == 40
    row = read.rows["ACME-105"]
    assert row["title"] == "HubSpot connector (GA)"
    assert row["tier"] == "3"  # the "High" option
    assert row["product_area"] == "connectors"  # the component
    assert row["pm"] == "raj"  # the user picker, by email
    assert row["eng_lead"] == "lena"  # the eng-lena label
    assert row["launch_date"] == date(2026, 10, 20)  # the fix version's release date
    assert row["launched"] is True  # the version is released
    assert row["stakeholder_summary"].startswith("The HubSpot connector is out of beta")
    assert row["description"].startswith("GA of the HubSpot connector")  # ADF, flattened
    assert read.rows["ACME-101"]["launched"] is None  # unreleased: the date decides
    assert list(read.rows)[:3] == ["ACME-101", "ACME-102", "ACME-103"]
    # One request for the versions, one search page: and the report's counts match Jira's.
    counts = acme.counts
    assert counts.of(*VERSIONS) == 1 and counts.of(*SEARCH) == 1
    assert tracker.counts() == {"reads": counts.reads, "writes": 0}


def test_pages_until_no_token_even_when_pages_shrink(
    acme: JiraEmulator, time: FakeSleep, build: Builder
) -> None:
    acme.set_page_cap(7)  # Jira returns fewer than asked when many fields are requested
    read = build(page_size=50).read_releases()
    assert len(read.rows) == 40  # stopping at the first short page would give 7
    assert acme.counts.of(*SEARCH) == 6


def test_a_search_longer_than_the_page_cap_fails_loudly(
    acme: JiraEmulator, time: FakeSleep, build: Builder
) -> None:
    acme.set_page_cap(7)
    tracker = build()
    tracker.api.max_pages = 2
    with pytest.raises(PermanentError, match="more than 2 pages"):
        tracker.read_releases()


def test_429_is_waited_out_once_by_the_policy_alone(
    acme: JiraEmulator, time: FakeSleep, build: Builder
) -> None:
    acme.faults.fail(429, times=1, path="/rest/api/3/search/jql", retry_after="7")
    read = build().read_releases()
    assert len(read.rows) == 40
    assert acme.counts.of(*SEARCH) == 2  # the 429 and one repeat: no SDK retry on top
    assert 7.0 in time.sleeps


def test_http_date_retry_after_is_honoured_not_a_crash(
    acme: JiraEmulator, time: FakeSleep, build: Builder
) -> None:
    from datetime import UTC, datetime, timedelta

    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    acme.faults.fail(429, times=1, path="/rest/api/3/search/jql", retry_after=when)
    read = build().read_releases()
    assert len(read.rows) == 40
    waits = [s for s in time.sleeps if s > 1]
    assert len(waits) == 1 and 27 <= waits[0] <= 31  # measured against the server's Date


def test_retries_stop_at_the_policy_budget_and_nothing_retries_twice(
    acme: JiraEmulator, time: FakeSleep, build: Builder
) -> None:
    acme.faults.fail(429, times=10, path="/rest/api/3/search/jql", retry_after="1")
    with pytest.raises(TransientError, match="gave up after 3 attempts"):
        build(max_attempts=3).read_releases()
    assert acme.counts.of(*SEARCH) == 3


def test_server_errors_on_reads_are_retried(
    acme: JiraEmulator, time: FakeSleep, build: Builder
) -> None:
    acme.faults.fail(503, times=2, path="/rest/api/3/search/jql")
    assert len(build().read_releases().rows) == 40
    assert acme.counts.of(*SEARCH) == 3


def test_a_400_is_reported_with_jiras_message_and_not_retried(
    acme: JiraEmulator, time: FakeSleep, build: Builder
) -> None:
    tracker = build(filters={"component": ["No such area"]})
    with pytest.raises(PermanentError) as caught:
        tracker.read_releases()
    assert "The value 'No such area' does not exist for the field 'component'" in str(caught.value)
    assert caught.value.request == "GET /rest/api/3/search/jql"
    assert acme.counts.of(*SEARCH) == 1


def test_refused_credentials_are_an_auth_error_without_the_token(
    acme: JiraEmulator, build: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_API_TOKEN", "wrong-token-value-123")
    with pytest.raises(AuthError) as caught:
        build().read_releases()
    assert "wrong-token-value-123" not in str(caught.value)
    assert acme.counts.total == 1


def test_cloud_never_calls_the_removed_search(
    acme: JiraEmulator, time: FakeSleep, build: Builder
) -> None:
    build().read_releases()
    assert all("/search/jql" in t for (_, t) in acme.counts.by_endpoint if "search" in t)


def test_data_center_reads_through_v2_offset_search_with_a_pat(
    monkeypatch: pytest.MonkeyPatch, build: Builder
) -> None:
    with JiraEmulator(deployment="datacenter", rate_limit=None) as dc:
        dc.seed_acme()
        dc.world.update_issue("ACME-101", description="h1. Why\n*Tile* headers [wrap|http://x]")
        monkeypatch.setenv("OPSYNC_JIRA_BASE_URL", dc.base_url)
        monkeypatch.setenv("JIRA_API_TOKEN", dc.token)
        monkeypatch.delenv("JIRA_EMAIL", raising=False)
        dc.set_page_cap(15)
        read = build(deployment="datacenter").read_releases()
        assert read.findings == []
        assert len(read.rows) == 40
        assert read.rows["ACME-101"]["description"] == "Why\nTile headers wrap"
        assert read.rows["ACME-105"]["pm"] == "raj"  # a DC user: name, no account id
        assert dc.counts.of("GET", "/rest/api/2/search") == 3


def test_the_sdk_can_only_send_through_the_policy_adapter(
    acme: JiraEmulator, build: Builder
) -> None:
    from opsync.http.requests_adapter import PolicyAdapter

    sdk = build().api.sdk
    assert sdk.retry_with_header is False and sdk.backoff_and_retry is False
    adapters = sdk.session.adapters
    assert {type(a) for a in adapters.values()} == {PolicyAdapter}
    assert set(adapters) == {"http://", "https://"}


def test_debug_logs_carry_no_credentials(
    acme: JiraEmulator, build: Builder, caplog: pytest.LogCaptureFixture
) -> None:
    import base64
    import logging

    caplog.set_level(logging.DEBUG)
    build().read_releases()
    basic = base64.b64encode(f"{acme.email}:{acme.token}".encode()).decode()
    assert "search/jql" in caplog.text  # the SDK and the layer did log the requests
    assert acme.token not in caplog.text and basic not in caplog.text


def test_a_dropped_connection_on_a_read_is_retried(acme: JiraEmulator, build: Builder) -> None:
    acme.faults.reset_connection(times=1, path="/rest/api/3/search/jql")
    assert len(build().read_releases().rows) == 40
    assert acme.counts.of(*SEARCH) == 2


def test_only_the_project_is_identity(acme: JiraEmulator, build: Builder) -> None:
    config = build().config
    moved = config.model_copy(update={"base_url": "https://x.example", "filters": {}})
    assert moved.identity() == config.identity() == {"type": "jira", "project": "ACME"}
