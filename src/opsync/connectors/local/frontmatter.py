"""YAML front matter that is edited in place, never re-serialised.

People own most keys of a record file and format them as they like (comments, quoting, key
order). opsync rewrites only the lines of the keys it owns and appends keys it adds, so every
byte people wrote survives a sync. Reading goes through PyYAML's safe loader, in C (libyaml)
when PyYAML was built with it: a workspace is tens of thousands of small files, and the pure
Python parser made reading them most of a run's time. Both build the same tags and types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml

_FENCE = "---"
_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:")


class FrontMatterError(ValueError):
    """The file's front matter is not valid YAML or not a mapping."""


_Base = yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader
_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")
)


class SafeLoader(_Base):  # type: ignore[misc, valid-type]  # a class chosen at import
    """PyYAML's safe loader (on libyaml when available) that builds a plain scalar straight
    from its constructor, without the bookkeeping for anchors and recursion that only
    collections need: a workspace of 100,000 releases is millions of scalars. No result
    changes (a scalar's value is immutable, so an alias may as well get an equal copy)."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node.__class__ is yaml.ScalarNode and node.tag in _SCALAR_TAGS:
            return self.yaml_constructors[node.tag](self, node)
        return super().construct_object(node, deep)


class TolerantLoader(SafeLoader):
    """Safe loader that keeps an impossible date (``2026-13-45``) as text, so the record's
    validation names that one key instead of the whole file failing to parse."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


TolerantLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", TolerantLoader.construct_yaml_timestamp
)


#: Bounds of what a record's YAML may hold. Far above any record a person writes, far below
#: what exhausts a run: a 1 KB "billion laughs" (aliases of aliases) expands to gigabytes in
#: whatever walks it, and a run that dies on one file dies on every cron run after it.
MAX_DEPTH = 16
MAX_NODES = 20_000
MAX_TEXT = 200_000


def check_bounds(value: Any) -> None:
    """Refuse YAML aliases (a value reached twice), deep nesting, huge collections and huge
    strings, with a ``FrontMatterError`` that says which. Scalars are immutable, so only a
    shared collection shows an alias; walking each collection once costs nothing on the
    flat mappings records are."""
    seen: set[int] = set()
    nodes = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if len(item) > MAX_TEXT:
                raise FrontMatterError(
                    f"a value is {len(item):,} characters long (at most {MAX_TEXT:,})"
                )
            continue
        if not isinstance(item, dict | list):
            continue
        if id(item) in seen:
            raise FrontMatterError(
                "YAML aliases (*name) are not accepted: write the value out where it is used"
            )
        seen.add(id(item))
        if depth >= MAX_DEPTH:
            raise FrontMatterError(f"values are nested more than {MAX_DEPTH} levels deep")
        children = list(item.values()) if isinstance(item, dict) else item
        nodes += len(children)
        if nodes > MAX_NODES:
            raise FrontMatterError(f"more than {MAX_NODES:,} values in one record")
        stack.extend((child, depth + 1) for child in children)


@dataclass(frozen=True)
class Parsed:
    data: dict[str, Any]
    lines: list[str]  # the front-matter lines, without fences, each with its newline
    body: str


# Where ``str.splitlines`` ends a line (``\r\n`` being one end): the lines of the front
# matter are found one at a time with it, as ``splitlines`` would cut them
_LINE_END = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


@dataclass(frozen=True)
class Head:
    """The front matter alone: its data, its lines, and where the body starts in the text."""

    data: dict[str, Any]
    lines: list[str]
    at: int


def head(text: str) -> Head:
    """The front matter of ``text`` without a copy of its body (a large page is megabytes);
    a file without front matter has an empty mapping, and its body starts at 0.

    The lines are those of ``text.splitlines(keepends=True)``, taken one by one up to the
    closing fence only: the body is never cut into lines."""
    if not text.startswith(_FENCE + "\n") and not text.startswith(_FENCE + "\r\n"):
        return Head({}, [], 0)
    ends = _LINE_END.finditer(text)
    start = next(ends).end()  # after the opening fence
    fm_lines: list[str] = []
    for end in ends:
        line = text[start : end.end()]
        if line.rstrip("\r\n") == _FENCE:
            return Head(_load("".join(fm_lines)), fm_lines, end.end())
        fm_lines.append(line)
        start = end.end()
    if start < len(text) and text[start:] == _FENCE:  # the fence ends the text
        return Head(_load("".join(fm_lines)), fm_lines, len(text))
    raise FrontMatterError("front matter opened with '---' is never closed")


