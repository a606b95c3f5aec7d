"""Write-back onto the release issues: custom fields and a remote link to the bundle page.

What opsync last wrote on each issue is kept in the connector's part of the state store
(``written``), beside the read mirror but apart from it (a new filter or mapping discards the
mirror, not this). Each read compares the issue's fields with it: a field that differs was
changed by a person since (``RecordState.edited``), a conflict the plan leaves alone. A
field opsync has no memory of (the first run, or a lost state store) is taken as it is:
opsync cannot tell who set it, and writes what the rules want there.

A write sends only the fields whose value differs from what the read saw, first checking
the issue still holds what the read saw (a person may have edited it since: a conflict,
nothing written), with one ``PUT /issue/{key}``: a select by its option's value, a date as
``YYYY-MM-DD``, a text or URL field as a string (a paragraph field as ADF on Cloud).
The remote link has ``globalId = opsync:bundle:<release key>``: Jira updates the link with
that id instead of adding one (``createOrUpdateRemoteIssueLink``), so a rerun or a lost
state store never duplicates it; and when this store does not remember it, the link is read
first (``GET remotelink?globalId=``) and not written again when it is right already.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from opsync.connectors.base import RecordState, TrackerWrite
from opsync.connectors.jira.client import JiraApi
from opsync.connectors.jira.config import WriteBack
from opsync.connectors.jira.rows import BadValue, calendar_date
from opsync.connectors.jira.text import plain_text
from opsync.errors import ConflictError, PermanentError

FORMAT = 1
NAME = "written"  # its name in the connector's part of the state store
LINK = "bundle_page"
GLOBAL_ID = "opsync:bundle:{key}"
APPLICATION = {"type": "org.opsync", "name": "opsync"}
Json = dict[str, Any]


def global_id(key: str) -> str:
    return GLOBAL_ID.format(key=key)


def to_json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def from_json(name: str, value: Any) -> Any:
    if name == "next_deadline" and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def read_value(name: str, raw: Any) -> Any:
    """A field's value as the issue holds it, in the terms opsync compares: a select's
    option value, a date, a paragraph's plain text, a string; None when empty."""
    if raw is None or raw == "":
        return None
    if name == "next_deadline":
        try:
            return calendar_date(raw)
        except BadValue:
            return str(raw)  # not a date: a person's text, kept to compare
    if isinstance(raw, dict):
        if "value" in raw:
            return str(raw["value"])
        return plain_text(raw)
    if isinstance(raw, list):
        return ", ".join(str(read_value(name, item)) for item in raw) or None
    return str(raw)


@dataclass
class Memory:
    """What opsync last wrote on each issue: release key → write-back name → value."""

    issues: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, text: str | None) -> Memory:
        if text is None:
            return cls()
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                return cls()
            return cls({str(k): dict(v) for k, v in (data.get("issues") or {}).items()})
        except (ValueError, TypeError, AttributeError):
            return cls()  # unreadable: take the fields as they are

    def dump(self) -> str:
        return json.dumps({"format": FORMAT, "issues": self.issues}, sort_keys=True)

    def get(self, key: str, name: str) -> tuple[bool, Any]:
        """(whether opsync remembers writing ``name`` on ``key``, the value it wrote)."""
        known = self.issues.get(key, {})
        return name in known, from_json(name, known.get(name))

    def remember(self, key: str, values: Mapping[str, Any]) -> None:
        self.issues.setdefault(key, {}).update({k: to_json(v) for k, v in values.items()})


