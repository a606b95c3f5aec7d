"""The Confluence emulator's page attachments as Atlassian documents them (v1 "Content -
attachments"; confluence_files.py cites each rule): a multipart upload needs the XSRF
header, a file name already attached is refused, and the listing filters and pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from opsync.testing.emulators.confluence import ConfluenceEmulator

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
NO_CHECK = {"X-Atlassian-Token": "no-check"}


@pytest.fixture
def session(confluence_emulator: ConfluenceEmulator) -> Iterator[requests.Session]:
    with requests.Session() as http:
        http.auth = (confluence_emulator.email, confluence_emulator.token)
        yield http


def attachments_url(emulator: ConfluenceEmulator, page: str) -> str:
    return f"{emulator.base_url}/wiki/rest/api/content/{page}/child/attachment"


def upload(
    session: requests.Session,
    emulator: ConfluenceEmulator,
    name: str,
    data: bytes = PNG,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    return session.post(
        attachments_url(emulator, emulator.root_page_id),
        headers=NO_CHECK if headers is None else headers,
        files={"file": (name, data, "image/png"), "minorEdit": (None, "true")},
    )


def stored(emulator: ConfluenceEmulator) -> list[Any]:
    return emulator.world.pages[emulator.root_page_id].attachments


def test_an_upload_answers_the_v1_result_list_and_keeps_the_bytes(
    session: requests.Session, confluence_emulator: ConfluenceEmulator
) -> None:
    answer = upload(session, confluence_emulator, "chart-abc.png")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["size"], len(body["results"])) == (1, 1)
    item = body["results"][0]
    assert (item["type"], item["title"], item["status"]) == (
        "attachment",
        "chart-abc.png",
        "current",
    )
    assert item["id"].startswith("att")
    assert item["extensions"] == {"mediaType": "image/png", "fileSize": len(PNG), "comment": ""}
    assert [(a.title, a.data) for a in stored(confluence_emulator)] == [("chart-abc.png", PNG)]


def test_an_upload_without_the_xsrf_header_is_blocked_and_attaches_nothing(
    session: requests.Session, confluence_emulator: ConfluenceEmulator
) -> None:
    answer = upload(session, confluence_emulator, "chart-abc.png", headers={})
    assert (answer.status_code, answer.text) == (403, "XSRF check failed")
    wrong = upload(
        session, confluence_emulator, "chart-abc.png", headers={"X-Atlassian-Token": "yes"}
    )
    assert wrong.status_code == 403
    assert stored(confluence_emulator) == []


def test_a_file_name_already_attached_is_refused_with_400(
    session: requests.Session, confluence_emulator: ConfluenceEmulator
) -> None:
    assert upload(session, confluence_emulator, "chart-abc.png").status_code == 200
    again = upload(session, confluence_emulator, "chart-abc.png", b"other bytes")
    assert again.status_code == 400
    body = again.json()
    assert set(body) == {"statusCode", "data", "message"}
    assert (
        "Cannot add a new attachment with same file name as an existing attachment"
        in (body["message"])
    )
    assert [a.data for a in stored(confluence_emulator)] == [PNG]


def test_an_upload_needs_a_multipart_file_part(
    session: requests.Session, confluence_emulator: ConfluenceEmulator
) -> None:
    url = attachments_url(confluence_emulator, confluence_emulator.root_page_id)
    no_file = session.post(url, headers=NO_CHECK, files={"comment": (None, "a note")})
    assert no_file.status_code == 400
    as_json = session.post(url, headers=NO_CHECK, json={"file": "chart.png"})
    assert as_json.status_code == 415
    missing = session.post(
        attachments_url(confluence_emulator, "999999"),
        headers=NO_CHECK,
        files={"file": ("a.png", PNG, "image/png")},
    )
    assert missing.status_code == 404
    assert stored(confluence_emulator) == []


def test_the_listing_filters_by_file_name_and_pages_through_next_links(
    session: requests.Session, confluence_emulator: ConfluenceEmulator
) -> None:
    for name in ("a.png", "b.png", "c.png"):
        assert upload(session, confluence_emulator, name).status_code == 200
    url = attachments_url(confluence_emulator, confluence_emulator.root_page_id)
    only = session.get(url, params={"filename": "b.png"}).json()
    assert [r["title"] for r in only["results"]] == ["b.png"]
    assert "next" not in only["_links"]
    assert session.get(url, params={"filename": "z.png"}).json()["results"] == []

    titles: list[str] = []
    page = session.get(url, params={"limit": 2}).json()
    titles += [r["title"] for r in page["results"]]
    assert page["_links"]["next"].startswith("/rest/api/content/")
    page = session.get(
        confluence_emulator.base_url + page["_links"]["base"] + page["_links"]["next"]
    ).json()
    titles += [r["title"] for r in page["results"]]
    assert titles == ["a.png", "b.png", "c.png"]
    assert "next" not in page["_links"]


def test_data_center_serves_the_same_endpoints_without_wiki(
    confluence_emulator: ConfluenceEmulator,
) -> None:
    page = confluence_emulator.root_page_id
    url = f"{confluence_emulator.base_url}/rest/api/content/{page}/child/attachment"
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {confluence_emulator.token}"
        made = http.post(url, headers=NO_CHECK, files={"file": ("dc.png", PNG, "image/png")})
        assert made.status_code == 200, made.text
        listed = http.get(url, params={"filename": "dc.png"}).json()
    assert [r["title"] for r in listed["results"]] == ["dc.png"]


def test_new_data_keeps_the_attachment_id_and_raises_its_version(
    session: requests.Session, confluence_emulator: ConfluenceEmulator
) -> None:
    first = upload(session, confluence_emulator, "rituals.ics", b"one").json()["results"][0]
    url = f"{attachments_url(confluence_emulator, confluence_emulator.root_page_id)}"
    answer = session.post(
        f"{url}/{first['id']}/data",
        headers=NO_CHECK,
        files={"file": ("rituals.ics", b"two", "text/calendar"), "minorEdit": (None, "true")},
    )
    assert answer.status_code == 200, answer.text
    item = answer.json()  # one content object, not a result list
    assert (item["id"], item["version"]["number"], item["title"]) == (first["id"], 2, "rituals.ics")
    assert [(a.id, a.data) for a in stored(confluence_emulator)] == [(first["id"], b"two")]
    missing = session.post(
        f"{url}/att404/data", headers=NO_CHECK, files={"file": ("x.ics", b"x", "text/calendar")}
    )
    assert missing.status_code == 404


def test_the_download_link_answers_the_latest_bytes_with_their_media_type(
    session: requests.Session, confluence_emulator: ConfluenceEmulator
) -> None:
    page = confluence_emulator.root_page_id
    item = upload(session, confluence_emulator, "chart-abc.png").json()["results"][0]
    link = f"{confluence_emulator.base_url}/wiki{item['_links']['download']}"
    latest = f"{confluence_emulator.base_url}/wiki/download/attachments/{page}/chart-abc.png"
    for url in (link, latest):
        answer = session.get(url)
        assert answer.status_code == 200 and answer.content == PNG
        assert answer.headers["Content-Type"] == "image/png"
    assert session.get(f"{latest}?version=7").status_code == 404
    assert session.get(latest.replace("chart-abc", "nothing")).status_code == 404
    assert requests.get(latest).status_code == 401  # the same authentication as the API