def split(text: str) -> Parsed:
    """Separate front matter from body; a file without front matter has an empty mapping."""
    found = head(text)
    return Parsed(found.data, found.lines, text[found.at :])


def _load(source: str) -> dict[str, Any]:
    try:
        data = yaml.load(source, Loader=TolerantLoader) if source.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise FrontMatterError(f"front matter is not valid YAML{where}: {exc}") from exc
    if not isinstance(data, dict):
        raise FrontMatterError("front matter must be a mapping of key: value lines")
    if any(isinstance(v, dict | list) for v in data.values()):
        check_bounds(data)
    return {str(k): v for k, v in data.items()}


#: Text PyYAML writes as is in a flow mapping, unless it reads back as another type.
_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_ ./()+-]*(?<! )")
_RESOLVER = yaml.resolver.Resolver()


def _plain(value: Any) -> str | None:
    """``value`` as ``safe_dump`` writes it, for the few shapes that make up most of what
    opsync writes (names, statuses, dates, counts, lists of field names); None for anything
    else. ``safe_dump`` costs tens of microseconds a call, and a first sync of a large
    workspace writes hundreds of thousands of lines."""
    kind = type(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is date:
        return str(value.isoformat())
    if kind is str:
        if _PLAIN.fullmatch(value) is None:
            return None
        tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
        return str(value) if tag == "tag:yaml.org,2002:str" else None
    if kind is list:
        items = [_plain(v) if type(v) is str else None for v in value]
        known = [i for i in items if i is not None]
        return f"[{', '.join(known)}]" if len(known) == len(items) else None
    return None


def dump_line(key: str, value: Any) -> str:
    """One ``key: value`` line in YAML, quoted where YAML needs it."""
    if _plain(key) == key and (fast := _plain(value)) is not None:
        return f"{key}: {fast}\n"
    rendered = yaml.safe_dump(
        {key: value}, default_flow_style=True, allow_unicode=True, width=1 << 30, sort_keys=False
    ).strip()
    # safe_dump with flow style wraps the mapping in braces: "{key: value}".
    return rendered[1:-1] + "\n" if rendered.startswith("{") else rendered + "\n"


def _key_spans(lines: list[str]) -> dict[str, tuple[int, int]]:
    """Line range [start, end) of each top-level key, including its continuation lines."""
    spans: dict[str, tuple[int, int]] = {}
    current: str | None = None
    start = 0
    for index, line in enumerate(lines):
        if current is not None and line.startswith((" ", "\t", "- ")):
            continue  # a continuation of the current key (block scalar or list)
        if current is not None:
            spans[current] = (start, index)
            current = None
        match = _TOP_KEY.match(line)
        if match:
            current, start = match.group(1), index
    if current is not None:
        spans[current] = (start, len(lines))
    return spans


def set_keys(text: str, values: dict[str, Any]) -> str:
    """Return ``text`` with the given top-level keys set; all other bytes unchanged."""
    parsed = split(text)
    lines = list(parsed.lines)
    if not text.startswith(_FENCE):
        prefix_lines: list[str] = []
        body = text
    else:
        prefix_lines = lines
        body = parsed.body
    spans = _key_spans(prefix_lines)
    appended: list[str] = []
    replacements: dict[int, tuple[int, str]] = {}
    for key, value in values.items():
        line = dump_line(key, value)
        if key in spans:
            start, end = spans[key]
            replacements[start] = (end, line)
        else:
            appended.append(line)
    out: list[str] = []
    index = 0
    while index < len(prefix_lines):
        if index in replacements:
            end, line = replacements[index]
            out.append(line)
            index = end
        else:
            out.append(prefix_lines[index])
            index += 1
    if out and not out[-1].endswith("\n"):
        out[-1] += "\n"
    out.extend(appended)
    return f"{_FENCE}\n{''.join(out)}{_FENCE}\n{body}"


def compose(values: dict[str, Any], body: str) -> str:
    """A new file from scratch: front matter lines in the given order, then the body."""
    return f"{_FENCE}\n{''.join(dump_line(k, v) for k, v in values.items())}{_FENCE}\n{body}"
