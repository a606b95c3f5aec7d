"""Config of the Notion connector: where each collection lives and the names it uses there.

People keep their databases as they are: the config maps each domain field to their property
name and each domain value to their option name (a "Launch tier" select with options
T1/T2/T3 needs no renaming), and only what differs from the defaults
(:mod:`opsync.connectors.records`) needs writing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from opsync.config_problems import invalid, suggest
from opsync.connectors.config import TokenConnectorConfig
from opsync.connectors.notion.hashes import HASHES_FIELD
from opsync.connectors.records import (
    DEFAULT_OPTIONS,
    RECORD_MODELS,
    default_name,
    domain_fields,
)
from opsync.domain import Collection

_ID = re.compile(r"([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})")


def _notion_id(value: str) -> str:
    """An id as Notion prints it, from an id with or without dashes or from a page's URL."""
    path = value.strip().lower().split("?")[0].split("#")[0]
    found = _ID.findall(path)
    if not found:
        hint = "copy the 32-character id from the database's URL (Share → Copy link)"
        raise invalid(f'"{value}" is not a Notion id', hint)
    return "-".join(found[-1])


NotionId = Annotated[str, AfterValidator(_notion_id)]


def _option_name(name: str) -> str:
    """An option name a select can hold: Notion refuses a comma in one (400 "Invalid select
    option, commas not allowed", https://developers.notion.com/reference/property-object#select)."""
    check_option_name(name)
    return name


def check_option_name(name: str) -> None:
    if "," in name:
        fix = name.replace(",", " /").replace("  ", " ")
        raise invalid(
            f'"{name}" holds a comma, which a Notion select option cannot',
            f'write it without one, e.g. "{fix}"',
        )


OptionName = Annotated[str, AfterValidator(_option_name)]

# A formula property views filter on, which opsync never reads or writes: Notion's date
# filters have no "next N days", a number a formula computes from the launch date does.
DAYS_TO_LAUNCH_FIELD = "days_to_launch"
VIEW_FIELDS: dict[Collection, tuple[str, ...]] = {Collection.RELEASES: (DAYS_TO_LAUNCH_FIELD,)}
# A "last edited by" property, never read into a record: with it, a read of the rows edited
# lately can leave out those opsync itself edited last, which its mirror holds as written.
EDITED_BY_FIELD = "edited_by"


def property_fields(collection: Collection) -> tuple[str, ...]:
    """Every field of ``collection`` a Notion property can hold: the record's fields, the
    hashes of what opsync last wrote (``hashes.py``), and the formulas its views need."""
    fields = domain_fields(collection)
    if collection is not Collection.RELEASES and collection not in RECORD_MODELS:
        return fields  # generated pages: opsync owns them whole, there is no edit to tell
    return (*fields, HASHES_FIELD, EDITED_BY_FIELD, *VIEW_FIELDS.get(collection, ()))


def default_property_name(collection: Collection, field: str) -> str:
    if field == EDITED_BY_FIELD:
        return "Last edited by"
    return "opsync hashes" if field == HASHES_FIELD else default_name(collection, field)


