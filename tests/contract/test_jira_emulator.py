"""The Jira emulator behaves as the recordings and Atlassian's documents say Jira does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import requests
import yaml

from opsync.testing.emulators.jira import JiraEmulator

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes" / "atlassian" / "jira"


def recorded(name: str) -> object:
    cassette = yaml.safe_load((CASSETTES / name).read_text())
    return json.loads(cassette["interactions"][0]["response"]["body"]["string"])


@pytest.fixture
def site(jira_emulator: JiraEmulator) -> Iterator[tuple[JiraEmulator, requests.Session]]:
    jira_emulator.seed_acme()
    with requests.Session() as session:
        session.auth = (jira_emulator.email, jira_emulator.token)
        yield jira_emulator, session


def search(emulator: JiraEmulator, session: requests.Session, **body: object) -> requests.Response:
    return session.post(f"{emulator.base_url}/rest/api/3/search/jql", json=body)


def test_the_removed_search_answers_the_recorded_410(
    site: tuple[JiraEmulator, requests.Session],
) -> None:
    emulator, session = site
    answer = session.get(f"{emulator.base_url}/rest/api/3/search", params={"jql": "project = ACME"})
    assert answer.status_code == 410
    assert answer.json()["errorMessages"] == recorded("search_removed_410.yaml")["errorMessages"]  # type: ignore[index]


def test_a_reserved_word_answers_the_recorded_400(
    site: tuple[JiraEmulator, requests.Session],
) -> None:
    emulator, session = site
    emulator.world.add_project("DO", "Delivery")
    answer = search(emulator, session, jql="project = DO")
    assert answer.status_code == 400
    assert answer.json() == recorded("search_jql_reserved_word_400.yaml")
    assert search(emulator, session, jql='project = "DO"').status_code == 200


def test_search_pages_by_token_with_ids_by_default(
    site: tuple[JiraEmulator, requests.Session],
) -> None:
    emulator, session = site
    first = search(emulator, session, jql="project = ACME ORDER BY key ASC", maxResults=25).json()
    assert first["isLast"] is False and "total" not in first
    assert first["issues"][0] == {"id": first["issues"][0]["id"]}  # `fields` defaults to id
    rest = search(
        emulator, session, jql="project = ACME ORDER BY key ASC", maxResults=25,
        nextPageToken=first["nextPageToken"],
    ).json()  # fmt: skip
    assert rest["isLast"] is True and "nextPageToken" not in rest
    assert len(first["issues"]) + len(rest["issues"]) == 40
    other = search(emulator, session, jql="project = ACME", nextPageToken=first["nextPageToken"])
    assert other.status_code == 400  # a token belongs to its query


def test_unbounded_queries_and_unknown_fields_are_400(
    site: tuple[JiraEmulator, requests.Session],
) -> None:
    emulator, session = site
    unbounded = search(emulator, session, jql="order by key desc")
    assert "Unbounded JQL queries are not allowed" in unbounded.json()["errorMessages"][0]
    invalid = search(emulator, session, jql="project = ACME", startAt=5)
    assert invalid.status_code == 400  # the OpenAPI document has no startAt here
    assert "startAt" in invalid.json()["errorMessages"][0]


def test_the_rate_limit_answers_429_with_retry_after_in_seconds_or_as_a_date(
    site: tuple[JiraEmulator, requests.Session],
) -> None:
    emulator, session = site
    url = f"{emulator.base_url}/rest/api/3/myself"
    emulator.set_rate_limit(0.5, burst=1)
    assert session.get(url).status_code == 200
    throttled = session.get(url)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "2"
    emulator.set_rate_limit(0.5, burst=1, http_date=True)
    session.get(url)
    dated = session.get(url)
    assert dated.status_code == 429
    assert parsedate_to_datetime(dated.headers["Retry-After"]) > parsedate_to_datetime(
        dated.headers["Date"]
    )


def test_data_center_has_no_search_jql_but_the_offset_search() -> None:
    with (
        JiraEmulator(deployment="datacenter", rate_limit=None) as dc,
        requests.Session() as session,
    ):
        dc.seed_acme()
        session.headers["Authorization"] = f"Bearer {dc.token}"
        base = f"{dc.base_url}/rest/api/2"
        assert (
            session.get(f"{base}/search/jql", params={"jql": "project = ACME"}).status_code == 404
        )
        page = session.get(f"{base}/search", params={"jql": "project = ACME", "maxResults": 10})
        assert page.json()["total"] == 40 and len(page.json()["issues"]) == 10
        assert session.get(f"{dc.base_url}/rest/api/3/myself").status_code == 404
        issue = session.get(f"{base}/issue/ACME-101").json()
        assert isinstance(issue["fields"]["description"], str)  # wiki markup, not ADF


def test_counts_name_each_endpoint_and_status(site: tuple[JiraEmulator, requests.Session]) -> None:
    emulator, session = site
    session.get(f"{emulator.base_url}/rest/api/3/project/ACME/versions")
    session.get(f"{emulator.base_url}/rest/api/3/issue/NOPE-1")
    counts = emulator.counts
    assert counts.of("GET", "/rest/api/3/project/{projectIdOrKey}/versions") == 1
    assert counts.by_status == {200: 1, 404: 1} and counts.reads == 2
