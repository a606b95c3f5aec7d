"""What is wrong with an ``opsync.toml``, said in the file's own notation, never pydantic's.

A person who wrote ``handoff_bd_tier2 = "five"`` should read
``rules.enablement.handoff_bd_tier2: expected a whole number, got the text "five"`` and a
fix, not ``Input should be a valid integer`` at ``('rules', 'enablement', ...)``. This
module turns TOML parse failures, validation errors, secrets written into the file and
broken references between tables into ``ConfigProblem``s: a TOML key path, plain words
for the expected type, a did-you-mean suggestion and a fix. ``opsync.config`` decides
what is valid; this module decides how a problem is said.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError, PydanticUndefined

from opsync.errors import ConfigError, ConfigProblem

if TYPE_CHECKING:
    from opsync.config import Config

_SECRET_KEY = re.compile(r"(?:.*_)?(?:token|password|secret|api_key)", re.IGNORECASE)
TOML_HINT = (
    'text goes in quotes (name = "Acme"), dates and times without them (2026-12-24, 14:00:00), '
    "lists in brackets (weekend = [6, 7]), and each key appears once per table"
)
_EXPECTED = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "string": "text in quotes",
    "date": "a date such as 2026-12-24 (no quotes)",
    "time": "a time such as 14:00:00 (no quotes)",
    "list": "a list such as [1, 2]",
    "tuple": "a list such as [1, 2]",
    "dict": "a table",
    "model": "a table",
}


def invalid(message: str, hint: str = "") -> PydanticCustomError:
    """A validation error from an opsync validator that carries its own fix."""
    return PydanticCustomError("opsync", "{message}", {"message": message, "hint": hint})


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like ``word`` (ignoring case), if any is close enough."""
    by_lower = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None


def suggest(word: str, choices: Iterable[str]) -> str:
    """``did you mean "x"? `` for the closest choice, or empty."""
    found = closest(word, choices)
    return f'did you mean "{found}"? ' if found else ""


def toml_path(parts: Iterable[str | int]) -> str:
    """``("org", "product_areas", 2, "pm")`` as ``org.product_areas[2].pm``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            segment = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else json.dumps(part)
            out += f".{segment}" if out else segment
    return out


def toml_value(value: Any) -> str:
    """``value`` as it is written in a TOML file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | Path):
        return json.dumps(str(value))
    if isinstance(value, tuple | list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def toml_error(exc: tomllib.TOMLDecodeError, text: str, file: Path) -> ConfigError:
    """A parse failure with its line, column and the offending line marked."""
    what = str(exc)
    found = re.search(r"\(at line (\d+), column (\d+)\)$", what)
    what = re.sub(r"\s*\(at [^)]*\)$", "", what)
    if not found:
        return ConfigError(f"malformed TOML: {what}", file=file, hint=TOML_HINT)
    line, column = int(found[1]), int(found[2])
    lines = text.splitlines()
    source = lines[line - 1] if line <= len(lines) else ""
    marked = f"\n      {source}\n      {' ' * (column - 1)}^"
    message = f"malformed TOML at line {line}, column {column}: {what}{marked}"
    return ConfigError(message, file=file, hint=TOML_HINT)


def strip_secrets(node: Any, path: tuple[str | int, ...], problems: list[ConfigProblem]) -> Any:
    """A copy of ``node`` without secret-looking keys, each reported (never its value)."""
    if isinstance(node, list):
        return [strip_secrets(item, (*path, i), problems) for i, item in enumerate(node)]
    if not isinstance(node, Mapping):
        return node
    kept: dict[str, Any] = {}
    for key, value in node.items():
        if _SECRET_KEY.fullmatch(key) and not isinstance(value, Mapping | list):
            hint = (
                f'delete it and say where to read it: {key}_env = "VARIABLE_NAME" '
                f'(an environment variable) or {key}_file = "path/to/file"'
            )
            problems.append(
                ConfigProblem(toml_path((*path, key)), "a secret must never be in the file", hint)
            )
        else:
            kept[key] = strip_secrets(value, (*path, key), problems)
    return kept


def cross_check(config: Config, *, roles: bool = True) -> list[ConfigProblem]:
    """Problems no single field shows: duplicates and references between tables."""
    problems: list[ConfigProblem] = []
    org = config.org
    people = unique_keys("org.people", [p.key for p in org.people], problems)
    areas = unique_keys("org.product_areas", [a.key for a in org.product_areas], problems)
    for i, area in enumerate(org.product_areas):
        for field in ("pm", "eng_lead"):
            who = getattr(area, field)
            if who is not None and who not in people:
                problems.append(
                    unknown_ref(f"org.product_areas[{i}].{field}", who, people, "person")
                )
    for i, phase in enumerate(config.rollout.phases):
        for j, key in enumerate(phase.areas):
            if key != "*" and key not in areas:
                problems.append(unknown_ref(f"rollout.phases[{i}].areas[{j}]", key, areas, "area"))
    names = sorted(config.connectors)
    for role in type(config.roles).model_fields if roles else ():
        name = getattr(config.roles, role)
        if isinstance(name, list):
            for i, each in enumerate(name):
                if each not in config.connectors:
                    problems.append(unknown_ref(f"roles.{role}[{i}]", each, names, "connector"))
            if not name:
                hint = f"name at least one connector, one of: {', '.join(names)}"
                problems.append(ConfigProblem(f"roles.{role}", "an empty list", hint))
        elif name is not None and name not in config.connectors:
            problems.append(unknown_ref(f"roles.{role}", name, names, "connector"))
        elif name is None:
            hint = f'add {role} = "<name>" under [roles], one of: {", ".join(names)}'
            if not names:
                hint = 'add a connector, e.g. [connectors.local] with type = "local"'
            problems.append(ConfigProblem(f"roles.{role}", "no connector serves this role", hint))
    return problems


def unique_keys(table: str, keys: list[str], problems: list[ConfigProblem]) -> set[str]:
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key in first:
            message = f'duplicate key "{key}" (also {table}[{first[key]}])'
            problems.append(ConfigProblem(f"{table}[{i}].key", message, "give each its own key"))
        first.setdefault(key, i)
    return set(first)


def unknown_ref(key: str, value: str, known: Iterable[str], what: str) -> ConfigProblem:
    choices = sorted(known)
    hint = suggest(value, choices) + f"known {what} keys: {', '.join(choices) or 'none yet'}"
    table = {"person": "[[org.people]]", "area": "[[org.product_areas]]"}.get(what)
    if table:
        hint += f'; or add a {table} entry with key = "{value}"'
    return ConfigProblem(key, f'"{value}" is not a known {what}', hint)


def problems_from(
    exc: ValidationError, model: type[BaseModel], raw: Any, prefix: tuple[str | int, ...] = ()
) -> list[ConfigProblem]:
    """pydantic's errors for ``raw`` (validated as ``model`` at ``prefix``), one per key."""
    found: dict[str, ConfigProblem] = {}
    missing: set[str] = set()
    misspelt: set[str] = set()  # a missing key that an unknown key is a typo of is said once
    for error in exc.errors():
        parts = _file_parts(error["loc"], raw)
        key = toml_path(prefix + parts)
        if error["type"] == "missing":
            missing.add(key)
        elif (
            error["type"] == "extra_forbidden"
            and (table := table_at(model, parts[:-1]))
            and (meant := closest(str(parts[-1]), table.model_fields))
        ):
            misspelt.add(toml_path((*prefix, *parts[:-1], meant)))
        if key not in found:  # a union reports once per member; the first says enough
            message, hint = _describe(error, model, parts)
            found[key] = ConfigProblem(key, message, hint.strip())
    return [p for key, p in found.items() if key not in missing & misspelt]


def _file_parts(loc: tuple[str | int, ...], raw: Any) -> tuple[str | int, ...]:
    """The parts of ``loc`` that name keys or indices of the file, without schema tags."""
    parts: list[str | int] = []
    node = raw
    for part in loc:
        if isinstance(node, Mapping) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int):
            node = node[part] if part < len(node) else None
        else:
            continue
        parts.append(part)
    return tuple(parts)


