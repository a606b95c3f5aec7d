"""Service faults over a whole sync: throttling storms, 5xx, timeouts, resets, slow answers,
a service that stays down, and one record the service refuses every time.

Each scenario restores the target, queues faults in the service's emulator and syncs in
process with a fake sleep (the retry policy's waits are recorded, not slept). The run must
end (finished, or stopped with exit 1) within its bounded wait, account for every planned
operation (done, or failed/not attempted in the report), and a rerun once the service is
healthy must end as a clean run does: no duplicate, nothing of a person's lost, nothing
left to plan. This module runs them against the Notion emulator; the atlassian target's
are in test_reliability_faults_atlassian.py.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
import reliability_fixtures
from reliability_results import Results
from reliability_targets import NOW, NotionTarget, human_texts
from test_reliability_crash import _difference

from opsync import api
from opsync.connectors.notion import client as notion_client
from opsync.engine.apply import STOP_AFTER
from opsync.errors import ConnectorError
from opsync.http import RetryPolicy
from opsync.testing.emulators.notion_faults import Faults

results = reliability_fixtures.results
seeded_emulator = reliability_fixtures.seeded_emulator

BUDGET = 120.0  # RetryPolicy's max_total_wait per request
TIMEOUT_MS = 150  # the SDK's timeout in these tests; a 0.3 s delay is a timeout

WRITES = "/v1/pages*"  # creates and property updates of rows and pages


@dataclass(frozen=True)
class Scenario:
    name: str
    queue: Callable[[Faults, NotionTarget], None]
    finishes: bool  # the faulty run itself ends with every operation done
    read_fails: bool = False  # the service fails the read: the run stops before any write


def _page_of(target: NotionTarget, key: str) -> str:
    """The id of the row whose title or key is ``key`` (to aim a fault at one record)."""
    world = target.emulator._world
    for page in world.pages.values():
        if not page.in_trash and any(key == _text(v) for v in page.values.values()):
            return str(page.id)
    raise AssertionError(f"no row {key}")


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(p.get("plain_text", "")) for p in value if isinstance(p, dict))
    return ""


SCENARIOS = [
    Scenario(
        "429 storm with Retry-After (5 in a row on row writes)",
        lambda f, t: f.fail(429, times=5, method="PATCH", path=WRITES, retry_after=2),
        finishes=True,
    ),
    Scenario(
        "429 storm without Retry-After (5 in a row on block writes)",
        lambda f, t: f.fail(429, times=5, path="/v1/blocks/*"),
        finishes=True,
    ),
    Scenario(
        "429 with a Retry-After longer than the wait budget",
        lambda f, t: f.fail(429, times=1, method="PATCH", path=WRITES, retry_after=600),
        finishes=False,
    ),
    *(
        Scenario(
            f"{status} on creates and updates (twice each kind)",
            lambda f, t, s=status: (
                f.fail(s, times=2, method="POST", path=WRITES),
                f.fail(s, times=2, method="PATCH"),
            ),
            finishes=False,
        )
        for status in (500, 502, 503)
    ),
    Scenario(
        "503 on reads (retried: reads are safe to repeat)",
        lambda f, t: f.fail(503, times=4, path="/v1/data_sources/*/query"),
        finishes=True,
    ),
    Scenario(
        "service down for the whole read",
        lambda f, t: f.fail(503, times=10_000, path="/v1/data_sources/*/query"),
        finishes=False,
        read_fails=True,
    ),
    Scenario(
        "service down for every write",
        lambda f, t: (
            f.fail(503, times=10_000, path=WRITES),
            f.fail(503, times=10_000, method="PATCH"),
        ),
        finishes=False,
    ),
    Scenario(
        "timeouts: a create and an update answered too late (they ran)",
        lambda f, t: (
            f.delay(0.3, times=1, method="POST", path="/v1/pages"),
            f.delay(0.3, times=1, method="PATCH", path=WRITES),
        ),
        finishes=False,
    ),
    Scenario(
        "timeouts on reads (retried)",
        lambda f, t: f.delay(0.3, times=2, method="GET"),
        finishes=True,
    ),
    Scenario(
        "connection reset after the write ran (answer lost), twice",
        lambda f, t: f.reset_connection(times=2, method="POST", path="/v1/pages", apply=True),
        finishes=False,
    ),
    Scenario(
        "connection reset before the write ran, on block writes",
        lambda f, t: f.reset_connection(times=2, method="PATCH", path="/v1/blocks/*"),
        finishes=False,
    ),
    Scenario(
        "slow answers (40 requests held 20 ms)",
        lambda f, t: f.delay(0.02, times=40),
        finishes=True,
    ),
]


@pytest.fixture(scope="module")
def notion(
    seeded_emulator: Any, tmp_path_factory: pytest.TempPathFactory
) -> tuple[NotionTarget, dict[str, Any]]:
    target = NotionTarget(tmp_path_factory.mktemp("faults"), seeded_emulator)
    target.restore()
    with target.session():
        report = api.sync(target.config, now=datetime.fromisoformat(NOW))
    assert report.exit_code == 0
    return target, target.dump()


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Retry waits recorded instead of slept (as tests/http/fake_time.py does), and a short
    SDK timeout."""
    slept: list[float] = []
    monkeypatch.setattr(
        notion_client, "RetryPolicy", functools.partial(RetryPolicy, sleep=slept.append)
    )
    monkeypatch.setattr(
        notion_client, "Client", functools.partial(notion_client.Client, timeout_ms=TIMEOUT_MS)
    )
    yield slept


