"""The emulated Jira site: projects, versions, components, users, fields and issues.

Issues are held as plain values and rendered the way each REST version shows them: v3
(Cloud) turns rich-text fields into ADF documents, v2 (Cloud v2 and Data Center) leaves
them as wiki-markup strings; timestamps carry the account's UTC offset, as Jira's do.
An issue's ``fixVersions`` are rendered from the versions' current state, while changing
a version (rename, release, new date) leaves the issues' ``updated`` alone, as in Jira.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]
Json = dict[str, Any]
SITE = "https://your-domain.atlassian.net"
# Field kinds -> the schema Jira publishes for a custom field of that kind.
CUSTOM_TYPES = {
    "select": ("option", "com.atlassian.jira.plugin.system.customfieldtypes:select"),
    "user": ("user", "com.atlassian.jira.plugin.system.customfieldtypes:userpicker"),
    "textarea": ("string", "com.atlassian.jira.plugin.system.customfieldtypes:textarea"),
    "text": ("string", "com.atlassian.jira.plugin.system.customfieldtypes:textfield"),
    "date": ("date", "com.atlassian.jira.plugin.system.customfieldtypes:datepicker"),
    "datetime": ("datetime", "com.atlassian.jira.plugin.system.customfieldtypes:datetime"),
    "url": ("string", "com.atlassian.jira.plugin.system.customfieldtypes:url"),
}
# createCustomField's ``type`` → the kind above, for the types the emulator serves.
KIND_OF_TYPE = {custom: kind for kind, (_, custom) in CUSTOM_TYPES.items()}
SYSTEM_FIELDS: dict[str, tuple[str, Json]] = {
    "summary": ("Summary", {"type": "string", "system": "summary"}),
    "description": ("Description", {"type": "string", "system": "description"}),
    "issuetype": ("Issue Type", {"type": "issuetype", "system": "issuetype"}),
    "project": ("Project", {"type": "project", "system": "project"}),
    "status": ("Status", {"type": "status", "system": "status"}),
    "labels": ("Labels", {"type": "array", "items": "string", "system": "labels"}),
    "components": ("Components", {"type": "array", "items": "component", "system": "components"}),
    "fixVersions": ("Fix versions", {"type": "array", "items": "version", "system": "fixVersions"}),
    "assignee": ("Assignee", {"type": "user", "system": "assignee"}),
    "duedate": ("Due date", {"type": "date", "system": "duedate"}),
    "created": ("Created", {"type": "datetime", "system": "created"}),
    "updated": ("Updated", {"type": "datetime", "system": "updated"}),
}


@dataclass
class Version:
    id: str
    project_id: str
    name: str
    release_date: date | None = None
    released: bool = False
    archived: bool = False
    description: str = ""

    def render(self) -> Json:
        out: Json = {
            "self": f"{SITE}/rest/api/3/version/{self.id}",
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "archived": self.archived,
            "released": self.released,
            "projectId": int(self.project_id),
        }
        if self.release_date is not None:
            out["releaseDate"] = self.release_date.isoformat()
            out["userReleaseDate"] = self.release_date.strftime("%-d/%b/%y")
        return out


@dataclass
class Project:
    id: str
    key: str
    name: str
    components: dict[str, str] = field(default_factory=dict)  # id -> name


@dataclass
class User:
    account_id: str
    name: str  # the Data Center user name
    display_name: str
    email: str | None = None

    def render(self, cloud: bool) -> Json:
        out: Json = {"displayName": self.display_name, "active": True}
        if self.email:
            out["emailAddress"] = self.email
        if cloud:
            out["accountId"] = self.account_id
        else:
            out["name"] = out["key"] = self.name
        return out


@dataclass
class Issue:
    id: str
    key: str
    project: Project
    created: datetime
    updated: datetime
    values: Json = field(default_factory=dict)
    indexed_at: datetime | None = None  # when search sees the last change; None: at once


def adf(text: str) -> Json:
    """An ADF document with one paragraph per line of ``text``."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]} if line else
        {"type": "paragraph"}
        for line in text.split("\n")
    ]  # fmt: skip
    return {"type": "doc", "version": 1, "content": paragraphs}


