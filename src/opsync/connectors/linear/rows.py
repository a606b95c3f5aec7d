"""A Linear issue or project as a release row (the flat tracker fields).

Key: the issue's identifier (``ACME-101``) or the project's ``slugId`` (the short id in its
URL, which a rename does not change). Title, description and link come as they are; the
launch date is the issue's ``dueDate`` or the project's ``targetDate`` (calendar dates);
launched is true once ``completedAt`` is set (otherwise "not marked yet": the date decides,
as for Jira). A canceled item is not a release. Tier, product area, PM and eng lead come
from labels or person fields as mapped (``config.py``); a value that cannot be used is a
finding naming the item, the release field and where it was read, and that release is
skipped until it is fixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from opsync.connectors.linear.config import LabelMap, LinearConnectorConfig
from opsync.domain import Collection, Finding, Level, Person, ProductArea, ref

Json = dict[str, Any]
_TIER_WORDS = {"low": "1", "medium": "2", "high": "3"}


class BadValue(ValueError):
    """A mapped value that cannot become a domain value; the message says why."""


def release_key(kind: str, item: Json) -> str:
    return str(item.get("identifier") if kind == "issues" else item.get("slugId"))


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise BadValue(f"{value!r} is not a date (yyyy-mm-dd)") from None


def _labels(item: Json) -> list[Json]:
    return [n for n in (item.get("labels") or {}).get("nodes") or [] if isinstance(n, dict)]


class RowMapper:
    """Turns an issue or a project, as read, into a release row."""

    def __init__(
        self,
        config: LinearConnectorConfig,
        people: tuple[Person, ...],
        areas: tuple[ProductArea, ...],
    ) -> None:
        self.config = config
        self.kind = config.releases
        self.areas = {a.key.lower(): a.key for a in areas}
        self.areas.update({a.name.lower(): a.key for a in areas})
        self.people = {p.key.lower(): p.key for p in people}
        self.people.update({p.name.lower(): p.key for p in people})
        self.people.update({p.email.lower(): p.key for p in people if p.email})
        self.people.update({v.lower(): k for k, v in config.people.items()})

    def wanted(self, item: Json) -> bool:
        """Whether the item is a release at all: a canceled one is not."""
        return not item.get("canceledAt")

    def row(self, item: Json) -> tuple[str, Json | None, list[Finding]]:
        key = release_key(self.kind, item)
        issue = self.kind == "issues"
        row: Json = {
            "key": key,
            "title": str(item.get("title" if issue else "name") or "").strip() or None,
            "description": str(item.get("description") or ""),
            "url": str(item.get("url") or "") or None,
            "launched": True if item.get("completedAt") else None,
        }
        findings: list[Finding] = []
        source = "dueDate" if issue else "targetDate"
        try:
            row["launch_date"] = _date(item.get(source))
        except BadValue as exc:
            findings.append(self._finding(key, "launch_date", source, str(exc)))
        for name in ("tier", "product_area", "pm", "eng_lead"):
            mapping = self.config.fields.get(name)
            field = self.config.person_field(name) if mapping is None else None
            if mapping is None and not field:
                continue
            mapping = mapping or LabelMap(field=field)
            try:
                row[name] = self.mapped(name, mapping, item)
            except BadValue as exc:
                findings.append(self._finding(key, name, _where(mapping), str(exc)))
        if row["title"] is None:
            findings.append(self._finding(key, "title", "title", "is empty"))
        if ((item.get("labels") or {}).get("pageInfo") or {}).get("hasNextPage"):
            findings.append(
                self._finding(
                    key,
                    "labels",
                    "labels",
                    "has more than 20 labels; opsync reads "
                    "the first 20, so a mapped one may be missed: remove some",
                )
            )
        return key, (None if findings else row), findings

    def mapped(self, name: str, mapping: LabelMap, item: Json) -> str | None:
        """The domain value of release field ``name`` on ``item``; None when absent."""
        values = self._candidates(mapping, item)
        if not values:
            return None
        if len(values) > 1:
            shown = ", ".join(sorted(values))
            raise BadValue(f"has {len(values)} values ({shown}); a release has one {name}")
        return self._domain(name, mapping, values[0])

    def _candidates(self, mapping: LabelMap, item: Json) -> list[str]:
        if mapping.field is not None:
            value = item.get(mapping.field)
            if isinstance(value, dict):
                text = value.get("email") or value.get("name")
                return [str(text)] if text else []
            if value in (None, "", 0, 0.0):  # priority 0 is "No priority"
                return []
            number = float(value)
            return [str(int(number)) if number.is_integer() else str(number)]
        found: list[str] = []
        for label in _labels(item):
            label_name = str(label.get("name") or "")
            if mapping.group is not None:
                parent = str((label.get("parent") or {}).get("name") or "")
                if parent.lower() == mapping.group.lower():
                    found.append(label_name)
            elif mapping.prefix is not None and label_name.startswith(mapping.prefix):
                found.append(label_name[len(mapping.prefix) :])
        return found

    def _domain(self, name: str, mapping: LabelMap, value: str) -> str:
        if value in mapping.values:
            return mapping.values[value]
        text = value.strip().lower()
        if name == "tier":
            number = _TIER_WORDS.get(text) or text.removeprefix("tier").strip()
            if number in ("1", "2", "3") and mapping.field != "priority":
                return number
            hint = f'map it in fields.tier.values, e.g. "{value}" = "2"'
        elif name == "product_area":
            if text in self.areas:
                return self.areas[text]
            hint = "name the label after a product area's key or name, or map it in values"
        else:
            if text in self.people:
                return self.people[text]
            hint = "add the person to [org.people] with this e-mail, or map them under people"
        raise BadValue(f"{value!r} matches no {name.replace('_', ' ')}: {hint}")

    def _finding(self, key: str, name: str, where: str, problem: str) -> Finding:
        what = "issue" if self.kind == "issues" else "project"
        return Finding(
            code="record.invalid",
            record=ref(Collection.RELEASES, key),
            field=name,
            level=Level.ERROR,
            message=(
                f"Linear {what} {key}: `{name}` (from {where}) {problem}. Fix it in Linear or "
                "the mapping; this release is skipped until then, everything else syncs."
            ),
        )


def _where(mapping: LabelMap) -> str:
    if mapping.group is not None:
        return f'the label group "{mapping.group}"'
    if mapping.prefix is not None:
        return f'labels starting "{mapping.prefix}"'
    return str(mapping.field)


def sort_key(key: str) -> tuple[str, int, str]:
    team, _, number = key.rpartition("-")
    return (team, int(number), "") if number.isdigit() else (key, 0, key)


def rows_of(mapper: RowMapper, items: Mapping[str, Json]) -> tuple[dict[str, Json], list[Finding]]:
    rows: dict[str, Json] = {}
    findings: list[Finding] = []
    for item in items.values():
        if not mapper.wanted(item):
            continue
        key, row, found = mapper.row(item)
        findings.extend(found)
        if row is not None:
            rows[key] = row
    return {k: rows[k] for k in sorted(rows, key=sort_key)}, findings
