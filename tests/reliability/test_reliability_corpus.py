"""Hostile and broken input (tests/reliability/corpus): each bad config stops the run with
exit 2 and a message naming the key or file; each bad record is a finding naming the record
and field, or is written escaped, and everything else still syncs."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import reliability_fixtures
from reliability_results import Results
from reliability_targets import EXAMPLE, NOW
from typer.testing import CliRunner

from opsync.cli.app import app

CORPUS = Path(__file__).with_name("corpus")
CONFIGS = json.loads((CORPUS / "configs" / "expected.json").read_text(encoding="utf-8"))
RECORDS = json.loads((CORPUS / "records" / "expected.json").read_text(encoding="utf-8"))

results = reliability_fixtures.results


def _sync(config: Path, report: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["sync", "--config", str(config), "--now", NOW, "--report-json", str(report)]
    )
    return result.exit_code, result.output


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_a_bad_config_exits_2_naming_what_to_fix(
    name: str, tmp_path: Path, results: Results, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPSYNC_CORPUS_UNSET_TOKEN", raising=False)
    folder = tmp_path / "acme"
    shutil.copytree(EXAMPLE, folder)
    config = folder / "opsync.toml"
    shutil.copy(CORPUS / "configs" / name, config)
    before = sorted(folder.rglob("*"))
    code, output = _sync(config, tmp_path / "report.json")
    flat = " ".join(output.split())
    want = CONFIGS[name]
    missing = [w for w in want["contains"] if w not in flat]
    held = code == want["exit_code"] and not missing and "Traceback" not in output
    results.add(
        "bad config", "local", "malformed, unknown or mistyped config, missing token", 1, int(held)
    )
    assert (code, missing) == (want["exit_code"], []), output
    assert not (tmp_path / "report.json").exists()  # a run that did not start: no report
    assert sorted(folder.rglob("*")) == before  # nothing was written


def test_bad_records_are_findings_or_escaped_and_the_rest_syncs(
    tmp_path: Path, results: Results
) -> None:
    folder = tmp_path / "acme"
    shutil.copytree(EXAMPLE, folder)
    tracker = folder / "tracker" / "releases.yaml"
    hostile = (CORPUS / "records" / "releases.yaml").read_text(encoding="utf-8")
    tracker.write_text(tracker.read_text(encoding="utf-8") + "\n" + hostile, encoding="utf-8")
    for path in (CORPUS / "records" / "wiki").rglob("*.md"):
        shutil.copy(path, folder / "wiki" / path.relative_to(CORPUS / "records" / "wiki"))
    report_path = tmp_path / "report.json"
    code, output = _sync(folder / "opsync.toml", report_path)
    assert code == 5, output  # completed; some input could not be read
    report = json.loads(report_path.read_text(encoding="utf-8"))
    # a key carried twice is a duplicate (the first kept), any other bad value invalid
    codes = ("record.invalid", "record.duplicate")
    found = {(f["record"], f["field"]) for f in report["findings"] if f["code"] in codes}
    warned = {
        (f["record"], f["field"]) for f in report["findings"] if f["code"] == "record.untitled"
    }
    weekly = (folder / "pages" / "weekly-update" / "2026-W49.md").read_text(encoding="utf-8")
    everything = "\n".join(p.read_text(encoding="utf-8") for p in (folder / "pages").rglob("*.md"))
    problems = [
        f"{record}: no finding on {field}"
        for record, field in RECORDS["findings"].items()
        if (record, field) not in found
    ]
    problems += [
        f"{record}: no warning on {field}"
        for record, field in RECORDS["warnings"].items()
        if (record, field) not in warned
    ]
    problems += [
        f"{key}: not shown as {text!r}"
        for key, text in RECORDS["shown_escaped"].items()
        if text not in everything
    ]
    # Nothing a name carried became markup: no raw tag, and the region a title tried to
    # close is still closed only once.
    if re.search(r"(?<!\\)<(script|b|ac:structured-macro)", everything):
        problems.append("raw markup from a record's name in a page")
    closing = [ln for ln in weekly.splitlines() if ln.startswith("<!-- opsync:end weekly.")]
    if len(closing) != weekly.count("<!-- opsync:begin weekly."):
        problems.append("a title closed an opsync region")
    long_title = next(
        line for line in hostile.splitlines() if "REL-LONG" in line or "Long title" in line
    )
    assert long_title
    tried = len(RECORDS["findings"]) + len(RECORDS["warnings"]) + len(RECORDS["shown_escaped"])
    results.add(
        "bad records",
        "local",
        "bad dates, tiers, titles, markup, duplicate keys",
        tried,
        tried - len(problems),
    )
    assert problems == []
    assert report["writes"] > 100  # the rest of the organisation synced
    code, output = _sync(folder / "opsync.toml", report_path)
    again = json.loads(report_path.read_text(encoding="utf-8"))
    assert (code, again["writes"], again["conflicts"]) == (5, 0, [])  # its markers still parse
