"""The Notion connector against the emulator, through notion-client over real HTTP: bootstrap,
data source resolution, reading to the end, writes that find their key first, block-level
page updates, custom names, errors and request counts."""

from __future__ import annotations

import ast
import json
import logging
import tomllib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from notion_client import Client

from opsync.connectors import notion as notion_package
from opsync.connectors.base import Ownership, PageWrite, RecordWrite, TrackerRead
from opsync.connectors.notion import client as client_module
from opsync.connectors.notion.bootstrap import bootstrap
from opsync.connectors.notion.client import NotionApi
from opsync.connectors.notion.config import CollectionMapping, NotionConnectorConfig
from opsync.connectors.notion.connector import NotionWiki
from opsync.connectors.notion.properties import plain_text
from opsync.connectors.notion.reader import PAGES
from opsync.documents.model import Document, bullets, heading, para, region
from opsync.domain import Collection
from opsync.engine.snapshot import build_snapshot
from opsync.errors import AuthError, ConfigError, ConflictError, PermanentError
from opsync.http import TokenBucket
from opsync.state import SqliteStateStore
from opsync.testing import pytest_plugin
from opsync.testing.emulators.notion import NotionEmulator

notion_emulator = pytest_plugin.notion_emulator
LOG = logging.getLogger("tests.notion_connector")
NOW = datetime.fromisoformat("2026-12-03T15:00:00-05:00")
PACKAGE = Path(notion_package.__file__).parent


def fast() -> TokenBucket:
    return TokenBucket(1000.0, 100)


@pytest.fixture
def env(notion_emulator: NotionEmulator, monkeypatch: pytest.MonkeyPatch) -> NotionEmulator:
    monkeypatch.setenv("NOTION_TOKEN", notion_emulator.token)
    monkeypatch.setenv("OPSYNC_NOTION_BASE_URL", notion_emulator.base_url)
    return notion_emulator


@pytest.fixture
def sdk(env: NotionEmulator) -> Iterator[Client]:
    """The SDK as a person (or a test) uses it, beside opsync."""
    client = Client(auth=env.person_token, base_url=env.base_url, retry=False, logger=LOG)
    try:
        yield client
    finally:
        client.close()


