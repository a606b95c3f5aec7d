"""JQL search over the emulated site: the clauses opsync and people send, resolved
against the site's projects, versions and components, then ORDER BY.

Search is eventually consistent on Cloud: an issue changed with an ``index_delay`` is
searched as it was until the delay has passed (its old ``updated`` and values are not kept:
it is simply not found by queries on its new state, which is what a stale index does to an
``updated >=`` query).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC
from typing import Any

from opsync.testing.emulators.jira_jql import (
    UNBOUNDED,
    JqlError,
    Parser,
    Query,
    Value,
    compare,
    parse_moment,
)
from opsync.testing.emulators.jira_model import Issue, World


def parse(world: World, jql: str) -> Query:
    return Parser(jql, functools.partial(_resolve, world)).parse()


def search(world: World, jql: str, *, bounded: bool) -> list[Issue]:
    """Issues ``jql`` matches, sorted; ``bounded`` refuses a query without a restriction."""
    query = parse(world, jql)
    if bounded and query.where is None:
        raise JqlError(UNBOUNDED)
    now = world.clock()
    found = [
        i
        for i in world.issues.values()
        if (i.indexed_at is None or i.indexed_at <= now) and (query.where is None or query.where(i))
    ]
    for name, descending in reversed(query.order or [("key", True)]):
        found.sort(key=functools.partial(_sort_key, name=name), reverse=descending)
    return found


# The operators each field supports, from Atlassian's JQL field reference
# (https://support.atlassian.com/jira-software-cloud/docs/jql-fields/, "Supported
# operators" of each field; https://support.atlassian.com/jira-software-cloud/docs/
# jql-operators/: "=" and "!=" "cannot be used with text fields"). A clause with any
# other operator is a 400 with the message the spec's example of parseJqlQueries
# (SPEC-J, POST /rest/api/3/jql/parse) shows: "The operator '=' is not supported by the
# 'summary' field." The WAS / CHANGED history operators are not parsed at all.
_EQUALITY = frozenset({"=", "!=", "in", "not in", "is", "is not"})
_ORDERED = frozenset({">", ">=", "<", "<="})
SUPPORTED: dict[str, frozenset[str]] = {
    "project": _EQUALITY,
    "component": _EQUALITY,
    "labels": _EQUALITY,
    "issuetype": _EQUALITY,
    "type": _EQUALITY,
    "status": _EQUALITY,
    "fixversion": _EQUALITY | _ORDERED,
    "key": frozenset({"=", "!=", "in", "not in"}) | _ORDERED,
    "issuekey": frozenset({"=", "!=", "in", "not in"}) | _ORDERED,
    "id": frozenset({"=", "!=", "in", "not in"}) | _ORDERED,
    "created": _EQUALITY | _ORDERED,
    "createddate": _EQUALITY | _ORDERED,
    "updated": _EQUALITY | _ORDERED,
    "updateddate": _EQUALITY | _ORDERED,
    "summary": frozenset({"~", "!~", "is", "is not"}),  # a text field
    "text": frozenset({"~"}),
}


def unsupported(name: str, operator: str) -> JqlError:
    return JqlError(f"The operator '{operator}' is not supported by the '{name}' field.")


def _resolve(
    world: World, name: str, operator: str, values: list[Value]
) -> Callable[[Issue], bool]:
    lowered = name.lower()
    supported = SUPPORTED.get(lowered)
    if supported is None:
        raise JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")
    if operator not in supported:
        raise unsupported(name, operator)
    if operator in ("~", "!~"):
        words = [v.text.lower().strip("*") for v in values]
        negate = operator == "!~"

        def contains(issue: Issue) -> bool:
            summary = str(issue.values.get("summary", "")).lower()
            return all(w in summary for w in words) != negate

        return contains
    dated = lowered in ("updated", "created", "updateddate", "createddate")
    if dated and operator in _ORDERED | {"=", "!="}:
        attr = "updated" if lowered.startswith("updated") else "created"
        moment = parse_moment(values[0], world.zone, world.clock().astimezone(UTC))
        # JQL compares at minute precision.
        cut = moment.replace(second=0, microsecond=0)
        return lambda i: compare(getattr(i, attr).replace(second=0, microsecond=0), operator, cut)
    if dated:
        raise _not_emulated(name, operator)
    getter = _getter(world, lowered, name, values)
    wanted = {v.text.lower() for v in values}
    if operator in ("=", "in"):
        return lambda i: bool(getter(i) & wanted)
    if operator in ("!=", "not in"):
        return lambda i: not getter(i) & wanted
    if operator in ("is", "is not"):
        empty = operator == "is"
        return lambda i: (not getter(i)) == empty
    raise _not_emulated(name, operator)


def _not_emulated(name: str, operator: str) -> JqlError:
    """A clause Jira documents but the emulator does not evaluate: said, never guessed."""
    return JqlError(f"opsync's Jira emulator does not evaluate '{name} {operator}' clauses.")


def _getter(
    world: World, lowered: str, name: str, values: list[Value]
) -> Callable[[Issue], set[str]]:
    texts = [v.text for v in values]
    if lowered == "project":
        known = {t.lower() for p in world.projects.values() for t in (p.key, p.id, p.name)}
        _must_exist(texts, known, "project")
        return lambda i: {i.project.key.lower(), i.project.id, i.project.name.lower()}
    if lowered == "fixversion":
        known = {t.lower() for v in world.versions.values() for t in (v.id, v.name)}
        _must_exist(texts, known, "fixVersion")
        return lambda i: {
            t.lower()
            for v in i.values.get("fixVersions") or []
            if v in world.versions
            for t in (v, world.versions[v].name)
        }
    if lowered == "component":
        comps = {c for p in world.projects.values() for pair in p.components.items() for c in pair}
        _must_exist(texts, {c.lower() for c in comps}, "component")
        return lambda i: {c.lower() for c in i.values.get("components") or []}
    simple = {"labels": "labels", "issuetype": "issuetype", "type": "issuetype",
              "status": "status", "summary": "summary"}  # fmt: skip
    if lowered in simple:
        key = simple[lowered]
        return lambda i: {str(x).lower() for x in _listed(i.values.get(key))}
    if lowered in ("key", "issuekey", "id"):
        return lambda i: {i.key.lower(), i.id}
    raise JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _must_exist(values: list[str], known: set[str], name: str) -> None:
    for value in values:
        if value.lower() not in known:
            raise JqlError(f"The value '{value}' does not exist for the field '{name}'.")


def _sort_key(issue: Issue, name: str) -> Any:
    if name in ("updated", "created"):
        return getattr(issue, name)
    if name in ("key", "issuekey"):
        project, _, number = issue.key.rpartition("-")
        return (project, int(number))
    if name == "id":
        return int(issue.id)
    return str(issue.values.get(name, ""))
