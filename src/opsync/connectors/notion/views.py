"""The database views bootstrap makes, and how it tells a view of its own from a person's.

Views name properties as the config maps them. A view bootstrap finds by name is left alone
unless it is exactly what an older bootstrap made: then it gets what this one makes (a
layout it lacked, a filter that changed), so a person's own filter is never overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from opsync.connectors.notion.catalog import PAGES
from opsync.connectors.notion.config import (
    DAYS_TO_LAUNCH_FIELD,
    NotionConnectorConfig,
    options,
    property_names,
)
from opsync.domain import Collection

# "Launching in the next 14 days" keeps releases whose launch is 0 to 13 whole days away:
# Notion's dateBetween cuts toward zero, so from today up to 14 days ahead.
SOON_DAYS = 14
DAYS_TO_LAUNCH_FORMULA = 'dateBetween(prop({launch}), now(), "days")'


@dataclass(frozen=True)
class ViewSpec:
    """A view bootstrap makes; ``layout`` names the properties its type-specific
    configuration points at (by setting: ``group_by``, ``date_property_id``, …), and
    ``earlier`` holds the filters older bootstraps gave it."""

    name: str
    type: str
    filter: dict[str, Any] | None = None
    sorts: list[dict[str, Any]] | None = None
    layout: dict[str, str] = field(default_factory=dict)
    earlier: tuple[dict[str, Any], ...] = ()

    def configuration(self, schema: Mapping[str, Any]) -> dict[str, Any] | None:
        """The ``configuration`` body, property names turned into the ids Notion wants."""
        if not self.layout:
            return None
        body: dict[str, Any] = {"type": self.type}
        for setting, name in self.layout.items():
            prop = schema.get(name)
            if prop is None:
                raise LookupError(f'the data source has no property "{name}" for {setting}')
            if setting == "group_by":
                body[setting] = {"type": prop["type"], "property_id": prop["id"]}
            else:
                body[setting] = prop["id"]
        return body

    def outdated(self, found: Any, schema: Mapping[str, Any]) -> bool:
        """Whether ``found`` (a view's filter) is one an older bootstrap wrote."""
        shown = by_id(found, schema)
        return shown != by_id(self.filter, schema) and any(
            shown == by_id(old, schema) for old in self.earlier
        )


def by_id(value: Any, schema: Mapping[str, Any]) -> Any:
    """A filter with each property named by its id, as Notion may echo it back."""
    if isinstance(value, list):
        return [by_id(item, schema) for item in value]
    if not isinstance(value, dict):
        return value
    out = {key: by_id(item, schema) for key, item in value.items()}
    named = out.get("property")
    for name, prop in schema.items():
        ident = str(prop.get("id", ""))
        if isinstance(named, str) and named in (name, ident, unquote(ident)):
            out["property"] = unquote(ident)
    return out


def days_to_launch_formula(config: NotionConnectorConfig) -> str:
    """Whole days from now to the launch date, as a Notion formula (formulas 2.0)."""
    launch = property_names(config, Collection.RELEASES)["launch_date"]
    quoted = launch.replace("\\", "\\\\").replace('"', '\\"')
    return DAYS_TO_LAUNCH_FORMULA.format(launch=f'"{quoted}"')


def views_for(config: NotionConnectorConfig, where: str) -> list[ViewSpec]:
    """The views people work from; filters name properties as the config maps them."""
    if where == PAGES:
        return []
    collection = Collection(where)
    names = property_names(config, collection)

    def equals(field: str, value: str) -> dict[str, Any]:
        shown = options(config, collection, field).get(value, value)
        return {"property": names[field], "select": {"equals": shown}}

    def ticked(field: str, value: bool = True) -> dict[str, Any]:
        return {"property": names[field], "checkbox": {"equals": value}}

    if collection is Collection.RELEASES:
        by_launch = [{"property": names["launch_date"], "direction": "ascending"}]
        launch, days = names["launch_date"], names[DAYS_TO_LAUNCH_FIELD]

        def days_away(condition: dict[str, int]) -> dict[str, Any]:
            return {"property": days, "formula": {"number": condition}}

        soon = {
            "and": [
                ticked("launched", False),
                days_away({"greater_than_or_equal_to": 0}),
                days_away({"less_than": SOON_DAYS}),
            ]
        }
        this_or_next_week = {  # what bootstraps before the formula made
            "and": [
                ticked("launched", False),
                {"or": [{"property": launch, "date": {w: {}}} for w in ("this_week", "next_week")]},
            ]
        }
        return [
            ViewSpec("Enablement board", "board", layout={"group_by": names["enablement_status"]}),
            ViewSpec("Launch calendar", "calendar", layout={"date_property_id": launch}),
            ViewSpec("Upcoming launches", "table", ticked("launched", False), by_launch),
            ViewSpec(
                "Launching in the next 14 days",
                "table",
                soon,
                by_launch,
                earlier=(this_or_next_week,),
            ),
            ViewSpec("Enablement late", "table", equals("enablement_status", "late"), by_launch),
        ]
    if collection is Collection.ROADMAP_ITEMS:
        dates = {"date_property_id": names["start"], "end_date_property_id": names["end"]}
        return [ViewSpec("Roadmap timeline", "timeline", layout=dates)]
    if collection is Collection.INSIGHTS:
        return [
            ViewSpec("Needs triage", "table", equals("triage_status", "needs triage")),
            ViewSpec("Escalated", "table", ticked("escalated")),
        ]
    if collection is Collection.DECISIONS:
        return [ViewSpec("Review due", "table", ticked("review_due"))]
    return []
