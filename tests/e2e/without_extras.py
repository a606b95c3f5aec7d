"""opsync as a core install (``pip install opsync``, no extra) sees it, inside the test venv
that has every extra: a meta path finder refuses the modules the extras install.

Imported by the tests that check the missing-extra errors in process; run as a script
(``python without_extras.py CONFIG_DIR NOW``) by the test of the README's quick start, which
needs a fresh interpreter to show what a run imports.
"""

from __future__ import annotations

import importlib.machinery
import json
import sys
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any

#: The top-level modules of every extra's packages (and of their dependencies that a core
#: install lacks): a core run must import none of them.
EXTRA_MODULES = (
    "notion_client",
    "atlassian",
    "requests",
    "httpx",
    "httpcore",
    "slack_sdk",
    "psycopg",
    "boto3",
    "botocore",
    "matplotlib",
    "openapi_core",
    "jsonschema",
    "werkzeug",
    "graphql",
    "moto",
)


class Hide:
    """Wraps one of ``sys.meta_path``'s finders so that it finds none of ``names`` (nor their
    submodules): with every finder wrapped, ``import X`` raises ModuleNotFoundError and
    ``importlib.util.find_spec("X")`` is None, as when X is not installed."""

    def __init__(self, finder: Any, names: Iterable[str]) -> None:
        self.finder = finder
        self.names = frozenset(names)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] in self.names:
            return None
        spec: importlib.machinery.ModuleSpec | None = self.finder.find_spec(fullname, path, target)
        return spec

    def __getattr__(self, name: str) -> Any:
        # everything else (find_distributions for importlib.metadata, invalidate_caches)
        return getattr(self.finder, name)


def hidden(names: Iterable[str]) -> list[Any]:
    """``sys.meta_path`` with every finder hiding ``names``."""
    return [Hide(finder, names) for finder in sys.meta_path]


def _quick_start(folder: str, now: str) -> dict[str, object]:
    """The README's quick start (init the acme example, sync it), then a report, a logged
    plan and doctor, each as the command line runs it; the exit codes and every module
    loaded."""
    from opsync.cli.app import app

    config = f"{folder}/opsync.toml"
    commands = [
        ["init", folder, "--example", "acme"],
        ["sync", "--config", config, "--now", now],
        ["report", "--config", config, "--now", now, "--json"],
        ["--log-level", "info", "plan", "--config", config, "--now", now],
        ["doctor", "--config", config],
    ]
    codes = []
    for args in commands:
        try:
            app(args)
        except SystemExit as done:
            codes.append(done.code)
    return {"codes": codes, "modules": sorted(sys.modules)}


if __name__ == "__main__":
    sys.meta_path[:] = hidden(EXTRA_MODULES)
    result = _quick_start(sys.argv[1], sys.argv[2])
    print("RESULT " + json.dumps(result))
