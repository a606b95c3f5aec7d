"""``[connectors.<name>]`` with ``type = "jira"``: where the releases are and how they map.

With ``releases = "issues"`` (the default) a release is one Jira issue selected by the
project and optional filters (an issue type, components, labels) or a JQL fragment. Its
launch date and launched flag come from its fix version (release date, released) or from a
date field; tier, product area, PM and eng lead each come from a field named by id (custom
fields by id: names are not unique in Jira, NOTES.md §3), a component, or labels with a
prefix, and option values map to domain values as in the Notion mapping. With
``releases = "versions"`` a release is one fix version of the project instead, and those
fields come from the issues in it or from ``version_defaults`` (see ``versions.py``).
Secrets come from the environment or a file, never the config.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from opsync.config_problems import invalid
from opsync.connectors.config import TokenConnectorConfig

DEFAULT_EMAIL_ENV = "JIRA_EMAIL"
DEFAULT_TOKEN_ENV = "JIRA_API_TOKEN"
BASE_URL_ENV = "OPSYNC_JIRA_BASE_URL"
MAPPED = ("tier", "product_area", "pm", "eng_lead", "stakeholder_summary")
# JQL clause names opsync puts filters on: a system field or cf[N]; never free text.
_CLAUSE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9_]*|cf\[\d+\])$")
_FIELD_ID = re.compile(r"^(?:[a-z][A-Za-z]*|customfield_\d+)$")
_PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]{1,9}$")


def _field_id(value: str) -> str:
    if not _FIELD_ID.match(value):
        raise invalid(
            f'"{value}" is not a Jira field id',
            "use the id, e.g. customfield_10050 or components (names are not unique; "
            "`opsync doctor` lists the ids)",
        )
    return value


class FieldMap(BaseModel):
    """Where one release field is read from on the issue.

    ``field`` is a field id (``customfield_10050``, ``components``, ``labels``,
    ``assignee``, ``duedate``...). For ``labels``, ``prefix`` picks the label (``area-``
    turns ``area-billing`` into ``billing``). ``values`` maps Jira's option, component,
    label or user (account id, user name or email) to the domain value (tier 1/2/3, area
    key, person key); unmapped values are matched by domain key or name, case-insensitively.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str = Field(description="Jira field id (custom fields by id, never by name).")
    prefix: str | None = Field(None, description="For labels: the prefix that marks the value.")
    values: dict[str, str] = Field(
        default_factory=dict, description="Jira value → domain value, where they differ."
    )

    @field_validator("field")
    @classmethod
    def _check_field(cls, value: str) -> str:
        return _field_id(value)