def table_at(model: type[BaseModel] | None, parts: Iterable[str | int]) -> type[BaseModel] | None:
    """The model of the table reached by following ``parts`` from ``model``."""
    for part in parts:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if model else None
        model = model_in(field.annotation) if field else None
    return model


def model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, looking through ``X | None``, tuples and dicts."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next(filter(None, (model_in(arg) for arg in get_args(annotation))), None)


def _describe(error: Any, model: type[BaseModel], parts: tuple[str | int, ...]) -> tuple[str, str]:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    name = str(parts[-1]) if parts else ""
    table = table_at(model, parts[:-1])
    field = table.model_fields.get(name) if table else None
    if kind == "opsync":
        return str(ctx["message"]), str(ctx["hint"])
    if kind == "extra_forbidden":
        allowed = list(table.model_fields) if table else []
        return f'unknown key "{name}"', suggest(name, allowed) + f"allowed: {', '.join(allowed)}"
    if kind == "missing":
        if field is not None and model_in(field.annotation):
            return (
                f"the table [{toml_path(parts)}] is missing",
                f"add the [{toml_path(parts)}] table",
            )
        where = f"under {toml_path(parts[:-1])}" if len(parts) > 1 else "at the top"
        return f"the required key {name} is missing", f"add {name} = … {where}"
    if kind in ("enum", "literal_error"):
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        listed = ", ".join(choices)
        return f"expected one of {listed}; got {show(value)}", suggest(str(value), choices)
    base = kind.split("_")[0]
    if base in _EXPECTED and (kind.endswith(("_type", "_parsing")) or "_from_" in kind):
        default = field.default if field is not None else None
        usable = default is not None and default is not PydanticUndefined and default != ()
        usable = usable and not isinstance(default, Mapping | BaseModel)  # tables: no one-liner
        hint = f"write it like {name} = {toml_value(default)}" if usable else ""
        return f"expected {_EXPECTED[base]}, got {show(value)}", hint
    if kind == "value_error":  # a validator's own words already name the value
        return str(error["msg"]).removeprefix("Value error, "), ""
    return f"{str(error['msg']).removeprefix('Input ')}; got {show(value)}", ""


def show(value: Any) -> str:
    """A value a person wrote, named the way they would say it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the text {json.dumps(value)}"
    if isinstance(value, Mapping | list):
        return "a table" if isinstance(value, Mapping) else "a list"
    return str(value)
