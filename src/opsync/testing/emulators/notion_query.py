"""Data source query semantics: filters, sorts and cursor pagination.

Covers what opsync sends (NOTES.md sections 8, 9 and 13): the `last_edited_time`
timestamp filter, property conditions on text, select, status, multi-select, number,
checkbox, date, people, relation and formula (by the type it computes,
``notion_formula.py``), compound `and`/`or` nested at most two levels, sorts
by property or timestamp, and `page_size` at most 100 with `start_cursor`. Timestamps are
compared as stored, minute-rounded, which is why a strict `after` misses a same-minute edit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from opsync.testing.emulators import notion_formula as formula
from opsync.testing.emulators import notion_props as props
from opsync.testing.emulators.notion_errors import body_invalid, invalid
from opsync.testing.emulators.notion_rich import plain_text

T = TypeVar("T")
MAX_PAGE_SIZE = 100
MAX_FILTER_DEPTH = 2
TEXT = frozenset({"title", "rich_text", "url", "email", "phone_number"})
PEOPLE = frozenset({"people", "relation", "created_by", "last_edited_by"})
DATES = frozenset({"date", "created_time", "last_edited_time"})
NUMBERS = frozenset({"number", "unique_id"})


@dataclass(frozen=True)
class Row:
    """One page as a filter sees it: full values by property id and its rounded stamps."""

    values: dict[str, Any]
    created: datetime
    edited: datetime


def page_size(raw: Any, where: str) -> int:
    if raw is None:
        return MAX_PAGE_SIZE
    if isinstance(raw, str) and raw.isdigit():
        raw = int(raw)
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 1:
        raise body_invalid(f"{where}.page_size", "should be a positive integer", raw)
    if raw > MAX_PAGE_SIZE:
        raise invalid(
            f"body failed validation: {where}.page_size should be ≤ `{MAX_PAGE_SIZE}`, "
            f"instead was `{raw}`."
        )
    return raw


def paginate(
    items: Sequence[T], cursor: Any, size: int, key: Callable[[T], str]
) -> tuple[list[T], str | None]:
    """One page of `items` from the cursor on; the cursor is the next item's id, as recorded."""
    start = 0
    if cursor is not None:
        keys = [key(item) for item in items]
        if cursor not in keys:
            raise invalid(f"The start_cursor provided is invalid: {cursor}")
        start = keys.index(cursor)
    chunk = list(items[start : start + size])
    more = start + size < len(items)
    return chunk, key(items[start + size]) if more else None


def first(query: dict[str, list[str]], key: str) -> str | None:
    """The first value of a query-string parameter, if given."""
    values = query.get(key)
    return values[0] if values else None


def listing(results: list[dict[str, Any]], next_cursor: str | None, kind: str) -> dict[str, Any]:
    return {
        "object": "list",
        "results": results,
        "next_cursor": next_cursor,
        "has_more": next_cursor is not None,
        "type": kind,
        kind: {},
    }


def matches(flt: Any, schema: dict[str, dict[str, Any]], row: Row, depth: int = 0) -> bool:
    if not isinstance(flt, dict):
        raise body_invalid("body.filter", "should be an object", flt)
    for compound in ("and", "or"):
        if compound in flt:
            if depth >= MAX_FILTER_DEPTH:
                raise invalid(
                    "body failed validation: body.filter nests compound filters over 2 levels deep."
                )
            parts = [matches(part, schema, row, depth + 1) for part in flt[compound]]
            return all(parts) if compound == "and" else any(parts)
    if "timestamp" in flt:
        stamp = flt["timestamp"]
        if stamp not in ("created_time", "last_edited_time") or not isinstance(
            flt.get(stamp), dict
        ):
            raise body_invalid(
                "body.filter.timestamp", "should be created_time or last_edited_time", stamp
            )
        when = row.created if stamp == "created_time" else row.edited
        return _date_condition(flt[stamp], when)
    key = flt.get("property")
    prop = props.find(schema, key) if isinstance(key, str) else None
    if prop is None:
        raise invalid(f"Could not find property with name or id: {key}")
    kind = prop["type"]
    if kind not in flt or not isinstance(flt[kind], dict):
        raise invalid(
            f"body failed validation: body.filter.{kind} should be defined for property {key}."
        )
    if kind == "formula":
        return _formula_condition(prop, flt[kind], row.values.get(prop["id"]))
    return _condition(kind, flt[kind], row.values.get(prop["id"]))


