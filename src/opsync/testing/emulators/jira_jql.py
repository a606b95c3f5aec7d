"""The subset of JQL the emulator understands, rejecting what real Jira rejects.

Clauses on project, fixVersion, component, labels, issuetype, key, id, summary, status,
created and updated, joined with AND / OR / NOT and parentheses, then ORDER BY. Values are
words, numbers or quoted strings with JQL's backslash escapes. Real Jira's behaviour kept:

- An unquoted reserved word as a value is refused ("'DO' is a reserved JQL word…", the
  message recorded in ``recorded/jira/error_400_jql_reserved_word.json``).
- A number compared with a date field is epoch milliseconds; a date string without a zone
  is read in the *account's* time zone (NOTES.md §2), which is what makes a naive UTC
  cursor skip issues.
- A value that names no project, version or component is an error, not an empty result.
- ``search/jql`` refuses a query without a restriction ("unbounded").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

Issue = Any  # opsync.testing.emulators.jira_model.Issue; kept loose to avoid an import cycle

# Atlassian's list of words JQL reserves (JQL reference, "Restricted words and characters").
_RESERVED_TEXT = """a an abort access add after alias all alter and any are as asc audit avg before
    begin between boolean break by byte catch cf char character check checkpoint collate collation
    column commit connect continue count create current date decimal declare decrement default
    defaults define delete delimiter desc difference distinct divide do double drop else empty
    encoding end equals escape exclusive exec execute exists explain false fetch file field
    first float for from function go goto grant greater group having identified if immediate in
    increment index initial inner inout input insert int integer intersect intersection into is
    isempty isnull join last left less like limit lock long max min minus mode modify modulo
    more multiply next noaudit not notin nowait null number object of on option or order outer
    output power previous prior privileges public raise raw remainder rename resource return
    returns revoke right row rowid rownum rows select session set share size sqrt start strict
    string subtract sum synonym table then to trans transaction trigger true uid union unique
    update user validate values view when whenever where while with"""
RESERVED = frozenset(_RESERVED_TEXT.split())
OPERATORS = ("!=", "!~", ">=", "<=", "=", ">", "<", "~")
VALID_OPERATORS = (
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', "
    "'IS' and 'IS NOT'."
)
UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t", "r": "\r", " ": " "}
_DATE_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")
_RELATIVE = re.compile(r"^([+-]?)(\d+)([wdhm])$")
_SORTABLE = {"updated", "created", "key", "id", "issuekey", "summary"}


class JqlError(Exception):
    """A query real Jira would answer with 400 and this message."""


@dataclass(frozen=True)
class Token:
    kind: str  # "word", "string", "op", "(", ")", ","
    text: str
    at: int  # 1-based character position, as Jira reports it


@dataclass
class Query:
    where: Callable[[Issue], bool] | None
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)


def tokens(text: str) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "\"'":
            value, i = _quoted(text, i)
            out.append(Token("string", value, i))
        elif ch in "(),":
            out.append(Token(ch, ch, i + 1))
            i += 1
        elif any(text.startswith(op, i) for op in OPERATORS):
            op = next(op for op in OPERATORS if text.startswith(op, i))
            out.append(Token("op", op, i + 1))
            i += len(op)
        else:
            start = i
            while i < len(text) and not text[i].isspace() and text[i] not in "\"'(),=!<>~":
                i += 1
            out.append(Token("word", text[start:i], start + 1))
    return out


def _quoted(text: str, start: int) -> tuple[str, int]:
    quote, i, chars = text[start], start + 1, []
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            nxt = text[i + 1 : i + 2]
            if nxt not in _ESCAPES:
                raise JqlError(
                    f"Error in the JQL Query: '\\{nxt}' is an illegal JQL escape sequence. "
                    f"(line 1, character {i + 1})"
                )
            chars.append(_ESCAPES[nxt])
            i += 2
        elif ch == quote:
            return "".join(chars), i + 1
        else:
            chars.append(ch)
            i += 1
    raise JqlError(
        f"Error in the JQL Query: The quoted string '{text[start + 1 :]}' has not been "
        f"completed. (line 1, character {start + 1})"
    )


@dataclass
class Value:
    text: str
    quoted: bool


class Parser:
    """Recursive descent over the tokens; `resolve` turns a clause into a predicate."""

    def __init__(self, text: str, resolve: Callable[[str, str, list[Value]], Any]) -> None:
        self.items = tokens(text)
        self.pos = 0
        self.resolve = resolve

    def parse(self) -> Query:
        where = None
        if self.items and not self._keyword("order"):
            where = self._or()
        order = self._order() if self._keyword("order") else []
        if self.pos < len(self.items):
            self._fail(f"Expecting either 'OR' or 'AND' but got '{self.items[self.pos].text}'.")
        return Query(where, order)

    def _peek(self) -> Token | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def _keyword(self, word: str) -> bool:
        token = self._peek()
        return token is not None and token.kind == "word" and token.text.lower() == word

    def _fail(self, message: str) -> None:
        token = self._peek()
        where = f" (line 1, character {token.at})" if token else ""
        raise JqlError(f"Error in the JQL Query: {message}{where}")

    def _next(self, expected: str) -> Token:
        token = self._peek()
        if token is None:
            raise JqlError(f"Error in the JQL Query: Expecting {expected} but reached the end.")
        self.pos += 1
        return token

    def _or(self) -> Callable[[Issue], bool]:
        parts = [self._and()]
        while self._keyword("or"):
            self.pos += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda i: any(p(i) for p in parts))

    def _and(self) -> Callable[[Issue], bool]:
        parts = [self._not()]
        while self._keyword("and"):
            self.pos += 1
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else (lambda i: all(p(i) for p in parts))

    def _not(self) -> Callable[[Issue], bool]:
        if self._keyword("not"):
            self.pos += 1
            inner = self._not()
            return lambda i: not inner(i)
        token = self._peek()
        if token is not None and token.kind == "(":
            self.pos += 1
            inner = self._or()
            if self._next("')'").kind != ")":
                self.pos -= 1
                self._fail("Expecting ')'.")
            return inner
        return self._clause()

    def _clause(self) -> Callable[[Issue], bool]:
        name = self._next("a field name")
        if name.kind not in ("word", "string"):
            self.pos -= 1
            self._fail(f"Expecting a field name but got '{name.text}'.")
        operator = self._operator()
        values = self._operand(operator)
        predicate: Callable[[Issue], bool] = self.resolve(name.text, operator, values)
        return predicate

    def _operator(self) -> str:
        token = self._next("an operator")
        if token.kind == "op":
            return token.text
        word = token.text.lower() if token.kind == "word" else ""
        if word == "in":
            return "in"
        if word in ("not", "is"):
            if self._keyword("in") and word == "not":
                self.pos += 1
                return "not in"
            if word == "is":
                if self._keyword("not"):
                    self.pos += 1
                    return "is not"
                return "is"
        self.pos -= 1
        self._fail(f"Expecting operator but got '{token.text}'. {VALID_OPERATORS}")
        raise AssertionError  # unreachable: _fail raises

    def _operand(self, operator: str) -> list[Value]:
        if operator in ("in", "not in"):
            if self._next("'('").kind != "(":
                self.pos -= 1
                self._fail("Expecting '(' after 'IN'.")
            values = [self._value(operator)]
            while (token := self._next("',' or ')'")).kind == ",":
                values.append(self._value(operator))
            if token.kind != ")":
                self.pos -= 1
                self._fail(f"Expecting ',' or ')' but got '{token.text}'.")
            return values
        return [self._value(operator)]

    def _value(self, operator: str) -> Value:
        token = self._next("a value")
        if token.kind == "string":
            return Value(token.text, True)
        if token.kind != "word":
            self.pos -= 1
            self._fail(f"Expecting either a value, list or function but got '{token.text}'.")
        word = token.text.lower()
        if operator in ("is", "is not") and word in ("empty", "null"):
            return Value("", False)
        if word in RESERVED:
            raise JqlError(
                f"Error in the JQL Query: '{token.text}' is a reserved JQL word. You must "
                "surround it in quotation marks to use it in a query."
            )
        return Value(token.text, False)

    def _order(self) -> list[tuple[str, bool]]:
        self.pos += 1
        if not self._keyword("by"):
            self._fail("Expecting 'by' after 'order'.")
        self.pos += 1
        order: list[tuple[str, bool]] = []
        while True:
            name = self._next("a field name to order by").text.lower()
            if name not in _SORTABLE:
                raise JqlError(f"Not able to sort using field '{name}'.")
            descending = False
            if self._keyword("asc") or self._keyword("desc"):
                descending = self._next("a direction").text.lower() == "desc"
            order.append((name, descending))
            token = self._peek()
            if token is None or token.kind != ",":
                break
            self.pos += 1
        if len(order) > 7:
            raise JqlError("The ORDER BY clause can contain a maximum of 7 fields.")
        return order


def parse_moment(value: Value, zone: tzinfo, now: datetime) -> datetime:
    """A JQL date operand: epoch milliseconds, a date string in the account's zone, or
    a relative offset such as ``-5d``."""
    text = value.text.strip()
    if re.fullmatch(r"\d+", text):
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    relative = _RELATIVE.match(text)
    if relative:
        sign = -1 if relative.group(1) == "-" else 1
        unit = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}[relative.group(3)]
        return now + sign * timedelta(**{unit: int(relative.group(2))})
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=zone)
        except ValueError:
            continue
    raise JqlError(
        f"Date value '{text}' for field 'updated' is invalid. Valid formats include: "
        "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format "
        "e.g. '-5d', '4w 2d'."
    )


def compare(left: Any, operator: str, right: Any) -> bool:
    if operator == "=":
        return bool(left == right)
    if operator == "!=":
        return bool(left != right)
    if left is None:
        return False
    return bool(
        {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[operator]
    )
