"""Releases read from fix versions (``releases = "versions"``): one version, one release.

Teams that plan by version have no issue that *is* the release: the version is. Its key is
``<PROJECT>-v<version id>``, because ids survive a rename while names do not, so renaming
a version retitles its release and moves nothing. Its launch date is the ``releaseDate``,
and it is launched when marked released (unreleased means "not marked yet": the date
decides then, as for issues). Archived versions are not releases. Tier, product area, PM
and eng lead are not guessed from the version's free-text description: each is the value
most of the version's issues carry in the mapped field (ties go to the oldest issue),
else ``version_defaults``. Issues whose value cannot be used simply do not vote.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any

from opsync.connectors.jira.config import JiraConnectorConfig
from opsync.connectors.jira.rows import BadValue, RowMapper, calendar_date
from opsync.domain import Collection, Finding, Level, ref

Json = dict[str, Any]
VOTED = ("tier", "product_area", "pm", "eng_lead")


def version_key(project: str, version: Json) -> str:
    return f"{project}-v{version.get('id')}"


class VersionRows:
    """Rows of the project's versions, with fields voted by the issues in each."""

    def __init__(self, config: JiraConnectorConfig, mapper: RowMapper) -> None:
        self.config = config
        self.mapper = mapper

    def chosen(self, versions: Iterable[Json]) -> list[Json]:
        """The versions that are releases: not archived, and named as the config asks."""
        pattern = self.config.version_names
        return [
            v
            for v in versions
            if not v.get("archived")
            and (pattern is None or fnmatchcase(str(v.get("name") or ""), pattern))
        ]

    def rows(
        self, versions: Iterable[Json], issues: Mapping[str, Json]
    ) -> tuple[dict[str, Json], list[Finding]]:
        members: dict[str, list[Json]] = {}
        for issue in sorted(issues.values(), key=lambda i: int(i.get("id") or 0)):
            for version in (issue.get("fields") or {}).get("fixVersions") or []:
                members.setdefault(str(version.get("id")), []).append(issue)
        rows: dict[str, Json] = {}
        findings: list[Finding] = []
        for version in self.chosen(versions):
            key = version_key(self.config.project, version)
            try:
                rows[key] = self._row(key, version, members.get(str(version.get("id")), []))
            except BadValue as exc:
                findings.append(_finding(key, version, str(exc)))
                continue
            if rows[key]["launch_date"] is None:
                findings.append(  # a missing value, not an unreadable record (RULES)
                    _finding(
                        key,
                        version,
                        "has no release date, so its release has no launch date",
                        code="jira.version-undated",
                    )
                )
        return rows, findings

    def _row(self, key: str, version: Json, issues: list[Json]) -> Json:
        released = bool(version.get("released"))
        row: Json = {
            "key": key,
            "title": str(version.get("name") or "").strip() or key,
            "description": str(version.get("description") or ""),
            "url": f"{self.mapper.site}/projects/{self.config.project}/versions/"
            f"{version.get('id')}",
            "launch_date": calendar_date(version.get("releaseDate")),
            "launched": True if released else None,
        }
        for name in VOTED:
            row[name] = self._vote(name, issues)
        return row

    def _vote(self, name: str, issues: list[Json]) -> str | None:
        mapping = self.config.fields.get(name)
        votes: Counter[str] = Counter()
        if mapping is not None:
            for issue in issues:
                try:
                    value = self.mapper.mapped(name, mapping, issue.get("fields") or {})[name]
                except BadValue:
                    continue
                if value is not None:
                    votes[str(value)] += 1
        if votes:
            return votes.most_common(1)[0][0]
        return self.config.version_defaults.get(name)


def _finding(key: str, version: Json, problem: str, code: str = "record.invalid") -> Finding:
    name = version.get("name") or version.get("id")
    return Finding(
        code=code,
        record=ref(Collection.RELEASES, key),
        field="launch_date",
        level=Level.WARNING,
        message=(
            f'Jira version "{name}" (id {version.get("id")}) {problem}. Set its release date '
            "in Jira (Releases → the version → Edit) so opsync can plan its launch."
        ),
    )
