"""The Confluence emulator is as strict as Atlassian's published specs and recordings,
seen through atlassian-python-api as the connector drives it (:class:`ConfluenceApi`, the
SDK's raw ``request``): each API's own error envelope, v2's ``Link`` header, properties by
id, the label endpoints and their character rules, v1's next links keeping ``expand``,
v1's 404 for a property created with a version other than 1, and the 409 of a property
update at a stale version."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from atlassian.rest_client import AtlassianRestAPI

from opsync.connectors.confluence.client import ApiError, ConfluenceApi
from opsync.connectors.confluence.config import ConfluenceConnectorConfig
from opsync.connectors.confluence.site import Site
from opsync.testing.emulators.confluence import ConfluenceEmulator

V1_KEYS = {"statusCode", "data", "message"}


@pytest.fixture
def api(
    confluence_emulator: ConfluenceEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ConfluenceApi]:
    monkeypatch.setenv("OPSYNC_CONFLUENCE_BASE_URL", confluence_emulator.base_url)
    monkeypatch.setenv("CONFLUENCE_EMAIL", confluence_emulator.email)
    monkeypatch.setenv("CONFLUENCE_TOKEN", confluence_emulator.token)
    client = ConfluenceApi(ConfluenceConnectorConfig(space="OPS"))
    yield client
    client.close()


def raw(api: ConfluenceApi, method: str, path: str, **kw: Any) -> requests.Response:
    """The SDK's own request, as the connector sends it, answer and headers kept."""
    response: requests.Response = api.sdk.request(
        method,
        path=path,
        advanced_mode=True,
        headers={"Accept": "application/json", "Content-Type": "application/json"},
        **kw,
    )
    return response


def plain(emulator: ConfluenceEmulator, password: str | None = None) -> AtlassianRestAPI:
    """The SDK without opsync's policy (which would retry a 5xx read), retries off."""
    return AtlassianRestAPI(
        url=emulator.base_url,
        username=emulator.email,
        password=password or emulator.token,
        retry_with_header=False,
        backoff_and_retry=False,
    )


def v2_envelope(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"errors"}, body
    (error,) = body["errors"]
    assert set(error) == {"status", "code", "title", "detail"} and error["status"] == status
    return dict(error)


