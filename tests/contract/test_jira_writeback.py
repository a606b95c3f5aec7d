"""Write-back through the Jira connector against the emulator: each value in the shape its
field type takes, only what differs, a person's edit seen (at the read, and between the read
and the write), the remote link upserted by its globalId; and the emulator's write
endpoints answering as Atlassian's specification documents them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from jira_support import Builder, FakeSleep, credentials

from opsync.connectors.base import TrackerWrite
from opsync.errors import ConflictError
from opsync.testing.emulators.jira import JiraEmulator

STATUS, DEADLINE, LINK, NOTES = (
    "customfield_10080",
    "customfield_10081",
    "customfield_10082",
    "customfield_10083",
)
WRITE_BACK = {
    "enablement_status": STATUS,
    "next_deadline": DEADLINE,
    "bundle_link": LINK,
}
PUT = ("PUT", "/rest/api/3/issue/{issueIdOrKey}")
POST_LINK = ("POST", "/rest/api/3/issue/{issueIdOrKey}/remotelink")
GET_LINK = ("GET", "/rest/api/3/issue/{issueIdOrKey}/remotelink")
URL = "https://acme.atlassian.net/wiki/spaces/OPS/pages/1/Bundle"


@pytest.fixture
def acme(jira_emulator: JiraEmulator, monkeypatch: pytest.MonkeyPatch) -> JiraEmulator:
    jira_emulator.seed_acme()
    world = jira_emulator.world
    world.add_field("Enablement status", "select", STATUS, options=["late", "drafting"])
    world.add_field("Next deadline", "date", DEADLINE)
    world.add_field("Bundle", "url", LINK)
    world.add_field("Notes", "textarea", NOTES)
    credentials(monkeypatch, jira_emulator)
    return jira_emulator


@pytest.fixture
def build(tmp_path: Path) -> Iterator[Builder]:
    builder = Builder(FakeSleep(), tmp_path / "state.db")
    yield builder
    builder.close()


def _tracker(build: Builder, **write_back: Any) -> Any:
    return build(write_back={**WRITE_BACK, **write_back})


def test_values_go_in_the_shape_of_each_field_type(acme: JiraEmulator, build: Builder) -> None:
    tracker = _tracker(build)
    read = tracker.read_releases()
    assert read.owned["ACME-101"].owned == {
        "enablement_status": None,
        "next_deadline": None,
        "bundle_link": None,
        "bundle_page": None,
    }
    values = {
        "enablement_status": "late",
        "next_deadline": date(2026, 12, 8),
        "bundle_link": URL,
        "bundle_page": URL,
    }
    tracker.write_release(TrackerWrite("ACME-101", values))
    ((key, sent, notify),) = acme.world.edits
    # a select by its option's value, a date as yyyy-mm-dd, a URL as a string
    assert (key, notify) == ("ACME-101", None)
    assert sent == {STATUS: {"value": "late"}, DEADLINE: "2026-12-08", LINK: URL}
    (link,) = acme.world.remote_links[acme.world.by_key("ACME-101").id]
    assert link["globalId"] == "opsync:bundle:ACME-101"
    assert link["object"]["url"] == URL

    again = _tracker(build).read_releases().owned["ACME-101"]
    assert again.owned == {**values, "bundle_page": URL}
    assert again.edited == frozenset()


def test_only_what_differs_is_written_and_a_matching_link_is_not_posted_again(
    acme: JiraEmulator, build: Builder
) -> None:
    acme.world.update_issue("ACME-101", **{STATUS: "late"})
    tracker = _tracker(build)
    tracker.read_releases()
    tracker.write_release(TrackerWrite("ACME-101", {"enablement_status": "late"}))
    assert acme.counts.of(*PUT) == 0  # already holds it
    tracker.write_release(
        TrackerWrite("ACME-101", {"next_deadline": date(2026, 12, 8), "bundle_page": URL})
    )
    assert acme.world.edits[-1][1] == {DEADLINE: "2026-12-08"}
    assert acme.counts.of(*POST_LINK) == 1

    # a new state store knows nothing: the link is read by its globalId and left alone
    build.state = build.state.with_name("other.db") if build.state else None
    fresh = _tracker(build)
    fresh.read_releases()
    acme.reset_counts()
    fresh.write_release(TrackerWrite("ACME-101", {"bundle_page": URL}))
    assert (acme.counts.of(*GET_LINK), acme.counts.of(*POST_LINK)) == (1, 0)
    # a changed URL updates the same link instead of adding one
    fresh.write_release(TrackerWrite("ACME-101", {"bundle_page": URL + "-v2"}))
    (link,) = acme.world.remote_links[acme.world.by_key("ACME-101").id]
    assert link["object"]["url"] == URL + "-v2"


def test_a_persons_edit_after_opsync_wrote_is_seen_at_the_next_read(
    acme: JiraEmulator, build: Builder
) -> None:
    tracker = _tracker(build)
    tracker.read_releases()
    tracker.write_release(TrackerWrite("ACME-101", {"enablement_status": "late"}))
    acme.world.update_issue("ACME-101", **{STATUS: "drafting"})
    state = _tracker(build).read_releases().owned["ACME-101"]
    assert state.owned["enablement_status"] == "drafting"
    assert state.edited == frozenset({"enablement_status"})


def test_an_edit_between_the_read_and_the_write_is_a_conflict_and_nothing_is_written(
    acme: JiraEmulator, build: Builder
) -> None:
    tracker = _tracker(build)
    tracker.read_releases()
    acme.world.update_issue("ACME-101", **{STATUS: "drafting"})
    with pytest.raises(ConflictError, match="enablement_status changed since opsync read it"):
        tracker.write_release(TrackerWrite("ACME-101", {"enablement_status": "late"}))
    assert acme.counts.of(*PUT) == 0
    assert acme.world.by_key("ACME-101").values[STATUS] == "drafting"


def test_notify_users_false_is_sent_only_when_configured(
    acme: JiraEmulator, build: Builder
) -> None:
    tracker = _tracker(build, notify_users=False)
    tracker.read_releases()
    tracker.write_release(TrackerWrite("ACME-101", {"enablement_status": "late"}))
    assert acme.world.edits[-1][2] == "false"


def test_a_paragraph_field_gets_adf_on_cloud(acme: JiraEmulator, build: Builder) -> None:
    tracker = _tracker(build, bundle_link=NOTES)
    tracker.read_releases()
    tracker.write_release(TrackerWrite("ACME-101", {"bundle_link": URL}))
    sent = acme.world.edits[-1][1][NOTES]
    assert sent["type"] == "doc" and sent["content"][0]["content"][0]["text"] == URL
    assert _tracker(build, bundle_link=NOTES).read_releases().owned["ACME-101"].edited == set()


# ---------------------------------------------------------------- the emulator, by the spec
def _client(acme: JiraEmulator) -> httpx.Client:
    return httpx.Client(base_url=acme.base_url, auth=(acme.email, acme.token))


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"customfield_99999": "x"}, "It is not on the appropriate screen, or unknown."),
        ({STATUS: {"value": "done"}}, "Option value 'done' is not valid"),
        ({STATUS: "late"}, "Option value 'None' is not valid"),
        ({DEADLINE: "8/Dec/26"}, "Error parsing date string: 8/Dec/26"),
        ({NOTES: "plain text"}, "Operation value must be an Atlassian Document"),
        ({LINK: "not a url"}, "Not a valid URL"),
    ],
)
def test_edit_answers_400_naming_the_field(
    acme: JiraEmulator, fields: dict[str, Any], error: str
) -> None:
    with _client(acme) as client:
        answer = client.put("/rest/api/3/issue/ACME-101", json={"fields": fields})
    assert answer.status_code == 400
    body = answer.json()
    assert body["errorMessages"] == []
    ((field, message),) = body["errors"].items()
    assert field == next(iter(fields)) and error in message


def test_edit_answers_204_with_no_body_and_404_for_an_unknown_issue(acme: JiraEmulator) -> None:
    with _client(acme) as client:
        done = client.put("/rest/api/3/issue/ACME-101", json={"fields": {DEADLINE: "2026-12-08"}})
        missing = client.put("/rest/api/3/issue/ACME-999", json={"fields": {}})
        bad = client.put("/rest/api/3/issue/ACME-101", json={"fields": [1]})
    assert (done.status_code, done.content) == (204, b"")
    assert missing.status_code == 404 and missing.json()["errorMessages"]
    assert bad.status_code == 400  # not the documented IssueUpdateDetails


def test_remote_links_upsert_by_global_id_as_documented(acme: JiraEmulator) -> None:
    path = "/rest/api/3/issue/ACME-101/remotelink"
    link = {"globalId": "g1", "object": {"url": URL, "title": "Bundle"}, "relationship": "r"}
    with _client(acme) as client:
        made = client.post(path, json=link)
        updated = client.post(path, json={"globalId": "g1", "object": {"url": URL, "title": "B"}})
        other = client.post(path, json={"object": {"url": URL, "title": "no global id"}})
        invalid = client.post(path, json={"object": {"url": URL}})
        one = client.get(path, params={"globalId": "g1"})
        every = client.get(path)
        none = client.get(path, params={"globalId": "nope"})
    assert made.status_code == 201 and set(made.json()) == {"id", "self"}
    assert updated.status_code == 200 and updated.json()["id"] == made.json()["id"]
    assert other.status_code == 201
    assert invalid.status_code == 400  # object.title is required
    assert one.json()["object"] == {"url": URL, "title": "B"}
    assert one.json()["relationship"] is None  # not in the update: set to null
    assert len(every.json()) == 2
    assert none.status_code == 404


def test_fields_are_created_by_an_administrator_only(acme: JiraEmulator) -> None:
    body = {
        "name": "Next deadline (opsync)",
        "type": "com.atlassian.jira.plugin.system.customfieldtypes:datepicker",
        "searcherKey": "com.atlassian.jira.plugin.system.customfieldtypes:daterange",
    }
    with _client(acme) as client:
        made = client.post("/rest/api/3/field", json=body)
        unknown = client.post("/rest/api/3/field", json={**body, "color": "red"})
        acme.world.admin = False
        refused = client.post("/rest/api/3/field", json=body)
    assert made.status_code == 201
    assert made.json()["schema"]["type"] == "date" and made.json()["custom"] is True
    assert unknown.status_code == 400  # CustomFieldDefinitionJsonBean has no such property
    assert refused.status_code == 400 and refused.json()["errorMessages"]


def test_editmeta_lists_the_fields_on_the_edit_screen(acme: JiraEmulator) -> None:
    acme.world.screen = {"summary", STATUS}
    with _client(acme) as client:
        meta = client.get("/rest/api/3/issue/ACME-101/editmeta").json()
        refused = client.put("/rest/api/3/issue/ACME-101", json={"fields": {DEADLINE: None}})
    assert set(meta["fields"]) == {"summary", STATUS}
    assert [v["value"] for v in meta["fields"][STATUS]["allowedValues"]] == ["late", "drafting"]
    assert refused.status_code == 400 and DEADLINE in refused.json()["errors"]
