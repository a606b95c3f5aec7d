"""Formula properties: checked when a schema names one, evaluated for the subset opsync uses.

A formula property is created with ``{"formula": {"expression": "..."}}`` (fixtures
``create_database_from_page.request.json``: ``now()``), is read-only on pages (NOTES.md 12),
and a page shows its result typed by what it computes: ``{"type": "date", "date": {...}}``
for ``now()`` (``query_data_source_limit_2.json``), ``{"type": "number", "number": n}`` for
a number.

Any well-formed expression is accepted, and a ``prop("…")`` naming no property of the data
source is refused, as Notion's editor refuses it. The emulator computes ``now()``,
``prop("…")`` of a date property and ``dateBetween(a, b, unit)`` of those; any other
expression shows an empty string result. ``dateBetween`` is the whole number of units from
``b`` to ``a``, positive when ``a`` is later, cut toward zero (Notion's formula reference:
with now on June 23, ``dateBetween(now(), June 30, "days")`` is -6). A date without a time
is midnight UTC here; Notion takes midnight in the workspace's time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from opsync.testing.emulators.notion_errors import body_invalid, invalid

_TOKEN = re.compile(r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<number>\d+(?:\.\d+)?)'
                    r"|(?P<name>[A-Za-z_]\w*)|(?P<punct>[(),]))")  # fmt: skip
UNITS = {
    "weeks": timedelta(weeks=1),
    "days": timedelta(days=1),
    "hours": timedelta(hours=1),
    "minutes": timedelta(minutes=1),
    "seconds": timedelta(seconds=1),
}


@dataclass(frozen=True)
class Call:
    """``name(args…)``; an argument is a call, a string or a number."""

    name: str
    args: tuple[Any, ...]


def parse(expression: Any, where: str) -> Any:
    """The expression's tree; a 400 for text that is not a formula."""
    if not isinstance(expression, str) or not expression.strip():
        raise body_invalid(f"{where}.formula.expression", "should be a non-empty string", None)
    tokens: list[tuple[str, str]] = []
    at = 0
    while expression[at:].strip():
        found = _TOKEN.match(expression, at)
        if found is None or found.lastgroup is None:
            raise invalid(f"Formula of {where} cannot be parsed near: {expression[at : at + 20]}")
        tokens.append((found.lastgroup, found.group(found.lastgroup)))
        at = found.end()
    tree, rest = _term(tokens, where)
    if rest:
        raise invalid(f"Formula of {where} has text after its end: {rest[0][1]}")
    return tree


def _term(tokens: list[tuple[str, str]], where: str) -> tuple[Any, list[tuple[str, str]]]:
    if not tokens:
        raise invalid(f"Formula of {where} ends too early.")
    (kind, text), rest = tokens[0], tokens[1:]
    if kind == "string":
        return re.sub(r"\\(.)", r"\1", text[1:-1]), rest
    if kind == "number":
        return float(text), rest
    if kind != "name" or not rest or rest[0] != ("punct", "("):
        raise invalid(f"Formula of {where} cannot be parsed near: {text}")
    args: list[Any] = []
    rest = rest[1:]
    while rest and rest[0] != ("punct", ")"):
        arg, rest = _term(rest, where)
        args.append(arg)
        if rest and rest[0] == ("punct", ","):
            rest = rest[1:]
    if not rest:
        raise invalid(f"Formula of {where} misses a closing parenthesis.")
    return Call(text, tuple(args)), rest[1:]


def references(tree: Any) -> list[str]:
    """The property names ``prop("…")`` calls in the tree name."""
    if not isinstance(tree, Call):
        return []
    own = [str(tree.args[0])] if tree.name == "prop" and tree.args else []
    return own + [name for arg in tree.args for name in references(arg)]


def check(properties: dict[str, dict[str, Any]], touched: list[str]) -> None:
    """The formulas a request sets name only properties the schema has. (Notion keeps a
    formula's references by id, so renaming a property later keeps it working; the emulator
    keeps the names as written and only checks them when the formula is set.)"""
    for name in touched:
        prop = properties.get(name)
        if prop is None or prop["type"] != "formula":
            continue
        tree = parse(prop["formula"].get("expression"), f"body.properties.{name}")
        for ref in references(tree):
            if ref not in properties:
                raise invalid(
                    f'Formula of {name} refers to a property that does not exist: "{ref}"'
                )


def result_type(expression: str) -> str:
    """What a formula computes, as its page value and its filters name it."""
    tree = parse(expression, "formula")
    if isinstance(tree, Call) and tree.name == "dateBetween":
        return "number"
    return "date" if isinstance(tree, Call) and tree.name == "now" else "string"


def evaluate(
    expression: str,
    schema: dict[str, dict[str, Any]],
    stored: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """A page's formula value, in response form."""
    kind = result_type(expression)
    result = _value(parse(expression, "formula"), schema, stored, now)
    if kind == "date":
        start = None if result is None else result.replace(second=0, microsecond=0)
        shown = None if start is None else start.isoformat(timespec="milliseconds")
        return {"type": "date", "date": {"start": shown, "end": None, "time_zone": None}}
    if kind == "number":
        return {"type": "number", "number": result}
    return {"type": "string", "string": None}


def _value(
    tree: Any, schema: dict[str, dict[str, Any]], stored: dict[str, Any], now: datetime
) -> Any:
    if not isinstance(tree, Call):
        return tree
    if tree.name == "now" and not tree.args:
        return now
    if tree.name == "prop" and len(tree.args) == 1:
        prop = schema.get(str(tree.args[0]))
        if prop is None or prop["type"] != "date":
            return None
        start = (stored.get(prop["id"]) or {}).get("start")
        return None if start is None else _instant(start)
    if tree.name == "dateBetween" and len(tree.args) == 3:
        later, earlier = (_value(a, schema, stored, now) for a in tree.args[:2])
        unit = UNITS.get(str(tree.args[2]))
        if not isinstance(later, datetime) or not isinstance(earlier, datetime) or unit is None:
            return None
        return int((later - earlier) / unit)  # int() cuts toward zero
    return None


def _instant(raw: str) -> datetime:
    if len(raw) == 10:
        day = date.fromisoformat(raw)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)
