"""The Acme example synced into Notion (the emulator) through the engine and the real SDK.

The workspace is bootstrapped under the emulator's root page, the people-owned records of
the example's wiki folder are written into it as people would have them, and the releases
come from the example's tracker file. Then opsync runs as cron would run it.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from notion_client import Client

from opsync.calendar import BusinessCalendar
from opsync.config import load_config
from opsync.connectors.base import Ownership, RecordWrite
from opsync.connectors.lease import LEASE_KEY
from opsync.connectors.local import frontmatter
from opsync.connectors.local.workspace import LocalWorkspace
from opsync.connectors.notion.bootstrap import bootstrap
from opsync.connectors.notion.client import NotionApi
from opsync.connectors.notion.config import CollectionMapping, NotionConnectorConfig
from opsync.connectors.notion.connector import NotionWiki
from opsync.connectors.notion.properties import plain_text
from opsync.connectors.notion.reader import PAGES, owned_fields
from opsync.connectors.records import RECORD_MODELS, RELEASE_WIKI_FIELDS, WRITTEN_WHOLE
from opsync.domain import Collection
from opsync.engine.report import RunReport
from opsync.engine.run import RunSpec, run
from opsync.engine.snapshot import build_snapshot
from opsync.http import TokenBucket
from opsync.settings import Settings
from opsync.state import SqliteStateStore
from opsync.testing import pytest_plugin
from opsync.testing.emulators.notion import NotionEmulator

notion_emulator = pytest_plugin.notion_emulator
LOG = logging.getLogger("tests.notion_e2e")
EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "opsync" / "examples" / "acme"
NOW = datetime.fromisoformat("2026-12-03T15:00:00-05:00")
SEEDED = (Collection.RELEASES, *RECORD_MODELS)


@dataclass
class Acme:
    emulator: NotionEmulator
    wiki: NotionWiki
    local: LocalWorkspace
    spec: RunSpec
    folder: Path

    def sync(self, *, write: bool = True) -> RunReport:
        return run(self.spec, NOW, write=write)


def fast() -> TokenBucket:
    """No pacing: the emulator runs without its rate limit here (pacing has its own tests)."""
    return TokenBucket(1000.0, 100)


def seed(wiki: NotionWiki, folder: Path) -> int:
    """Write the example's wiki records into Notion, every field as people left it."""
    count = 0
    for collection in SEEDED:
        for path in sorted((folder / "wiki" / collection.value).glob("*.md")):
            data = frontmatter.split(path.read_text(encoding="utf-8")).data
            key = str(data.pop("key", path.stem))
            keep = RELEASE_WIKI_FIELDS if collection is Collection.RELEASES else data
            values = {k: v for k, v in data.items() if k in keep and not k.startswith("opsync")}
            # what opsync writes it writes itself; the weeks of the scorecard history are
            # what earlier runs wrote, so they are seeded whole
            owned = set() if collection in WRITTEN_WHOLE else set(owned_fields(collection))
            values = {k: v for k, v in values.items() if k not in owned}
            wiki.write_record(
                RecordWrite(ref=f"{collection.value}/{key}", values=values, create=True)
            )
            count += 1
    return count


