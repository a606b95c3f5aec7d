"""JQL opsync builds, read back by the emulator's parser (which rejects what Jira rejects):
every value stays one value, whatever it contains."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from opsync.connectors.jira import jql
from opsync.testing.emulators.jira_jql import JqlError, Parser, Value, tokens

TRICKY = [
    'Billing "EU"',
    "a OR project = X",
    "back\\slash",
    '\\"',
    "DO",
    "tab\there",
    "line\nbreak",
    "it's",
    ") OR (1 = 1",
]


@pytest.mark.parametrize("value", TRICKY)
def test_a_quoted_value_reads_back_as_one_string_token(value: str) -> None:
    assert [(t.kind, t.text) for t in tokens(jql.quote(value))] == [("string", value)]


def test_the_scope_keeps_every_value_inside_its_clause() -> None:
    seen: list[tuple[str, str, list[str]]] = []

    def resolve(name: str, operator: str, values: list[Value]) -> object:
        seen.append((name, operator, [v.text for v in values]))
        return lambda issue: True

    query = jql.scope("DO", {"component": TRICKY}, None)
    Parser(query, resolve).parse()
    assert seen == [("project", "=", ["DO"]), ("component", "in", TRICKY)]


def test_an_unquoted_reserved_word_is_refused_as_jira_does() -> None:
    with pytest.raises(JqlError, match="'DO' is a reserved JQL word"):
        Parser("project = DO", lambda *a: lambda i: True).parse()


def test_the_cursor_is_epoch_milliseconds_whatever_the_offset() -> None:
    moment = datetime(2026, 12, 3, 7, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert jql.epoch_ms(moment) == jql.epoch_ms(moment.astimezone(UTC)) == 1796299200000
    assert jql.updated_since('project = "A"', 1796299200000) == (
        'project = "A" AND updated >= 1796299200000 ORDER BY updated ASC, key ASC'
    )
    with pytest.raises(ValueError):
        jql.epoch_ms(datetime(2026, 12, 3))


def test_ids_must_be_numbers() -> None:
    assert jql.with_ids("p", ["10001", "7"]).startswith("p AND id in (10001, 7)")
    with pytest.raises(ValueError):
        jql.with_ids("p", ["1) OR (x"])
