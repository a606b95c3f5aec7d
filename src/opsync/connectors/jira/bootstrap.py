"""``opsync bootstrap jira``: the custom fields write-back needs, created where the token may.

For each write-back field: one the config already names and Jira has is found; else a custom
field of the right type with opsync's name is found (a rerun creates nothing); else it is
created (``POST /field``, which needs *Administer Jira*). Where Jira refuses (the spec's 400
for an account without the permission, or 403), the field is reported with what to create
by hand, and the config block names it as a line to fill in. The block to paste is the
``[connectors.<name>.write_back]`` table. New fields must then be added to the project's
edit screen (``opsync doctor`` checks it), which the REST API leaves to an administrator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opsync.connectors.jira.client import JiraApi
from opsync.connectors.jira.config import JiraConnectorConfig
from opsync.errors import AuthError, ConnectorError, PermanentError

_TYPES = "com.atlassian.jira.plugin.system.customfieldtypes:"


@dataclass(frozen=True)
class Wanted:
    name: str  # the field's name in Jira
    type: str  # createCustomField's type, without the prefix
    searcher: str
    shown: str  # the type as Jira's admin screen names it
    description: str


FIELDS: dict[str, Wanted] = {
    "enablement_status": Wanted(
        "Enablement status (opsync)",
        "textfield",
        "textsearcher",
        "Short text",
        "The release's enablement status, written by opsync; edit the bundle, not this.",
    ),
    "next_deadline": Wanted(
        "Next enablement deadline (opsync)",
        "datepicker",
        "daterange",
        "Date picker",
        "The next enablement deadline of the release, written by opsync.",
    ),
    "bundle_link": Wanted(
        "Enablement bundle (opsync)",
        "url",
        "exacttextsearcher",
        "URL",
        "The release's enablement bundle page, written by opsync.",
    ),
}


@dataclass
class Bootstrap:
    created: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def bootstrap(api: JiraApi, config: JiraConnectorConfig, name: str) -> tuple[Bootstrap, str]:
    """Find or create each write-back field; returns what was done and the block to paste."""
    result = Bootstrap()
    known: dict[str, Any] = {str(f.get("id")): f for f in api.get("field") or []}
    configured = config.write_back.fields() if config.write_back is not None else {}
    lines = [f"[connectors.{name}.write_back]"]
    for key, wanted in FIELDS.items():
        field_id = _find(known, configured.get(key), wanted)
        if field_id is not None:
            result.found.append(f'{key}: {field_id} ("{known[field_id].get("name")}")')
            lines.append(f'{key} = "{field_id}"')
            continue
        body = {
            "name": wanted.name,
            "type": _TYPES + wanted.type,
            "searcherKey": _TYPES + wanted.searcher,
            "description": wanted.description,
        }
        try:
            made = api.post("field", body, record=key) or {}
        except (AuthError, PermanentError) as exc:
            result.problems.append(
                f"{key}: Jira did not let this account create the field ({exc}). Ask a Jira "
                f'administrator to create a custom field "{wanted.name}" of type '
                f"{wanted.shown} (Settings → Issues → Custom fields → Create custom field), "
                "then put its id in the line below"
            )
            lines.append(f'# {key} = "customfield_<id of the {wanted.shown} field>"')
            continue
        except ConnectorError as exc:
            result.problems.append(f"{key}: {exc}")
            lines.append(f'# {key} = "customfield_<id of the {wanted.shown} field>"')
            continue
        field_id = str(made.get("id"))
        known[field_id] = made
        result.created.append(f'{key}: {field_id} ("{wanted.name}", {wanted.shown})')
        lines.append(f'{key} = "{field_id}"')
    lines.append("remote_link = true  # a remote link to the bundle page on each issue")
    block = (
        f"# Add these fields to the edit screen of project {config.project}\n"
        "# (Project settings → Issue types → the release type → Fields),\n"
        "# then run `opsync doctor`.\n" + "\n".join(lines) + "\n"
    )
    return result, block


def _find(known: dict[str, Any], configured: str | None, wanted: Wanted) -> str | None:
    """The field the config names when Jira has it, else one with opsync's name and type."""
    if configured is not None and configured in known:
        return configured
    for field_id, found in known.items():
        custom = str((found.get("schema") or {}).get("custom") or "")
        if found.get("name") == wanted.name and custom == _TYPES + wanted.type:
            return field_id
    return None
