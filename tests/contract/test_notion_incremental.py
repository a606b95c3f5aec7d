"""Incremental reads of the Acme example in Notion (the emulator, through the real SDK): a
no-op sync with the mirror queries each data source once and lists no block, while edits,
trashed rows and a lost mirror are still handled as a full read would."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from notion_client import Client

from opsync.config import load_config
from opsync.connectors.base import ReadResult, RecordWrite, TrackerRead
from opsync.connectors.local import frontmatter
from opsync.connectors.local.workspace import LocalWorkspace
from opsync.connectors.notion.bootstrap import bootstrap
from opsync.connectors.notion.client import NotionApi
from opsync.connectors.notion.config import CollectionMapping, NotionConnectorConfig
from opsync.connectors.notion.connector import NotionWiki
from opsync.connectors.notion.properties import plain_text
from opsync.connectors.notion.reader import PAGES, owned_fields
from opsync.connectors.records import RECORD_MODELS, RELEASE_WIKI_FIELDS
from opsync.domain import Collection, Snapshot
from opsync.engine.report import RunReport
from opsync.engine.run import RunSpec, run
from opsync.engine.snapshot import build_snapshot
from opsync.http import TokenBucket
from opsync.state import SqliteStateStore
from opsync.testing.emulators.notion import NotionEmulator

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "opsync" / "examples" / "acme"
NOW = datetime.fromisoformat("2026-12-03T15:00:00-05:00")
QUERY = ("POST", "/v1/data_sources/{data_source_id}/query")
CHILDREN = ("GET", "/v1/blocks/{block_id}/children")
DATABASE = ("GET", "/v1/databases/{database_id}")


class Clock:
    """A clock a test moves by hand: the emulator's stamps, or the connector's full passes."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Kept:
    """The connector's mirror in the state database, lost or damaged as a file would be."""

    database: Path

    @property
    def parent(self) -> Path:
        return self.database.parent

    def _run(self, sql: str, *args: str) -> list[tuple[str]]:
        with closing(sqlite3.connect(self.database)) as db, db:
            return db.execute(sql, args).fetchall()

    def is_file(self) -> bool:
        return bool(self._run("SELECT value FROM mirrors WHERE connector = 'notion'"))

    def read_text(self, encoding: str) -> str:
        return self._run("SELECT value FROM mirrors WHERE connector = 'notion'")[0][0]

    def write_text(self, text: str, encoding: str) -> None:
        self._run("UPDATE mirrors SET value = ? WHERE connector = 'notion'", text)

    def unlink(self) -> None:
        self._run("DELETE FROM mirrors WHERE connector = 'notion'")


@dataclass
class Acme:
    emulator: NotionEmulator
    notion_time: Clock
    local_time: Clock
    spec: RunSpec
    cache: Kept
    build: Callable[[], RunSpec]
    person: Client

    @property
    def wiki(self) -> NotionWiki:
        workspace = self.spec.workspace
        assert isinstance(workspace, NotionWiki)
        return workspace

    def sync(self) -> RunReport:
        return run(self.spec, NOW, write=True)

    def restart(self) -> None:
        """A new process: the connector closed and built again, on a new store."""
        self.wiki.close()
        self.spec = self.build()


def snap(releases: TrackerRead, read: ReadResult) -> Snapshot:
    return build_snapshot(releases, read, (), ())[0]


def seed(wiki: NotionWiki, folder: Path) -> None:
    for collection in (Collection.RELEASES, *RECORD_MODELS):
        for path in sorted((folder / "wiki" / collection.value).glob("*.md")):
            data = frontmatter.split(path.read_text(encoding="utf-8")).data
            key = str(data.pop("key", path.stem))
            keep = RELEASE_WIKI_FIELDS if collection is Collection.RELEASES else data
            owned = set(owned_fields(collection))
            values = {
                k: v
                for k, v in data.items()
                if k in keep and not k.startswith("opsync") and k not in owned
            }
            wiki.write_record(RecordWrite(ref=f"{collection.value}/{key}", values=values))


