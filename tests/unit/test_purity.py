"""The pure core (domain, rules, documents, calendar, settings) must never pull in a vendor
SDK, an HTTP library or the CLI stack: checked in a fresh interpreter, so lazy imports count."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = (
    "notion_client",
    "jira",
    "atlassian",
    "slack_sdk",
    "httpx",
    "requests",
    "urllib3",
    "typer",
    "rich",
    "click",
)
CORE = (
    "opsync.domain",
    "opsync.rules",
    "opsync.documents",
    "opsync.documents.markdown",
    "opsync.documents.html",
    "opsync.documents.plaintext",
    "opsync.calendar",
    "opsync.settings",
)


def test_core_imports_no_vendor_http_or_cli_library() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for m in {CORE!r}: importlib.import_module(m)\n"
        "import pkgutil, opsync.rules as r\n"
        "for info in pkgutil.iter_modules(r.__path__):\n"
        "    importlib.import_module('opsync.rules.' + info.name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    loaded = json.loads(subprocess.check_output([sys.executable, "-c", code], text=True))
    leaked = [m for m in loaded if m.split(".")[0] in FORBIDDEN]
    assert leaked == []
