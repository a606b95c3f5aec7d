"""Notion page property values as Python values, and Python values as property payloads.

No I/O and no knowledge of opsync's fields: that is ``mapping.py``'s job. Two traps decide the
shapes here:

- A date-only value (``"2026-12-10"``) is a calendar date and stays a ``datetime.date``. Read
  as midnight it would shift to the previous day in any zone west of UTC (LESSONS.md 16). A
  value with a time is an aware ``datetime``; a range keeps both ends.
- Notion adds property types over time. One that is unknown here, or a value that cannot be
  read, becomes an :class:`Unknown` marker for the caller to report, never an exception that
  would stop a whole read.

Parsing accepts response bodies and request bodies alike (a select as ``{"name": …}``, rich
text without ``plain_text``), so a payload can be read back as Notion will store it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opsync.connectors.notion.chunks import MAX_ARRAY, split_rich_text, utf16_len

# Computed by Notion; sending one is refused (NOTES.md 12).
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
        "title",
        "rich_text",
        "number",
        "select",
        "multi_select",
        "status",
        "date",
        "checkbox",
        "url",
        "email",
        "phone_number",
        "people",
        "relation",
    }
)
# Request limits on one property write (NOTES.md 4).
_MAX_LENGTH = {"url": 2000, "email": 200, "phone_number": 200}
_META = ("id", "type", "name", "has_more", "object", "description")


@dataclass(frozen=True)
class DateRange:
    start: date | datetime
    end: date | datetime


@dataclass(frozen=True)
class User:
    id: str
    name: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Relation:
    """Related page ids; ``has_more`` when Notion truncated the list (page through
    ``pages.properties.retrieve`` for the rest)."""

    ids: tuple[str, ...]
    has_more: bool = False


@dataclass(frozen=True)
class FileRef:
    name: str
    url: str | None


@dataclass(frozen=True)
class Unknown:
    """A value this module cannot read: report it, and leave the property alone."""

    type: str
    raw: Any
    reason: str = "unknown property type"


PropertyValue: TypeAlias = (
    str
    | int
    | float
    | bool
    | date
    | datetime
    | DateRange
    | User
    | Relation
    | FileRef
    | Unknown
    | tuple["PropertyValue", ...]
    | None
)


class PropertyWriteError(ValueError):
    """A value that cannot be written to a property of that type; the message says why."""


def property_type(prop: Mapping[str, Any]) -> str:
    """The type of a property value or schema entry, also for request bodies without one."""
    declared = prop.get("type")
    if isinstance(declared, str):
        return declared
    return next((k for k in prop if k not in _META), "")


def plain_text(runs: Sequence[Mapping[str, Any]] | None) -> str:
    """The text of a rich-text array, from ``plain_text`` or, in a request, ``text.content``."""
    parts = []
    for run in runs or ():
        text = run.get("plain_text")
        if text is None:
            text = (run.get("text") or {}).get("content", "")
        parts.append(str(text))
    return "".join(parts)


def parse_when(text: str, time_zone: str | None = None) -> date | datetime:
    """``YYYY-MM-DD`` as a date; anything with a time as an aware datetime (a value without
    offset is in ``time_zone``, else UTC)."""
    if "T" not in text:
        return date.fromisoformat(text)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        try:
            zone: Any = ZoneInfo(time_zone) if time_zone else UTC
        except (ZoneInfoNotFoundError, ValueError):
            zone = UTC
        moment = moment.replace(tzinfo=zone)
    return moment


def _date(value: Mapping[str, Any] | None) -> date | datetime | DateRange | None:
    if not value or not value.get("start"):
        return None
    zone = value.get("time_zone")
    start = parse_when(value["start"], zone)
    if value.get("end"):
        return DateRange(start, parse_when(value["end"], zone))
    return start


def _user(value: Mapping[str, Any]) -> User:
    person = value.get("person") or {}
    return User(id=str(value["id"]), name=value.get("name"), email=person.get("email"))


def _option(value: Mapping[str, Any] | None) -> str | None:
    return None if not value else str(value["name"])


def _formula(value: Mapping[str, Any]) -> PropertyValue:
    kind = value["type"]
    if kind == "date":
        return _date(value["date"])
    if kind in ("string", "number", "boolean"):
        return value[kind]  # type: ignore[no-any-return]
    return Unknown(f"formula:{kind}", value)


def _rollup(value: Mapping[str, Any]) -> PropertyValue:
    kind = value["type"]
    if kind == "number":
        return value["number"]  # type: ignore[no-any-return]
    if kind == "date":
        return _date(value["date"])
    if kind == "array":
        return tuple(parse_value(item) for item in value["array"])
    return Unknown(f"rollup:{kind}", value)


def _unique_id(value: Mapping[str, Any]) -> str | None:
    number = value.get("number")
    if number is None:
        return None
    prefix = value.get("prefix")
    return f"{prefix}-{number}" if prefix else str(number)


def _file(value: Mapping[str, Any]) -> FileRef:
    kind = value.get("type", "external")
    return FileRef(name=str(value.get("name", "")), url=(value.get(kind) or {}).get("url"))


_PARSERS: dict[str, Any] = {
    "title": plain_text,
    "rich_text": plain_text,
    "number": lambda v: v,
    "select": _option,
    "status": _option,
    "multi_select": lambda v: tuple(str(o["name"]) for o in v or ()),
    "date": _date,
    "people": lambda v: tuple(_user(u) for u in v or ()),
    "checkbox": bool,
    "url": lambda v: v,
    "email": lambda v: v,
    "phone_number": lambda v: v,
    "formula": _formula,
    "rollup": _rollup,
    "created_time": lambda v: parse_when(v),
    "last_edited_time": lambda v: parse_when(v),
    "created_by": _user,
    "last_edited_by": _user,
    "unique_id": _unique_id,
    "files": lambda v: tuple(_file(f) for f in v or ()),
}


def parse_value(prop: Mapping[str, Any]) -> PropertyValue:
    """The Python value of one property value object (``{"type": …, <type>: …}``)."""
    kind = property_type(prop)
    if kind == "relation":
        ids = tuple(str(r["id"]) for r in prop.get("relation") or ())
        return Relation(ids, bool(prop.get("has_more")))
    parser = _PARSERS.get(kind)
    if parser is None:
        return Unknown(kind, prop.get(kind))
    try:
        return parser(prop.get(kind))  # type: ignore[no-any-return]
    except (KeyError, TypeError, ValueError, AttributeError):
        return Unknown(kind, prop.get(kind), "unreadable value")


def parse_properties(page: Mapping[str, Any]) -> dict[str, PropertyValue]:
    """Every property of a page (or of a request body's ``properties``), by name."""
    props = page.get("properties", page)
    return {name: parse_value(prop) for name, prop in props.items()}


def _text(kind: str, value: Any) -> list[dict[str, Any]]:
    if value is None or value == "":
        return []
    if not isinstance(value, str):
        raise PropertyWriteError(f"a {kind} property takes text, not {type(value).__name__}")
    runs = split_rich_text([{"type": "text", "text": {"content": value}}])
    if len(runs) > MAX_ARRAY:
        raise PropertyWriteError(f"text too long for one {kind} property ({len(value)} chars)")
    return runs


def _names(kind: str, value: Any) -> list[str]:
    names = [value] if isinstance(value, str) else list(value or ())
    for name in names:
        if not isinstance(name, str) or not name:
            raise PropertyWriteError(f"a {kind} option is a non-empty name, not {name!r}")
        if "," in name:
            raise PropertyWriteError(f"Notion option names cannot hold commas: {name!r}")
    if len(names) > MAX_ARRAY:
        raise PropertyWriteError(f"{len(names)} values; one write takes at most {MAX_ARRAY}")
    return names


def format_when(value: date | datetime | str) -> str:
    """A date as ``YYYY-MM-DD``, a datetime as ISO 8601 with its offset (none: refused)."""
    if isinstance(value, str):
        value = parse_when(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise PropertyWriteError(f"{value} has no UTC offset; Notion would read it as UTC")
        return value.isoformat()
    return value.isoformat()


def _date_body(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, DateRange):
        return {"start": format_when(value.start), "end": format_when(value.end)}
    if not isinstance(value, date | str):
        raise PropertyWriteError(f"a date property takes a date, not {type(value).__name__}")
    try:
        return {"start": format_when(value)}
    except ValueError as exc:
        raise PropertyWriteError(f"{value!r} is not a date: {exc}") from None


def _number(value: Any) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PropertyWriteError(f"a number property takes a finite number, not {value!r}")
    return value


def _string(kind: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PropertyWriteError(f"a {kind} property takes text, not {type(value).__name__}")
    if utf16_len(value) > _MAX_LENGTH[kind]:  # counted as Notion counts: UTF-16 units
        raise PropertyWriteError(f"{kind} longer than {_MAX_LENGTH[kind]} characters")
    return value


def _ids(kind: str, value: Any) -> list[str]:
    ids = [value] if isinstance(value, str | User) else list(value or ())
    out = [v.id if isinstance(v, User) else v for v in ids]
    if not all(isinstance(v, str) and v for v in out) or len(out) > MAX_ARRAY:
        raise PropertyWriteError(f"a {kind} property takes up to {MAX_ARRAY} ids, not {value!r}")
    return out


def build_value(kind: str, value: Any) -> dict[str, Any]:
    """The request body of one property of type ``kind`` set to ``value``
    (``{kind: …}``); ``None`` clears it. Raises :class:`PropertyWriteError`."""
    if kind in READ_ONLY:
        raise PropertyWriteError(f"{kind} properties are read-only; Notion computes them")
    if kind not in WRITABLE:
        raise PropertyWriteError(f"opsync does not write {kind or 'untyped'} properties")
    body: Any
    if kind in ("title", "rich_text"):
        body = _text(kind, value)
    elif kind == "number":
        body = _number(value)
    elif kind in ("select", "status"):
        names = _names(kind, value)
        if len(names) > 1:
            raise PropertyWriteError(f"a {kind} property holds one option, not {value!r}")
        body = {"name": names[0]} if names else None
    elif kind == "multi_select":
        body = [{"name": name} for name in _names(kind, value)]
    elif kind == "date":
        body = _date_body(value)
    elif kind == "checkbox":  # no empty state: unknown is unchecked
        if value is not None and not isinstance(value, bool):
            raise PropertyWriteError(f"a checkbox takes true or false, not {value!r}")
        body = bool(value)
    elif kind in _MAX_LENGTH:
        body = _string(kind, value)
    elif kind == "people":
        body = [{"object": "user", "id": i} for i in _ids(kind, value)]
    else:  # relation
        body = [{"id": i} for i in _ids(kind, value)]
    return {kind: body}
