"""Write-back onto the release issues: the enablement status as a label of one label group,
and the bundle page as an attachment.

What opsync last wrote on each issue is kept in the connector's part of the state store
(``written``, the Jira connector's :class:`~opsync.connectors.jira.writeback.Memory`: one
format for every tracker). Each read compares the issue's labels of the group with it: a
status label other than the one opsync set (a person picked another, or added a second)
is a change by a person, a conflict the plan leaves alone. A status opsync has no memory of
(the first run, a lost state store) is taken as it is and replaced if the rules want
another.

A status write reads the issue's labels again first (a person may have changed them since
the run's read: a conflict, nothing written), then sends one ``issueUpdate`` with
``addedLabelIds`` and ``removedLabelIds``: only opsync's label of the group is swapped, and
a label a person adds meanwhile is kept (``labelIds`` would replace the whole set). The
group and its labels are created in the team when missing (``create_labels``).

The attachment is made with ``attachmentCreate``; Linear treats the URL as idempotent per
issue ("if you try to re-create an attachment with the same URL on the same issue, the
original attachment is updated instead", linear.app/developers/attachments), so a rerun or a
lost state store never duplicates it; and when this store does not remember it, the
issue's attachments with that URL are read first and nothing is written when it is right.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from opsync.connectors.base import RecordState, TrackerWrite
from opsync.connectors.jira.writeback import Memory
from opsync.connectors.linear import queries
from opsync.connectors.linear.client import LinearApi
from opsync.connectors.linear.config import LinearWriteBack
from opsync.errors import ConflictError, PermanentError

NAME = "written"  # its name in the connector's part of the state store
STATUS = "enablement_status"
LINK = "bundle_page"
SUBTITLE = "bundle_subtitle"  # remembered beside the link: the attachment shows the status
TITLE = "Enablement bundle"
Json = dict[str, Any]


def group_labels(item: Json, group: str) -> list[Json]:
    """The item's labels that belong to label group ``group`` (names compared as Linear
    shows them, case-insensitively)."""
    nodes = (item.get("labels") or {}).get("nodes") or []
    return [
        n
        for n in nodes
        if isinstance(n, dict)
        and str((n.get("parent") or {}).get("name") or "").lower() == group.lower()
    ]


def status_of(labels: list[Json]) -> str | None:
    """The status the labels of the group say: one label's name; several, joined (never a
    status opsync writes, so always a person's change); None when there is none."""
    names = sorted(str(n.get("name") or "") for n in labels)
    return ", ".join(names) or None


def subtitle(status: Any) -> str | None:
    return f"Enablement status: {status}" if status else None


