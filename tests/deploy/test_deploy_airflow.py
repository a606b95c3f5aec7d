"""deploy/airflow/opsync_dag.py: the DAG compiles, defines one non-overlapping sync task
under Airflow 2 and 3, and its task maps each outcome of ``opsync.sync`` to Airflow's.

Airflow itself is a heavy install, so a small fake ``airflow`` package stands in for it in
``sys.modules``: it records what the DAG file declares and lets the test call the task.
"""

from __future__ import annotations

import inspect
import py_compile
import runpy
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import opsync
from opsync.engine.plan import Conflict, Operation, Plan
from opsync.engine.report import RunReport
from opsync.errors import LockHeld

DAG_FILE = Path(__file__).resolve().parents[2] / "deploy" / "airflow" / "opsync_dag.py"


class AirflowFailException(Exception):
    """Fake: the task fails and is not retried."""


class AirflowSkipException(Exception):
    """Fake: the task is marked skipped."""


@dataclass
class FakeAirflow:
    """What the DAG file declared: DAG arguments, and each task's arguments and function."""

    variables: dict[str, str]
    dags: list[dict[str, Any]] = field(default_factory=list)
    tasks: dict[str, tuple[dict[str, Any], Callable[..., Any]]] = field(default_factory=dict)
    called: list[str] = field(default_factory=list)

    def dag(self, **dag_args: Any) -> Callable[[Callable[[], None]], Callable[[], None]]:
        def decorate(body: Callable[[], None]) -> Callable[[], None]:
            def build() -> None:
                self.dags.append(dag_args)
                body()

            return build

        return decorate

    def task(self, **task_args: Any) -> Callable[[Callable[..., Any]], Callable[[], str]]:
        def decorate(function: Callable[..., Any]) -> Callable[[], str]:
            def add() -> str:
                self.tasks[task_args["task_id"]] = (task_args, function)
                self.called.append(task_args["task_id"])
                return task_args["task_id"]

            return add

        return decorate

    def modules(self, version: int) -> dict[str, types.ModuleType]:
        variables = self.variables

        class Variable:
            @staticmethod
            def get(key: str) -> str:
                return variables[key]

        exceptions = types.ModuleType("airflow.exceptions")
        exceptions.AirflowFailException = AirflowFailException  # type: ignore[attr-defined]
        exceptions.AirflowSkipException = AirflowSkipException  # type: ignore[attr-defined]
        found = {"airflow": types.ModuleType("airflow"), "airflow.exceptions": exceptions}
        if version == 3:
            sdk = types.ModuleType("airflow.sdk")
            sdk.dag, sdk.task, sdk.Variable = self.dag, self.task, Variable  # type: ignore[attr-defined]
            found["airflow.sdk"] = sdk
        else:
            decorators = types.ModuleType("airflow.decorators")
            decorators.dag, decorators.task = self.dag, self.task  # type: ignore[attr-defined]
            models = types.ModuleType("airflow.models")
            models.Variable = Variable  # type: ignore[attr-defined]
            found |= {"airflow.decorators": decorators, "airflow.models": models}
        return found


