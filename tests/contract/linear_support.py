"""Shared setup of the Linear contract tests: the acme organisation, its mapping, and a
tracker built against the Linear emulator with a fake clock and sleeps, so pacing and
retries cost no real time (the emulator's budgets run on the same fake clock)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from jira_support import AREAS, PEOPLE, FakeSleep

from opsync.connectors.linear import LinearConnectorConfig
from opsync.connectors.linear.connector import LinearTracker
from opsync.http import RetryPolicy
from opsync.http.budget import BudgetedBucket
from opsync.secrets import Secrets
from opsync.state import SqliteStateStore
from opsync.testing.emulators.linear import LinearEmulator

__all__ = ["AREAS", "PEOPLE", "Builder", "FakeSleep", "mapping"]


def mapping(releases: str = "issues") -> dict[str, Any]:
    return {
        "team": "ACME",
        "releases": releases,
        "label": "Release" if releases == "issues" else None,
        "fields": {
            "tier": {"group": "Tier"},
            "product_area": {"group": "Area"},
            "eng_lead": {"prefix": "eng-"},
        },
    }


class Builder:
    """Builds trackers against one emulator and closes them all afterwards. With a state
    database, each tracker is a run of its own: the one before it commits its mirror."""

    def __init__(self, emulator: LinearEmulator, time: FakeSleep, state: Path | None = None):
        self.emulator = emulator
        self.time = time
        self.state = state
        self.store: SqliteStateStore | None = None
        self.built: list[LinearTracker] = []

    def commit(self) -> None:
        if self.store is not None:
            self.store.commit()
            self.store.close()

    def __call__(
        self,
        clock: Callable[[], datetime] | None = None,
        releases: str = "issues",
        max_attempts: int = 6,
        **overrides: Any,
    ) -> LinearTracker:
        config = LinearConnectorConfig.model_validate({**mapping(releases), **overrides})
        extra: dict[str, Any] = {"clock": clock} if clock else {}
        time = self.time
        self.commit()
        self.store = SqliteStateStore(self.state) if self.state is not None else None
        tracker = LinearTracker(
            config,
            PEOPLE,
            AREAS,
            bucket=BudgetedBucket(
                1000.0, 100, clock=time.monotonic, sleep=time.sleep, wall=time.monotonic
            ),
            policy=RetryPolicy(max_attempts=max_attempts, sleep=time.sleep, random=lambda: 0.5),
            state=self.store.connector("linear") if self.store is not None else None,
            secrets=Secrets({"LINEAR_API_KEY": self.emulator.key}),
            **extra,
        )
        self.built.append(tracker)
        return tracker

    def close(self) -> None:
        for tracker in self.built:
            tracker.close()
        self.commit()
