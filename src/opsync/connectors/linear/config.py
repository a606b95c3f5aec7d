"""``[connectors.<name>]`` with ``type = "linear"``: which Linear items are releases and
how their labels and people map.

A release is a project of the team (``releases = "projects"``, optionally only projects
with ``label``) or an issue of the team carrying ``label`` (``releases = "issues"``). Linear
has no custom fields: tier and product area come from labels, either a label group
(``group = "Tier"``: the child label ``Tier 2``, or ``2``) or a name prefix
(``prefix = "area-"``: ``area-billing``), with ``values`` mapping label text to domain
values where they differ; the tier may also come from the issue's ``priority``. The PM is
the project's lead or the issue's assignee by default, matched to ``[org.people]`` by
e-mail; the eng lead comes from a label prefix (or a person field). The key is read from
the environment or a file, never the config.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from opsync.config_problems import invalid
from opsync.connectors.config import TokenConnectorConfig

DEFAULT_TOKEN_ENV = "LINEAR_API_KEY"
BASE_URL_ENV = "OPSYNC_LINEAR_BASE_URL"
DEFAULT_BASE_URL = "https://api.linear.app"
MAPPED = ("tier", "product_area", "pm", "eng_lead")
#: Item fields a release field may be read from instead of labels.
PERSON_FIELDS = ("lead", "assignee", "creator")
_FIELDS = {
    "tier": ("priority",),
    "product_area": (),
    "pm": PERSON_FIELDS,
    "eng_lead": PERSON_FIELDS,
}


class LabelMap(BaseModel):
    """Where one release field is read from: a label group, a label prefix, or a field.

    Exactly one of ``group`` (the parent label whose child is the value), ``prefix`` (the
    text before the value in a label's name) and ``field`` (``lead``, ``assignee``,
    ``creator`` for people; ``priority`` for the tier) is set. ``values`` maps label text
    (after the prefix), a person's e-mail, or a priority number to the domain value where
    they differ; otherwise values are matched by domain key or name, case-insensitively.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    group: str | None = Field(None, description="A label group: its child label is the value.")
    prefix: str | None = Field(None, description="A label name prefix that marks the value.")
    field: str | None = Field(
        None, description="lead, assignee or creator (people); priority (tier)."
    )
    values: dict[str, str] = Field(
        default_factory=dict, description="Linear value → domain value, where they differ."
    )

    @model_validator(mode="after")
    def _one_source(self) -> LabelMap:
        given = [k for k in ("group", "prefix", "field") if getattr(self, k)]
        if len(given) != 1:
            raise invalid(
                "a mapping needs exactly one of group, prefix and field",
                'e.g. { group = "Tier" }, { prefix = "area-" } or { field = "assignee" }',
            )
        return self


