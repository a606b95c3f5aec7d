"""The library API for integrators (docs/library.md): a run takes a Config built in code as
well as a path, reads its connectors' secrets from a mapping instead of the environment
(never reporting nor logging them), and returns typed results."""

from __future__ import annotations

import json
import logging
import tomllib
from datetime import date, datetime
from pathlib import Path

import pytest
from support import ACME_NOW, acme_checkout

import opsync
from opsync import api
from opsync.errors import ConfigError
from opsync.secrets import Secrets
from opsync.testing.emulators.notion import NotionEmulator

NOW = datetime.fromisoformat(ACME_NOW)


def test_a_config_object_plans_as_its_file_does(acme: Path) -> None:
    by_path = opsync.plan(acme, now=NOW)
    loaded = opsync.plan(opsync.load_config(acme), now=NOW)
    from_text = opsync.plan(
        opsync.load_config(text=acme.read_text(encoding="utf-8"), base_dir=acme.parent), now=NOW
    )
    built = opsync.parse_config(
        tomllib.loads(acme.read_text(encoding="utf-8")), base_dir=str(acme.parent)
    )
    in_code = opsync.plan(built, now=NOW)
    expected = by_path.to_json()
    assert expected["planned"] > 0 and expected["findings"]
    for report in (loaded, from_text, in_code):
        assert report.to_json() == expected


def test_the_scorecard_and_the_findings_come_back_as_numbers_and_dates(acme: Path) -> None:
    report = opsync.report(acme, now=NOW)
    assert report.at == NOW and isinstance(report.planned, int) and report.writes == 0
    rows = report.scorecard
    assert rows and all(isinstance(row, opsync.ScoreRow) for row in rows)
    assert any(row.value is not None for row in rows)
    for row in rows:
        assert isinstance(row.target_value, float)
        if row.value is None:
            assert (row.met, row.status, row.current) == (None, "no data", "—")
            continue
        assert row.met is (row.status == "met")
        shown = float(row.current.split("%")[0]) / 100  # "14.7%", "10% fewer"
        drop = row.key == "status_pings" and "more" in row.current
        assert abs((-shown if drop else shown) - row.value) < 0.0006
    dated = [f for f in report.findings if f.due is not None]
    assert dated and all(type(f.due) is date for f in dated)
    as_json = report.to_json()
    assert [f["due"] for f in as_json["findings"]] == [
        f.due.isoformat() if f.due else None for f in report.findings
    ]
    assert as_json["scorecard"][0]["value"] == rows[0].value
    assert isinstance(report.plan.operations[0], opsync.Operation)


def test_secrets_given_are_read_instead_of_the_environment_and_never_reported(
    tmp_path: Path,
    notion_emulator: NotionEmulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv("NOTION_TOKEN", raising=False)
    monkeypatch.setenv("OPSYNC_NOTION_BASE_URL", notion_emulator.base_url)
    path = acme_checkout(tmp_path, "acme", "opsync.notion.toml")
    token = notion_emulator.token
    secrets = {"NOTION_TOKEN": token}
    _, block = api.bootstrap("notion", path, notion_emulator.root_page_id, secrets=secrets)
    config = opsync.load_config(text=path.read_text(encoding="utf-8") + block, base_dir=path.parent)
    caplog.set_level(logging.DEBUG)

    report = opsync.sync(config, now=NOW, secrets=secrets)

    assert report.exit_code == 0 and report.writes > 0
    assert token not in json.dumps(report.to_json()) and token not in repr(report)
    assert token not in caplog.text
    monkeypatch.setenv("NOTION_TOKEN", token)  # a mapping is read instead: this is not
    with pytest.raises(ConfigError, match="the secrets given to opsync have no NOTION_TOKEN"):
        opsync.plan(config, now=NOW, secrets={})


def test_a_secrets_reader_shows_the_names_it_holds_never_the_values() -> None:
    shown = repr(Secrets({"NOTION_TOKEN": "secret_abc123"}))
    assert "NOTION_TOKEN" in shown and "secret_abc123" not in shown
