"""Shared setup of the Jira contract tests: the acme organisation, its mapping, and a
connector built against an emulator with fake sleeps, so retries cost no real time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from opsync.connectors.jira import JiraConnectorConfig
from opsync.connectors.jira.connector import JiraTracker
from opsync.domain import Person, ProductArea, Role
from opsync.http import RetryPolicy, TokenBucket
from opsync.state import SqliteStateStore
from opsync.testing.emulators.jira import JiraEmulator

PMS = ("maya", "raj", "sofia", "jordan", "priya", "elliot", "nina", "ben")
LEADS = ("tom", "lena", "dmitri", "hannah", "marcus", "aisha")
PEOPLE = tuple(
    Person(key=k, name=k.capitalize(), role=Role.PM, email=f"{k}@acme-analytics.example")
    for k in PMS
) + tuple(Person(key=k, name=k.capitalize(), role=Role.ENG_LEAD) for k in LEADS)
AREAS = tuple(
    ProductArea(key=k, name=k.title(), pm="maya", eng_lead="tom")
    for k in ("dashboards", "connectors", "modeling", "alerts", "admin", "embedded")
)
ACME_MAPPING: dict[str, Any] = {
    "project": "ACME",
    "filters": {"issuetype": ["Epic"]},
    "fields": {
        "tier": {"field": "customfield_10050"},
        "product_area": {"field": "components"},
        "pm": {"field": "customfield_10060"},
        "eng_lead": {"field": "labels", "prefix": "eng-"},
        "stakeholder_summary": {"field": "customfield_10070"},
    },
}


class FakeSleep:
    """Records the waits the retry policy and the bucket ask for, without waiting."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.now = 1000.0

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def credentials(monkeypatch: pytest.MonkeyPatch, emulator: JiraEmulator) -> None:
    monkeypatch.setenv("OPSYNC_JIRA_BASE_URL", emulator.base_url)
    monkeypatch.setenv("JIRA_EMAIL", emulator.email)
    monkeypatch.setenv("JIRA_API_TOKEN", emulator.token)


class Builder:
    """Builds trackers against one emulator and closes them all afterwards. With a state
    database, each tracker is a run of its own: the one before it commits its mirror."""

    def __init__(self, time: FakeSleep, state: Path | None = None) -> None:
        self.time = time
        self.state = state
        self.store: SqliteStateStore | None = None
        self.built: list[JiraTracker] = []

    def commit(self) -> None:
        if self.store is not None:
            self.store.commit()
            self.store.close()

    def __call__(
        self,
        clock: Callable[[], datetime] | None = None,
        max_attempts: int = 6,
        **overrides: Any,
    ) -> JiraTracker:
        config = JiraConnectorConfig.model_validate({**ACME_MAPPING, **overrides})
        extra: dict[str, Any] = {"clock": clock} if clock else {}
        time = self.time
        self.commit()
        self.store = SqliteStateStore(self.state) if self.state is not None else None
        tracker = JiraTracker(
            config,
            PEOPLE,
            AREAS,
            bucket=TokenBucket(1000.0, 100, clock=time.monotonic, sleep=time.sleep),
            policy=RetryPolicy(max_attempts=max_attempts, sleep=time.sleep, random=lambda: 0.5),
            state=self.store.connector("jira") if self.store is not None else None,
            **extra,
        )
        self.built.append(tracker)
        return tracker

    def close(self) -> None:
        for tracker in self.built:
            tracker.close()