class CollectionMapping(BaseModel):
    """``[connectors.<name>.collections.<collection>]``: one data source and its names."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    database_id: NotionId = Field(description="The database (id or URL) holding the rows.")
    data_source_id: NotionId | None = Field(
        None, description="Which data source of the database; found from the database if unset."
    )
    data_source_name: str | None = Field(
        None, description="Or the data source's name, for a database that holds several."
    )
    properties: dict[str, str] = Field(
        default_factory=dict, description="Domain field → your property name, where it differs."
    )
    options: dict[str, dict[str, OptionName]] = Field(
        default_factory=dict, description="Domain field → {domain value → your option name}."
    )


class NotionConnectorConfig(TokenConnectorConfig):
    """``[connectors.<name>]`` with ``type = "notion"``."""

    type: Literal["notion"] = Field("notion", description="Notion, through its public API.")
    base_url: str = Field("https://api.notion.com", description="API root (an emulator's, say).")
    notion_version: str = Field("2025-09-03", description="The Notion-Version header sent.")
    collections: dict[Collection, CollectionMapping] = Field(
        default_factory=dict, description="Where each collection lives, and its names."
    )
    people: dict[str, str] = Field(
        default_factory=dict, description="Person key → Notion user id (or email, to read)."
    )
    requests_per_second: float = Field(2.8, gt=0, description="Pace; Notion allows 3 on average.")
    full_pass_hours: float = Field(
        24, gt=0, description="How often a full read looks for pages moved to the trash."
    )
    lease_minutes: float = Field(
        10,
        gt=0,
        description="How long a writing run's lease (a row of the pages database) holds "
        "without renewal; a run that died blocks other writers at most this long.",
    )
    lease_settle_seconds: float | None = Field(
        None,
        ge=0,
        description="Wait between writing the lease and reading it back, so that of two "
        "runs taking it at once only one goes on; by default two request intervals at the "
        "configured pace plus three times the slowest lease request of the run.",
    )
    pages: CollectionMapping | None = Field(None, description="Database of generated pages.")

    def identity(self) -> dict[str, str]:
        """Where records live: each database and names, not the data source id (found from
        the database, or an earlier version's database id migrated by ``sources.py``)."""
        no_source = {"collections": {"__all__": {"data_source_id"}}, "pages": {"data_source_id"}}
        dump = self.model_dump(exclude=no_source)  # type: ignore[arg-type]
        return {k: str(v) for k, v in dump.items() if k not in self.NOT_IDENTITY}

    @model_validator(mode="after")
    def _known_names(self) -> NotionConnectorConfig:
        for collection, entry in self.collections.items():
            where = f"collections.{collection.value}"
            known = property_fields(collection)
            for table in ("properties", "options"):
                for name in getattr(entry, table):
                    if name not in known:
                        hint = suggest(name, known) + f"fields: {', '.join(known)}"
                        raise invalid(f'{where}.{table}: "{name}" is not a field', hint)
            if entry.data_source_id and entry.data_source_name:
                hint = "keep data_source_id, or data_source_name, not both"
                raise invalid(f"{where} names its data source twice", hint)
            _check_unique(where, property_names(self, collection), "property")
            for field, names in entry.options.items():
                _check_unique(f"{where}.options.{field}", names, "option")
        for name in self.pages.properties if self.pages else ():
            if name not in ("key", "title", "kind", "regions", EDITED_BY_FIELD):
                fields = f"key, title, kind, regions, {EDITED_BY_FIELD}"
                raise invalid(f'pages.properties: "{name}" is not one of {fields}')
        return self


def _check_unique(where: str, names: Mapping[str, str], what: str) -> None:
    """Property names are matched exactly, option names ignoring case (as they are read)."""
    seen: dict[str, str] = {}
    for field, name in names.items():
        folded = name.casefold() if what == "option" else name
        if folded in seen:
            hint = f"give {seen[folded]} and {field} different {what} names"
            raise invalid(f'{where}: two entries use the {what} "{name}"', hint)
        seen[folded] = field


def property_names(config: NotionConnectorConfig, collection: Collection) -> dict[str, str]:
    """Every domain field of ``collection`` → the Notion property holding it."""
    entry = config.collections.get(collection)
    overrides = entry.properties if entry else {}
    return {
        f: overrides.get(f) or default_property_name(collection, f)
        for f in property_fields(collection)
    }


def options(config: NotionConnectorConfig, collection: Collection, field: str) -> dict[str, str]:
    """Domain value → Notion option name for ``field``; empty when the names are the same."""
    entry = config.collections.get(collection)
    if entry is not None and field in entry.options:
        return entry.options[field]
    return DEFAULT_OPTIONS.get(collection, {}).get(field, {})