@pytest.fixture(params=[2, 3], ids=["airflow2", "airflow3"])
def airflow(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, acme: Path
) -> Iterator[FakeAirflow]:
    fake = FakeAirflow(
        variables={
            "opsync_config": str(acme),
            "opsync_notion_token": "secret-notion",
            "opsync_slack_bot_token": "secret-slack",
        }
    )
    for name in ("airflow", "airflow.sdk", "airflow.decorators", "airflow.models"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    for name, module in fake.modules(request.param).items():
        monkeypatch.setitem(sys.modules, name, module)
    runpy.run_path(str(DAG_FILE), run_name="opsync_dag")
    yield fake


def run_task(airflow: FakeAirflow) -> Any:
    return airflow.tasks["sync"][1]()


def empty_report(plan: Plan | None = None, **changes: Any) -> RunReport:
    return RunReport(
        now="2026-12-03T15:00:00-05:00",
        applied=True,
        plan=plan or Plan(),
        findings=[],
        **changes,
    )


def test_the_dag_file_compiles(tmp_path: Path) -> None:
    py_compile.compile(str(DAG_FILE), cfile=str(tmp_path / "dag.pyc"), doraise=True)


def test_the_dag_runs_one_sync_task_at_a_time_without_catching_up(airflow: FakeAirflow) -> None:
    (dag_args,) = airflow.dags
    assert dag_args["dag_id"] == "opsync"
    assert dag_args["schedule"] == "*/15 * * * *"
    assert dag_args["catchup"] is False
    assert dag_args["max_active_runs"] == 1
    assert dag_args["dagrun_timeout"] <= timedelta(minutes=30)
    assert airflow.called == ["sync"]


def test_the_task_passes_the_config_object_and_the_secrets_mapping_to_opsync_sync(
    airflow: FakeAirflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Any, dict[str, Any]]] = []

    def fake_sync(config: Any, **kwargs: Any) -> RunReport:
        calls.append((config, kwargs))
        return empty_report()

    monkeypatch.setattr(opsync, "sync", fake_sync)
    result = run_task(airflow)
    ((config, kwargs),) = calls
    assert isinstance(config, opsync.Config)
    assert kwargs["secrets"] == {
        "NOTION_TOKEN": "secret-notion",
        "SLACK_BOT_TOKEN": "secret-slack",
    }
    assert kwargs["now"].tzinfo is not None
    assert result == {"planned": 0, "writes": 0, "findings": 0, "exit_code": 0}


def test_a_held_lock_skips_the_task(airflow: FakeAirflow, monkeypatch: pytest.MonkeyPatch) -> None:
    def held(config: Any, **kwargs: Any) -> RunReport:
        raise LockHeld("another run holds the lock")

    monkeypatch.setattr(opsync, "sync", held)
    with pytest.raises(AirflowSkipException, match="another run holds the lock"):
        run_task(airflow)


def test_a_config_error_fails_the_task_without_retry(
    airflow: FakeAirflow, acme: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    acme.write_text(acme.read_text(encoding="utf-8") + "\n[org.nonsense]\n", encoding="utf-8")
    monkeypatch.setattr(opsync, "sync", lambda *a, **k: pytest.fail("synced a bad config"))
    with pytest.raises(AirflowFailException, match="opsync config"):
        run_task(airflow)


@pytest.mark.parametrize(
    ("outcome", "raised"),
    [
        ("conflict", AirflowFailException),
        ("failed", RuntimeError),
    ],
)
def test_outcomes_that_need_a_person_or_a_retry_fail_the_task(
    airflow: FakeAirflow, monkeypatch: pytest.MonkeyPatch, outcome: str, raised: type
) -> None:
    if outcome == "conflict":
        conflict = Conflict(target="weekly-update/2026-W49", part="region x", message="edited")
        report = empty_report(plan=Plan(conflicts=(conflict,)))
    else:
        operation = Operation(
            kind="update_page", key="k", collection="pages", target="p/1", reason="r", payload={}
        )
        report = empty_report(failed=[(operation, "HTTP 500")])
    monkeypatch.setattr(opsync, "sync", lambda *a, **k: report)
    with pytest.raises(raised):
        run_task(airflow)


def test_the_task_syncs_the_acme_example_when_opsync_sync_takes_a_config_and_secrets(
    airflow: FakeAirflow, acme: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "secrets" not in inspect.signature(opsync.sync).parameters:
        pytest.skip("opsync.sync does not take a Config and a secrets mapping yet (libapi)")
    frozen = datetime.fromisoformat("2026-12-03T15:00:00-05:00")
    dag_globals = airflow.tasks["sync"][1].__globals__

    class Clock(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return frozen.astimezone(tz)

    monkeypatch.setitem(dag_globals, "datetime", Clock)
    result = run_task(airflow)
    assert result["exit_code"] == 0
    assert result["writes"] > 0
    assert (acme.parent / "pages" / "weekly-update" / "2026-W49.md").exists()
