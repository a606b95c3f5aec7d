"""Service faults over a whole sync on the atlassian target: the Confluence emulator
throttles (429 with Retry-After), fails (5xx) or drops connections, or refuses one record's
page every time; the Jira emulator throttles its search.

As for Notion (test_reliability_faults.py): the retry policy's waits are recorded, not
slept; the run must end within its bounded wait and account for every planned operation;
a rerun once the services are healthy must end as a clean run does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
import reliability_fixtures
from reliability_atlassian import AtlassianTarget
from reliability_results import Results
from reliability_targets import NOW, human_texts
from test_reliability_crash import _difference

from opsync import api
from opsync.connectors.confluence import client as confluence_client
from opsync.connectors.jira import client as jira_client
from opsync.engine.apply import STOP_AFTER
from opsync.http import RetryPolicy

results = reliability_fixtures.results
atlassian_emulators = reliability_fixtures.atlassian_emulators

BUDGET = 120.0  # RetryPolicy's max_total_wait per request
PAGE = r"/api/v2/pages/\d+$"  # a page's body (Confluence faults match paths by regex)
PROPERTY = r"/api/v2/pages/\d+/properties"
SEARCH = "/rest/api/3/search/jql"  # Jira faults match by shell pattern


@dataclass(frozen=True)
class Scenario:
    name: str
    queue: Callable[[AtlassianTarget], None]
    finishes: bool  # the faulty run itself ends with every operation done


SCENARIOS = [
    Scenario(
        "Confluence: 429 storm with Retry-After on page writes (5 in a row)",
        lambda t: t.confluence.fail("PUT", PAGE, 429, times=5, Retry_After="2"),
        finishes=True,
    ),
    Scenario(
        "Confluence: 500 and 503 on page and property writes (twice each)",
        lambda t: (
            t.confluence.fail("PUT", PAGE, 500, times=2),
            t.confluence.fail("PUT", PROPERTY, 503, times=2),
        ),
        finishes=False,
    ),
    Scenario(
        "Confluence: dropped connections on a create and an update",
        lambda t: (t.confluence.drop("POST", r"/api/v2/pages$"), t.confluence.drop("PUT", PAGE)),
        finishes=False,
    ),
    Scenario(
        "Jira: 429 storm on the issue search (4 in a row, Retry-After 3)",
        lambda t: t.jira.faults.fail(429, times=4, path=SEARCH, retry_after="3"),
        finishes=True,
    ),
]


@pytest.fixture(scope="module")
def atlassian(
    atlassian_emulators: Any, tmp_path_factory: pytest.TempPathFactory
) -> tuple[AtlassianTarget, dict[str, Any]]:
    target = AtlassianTarget(tmp_path_factory.mktemp("faults"), *atlassian_emulators)
    target.restore()
    report = _sync(target)
    assert report.exit_code == 0, report.failed
    return target, target.dump()


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Both connectors' retry waits recorded instead of slept."""
    slept: list[float] = []
    for module in (confluence_client, jira_client):
        monkeypatch.setattr(
            module, "RetryPolicy", functools.partial(RetryPolicy, sleep=slept.append)
        )
    yield slept


def _sync(target: AtlassianTarget) -> Any:
    with target.session():
        return api.sync(target.config, now=datetime.fromisoformat(NOW))


def _healthy_rerun(target: AtlassianTarget, reference: dict[str, Any]) -> list[str]:
    target.clear_faults()
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
def test_a_faulty_atlassian_service_ends_the_run_cleanly_and_a_rerun_completes(
    scenario: Scenario,
    atlassian: tuple[AtlassianTarget, dict[str, Any]],
    waits: list[float],
    results: Results,
) -> None:
    target, reference = atlassian
    target.restore()
    scenario.queue(target)
    problems: list[str] = []
    report = _sync(target)
    accounted = len(report.done) + len(report.failed) + len(report.waiting)
    if accounted != len(report.plan.operations):
        problems.append(f"{accounted} of {len(report.plan.operations)} operations reported")
    if scenario.finishes and report.exit_code != 0:
        problems.append(f"exit {report.exit_code}: {report.failed[:2]}")
    if not scenario.finishes and report.exit_code not in (0, 1):
        problems.append(f"exit {report.exit_code}")
    if target.faults_left():
        problems.append(f"{target.faults_left()} queued faults were never met")
    if scenario.finishes and not waits:
        problems.append("no retry waited")
    if sum(waits) > STOP_AFTER * BUDGET + 60:
        problems.append(f"waited {sum(waits):.0f} s")
    problems += _healthy_rerun(target, reference)
    results.add("service faults", "atlassian", scenario.name, 1, 0 if problems else 1)
    assert not problems, problems


def test_a_confluence_page_refused_every_time_does_not_block_the_others(
    atlassian: tuple[AtlassianTarget, dict[str, Any]], waits: list[float], results: Results
) -> None:
    target, reference = atlassian
    target.restore()
    refused = target.record_page("decisions/DEC-017")
    target.confluence.fail("PUT", rf"/api/v2/pages/{refused}(/|$)", 400, times=10_000)
    first, second = _sync(target), _sync(target)
    held = True
    for report in (first, second):
        failed = [op.target for op, _ in report.failed]
        held &= failed == ["decisions/DEC-017"] and report.exit_code == 1
        held &= all("DEC-017" in error for _, error in report.failed)
    held &= len(first.done) == len(first.plan.operations) - 1
    held &= not waits  # a validation error is not retried
    assert target.faults_left() > 0  # still refusing: the rerun below clears it
    problems = _healthy_rerun(target, reference)
    results.add(
        "service faults",
        "atlassian",
        "one Confluence page refused (400) every time, others go on",
        1,
        int(held and not problems),
    )
    assert held and not problems, (first.failed, second.failed, problems)
