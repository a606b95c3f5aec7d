"""A run imports only the connector types its config names: a local-only sync, in a fresh
interpreter, loads no vendor SDK, no HTTP library and no other connector's package; and of
the holidays package's 250 countries, only the configured one; and no icalendar."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support import ACME_NOW

VENDORS = ("notion_client", "atlassian", "requests", "httpx", "openapi_core", "slack_sdk", "boto3")
OTHER_CONNECTORS = tuple(f"opsync.connectors.{t}" for t in ("notion", "jira", "confluence", "s3"))

PROBE = """
import json, sys
from opsync.cli.app import main
sys.argv = ["opsync", "sync", "--config", sys.argv[1], "--now", sys.argv[2], "--quiet"]
try:
    main()
except SystemExit as done:
    code = done.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_a_local_only_sync_imports_no_vendor_sdk_and_no_other_connector(acme: Path) -> None:
    ran = subprocess.run(
        [sys.executable, "-c", PROBE, str(acme), ACME_NOW],
        capture_output=True,
        text=True,
        check=True,
    )
    probe = json.loads(ran.stdout.strip().splitlines()[-1])
    assert probe["code"] == 0, ran.stderr
    modules: list[str] = probe["modules"]
    assert "opsync.connectors.local.factory" in modules  # the probe did run a sync
    loaded = [m for m in modules if m.split(".")[0] in VENDORS or m.startswith(OTHER_CONNECTORS)]
    assert loaded == []
    countries = [m for m in modules if m.startswith("holidays.countries.")]
    assert countries == ["holidays.countries.united_states"]  # acme's holiday_country
    assert "icalendar" not in modules  # the feed is written without it
