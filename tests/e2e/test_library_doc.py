"""docs/library.md cannot drift from the code: its notebook blocks run here and print
exactly the output the page shows after each (``OPSYNC_UPDATE_GOLDEN=1`` rewrites those
outputs), and its Airflow DAG runs its task against the acme example with Airflow's
classes stubbed."""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import opsync

DOC = Path(__file__).resolve().parents[2] / "docs" / "library.md"
BLOCK = re.compile(r"```(python|text)\n(.*?)```", re.DOTALL)


def _section(text: str, heading: str) -> tuple[int, int]:
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return start, len(text) if end < 0 else end


def test_the_notebook_blocks_run_and_print_what_the_page_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("OPSYNC_") and "__" in n]:
        monkeypatch.delenv(name)
    text = DOC.read_text(encoding="utf-8")
    start, end = _section(text, "In a notebook")
    blocks = list(BLOCK.finditer(text, start, end))
    namespace: dict[str, Any] = {"__name__": "notebook"}
    shown: dict[tuple[int, int], str] = {}  # each text block's span -> what the code printed
    printed = ""
    for block in blocks:
        if block[1] == "python":
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(block[2], f"{DOC}:notebook", "exec"), namespace)
            printed = out.getvalue()
        else:
            shown[block.span(2)] = printed
            printed = ""
    assert len(shown) == 3 and all(shown.values())
    if os.environ.get("OPSYNC_UPDATE_GOLDEN"):
        for (a, b), out in sorted(shown.items(), reverse=True):
            text = text[:a] + out + text[b:]
        DOC.write_text(text, encoding="utf-8")
        return
    for (a, b), out in shown.items():
        assert text[a:b] == out, "docs/library.md is stale: run with OPSYNC_UPDATE_GOLDEN=1"


def _stub(monkeypatch: pytest.MonkeyPatch, results: list[Any]) -> None:
    """Airflow's decorators, BaseHook and Variable, enough for the page's DAG to run."""

    def dag(**_: Any) -> Callable[[Callable[[], None]], Callable[[], None]]:
        return lambda build: build  # calling the DAG function runs its tasks here

    def task(work: Callable[[], Any]) -> Callable[[], None]:
        return lambda: results.append(work())

    class BaseHook:
        @staticmethod
        def get_connection(name: str) -> Any:
            assert name == "notion_acme"
            return types.SimpleNamespace(password="ntn_from_the_connection")

    class Variable:
        @staticmethod
        def get(name: str) -> str:
            assert name == "acme_slack_bot_token"
            return "xoxb-from-the-variable"

    modules = {
        "airflow": {},
        "airflow.decorators": {"dag": dag, "task": task},
        "airflow.hooks": {},
        "airflow.hooks.base": {"BaseHook": BaseHook},
        "airflow.models": {"Variable": Variable},
    }
    for name, attributes in modules.items():
        module = types.ModuleType(name)
        vars(module).update(attributes)
        monkeypatch.setitem(sys.modules, name, module)


@pytest.mark.sqlite_state  # looks at the SQLite state file or its folder
def test_the_airflow_task_syncs_the_organisation_with_its_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = DOC.read_text(encoding="utf-8")
    start, end = _section(text, "In an Airflow task")
    (code,) = [b[2] for b in BLOCK.finditer(text, start, end) if b[1] == "python"]
    folder = tmp_path / "acme"
    opsync.init_workspace(folder, example="acme")
    code = code.replace('Path("/opt/airflow/opsync/acme")', f"Path({str(folder)!r})")
    assert str(folder) in code
    results: list[Any] = []
    _stub(monkeypatch, results)
    exec(compile(code, f"{DOC}:airflow", "exec"), {"__name__": "dag"})
    ((summary,),) = [results]
    assert summary["exit_code"] == 0 and summary["writes"] > 0 and summary["findings"] > 0
    assert isinstance(summary["missed"], list)
    assert (folder / ".opsync" / "state.db").exists()  # it synced that folder