@pytest.fixture
def acme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Acme]:
    notion_time = Clock(datetime(2026, 12, 3, 20, 0, 10, tzinfo=UTC))
    local_time = Clock(datetime(2026, 12, 3, 20, 0, 10, tzinfo=UTC))
    with NotionEmulator(rate_limit=None, clock=notion_time) as emulator:
        monkeypatch.setenv("NOTION_TOKEN", emulator.token)
        monkeypatch.setenv("OPSYNC_NOTION_BASE_URL", emulator.base_url)
        folder = tmp_path / "acme"
        shutil.copytree(EXAMPLE, folder)
        defaults = NotionConnectorConfig()
        api = NotionApi(defaults, bucket=TokenBucket(1000.0, 100))
        try:
            ids = bootstrap(api, emulator.root_page_id, defaults).ids
        finally:
            api.close()
        config = NotionConnectorConfig.model_validate(
            {
                "collections": {
                    where: {"database_id": db, "data_source_id": ds}
                    for where, (db, ds) in ids.items()
                    if where != PAGES
                },
                "full_pass_hours": 24,
            }
        )
        pages = CollectionMapping(database_id=ids[PAGES][0], data_source_id=ids[PAGES][1])
        org = load_config(folder / "opsync.toml")
        people, areas = org.snapshot_people()
        state = tmp_path / "state" / "state.db"
        state.parent.mkdir()
        cache = Kept(state)
        local = LocalWorkspace(
            tracker=folder / "tracker" / "releases.yaml",
            wiki=folder / "wiki",
            pages=folder / "pages",
            outbox=folder / "outbox",
        )

        def build() -> RunSpec:
            store = SqliteStateStore(state)
            wiki = NotionWiki(
                config,
                pages=pages,
                bucket=TokenBucket(1000.0, 100),
                state=store.connector("notion"),
                clock=local_time,
            )
            return RunSpec(
                workspace=wiki,
                tracker=local,
                notifier=local,
                feeds=local,
                calendar=org.calendar(),
                settings=org.settings,
                state=store,
                identity="acme-notion",
                org_name=org.org.name,
                people=people,
                areas=areas,
            )

        spec = build()
        assert isinstance(spec.workspace, NotionWiki)
        seed(spec.workspace, folder)
        editor = Client(auth=emulator.person_token, base_url=emulator.base_url, retry=False)
        acme = Acme(emulator, notion_time, local_time, spec, cache, build, editor)
        try:
            yield acme
        finally:
            acme.wiki.close()
            editor.close()


def keys(acme: Acme, where: str) -> Counter[str]:
    """Live rows per opsync key, listed in full (not through the mirror)."""
    api = acme.wiki.api
    source = acme.wiki.catalog.source(where)
    found: Counter[str] = Counter()
    for row in api.paginate(api.sdk.data_sources.query, source, what=where):
        found[plain_text(row["properties"]["opsync key"]["rich_text"])] += 1
    return found


def row_id(acme: Acme, where: str, key: str) -> str:
    api = acme.wiki.api
    flt = {"property": "opsync key", "rich_text": {"equals": key}}
    answer = api.call(api.sdk.data_sources.query, acme.wiki.catalog.source(where), filter=flt)
    return str(answer["results"][0]["id"])


def first_sync(acme: Acme) -> RunReport:
    report = acme.sync()
    assert report.failed == [] and report.plan.operations
    acme.restart()
    acme.notion_time.at += timedelta(seconds=20)  # still the same minute
    acme.emulator.reset_counts()
    return report


def test_a_no_op_sync_queries_each_data_source_once_and_lists_no_block(acme: Acme) -> None:
    first_sync(acme)
    assert acme.cache.is_file()
    second = acme.sync()
    assert second.plan.operations == () and second.plan.conflicts == ()
    counts = acme.emulator.counts
    sources = len(acme.wiki.config.collections) + 1  # and the pages
    assert counts.of(*QUERY) <= sources and counts.of(*CHILDREN) == 0
    # and one GET: the write lease, read by every run (connectors/notion/lease.py)
    assert counts.writes == 0 and counts.reads == counts.of(*QUERY) + 1
    assert counts.of("GET", "/v1/pages/{page_id}") == 1


def test_the_mirrored_read_is_the_full_read(acme: Acme) -> None:
    first_sync(acme)
    releases = acme.spec.tracker.read_releases()  # type: ignore[union-attr]
    mirrored = acme.wiki.read()
    assert acme.emulator.counts.of(*CHILDREN) == 0
    acme.restart()
    acme.cache.unlink()
    full = acme.wiki.read()
    assert acme.emulator.counts.of(*CHILDREN) > 0
    assert snap(releases, mirrored) == snap(releases, full)
    assert mirrored.records == full.records and mirrored.pages == full.pages


