"""The data behind the Linear emulator: teams, users, labels, issues, projects and the
issues' attachments.

Items are kept as Linear shapes them (ids are UUIDs, project ``slugId`` a 12-hex short id,
issue ``identifier`` ``<TEAM>-<number>``, DateTimes in UTC with milliseconds and ``Z``,
TimelessDates as ``yyyy-mm-dd``). Every change stamps ``updatedAt`` from the world's clock,
or from the time a test gives (a write that commits late, inside the reader's overlap).
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

Json = dict[str, Any]
Clock = Callable[[], datetime]


def stamp(when: datetime) -> str:
    """A DateTime as Linear writes it: ``2026-12-03T12:00:00.000Z``."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class User:
    id: str
    name: str
    email: str

    def render(self) -> Json:
        return {"id": self.id, "name": self.name, "email": self.email, "displayName": self.name}


@dataclass
class Team:
    id: str
    key: str
    name: str

    def render(self) -> Json:
        return {"id": self.id, "key": self.key, "name": self.name}


@dataclass
class Label:
    id: str
    name: str
    is_group: bool = False
    parent: Label | None = None
    team: Team | None = None  # None: a workspace label

    def render(self) -> Json:
        parent = self.parent.render() if self.parent else None
        team = self.team.render() if self.team else None
        return {
            "id": self.id,
            "name": self.name,
            "isGroup": self.is_group,
            "parent": parent,
            "team": team,
        }


@dataclass
class Attachment:
    """A link on an issue; Linear keeps one per (issue, url)."""

    id: str
    issue_id: str
    url: str
    title: str
    subtitle: str | None
    created_at: str
    updated_at: str

    def render(self) -> Json:
        return {
            "id": self.id,
            "url": self.url,
            "title": self.title,
            "subtitle": self.subtitle,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "archivedAt": None,
            "metadata": {},
        }


@dataclass
class Item:
    """An issue or a project: fields as Linear names them, labels and team by reference."""

    id: str
    team_ids: list[str]
    fields: Json
    labels: list[str] = field(default_factory=list)  # label ids
    archived: bool = False