class WriteBack(BaseModel):
    """``[connectors.<name>.write_back]``: what opsync writes onto each release issue.

    Each field is a custom field id; one left out is not written. Only the values the rules
    derive go there, and a person's change to one is a conflict (docs/jira.md, write-back).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    enablement_status: str | None = Field(
        None, description="Field for the enablement status: a select (options by value) or text."
    )
    next_deadline: str | None = Field(
        None, description="Date field for the next enablement deadline (YYYY-MM-DD)."
    )
    bundle_link: str | None = Field(
        None, description="URL (or text) field for the bundle page's address."
    )
    remote_link: bool = Field(
        True, description="Add a remote link to the bundle page (found again by its globalId)."
    )
    notify_users: bool = Field(
        True,
        description="false: edits send no watcher email (needs Administer projects; Jira "
        "ignores it otherwise).",
    )

    @field_validator("enablement_status", "next_deadline", "bundle_link")
    @classmethod
    def _check_field(cls, value: str | None) -> str | None:
        return None if value is None else _field_id(value)

    def fields(self) -> dict[str, str]:
        """Write-back name → field id, for the fields configured."""
        named = {
            "enablement_status": self.enablement_status,
            "next_deadline": self.next_deadline,
            "bundle_link": self.bundle_link,
        }
        return {name: field_id for name, field_id in named.items() if field_id is not None}

    def names(self) -> frozenset[str]:
        """What is written back (``connectors.base.WRITE_BACK`` names)."""
        return frozenset(self.fields()) | ({"bundle_page"} if self.remote_link else set())


class JiraConnectorConfig(TokenConnectorConfig):
    """``[connectors.<name>]`` with ``type = "jira"``."""

    type: Literal["jira"] = Field("jira", description="Jira Cloud or Data Center.")
    deployment: Literal["cloud", "datacenter"] = Field(
        "cloud", description="cloud: REST v3, email + API token; datacenter: REST v2, PAT."
    )
    base_url: str = Field(
        "", description="Site URL (https://acme.atlassian.net); OPSYNC_JIRA_BASE_URL overrides."
    )
    email_env: str | None = Field(
        None, description="Environment variable with the account's email (Cloud; JIRA_EMAIL)."
    )
    project: str = Field(description="Project key the releases live in, e.g. ACME.")
    releases: Literal["issues", "versions"] = Field(
        "issues",
        description="issues: one issue per release; versions: one fix version per release.",
    )
    version_names: str | None = Field(
        None, description='versions: only versions whose name matches this glob, e.g. "Acme *".'
    )
    version_defaults: dict[str, str] = Field(
        default_factory=dict,
        description="versions: tier, product_area, pm, eng_lead when no issue gives one.",
    )
    filters: dict[str, list[str]] = Field(
        default_factory=dict,
        description='JQL clause → allowed values, e.g. {issuetype = ["Epic"]}; values escaped.',
    )
    jql: str | None = Field(None, description="Extra JQL restriction, ANDed in as written.")
    launch_date: str = Field(
        "fixVersions", description="fixVersions (the version's release date) or a date field id."
    )
    fields: dict[str, FieldMap] = Field(
        default_factory=dict,
        description="tier, product_area, pm, eng_lead, stakeholder_summary → where they are.",
    )
    people: dict[str, str] = Field(
        default_factory=dict, description="Person key → Jira account id (Cloud) or user name."
    )
    overlap_minutes: int = Field(
        10, ge=1, description="Re-read issues updated this long before the cursor."
    )
    full_pass_hours: float = Field(
        24.0, gt=0, description="How often an id-only pass looks for deleted issues."
    )
    write_back: WriteBack | None = Field(
        None, description="What opsync writes onto each release issue; absent: nothing."
    )
    page_size: int = Field(100, ge=1, le=5000, description="Issues asked for per search page.")
    requests_per_second: float = Field(5.0, gt=0, description="Pace of requests.")
    timeout_seconds: float = Field(30.0, gt=0, description="Per-request timeout.")

    def identity(self) -> dict[str, str]:
        """Only the project: release keys are its issue keys, and what opsync writes back
        goes onto those issues, so remapping fields or filters, or moving the site, moves no
        record. Reading
        releases from versions keys them by version id instead, so that mode is part of it."""
        identity = {"type": self.type, "project": self.project}
        if self.releases != "issues":
            identity["releases"] = self.releases
        return identity

    @field_validator("project")
    @classmethod
    def _project_key(cls, value: str) -> str:
        if not _PROJECT_KEY.match(value):
            raise invalid(f'"{value}" is not a Jira project key', "use the key, e.g. ACME")
        return value

    @field_validator("filters")
    @classmethod
    def _clauses(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for clause in value:
            if not _CLAUSE.match(clause):
                raise invalid(
                    f'"{clause}" is not a JQL field name',
                    "use e.g. issuetype, component, cf[10050]",
                )
        return value

    @field_validator("fields")
    @classmethod
    def _known(cls, value: dict[str, FieldMap]) -> dict[str, FieldMap]:
        for name in value:
            if name not in MAPPED:
                raise invalid(f'"{name}" is not a release field opsync maps', f"use {MAPPED}")
        return value

    @field_validator("launch_date")
    @classmethod
    def _launch(cls, value: str) -> str:
        return _field_id(value)

    @field_validator("version_defaults")
    @classmethod
    def _defaults(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if name not in MAPPED:
                raise invalid(f'"{name}" is not a release field opsync maps', f"use {MAPPED}")
        return value

    @model_validator(mode="after")
    def _versions_mode(self) -> JiraConnectorConfig:
        if self.releases == "versions" and self.launch_date != "fixVersions":
            raise invalid(
                f'launch_date = "{self.launch_date}" does not apply when releases = "versions"',
                "a version's release date is its launch date: remove launch_date",
            )
        if self.releases == "versions" and self.write_back is not None:
            raise invalid(
                'write_back needs releases = "issues"',
                "a fix version has no fields to write to: remove [write_back]",
            )
        return self
