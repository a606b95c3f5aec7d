"""The Jira emulator is as strict as Jira's published documents, seen through the SDK as
the connector drives it (atlassian-python-api under :class:`JiraApi`), and the connector
copes: wrong credentials on ``serverInfo`` (SPEC-J getServerInfo, 401) and JQL operators a
field does not support (400, and the same error from ``jql/parse``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from atlassian import JiraCloud
from jira_support import ACME_MAPPING, Builder, FakeSleep, credentials

from opsync.connectors.jira import JiraConnectorConfig
from opsync.connectors.jira.client import JiraApi
from opsync.errors import AuthError, PermanentError
from opsync.testing.emulators.jira import JiraEmulator

SUMMARY_EQUALS = "The operator '=' is not supported by the 'summary' field."


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


@pytest.fixture
def api(acme: JiraEmulator) -> Iterator[JiraApi]:
    client = JiraApi(JiraConnectorConfig.model_validate(ACME_MAPPING))
    yield client
    client.close()


def sdk(emulator: JiraEmulator, password: str) -> JiraCloud:
    return JiraCloud(
        emulator.base_url,
        username=emulator.email,
        password=password,
        retry_with_header=False,
        backoff_and_retry=False,
    )


# 1. serverInfo and credentials --------------------------------------------------------


def test_cloud_server_info_refuses_wrong_credentials_and_answers_anonymous_callers(
    acme: JiraEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = sdk(acme, "not-the-token")
    with pytest.raises(requests.HTTPError) as refused:
        wrong.get("rest/api/3/serverInfo")
    assert refused.value.response.status_code == 401
    with pytest.raises(requests.HTTPError):
        wrong.get("rest/api/2/serverInfo")
    right = sdk(acme, acme.token)
    assert right.get("rest/api/3/serverInfo")["deploymentType"] == "Cloud"
    anonymous = JiraCloud(acme.base_url, retry_with_header=False, backoff_and_retry=False)
    assert anonymous.get("rest/api/3/serverInfo")["deploymentType"] == "Cloud"
    # Through the connector's client: an AuthError, not a site or network failure.
    monkeypatch.setenv("JIRA_API_TOKEN", "not-the-token")
    client = JiraApi(JiraConnectorConfig.model_validate(ACME_MAPPING))
    with pytest.raises(AuthError, match="401"):
        client.get("serverInfo")
    client.close()


def test_data_center_server_info_stays_anonymous() -> None:
    with JiraEmulator(deployment="datacenter", rate_limit=None) as emulator:
        answer = requests.get(
            f"{emulator.base_url}/rest/api/2/serverInfo", headers={"Authorization": "Bearer x"}
        )
        assert answer.status_code == 200
        assert answer.json()["deploymentType"] == "Server"


# 9. doctor names the token on a 401 -----------------------------------------------------


def test_doctor_names_the_token_variables_when_cloud_refuses_them(
    acme: JiraEmulator, build: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPS_JIRA_TOKEN", "not-the-token")
    monkeypatch.setenv("OPS_JIRA_EMAIL", acme.email)
    findings = build(token_env="OPS_JIRA_TOKEN", email_env="OPS_JIRA_EMAIL").check()
    assert [f.field for f in findings] == ["token"]
    message = findings[0].message
    assert "401" in message
    assert "$OPS_JIRA_TOKEN" in message and "$OPS_JIRA_EMAIL" in message
    assert "base_url" not in message and "network" not in message
    assert "not-the-token" not in message and acme.email not in message
    # Refused at serverInfo: the doctor goes no further than asking it anonymously.
    assert acme.counts.of("GET", "/rest/api/3/myself") == 0
    assert acme.counts.of("GET", "/rest/api/3/serverInfo") == 2


def test_doctor_names_the_token_file_when_that_is_where_the_token_is(
    acme: JiraEmulator, build: Builder, tmp_path: pytest.TempPathFactory
) -> None:
    token_file = tmp_path / "jira-token"  # type: ignore[operator]
    token_file.write_text("not-the-token\n")
    findings = build(token_file=str(token_file)).check()
    assert [f.field for f in findings] == ["token"]
    assert f"the file {token_file}" in findings[0].message
    assert "$JIRA_EMAIL" in findings[0].message


# 2. JQL operators a field does not support ----------------------------------------------


def test_an_unsupported_operator_is_the_documented_400_through_the_sdk(acme: JiraEmulator) -> None:
    client = sdk(acme, acme.token)
    with pytest.raises(requests.HTTPError) as refused:
        client.enhanced_jql('project = ACME AND summary = "Usage billing"', fields=["id"])
    assert refused.value.response.status_code == 400
    assert refused.value.response.json()["errorMessages"] == [SUMMARY_EQUALS]
    for query in ('project = ACME AND summary in ("a")', "project = ACME AND labels ~ x"):
        with pytest.raises(requests.HTTPError, match="is not supported by the"):
            client.enhanced_jql(query, fields=["id"])
    # The operators summary does support still search.
    found = client.enhanced_jql('project = ACME AND summary ~ "billing"', fields=["id"])
    assert found["isLast"] is True


def test_jql_parse_reports_the_same_error_and_the_connector_surfaces_it(
    acme: JiraEmulator, api: JiraApi, build: Builder
) -> None:
    parsed = api.post("jql/parse", {"queries": ["summary = x", "summary ~ x"]}, validation="strict")
    assert parsed["queries"][0]["errors"] == [SUMMARY_EQUALS]
    assert "errors" not in parsed["queries"][1]
    with pytest.raises(PermanentError, match="is not supported by the 'summary' field"):
        list(api.search("project = ACME AND summary = x", ["id"], what="the releases"))
    findings = build(jql='summary = "x"').check()
    assert [f.field for f in findings] == ["jql"]
    assert SUMMARY_EQUALS in findings[0].message