class World:
    """One Linear workspace, mutated by tests and served by the emulator."""

    def __init__(self, clock: Clock, url: str = "https://linear.app/acme-emulated") -> None:
        self.clock = clock
        self.url = url
        self.lock = threading.RLock()
        self.teams: dict[str, Team] = {}
        self.users: dict[str, User] = {}
        self.issue_labels: dict[str, Label] = {}
        self.project_labels: dict[str, Label] = {}
        self.issues: dict[str, Item] = {}
        self.projects: dict[str, Item] = {}
        self.attachments: dict[str, Attachment] = {}
        self.viewer = self.add_user("opsync", "opsync@example.com")
        self._slugs = itertools.count(0x5A17E0000001)
        self._numbers: dict[str, itertools.count[int]] = {}

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())

    def now(self) -> str:
        return stamp(self.clock())

    def add_user(self, name: str, email: str) -> User:
        user = User(self.new_id(), name, email)
        self.users[user.id] = user
        return user

    def user_by_email(self, email: str) -> User:
        return next(u for u in self.users.values() if u.email == email)

    def add_team(self, key: str, name: str) -> Team:
        team = Team(self.new_id(), key, name)
        self.teams[team.id] = team
        return team

    def add_label(self, name: str, *, group: str | None = None, project: bool = False) -> Label:
        """An issue (or project) label, in ``group`` (made as a group label when new)."""
        labels = self.project_labels if project else self.issue_labels
        parent = None
        if group is not None:
            parent = next((lb for lb in labels.values() if lb.name == group), None)
            if parent is None:
                parent = Label(self.new_id(), group, is_group=True)
                labels[parent.id] = parent
        found = next(
            (lb for lb in labels.values() if lb.name == name and lb.parent is parent), None
        )
        if found is not None:
            return found
        label = Label(self.new_id(), name, parent=parent)
        labels[label.id] = label
        return label

    def label_ids(self, names: list[str], *, project: bool = False) -> list[str]:
        """Ids of labels named ``"Group/name"`` or ``"name"``, made when missing."""
        ids = []
        for name in names:
            group, _, leaf = name.rpartition("/")
            ids.append(self.add_label(leaf, group=group or None, project=project).id)
        return ids

    def create_issue(
        self,
        team_key: str,
        title: str,
        *,
        number: int | None = None,
        labels: list[str] = (),  # type: ignore[assignment]
        assignee: str | None = None,
        due_date: date | None = None,
        completed: bool = False,
        description: str | None = None,
        priority: int = 0,
        project: str | None = None,
    ) -> Item:
        team = next(t for t in self.teams.values() if t.key == team_key)
        counter = self._numbers.setdefault(team.id, itertools.count(1))
        number = number if number is not None else next(counter)
        identifier = f"{team.key}-{number}"
        now = self.now()
        issue = Item(
            self.new_id(),
            [team.id],
            {
                "identifier": identifier,
                "title": title,
                "description": description,
                "url": f"{self.url}/issue/{identifier}",
                "dueDate": due_date.isoformat() if due_date else None,
                "completedAt": now if completed else None,
                "canceledAt": None,
                "priority": float(priority),
                "state": {"type": "completed" if completed else "unstarted"},
                "assignee": self.user_by_email(assignee).id if assignee else None,
                "creator": self.viewer.id,
                "project": project,
                "createdAt": now,
                "updatedAt": now,
            },
            self.label_ids(list(labels)),
        )
        self.issues[issue.id] = issue
        return issue

    def create_project(
        self,
        team_keys: list[str],
        name: str,
        *,
        labels: list[str] = (),  # type: ignore[assignment]
        lead: str | None = None,
        target_date: date | None = None,
        completed: bool = False,
        description: str = "",
    ) -> Item:
        slug = f"{next(self._slugs):012x}"
        now = self.now()
        project = Item(
            self.new_id(),
            [t.id for t in self.teams.values() if t.key in team_keys],
            {
                "slugId": slug,
                "name": name,
                "description": description,
                "url": f"{self.url}/project/{slug}",
                "targetDate": target_date.isoformat() if target_date else None,
                "completedAt": now if completed else None,
                "canceledAt": None,
                "status": {"type": "completed" if completed else "planned"},
                "lead": self.user_by_email(lead).id if lead else None,
                "createdAt": now,
                "updatedAt": now,
            },
            self.label_ids(list(labels), project=True),
        )
        self.projects[project.id] = project
        return project

    def find(self, ref: str) -> Item:
        """An issue by id or identifier, or a project by id or slug id."""
        for item in (*self.issues.values(), *self.projects.values()):
            if ref in (item.id, item.fields.get("identifier"), item.fields.get("slugId")):
                return item
        raise KeyError(ref)

    def update(
        self,
        ref: str,
        *,
        at: datetime | None = None,
        labels: list[str] | None = None,
        **fields: Any,
    ) -> Item:
        """Change an item's fields (and labels, by name), stamping ``updatedAt`` now or
        ``at``."""
        with self.lock:
            item = self.find(ref)
            item.fields.update(fields)
            if labels is not None:
                item.labels = self.label_ids(labels, project="slugId" in item.fields)
            item.fields["updatedAt"] = stamp(at) if at is not None else self.now()
            return item

    def create_label(
        self,
        name: str,
        *,
        is_group: bool = False,
        parent_id: str | None = None,
        team_id: str | None = None,
    ) -> Label:
        """An issue label made through the API (``issueLabelCreate``): a name is unique
        among the labels of one team (or of the workspace) under one parent."""
        parent = self.issue_labels.get(parent_id) if parent_id else None
        if parent_id and (parent is None or not parent.is_group):
            raise ValueError(f"parent {parent_id} is not a label group")
        team = self.teams.get(team_id) if team_id else None
        if team_id and team is None:
            raise ValueError(f"team {team_id} does not exist")
        for label in self.issue_labels.values():
            if label.name.lower() == name.lower() and label.parent is parent and label.team is team:
                raise ValueError(f'a label named "{name}" already exists')
        label = Label(self.new_id(), name, is_group=is_group, parent=parent, team=team)
        self.issue_labels[label.id] = label
        return label

    def relabel(self, ref: str, added: list[str], removed: list[str]) -> Item:
        """Add and remove issue labels by id, leaving the others (``issueUpdate`` with
        ``addedLabelIds``/``removedLabelIds``, ``issueAddLabel``, ``issueRemoveLabel``)."""
        with self.lock:
            item = self.find(ref)
            for label_id in added:
                label = self.issue_labels.get(label_id)
                if label is None or label.is_group:
                    raise ValueError(f"label {label_id} cannot be applied to an issue")
            kept = [i for i in item.labels if i not in removed]
            item.labels = kept + [i for i in added if i not in kept]
            item.fields["updatedAt"] = self.now()
            return item

    def attach(self, ref: str, url: str, title: str, subtitle: str | None) -> Attachment:
        """Create the attachment, or update the issue's one with the same URL: "if you try
        to re-create an attachment with the same URL on the same issue, the original
        attachment is updated instead" (linear.app/developers/attachments)."""
        with self.lock:
            issue = self.find(ref)
            now = self.now()
            found = next(
                (a for a in self.attachments.values() if a.issue_id == issue.id and a.url == url),
                None,
            )
            if found is None:
                found = Attachment(self.new_id(), issue.id, url, title, subtitle, now, now)
                self.attachments[found.id] = found
            else:
                found.title, found.subtitle, found.updated_at = title, subtitle, now
            return found

    def attachments_of(self, ref: str) -> list[Attachment]:
        issue = self.find(ref)
        return [a for a in self.attachments.values() if a.issue_id == issue.id]

    def remove_label(self, ref: str, name: str) -> Item:
        """Take label ``name`` off an item (a person un-marking a release)."""
        item = self.find(ref)
        labels = self.project_labels if "slugId" in item.fields else self.issue_labels
        kept = [i for i in item.labels if labels[i].name != name]
        with self.lock:
            item.labels = kept
            item.fields["updatedAt"] = self.now()
        return item
