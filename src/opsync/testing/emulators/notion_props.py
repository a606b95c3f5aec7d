"""Data source schemas and page property values, as the 2025-09-03 API shapes them.

A schema property is kept in its response form (`id`, `name`, `description`, `type` and
the type's configuration). Page values are kept by property id, in response form, so a
rename keeps them. Writes are checked the way the real API checks them: unknown names,
values of the wrong type and read-only types are 400 `validation_error`; a select or
multi-select name that is not an option creates it (notion-sdk-js#90, "select values can
now be dynamically created"), a status name must already exist (the API cannot change
status options, NOTES.md section 12).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote

from opsync.testing.emulators import notion_formula as formula
from opsync.testing.emulators.notion_errors import body_id, body_invalid, invalid, too_long
from opsync.testing.emulators.notion_rich import check_array, rich_text, utf16_len

READ_ONLY = frozenset(
    {
        "formula",
        "rollup",
        "created_time",
        "created_by",
        "last_edited_time",
        "last_edited_by",
        "unique_id",
    }
)
WRITABLE = frozenset(
    {
        "title", "rich_text", "number", "select", "multi_select", "status", "date", "people",
        "files", "checkbox", "url", "email", "phone_number", "relation",
    }
)  # fmt: skip
TYPES = READ_ONLY | WRITABLE
STRING_LIMITS = {"url": 2000, "email": 200, "phone_number": 200}
RELATION_SHOWN = 25

NewId = Callable[[], str]


@dataclass(frozen=True)
class PageFacts:
    """What a page's computed properties show: its stamps, its unique_id numbers, and the
    schema and the time its formulas are computed with."""

    created_time: str
    last_edited_time: str
    created_by: dict[str, Any]
    last_edited_by: dict[str, Any]
    unique: dict[str, int]
    now: datetime
    schema: dict[str, dict[str, Any]] = field(default_factory=dict)


def find(properties: dict[str, dict[str, Any]], key: str) -> dict[str, Any] | None:
    """A schema property by name or id (ids may arrive URL-encoded or decoded)."""
    if key in properties:
        return properties[key]
    for prop in properties.values():
        if key in (prop["id"], unquote(prop["id"])):
            return prop
    return None


def _type_of(spec: dict[str, Any]) -> str | None:
    kinds = [k for k in spec if k in TYPES]
    if isinstance(spec.get("type"), str):
        return str(spec["type"])
    return kinds[0] if len(kinds) == 1 else None


def check_option_name(name: Any) -> None:
    """Select and multi-select option names may not hold a comma, in a schema or a value.

    https://developers.notion.com/reference/property-object#select and
    https://developers.notion.com/reference/page-property-values#select: "Commas (",") are
    not valid for select values." The real answer is 400 `validation_error` "Invalid select
    option, commas not allowed: <name>" (egordm/notionsci#13, lolipopshock/notion-df#1).
    """
    if isinstance(name, str) and "," in name:
        raise invalid(f"Invalid select option, commas not allowed: {name}")


def _options(
    raw: Any, new_id: NewId, path: str, keep: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    out = []
    for i, option in enumerate(check_array(raw or [], path)):
        if not isinstance(option, dict) or not isinstance(option.get("name", ""), str):
            raise body_invalid(f"{path}[{i}]", "should be an option object", option)
        check_option_name(option.get("name"))
        known = next(
            (o for o in keep if o["id"] == option.get("id") or o["name"] == option.get("name")),
            None,
        )
        out.append(
            known
            or {
                "id": new_id(),
                "name": option["name"],
                "color": option.get("color", "default"),
                "description": option.get("description"),
            }
        )
    return out


def _status_config(new_id: NewId) -> dict[str, Any]:
    options = [
        {"id": new_id(), "name": name, "color": color, "description": None}
        for name, color in (("Not started", "default"), ("In progress", "blue"), ("Done", "green"))
    ]
    groups = [
        {"id": new_id(), "name": name, "color": color, "option_ids": [option["id"]]}
        for (name, color), option in zip(
            (("To-do", "gray"), ("In progress", "blue"), ("Complete", "green")),
            options,
            strict=True,
        )
    ]
    return {"options": options, "groups": groups}


def schema_property(
    name: str, spec: Any, prop_id: str, new_id: NewId, old: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A schema property from a create or update request, in response form."""
    path = f"body.properties.{name}"
    if not isinstance(spec, dict):
        raise body_invalid(path, "should be an object", spec)
    kind = _type_of(spec)
    if kind is None:
        if old is not None:
            return {**old, "name": spec.get("name", old["name"])}
        raise body_invalid(path, "should define exactly one property type", spec)
    if old is not None and old["type"] == "status" and (kind != "status" or spec.get("status")):
        raise invalid("Status properties and their options cannot be changed through the API.")
    config = dict(spec.get(kind) or {})
    if kind in {"select", "multi_select"}:
        keep = old[kind]["options"] if old is not None and old["type"] == kind else []
        config["options"] = _options(config.get("options"), new_id, f"{path}.{kind}.options", keep)
    if kind == "status":
        config = old["status"] if old is not None else _status_config(new_id)
    if kind == "number":
        config.setdefault("format", "number")
    if kind == "unique_id":
        config.setdefault("prefix", None)
    if kind == "formula":
        formula.parse(config.get("expression"), path)
        config = {"expression": config["expression"]}
    return {
        "id": "title" if kind == "title" else prop_id,
        "name": spec.get("name", name),
        "description": spec.get("description"),
        "type": kind,
        kind: config,
    }


