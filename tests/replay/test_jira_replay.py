"""What Atlassian documents and real tenants sent must parse: Jira recordings replayed
through the connector (atlassian-python-api over the policy transport, vcrpy beneath it,
``record_mode="none"``), including the published examples' known inaccuracies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import vcr  # type: ignore[import-untyped]

from opsync.connectors.jira import JiraConnectorConfig
from opsync.connectors.jira.connector import JiraTracker
from opsync.connectors.jira.rows import BadValue, RowMapper, calendar_date
from opsync.errors import PermanentError
from opsync.http import RetryPolicy, TokenBucket

JIRA = Path(__file__).resolve().parents[2] / "cassettes" / "atlassian" / "jira"
SITE = "https://your-domain.atlassian.net"
# Atlassian API tokens (ATATT…), Basic credentials, and this suite's own token.
TOKEN_SHAPES = re.compile(r"ATATT[A-Za-z0-9_\-=]{20,}|Basic\s+[A-Za-z0-9+/=]{12,}|replay-token")


def replay() -> vcr.VCR:
    return vcr.VCR(
        record_mode="none", filter_headers=["authorization"], match_on=("method", "path")
    )


@pytest.fixture
def tracker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[JiraTracker]:
    monkeypatch.delenv("OPSYNC_JIRA_BASE_URL", raising=False)
    monkeypatch.setenv("JIRA_EMAIL", "someone@example.com")
    token = tmp_path / "token"
    token.write_text("replay-token")
    config = JiraConnectorConfig(
        base_url=SITE,
        token_file=token,
        project="EX",
        fields={
            "tier": {"field": "customfield_10071"},  # "Time to resolution": wrong type
            "pm": {"field": "customfield_10070"},  # "Responders": an array, accepted
            "product_area": {"field": "customfield_99999"},  # not on the site
        },
    )
    slept: list[float] = []
    built = JiraTracker(
        config,
        bucket=TokenBucket(1000.0, 100, sleep=slept.append),
        policy=RetryPolicy(sleep=slept.append),
    )
    yield built
    built.close()


def test_a_documented_search_page_parses_into_rows_and_findings(tracker: JiraTracker) -> None:
    with replay().use_cassette(str(JIRA / "search_jql_with_versions.yaml")) as cassette:
        read = tracker.read_releases()
    assert cassette.all_played
    # The example issue carries no summary (the search was not asked for one): a finding
    # on ED-1, never a crash, and its plain-string description is still read.
    assert read.rows == {}
    assert [(f.record, f.field) for f in read.findings] == [("releases/ED-1", "title")]
    # The example's `updated` is the number 1, not a timestamp: the cursor stays unset
    # (the next run reads everything again) rather than jump to 1970 or crash.
    assert tracker.reader.mirror.cursor_ms is None


def test_the_versions_example_gives_release_dates_as_epoch_ms_which_is_a_finding() -> None:
    with pytest.raises(BadValue, match="is not a date"):
        calendar_date(1278385482288)
    config = JiraConnectorConfig(project="EX")
    issue = {"key": "EX-1", "fields": {"summary": "A", "fixVersions": [{"id": "10000"}]}}
    versions = {"10000": {"id": "10000", "releaseDate": 1278385482288, "released": True}}
    _, row, findings = RowMapper(config, (), (), SITE).row(issue, versions)
    assert row is None and findings[0].field == "launch_date"
    assert "EX-1" in findings[0].message and "fixVersions" in findings[0].message


def test_an_adf_description_is_flattened(tracker: JiraTracker) -> None:
    from opsync.connectors.jira.text import plain_text

    with replay().use_cassette(str(JIRA / "issue_adf_description.yaml")):
        issue = tracker.api.get("issue/ED-1")
    assert plain_text(issue["fields"]["description"]) == "Main order flow broken"


def test_the_removed_search_answers_410_with_the_migration_hint(tracker: JiraTracker) -> None:
    with (
        replay().use_cassette(str(JIRA / "search_removed_410.yaml")),
        pytest.raises(PermanentError) as caught,
    ):
        tracker.api.get("search", jql="project = EX")
    message = str(caught.value)
    assert "Jira answered 410" in message and "CHANGE-2046" in message
    assert "use search/jql" in message


def test_a_reserved_word_400_is_reported_not_retried(tracker: JiraTracker) -> None:
    with (
        replay().use_cassette(str(JIRA / "search_jql_reserved_word_400.yaml")) as cassette,
        pytest.raises(PermanentError, match="'DO' is a reserved JQL word"),
    ):
        list(tracker.api.search("project = DO", ["id"], what="issues"))
    assert cassette.play_count == 1


def test_doctor_reads_the_real_field_list_and_parse_errors(tracker: JiraTracker) -> None:
    with replay().use_cassette(str(JIRA / "doctor.yaml")):
        findings = tracker.check()
    by_field = {f.field: f.message for f in findings}
    assert "customfield_99999" in by_field["fields.product_area"]
    assert "customfield_10070" in by_field["fields.product_area"]  # lists the real ids
    assert "sd-servicelevelagreement" in by_field["fields.tier"]
    assert "fields.pm" not in by_field
    # The documented parse answer holds four invalid queries: each is a finding.
    assert sum(1 for f in findings if f.field == "jql") == 4


def test_no_jira_cassette_holds_credentials() -> None:
    assert TOKEN_SHAPES.search("Authorization: Basic " + "QUJD" * 5)
    files = [p for p in JIRA.rglob("*") if p.is_file()]
    assert len(files) >= 5
    found = [p.name for p in files if TOKEN_SHAPES.search(p.read_text(encoding="utf-8"))]
    assert found == []