@pytest.fixture
def acme(
    notion_emulator: NotionEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Acme]:
    monkeypatch.setenv("NOTION_TOKEN", notion_emulator.token)
    monkeypatch.setenv("OPSYNC_NOTION_BASE_URL", notion_emulator.base_url)
    folder = tmp_path / "acme"
    shutil.copytree(EXAMPLE, folder)
    defaults = NotionConnectorConfig()
    api = NotionApi(defaults, bucket=fast())
    try:
        made = bootstrap(api, notion_emulator.root_page_id, defaults)
    finally:
        api.close()
    ids = made.ids
    config = NotionConnectorConfig.model_validate(
        {
            "collections": {
                where: {"database_id": db, "data_source_id": ds}
                for where, (db, ds) in ids.items()
                if where != PAGES
            }
        }
    )
    pages = CollectionMapping(database_id=ids[PAGES][0], data_source_id=ids[PAGES][1])
    org = load_config(folder / "opsync.toml")
    people, areas = org.snapshot_people()
    wiki = NotionWiki(config, pages=pages, bucket=fast())
    seed(wiki, folder)
    local = LocalWorkspace(
        tracker=folder / "tracker" / "releases.yaml",
        wiki=folder / "wiki",
        pages=folder / "pages",
        outbox=folder / "outbox",
    )
    spec = RunSpec(
        workspace=wiki,
        tracker=local,
        notifier=local,
        feeds=local,
        calendar=org.calendar(),
        settings=org.settings,
        state=SqliteStateStore(tmp_path / "state" / "state.db"),
        identity="acme-notion",
        org_name=org.org.name,
        people=people,
        areas=areas,
    )
    (tmp_path / "state").mkdir()
    notion_emulator.reset_counts()
    try:
        yield Acme(notion_emulator, wiki, local, spec, folder)
    finally:
        wiki.close()


def person(emulator: NotionEmulator) -> Client:
    """The SDK as a person editing in Notion would act (their own token)."""
    return Client(auth=emulator.person_token, base_url=emulator.base_url, retry=False, logger=LOG)


def rows_by_key(wiki: NotionWiki, where: str) -> Counter[str]:
    """How many live rows hold each opsync key in data source ``where``."""
    sdk = wiki.api.sdk
    source = wiki.catalog.source(where)
    name = "opsync key"
    keys: Counter[str] = Counter()
    for row in wiki.api.paginate(sdk.data_sources.query, source, what=where):
        keys[plain_text(row["properties"][name]["rich_text"])] += 1
    return keys


def test_first_sync_lands_every_page_and_owned_field_and_the_second_writes_nothing(
    acme: Acme,
) -> None:
    first = acme.sync()
    assert first.failed == []
    assert first.plan.operations and first.plan.conflicts == ()
    kinds = Counter(op.kind for op in first.plan.operations)
    assert kinds["create_page"] == 46 and kinds["update_record"] > 0  # acme's pages (README)
    pages = {op.target for op in first.plan.operations if op.kind == "create_page"}
    landed = rows_by_key(acme.wiki, PAGES)
    assert landed.pop(LEASE_KEY) == 1  # the write lease's row, beside the pages
    assert set(landed) == pages and set(landed.values()) == {1}
    releases = rows_by_key(acme.wiki, "releases")
    assert set(releases) == set(acme.local.read_releases().rows)
    assert set(releases.values()) == {1}

    after = acme.wiki.read()
    for op in first.plan.operations:
        if op.kind in ("create_record", "update_record") and op.collection != "weekly_updates":
            state = after.records[op.target]
            assert dict(state.owned) == dict(op.payload.values.items()), op.target  # type: ignore[union-attr]
    for key in pages:
        assert after.pages[key].regions and not any(
            r.ownership is Ownership.EDITED for r in after.pages[key].regions.values()
        )

    # each message announcing a page went out after it, linking to the page in Notion
    copy = acme.folder / "outbox" / "product-updates" / "weekly-update" / "2026-W49" / "slack.md"
    link = frontmatter.split(copy.read_text(encoding="utf-8")).data["link"]
    page = next(p for p in acme.wiki.read().pages.values() if p.key == "weekly-update/2026-W49")
    assert link == page.path and link.startswith("http") and link in copy.read_text()

    acme.emulator.reset_counts()
    before = acme.wiki.counts()
    second = acme.sync()
    assert second.plan.operations == () and second.plan.conflicts == ()
    served = acme.emulator.counts
    assert served.writes == 0 and served.by_status == {200: served.total}
    spent = {k: second.requests["notion"][k] - before[k] for k in before}
    assert spent == {"reads": served.reads, "writes": 0}


