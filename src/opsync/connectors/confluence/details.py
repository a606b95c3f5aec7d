"""The page-properties table (the ``details`` macro) that holds a record page's fields.

A record page carries one two-column table inside a ``details`` macro (NOTES.md §10): each
row's header names a field, its cell holds the value, so Confluence's Page Properties
Report can roll the records up. Cells are read as text (list cells as their items), and a
cell is compared by the hash of that text: Confluence rewrites the markup on save (adds
``<p>``, attributes, macro ids) but not the text, so what opsync wrote reads back as
unchanged and a person's change to the text does not.

Rows are found at the byte offsets the XML parser reports, so rewriting a cell leaves
every other byte of the body (people's rows, text around the table, comment markers)
exactly as it was read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from xml.parsers import expat

from opsync.connectors.confluence.storage import (
    WRAP_CLOSE,
    WRAP_OPEN,
    StorageError,
    attr,
    digest,
    escape,
    validate,
)

DETAILS_MACRO = "details"
DETAILS_ID = "opsync"  # the macro's id parameter, naming opsync's table among others
_BLOCKS = frozenset({"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6"})


def header_key(text: str) -> str:
    """A row header as compared: case and spacing do not matter."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Row:
    """One row: its header text, its value cell's text and list items, and where that
    cell's element lies in the body (UTF-8 byte offsets)."""

    header: str
    text: str
    items: tuple[str, ...]
    start: int
    end: int

    @property
    def fingerprint(self) -> str:
        """The hash a cell is compared by (the text, or the items of a list cell)."""
        return digest("\n".join(self.items) if self.items else self.text)


@dataclass
class Table:
    """The rows of a details table by :func:`header_key`, and where a new row goes."""

    rows: dict[str, Row] = field(default_factory=dict)
    insert_at: int = 0
    macro_id: str | None = None


@dataclass
class _Cell:
    tag: str
    start: int
    text: list[str] = field(default_factory=list)
    items: list[list[str]] = field(default_factory=list)
    end: int = 0


class _Scanner:
    """Streams a body through expat, collecting the rows of each details macro's table."""

    def __init__(self, body: str) -> None:
        self.data = (WRAP_OPEN + body + WRAP_CLOSE).encode("utf-8")
        self.offset = len(WRAP_OPEN.encode("utf-8"))
        self.parser = expat.ParserCreate()
        self.tables: list[Table] = []
        self.macros: list[bool] = []  # a stack: whether each open macro is a details one
        self.param: str | None = None  # the open macro parameter's name
        self.param_text: list[str] = []
        self.table: Table | None = None
        self.cells: list[_Cell] | None = None
        self.cell: _Cell | None = None
        self.skip = 0  # depth inside a parameter whose text is not content

    def run(self) -> list[Table]:
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.chars
        try:
            self.parser.Parse(self.data, True)
        except expat.ExpatError as exc:
            raise StorageError(f"not well-formed storage format: {exc}") from None
        return self.tables

    def _at(self) -> int:
        return self.parser.CurrentByteIndex - self.offset

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "ac:structured-macro":
            details = attrs.get("ac:name") == DETAILS_MACRO and not any(self.macros)
            self.macros.append(details)
            if details:
                self.tables.append(Table())
        elif name == "ac:parameter":
            self.param, self.param_text = attrs.get("ac:name"), []
            if self.cell is not None and self.param != "title":
                self.skip += 1
        elif self.macros and self.macros[-1] and name == "table" and self.table is None:
            self.table = self.tables[-1]
        elif self.table is not None and name == "tr":
            self.cells = []
        elif self.cells is not None and name in ("th", "td") and self.cell is None:
            self.cell = _Cell(name, self._at())
        elif self.cell is not None:
            if name == "li":
                self.cell.items.append([])
            elif name in _BLOCKS:
                self._chars(" ")

    def end(self, name: str) -> None:
        if name == "ac:structured-macro":
            self.macros.pop()
        elif name == "ac:parameter":
            if self.param == "id" and self.macros and self.macros[-1] and self.tables:
                self.tables[-1].macro_id = "".join(self.param_text).strip()
            if self.cell is not None and self.param != "title":
                self.skip -= 1
            self.param = None
        elif self.cell is not None and name == self.cell.tag:
            self.cell.end = self.data.index(b">", self.parser.CurrentByteIndex) + 1 - self.offset
            assert self.cells is not None
            self.cells.append(self.cell)
            self.cell = None
        elif self.cell is not None and name in _BLOCKS:
            self._chars(" ")
        elif self.cells is not None and name == "tr":
            self._row(self.cells)
            self.cells = None
        elif self.table is not None and name in ("tbody", "table"):
            if name == "tbody" or not self.table.insert_at:
                self.table.insert_at = self._at()
            if name == "table":
                self.table = None

    def chars(self, text: str) -> None:
        if self.param is not None:
            self.param_text.append(text)
        if self.skip == 0:
            self._chars(text)

    def _chars(self, text: str) -> None:
        if self.cell is not None:
            self.cell.text.append(text)
            if self.cell.items:
                self.cell.items[-1].append(text)

    def _row(self, cells: list[_Cell]) -> None:
        assert self.table is not None
        if len(cells) < 2 and not (cells and cells[0].tag == "th"):
            return
        head = " ".join("".join(cells[0].text).split())
        if not head:
            return
        value = cells[1] if len(cells) > 1 else None
        if value is None:  # a header without a value cell: a new cell goes after it
            at = cells[0].end
            row = Row(head, "", (), at, at)
        else:
            items = tuple(t for t in (" ".join("".join(i).split()) for i in value.items) if t)
            row = Row(head, " ".join("".join(value.text).split()), items, value.start, value.end)
        self.table.rows.setdefault(header_key(head), row)