def empty(kind: str) -> Any:
    if kind in {"title", "rich_text", "multi_select", "people", "files", "relation"}:
        return []
    return False if kind == "checkbox" else None


def _pick_option(prop: dict[str, Any], raw: Any, path: str, new_id: NewId | None) -> dict[str, Any]:
    """The chosen option; `new_id` is given where an unknown name may create one."""
    kind = prop["type"]
    options: list[dict[str, Any]] = prop[kind]["options"]
    if not isinstance(raw, dict) or not ({"name", "id"} & raw.keys()):
        raise body_invalid(path, "should be an object with a name or an id", raw)
    if kind != "status":
        check_option_name(raw.get("name"))
    for option in options:
        if option["id"] == raw.get("id") or option["name"] == raw.get("name"):
            return {"id": option["id"], "name": option["name"], "color": option["color"]}
    if "name" not in raw or new_id is None:
        shown = raw.get("name", raw.get("id"))
        raise invalid(f'{prop["id"]} is an invalid {kind} option "{shown}".')
    added = {"id": new_id(), "name": raw["name"], "color": raw.get("color", "default")}
    options.append({**added, "description": None})
    return added


def _date(raw: Any, path: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("start"), str):
        raise body_invalid(f"{path}.start", "should be a string", raw)
    return {
        "start": normal_when(raw["start"], f"{path}.start"),
        "end": None if raw.get("end") is None else normal_when(raw["end"], f"{path}.end"),
        "time_zone": raw.get("time_zone"),
    }


def normal_when(value: str, path: str) -> str:
    """A date stays a date; a date-time comes back with milliseconds and an offset."""
    try:
        if len(value) == 10:
            return date.fromisoformat(value).isoformat()
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise body_invalid(path, "should be a valid ISO 8601 date string", value) from None
    return when.isoformat(timespec="milliseconds")


def coerce(prop: dict[str, Any], raw: Any, path: str, new_id: NewId) -> Any:
    """A request value for `prop` in stored (response) form, or a 400 like the real API's."""
    kind = prop["type"]
    if kind in READ_ONLY:
        raise invalid(f"{prop['name']} is a {kind} property and cannot be set through the API.")
    if not isinstance(raw, dict):
        raise body_invalid(path, "should be an object", raw)
    if kind not in raw:
        raise invalid(f"{prop['name']} is expected to be {kind}.")
    value = raw[kind]
    where = f"{path}.{kind}"
    if kind in {"title", "rich_text"}:
        return rich_text(value, where)
    if kind == "number":
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise body_invalid(where, "should be a number or `null`", value)
        return value
    if kind in {"select", "status"}:
        return (
            None
            if value is None
            else _pick_option(prop, value, where, new_id if kind == "select" else None)
        )
    if kind == "multi_select":
        items = check_array(value, where)
        return [_pick_option(prop, v, f"{where}[{i}]", new_id) for i, v in enumerate(items)]
    if kind == "date":
        return _date(value, where)
    if kind in {"people", "relation"}:
        items = check_array(value, where)
        ids = [
            body_id(v.get("id") if isinstance(v, dict) else v, f"{where}[{i}].id")
            for i, v in enumerate(items)
        ]
        return (
            [{"object": "user", "id": i} for i in ids]
            if kind == "people"
            else [{"id": i} for i in ids]
        )
    if kind == "checkbox":
        if not isinstance(value, bool):
            raise body_invalid(where, "should be a boolean", value)
        return value
    if kind == "files":
        return check_array(value, where)
    if value is not None and not isinstance(value, str):
        raise body_invalid(where, "should be a string or `null`", value)
    if value is not None and utf16_len(value) > STRING_LIMITS[kind]:  # UTF-16, as text items
        raise too_long(where, STRING_LIMITS[kind], utf16_len(value))
    return value


def value(prop: dict[str, Any], stored: dict[str, Any], facts: PageFacts) -> Any:
    """The full value of one property of a page (computed types included)."""
    kind = prop["type"]
    computed: dict[str, Any] = {
        "created_time": facts.created_time,
        "last_edited_time": facts.last_edited_time,
        "created_by": facts.created_by,
        "last_edited_by": facts.last_edited_by,
    }
    if kind in computed:
        return computed[kind]
    if kind == "unique_id":
        return {"prefix": prop["unique_id"].get("prefix"), "number": facts.unique.get(prop["id"])}
    if kind == "formula":
        return formula.evaluate(prop["formula"]["expression"], facts.schema, stored, facts.now)
    if kind == "rollup":
        return {
            "type": "array",
            "array": [],
            "function": prop["rollup"].get("function", "show_original"),
        }
    return stored.get(prop["id"], empty(kind))


def render(prop: dict[str, Any], stored: dict[str, Any], facts: PageFacts) -> dict[str, Any]:
    """A property as a page object shows it; long relations are cut with `has_more`."""
    kind = prop["type"]
    shown = value(prop, stored, facts)
    out: dict[str, Any] = {"id": prop["id"], "type": kind, kind: shown}
    if kind == "relation":
        out["relation"] = shown[:RELATION_SHOWN]
        out["has_more"] = len(shown) > RELATION_SHOWN
    return out