def test_the_snapshot_read_from_notion_is_the_one_read_from_the_files(acme: Acme) -> None:
    rows = acme.local.read_releases()
    from_notion, _ = build_snapshot(rows, acme.wiki.read(), (), ())
    from_files, _ = build_snapshot(rows, acme.local.read(), (), ())
    for collection in RECORD_MODELS:
        notion = {r.key: r for r in getattr(from_notion, collection.value)}
        files = {r.key: r for r in getattr(from_files, collection.value)}
        assert notion == files, collection
    assert from_notion.releases == from_files.releases


def test_a_lost_create_answer_and_a_lost_state_store_make_no_duplicate(acme: Acme) -> None:
    with acme.wiki.hold("earlier"):  # the lease row exists: the first create is a page's
        acme.wiki.claim()
    acme.emulator.faults.reset_connection(method="POST", path="/v1/pages", apply=True)
    first = acme.sync()
    assert len(first.failed) == 1  # the create ran, its answer never came back
    (acme.folder.parent / "state" / "state.db").unlink()
    second = acme.sync()
    assert second.failed == []
    third = acme.sync()
    assert third.plan.operations == ()
    assert set(rows_by_key(acme.wiki, PAGES).values()) == {1}
    assert set(rows_by_key(acme.wiki, "releases").values()) == {1}


def test_a_hand_edit_inside_a_region_is_a_conflict_and_is_left_alone(acme: Acme) -> None:
    acme.sync()
    sdk = person(acme.emulator)
    try:
        page = next(
            r
            for r in acme.wiki.api.paginate(
                acme.wiki.api.sdk.data_sources.query, acme.wiki.catalog.source(PAGES), what="pages"
            )
            if plain_text(r["properties"]["opsync key"]["rich_text"]) == "weekly-update/2026-W49"
        )
        callout = next(
            b for b in sdk.blocks.children.list(page["id"])["results"] if b["type"] == "callout"
        )
        block = next(
            b
            for b in sdk.blocks.children.list(callout["id"])["results"]
            if "rich_text" in b[b["type"]]
        )
        edited = {"rich_text": [{"type": "text", "text": {"content": "Edited by Omar."}}]}
        sdk.blocks.update(block["id"], **{block["type"]: edited})
    finally:
        sdk.close()
    report = acme.sync()
    assert [c.target for c in report.plan.conflicts] == ["weekly-update/2026-W49"]
    assert report.plan.operations == ()
    kept = acme.wiki.api.sdk.blocks.retrieve(block["id"])
    assert kept[block["type"]]["rich_text"][0]["plain_text"] == "Edited by Omar."


def test_the_notion_example_is_acme_with_its_wiki_in_notion() -> None:
    config = load_config(EXAMPLE / "opsync.notion.toml")
    assert config.connector("wiki")[1].type == "notion"
    assert config.connector("pages")[1].type == "notion"
    assert {config.connector(r)[1].type for r in ("tracker", "notifier", "feeds")} == {"local"}
    notion = config.connector("wiki")[1]
    assert isinstance(notion, NotionConnectorConfig) and notion.token_env == "NOTION_TOKEN"
    assert "base_url" not in notion.model_fields_set  # OPSYNC_NOTION_BASE_URL decides
    local = load_config(EXAMPLE / "opsync.toml")
    assert config.org == local.org and config.settings == local.settings
    assert config.state_path != local.state_path


@pytest.fixture
def env(notion_emulator: NotionEmulator, monkeypatch: pytest.MonkeyPatch) -> NotionEmulator:
    monkeypatch.setenv("NOTION_TOKEN", notion_emulator.token)
    monkeypatch.setenv("OPSYNC_NOTION_BASE_URL", notion_emulator.base_url)
    return notion_emulator


@pytest.fixture
def sdk(env: NotionEmulator) -> Iterator[Client]:
    client = person(env)
    try:
        yield client
    finally:
        client.close()