class World:
    """One Jira site. Every method that reads or changes it runs under ``lock``."""

    def __init__(self, clock: Clock, timezone: str, deployment: str) -> None:
        self.clock = clock
        self.zone = ZoneInfo(timezone)
        self.deployment = deployment
        self.lock = threading.RLock()
        self.projects: dict[str, Project] = {}
        self.versions: dict[str, Version] = {}
        self.users: dict[str, User] = {}
        self.custom: dict[str, tuple[str, str]] = {}  # field id -> (name, kind)
        self.issues: dict[str, Issue] = {}  # by id
        self.options: dict[str, list[str]] = {}  # select field id -> its options' values
        self.remote_links: dict[str, list[Json]] = {}  # issue id -> its remote links
        # field ids on the project's edit screen; None: every field (editmeta, PUT issue)
        self.screen: set[str] | None = None
        self.admin = True  # the account has Administer Jira (createCustomField)
        self.edits: list[tuple[str, Json, str | None]] = []  # (key, fields, notifyUsers)
        self._ids = itertools.count(10001)
        self._numbers: dict[str, itertools.count[int]] = {}
        self.me = self.add_user("opsync-bot", "opsync", "opsync bot", "opsync@example.com")

    @property
    def cloud(self) -> bool:
        return self.deployment == "cloud"

    # ------------------------------------------------------------------ building the site
    def add_project(self, key: str, name: str) -> Project:
        with self.lock:
            project = Project(str(next(self._ids)), key, name)
            self.projects[key] = project
            self._numbers[key] = itertools.count(1)
            return project

    def add_component(self, project: str, name: str) -> str:
        with self.lock:
            component_id = str(next(self._ids))
            self.projects[project].components[component_id] = name
            return component_id

    def add_version(self, project: str, name: str, **values: Any) -> Version:
        with self.lock:
            version = Version(str(next(self._ids)), self.projects[project].id, name, **values)
            self.versions[version.id] = version
            return version

    def update_version(self, version_id: str, **values: Any) -> None:
        """Rename, release or move a version; issues' ``updated`` does not change."""
        with self.lock:
            for name, value in values.items():
                setattr(self.versions[version_id], name, value)

    def add_user(self, account_id: str, name: str, display: str, email: str | None) -> User:
        with self.lock:
            user = User(account_id, name, display, email)
            self.users[account_id] = user
            return user

    def add_field(
        self, name: str, kind: str, field_id: str | None = None, options: list[str] | None = None
    ) -> str:
        with self.lock:
            field_id = field_id or f"customfield_{next(self._ids)}"
            self.custom[field_id] = (name, kind)
            if options is not None:
                self.options[field_id] = list(options)
            return field_id

    def create_issue(
        self, project: str, summary: str, *, key: str | None = None, **values: Any
    ) -> Issue:
        """A new issue, numbered next in its project unless ``key`` is given."""
        with self.lock:
            owner = self.projects[project]
            now = self.clock()
            issue = Issue(
                str(next(self._ids)),
                key or f"{project}-{next(self._numbers[project])}",
                owner,
                now,
                now,
                {"summary": summary, "issuetype": "Epic", "status": "To Do", **values},
            )
            self.issues[issue.id] = issue
            return issue

    def update_issue(
        self, key: str, *, index_delay: timedelta | None = None, **values: Any
    ) -> Issue:
        """Change an issue now; with ``index_delay`` search sees the change only that much
        later (Cloud search is eventually consistent, NOTES.md §1)."""
        with self.lock:
            issue = self.by_key(key)
            issue.values.update(values)
            issue.updated = self.clock()
            issue.indexed_at = issue.updated + index_delay if index_delay else None
            return issue

    def delete_issue(self, key: str) -> None:
        with self.lock:
            del self.issues[self.by_key(key).id]

    def next_id(self) -> int:
        """A new id from the site's one sequence (issues, fields, links...)."""
        with self.lock:
            return next(self._ids)

    def by_key(self, key: str) -> Issue:
        found = next((i for i in self.issues.values() if i.key == key or i.id == key), None)
        if found is None:
            raise KeyError(key)
        return found

    # ------------------------------------------------------------------ fields
    def field_list(self) -> list[Json]:
        out: list[Json] = []
        for field_id, (name, schema) in SYSTEM_FIELDS.items():
            out.append(_field(field_id, name, False, schema, [field_id]))
        for field_id, (name, kind) in self.custom.items():
            out.append(custom_field(field_id, name, kind))
        return out

    # ------------------------------------------------------------------ rendering
    def render(self, issue: Issue, wanted: list[str], version: str) -> Json:
        """The issue as search and GET issue return it, with the fields asked for."""
        names = _expand_fields(wanted, [*SYSTEM_FIELDS, *self.custom])
        out: Json = {"id": issue.id}
        if names == ["id"]:
            return out
        out.update(expand="", key=issue.key, self=f"{SITE}/rest/api/{version}/issue/{issue.id}")
        fields: Json = {}
        for name in names:
            if name == "id":
                continue
            fields[name] = self._value(issue, name, version)
        out["fields"] = fields
        return out

    def _stamp(self, when: datetime) -> str:
        local = when.astimezone(self.zone)
        return (
            local.strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{local.microsecond // 1000:03d}"
            + (local.strftime("%z"))
        )

    def _value(self, issue: Issue, name: str, version: str) -> Any:
        raw = issue.values.get(name)
        rich = version == "3"
        if name in ("created", "updated"):
            return self._stamp(getattr(issue, name))
        if name == "project":
            p = issue.project
            return {"id": p.id, "key": p.key, "name": p.name}
        if name == "issuetype":
            return {"id": "10000", "name": raw}
        if name == "status":
            return {"name": raw, "statusCategory": {"key": "done" if raw == "Done" else "new"}}
        if name == "labels":
            return list(raw or [])
        if name == "components":
            named = {v: k for k, v in issue.project.components.items()}
            return [{"id": named[c], "name": c} for c in raw or []]
        if name == "fixVersions":
            return [self.versions[v].render() for v in raw or [] if v in self.versions]
        if name == "description":
            return (adf(raw) if rich else raw) if raw else None
        if name == "assignee":
            return self.users[raw].render(self.cloud) if raw else None
        kind = self.custom.get(name, ("", ""))[1]
        if raw is None:
            return None
        if kind == "select":
            return {"self": f"{SITE}/rest/api/3/customFieldOption/1", "value": raw, "id": "1"}
        if kind == "user":
            return self.users[raw].render(self.cloud)
        if kind == "textarea":
            return adf(raw) if rich else raw
        return raw


def _expand_fields(wanted: list[str], every: list[str]) -> list[str]:
    names: list[str] = []
    for item in (w.strip() for entry in wanted for w in entry.split(",")):
        if item in ("*all", "*navigable"):
            names.extend(every)
        elif item.startswith("-"):
            names = [n for n in names if n != item[1:]]
        elif item:
            names.append(item)
    return list(dict.fromkeys(names)) or ["id"]


def _field(field_id: str, name: str, custom: bool, schema: Json, clauses: list[str]) -> Json:
    return {
        "id": field_id,
        "key": field_id,
        "name": name,
        "custom": custom,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": clauses,
        "schema": schema,
    }


def custom_field(field_id: str, name: str, kind: str) -> Json:
    """A custom field as ``/field`` lists it."""
    number = int(field_id.rsplit("_", 1)[1])
    kind_type, custom = CUSTOM_TYPES[kind]
    schema = {"type": kind_type, "custom": custom, "customId": number}
    return _field(field_id, name, True, schema, [f"cf[{number}]", name])
