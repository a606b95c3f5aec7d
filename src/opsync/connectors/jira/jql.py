"""JQL built from values, never pasted from them.

Every value opsync puts into a query (project key, filter values) is a JQL string literal:
quoted, with backslash and quote escaped, so an area called ``Billing "EU"`` or a value
``a OR project = X`` stays one value and cannot change the query; reserved words such as a
project key ``DO`` are quoted too (``recorded/jira/error_400_jql_reserved_word.json``).
Time goes in as epoch milliseconds: a date string without a zone would be read in the
account's time zone and skip issues (NOTES.md §2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

ORDER = " ORDER BY updated ASC, key ASC"


def quote(value: str) -> str:
    """``value`` as a JQL string literal."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{escaped}"'


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime (the JQL form with no time zone)."""
    if moment.tzinfo is None:
        raise ValueError("a JQL timestamp needs an aware datetime")
    return int(moment.timestamp() * 1000)


def scope(project: str, filters: Mapping[str, Sequence[str]], extra: str | None) -> str:
    """The restriction every query of the connector carries (search/jql needs one)."""
    clauses = [f"project = {quote(project)}"]
    for clause, values in filters.items():
        clauses.append(f"{clause} in ({', '.join(quote(v) for v in values)})")
    if extra and extra.strip():
        clauses.append(f"({extra.strip()})")
    return " AND ".join(clauses)


def updated_since(base: str, cursor_ms: int | None) -> str:
    """Issues of ``base`` updated at or after ``cursor_ms``, oldest first."""
    if cursor_ms is None:
        return base + ORDER
    return f"{base} AND updated >= {int(cursor_ms)}{ORDER}"


def with_ids(base: str, ids: Iterable[str]) -> str:
    """Issues of ``base`` among ``ids`` (numeric issue ids)."""
    numbers = ", ".join(str(int(i)) for i in ids)
    return f"{base} AND id in ({numbers}){ORDER}"
