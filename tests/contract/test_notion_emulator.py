"""The Notion emulator behaves like the documented API, seen through notion-client over HTTP.

Every test drives the real notion-client 3.1.0 SDK (never `with Client(...)`, NOTES.md
section 7) against a running emulator on 127.0.0.1, and checks one documented behaviour or
trap: pagination caps, size limits, rate limits, injected faults, trash, counting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from notion_client import APIResponseError, Client
from notion_client.errors import HTTPResponseError, RequestTimeoutError

from opsync.testing import pytest_plugin
from opsync.testing.emulators.notion import NotionEmulator

LOG = logging.getLogger("tests.notion_emulator")
notion_emulator = pytest_plugin.notion_emulator  # the shipped fixture, used as installed
SCHEMA = {
    "Name": {"title": {}},
    "Key": {"rich_text": {}},
    "Tier": {"select": {"options": [{"name": "T1"}, {"name": "T2"}]}},
    "Launch": {"date": {}},
    "State": {"status": {}},
    "Done": {"checkbox": {}},
    "Created": {"created_time": {}},
}


def client(emulator: NotionEmulator, **options: Any) -> Client:
    return Client(
        auth=emulator.token, base_url=emulator.base_url, retry=False, logger=LOG, **options
    )


def text(content: str) -> list[dict[str, Any]]:
    return [{"text": {"content": content}}]


def para(content: str = "x", **extra: Any) -> dict[str, Any]:
    return {"paragraph": {"rich_text": text(content), **extra}}


def make_source(notion: Client, parent: str) -> str:
    database = notion.databases.create(
        parent={"type": "page_id", "page_id": parent},
        title=text("Releases"),
        initial_data_source={"properties": SCHEMA},
    )
    return str(notion.databases.retrieve(database["id"])["data_sources"][0]["id"])


def add_page(notion: Client, source: str, name: str, **props: Any) -> dict[str, Any]:
    properties = {"Name": {"title": text(name)}, **props}
    return dict(notion.pages.create(parent={"data_source_id": source}, properties=properties))


def api_error(call: Any) -> APIResponseError:
    with pytest.raises(APIResponseError) as caught:
        call()
    return caught.value


@pytest.fixture
def notion(notion_emulator: NotionEmulator) -> Iterator[Client]:
    sdk = client(notion_emulator)
    try:
        yield sdk
    finally:
        sdk.close()


def test_database_schema_is_on_its_data_source(
    notion: Client, notion_emulator: NotionEmulator
) -> None:
    database = notion.databases.create(
        parent={"type": "page_id", "page_id": notion_emulator.root_page_id},
        title=text("Releases"),
        initial_data_source={"properties": SCHEMA},
    )
    assert database["object"] == "database" and "properties" not in database
    [entry] = notion.databases.retrieve(database["id"])["data_sources"]
    assert entry["name"] == "Releases"
    source = notion.data_sources.retrieve(entry["id"])
    kinds = {name: prop["type"] for name, prop in source["properties"].items()}
    assert kinds == {name: next(iter(spec)) for name, spec in SCHEMA.items()}
    assert source["properties"]["Name"]["id"] == "title"
    assert [o["name"] for o in source["properties"]["Tier"]["select"]["options"]] == ["T1", "T2"]
    assert source["parent"] == {"type": "database_id", "database_id": database["id"]}
    assert not hasattr(notion.databases, "query")


def test_query_filters_and_paginates_past_100_to_the_end(
    notion: Client, notion_emulator: NotionEmulator
) -> None:
    source = make_source(notion, notion_emulator.root_page_id)
    for i in range(250):
        add_page(notion, source, f"R{i:03}", Tier={"select": {"name": "T1" if i % 2 else "T2"}})
    notion_emulator.reset_counts()
    seen: list[str] = []
    cursor = None
    while True:
        body = {"filter": {"property": "Tier", "select": {"equals": "T1"}}, "page_size": 100}
        page = notion.data_sources.query(source, start_cursor=cursor, **body)
        seen += [p["properties"]["Name"]["title"][0]["plain_text"] for p in page["results"]]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 125
    assert all(int(name[1:]) % 2 for name in seen)
    assert notion_emulator.counts.of("POST", "/v1/data_sources/{data_source_id}/query") == 2
    everything = notion.data_sources.query(
        source, sorts=[{"property": "Name", "direction": "descending"}]
    )
    assert len(everything["results"]) == 100 and everything["has_more"]
    assert everything["results"][0]["properties"]["Name"]["title"][0]["plain_text"] == "R249"


def test_page_size_over_100_is_a_validation_error(
    notion: Client, notion_emulator: NotionEmulator
) -> None:
    source = make_source(notion, notion_emulator.root_page_id)
    error = api_error(lambda: notion.data_sources.query(source, page_size=101))
    assert (error.status, error.code) == (400, "validation_error")
    assert "page_size should be ≤ `100`, instead was `101`" in str(error)
    assert notion.data_sources.query(source, page_size=100)["results"] == []


def test_append_limits_children_text_and_nesting(
    notion: Client, notion_emulator: NotionEmulator
) -> None:
    page = notion.pages.create(
        parent={"page_id": notion_emulator.root_page_id}, properties={"title": text("Doc")}
    )
    append = notion.blocks.children.append
    error = api_error(lambda: append(page["id"], children=[para()] * 101))
    assert (error.status, error.code) == (400, "validation_error")
    assert (
        str(error)
        == "body failed validation: body.children.length should be ≤ `100`, instead was `101`."
    )
    too_long = api_error(lambda: append(page["id"], children=[para("a" * 2001)]))
    assert "body.children[0].paragraph.rich_text[0].text.content.length should be ≤ `2000`" in str(
        too_long
    )
    four = [para(children=[para(children=[para(children=[para()])])])]
    nested = api_error(lambda: append(page["id"], children=four))
    assert (
        "body.children[0].paragraph.children[0].paragraph.children[0].paragraph.children "
        "should be not present" in str(nested)
    )
    three = [para(children=[para(children=[para("deepest")])])]
    assert append(page["id"], children=three)["results"][0]["has_children"] is True
    assert len(append(page["id"], children=[para("a" * 2000)] * 100)["results"]) == 100
    two = append(page["id"], children=[para(children=[para("inner")])])["results"][0]
    assert two["has_children"] is True
    assert (
        notion.blocks.children.list(two["id"])["results"][0]["paragraph"]["rich_text"][0][
            "plain_text"
        ]
        == "inner"
    )
    listed = notion.blocks.children.list(page["id"], page_size=100)
    assert listed["has_more"] and len(listed["results"]) == 100


def test_append_after_inserts_in_place(notion: Client, notion_emulator: NotionEmulator) -> None:
    page = notion.pages.create(
        parent={"page_id": notion_emulator.root_page_id}, properties={"title": text("Doc")}
    )
    first = notion.blocks.children.append(page["id"], children=[para("a"), para("c")])["results"][0]
    notion.blocks.children.append(page["id"], children=[para("b")], after=first["id"])
    order = [
        b["paragraph"]["rich_text"][0]["plain_text"]
        for b in notion.blocks.children.list(page["id"])["results"]
    ]
    assert order == ["a", "b", "c"]
    error = api_error(
        lambda: notion.blocks.children.append(page["id"], children=[para()], after=page["id"])
    )
    assert error.code == "validation_error"


def test_rate_limit_answers_429_with_integer_retry_after(
    notion: Client, notion_emulator: NotionEmulator
) -> None:
    notion_emulator.set_rate_limit(3.0, burst=2)
    statuses = []
    for _ in range(6):
        try:
            notion.users.me()
            statuses.append(200)
        except APIResponseError as error:
            statuses.append(error.status)
            limited = error
            break
    assert statuses[:2] == [200, 200] and statuses[-1] == 429
    assert limited.code == "rate_limited"
    retry_after = limited.headers["Retry-After"]
    assert retry_after.isdigit() and int(retry_after) >= 1
    time.sleep(int(retry_after))
    assert notion.users.me()["object"] == "user"
    notion_emulator.set_rate_limit(None)
    for _ in range(20):
        notion.users.me()


def test_injected_errors_are_answered_then_cleared(
    notion: Client, notion_emulator: NotionEmulator
) -> None:
    source = make_source(notion, notion_emulator.root_page_id)
    notion_emulator.faults.fail(500, times=1, method="POST", path="/v1/pages")
    error = api_error(lambda: add_page(notion, source, "A"))
    assert (error.status, error.code) == (500, "internal_server_error")
    page = add_page(notion, source, "A")
    notion_emulator.faults.fail(409, times=2, method="PATCH")
    for _ in range(2):
        conflict = api_error(
            lambda: notion.pages.update(page["id"], properties={"Key": {"rich_text": text("k")}})
        )
        assert (conflict.status, conflict.code) == (409, "conflict_error")
    assert (
        notion.pages.update(page["id"], properties={"Key": {"rich_text": text("k")}})["object"]
        == "page"
    )
    notion_emulator.faults.fail(529, path="/v1/data_sources/*/query")
    with pytest.raises(HTTPResponseError) as overload:
        notion.data_sources.query(source)
    assert overload.value.status == 529 and "service_overload" in overload.value.body
    assert len(notion.data_sources.query(source)["results"]) == 1
    assert notion_emulator.faults.pending() == 0


def test_connection_reset_and_delay(notion: Client, notion_emulator: NotionEmulator) -> None:
    source = make_source(notion, notion_emulator.root_page_id)
    notion_emulator.faults.reset_connection(path="/v1/users/me")
    with pytest.raises(httpx.TransportError):
        notion.users.me()
    assert notion.users.me()["type"] == "bot"
    notion_emulator.faults.reset_connection(method="POST", path="/v1/pages", apply=True)
    with pytest.raises(httpx.TransportError):
        add_page(notion, source, "lost response")
    assert len(notion.data_sources.query(source)["results"]) == 1
    notion_emulator.faults.delay(1.0, path="/v1/users/me")
    impatient = client(notion_emulator, timeout_ms=200)
    with pytest.raises(RequestTimeoutError):
        impatient.users.me()
    impatient.close()


def test_trash_keeps_pages_readable_and_out_of_queries(
    notion: Client, notion_emulator: NotionEmulator
) -> None:
    source = make_source(notion, notion_emulator.root_page_id)
    keep, trash, delete = (add_page(notion, source, name) for name in ("keep", "trash", "delete"))
    assert notion.pages.update(trash["id"], in_trash=True)["in_trash"] is True
    assert notion.blocks.delete(delete["id"])["type"] == "child_page"
    for gone in (trash, delete):
        fetched = notion.pages.retrieve(gone["id"])
        assert (fetched["in_trash"], fetched["archived"]) == (True, True)
    assert [p["id"] for p in notion.data_sources.query(source)["results"]] == [keep["id"]]
    assert len(notion.data_sources.query(source, in_trash=True)["results"]) == 3
    edit = api_error(
        lambda: notion.pages.update(trash["id"], properties={"Key": {"rich_text": []}})
    )
    assert edit.code == "validation_error"
    notion.pages.update(trash["id"], in_trash=False)
    assert len(notion.data_sources.query(source)["results"]) == 2
    block = notion.blocks.children.append(keep["id"], children=[para()])["results"][0]
    notion.blocks.delete(block["id"])
    assert notion.blocks.retrieve(block["id"])["in_trash"] is True
    assert notion.blocks.children.list(keep["id"])["results"] == []


def test_counts_split_reads_and_writes(notion: Client, notion_emulator: NotionEmulator) -> None:
    source = make_source(notion, notion_emulator.root_page_id)
    notion_emulator.reset_counts()
    page = add_page(notion, source, "A")
    notion.pages.update(page["id"], properties={"Done": {"checkbox": True}})
    notion.blocks.delete(page["id"])
    notion.pages.retrieve(page["id"])
    notion.data_sources.query(source)
    notion.search(query="A")
    counts = notion_emulator.counts
    assert (counts.total, counts.reads, counts.writes) == (6, 3, 3)
    assert counts.of("PATCH", "/v1/pages/{page_id}") == 1
    assert counts.by_status == {200: 6}
    notion_emulator.reset_counts()
    assert notion_emulator.counts.total == 0


def test_auth_and_version_are_required(notion_emulator: NotionEmulator) -> None:
    anonymous = Client(base_url=notion_emulator.base_url, retry=False, logger=LOG)
    assert (api_error(anonymous.users.me).status, api_error(anonymous.users.me).code) == (
        401,
        "unauthorized",
    )
    wrong = Client(auth="ntn_wrong", base_url=notion_emulator.base_url, retry=False, logger=LOG)
    assert api_error(wrong.users.me).code == "unauthorized"
    headers = {"Authorization": f"Bearer {notion_emulator.token}"}
    bare = httpx.get(f"{notion_emulator.base_url}/v1/users/me", headers=headers)
    assert bare.status_code == 400 and bare.json()["code"] == "missing_version"
    assert set(bare.json()) == {"object", "status", "code", "message", "request_id"}
    versioned = httpx.get(
        f"{notion_emulator.base_url}/v1/nowhere",
        headers={**headers, "Notion-Version": "2025-09-03"},
    )
    assert versioned.json()["code"] == "invalid_request_url"
    anonymous.close()
    wrong.close()


def test_requests_are_validated(notion: Client, notion_emulator: NotionEmulator) -> None:
    source = make_source(notion, notion_emulator.root_page_id)
    assert (
        api_error(lambda: notion.search(filter={"property": "object", "value": "database"})).code
        == "validation_error"
    )
    only = notion.search(filter={"property": "object", "value": "data_source"})["results"]
    assert [r["object"] for r in only] == ["data_source"]
    by_time = [{"timestamp": "last_edited_time", "direction": "ascending"}]
    assert notion.data_sources.query(source, sorts=by_time)["results"] == []
    assert str(api_error(lambda: notion.pages.retrieve("AAA"))).startswith(
        "path failed validation: path.page_id"
    )
    unknown = api_error(
        lambda: notion.request(
            path=f"data_sources/{source}/query", method="POST", body={"sort": []}
        )
    )
    assert "body.sort should be not present" in str(unknown)


def test_property_writes_follow_the_schema(notion: Client, notion_emulator: NotionEmulator) -> None:
    source = make_source(notion, notion_emulator.root_page_id)
    page = add_page(notion, source, "A", State={"status": {"name": "In progress"}})
    assert page["properties"]["State"]["status"]["name"] == "In progress"
    assert page["parent"]["type"] == "data_source_id" and page["parent"]["data_source_id"] == source
    for bad in (
        {"Created": {"created_time": "2026-01-01T00:00:00Z"}},
        {"Nope": {"rich_text": []}},
        {"State": {"status": {"name": "in progress"}}},
        {"Tier": {"rich_text": []}},
    ):
        assert (
            api_error(lambda bad=bad: notion.pages.update(page["id"], properties=bad)).status == 400
        )
    notion.pages.update(page["id"], properties={"Tier": {"select": {"name": "t1"}}})
    options = notion.data_sources.retrieve(source)["properties"]["Tier"]["select"]["options"]
    assert [o["name"] for o in options] == ["T1", "T2", "t1"]
    key_id = notion.data_sources.retrieve(source)["properties"]["Key"]["id"]
    notion.pages.update(page["id"], properties={key_id: {"rich_text": text("x") * 30}})
    first = notion.pages.properties.retrieve(page["id"], key_id, page_size=25)
    assert len(first["results"]) == 25 and first["has_more"]
    rest = notion.pages.properties.retrieve(page["id"], key_id, start_cursor=first["next_cursor"])
    assert len(rest["results"]) == 5 and rest["next_cursor"] is None
    slim = notion.data_sources.query(source, filter_properties=[key_id])["results"][0]
    assert list(slim["properties"]) == ["Key"]


def test_minute_rounding_hides_same_minute_edits_from_after(
    notion_emulator: NotionEmulator,
) -> None:
    now = [datetime(2026, 7, 4, 9, 8, 10, tzinfo=UTC)]
    with NotionEmulator(rate_limit=None, clock=lambda: now[0]) as emulator:
        notion = client(emulator)
        source = make_source(notion, emulator.root_page_id)
        page = add_page(notion, source, "A")
        now[0] = datetime(2026, 7, 4, 9, 8, 50, tzinfo=UTC)
        edited = notion.pages.update(page["id"], properties={"Done": {"checkbox": True}})
        assert edited["last_edited_time"] == "2026-07-04T09:08:00.000Z"
        watermark = "2026-07-04T09:08:00Z"

        def since(op: str) -> int:
            flt = {"timestamp": "last_edited_time", "last_edited_time": {op: watermark}}
            return len(notion.data_sources.query(source, filter=flt)["results"])

        assert (since("after"), since("on_or_after")) == (0, 1)
        day = {"property": "Launch", "date": {"on_or_after": "2026-07-04"}}
        notion.pages.update(page["id"], properties={"Launch": {"date": {"start": "2026-07-04"}}})
        assert len(notion.data_sources.query(source, filter={"and": [day]})["results"]) == 1
        notion.close()


def test_search_sorts_by_last_edit_and_checks_its_sort_and_filter() -> None:
    """The search reference: newest edits first by default or with ``sort``, the only
    sortable timestamp being ``last_edited_time``, the only filter the object type."""
    now = [datetime(2026, 7, 4, 9, 0, tzinfo=UTC)]
    with NotionEmulator(rate_limit=None, clock=lambda: now[0]) as emulator:
        notion = client(emulator)
        source = make_source(notion, emulator.root_page_id)
        now[0] = datetime(2026, 7, 4, 9, 1, tzinfo=UTC)
        first = add_page(notion, source, "A")
        now[0] = datetime(2026, 7, 4, 9, 5, tzinfo=UTC)
        second = add_page(notion, source, "B")
        pages = {"property": "object", "value": "page"}
        newest = {"timestamp": "last_edited_time", "direction": "descending"}
        found = notion.search(filter=pages, sort=newest)["results"]
        assert [p["id"] for p in found[:2]] == [second["id"], first["id"]]
        assert found[0]["parent"]["data_source_id"] == source
        assert notion.search(filter=pages)["results"][0]["id"] == second["id"]
        oldest = {"timestamp": "last_edited_time", "direction": "ascending"}
        ids = [p["id"] for p in notion.search(filter=pages, sort=oldest)["results"]]
        assert ids.index(first["id"]) < ids.index(second["id"])
        bad = {"timestamp": "created_time", "direction": "descending"}
        assert api_error(lambda: notion.search(sort=bad)).code == "validation_error"
        by_title = {"property": "title", "value": "page"}
        assert api_error(lambda: notion.search(filter=by_title)).code == "validation_error"
        notion.close()