def test_a_persons_edit_later_in_the_same_minute_is_seen(acme: Acme) -> None:
    first_sync(acme)
    releases = acme.spec.tracker.read_releases()  # type: ignore[union-attr]
    acme.wiki.read()  # the watermark is now this minute's stamp
    acme.notion_time.at += timedelta(seconds=25)  # 20:00:55: the edit keeps that stamp
    text = [{"type": "text", "text": {"content": "Edited by a person"}}]
    decision = row_id(acme, "decisions", "DEC-013")
    acme.person.pages.update(decision, properties={"Context": {"rich_text": text}})
    after = acme.wiki.read()
    found = next(d for d in snap(releases, after).decisions if d.key == "DEC-013")
    assert found.context == "Edited by a person"
    assert acme.emulator.counts.of(*CHILDREN) == 0  # and it was an incremental read


def test_a_persons_region_edit_in_the_minute_of_our_write_is_a_conflict(acme: Acme) -> None:
    made = first_sync(acme)
    api = acme.wiki.api

    def texts(key: str) -> Iterator[dict[str, Any]]:
        """The blocks with text of their own (not a table) in page ``key``'s regions."""
        for b in api.call(api.sdk.blocks.children.list, row_id(acme, PAGES, key))["results"]:
            if b["type"] == "callout" and b["has_children"]:
                for inner in api.call(api.sdk.blocks.children.list, b["id"])["results"]:
                    if "rich_text" in inner[inner["type"]]:
                        yield inner

    created = sorted(op.target for op in made.plan.operations if op.kind == "create_page")
    inner = next(block for key in created for block in texts(key))
    kind = inner["type"]
    text = [{"type": "text", "text": {"content": "changed by hand"}}]
    acme.person.blocks.update(inner["id"], **{kind: {"rich_text": text}})
    report = acme.sync()
    assert report.plan.conflicts, "the edit kept the page's stamp; its editor changed"


def test_a_trashed_row_goes_at_the_next_full_pass(acme: Acme) -> None:
    first_sync(acme)
    acme.person.pages.update(row_id(acme, "decisions", "DEC-013"), in_trash=True)
    releases = acme.spec.tracker.read_releases()  # type: ignore[union-attr]
    assert "decisions/DEC-013" in acme.wiki.read().records  # not yet: incremental
    acme.local_time.at += timedelta(hours=25)
    after = acme.wiki.read()
    assert "decisions/DEC-013" not in after.records
    assert all(d.key != "DEC-013" for d in snap(releases, after).decisions)


def test_losing_the_mirror_costs_a_full_read_and_no_duplicate(acme: Acme) -> None:
    first_sync(acme)
    acme.cache.unlink()
    report = acme.sync()
    assert report.plan.operations == () and report.failed == []
    assert acme.emulator.counts.of(*CHILDREN) > 0 and acme.emulator.counts.writes == 0
    for where in (PAGES, "releases", "decisions"):
        assert set(keys(acme, where).values()) == {1}, where


def test_an_unreadable_mirror_is_read_again_in_full(acme: Acme) -> None:
    first_sync(acme)
    acme.cache.write_text("{not json", encoding="utf-8")
    acme.restart()
    report = acme.sync()
    assert report.plan.operations == () and acme.emulator.counts.of(*CHILDREN) > 0


def release_row(acme: Acme, key: str) -> dict[str, Any]:
    return dict(acme.person.pages.retrieve(row_id(acme, "releases", key)))


def status_of(row: dict[str, Any]) -> str | None:
    chosen = row["properties"]["Enablement status"]["select"]
    return None if chosen is None else str(chosen["name"])


def a_persons_status_edit(acme: Acme) -> tuple[str, str, str]:
    """A release row whose enablement status opsync wrote, set by hand to another option:
    (key, what opsync wrote, what the person chose)."""
    api = acme.wiki.api
    source = acme.wiki.catalog.source("releases")
    for row in api.paginate(api.sdk.data_sources.query, source, what="releases"):
        ours = status_of(row)
        if ours is not None:
            theirs = "late" if ours != "late" else "done"
            acme.person.pages.update(
                row["id"], properties={"Enablement status": {"select": {"name": theirs}}}
            )
            key = plain_text(row["properties"]["opsync key"]["rich_text"])
            return key, ours, theirs
    raise AssertionError("no release has an enablement status")