class Writer:
    """Reads what the issues hold of the write-back, and writes it."""

    def __init__(self, api: LinearApi, config: LinearWriteBack, team: str, memory: Memory):
        self.api = api
        self.config = config
        self.team = team
        self.memory = memory
        self.seen: dict[str, str | None] = {}  # key → status label as this run read it
        self.ids: dict[str, str] = {}  # key → issue id
        self._labels: dict[str, str] | None = None  # status label name (lower) → id
        self._group: str | None = None  # the group label's id

    def states(self, items: Iterable[Json]) -> dict[str, RecordState]:
        """What each issue holds of the write-back, and what a person changed since opsync
        wrote it."""
        out: dict[str, RecordState] = {}
        for item in items:
            key = str(item.get("identifier"))
            self.ids[key] = str(item.get("id"))
            owned: dict[str, Any] = {}
            edited: set[str] = set()
            if self.config.status_labels:
                value = status_of(group_labels(item, self.config.label_group))
                self.seen[key] = value
                known, wrote = self.memory.get(key, STATUS)
                if not known:  # taken as it is, and from now on compared with it
                    self.memory.remember(key, {STATUS: value})
                elif wrote != value:
                    edited.add(STATUS)
                owned[STATUS] = value
            if self.config.bundle_attachment:
                owned[LINK] = self.memory.get(key, LINK)[1]
            path = str(item.get("url") or key)
            out[key] = RecordState(ref=key, path=path, owned=owned, edited=frozenset(edited))
        return out

    def write(self, op: TrackerWrite) -> None:
        key = op.key
        issue = self.ids.get(key, key)  # Linear takes the identifier too
        if self.config.status_labels and STATUS in op.values:
            value = op.values[STATUS]
            self._set_status(key, issue, None if value is None else str(value))
            self.memory.remember(key, {STATUS: value})
        if not self.config.bundle_attachment:
            return
        known, url = self.memory.get(key, LINK)
        url = op.values.get(LINK, url if known else None)
        if isinstance(url, str):
            shown = subtitle(op.values.get(STATUS, self.memory.get(key, STATUS)[1]))
            self._attach(key, issue, url, shown)

    def _set_status(self, key: str, issue: str, value: str | None) -> None:
        """Swap opsync's label of the group for ``value``'s, after checking the group's
        labels still are what the run read."""
        now = self.api.query(queries.ISSUE_NOW, {"id": issue}, what=f"the labels of {key}")
        labels = group_labels(now.get("issue") or {}, self.config.label_group)
        if status_of(labels) != self.seen.get(key):
            raise ConflictError(
                f"Linear issue {key}: its {self.config.label_group} label changed since "
                "opsync read it; opsync leaves it as it is (the next run reports it as a "
                "conflict)",
                target=f"tracker/{key}",
                region=STATUS,
            )
        target = self._label_id(value) if value is not None else None
        have = {str(n.get("id")) for n in labels}
        added = [target] if target is not None and target not in have else []
        removed = sorted(have - {target} if target is not None else have)
        if added or removed:
            answer = self.api.query(
                queries.SET_LABELS,
                {"id": issue, "input": {"addedLabelIds": added, "removedLabelIds": removed}},
                what=f"the {self.config.label_group} label of {key}",
            )
            _succeeded(self.api, answer, "issueUpdate", key)
        self.seen[key] = value

    def _attach(self, key: str, issue: str, url: str, shown: str | None) -> None:
        known, wrote = self.memory.get(key, LINK)
        if known and wrote == url and self.memory.get(key, SUBTITLE)[1] == shown:
            return
        if not known:  # this store never attached it: it may be there, right, already
            found = self.api.query(
                queries.ATTACHMENTS,
                {"id": issue, "filter": {"url": {"eq": url}}},
                what=f"the attachments of {key}",
            )
            nodes = ((found.get("issue") or {}).get("attachments") or {}).get("nodes") or []
            if any(n.get("title") == TITLE and n.get("subtitle") == shown for n in nodes):
                self.memory.remember(key, {LINK: url, SUBTITLE: shown})
                return
        attachment: Json = {"issueId": issue, "url": url, "title": TITLE}
        if shown is not None:
            attachment["subtitle"] = shown
        answer = self.api.query(
            queries.ATTACH, {"input": attachment}, what=f"the bundle attachment of {key}"
        )
        _succeeded(self.api, answer, "attachmentCreate", key)
        self.memory.remember(key, {LINK: url, SUBTITLE: shown})

    def _label_id(self, name: str) -> str:
        """The id of status label ``name`` in the group, made (with the group) when
        missing and allowed."""
        if self._labels is None:
            self._catalog()
        assert self._labels is not None
        found = self._labels.get(name.lower())
        if found is not None:
            return found
        group = self.config.label_group
        if not self.config.create_labels:
            raise PermanentError(
                f'Linear has no label "{name}" in the label group "{group}"; create it, or '
                "set create_labels = true; `opsync doctor` lists what is missing",
                connector=self.api.name,
                record=name,
            )
        team = self._team_id()
        if self._group is None:
            made = self._create({"name": group, "isGroup": True, "teamId": team}, group)
            self._group = str(made["id"])
        made = self._create({"name": name, "parentId": self._group, "teamId": team}, name)
        self._labels[name.lower()] = str(made["id"])
        return str(made["id"])

    def _catalog(self) -> None:
        group = self.config.label_group
        self._labels = {}
        for node in self.api.nodes(
            queries.STATUS_LABELS,
            "issueLabels",
            {"filter": queries.status_labels(group)},
            what=f'the labels of group "{group}"',
            size=100,
        ):
            parent = node.get("parent") or {}
            if node.get("isGroup") and str(node.get("name")).lower() == group.lower():
                self._group = self._group or str(node.get("id"))
            elif str(parent.get("name") or "").lower() == group.lower():
                self._labels.setdefault(str(node.get("name")).lower(), str(node.get("id")))

    def _team_id(self) -> str:
        teams = self.api.query(
            queries.TEAM, {"filter": {"key": {"eq": self.team}}}, what="the team"
        )["teams"]["nodes"]
        if not teams:
            raise PermanentError(
                f"Linear has no team {self.team} visible to this key; run `opsync doctor`",
                connector=self.api.name,
            )
        return str(teams[0]["id"])

    def _create(self, label: Json, name: str) -> Json:
        answer = self.api.query(queries.LABEL_CREATE, {"input": label}, what=f'the label "{name}"')
        _succeeded(self.api, answer, "issueLabelCreate", name)
        return dict(answer["issueLabelCreate"]["issueLabel"])


def _succeeded(api: LinearApi, answer: Json, mutation: str, record: str) -> None:
    if not (answer.get(mutation) or {}).get("success"):
        raise PermanentError(
            f"Linear answered {mutation} for {record} without success",
            connector=api.name,
            record=record,
        )
