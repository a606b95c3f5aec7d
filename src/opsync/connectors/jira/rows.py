"""Jira issues as tracker rows in the flat field names of ``TRACKER_FIELDS``.

A value that cannot be used (a date that is not one, a tier option nobody mapped, a user
who is no one in ``[org]``) is a finding naming the issue key, the release field and the
Jira field, and the issue's row is left out, as the local tracker does with a broken row:
one broken issue never stops the run and opsync never guesses.

Launch dates are calendar dates as Jira holds them: a version's ``releaseDate`` and a date
field are ``yyyy-mm-dd`` with no zone, and a datetime field keeps the date it was written
with (its own offset), never shifted through UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from opsync.connectors.jira.config import FieldMap, JiraConnectorConfig
from opsync.connectors.jira.text import plain_text
from opsync.domain import Collection, Finding, Level, Person, ProductArea, ref

Json = dict[str, Any]
_TIER_WORDS = {"low": "1", "medium": "2", "high": "3"}


class BadValue(Exception):
    """A field value that cannot become its release field; the message says why and the fix."""


def calendar_date(value: Any) -> date | None:
    """A date from ``yyyy-mm-dd`` or a Jira datetime, as the calendar date written there."""
    if value in (None, ""):
        return None
    text = str(value)
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text).date()  # the date in its own offset
    except ValueError:
        raise BadValue(f"{text!r} is not a date (yyyy-mm-dd)") from None


class RowMapper:
    """Turns an issue (as search returns it) and the project's versions into a row."""

    def __init__(
        self,
        config: JiraConnectorConfig,
        people: tuple[Person, ...],
        areas: tuple[ProductArea, ...],
        site: str,
    ) -> None:
        self.config = config
        self.site = site
        self.areas = {a.key.lower(): a.key for a in areas}
        self.areas.update({a.name.lower(): a.key for a in areas})
        self.people = {p.key.lower(): p.key for p in people}
        self.people.update({p.name.lower(): p.key for p in people})
        self.people.update({p.email.lower(): p.key for p in people if p.email})
        self.people.update({v.lower(): k for k, v in config.people.items()})

    def fields(self) -> list[str]:
        """The issue fields a search asks for, and nothing more (pages stay large)."""
        wanted = ["summary", "description", "updated", "fixVersions", self.config.launch_date]
        wanted += [m.field for m in self.config.fields.values()]
        if self.config.write_back is not None:  # so a person's edit there is seen
            wanted += self.config.write_back.fields().values()
        return list(dict.fromkeys(wanted))

    def row(
        self, issue: Json, versions: Mapping[str, Json]
    ) -> tuple[str, Json | None, list[Finding]]:
        key = str(issue.get("key") or issue.get("id"))
        fields: Json = issue.get("fields") or {}
        row: Json = {
            "key": key,
            "title": str(fields.get("summary") or "").strip() or None,
            "description": plain_text(fields.get("description")) or "",
            "url": f"{self.site}/browse/{key}",
        }
        findings: list[Finding] = []
        try:
            row.update(self._launch(fields, versions))
        except BadValue as exc:
            findings.append(_finding(key, "launch_date", self.config.launch_date, str(exc)))
        for name, mapping in self.config.fields.items():
            try:
                row.update(self.mapped(name, mapping, fields))
            except BadValue as exc:
                findings.append(_finding(key, name, mapping.field, str(exc)))
        if row["title"] is None:
            findings.append(_finding(key, "title", "summary", "the summary is empty"))
        return key, (None if findings else row), findings

    def _launch(self, fields: Json, versions: Mapping[str, Json]) -> Json:
        if self.config.launch_date != "fixVersions":
            return {"launch_date": calendar_date(fields.get(self.config.launch_date))}
        # Versions as read this run: a rename, release or new date does not touch issues.
        current = [versions.get(str(v.get("id")), v) for v in fields.get("fixVersions") or []]
        dated = [(calendar_date(v.get("releaseDate")), v) for v in current]
        dated = [(d, v) for d, v in dated if d is not None]
        if not dated:
            launched = True if current and all(v.get("released") for v in current) else None
            return {"launch_date": None, "launched": launched}
        when, version = min(dated, key=lambda pair: pair[0] or date.max)
        # Unreleased is "not marked yet", not "not launched": the date decides then.
        return {"launch_date": when, "launched": True if version.get("released") else None}

    def mapped(self, name: str, mapping: FieldMap, fields: Json) -> Json:
        """``{name: domain value}`` read from ``fields``; :class:`BadValue` when unusable."""
        raw = fields.get(mapping.field)
        if name == "stakeholder_summary":
            return {name: plain_text(raw) or ""}
        values = [v for v in _candidates(raw, mapping) if v]
        if not values:
            return {name: None}
        if len(values) > 1:
            shown = ", ".join(sorted({_shown(v) for v in values}))
            raise BadValue(f"has {len(values)} values ({shown}); a release has one {name}")
        return {name: self._domain(name, mapping, values[0])}

    def _domain(self, name: str, mapping: FieldMap, value: Any) -> str:
        names = _names(value)
        for candidate in names:
            if candidate in mapping.values:
                return mapping.values[candidate]
        lowered = [n.lower() for n in names]
        if name == "tier":
            for text in lowered:
                number = _TIER_WORDS.get(text) or text.removeprefix("tier").strip()
                if number in ("1", "2", "3"):
                    return number
            hint = f'map it in fields.tier.values, e.g. "{names[0]}" = "2"'
        elif name == "product_area":
            found = next((self.areas[t] for t in lowered if t in self.areas), None)
            if found:
                return found
            hint = "name a product area by its key or name, or map it in fields.product_area.values"
        else:
            found = next((self.people[t] for t in lowered if t in self.people), None)
            if found:
                return found
            hint = "add the person to [org.people] with this email, or map them under people"
        raise BadValue(f"{_shown(value)!r} matches no {name.replace('_', ' ')}: {hint}")


def _candidates(raw: Any, mapping: FieldMap) -> list[Any]:
    items = raw if isinstance(raw, list) else [raw]
    out: list[Any] = []
    for item in items:
        if item is None:
            continue
        if mapping.field == "labels" or isinstance(item, str):
            text = str(item)
            if mapping.prefix is not None:
                if not text.startswith(mapping.prefix):
                    continue
                text = text[len(mapping.prefix) :]
            out.append(text)
        else:
            out.append(item)
    return out


def _names(value: Any) -> list[str]:
    """What a value may be known by: an option's value, a component's name, a user's ids."""
    if isinstance(value, dict):
        keys = ("value", "name", "accountId", "key", "emailAddress", "displayName")
        return [str(value[k]) for k in keys if value.get(k)]
    return [str(value)]


def _shown(value: Any) -> str:
    return _names(value)[0] if _names(value) else str(value)


def _finding(key: str, name: str, jira_field: str, problem: str) -> Finding:
    return Finding(
        code="record.invalid",
        record=ref(Collection.RELEASES, key),
        field=name,
        level=Level.ERROR,
        message=(
            f"Jira issue {key}: `{name}` (from {jira_field}) {problem}. Fix the issue or the "
            "mapping; this release is skipped until then, everything else syncs."
        ),
    )