def database(sdk: Client, parent: str, title: str, schema: dict[str, Any]) -> tuple[str, str]:
    """A database made by hand, as a workspace already has it: (database, data source)."""
    made = sdk.databases.create(
        parent={"type": "page_id", "page_id": parent},
        title=[{"type": "text", "text": {"content": title}}],
        initial_data_source={"properties": schema},
    )
    return str(made["id"]), str(sdk.databases.retrieve(made["id"])["data_sources"][0]["id"])


# Every property opsync reads or writes on a release, under names none of the defaults use.
CUSTOM_NAMES = {
    "key": "Ref",
    "title": "Launch",
    "tier": "Launch tier",
    "launch_date": "Ship day",
    "launched": "Out?",
    "product_area": "Area",
    "pm": "Owner",
    "eng_lead": "Tech lead",
    "tier_label": "Size words",
    "enablement_status": "Readiness light",
    "handoff_due": "Kit due",
    "publish_due": "Kit out",
    "readiness_due": "Go call by",
    "bundle_kind": "Kit size",
    "bundle_sections_complete": "Kit progress",
    "day3_due": "First look",
    "day14_due": "Second look",
}
_TYPES = {"title": "title", "tier": "select", "launched": "checkbox", "product_area": "select"}
_TYPES |= dict.fromkeys(("pm", "eng_lead", "enablement_status", "bundle_kind"), "select")
_TYPES |= dict.fromkeys(
    ("launch_date", "handoff_due", "publish_due", "readiness_due", "day3_due", "day14_due"), "date"
)
CUSTOM_RELEASES: dict[str, Any] = {
    name: {_TYPES.get(field, "rich_text"): {}} for field, name in CUSTOM_NAMES.items()
}
CUSTOM_RELEASES["Launch tier"] = {"select": {"options": [{"name": f"T{n}"} for n in (1, 2, 3)]}}


def test_custom_property_and_option_names_that_share_nothing_with_the_defaults(
    env: NotionEmulator, sdk: Client, tmp_path: Path
) -> None:
    rel_db, rel_ds = database(sdk, env.root_page_id, "Launches", CUSTOM_RELEASES)
    page_schema = {
        "Page": {"title": {}},
        "Ref": {"rich_text": {}},
        "Sort": {"select": {}},
        "Bot hashes": {"rich_text": {}},
    }
    pg_db, pg_ds = database(sdk, env.root_page_id, "Generated", page_schema)
    api = NotionApi(NotionConnectorConfig(), bucket=fast())
    try:  # the other collections where bootstrap puts them, under the default names
        others = bootstrap(api, env.root_page_id, NotionConnectorConfig()).ids
    finally:
        api.close()
    config = NotionConnectorConfig.model_validate(
        {
            "collections": {
                **{
                    where: {"database_id": db, "data_source_id": ds}
                    for where, (db, ds) in others.items()
                    if where not in ("releases", PAGES)
                },
                "releases": {
                    "database_id": rel_db,
                    "data_source_id": rel_ds,
                    "properties": CUSTOM_NAMES,
                    "options": {
                        "tier": {"1": "T1", "2": "T2", "3": "T3"},
                        "enablement_status": {"not started": "Grey", "drafting": "Amber"},
                    },
                },
            }
        }
    )
    pages = CollectionMapping(
        database_id=pg_db,
        data_source_id=pg_ds,
        properties={"key": "Ref", "title": "Page", "kind": "Sort", "regions": "Bot hashes"},
    )
    tracker = tmp_path / "releases.yaml"
    tracker.write_text(
        "- {key: X-1, title: Alpha, tier: 2, launch_date: 2026-12-18, product_area: core, "
        "pm: ana, eng_lead: dev}\n"
        "- {key: X-2, title: Beta, tier: 1, launch_date: 2026-12-21, product_area: core, "
        "pm: ana, eng_lead: dev}\n",
        encoding="utf-8",
    )
    local = LocalWorkspace(tracker, tmp_path / "wiki", tmp_path / "pages", tmp_path / "outbox")
    wiki = NotionWiki(config, pages=pages, bucket=fast())
    spec = RunSpec(
        workspace=wiki,
        tracker=local,
        notifier=local,
        feeds=local,
        calendar=BusinessCalendar(timezone="America/New_York", country="US"),
        settings=Settings(),
        state=SqliteStateStore(tmp_path / "state.db"),
        identity="custom",
    )
    try:
        first = run(spec, NOW, write=True)
        second = run(spec, NOW, write=True)
    finally:
        wiki.close()
    assert first.failed == [] and first.plan.operations
    assert second.plan.operations == ()
    rows = {
        plain_text(r["properties"]["Ref"]["rich_text"]): r["properties"]
        for r in sdk.data_sources.query(rel_ds)["results"]
    }
    alpha = rows["X-1"]
    assert plain_text(alpha["Launch"]["title"]) == "Alpha"
    assert alpha["Launch tier"]["select"]["name"] == "T2"
    assert alpha["Ship day"]["date"]["start"] == "2026-12-18"
    assert alpha["Owner"]["select"]["name"] == "ana"
    assert alpha["Readiness light"]["select"]["name"] in ("Grey", "Amber")
    assert alpha["Kit due"]["date"]["start"] < "2026-12-18"
    generated = sdk.data_sources.query(pg_ds)["results"]
    keys = {plain_text(r["properties"]["Ref"]["rich_text"]) for r in generated}
    assert "bundle/X-1" in keys
    assert all(
        json.loads(plain_text(r["properties"]["Bot hashes"]["rich_text"])) for r in generated
    )