def text(content: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": {"content": content}}]


def database(sdk: Client, parent: str, title: str, schema: dict[str, Any]) -> tuple[str, str]:
    made = sdk.databases.create(
        parent={"type": "page_id", "page_id": parent},
        title=text(title),
        initial_data_source={"properties": schema},
    )
    return str(made["id"]), str(sdk.databases.retrieve(made["id"])["data_sources"][0]["id"])


def pages_database(env: NotionEmulator, sdk: Client) -> CollectionMapping:
    """A pages database as bootstrap makes it (the properties a page write needs)."""
    db, ds = database(
        sdk,
        env.root_page_id,
        "opsync pages",
        {
            "Name": {"title": {}},
            "opsync key": {"rich_text": {}},
            "Kind": {"select": {}},
            "opsync regions": {"rich_text": {}},
        },
    )
    return CollectionMapping(database_id=db, data_source_id=ds)


def releases_only(sdk: Client, parent: str) -> tuple[NotionConnectorConfig, str]:
    db, ds = database(
        sdk,
        parent,
        "Releases",
        {"Name": {"title": {}}, "opsync key": {"rich_text": {}}, "Tier": {"select": {}}},
    )
    config = NotionConnectorConfig.model_validate(
        {"collections": {"releases": {"database_id": db, "data_source_id": ds}}}
    )
    return config, ds


def test_bootstrap_creates_databases_and_views_and_a_rerun_creates_nothing(
    env: NotionEmulator, sdk: Client
) -> None:
    config = NotionConnectorConfig()
    api = NotionApi(config, bucket=fast())
    try:
        made = bootstrap(api, env.root_page_id, config)
        assert made.problems == []
        titles = {
            b["child_database"]["title"]
            for b in sdk.blocks.children.list(env.root_page_id)["results"]
        }
        assert (
            len(titles) == 16
            and {
                "Releases",
                "Insights",
                "Scorecard history",
                "Frictions",
                "Requests",
                "opsync pages",
            }
            <= titles
        )
        releases = sdk.data_sources.retrieve(made.ids["releases"][1])["properties"]
        assert releases["Name"]["type"] == "title"
        assert releases["opsync key"]["type"] == "rich_text"
        assert [o["name"] for o in releases["Tier"]["select"]["options"]] == [
            "Tier 1",
            "Tier 2",
            "Tier 3",
        ]
        assert releases["Launch date"]["type"] == "date"
        assert releases["Handoff due"]["type"] == "date"
        assert "view Releases / Enablement board" in made.created
        assert "view Insights / Escalated" in made.created
        env.reset_counts()
        again = bootstrap(api, env.root_page_id, config)
    finally:
        api.close()
    assert again.created == [] and again.problems == []
    assert env.counts.writes == 0
    assert again.ids == made.ids
    ids = {w: {"database_id": d, "data_source_id": s} for w, (d, s) in made.ids.items()}
    pages = CollectionMapping.model_validate(ids.pop(PAGES))
    wiki = NotionWiki(NotionConnectorConfig(collections=ids), pages=pages, bucket=fast())
    try:
        assert wiki.check() == []
        broken = {"Handoff due": None, "Launch date": {"checkbox": {}}, "opsync hashes": None}
        sdk.data_sources.update(made.ids["releases"][1], properties=broken)
        problems = {f.field: f.message for f in wiki.check()}
    finally:
        wiki.close()
    assert set(problems) == {"releases.handoff_due", "releases.launch_date", "releases.hashes"}
    assert "no property" in problems["releases.handoff_due"]
    assert "a checkbox property" in problems["releases.launch_date"]
    block = tomllib.loads(made.config_block(config))
    entry = block["connectors"]["notion"]["collections"]["releases"]
    assert (entry["database_id"], entry["data_source_id"]) == made.ids["releases"]
    assert block["connectors"]["notion"]["pages"]["data_source_id"] == made.ids[PAGES][1]


def test_a_database_with_two_data_sources_must_name_one(env: NotionEmulator, sdk: Client) -> None:
    db, _ = database(sdk, env.root_page_id, "Releases", {"opsync key": {"rich_text": {}}})
    sdk.data_sources.create(
        parent={"type": "database_id", "database_id": db},
        title=text("Archive"),
        properties={"Name": {"title": {}}},
    )
    config = NotionConnectorConfig.model_validate(
        {"collections": {"releases": {"database_id": db}}}
    )
    wiki = NotionWiki(config, bucket=fast())
    try:
        with pytest.raises(ConfigError) as caught:
            wiki.read()
    finally:
        wiki.close()
    assert "releases" in caught.value.key and '"Archive"' in caught.value.message
    named = config.model_copy(
        update={
            "collections": {
                Collection.RELEASES: CollectionMapping(database_id=db, data_source_name="Releases")
            }
        }
    )
    wiki = NotionWiki(named, bucket=fast())
    try:
        assert wiki.read().records == {}
        assert (
            wiki.catalog.source("releases") == sdk.databases.retrieve(db)["data_sources"][0]["id"]
        )
    finally:
        wiki.close()


def test_reads_every_page_past_100_and_a_listing_past_the_cap_fails_loudly(
    env: NotionEmulator, sdk: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, ds = releases_only(sdk, env.root_page_id)
    for i in range(230):
        sdk.pages.create(
            parent={"type": "data_source_id", "data_source_id": ds},
            properties={"opsync key": {"rich_text": text(f"R-{i:03}")}},
        )
    trashed = sdk.pages.create(
        parent={"type": "data_source_id", "data_source_id": ds},
        properties={"opsync key": {"rich_text": text("GONE")}},
    )
    sdk.pages.update(trashed["id"], in_trash=True)
    wiki = NotionWiki(config, bucket=fast())
    env.reset_counts()
    try:
        records = wiki.read().records
        assert len(records) == 230 and "releases/GONE" not in records
        assert env.counts.of("POST", "/v1/data_sources/{data_source_id}/query") == 3
        monkeypatch.setattr(client_module, "MAX_PAGES", 2)
        with pytest.raises(PermanentError, match="more than 200 entries"):
            wiki.read()
    finally:
        wiki.close()


class NewPropertyType(httpx.BaseTransport):
    """Real HTTP, with every queried page given a property of a type Notion added later."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()

    def close(self) -> None:
        self.inner.close()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if not request.url.path.endswith("/query"):
            return response
        body = json.loads(response.read())
        for page in body.get("results", []):
            page["properties"]["Tier"] = {"id": "x", "type": "place", "place": {"lat": 1}}
        return httpx.Response(response.status_code, json=body)


def test_an_unknown_property_type_is_a_finding_not_a_crash(
    env: NotionEmulator, sdk: Client
) -> None:
    config, ds = releases_only(sdk, env.root_page_id)
    sdk.pages.create(
        parent={"type": "data_source_id", "data_source_id": ds},
        properties={"opsync key": {"rich_text": text("ACME-1")}},
    )
    wiki = NotionWiki(config, transport=NewPropertyType(), bucket=fast())
    try:
        read = wiki.read()
    finally:
        wiki.close()
    assert [f.code for f in read.findings] == ["notion.property-unreadable"]
    assert read.findings[0].record == "releases/ACME-1"
    snapshot, invalid = build_snapshot(
        TrackerRead(rows={"ACME-1": {"title": "One", "tier": 2}}), read, (), ()
    )
    assert invalid == [] and [r.key for r in snapshot.releases] == ["ACME-1"]


def test_a_create_finds_its_key_first_so_a_lost_answer_makes_no_duplicate(
    env: NotionEmulator, sdk: Client
) -> None:
    config, ds = releases_only(sdk, env.root_page_id)
    op = RecordWrite(ref="releases/ACME-7", values={"title": "Seven", "tier": 2}, create=True)
    env.faults.reset_connection(method="POST", path="/v1/pages", apply=True)
    wiki = NotionWiki(config, bucket=fast())
    try:
        with pytest.raises(Exception, match="may have run"):
            wiki.write_record(op)
        wiki.write_record(op)  # a retry, or the next run without its state store
    finally:
        wiki.close()
    rows = sdk.data_sources.query(ds)["results"]
    assert len(rows) == 1
    props = rows[0]["properties"]
    assert plain_text(props["Name"]["title"]) == "Seven"
    assert props["Tier"]["select"]["name"] == "Tier 2"


def document(status: str) -> Document:
    return Document(
        title="Weekly update",
        children=(
            heading(1, "Weekly update"),
            region(
                "summary",
                para("Shipped this week:"),
                bullets("Saved filters", "HubSpot GA"),
                para(f"Status: {status}"),
            ),
            para("Notes people write here stay theirs."),
        ),
    )


def test_a_page_update_rewrites_only_the_blocks_that_changed(
    env: NotionEmulator, sdk: Client
) -> None:
    pages = pages_database(env, sdk)
    wiki = NotionWiki(NotionConnectorConfig(), pages=pages, bucket=fast())
    try:
        wiki.write_page(
            PageWrite(key="weekly-update/2026-W49", document=document("green"), create=True)
        )
        state = wiki.read().pages["weekly-update/2026-W49"]
        assert state.regions["summary"].content == wiki.render_region(document("green"), "summary")
        assert state.regions["summary"].ownership is not Ownership.EDITED
        env.reset_counts()
        wiki.write_page(
            PageWrite(
                key="weekly-update/2026-W49", document=document("amber"), regions=("summary",)
            )
        )
        counts = env.counts
        read = wiki.read().pages["weekly-update/2026-W49"]
    finally:
        wiki.close()
    # The changed block is replaced, never edited in place (a PATCH could overwrite a
    # person's typing): the page marked pending, the new block in, the old one to the trash,
    # then the page's stored hashes.
    assert counts.writes == 4
    assert counts.of("PATCH", "/v1/blocks/{block_id}/children") == 1
    assert counts.of("DELETE", "/v1/blocks/{block_id}") == 1
    assert counts.of("PATCH", "/v1/blocks/{block_id}") == 0
    assert counts.of("PATCH", "/v1/pages/{page_id}") == 2
    assert read.regions["summary"].content == wiki.render_region(document("amber"), "summary")
    assert read.regions["summary"].ownership is not Ownership.EDITED
    [row] = sdk.data_sources.query(pages.data_source_id)["results"]
    assert row["properties"]["Kind"]["select"]["name"] == "weekly-update"
    blocks = sdk.blocks.children.list(row["id"])["results"]
    assert (
        plain_text(blocks[-1]["paragraph"]["rich_text"]) == "Notes people write here stay theirs."
    )


def test_errors_name_the_request_and_never_the_token(
    env: NotionEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = "0f0e0d0c-0b0a-4908-8706-050403020100"
    config = NotionConnectorConfig.model_validate(
        {"collections": {"releases": {"database_id": missing, "data_source_id": missing}}}
    )
    wiki = NotionWiki(config, bucket=fast())
    try:
        with pytest.raises(PermanentError) as caught:
            wiki.write_record(RecordWrite(ref="releases/A-1", values={"title": "A"}))
    finally:
        wiki.close()
    assert caught.value.request == f"GET /v1/data_sources/{missing}"
    assert caught.value.record == "releases/A-1"
    assert "object_not_found" in str(caught.value) and "Connections" in str(caught.value)
    monkeypatch.setenv("NOTION_TOKEN", "ntn_" + "x" * 40)
    wrong = NotionWiki(config, bucket=fast())
    try:
        with pytest.raises(AuthError) as refused:
            wrong.write_record(RecordWrite(ref="releases/A-1", values={}))
    finally:
        wrong.close()
    assert "x" * 40 not in str(refused.value) and refused.value.request
    monkeypatch.delenv("NOTION_TOKEN")
    with pytest.raises(ConfigError, match="NOTION_TOKEN"):
        NotionWiki(config)


def test_the_version_is_pinned_and_the_base_url_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"object": "user", "id": "u"})

    monkeypatch.setenv("NOTION_TOKEN", "secret_token_value")
    monkeypatch.setenv("OPSYNC_NOTION_BASE_URL", "http://127.0.0.1:9/")
    api = NotionApi(NotionConnectorConfig(), transport=httpx.MockTransport(answer))
    pinned = NotionApi(
        NotionConnectorConfig(base_url="http://127.0.0.2:9"),
        transport=httpx.MockTransport(answer),
    )
    try:
        api.call(api.sdk.users.me)
        pinned.call(pinned.sdk.users.me)
    finally:
        api.close()
        pinned.close()
    assert [str(r.url) for r in seen] == [
        "http://127.0.0.1:9/v1/users/me",
        "http://127.0.0.2:9/v1/users/me",
    ]
    assert {r.headers["Notion-Version"] for r in seen} == {"2025-09-03"}
    assert api.counts() == {"reads": 1, "writes": 0}


def test_the_connector_counts_what_the_emulator_counts_and_opens_the_sdk_one_way(
    env: NotionEmulator, sdk: Client
) -> None:
    config, _ = releases_only(sdk, env.root_page_id)
    wiki = NotionWiki(config, bucket=fast())
    env.reset_counts()
    try:
        wiki.read()
        wiki.write_record(RecordWrite(ref="releases/A-1", values={"title": "A"}, create=True))
        counts = wiki.counts()
    finally:
        wiki.close()
    assert counts == {"reads": env.counts.reads, "writes": env.counts.writes} != {}
    opened = []
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.With | ast.AsyncWith):
                assert "Client" not in ast.unparse(node), path  # NOTES.md 7: bypasses pacing
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "Client":
                opened.append(path.name)
    assert opened == ["client.py"]


def test_the_advertised_pace_is_the_pace_a_default_config_runs_at() -> None:
    default = NotionConnectorConfig.model_validate({}).requests_per_second
    assert NotionWiki.capabilities.requests_per_second == default == 2.8


def views_of(sdk: Client, database: str) -> dict[str, dict[str, Any]]:
    listed = sdk.views.list(database_id=database)["results"]
    return {v["name"]: v for v in (sdk.views.retrieve(i["id"]) for i in listed)}


def test_bootstrap_views_are_laid_out_and_an_older_bootstraps_get_their_layout(
    env: NotionEmulator, sdk: Client
) -> None:
    config = NotionConnectorConfig()
    api = NotionApi(config, bucket=fast())
    try:
        made = bootstrap(api, env.root_page_id, config)
        releases_db, releases_ds = made.ids["releases"]
        ids = {n: p["id"] for n, p in sdk.data_sources.retrieve(releases_ds)["properties"].items()}
        views = views_of(sdk, releases_db)
        assert views["Enablement board"]["configuration"]["group_by"] == {
            "type": "select",
            "property_id": ids["Enablement status"],
        }
        assert views["Launch calendar"]["configuration"]["date_property_id"] == ids["Launch date"]
        soon = views["Launching in the next 14 days"]["filter"]["and"]
        assert {"property": "Launched", "checkbox": {"equals": False}} in soon
        days = {"property": "Days to launch", "formula": {"number": {"less_than": 14}}}
        assert days in soon  # test_notion_launch_window.py shows what it keeps
        roadmap_db, roadmap_ds = made.ids["roadmap_items"]
        road = {n: p["id"] for n, p in sdk.data_sources.retrieve(roadmap_ds)["properties"].items()}
        timeline = views_of(sdk, roadmap_db)["Roadmap timeline"]["configuration"]
        assert (timeline["date_property_id"], timeline["end_date_property_id"]) == (
            road["Start"],
            road["End"],
        )
        # An older bootstrap made the board and the timeline without a layout.
        for database, name in ((releases_db, "Enablement board"), (roadmap_db, "Roadmap timeline")):
            old = views_of(sdk, database)[name]
            sdk.views.delete(old["id"])
            sdk.views.create(
                database_id=database,
                data_source_id=old["data_source_id"],
                name=name,
                type=old["type"],
            )
        env.reset_counts()
        upgraded = bootstrap(api, env.root_page_id, config)
        assert sorted(upgraded.created) == [
            "layout of view Releases / Enablement board",
            "layout of view Roadmap items / Roadmap timeline",
        ]
        assert env.counts.writes == 2
        assert views_of(sdk, releases_db)["Enablement board"]["configuration"]["group_by"]
        env.reset_counts()
        again = bootstrap(api, env.root_page_id, config)
    finally:
        api.close()
    assert again.created == [] and again.problems == [] and env.counts.writes == 0


def test_a_relation_cut_short_in_the_page_object_is_read_in_full(
    env: NotionEmulator, sdk: Client
) -> None:
    _, targets = database(sdk, env.root_page_id, "Targets", {"Name": {"title": {}}})
    related = [
        sdk.pages.create(
            parent={"data_source_id": targets}, properties={"Name": {"title": text(f"T{i}")}}
        )["id"]
        for i in range(30)
    ]
    link = {"relation": {"data_source_id": targets, "single_property": {}}}
    schema = {"Name": {"title": {}}, "opsync key": {"rich_text": {}}, "Linked": link}
    db, ds = database(sdk, env.root_page_id, "Releases", schema)
    row = sdk.pages.create(
        parent={"data_source_id": ds},
        properties={
            "Name": {"title": text("R1")},
            "opsync key": {"rich_text": text("R1")},
            "Linked": {"relation": [{"id": i} for i in related]},
        },
    )
    shown = sdk.pages.retrieve(row["id"])["properties"]["Linked"]
    assert len(shown["relation"]) == 25 and shown["has_more"] is True  # as Notion cuts it
    config = NotionConnectorConfig.model_validate(
        {"collections": {"releases": {"database_id": db, "data_source_id": ds}}}
    )
    wiki = NotionWiki(config, bucket=fast())
    try:
        env.reset_counts()
        (read,) = wiki.catalog.rows("releases")
    finally:
        wiki.close()
    whole = read["properties"]["Linked"]
    assert [r["id"] for r in whole["relation"]] == related and whole["has_more"] is False
    assert env.counts.of("GET", "/v1/pages/{page_id}/properties/{property_id}") == 1


def _person_types_before_delete(
    wiki: NotionWiki, person: Client, block_text: str, typed: str
) -> list[str]:
    """Make a person edit the block holding ``block_text`` at the last moment: right before
    opsync's DELETE of it reaches Notion, after every read and check opsync makes."""
    api = wiki.api
    real = api.call
    deleted: list[str] = []

    def call(method: Any, *args: Any, **kwargs: Any) -> Any:
        if method == api.sdk.blocks.delete and not deleted:
            block = person.blocks.retrieve(args[0])
            if plain_text(block.get("paragraph", {}).get("rich_text", [])) == block_text:
                rich = [{"type": "text", "text": {"content": typed}}]
                person.blocks.update(args[0], paragraph={"rich_text": rich})
                deleted.append(args[0])
        return real(method, *args, **kwargs)

    api.call = call  # type: ignore[method-assign]
    return deleted


def test_a_person_typing_in_a_block_opsync_replaces_keeps_their_text(
    env: NotionEmulator, sdk: Client
) -> None:
    """Notion has no compare-and-set: a PATCH after the read would overwrite what a person
    typed meanwhile. opsync replaces the block instead; the trash's copy shows the edit, the
    block is restored, and the run reports a conflict on that region."""
    pages = pages_database(env, sdk)
    wiki = NotionWiki(NotionConnectorConfig(), pages=pages, bucket=fast())
    key = "weekly-update/2026-W49"
    try:
        wiki.write_page(PageWrite(key=key, document=document("green"), create=True))
        assert wiki.read().pages[key].regions["summary"].ownership is not Ownership.EDITED
        touched = _person_types_before_delete(wiki, sdk, "Status: green", "Status: red (Ana)")
        with pytest.raises(ConflictError, match="summary") as raised:
            wiki.write_page(PageWrite(key=key, document=document("amber"), regions=("summary",)))
        assert raised.value.target == key and raised.value.region == "summary"
        assert touched, "the person's edit was not made"
        read = wiki.read().pages[key]
    finally:
        wiki.close()
    assert read.regions["summary"].ownership is Ownership.EDITED  # reported again, not undone
    assert read.regions["summary"].by_person  # Notion names the person: never taken for ours
    [row] = sdk.data_sources.query(pages.data_source_id)["results"]
    [callout] = [
        b for b in sdk.blocks.children.list(row["id"])["results"] if b["type"] == "callout"
    ]
    texts = [
        plain_text(b[b["type"]]["rich_text"])
        for b in sdk.blocks.children.list(callout["id"])["results"]
    ]
    assert "Status: red (Ana)" in texts and "Status: amber" in texts


def test_an_untouched_replaced_block_stays_in_the_trash(env: NotionEmulator, sdk: Client) -> None:
    pages = pages_database(env, sdk)
    wiki = NotionWiki(NotionConnectorConfig(), pages=pages, bucket=fast())
    key = "weekly-update/2026-W49"
    try:
        wiki.write_page(PageWrite(key=key, document=document("green"), create=True))
        wiki.write_page(PageWrite(key=key, document=document("amber"), regions=("summary",)))
        read = wiki.read().pages[key]
    finally:
        wiki.close()
    assert read.regions["summary"].ownership is not Ownership.EDITED
    [row] = sdk.data_sources.query(pages.data_source_id)["results"]
    [callout] = [
        b for b in sdk.blocks.children.list(row["id"])["results"] if b["type"] == "callout"
    ]
    texts = [
        plain_text(b[b["type"]]["rich_text"])
        for b in sdk.blocks.children.list(callout["id"])["results"]
    ]
    assert "Status: amber" in texts and "Status: green" not in texts


class _Killed(BaseException):
    """A SIGKILL, as far as the writer can tell: nothing after it runs."""


def test_a_run_killed_before_restoring_a_persons_block_leaves_it_to_the_next_run(
    env: NotionEmulator, sdk: Client
) -> None:
    """Killed between the delete that caught a person's edit and the restore, a run leaves
    their text in the trash; the page's pending mark lists the blocks it set out to delete,
    so the next run, even with no state at all, finds it there and restores it."""
    pages = pages_database(env, sdk)
    key = "weekly-update/2026-W49"
    first = NotionWiki(NotionConnectorConfig(), pages=pages, bucket=fast())
    try:
        first.write_page(PageWrite(key=key, document=document("green"), create=True))
        first.read()
        _person_types_before_delete(first, sdk, "Status: green", "Status: red (Ana)")

        def killed(block_id: str, record: str) -> None:
            raise _Killed

        first.writer._restore = killed  # type: ignore[method-assign]
        with pytest.raises(_Killed):
            first.write_page(PageWrite(key=key, document=document("amber"), regions=("summary",)))
    finally:
        first.close()
    [row] = sdk.data_sources.query(pages.data_source_id)["results"]

    def region_texts() -> list[str]:
        top = sdk.blocks.children.list(row["id"])["results"]
        [callout] = [b for b in top if b["type"] == "callout"]
        return [
            plain_text(b[b["type"]]["rich_text"])
            for b in sdk.blocks.children.list(callout["id"])["results"]
        ]

    assert "Status: red (Ana)" not in region_texts()  # in the trash, out of sight
    second = NotionWiki(NotionConnectorConfig(), pages=pages, bucket=fast())
    try:
        state = second.read().pages[key]
        assert state.regions["summary"].ownership is not Ownership.EDITED  # looks like ours
        with pytest.raises(ConflictError, match="summary"):
            second.write_page(PageWrite(key=key, document=document("amber"), regions=("summary",)))
        again = second.read().pages[key]
    finally:
        second.close()
    assert "Status: red (Ana)" in region_texts() and "Status: amber" in region_texts()
    assert again.regions["summary"].ownership is Ownership.EDITED


def test_after_a_contested_write_the_next_run_reads_the_region_as_the_persons(
    env: NotionEmulator, sdk: Client, tmp_path: Path
) -> None:
    """The contested write is the page's last edit, by opsync: the next run trusts its memo
    of the page, so the memo must say the region is a person's, or that run would plan the
    region again and delete the restored block (which then looks as it was read)."""
    pages = pages_database(env, sdk)
    key = "weekly-update/2026-W49"
    store = SqliteStateStore(tmp_path / "state.db")

    def open_wiki() -> NotionWiki:
        state = store.connector("notion")
        return NotionWiki(NotionConnectorConfig(), pages=pages, bucket=fast(), state=state)

    wiki = open_wiki()
    try:
        wiki.write_page(PageWrite(key=key, document=document("green"), create=True))
        wiki.read()
        _person_types_before_delete(wiki, sdk, "Status: green", "Status: red (Ana)")
        with pytest.raises(ConflictError):
            wiki.write_page(PageWrite(key=key, document=document("amber"), regions=("summary",)))
        store.commit()
    finally:
        wiki.close()
    env.reset_counts()
    wiki = open_wiki()
    try:
        region = wiki.read().pages[key].regions["summary"]
    finally:
        wiki.close()
    assert env.counts.of("GET", "/v1/blocks/{block_id}/children") == 0  # the memo was used
    assert region.ownership is Ownership.EDITED and region.by_person