def test_a_persons_edit_of_an_owned_property_is_a_conflict_left_alone(acme: Acme) -> None:
    first_sync(acme)
    key, _, theirs = a_persons_status_edit(acme)
    report = acme.sync()
    conflicts = {c.target: c for c in report.plan.conflicts}
    assert f"releases/{key}" in conflicts, "the hand edit was about to be overwritten"
    assert "enablement_status" in conflicts[f"releases/{key}"].part
    assert all(op.target != f"releases/{key}" for op in report.plan.operations)
    assert status_of(release_row(acme, key)) == theirs
    acme.restart()
    again = acme.sync()  # still a conflict on the next run: the mirror forgets nothing
    assert f"releases/{key}" in {c.target for c in again.plan.conflicts}
    assert status_of(release_row(acme, key)) == theirs


def test_force_overwrites_a_hand_edit_and_later_runs_are_quiet(acme: Acme) -> None:
    first_sync(acme)
    key, ours, _ = a_persons_status_edit(acme)
    forced = run(acme.spec, NOW, write=True, force=True)
    assert forced.failed == [] and not forced.plan.conflicts
    assert status_of(release_row(acme, key)) == ours
    acme.restart()
    quiet = acme.sync()
    assert quiet.plan.conflicts == () and quiet.plan.operations == ()
    states = acme.wiki.read().records.values()
    assert [s.ref for s in states if s.edited] == []  # what opsync wrote reads back as its own


def test_a_lost_state_and_mirror_still_see_the_hand_edit(acme: Acme) -> None:
    first_sync(acme)
    key, _, theirs = a_persons_status_edit(acme)
    acme.cache.unlink()
    for leftover in acme.cache.parent.glob("state.db*"):
        leftover.unlink()
    acme.restart()
    report = acme.sync()
    assert f"releases/{key}" in {c.target for c in report.plan.conflicts}
    assert status_of(release_row(acme, key)) == theirs


def test_an_earlier_versions_database_ids_are_migrated_not_recreated(acme: Acme) -> None:
    """A config for the older API holds each database's id as its data source id."""
    first_sync(acme)
    current = acme.wiki
    old = {
        where: {"database_id": mapping.database_id, "data_source_id": mapping.database_id}
        for where, mapping in current.config.collections.items()
    }
    config = current.config.model_copy(
        update={
            "collections": NotionConnectorConfig.model_validate({"collections": old}).collections
        }
    )
    assert config.identity() == current.config.identity()  # no identity change to accept
    pages = current.catalog.pages
    assert pages is not None
    earlier = pages.model_copy(update={"data_source_id": pages.database_id})
    current.close()

    def migrated() -> NotionWiki:
        fast = TokenBucket(1000.0, 100)
        state = acme.spec.state.connector("notion")
        return NotionWiki(config, pages=earlier, bucket=fast, state=state)

    acme.spec = replace(acme.spec, workspace=migrated())
    report = acme.sync()
    assert report.failed == [] and report.plan.operations == ()
    assert acme.emulator.counts.writes == 0  # no page, row or database created
    noted = {f.field for f in report.findings if f.code == "notion.id-migrated"}
    assert noted == {f"{where}.data_source_id" for where in [*old, PAGES]}
    resolved = json.loads(acme.cache.read_text(encoding="utf-8"))["resolved"]
    for where, entry in old.items():
        assert resolved[f"id:{entry['database_id']}"] == acme.wiki.catalog.source(where)
    acme.wiki.close()
    acme.spec = replace(acme.spec, workspace=migrated())
    acme.emulator.reset_counts()
    again = acme.sync()  # resolved once: no database is looked up again
    assert again.plan.operations == () and acme.emulator.counts.of(*DATABASE) == 0
    assert {f.field for f in again.findings if f.code == "notion.id-migrated"} == noted


def rows_answered(acme: Acme, monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, bool]]:
    """How many rows the connector's queries bring back from now on, by data source id and
    whether opsync edited the row last."""
    sdk = acme.wiki.api.sdk
    query = sdk.data_sources.query
    bot = acme.wiki.catalog.bot()  # kept in the mirror: asks nothing
    answered: Counter[tuple[str, bool]] = Counter()

    def counted(source: str, **kwargs: Any) -> Any:
        answer = query(source, **kwargs)
        for row in answer["results"]:
            answered[source, row["last_edited_by"]["id"] == bot] += 1
        return answer

    monkeypatch.setattr(sdk.data_sources, "query", counted)
    return answered


