"""The public API is what ``opsync.__all__`` lists, and each name is importable (httpx pins
its exports the same way), so a refactor cannot drop one silently."""

from __future__ import annotations

import subprocess
import sys

import opsync


def test_all_lists_exactly_the_public_names() -> None:
    public = {n for n in vars(opsync) if not n.startswith("_") and n != "annotations"}
    modules = {n for n in public if type(getattr(opsync, n)).__name__ == "module"}
    assert sorted(public - modules) == sorted(n for n in opsync.__all__ if n != "__version__")
    for name in opsync.__all__:
        assert getattr(opsync, name) is not None


def test_python_dash_m_opsync_documents_the_exit_codes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "opsync", "--help"], capture_output=True, text=True, check=True
    )
    assert "opsync" in result.stdout
    for code in (
        "0 completed",
        "1 some operations failed",
        "2 bad usage",
        "3 completed with",
        "4 another run",
    ):
        assert code in " ".join(result.stdout.split())
