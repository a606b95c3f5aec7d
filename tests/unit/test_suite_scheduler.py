"""The suite's own scheduler under ``pytest -n`` (tests/conftest.py): every file with a
module-scoped world runs whole in one worker, the reliability folder too, and nothing else
is held together."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import SHARED_WORLDS, work_unit

TESTS = Path(__file__).resolve().parents[1]
MODULE_SCOPED = re.compile(r"@pytest\.fixture\([^)]*scope=\"(module|package|class)\"")


def test_every_file_with_a_module_scoped_world_is_one_work_unit() -> None:
    declared = {
        path.relative_to(TESTS.parent).as_posix()
        for path in TESTS.rglob("test_*.py")
        if "reliability" not in path.parts and MODULE_SCOPED.search(path.read_text("utf-8"))
    }
    assert declared == SHARED_WORLDS


def test_work_units() -> None:
    assert work_unit("tests/reliability/test_reliability_crash.py::test_x[notion]") == (
        "tests/reliability"
    )
    assert work_unit("tests/e2e/test_simulated_quarter.py::test_a") == (
        "tests/e2e/test_simulated_quarter.py"
    )
    assert work_unit("tests/unit/test_codes.py::test_a") == "tests/unit/test_codes.py::test_a"