def test_a_no_op_read_leaves_out_the_rows_opsync_wrote_last_and_keeps_a_persons(
    acme: Acme, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_sync(acme)  # it wrote every row, in the minute the next read looks back to
    releases = acme.spec.tracker.read_releases()  # type: ignore[union-attr]
    answered = rows_answered(acme, monkeypatch)
    mirrored = acme.wiki.read()
    assert answered.total() == 0, answered  # without the filter: every row written
    assert acme.emulator.counts.of("GET", "/v1/users/me") == 0  # kept in the mirror
    text = [{"type": "text", "text": {"content": "Edited by a person"}}]
    acme.person.pages.update(
        row_id(acme, "decisions", "DEC-013"), properties={"Context": {"rich_text": text}}
    )
    answered.clear()
    after = acme.wiki.read()
    assert answered[acme.wiki.catalog.source("decisions"), False] == 1
    found = next(d for d in snap(releases, after).decisions if d.key == "DEC-013")
    assert found.context == "Edited by a person"
    acme.restart()
    acme.cache.unlink()
    full = acme.wiki.read()
    assert snap(releases, after) == snap(releases, full) and after.records == full.records
    assert mirrored.pages == full.pages


def test_a_database_of_an_older_bootstrap_keeps_the_plain_query_and_doctor_says_so(
    acme: Acme, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = acme.wiki.catalog.source("decisions")
    acme.person.data_sources.update(source, properties={"Last edited by": None})
    first_sync(acme)
    decisions = len(keys(acme, "decisions"))
    answered = rows_answered(acme, monkeypatch)
    acme.wiki.read()
    assert answered[source, True] == decisions > 0
    [finding] = [f for f in acme.wiki.check() if f.field == "decisions.edited_by"]
    assert finding.level == "warning" and "bootstrap" in finding.message


def test_a_source_empty_at_the_first_read_is_queried_incrementally_and_sees_new_rows(
    acme: Acme, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages' data source is empty when the first sync reads it, and holds every page
    after it: the next read must not list it whole (it has a watermark from the sources read
    before it), yet a row a person adds to a source that was empty is still seen."""
    source = acme.wiki.catalog.source("survey_answers")
    api = acme.wiki.api
    for row in api.paginate(api.sdk.data_sources.query, source, what="survey answers"):
        acme.person.pages.update(row["id"], in_trash=True)
    assert not keys(acme, "survey_answers")
    first_sync(acme)
    watermarks = json.loads(acme.cache.read_text(encoding="utf-8"))["sources"]
    assert watermarks[acme.wiki.catalog.source(PAGES)]["watermark"]
    assert watermarks[source]["watermark"]
    answered = rows_answered(acme, monkeypatch)
    acme.wiki.read()
    assert answered.total() == 0, answered  # nothing listed whole
    acme.notion_time.at += timedelta(minutes=7)
    acme.person.pages.create(
        parent={"type": "data_source_id", "data_source_id": source},
        properties={
            "opsync key": {"rich_text": [{"type": "text", "text": {"content": "SUR-900"}}]}
        },
    )
    after = acme.wiki.read()
    assert answered[source, False] == 1
    assert "survey_answers/SUR-900" in after.records


def test_a_create_after_a_whole_listing_asks_no_lookup_and_after_an_incremental_one_does(
    acme: Acme,
) -> None:
    """A key the run's read listed every row of and did not see is not there; after an
    incremental read it may be (a killed run's create, left out of its mirror)."""
    acme.emulator.reset_counts()
    report = acme.sync()  # no mirror yet: every data source is listed whole
    counts = acme.emulator.counts
    sources = len(acme.wiki.config.collections) + 1
    assert counts.of("POST", "/v1/pages") > 0 and report.failed == []
    # one page per source, and no lookup before a create; the write lease, not there yet,
    # is looked up by the read and again by the claim (another run may have made it since);
    # the updates' edit checks (guard.py) are the only other queries
    checks = acme.wiki.writer.guard.queries
    assert 0 < checks <= sources
    assert counts.of(*QUERY) == sources + 2 + checks
    acme.restart()
    acme.wiki.read()  # incremental now
    acme.emulator.reset_counts()
    acme.wiki.write_record(
        RecordWrite(ref="decisions/DEC-900", values={"decision": "Ship it"}, create=True)
    )
    assert acme.emulator.counts.of(*QUERY) == 1
    assert keys(acme, "decisions")["DEC-900"] == 1


def test_rows_a_person_edited_long_ago_are_not_read_again_by_every_run(
    acme: Acme, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watermark follows the Date of the query's answer, not only the newest stamp: rows
    a person edited in a burst (an import) are read once, not by every later run."""
    first_sync(acme)
    releases = acme.spec.tracker.read_releases()  # type: ignore[union-attr]
    text = [{"type": "text", "text": {"content": "Reworded in a batch"}}]
    batch = ["DEC-013", "DEC-014", "DEC-015", "DEC-016"]
    for key in batch:
        acme.person.pages.update(
            row_id(acme, "decisions", key), properties={"Context": {"rich_text": text}}
        )
    answered = rows_answered(acme, monkeypatch)
    acme.notion_time.at += timedelta(hours=1)
    after = acme.wiki.read()
    assert answered[acme.wiki.catalog.source("decisions"), False] == len(batch)
    assert {
        d.key for d in snap(releases, after).decisions if d.context == text[0]["text"]["content"]
    } == set(batch)
    answered.clear()
    acme.notion_time.at += timedelta(hours=1)
    again = acme.wiki.read()
    assert answered.total() == 0, answered
    assert snap(releases, again) == snap(releases, after)


# Kept block ids (connectors/notion/kept.py) ------------------------------------------


def move_a_launch(acme: Acme) -> str:
    """Move the launch date of the first Tier 2 release due three weeks or more ahead a
    week later in the tracker file; its key (the same release every time)."""
    local = acme.spec.tracker
    assert isinstance(local, LocalWorkspace)
    lines = local.tracker.read_text(encoding="utf-8").splitlines(keepends=True)
    key = tier = ""
    for i, line in enumerate(lines):
        text = line.strip()
        if line.startswith("- key:"):
            key, tier = text.split(":", 1)[1].strip(), ""
        elif text.startswith("tier:"):
            tier = text.split(":", 1)[1].strip()
        elif text.startswith("launch_date:") and tier == "2":
            day = datetime.fromisoformat(text.split(":", 1)[1].strip()).date()
            if (day - NOW.date()).days >= 21:
                lines[i] = line.replace(str(day), str(day + timedelta(days=7)))
                local.tracker.write_text("".join(lines), encoding="utf-8")
                return key
    raise AssertionError("no Tier 2 release three weeks ahead in the example")


def next_run(acme: Acme) -> None:
    """A later cron run: a new process, a minute later."""
    acme.restart()
    acme.notion_time.at += timedelta(minutes=1)
    acme.emulator.reset_counts()


def updated_pages(report: RunReport) -> set[str]:
    return {op.target for op in report.done if op.kind == "update_page"}


def region_blocks(acme: Acme, page: str, region: str) -> list[dict[str, Any]]:
    """The live blocks inside region callout ``region`` of page ``page``, listed whole."""
    api = acme.wiki.api
    for block in api.paginate(api.sdk.blocks.children.list, row_id(acme, PAGES, page), what="p"):
        if block["type"] == "callout" and plain_text(block["callout"]["rich_text"]).startswith(
            f"opsync · {region}"
        ):
            return list(api.paginate(api.sdk.blocks.children.list, block["id"], what="r"))
    raise AssertionError(f"no region {region} on {page}")


def kept_ids(acme: Acme) -> str:
    """Synced, then one launch moved twice, each in its own run: the first update of the
    bundle since its create lists its blocks, and keeps their ids; its bundle's key."""
    first_sync(acme)
    key = move_a_launch(acme)
    report = acme.sync()
    assert f"bundle/{key}" in updated_pages(report) and report.failed == []
    assert acme.emulator.counts.of(*CHILDREN) > 0, "made by one create: no ids came back"
    next_run(acme)
    return f"bundle/{key}"


def nothing_left_to_write(acme: Acme) -> None:
    """A sync that lists every page (the mirror lost) finds each as the plan wants it."""
    acme.restart()
    acme.cache.unlink()
    again = acme.sync()
    assert again.plan.operations == () and again.plan.conflicts == ()


def test_a_pages_later_update_lists_no_block_and_writes_what_a_listing_would(
    acme: Acme,
) -> None:
    page = kept_ids(acme)
    move_a_launch(acme)
    report = acme.sync()
    assert updated_pages(report) == {page}
    assert report.failed == [] and report.plan.conflicts == ()
    assert acme.emulator.counts.of(*CHILDREN) == 0
    nothing_left_to_write(acme)


def test_a_kept_block_found_gone_makes_the_update_list_the_page_and_finish(acme: Acme) -> None:
    page = kept_ids(acme)
    # opsync's own account trashes the header table within the minute of the last write:
    # the page keeps the stamp and editor its memo was kept with, so the ids look current
    kinds = [b["type"] for b in region_blocks(acme, page, "bundle.header")]
    table = next(b for b in region_blocks(acme, page, "bundle.header") if b["type"] == "table")
    api = acme.wiki.api
    api.call(api.sdk.blocks.delete, table["id"])
    acme.emulator.reset_counts()
    move_a_launch(acme)
    report = acme.sync()
    assert report.failed == [] and report.conflicts == ()
    assert updated_pages(report) == {page}
    counts = acme.emulator.counts
    assert counts.by_status.get(400) == 1  # the append into the table in the trash
    assert counts.of(*CHILDREN) > 0  # then the page listed, and written from that
    assert counts.of("GET", "/v1/data_sources/{data_source_id}") == 0  # no schema suspected
    assert [b["type"] for b in region_blocks(acme, page, "bundle.header")] == kinds
    nothing_left_to_write(acme)


def test_a_persons_text_in_a_region_whose_kept_ids_went_stale_is_kept(acme: Acme) -> None:
    page = kept_ids(acme)
    page_id = row_id(acme, PAGES, page)
    world = acme.emulator._world
    before = replace(world.pages[page_id].stamp)
    blocks = region_blocks(acme, page, "bundle.header")
    table = next(b for b in blocks if b["type"] == "table")
    typed = [{"type": "text", "text": {"content": "a person's note"}}]
    acme.person.blocks.children.append(
        blocks[0]["parent"]["block_id"],
        children=[{"type": "paragraph", "paragraph": {"rich_text": typed}}],
    )
    acme.person.blocks.delete(table["id"])
    # as if Notion had not moved the page's own stamp: the kept ids look current
    world.pages[page_id].stamp = before
    move_a_launch(acme)
    report = acme.sync()
    assert [c.target for c in report.conflicts] == [page] and report.failed == []
    assert acme.emulator.counts.by_status.get(400) == 1  # found stale, then listed
    texts = [
        plain_text(b["paragraph"]["rich_text"])
        for b in region_blocks(acme, page, "bundle.header")
        if b["type"] == "paragraph"
    ]
    assert "a person's note" in texts


def test_a_persons_text_outside_the_regions_survives_an_update_and_is_read(acme: Acme) -> None:
    page = kept_ids(acme)
    typed = [{"type": "text", "text": {"content": "Risks: the vendor slipped a week"}}]
    acme.person.blocks.children.append(
        row_id(acme, PAGES, page),
        children=[{"type": "paragraph", "paragraph": {"rich_text": typed}}],
    )
    move_a_launch(acme)
    report = acme.sync()
    assert report.failed == [] and report.plan.conflicts == ()
    assert updated_pages(report) == {page}
    assert acme.emulator.counts.of(*CHILDREN) > 0  # a person edited the page: listed
    api = acme.wiki.api
    body = api.paginate(api.sdk.blocks.children.list, row_id(acme, PAGES, page), what="p")
    assert "Risks: the vendor slipped a week" in [
        plain_text(b["paragraph"]["rich_text"]) for b in body if b["type"] == "paragraph"
    ]
    next_run(acme)
    read = acme.wiki.read()
    assert "Risks: the vendor slipped a week" in (read.pages[page].text or "")


def test_a_persons_edit_inside_a_region_whose_ids_are_kept_is_a_conflict_left_alone(
    acme: Acme,
) -> None:
    page = kept_ids(acme)
    table = next(b for b in region_blocks(acme, page, "bundle.header") if b["type"] == "table")
    api = acme.wiki.api
    row = api.call(api.sdk.blocks.children.list, table["id"])["results"][1]
    cells = row["table_row"]["cells"]
    typed = [{"type": "text", "text": {"content": "typed by hand"}}]
    acme.person.blocks.update(row["id"], table_row={"cells": [cells[0], typed, *cells[2:]]})
    move_a_launch(acme)
    report = acme.sync()
    assert [c.target for c in report.conflicts] == [page] and report.failed == []
    assert page not in updated_pages(report)
    kept = api.call(api.sdk.blocks.retrieve, row["id"])
    assert plain_text(kept["table_row"]["cells"][1]) == "typed by hand"
    assert not kept["in_trash"]