class Writer:
    """Reads what the issues hold of the write-back fields, and writes them."""

    def __init__(self, api: JiraApi, config: WriteBack, memory: Memory) -> None:
        self.api = api
        self.config = config
        self.memory = memory
        self.seen: dict[str, dict[str, Any]] = {}  # key → values as this run read them
        self._types: dict[str, str] | None = None

    def field_ids(self) -> list[str]:
        """The fields a search must ask for, so every read (incremental or not) sees them."""
        return list(self.config.fields().values())

    def states(self, issues: Iterable[Json], site: str) -> dict[str, RecordState]:
        """What each issue holds of the write-back, and what a person changed since opsync
        wrote it."""
        out: dict[str, RecordState] = {}
        for issue in issues:
            key = str(issue.get("key") or issue.get("id"))
            fields = issue.get("fields") or {}
            values = {
                name: read_value(name, fields.get(field_id))
                for name, field_id in self.config.fields().items()
            }
            self.seen[key] = values
            edited = set()
            for name, value in values.items():
                known, wrote = self.memory.get(key, name)
                if not known:  # taken as it is, and from now on compared with it
                    self.memory.remember(key, {name: value})
                elif wrote != value:
                    edited.add(name)
            owned: dict[str, Any] = dict(values)
            if self.config.remote_link:
                owned[LINK] = self.memory.get(key, LINK)[1]
            out[key] = RecordState(
                ref=key, path=f"{site}/browse/{key}", owned=owned, edited=frozenset(edited)
            )
        return out

    def write(self, op: TrackerWrite, title: str) -> None:
        key = op.key
        seen = self.seen.get(key, {})
        ids = self.config.fields()
        changed = {n: v for n, v in op.values.items() if n in ids and seen.get(n) != v}
        if changed:
            self._check_unchanged(key, changed)
            body = {"fields": {ids[n]: self._encode(ids[n], v) for n, v in changed.items()}}
            params = {} if self.config.notify_users else {"notifyUsers": "false"}
            self.api.put(f"issue/{key}", body, record=key, **params)
            seen.update(changed)
        fields_written = {n: v for n, v in op.values.items() if n in ids}
        self.memory.remember(key, fields_written)  # also what matched already: now opsync's
        url = op.values.get(LINK)
        if self.config.remote_link and isinstance(url, str):
            self._link(key, url, title)
            self.memory.remember(key, {LINK: url})

    def _check_unchanged(self, key: str, changed: Mapping[str, Any]) -> None:
        """Refuse to write over a person's edit made after this run's read."""
        ids = self.config.fields()
        issue = self.api.get(f"issue/{key}", record=key, fields=",".join(ids[n] for n in changed))
        now = (issue or {}).get("fields") or {}
        seen = self.seen.get(key, {})
        moved = [n for n in changed if read_value(n, now.get(ids[n])) != seen.get(n)]
        if moved:
            raise ConflictError(
                f"Jira issue {key}: {', '.join(moved)} changed since opsync read it; opsync "
                "leaves it as it is (the next run reports it as a conflict)",
                target=f"tracker/{key}",
                region=", ".join(moved),
            )

    def _link(self, key: str, url: str, title: str) -> None:
        known, wrote = self.memory.get(key, LINK)
        link = {
            "globalId": global_id(key),
            "application": APPLICATION,
            "relationship": "enablement bundle",
            "object": {"url": url, "title": title},
        }
        if not known:  # this store never wrote it: the link may be there, right, already
            try:
                there = self.api.get(f"issue/{key}/remotelink", record=key, globalId=global_id(key))
            except PermanentError:  # 404: no link with that id
                there = None
            found = there[0] if isinstance(there, list) and there else there
            obj = (found.get("object") or {}) if isinstance(found, dict) else {}
            if obj.get("url") == url and obj.get("title") == title:
                return
        elif wrote == url:
            return
        self.api.post(f"issue/{key}/remotelink", link, record=key)

    def _encode(self, field_id: str, value: Any) -> Any:
        """A value in the shape the field's type takes (``PUT /issue`` fields)."""
        kind, custom = self._type(field_id)
        if value is None:
            return None
        if kind == "option":
            return {"value": str(value)}
        if kind == "date":
            return value.isoformat() if isinstance(value, date) else str(value)
        if kind == "string" and custom.endswith(":textarea") and self.api.cloud:
            return _adf(str(value))
        if isinstance(value, date):
            return value.isoformat()
        return str(value)

    def _type(self, field_id: str) -> tuple[str, str]:
        """The field's schema type and custom type, from ``/field`` (read once a run)."""
        if self._types is None:
            self._types = {}
            for found in self.api.get("field") or []:
                schema = found.get("schema") or {}
                self._types[str(found.get("id"))] = (
                    f"{schema.get('type', '')}|{schema.get('custom', '')}"
                )
        kind, _, custom = self._types.get(field_id, "|").partition("|")
        if not kind:
            raise PermanentError(
                f"Jira has no field {field_id} visible to this account; run `opsync doctor`",
                connector=self.api.name,
                record=field_id,
            )
        return kind, custom


def _adf(text: str) -> Json:
    paragraph = {"type": "paragraph", "content": [{"type": "text", "text": text}]}
    return {"type": "doc", "version": 1, "content": [paragraph]}
