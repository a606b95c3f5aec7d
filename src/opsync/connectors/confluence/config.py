"""Config of the Confluence connector: where pages live, credentials, and field names.

Records are pages with a page-properties table (the ``details`` macro); each row's header
is a field's name, and people keep their own names: the config maps each domain field to
their row header and each domain value to their wording, as the Notion mapping does.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from opsync.config_problems import invalid, suggest
from opsync.connectors.config import TokenConnectorConfig
from opsync.connectors.records import DEFAULT_OPTIONS, default_name, domain_fields
from opsync.domain import Collection

_PAGE_ID = re.compile(r"(?:pageId=|/pages/)?(\d+)")


def _page_id(value: str) -> str:
    """A page id from the number itself or a page URL (``…/pages/123456/Title``)."""
    text = value.strip()
    if text.isdigit():
        return text
    found = _PAGE_ID.findall(text)
    if not found:
        raise invalid(
            f'"{value}" is not a Confluence page id',
            "open the page, ⋯ → Page information, and copy the number after pageId= in the URL",
        )
    return str(found[-1])


PageId = Annotated[str, AfterValidator(_page_id)]

# What a Confluence label cannot hold: whitespace and these characters, nor more than 255
# characters (v1 addLabelsToContent answers 400 to "labels with invalid characters or too
# many characters"; the characters per "Add, Remove and Search for Labels",
# https://confluence.atlassian.com/doc/add-remove-and-search-for-labels-136419.html).
LABEL_FORBIDDEN = "!#&()*,.:;<>?@[]^"
LABEL_MAX = 255


def _label(value: str) -> str:
    """A label Confluence can hold, else the config error naming what to change."""
    name = value.strip()
    bad = sorted({c for c in name if c in LABEL_FORBIDDEN or c.isspace()})
    if name and not bad and len(name) <= LABEL_MAX:
        return name
    if not name:
        problem = "a label cannot be empty"
    elif bad:
        shown = ", ".join("a space" if c.isspace() else f"'{c}'" for c in bad)
        problem = f'Confluence cannot hold the label "{value}": it contains {shown}'
    else:
        problem = f"Confluence labels are at most {LABEL_MAX} characters"
    suggestion = re.sub(rf"[\s{re.escape(LABEL_FORBIDDEN)}]+", "-", name).strip("-") or "opsync"
    raise invalid(
        problem,
        f'replace them, e.g. label = "{suggestion[:LABEL_MAX]}" '
        f"(labels cannot hold spaces or any of {LABEL_FORBIDDEN})",
    )


Label = Annotated[str, AfterValidator(_label)]


class ConfluenceCollection(BaseModel):
    """``[connectors.<name>.collections.<collection>]``: the page holding the records."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    parent: PageId = Field(description="The page whose child pages are this collection's records.")
    properties: dict[str, str] = Field(
        default_factory=dict, description="Domain field → your row header, where it differs."
    )
    options: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Domain field → {domain value → your wording}."
    )


class ConfluenceConnectorConfig(TokenConnectorConfig):
    """``[connectors.<name>]`` with ``type = "confluence"``."""

    type: Literal["confluence"] = Field("confluence", description="Confluence Cloud or DC.")
    deployment: Literal["cloud", "datacenter"] = Field(
        "cloud", description="cloud: email + API token, v2 API; datacenter: personal token."
    )
    base_url: str = Field(
        "",
        description="Site root: https://<site>.atlassian.net, or the DC base URL with its "
        "context path; OPSYNC_CONFLUENCE_BASE_URL overrides it.",
    )
    space: str = Field(description="Key of the space the pages live in.")
    parent: PageId | None = Field(None, description="Page under which bootstrap creates pages.")
    pages_parent: PageId | None = Field(None, description="Page holding the generated pages.")
    feed_page: PageId | None = Field(
        None,
        description="Page the ritual calendar is attached to as rituals.ics, when this "
        "connector holds the feeds role (its URL: /wiki/download/attachments/<id>/rituals.ics).",
    )
    email: str | None = Field(None, description="Cloud: the Atlassian account's email.")
    email_env: str = Field("CONFLUENCE_EMAIL", description="Or the variable holding it.")
    requests_per_second: float = Field(5.0, gt=0, description="Pace, below the burst limit.")
    label: Label = Field(
        "opsync",
        description="Label put on every page opsync creates (no spaces, nor !#&()*,.:;<>?@[]^).",
    )
    lease_minutes: float = Field(
        10,
        gt=0,
        description="How long a writing run's lease (the opsync-lease content property of "
        "the generated pages' page) holds without renewal; a run that died blocks other "
        "writers at most this long.",
    )
    jira_url: str | None = Field(
        None,
        description="Jira site whose /browse/KEY links render as the Jira issue macro.",
    )
    jira_server: str | None = Field(None, description="The Jira macro's server name (DC).")
    jira_server_id: str | None = Field(None, description="The Jira macro's application-link id.")
    collections: dict[Collection, ConfluenceCollection] = Field(
        default_factory=dict, description="Where each collection's record pages live."
    )
    pages: ConfluenceCollection | None = Field(
        None, description="Or, as `opsync bootstrap confluence` prints it, the pages parent."
    )

    # Where the feed is attached moves no record: adding it is no identity change.
    NOT_IDENTITY: ClassVar[frozenset[str]] = TokenConnectorConfig.NOT_IDENTITY | {"feed_page"}

    @property
    def generated_parent(self) -> str | None:
        """The page holding the generated pages: ``pages_parent``, else ``pages.parent``."""
        return self.pages_parent or (self.pages.parent if self.pages is not None else None)

    @model_validator(mode="after")
    def _known_names(self) -> ConfluenceConnectorConfig:
        for collection, entry in self.collections.items():
            known = domain_fields(collection)
            for table in ("properties", "options"):
                for name in getattr(entry, table):
                    if name not in known:
                        hint = suggest(name, known) + f"fields: {', '.join(known)}"
                        raise invalid(
                            f'collections.{collection.value}.{table}: "{name}" is not a field', hint
                        )
        return self


def row_names(config: ConfluenceConnectorConfig, collection: Collection) -> dict[str, str]:
    """Every domain field of ``collection`` → the row header holding it."""
    entry = config.collections.get(collection)
    overrides = entry.properties if entry else {}
    return {f: overrides.get(f) or _row_name(collection, f) for f in domain_fields(collection)}


def _row_name(collection: Collection, field: str) -> str:
    """The labels every connector defaults to (``opsync.connectors.records``), except the
    title's "Name": a table row says what it holds ("Title", "Summary", "Decision")."""
    name = default_name(collection, field)
    return field.replace("_", " ").capitalize() if name == "Name" else name


def option_names(
    config: ConfluenceConnectorConfig, collection: Collection, field: str
) -> dict[str, str]:
    """Domain value → the wording people use for it in ``field``; empty when the same."""
    entry = config.collections.get(collection)
    if entry is not None and field in entry.options:
        return entry.options[field]
    return DEFAULT_OPTIONS.get(collection, {}).get(field, {})