def _page_row(acme: Acme, key: str) -> dict[str, Any]:
    return next(
        r
        for r in acme.wiki.api.paginate(
            acme.wiki.api.sdk.data_sources.query, acme.wiki.catalog.source(PAGES), what="pages"
        )
        if plain_text(r["properties"]["opsync key"]["rich_text"]) == key
    )


def test_a_region_a_person_copied_into_another_page_is_left_there(acme: Acme) -> None:
    """Issue 14, markers: a region callout pasted from one page into another (or twice into
    its own page) is the person's text: never rewritten or removed, even forced."""
    acme.sync()
    sdk = person(acme.emulator)
    try:
        weekly = _page_row(acme, "weekly-update/2026-W49")
        source = next(
            b for b in sdk.blocks.children.list(weekly["id"])["results"] if b["type"] == "callout"
        )
        marker = source["callout"]["rich_text"]
        pasted = {
            "type": "callout",
            "callout": {
                "rich_text": [
                    {"type": "text", "text": {"content": r["plain_text"]}} for r in marker
                ],
                "children": [
                    {
                        "type": "paragraph",
                        "paragraph": {
                            "rich_text": [{"type": "text", "text": {"content": "Quoted by Ana."}}]
                        },
                    }
                ],
            },
        }
        other = _page_row(acme, "scorecard/2026-Q4")
        sdk.blocks.children.append(other["id"], children=[pasted])
        sdk.blocks.children.append(weekly["id"], children=[pasted])  # and twice in its own page
    finally:
        sdk.close()
    for force in (False, True):
        report = run(acme.spec, NOW, write=True, force=force)
        assert report.failed == []
        copies = [f for f in report.findings if f.code == "page.markers"]
        assert {f.record for f in copies} == {
            "pages/scorecard/2026-Q4",
            "pages/weekly-update/2026-W49",
        }
    for page in (other, weekly):
        texts = [
            plain_text(c["paragraph"]["rich_text"])
            for b in acme.wiki.api.sdk.blocks.children.list(page["id"])["results"]
            if b["type"] == "callout" and b.get("has_children")
            for c in acme.wiki.api.sdk.blocks.children.list(b["id"])["results"]
            if c["type"] == "paragraph"
        ]
        assert "Quoted by Ana." in texts, page["id"]
