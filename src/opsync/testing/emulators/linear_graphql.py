"""The GraphQL side of the Linear emulator: parse, validate against Linear's schema,
price, and run a query over the world.

Parsing and validation are graphql-core's, against ``linear_schema.graphql`` (the part of
Linear's published schema opsync uses, with Linear's names and types): a misspelt field,
an unknown argument or a variable of the wrong type fails with
``GRAPHQL_VALIDATION_FAILED`` as on Linear. Filters follow Linear's filtering guide
(linear.app/developers/filtering): comparators (``eq``, ``in``, ``gte``...), nested
entity filters, ``some``/``every`` on collections, ``and``/``or``. Pagination follows
linear.app/developers/pagination: ``first`` (default 50, at most 250) and ``after`` an
``endCursor``, with ``pageInfo { hasNextPage endCursor }``; archived items are left out
unless ``includeArchived``. The complexity of a query is estimated as the rate-limiting
guide describes it (linear.app/developers/rate-limiting): 0.1 point a property, 1 an
object, a connection's children multiplied by its ``first`` (50 when not given), rounded
up.

Mutations (the write-back's: ``issueUpdate`` with ``addedLabelIds``/``removedLabelIds`` or
``labelIds``, ``issueAddLabel``, ``issueRemoveLabel``, ``issueLabelCreate``,
``attachmentCreate``) change the world under its lock and answer Linear's payloads
(``success``, ``lastSyncId``, the entity). A reference that does not resolve, or a label
that cannot be applied, is ``INVALID_INPUT`` in the errors envelope. ``attachmentCreate``
with a URL the issue already has updates that attachment (linear.app/developers/attachments).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute_sync,
    get_named_type,
    parse,
    validate,
    value_from_ast_untyped,
)

from opsync.testing.emulators.linear_model import Item, Label, World

Json = dict[str, Any]
DEFAULT_FIRST = 50
MAX_FIRST = 250
_COMPARATORS = frozenset(
    {"eq", "neq", "in", "nin", "gt", "gte", "lt", "lte", "eqIgnoreCase", "startsWith",
     "endsWith", "contains"}
)  # fmt: skip


class LinearError(Exception):
    """An error in Linear's envelope: ``extensions.code`` and the message people see."""

    def __init__(self, code: str, message: str, kind: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.kind = kind
        self.status = status

    def body(self) -> Json:
        return {
            "errors": [
                {
                    "message": str(self),
                    "extensions": {
                        "code": self.code,
                        "type": self.kind,
                        "userPresentableMessage": str(self),
                    },
                }
            ]
        }


@cache
def schema() -> GraphQLSchema:
    text = (resources.files(__package__) / "linear_schema.graphql").read_text(encoding="utf-8")
    return build_schema(text)


def checked(source: str) -> DocumentNode:
    """The parsed document, or a ``GRAPHQL_VALIDATION_FAILED`` error as Linear sends it."""
    try:
        document = parse(source)
    except GraphQLError as error:
        raise LinearError("GRAPHQL_PARSE_FAILED", error.message, "graphql error") from None
    errors = validate(schema(), document)
    if errors:
        message = "; ".join(e.message for e in errors)
        raise LinearError("GRAPHQL_VALIDATION_FAILED", message, "graphql error")
    return document


def complexity(document: DocumentNode, variables: Json) -> int:
    """The query's cost in Linear's complexity points."""
    total = 0.0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            root = (
                schema().mutation_type
                if definition.operation.value == "mutation"
                else schema().query_type
            )
            assert root is not None
            total += _cost(definition.selection_set.selections, root, variables)
    return math.ceil(total)


def _cost(
    selections: Any, parent: GraphQLObjectType, variables: Json, first: int | None = None
) -> float:
    """Points of ``selections`` on ``parent``; ``first`` is the page size when ``parent`` is
    a connection, whose ``nodes`` count that many times."""
    cost = 0.0
    for node in selections:
        if not isinstance(node, FieldNode) or node.name.value not in parent.fields:
            continue
        named = get_named_type(parent.fields[node.name.value].type)
        if not isinstance(named, GraphQLObjectType) or node.selection_set is None:
            cost += 0.1
            continue
        size = None
        if named.name.endswith("Connection"):
            given = next(
                (
                    value_from_ast_untyped(a.value, variables)
                    for a in node.arguments or ()
                    if a.name.value == "first"
                ),
                None,
            )
            size = int(given) if given else DEFAULT_FIRST
        inner = 1 + _cost(node.selection_set.selections, named, variables, size)
        cost += inner * (first if first is not None and node.name.value == "nodes" else 1)
    return cost


def run(world: World, document: DocumentNode, variables: Json) -> Json:
    """``{"data": ...}``; a filter or page argument Linear refuses raises
    :class:`LinearError` (``INVALID_INPUT``)."""
    root = _Root(world)
    result = execute_sync(
        schema(),
        document,
        root_value=root,
        variable_values=variables,
        field_resolver=_resolve,
    )
    if result.errors:
        original = result.errors[0].original_error
        if isinstance(original, LinearError):
            raise original
        raise LinearError("INVALID_INPUT", result.errors[0].message, "invalid input")
    return {"data": result.data}


def _resolve(source: Any, info: Any, **args: Any) -> Any:
    name = info.field_name
    value = getattr(source, name) if isinstance(source, _Root) else source.get(name)
    return value(**args) if callable(value) else value


# ---------------------------------------------------------------- views


class _Root:
    def __init__(self, world: World) -> None:
        self.world = world

    def viewer(self) -> Json:
        return self.world.viewer.render()

    def issue(self, id: str) -> Json:
        return self._issue(self._find_issue(id))

    # ------------------------------------------------------------ mutations

    def issueUpdate(self, id: str, input: Json) -> Json:
        item = self._find_issue(id)
        if input.get("labelIds") is not None:
            added, removed = list(input["labelIds"]), list(item.labels)
        else:
            added = list(input.get("addedLabelIds") or [])
            removed = list(input.get("removedLabelIds") or [])
        with self.world.lock:
            self._relabel(item, added, removed)
            fields = {k: input[k] for k in ("title", "dueDate") if input.get(k) is not None}
            if fields:
                self.world.update(item.id, **fields)
        return self._issue_payload(item)

    def issueAddLabel(self, id: str, labelId: str) -> Json:
        item = self._find_issue(id)
        self._relabel(item, [labelId], [])
        return self._issue_payload(item)

    def issueRemoveLabel(self, id: str, labelId: str) -> Json:
        item = self._find_issue(id)
        self._relabel(item, [], [labelId])
        return self._issue_payload(item)

    def issueLabelCreate(self, input: Json, replaceTeamLabels: bool | None = None) -> Json:
        try:
            label = self.world.create_label(
                str(input["name"]),
                is_group=bool(input.get("isGroup")),
                parent_id=input.get("parentId"),
                team_id=input.get("teamId"),
            )
        except ValueError as exc:
            raise LinearError("INVALID_INPUT", str(exc), "invalid input") from None
        return {"success": True, "lastSyncId": self._sync(), "issueLabel": label.render()}

    def attachmentCreate(self, input: Json) -> Json:
        item = self._find_issue(str(input["issueId"]))
        found = self.world.attach(
            item.id, str(input["url"]), str(input["title"]), input.get("subtitle")
        )
        attachment = {**found.render(), "issue": lambda **_: self._issue(item)}
        return {"success": True, "lastSyncId": self._sync(), "attachment": attachment}

    def _find_issue(self, ref: str) -> Item:
        try:
            item = self.world.find(ref)
        except KeyError:
            item = None
        if item is None or "identifier" not in item.fields:
            raise LinearError("INVALID_INPUT", f"Entity not found: Issue - {ref}", "invalid input")
        return item

    def _relabel(self, item: Item, added: list[str], removed: list[str]) -> None:
        try:
            self.world.relabel(item.id, added, removed)
        except ValueError as exc:
            raise LinearError("INVALID_INPUT", str(exc), "invalid input") from None

    def _issue_payload(self, item: Item) -> Json:
        return {"success": True, "lastSyncId": self._sync(), "issue": self._issue(item)}

    def _sync(self) -> float:
        return float(len(self.world.attachments) + len(self.world.issue_labels))

    def teams(self, **args: Any) -> Json:
        teams = [t.render() for t in self.world.teams.values()]
        return connection([(t, t) for t in teams], args)

    def issues(self, **args: Any) -> Json:
        return connection(
            [(self._issue_filter(i), self._issue(i)) for i in self._live(self.world.issues, args)],
            args,
        )

    def projects(self, **args: Any) -> Json:
        live = self._live(self.world.projects, args)
        return connection([(self._project_filter(p), self._project(p)) for p in live], args)

    def issueLabels(self, **args: Any) -> Json:
        labels = [lb.render() for lb in self.world.issue_labels.values()]
        return connection([(lb, lb) for lb in labels], args)

    def projectLabels(self, **args: Any) -> Json:
        labels = [lb.render() for lb in self.world.project_labels.values()]
        return connection([(lb, lb) for lb in labels], args)

    @staticmethod
    def _live(items: dict[str, Item], args: Json) -> list[Item]:
        return [i for i in items.values() if args.get("includeArchived") or not i.archived]

    def _labels(self, item: Item, table: dict[str, Label]) -> list[Json]:
        return [table[i].render() for i in item.labels if i in table]

    def _team(self, item: Item) -> list[Json]:
        return [self.world.teams[t].render() for t in item.team_ids]

    def _user(self, user_id: str | None) -> Json | None:
        return self.world.users[user_id].render() if user_id else None

    def _issue_filter(self, item: Item) -> Json:
        return {
            "id": item.id,
            "team": self._team(item)[0],
            "labels": self._labels(item, self.world.issue_labels),
            "updatedAt": item.fields["updatedAt"],
        }

    def _project_filter(self, item: Item) -> Json:
        return {
            "id": item.id,
            "accessibleTeams": self._team(item),
            "labels": self._labels(item, self.world.project_labels),
            "updatedAt": item.fields["updatedAt"],
        }

    def _issue(self, item: Item) -> Json:
        labels = self._labels(item, self.world.issue_labels)
        project = item.fields.get("project")
        return {
            **item.fields,
            "id": item.id,
            "archivedAt": None,
            "assignee": self._user(item.fields.get("assignee")),
            "creator": self._user(item.fields.get("creator")),
            "team": self._team(item)[0],
            "project": self._project(self.world.projects[project]) if project else None,
            "state": {
                "id": item.id + "-state",
                "name": item.fields["state"]["type"].title(),
                **item.fields["state"],
            },
            "labels": lambda **a: connection([(lb, lb) for lb in labels], a),
            "attachments": lambda **a: connection(
                [(at, at) for at in (x.render() for x in self.world.attachments_of(item.id))], a
            ),
        }

    def _project(self, item: Item) -> Json:
        labels = self._labels(item, self.world.project_labels)
        teams = self._team(item)
        return {
            **item.fields,
            "id": item.id,
            "archivedAt": None,
            "content": None,
            "startDate": None,
            "lead": self._user(item.fields.get("lead")),
            "status": {
                "id": item.id + "-status",
                "name": item.fields["status"]["type"].title(),
                **item.fields["status"],
            },
            "labels": lambda **a: connection([(lb, lb) for lb in labels], a),
            "teams": lambda **a: connection([(t, t) for t in teams], a),
        }


def connection(pairs: list[tuple[Json, Json]], args: Json) -> Json:
    """One page of (filter view, node) pairs that match ``args["filter"]``."""
    first = args.get("first")
    if args.get("last") is not None or args.get("before") is not None:
        raise LinearError("INVALID_INPUT", "opsync's emulator pages forward only", "invalid input")
    size = DEFAULT_FIRST if first is None else int(first)
    if not 0 < size <= MAX_FIRST:
        raise LinearError(
            "INVALID_INPUT", f"first must be between 1 and {MAX_FIRST}", "invalid input"
        )
    wanted = [node for view, node in pairs if matches(args.get("filter") or {}, view)]
    if args.get("orderBy") == "updatedAt":  # most recently updated first
        wanted.sort(key=lambda n: str(n.get("updatedAt") or ""), reverse=True)
    start = 0
    after = args.get("after")
    if after:
        ids = [str(n.get("id")) for n in wanted]
        if after not in ids:
            raise LinearError("INVALID_INPUT", f"cursor {after} is not valid", "invalid input")
        start = ids.index(after) + 1
    page = wanted[start : start + size]
    more = start + size < len(wanted)
    end = str(page[-1]["id"]) if page else None
    info = {"hasNextPage": more, "endCursor": end, "hasPreviousPage": start > 0,
            "startCursor": str(page[0]["id"]) if page else None}  # fmt: skip
    return {"nodes": page, "pageInfo": info}


# ---------------------------------------------------------------- filters


def matches(filter_: Json, value: Any) -> bool:
    """Whether ``value`` (a filter view: scalars, objects as dicts, collections as lists)
    satisfies a Linear filter."""
    if isinstance(value, list):
        return _collection(filter_, value)
    for key, condition in filter_.items():
        if condition is None:
            continue
        if key == "and":
            ok = all(matches(f, value) for f in condition)
        elif key == "or":
            ok = any(matches(f, value) for f in condition)
        else:
            ok = _field(condition, value.get(key) if isinstance(value, dict) else None)
        if not ok:
            return False
    return True


def _field(condition: Json, value: Any) -> bool:
    if isinstance(value, list):
        return _collection(condition, value)
    if set(condition) <= _COMPARATORS:
        return all(_compare(op, arg, value) for op, arg in condition.items() if arg is not None)
    return value is not None and matches(condition, value)


def _collection(condition: Json, values: list[Any]) -> bool:
    for key, arg in condition.items():
        if arg is None:
            continue
        if key == "some":
            ok = any(matches(arg, v) for v in values)
        elif key == "every":
            ok = all(matches(arg, v) for v in values)
        elif key == "and":
            ok = all(_collection(c, values) for c in arg)
        elif key == "or":
            ok = any(_collection(c, values) for c in arg)
        else:  # a field of the elements: true when one element satisfies it
            ok = any(matches({key: arg}, v) for v in values)
        if not ok:
            return False
    return True


def _when(value: Any) -> datetime:
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise LinearError(
            "INVALID_INPUT", f"{value!r} is not an ISO 8601 date and time", "invalid input"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


_ORDERED: dict[str, Callable[[Any, Any], bool]] = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def _compare(op: str, arg: Any, value: Any) -> bool:
    if op in _ORDERED:
        return value is not None and _ORDERED[op](_when(value), _when(arg))
    text = None if value is None else str(value)
    if op == "eq":
        return text == str(arg)
    if op == "neq":
        return text != str(arg)
    if op == "in":
        return text in {str(a) for a in arg}
    if op == "nin":
        return text not in {str(a) for a in arg}
    if text is None:
        return False
    if op == "eqIgnoreCase":
        return text.lower() == str(arg).lower()
    if op == "startsWith":
        return text.startswith(str(arg))
    if op == "endsWith":
        return text.endswith(str(arg))
    return str(arg) in text  # contains


__all__ = ["LinearError", "checked", "complexity", "connection", "matches", "run", "schema"]
