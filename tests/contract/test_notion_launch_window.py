""" "Launching in the next 14 days": a formula property counts the days to launch, the view
filters on it, the emulator computes it, and a rerun of bootstrap brings an older view up to
date without touching one a person changed.

Notion's ``dateBetween`` cuts toward zero (formula reference: now June 23, date June 30 gives
-6 days), so with the clock mid-afternoon a launch 15 days out counts 14 and one today counts
0: a filter of "0 to 14 inclusive" would show a release 15 days out, which is why the view
keeps 0 ≤ days < 14.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from notion_client import APIResponseError, Client

from opsync.connectors.notion.bootstrap import bootstrap
from opsync.connectors.notion.client import NotionApi
from opsync.connectors.notion.config import NotionConnectorConfig
from opsync.http import TokenBucket
from opsync.testing.emulators.notion import NotionEmulator

LOG = logging.getLogger("tests.notion_launch_window")
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
VIEW = "Launching in the next 14 days"
DAYS = "Days to launch"
WINDOW = {  # the view's filter, by the names of the default config
    "and": [
        {"property": "Launched", "checkbox": {"equals": False}},
        {"property": DAYS, "formula": {"number": {"greater_than_or_equal_to": 0}}},
        {"property": DAYS, "formula": {"number": {"less_than": 14}}},
    ]
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[NotionEmulator]:
    """An emulator whose clock stands at NOW, with the connector pointed at it."""
    with NotionEmulator(rate_limit=None, clock=lambda: NOW) as emulator:
        monkeypatch.setenv("NOTION_TOKEN", emulator.token)
        monkeypatch.setenv("OPSYNC_NOTION_BASE_URL", emulator.base_url)
        yield emulator


@pytest.fixture
def sdk(env: NotionEmulator) -> Iterator[Client]:
    client = Client(auth=env.person_token, base_url=env.base_url, retry=False, logger=LOG)
    try:
        yield client
    finally:
        client.close()


def text(content: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": {"content": content}}]


def day(offset: int) -> str:
    return (NOW.date() + timedelta(days=offset)).isoformat()


def add(sdk: Client, source: str, name: str, launch: str | None, **more: Any) -> None:
    properties: dict[str, Any] = {"Name": {"title": text(name)}, **more}
    if launch is not None:
        properties["Launch date"] = {"date": {"start": launch}}
    sdk.pages.create(parent={"data_source_id": source}, properties=properties)


def names(sdk: Client, source: str, flt: dict[str, Any]) -> list[str]:
    rows = sdk.data_sources.query(source, filter=flt)["results"]
    return sorted(r["properties"]["Name"]["title"][0]["plain_text"] for r in rows)


def views_of(sdk: Client, database: str) -> dict[str, dict[str, Any]]:
    listed = sdk.views.list(database_id=database)["results"]
    return {v["name"]: v for v in (sdk.views.retrieve(i["id"]) for i in listed)}


def test_the_emulator_computes_days_to_launch_and_filters_on_it(
    env: NotionEmulator, sdk: Client
) -> None:
    formula = 'dateBetween(prop("Launch date"), now(), "days")'
    schema = {
        "Name": {"title": {}},
        "Launch date": {"date": {}},
        "Days to launch": {"formula": {"expression": formula}},
    }
    made = sdk.databases.create(
        parent={"type": "page_id", "page_id": env.root_page_id},
        title=text("Releases"),
        initial_data_source={"properties": schema},
    )
    source = made["data_sources"][0]["id"]
    stored = sdk.data_sources.retrieve(source)["properties"]["Days to launch"]
    assert stored["formula"] == {"expression": formula}
    offsets = {"yesterday": -1, "today": 0, "tomorrow": 1, "d13": 13, "d14": 14, "d15": 15}
    for name, offset in offsets.items():
        add(sdk, source, name, day(offset))
    add(sdk, source, "undated", None)
    shown = {
        r["properties"]["Name"]["title"][0]["plain_text"]: r["properties"]["Days to launch"]
        for r in sdk.data_sources.query(source)["results"]
    }
    assert shown["d13"] == {
        "id": stored["id"],
        "type": "formula",
        "formula": {"type": "number", "number": 12},
    }
    counts = {n: v["formula"]["number"] for n, v in shown.items()}
    assert counts == {
        "yesterday": -1,
        "today": 0,
        "tomorrow": 0,
        "d13": 12,
        "d14": 13,
        "d15": 14,
        "undated": None,
    }

    def days(condition: dict[str, int]) -> dict[str, Any]:
        return {"property": "Days to launch", "formula": {"number": condition}}

    window = {"and": [days({"greater_than_or_equal_to": 0}), days({"less_than": 14})]}
    assert names(sdk, source, window) == ["d13", "d14", "today", "tomorrow"]
    naive = {"and": [days({"greater_than_or_equal_to": 0}), days({"less_than_or_equal_to": 14})]}
    assert "d15" in names(sdk, source, naive)  # what "0 to 14" would have shown
    refused = [
        {"Bad": {"formula": {"expression": 'dateBetween(prop("Ship date"), now(), "days")'}}},
        {"Bad": {"formula": {"expression": "dateBetween(now(), "}}},
        {"Bad": {"formula": {}}},
    ]
    for properties in refused:
        with pytest.raises(APIResponseError) as caught:
            sdk.data_sources.update(source, properties=properties)
        assert caught.value.status == 400, properties
    with pytest.raises(APIResponseError) as mistyped:
        names(sdk, source, {"property": "Days to launch", "formula": {"string": {"equals": "3"}}})
    assert mistyped.value.status == 400


def test_bootstrap_adds_the_formula_and_the_view_shows_the_next_14_days(
    env: NotionEmulator, sdk: Client
) -> None:
    config = NotionConnectorConfig.model_validate(
        {
            "collections": {
                "releases": {
                    "database_id": "0" * 32,
                    "properties": {"launch_date": "Ship date", "days_to_launch": "Countdown"},
                }
            }
        }
    )
    api = NotionApi(config, bucket=TokenBucket(1000.0, 100))
    try:
        made = bootstrap(api, env.root_page_id, config)
    finally:
        api.close()
    database, source = made.ids["releases"]
    countdown = sdk.data_sources.retrieve(source)["properties"]["Countdown"]
    assert countdown["formula"]["expression"] == 'dateBetween(prop("Ship date"), now(), "days")'
    view = views_of(sdk, database)[VIEW]
    for name, offset, launched in (("in", 13, False), ("out", 15, False), ("done", 13, True)):
        properties = {
            "Name": {"title": text(name)},
            "Ship date": {"date": {"start": day(offset)}},
            "Launched": {"checkbox": launched},
        }
        sdk.pages.create(parent={"data_source_id": source}, properties=properties)
    assert names(sdk, source, view["filter"]) == ["in"]


def test_a_rerun_updates_the_older_view_once_and_leaves_a_persons_filter(
    env: NotionEmulator, sdk: Client
) -> None:
    config = NotionConnectorConfig()
    api = NotionApi(config, bucket=TokenBucket(1000.0, 100))
    try:
        made = bootstrap(api, env.root_page_id, config)
        database, source = made.ids["releases"]
        # The workspace as an older bootstrap left it: no formula, this week or next.
        old = views_of(sdk, database)[VIEW]
        sdk.views.delete(old["id"])
        sdk.data_sources.update(source, properties={"Days to launch": None})
        weeks = [{"property": "Launch date", "date": {w: {}}} for w in ("this_week", "next_week")]
        older = {"and": [{"property": "Launched", "checkbox": {"equals": False}}, {"or": weeks}]}
        sdk.views.create(
            database_id=database, data_source_id=source, name=VIEW, type="table", filter=older
        )
        env.reset_counts()
        upgraded = bootstrap(api, env.root_page_id, config)
        assert sorted(upgraded.created) == [
            f"filter of view Releases / {VIEW}",
            "property Releases / Days to launch",
        ]
        assert upgraded.problems == [] and env.counts.writes == 2
        assert views_of(sdk, database)[VIEW]["filter"] == WINDOW
        env.reset_counts()
        again = bootstrap(api, env.root_page_id, config)
        assert again.created == [] and env.counts.writes == 0
        # A person narrows the view; bootstrap leaves it as they made it.
        mine = {"property": "Launch date", "date": {"next_week": {}}}
        sdk.views.update(views_of(sdk, database)[VIEW]["id"], filter=mine)
        env.reset_counts()
        kept = bootstrap(api, env.root_page_id, config)
    finally:
        api.close()
    assert kept.created == [] and env.counts.writes == 0
    assert f"view Releases / {VIEW}" in kept.found
    assert views_of(sdk, database)[VIEW]["filter"] == mine
