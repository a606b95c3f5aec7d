"""The Jira emulator's writes: edit an issue, its remote links, custom fields, edit metadata.

Each follows Atlassian's published operation (SPEC-J, the vendored ``jira_openapi.json``
validates the requests first), not opsync's client:

- ``PUT /issue/{key}`` (editIssue): 204 with no body; 400 with an ErrorCollection whose
  ``errors`` name each field that cannot be set (not on the edit screen or unknown, an
  option that is not one of the select's, a date that is not ``yyyy-MM-dd``, a string sent
  to a paragraph field on v3, which takes ADF only); 404 for an unknown issue. It moves the
  issue's ``updated``. ``notifyUsers=false`` is kept for tests to read (Jira ignores it for
  an account without the permission, the spec says).
- ``GET /issue/{key}/remotelink`` (getRemoteIssueLinks): every link, or with ``globalId``
  the one link (404 when there is none); ``POST`` (createOrUpdateRemoteIssueLink): a link
  whose ``globalId`` the issue has already is updated, fields absent from the request set
  to null (200), otherwise created (201); both answer ``{id, self}``.
- ``POST /field`` (createCustomField): 201 with the field; 400 for an account without
  *Administer Jira* (the spec's documented answer) or a type the emulator does not serve.
- ``GET /issue/{key}/editmeta`` (getEditIssueMeta): the fields on the edit screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from opsync.testing.emulators.jira_faults import JiraError
from opsync.testing.emulators.jira_model import (
    KIND_OF_TYPE,
    SITE,
    SYSTEM_FIELDS,
    Issue,
    Json,
    custom_field,
)

if TYPE_CHECKING:
    from opsync.testing.emulators.jira_http import App, Call

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NOT_FOUND = "Issue does not exist or you do not have permission to see it."


@dataclass(frozen=True)
class Answer:
    """A handler's answer with a status other than 200 (201 created, 204 no content)."""

    status: int
    body: Any = None


def _issue(call: Call) -> Issue:
    try:
        return call.world.by_key(call.params["issueIdOrKey"])
    except KeyError:
        raise JiraError(404, (NOT_FOUND,)) from None


def _editable(call: Call) -> list[str]:
    world = call.world
    every = [f for f in SYSTEM_FIELDS if f not in ("created", "updated", "project")]
    every += list(world.custom)
    return [f for f in every if world.screen is None or f in world.screen]


def edit_issue(app: App, call: Call) -> Answer:
    issue = _issue(call)
    fields = call.body.get("fields") or {}
    if not isinstance(fields, dict):
        raise JiraError(400, ("Can not deserialize the fields of the request.",))
    editable = set(_editable(call))
    errors: dict[str, str] = {}
    values: Json = {}
    for field_id, value in fields.items():
        if field_id not in editable:
            errors[field_id] = (
                f"Field '{field_id}' cannot be set. It is not on the appropriate screen, or "
                "unknown."
            )
            continue
        try:
            values[field_id] = _value(call, field_id, value)
        except ValueError as error:
            errors[field_id] = str(error)
    if errors:
        raise JiraError(400, (), errors)
    notify = next(iter(call.query.get("notifyUsers") or []), None)
    call.world.edits.append((issue.key, dict(fields), notify))
    call.world.update_issue(issue.key, **values)
    return Answer(204)


def _value(call: Call, field_id: str, value: Any) -> Any:
    """The stored value of ``value`` sent to ``field_id``, or ValueError with Jira's words."""
    world = call.world
    if field_id not in world.custom:
        return value
    kind = world.custom[field_id][1]
    if value is None:
        return None
    if kind == "select":
        chosen = value.get("value") if isinstance(value, dict) else None
        if chosen is None and isinstance(value, dict) and "id" in value:
            raise ValueError(f"Option id '{value['id']}' is not valid")
        options = world.options.get(field_id)
        if not isinstance(chosen, str) or (options is not None and chosen not in options):
            raise ValueError(f"Option value '{chosen}' is not valid")
        return chosen
    if kind == "date":
        if not isinstance(value, str) or not _DATE.match(value):
            raise ValueError(f"Error parsing date string: {value}")
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"Error parsing date string: {value}") from None
        return value
    if kind == "textarea" and call.version == "3":
        if not (isinstance(value, dict) and value.get("type") == "doc"):
            raise ValueError(
                "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
            )
        return "\n".join(
            "".join(t.get("text", "") for t in p.get("content") or []) for p in value["content"]
        )
    if kind in ("text", "url", "textarea"):
        if not isinstance(value, str):
            raise ValueError("Operation value must be a string")
        if kind == "url" and value and not re.match(r"^[a-z][a-z0-9+.-]*://", value):
            raise ValueError(f"Not a valid URL: {value}")
        return value
    return value


def _link_out(issue: Issue, link: Json) -> Json:
    return {**link, "self": f"{SITE}/rest/api/3/issue/{issue.key}/remotelink/{link['id']}"}


def remote_links(app: App, call: Call) -> Any:
    issue = _issue(call)
    links = call.world.remote_links.get(issue.id, [])
    wanted = next(iter(call.query.get("globalId") or []), None)
    if wanted is None:
        return [_link_out(issue, link) for link in links]
    found = next((link for link in links if link.get("globalId") == wanted), None)
    if found is None:
        raise JiraError(404, (f"No remote link with globalId '{wanted}' found.",))
    return _link_out(issue, found)


def save_remote_link(app: App, call: Call) -> Answer:
    issue = _issue(call)
    links = call.world.remote_links.setdefault(issue.id, [])
    keys = ("globalId", "application", "relationship", "object")
    body = {k: call.body.get(k) for k in keys}
    global_id = body["globalId"]
    found = next((x for x in links if global_id and x.get("globalId") == global_id), None)
    if found is not None:  # fields without values in the request are set to null
        found.update(body)
        status = 200
    else:
        found = {"id": call.world.next_id(), **body}
        links.append(found)
        status = 201
    out = _link_out(issue, found)
    return Answer(status, {"id": out["id"], "self": out["self"]})


def create_field(app: App, call: Call) -> Answer:
    world = call.world
    if not world.admin:
        raise JiraError(400, ("Only Jira administrators can create custom fields.",))
    kind = KIND_OF_TYPE.get(str(call.body.get("type") or ""))
    if kind is None:
        raise JiraError(400, (), {"type": "The custom field type is not valid."})
    name = str(call.body.get("name") or "").strip()
    if not name:
        raise JiraError(400, (), {"name": "The custom field name is required."})
    field_id = world.add_field(name, kind)
    return Answer(201, custom_field(field_id, name, kind))


def edit_meta(app: App, call: Call) -> Json:
    _issue(call)
    world = call.world
    every = {str(f["id"]): f for f in world.field_list()}
    out: Json = {}
    for field_id in _editable(call):
        known = every[field_id]
        meta: Json = {
            "key": field_id,
            "name": known["name"],
            "operations": ["set"],
            "required": field_id == "summary",
            "schema": known["schema"],
        }
        if field_id in world.options:
            meta["allowedValues"] = [
                {"value": v, "id": str(n + 1)} for n, v in enumerate(world.options[field_id])
            ]
        out[field_id] = meta
    return {"fields": out}