def _formula_condition(prop: dict[str, Any], cond: dict[str, Any], value: Any) -> bool:
    """A formula filter names the type the formula computes (string, checkbox, number or
    date) and holds that type's condition (database-filter reference, "Formula")."""
    computes = formula.result_type(prop["formula"]["expression"])
    if len(cond) != 1 or next(iter(cond)) not in ("string", "checkbox", "number", "date"):
        raise body_invalid(
            "body.filter.formula", "should be one of string, checkbox, number, date", cond
        )
    kind, inner = next(iter(cond.items()))
    if kind != computes:
        raise invalid(
            f"body failed validation: the formula {prop['name']} computes a {computes}; "
            f"filter it with formula.{computes}."
        )
    if not isinstance(inner, dict):
        raise body_invalid(f"body.filter.formula.{kind}", "should be an object", inner)
    result = None if value is None else value.get(kind)
    if kind == "string":
        if len(inner) != 1:
            raise body_invalid(
                "body.filter.formula.string", "should have exactly one condition", inner
            )
        op, operand = next(iter(inner.items()))
        return _text(op, operand, result or "")
    return _condition(kind, inner, result)


def _condition(kind: str, cond: dict[str, Any], value: Any) -> bool:
    if len(cond) != 1:
        raise body_invalid(f"body.filter.{kind}", "should have exactly one condition", cond)
    op, operand = next(iter(cond.items()))
    if kind in DATES:
        start = value if kind != "date" else (value or {}).get("start")
        return _date_condition(cond, None if start is None else _when(start))
    if kind in TEXT:
        text = plain_text(value) if kind in ("title", "rich_text") else (value or "")
        return _text(op, operand, text)
    if kind in ("select", "status"):
        return _equality(op, operand, None if value is None else value["name"])
    if kind == "checkbox" and op in ("equals", "does_not_equal"):
        return bool(value == operand) == (op == "equals")
    if kind in NUMBERS:
        return _number(op, operand, value["number"] if kind == "unique_id" else value)
    if kind == "multi_select":
        return _membership(op, operand, [option["name"] for option in value])
    if kind in PEOPLE:
        found = value if isinstance(value, list) else [value]
        return _membership(op, operand, [item["id"] for item in found if item])
    raise invalid(f"Filtering on {kind} with {op} is not supported by the emulator.")


def _text(op: str, operand: Any, text: str) -> bool:
    checks: dict[str, Callable[[], bool]] = {
        "equals": lambda: text == operand,
        "does_not_equal": lambda: text != operand,
        "contains": lambda: str(operand).lower() in text.lower(),
        "does_not_contain": lambda: str(operand).lower() not in text.lower(),
        "starts_with": lambda: text.lower().startswith(str(operand).lower()),
        "ends_with": lambda: text.lower().endswith(str(operand).lower()),
        "is_empty": lambda: text == "",
        "is_not_empty": lambda: text != "",
    }
    return _run(checks, op)


def _equality(op: str, operand: Any, name: str | None) -> bool:
    checks: dict[str, Callable[[], bool]] = {
        "equals": lambda: name == operand,
        "does_not_equal": lambda: name != operand,
        "is_empty": lambda: name is None,
        "is_not_empty": lambda: name is not None,
    }
    return _run(checks, op)


def _number(op: str, operand: Any, number: Any) -> bool:
    present = number is not None
    checks: dict[str, Callable[[], bool]] = {
        "equals": lambda: number == operand,
        "does_not_equal": lambda: number != operand,
        "greater_than": lambda: present and number > operand,
        "less_than": lambda: present and number < operand,
        "greater_than_or_equal_to": lambda: present and number >= operand,
        "less_than_or_equal_to": lambda: present and number <= operand,
        "is_empty": lambda: not present,
        "is_not_empty": lambda: present,
    }
    return _run(checks, op)


def _membership(op: str, operand: Any, members: list[str]) -> bool:
    checks: dict[str, Callable[[], bool]] = {
        "contains": lambda: operand in members,
        "does_not_contain": lambda: operand not in members,
        "is_empty": lambda: not members,
        "is_not_empty": lambda: bool(members),
    }
    return _run(checks, op)


def _run(checks: dict[str, Callable[[], bool]], op: str) -> bool:
    if op not in checks:
        raise invalid(f"body failed validation: filter condition {op} is not valid here.")
    return checks[op]()


def _when(raw: str) -> datetime | date:
    if len(raw) == 10:
        return date.fromisoformat(raw)
    when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# Relative date conditions take an empty object (database-filter reference): the day range