def v1_envelope(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    body = response.json()
    assert set(body) >= V1_KEYS and "errors" not in body, body
    assert body["statusCode"] == status
    return dict(body)


def children(emulator: ConfluenceEmulator, count: int) -> str:
    world = emulator.world
    parent = world.add_page("OPS", "Parent", world.root_page_id, "<p>parent</p>")
    for n in range(count):
        world.add_page("OPS", f"Child {n}", parent.id, f"<p>child {n}</p>")
    return parent.id


# 3. Each API its own error envelope -----------------------------------------------------


def test_v2_errors_come_in_the_v2_envelope(
    api: ConfluenceApi, confluence_emulator: ConfluenceEmulator
) -> None:
    world = confluence_emulator.world
    page = world.add_page("OPS", "Archived", world.root_page_id, "<p>old</p>")
    page.status = "archived"
    update = {
        "id": page.id,
        "status": "current",
        "title": "Archived",
        "body": {"representation": "storage", "value": "<p>new</p>"},
        "version": {"number": page.version + 1},
    }
    error = v2_envelope(raw(api, "PUT", f"/wiki/api/v2/pages/{page.id}", data=update), 400)
    assert error["code"] == "BAD_REQUEST" and "archived" in error["title"]
    broken = {
        "spaceId": world.spaces["OPS"].id,
        "status": "current",
        "title": "Broken",
        "parentId": world.root_page_id,
        "body": {"representation": "storage", "value": "<p>unclosed"},
    }
    error = v2_envelope(raw(api, "POST", "/wiki/api/v2/pages", data=broken), 400)
    assert "xhtml" in error["title"]
    v2_envelope(raw(api, "GET", "/wiki/api/v2/pages/999999"), 404)
    v2_envelope(raw(api, "GET", "/wiki/api/v2/no-such-thing"), 404)
    confluence_emulator.fail("GET", r"/wiki/api/v2/pages/", 500)
    faulted = plain(confluence_emulator).request(
        "GET", path=f"/wiki/api/v2/pages/{page.id}", advanced_mode=True
    )
    v2_envelope(faulted, 500)
    stranger = plain(confluence_emulator, "not-the-token")
    refused = stranger.request("GET", path="/wiki/api/v2/spaces", advanced_mode=True)
    assert v2_envelope(refused, 401)["code"] == "UNAUTHORIZED"
    refused = stranger.request("GET", path="/wiki/rest/api/user/current", advanced_mode=True)
    assert refused.status_code == 401 and "errors" not in refused.json()
    # Through the connector: the v2 title is the message opsync reports.
    with pytest.raises(ApiError, match="Updating archived content is not supported"):
        api.call("PUT", f"/api/v2/pages/{page.id}", body=update)


def test_v1_errors_keep_the_v1_envelope(
    api: ConfluenceApi, confluence_emulator: ConfluenceEmulator
) -> None:
    v1_envelope(raw(api, "GET", "/wiki/rest/api/content/999999"), 404)
    confluence_emulator.fail("GET", r"/wiki/rest/api/content/", 500)
    path = f"/wiki/rest/api/content/{confluence_emulator.root_page_id}"
    v1_envelope(plain(confluence_emulator).request("GET", path=path, advanced_mode=True), 500)


# 4. v2 listings: the Link header as well as _links.next --------------------------------


def test_v2_listings_carry_the_link_header_as_well_as_links_next(
    api: ConfluenceApi, confluence_emulator: ConfluenceEmulator
) -> None:
    parent = children(confluence_emulator, 5)
    path = f"/wiki/api/v2/pages/{parent}/children"
    seen: list[str] = []
    params: dict[str, Any] | None = {"limit": 2}
    for _ in range(3):
        response = raw(api, "GET", path, params=params)
        body = response.json()
        seen += [r["title"] for r in body["results"]]
        following = body["_links"].get("next")
        if following is None:
            assert "Link" not in response.headers
            break
        assert response.links["next"]["url"] == following
        assert following.startswith("/wiki/api/v2/")
        path, _, query = following.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&"))
    assert seen == [f"Child {n}" for n in range(5)]
    space = confluence_emulator.world.spaces["OPS"].id
    listing = raw(api, "GET", "/wiki/api/v2/pages", params={"space-id": space, "limit": 1})
    assert listing.links["next"]["url"] == listing.json()["_links"]["next"]


# 5. A property fetched by its id --------------------------------------------------------


def test_a_v2_property_is_fetched_by_its_id(
    api: ConfluenceApi, confluence_emulator: ConfluenceEmulator
) -> None:
    page = confluence_emulator.root_page_id
    made = api.call("POST", f"/api/v2/pages/{page}/properties", body={"key": "k", "value": 1})
    got = api.call("GET", f"/api/v2/pages/{page}/properties/{made['id']}")
    assert got == {"id": made["id"], "key": "k", "value": 1, "version": {"number": 1}}
    missing = raw(api, "GET", f"/wiki/api/v2/pages/{page}/properties/999999")
    v2_envelope(missing, 404)


# 6. Labels: v1 read and write, v2 read, and the characters a label cannot hold ----------


def test_labels_are_served_by_v1_and_v2(
    api: ConfluenceApi, confluence_emulator: ConfluenceEmulator
) -> None:
    site = Site(api, "OPS")
    page = confluence_emulator.root_page_id
    site.label(page, "opsync")
    site.label(page, "release-notes_2026")
    v1 = api.call("GET", f"/rest/api/content/{page}/label")
    assert [(r["prefix"], r["name"]) for r in v1["results"]] == [
        ("global", "opsync"),
        ("global", "release-notes_2026"),
    ]
    v2 = api.call("GET", f"/api/v2/pages/{page}/labels")
    assert [r["name"] for r in v2["results"]] == ["opsync", "release-notes_2026"]
    assert {r["id"] for r in v2["results"]} == {r["id"] for r in v1["results"]}


@pytest.mark.parametrize("name", ["needs review", "a\tb", *"!#&()*,.:;<>?@[]^", "x" * 256, ""])
def test_a_label_confluence_cannot_hold_is_a_400(
    api: ConfluenceApi, confluence_emulator: ConfluenceEmulator, name: str
) -> None:
    page = confluence_emulator.root_page_id
    label = name if len(name) != 1 else f"go{name}live"
    with pytest.raises(ApiError) as refused:
        Site(api, "OPS").label(page, label)
    assert refused.value.status == 400
    assert confluence_emulator.world.pages[page].labels == []
    answer = raw(
        api,
        "POST",
        f"/wiki/rest/api/content/{page}/label",
        data=[{"prefix": "global", "name": label}],
    )
    v1_envelope(answer, 400)


# 7. v1 next links keep expand -----------------------------------------------------------


def test_v1_next_links_keep_the_expand_of_the_request(
    api: ConfluenceApi, confluence_emulator: ConfluenceEmulator
) -> None:
    parent = children(confluence_emulator, 3)
    first = api.call(
        "GET",
        f"/rest/api/content/{parent}/child/page",
        params={"expand": "body.storage,version", "limit": 2},
    )
    following = first["_links"]["next"]
    assert "expand=body.storage,version" in following
    pages = list(
        api.paginate(
            f"/rest/api/content/{parent}/child/page",
            {"expand": "body.storage,version", "limit": 2},
            what="children",
        )
    )
    assert [p["body"]["storage"]["value"] for p in pages] == [f"<p>child {n}</p>" for n in range(3)]


# 8. v1 property PUT of a new key with a version other than 1 ----------------------------


def test_a_v1_property_put_of_a_new_key_not_at_version_1_is_a_404_on_cloud(
    api: ConfluenceApi, confluence_emulator: ConfluenceEmulator
) -> None:
    page = confluence_emulator.root_page_id
    path = f"/rest/api/content/{page}/property/fresh"
    with pytest.raises(ApiError) as refused:
        api.call("PUT", path, body={"key": "fresh", "value": {}, "version": {"number": 2}})
    assert refused.value.status == 404
    made = api.call("PUT", path, body={"key": "fresh", "value": {}, "version": {"number": 1}})
    assert made["version"]["number"] == 1


# 9. A property update not at the current version plus one is a 409 ---------------------


def test_a_property_update_at_a_stale_version_is_a_409_on_v2_and_v1(
    api: ConfluenceApi, confluence_emulator: ConfluenceEmulator
) -> None:
    """What the write lease's compare-and-set rests on (connectors/confluence/lease.py):
    "The version field in the request and response ensures that two requests cannot update
    the same version of the entity properties data. Attempting to do so will result in a
    HTTP error" (Confluence entity properties,
    https://developer.atlassian.com/cloud/confluence/confluence-entity-properties/), and v1
    updateContentProperty: "409 Returned if the property version is not correctly
    incremented" (confluence_v1_openapi.json)."""
    page = confluence_emulator.root_page_id
    made = api.call(
        "POST", f"/api/v2/pages/{page}/properties", body={"key": "k", "value": {"n": 0}}
    )
    v2 = f"/api/v2/pages/{page}/properties/{made['id']}"
    won = {"key": "k", "value": {"n": 1}, "version": {"number": 2}}
    assert api.call("PUT", v2, body=won)["version"]["number"] == 2
    lost = {"key": "k", "value": {"n": 2}, "version": {"number": 2}}  # read version 1 too
    detail = v2_envelope(raw(api, "PUT", f"/wiki{v2}", data=lost), 409)
    assert "Current version is: 2" in detail["title"]
    v1 = f"/wiki/rest/api/content/{page}/property/k"
    v1_envelope(raw(api, "PUT", v1, data=lost), 409)
    v1_envelope(raw(api, "PUT", v1, data={**lost, "version": {"number": 1}}), 409)
    got = api.call("GET", v2)
    assert (got["value"], got["version"]["number"]) == ({"n": 1}, 2)  # the winner's stands


# 10. The config refuses exactly the labels the service refuses -------------------------


def test_the_config_accepts_only_labels_confluence_holds(
    api: ConfluenceApi, confluence_emulator: ConfluenceEmulator
) -> None:
    site = Site(api, "OPS")
    page = confluence_emulator.root_page_id
    for label in ["ops_2026-é", "opsync", *(f"go{c}live" for c in "!#&()*,.:;<>?@[]^ ")]:
        try:
            ConfluenceConnectorConfig(space="OPS", label=label)
        except ValueError:
            accepted = False
        else:
            accepted = True
        try:
            site.label(page, label)
        except ApiError as refused:
            assert refused.status == 400
            held = False
        else:
            held = True
        assert accepted == held, label