class LinearWriteBack(BaseModel):
    """``[connectors.<name>.write_back]``: what opsync writes onto each release issue.

    The enablement status is a label of the group ``label_group`` (one label per status,
    named as the status: ``drafting``, ``late``...); the bundle page is an
    attachment titled "Enablement bundle" whose subtitle is the status. Only opsync's label
    of that group is changed; a person's change to it is a conflict (docs/linear.md).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    status_labels: bool = Field(
        True, description="Set the enablement status as a label of label_group."
    )
    label_group: str = Field(
        "Enablement", description="The label group holding one label per enablement status."
    )
    create_labels: bool = Field(
        True,
        description="Create the group and its labels in the team when missing; false: "
        "doctor names the missing ones.",
    )
    bundle_attachment: bool = Field(
        True, description="Attach the bundle page to the issue (one attachment per URL)."
    )

    @field_validator("label_group")
    @classmethod
    def _group_name(cls, value: str) -> str:
        if not value.strip():
            raise invalid("label_group is empty", 'name the label group, e.g. "Enablement"')
        return value.strip()

    def names(self) -> frozenset[str]:
        """What is written back (``connectors.base.WRITE_BACK`` names)."""
        return frozenset(
            ({"enablement_status"} if self.status_labels else set())
            | ({"bundle_page"} if self.bundle_attachment else set())
        )


class LinearConnectorConfig(TokenConnectorConfig):
    """``[connectors.<name>]`` with ``type = "linear"``."""

    type: Literal["linear"] = Field("linear", description="Linear (GraphQL API).")
    base_url: str = Field(
        DEFAULT_BASE_URL,
        description="API root (https://api.linear.app); OPSYNC_LINEAR_BASE_URL overrides.",
    )
    auth: Literal["api_key", "oauth"] = Field(
        "api_key",
        description="api_key: a personal API key, sent as is; oauth: a token, sent as Bearer.",
    )
    team: str = Field(description="Key of the team the releases belong to, e.g. ACME.")
    releases: Literal["projects", "issues"] = Field(
        "projects",
        description="projects: one project of the team per release; issues: issues with label.",
    )
    label: str | None = Field(
        None,
        description="issues: the label that marks a release issue; projects: only projects "
        "with this label (optional).",
    )
    fields: dict[str, LabelMap] = Field(
        default_factory=dict, description="tier, product_area, pm, eng_lead → where they are."
    )
    people: dict[str, str] = Field(
        default_factory=dict, description="Person key → Linear e-mail, where they differ."
    )
    overlap_minutes: int = Field(
        10, ge=1, description="Re-read items updated this long before the cursor."
    )
    full_pass_hours: float = Field(
        24.0, gt=0, description="How often an id-only pass looks for removed items."
    )
    page_size: int = Field(
        50, ge=1, le=100, description="Items asked for per page (at most 100: complexity)."
    )
    write_back: LinearWriteBack | None = Field(
        None, description="What opsync writes onto each release issue; absent: nothing."
    )
    requests_per_second: float = Field(2.0, gt=0, description="Pace of requests.")
    timeout_seconds: float = Field(30.0, gt=0, description="Per-request timeout.")

    def identity(self) -> dict[str, str]:
        """The team and the release mode: release keys are issue identifiers or project
        slug ids, so remapping labels or moving the API root moves no record."""
        return {"type": self.type, "team": self.team, "releases": self.releases}

    @field_validator("team")
    @classmethod
    def _team_key(cls, value: str) -> str:
        if not value.strip() or value != value.strip():
            raise invalid(f'"{value}" is not a Linear team key', "use the key, e.g. ENG")
        return value

    @field_validator("fields")
    @classmethod
    def _known(cls, value: dict[str, LabelMap]) -> dict[str, LabelMap]:
        for name, mapping in value.items():
            if name not in MAPPED:
                raise invalid(f'"{name}" is not a release field opsync maps', f"use {MAPPED}")
            if mapping.field is not None and mapping.field not in _FIELDS[name]:
                allowed = ", ".join(_FIELDS[name]) or "no field (use group or prefix)"
                raise invalid(f'{name} cannot come from field "{mapping.field}"', f"use {allowed}")
        return value

    @model_validator(mode="after")
    def _label_needed(self) -> LinearConnectorConfig:
        if self.releases == "issues" and not self.label:
            raise invalid(
                'releases = "issues" needs the label that marks a release issue',
                'set label = "Release" (the label your release issues carry)',
            )
        if self.releases == "projects" and self.write_back is not None:
            raise invalid(
                'write_back needs releases = "issues"',
                "Linear attaches links to issues only (attachmentCreate takes an issue): "
                "remove [write_back] or read releases from labelled issues",
            )
        return self

    def person_field(self, name: str) -> str:
        """Where ``pm`` (by default the project lead or the issue assignee) is read."""
        mapping = self.fields.get(name)
        if mapping is not None:
            return mapping.field or ""
        if name == "pm":
            return "lead" if self.releases == "projects" else "assignee"
        return ""