def find_table(body: str) -> Table | None:
    """opsync's details table in ``body`` (the one with id ``opsync``, else the first), or
    None when the page has none; :class:`StorageError` when the body is not well-formed."""
    tables = _Scanner(body).run()
    ours = [t for t in tables if t.macro_id == DETAILS_ID]
    found = ours or tables
    return found[0] if found else None


# Values ------------------------------------------------------------------------------


def display(value: Any, wording: Mapping[str, str]) -> str | list[str]:
    """A plain value as a person reads it in a cell: the configured wording of an option,
    Yes/No, ISO dates, one list item per element (JSON for structured ones)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return [str(d) for v in value if (d := display(v, wording)) != ""]
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    if isinstance(value, date):
        return value.isoformat()
    return wording.get(str(value), str(value))


def cell(value: Any, wording: Mapping[str, str]) -> str:
    shown = display(value, wording)
    if isinstance(shown, list):
        if not shown:
            return "<td><p></p></td>"
        inner = "".join(f"<li><p>{escape(s)}</p></li>" for s in shown)
        return f"<td><ul>{inner}</ul></td>"
    return f"<td><p>{escape(shown)}</p></td>"


def row(header: str, value: Any, wording: Mapping[str, str]) -> str:
    return f"<tr><th><p>{escape(header)}</p></th>{cell(value, wording)}</tr>"


def table(rows: Sequence[str]) -> str:
    """A details macro holding ``rows`` (from :func:`row`), validated as XML."""
    return validate(
        f'<ac:structured-macro ac:name="{DETAILS_MACRO}">'
        f'<ac:parameter ac:name="id">{attr(DETAILS_ID)}</ac:parameter>'
        f"<ac:rich-text-body><table><tbody>{''.join(rows)}</tbody></table>"
        "</ac:rich-text-body></ac:structured-macro>"
    )


def fingerprint(value: Any, wording: Mapping[str, str]) -> str:
    """The hash the cell opsync renders for ``value`` reads back with."""
    found = find_table(table([row("v", value, wording)]))
    assert found is not None
    return found.rows["v"].fingerprint


def parse(found: Row, wording: Mapping[str, str], many: bool) -> Any:
    """A cell's value for the domain: option wording back to the domain value, list items
    (or lines, for a list field typed as text) as a list, JSON items decoded; None if empty."""
    back = {w.casefold(): v for v, w in wording.items()}

    def one(text: str) -> Any:
        if text[:1] == "{":
            try:
                return json.loads(text)
            except ValueError:
                return text
        return back.get(text.casefold(), text)

    if found.items:
        values = [one(i) for i in found.items]
        return values if many or len(values) > 1 else values[0]
    if not found.text:
        return [] if many else None
    return [one(found.text)] if many else one(found.text)


def splice(body: str, cells: Mapping[str, str], rows: Sequence[str], found: Table) -> str:
    """``body`` with the value cells of the rows keyed in ``cells`` replaced, and ``rows``
    added at the end of the table; every other byte kept."""
    data = body.encode("utf-8")
    edits = [(found.rows[k].start, found.rows[k].end, v) for k, v in cells.items()]
    if rows:
        edits.append((found.insert_at, found.insert_at, "".join(rows)))
    out: list[bytes] = []
    at = 0
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1])):
        out += [data[at:start], text.encode("utf-8")]
        at = end
    out.append(data[at:])
    return validate(b"".join(out).decode("utf-8"))