# from today they keep, in days. Notion has no "next N days"; its windows are these.
RELATIVE = {
    "past_week": (-7, 0),
    "past_month": (-30, 0),
    "past_year": (-365, 0),
    "next_week": (0, 7),
    "next_month": (0, 30),
    "next_year": (0, 365),
}


def _relative(op: str, operand: Any, when: datetime | date | None) -> bool:
    if operand != {}:
        raise body_invalid(f"body.filter.{op}", "should be an empty object", operand)
    if when is None:
        return False
    today = datetime.now(UTC).date()
    day = when.astimezone(UTC).date() if isinstance(when, datetime) else when
    if op == "this_week":  # the calendar week, Sunday first as Notion shows it
        start = today.toordinal() - (today.isoweekday() % 7)
        return start <= day.toordinal() < start + 7
    low, high = RELATIVE[op]
    return low <= day.toordinal() - today.toordinal() <= high


def _date_condition(cond: dict[str, Any], when: datetime | date | None) -> bool:
    """Date-only operands compare calendar days (in UTC); date-times compare instants."""
    if len(cond) != 1:
        raise body_invalid("body.filter", "should have exactly one date condition", cond)
    op, operand = next(iter(cond.items()))
    if op in ("is_empty", "is_not_empty"):
        return (when is None) == (op == "is_empty")
    if op in RELATIVE or op == "this_week":
        return _relative(op, operand, when)
    if not isinstance(operand, str):
        raise body_invalid(f"body.filter.{op}", "should be an ISO 8601 date string", operand)
    try:
        bound = _when(operand)
    except ValueError:
        raise body_invalid(
            f"body.filter.{op}", "should be an ISO 8601 date string", operand
        ) from None
    if when is None:
        return False
    left: datetime | date
    if isinstance(bound, datetime):
        left = (
            when
            if isinstance(when, datetime)
            else datetime(when.year, when.month, when.day, tzinfo=UTC)
        )
    else:
        left = when.astimezone(UTC).date() if isinstance(when, datetime) else when
    compare: dict[str, Callable[[Any, Any], bool]] = {
        "equals": lambda a, b: a == b,
        "before": lambda a, b: a < b,
        "after": lambda a, b: a > b,
        "on_or_before": lambda a, b: a <= b,
        "on_or_after": lambda a, b: a >= b,
    }
    if op not in compare:
        raise invalid(
            f"body failed validation: date condition {op} is not supported by the emulator."
        )
    return compare[op](left, bound)


def sort_rows(
    rows: list[T], sorts: Any, schema: dict[str, dict[str, Any]], row_of: Callable[[T], Row]
) -> list[T]:
    """Stable multi-key sort; empty values go last whatever the direction, as in Notion."""
    if sorts is None:
        return rows
    if not isinstance(sorts, list):
        raise body_invalid("body.sorts", "should be an array", sorts)
    ordered = list(rows)
    for sort in reversed(sorts):
        descending = sort.get("direction") == "descending"
        key = _sort_key(sort, schema)
        filled = [r for r in ordered if key(row_of(r)) is not None]
        blank = [r for r in ordered if key(row_of(r)) is None]
        filled.sort(key=lambda r: key(row_of(r)), reverse=descending)
        ordered = filled + blank
    return ordered


def _sort_key(sort: Any, schema: dict[str, dict[str, Any]]) -> Callable[[Row], Any]:
    if not isinstance(sort, dict) or sort.get("direction") not in ("ascending", "descending"):
        raise body_invalid("body.sorts", "should have a direction of ascending or descending", sort)
    if sort.get("timestamp") in ("created_time", "last_edited_time"):
        return (
            (lambda r: r.created) if sort["timestamp"] == "created_time" else (lambda r: r.edited)
        )
    prop = props.find(schema, str(sort.get("property")))
    if prop is None:
        raise invalid(f"Could not find sort property with name or id: {sort.get('property')}")
    kind, pid = prop["type"], prop["id"]
    if kind in ("select", "status"):
        names = [option["name"] for option in prop[kind]["options"]]
        return lambda r: None if r.values.get(pid) is None else names.index(r.values[pid]["name"])
    if kind in ("title", "rich_text"):
        return lambda r: plain_text(r.values.get(pid) or []).lower() or None
    if kind == "date":
        return lambda r: None if not r.values.get(pid) else _instant(r.values[pid]["start"])
    return lambda r: r.values.get(pid)


def _instant(raw: str) -> datetime:
    when = _when(raw)
    return (
        when
        if isinstance(when, datetime)
        else datetime(when.year, when.month, when.day, tzinfo=UTC)
    )