def _sync(target: NotionTarget) -> Any:
    with target.session():
        return api.sync(target.config, now=datetime.fromisoformat(NOW))


def _healthy_rerun(target: NotionTarget, reference: dict[str, Any]) -> list[str]:
    """Problems with the rerun once the faults are gone (empty when it held)."""
    target.emulator.faults.clear()
    problems = []
    report = _sync(target)
    if report.exit_code != 0:
        problems.append(f"rerun exit {report.exit_code}: {report.failed[:2]}")
    with target.session():
        left = api.plan(target.config, now=datetime.fromisoformat(NOW)).plan.operations
    if left:
        problems.append(f"{len(left)} operations still planned")
    end = target.dump()
    if end != reference:
        problems.append(f"end state differs: {_difference(reference, end)}")
    if not all(t in repr(end) for t in human_texts()):
        problems.append("a person's text was lost")
    return problems


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_a_faulty_service_ends_the_run_cleanly_and_a_rerun_completes(
    scenario: Scenario,
    notion: tuple[NotionTarget, dict[str, Any]],
    waits: list[float],
    results: Results,
) -> None:
    target, reference = notion
    target.restore()
    scenario.queue(target.emulator.faults, target)
    problems: list[str] = []
    try:
        report = _sync(target)
    except ConnectorError as exc:
        if not scenario.read_fails:
            raise
        assert exc.connector == "notion" and exc.request, exc  # names the service and request
    else:
        assert not scenario.read_fails, "the read should have failed"
        accounted = len(report.done) + len(report.failed) + len(report.waiting)
        if accounted != len(report.plan.operations):
            problems.append(f"{accounted} of {len(report.plan.operations)} operations reported")
        if scenario.finishes and report.exit_code != 0:
            problems.append(f"exit {report.exit_code}: {report.failed[:2]}")
        if not scenario.finishes and report.exit_code not in (0, 1):
            problems.append(f"exit {report.exit_code}")
    waited = sum(waits)
    if waited > STOP_AFTER * BUDGET + 60:
        problems.append(f"waited {waited:.0f} s")
    problems += _healthy_rerun(target, reference)
    results.add("service faults", "notion", scenario.name, 1, 0 if problems else 1)
    assert not problems, problems


def test_a_record_the_service_always_refuses_does_not_block_the_others(
    notion: tuple[NotionTarget, dict[str, Any]], waits: list[float], results: Results
) -> None:
    target, reference = notion
    target.restore()
    refused = _page_of(target, "DEC-017")
    target.emulator.faults.fail(400, times=10_000, method="PATCH", path=f"/v1/pages/{refused}")
    first, second = _sync(target), _sync(target)
    held = True
    for report in (first, second):
        failed = [op.target for op, _ in report.failed]
        held &= failed == ["decisions/DEC-017"] and report.exit_code == 1
        held &= all("DEC-017" in error for _, error in report.failed)
    held &= not waits  # a validation error is not retried
    held &= not second.done or all(
        op.target == "decisions/DEC-017" for op in second.plan.operations
    )
    problems = _healthy_rerun(target, reference)
    results.add(
        "service faults",
        "notion",
        "one record refused (400) every time, others go on",
        1,
        int(held and not problems),
    )
    assert held and not problems, (first.failed, second.failed, problems)
