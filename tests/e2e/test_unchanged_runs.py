"""The run's memo (engine/memo.py): a sync whose inputs a full run that planned nothing
left as they are, before the clock turns, reads nothing and reports that run's findings;
anything the run reads that changed, and the clock reaching a deadline, make it a full
run again."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from support import ACME_NOW, files

from opsync import api
from opsync.connectors.local import readcache, tracker
from opsync.engine import memo
from opsync.engine.report import RunReport

NOW = datetime.fromisoformat(ACME_NOW)  # Thursday 15:00: submissions were due at 14:00


@pytest.fixture(autouse=True)
def _not_racy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written moments ago count as settled (the racy guard has its own test): each
    edit below moves the file's mtime on by whole seconds, as any later edit does."""
    monkeypatch.setattr(readcache, "RACY_NS", 0)
    monkeypatch.setattr(tracker, "RACY_NS", 0)


def _sync(config: Path, now: datetime = NOW, **options: object) -> RunReport:
    return api.sync(config, now=now, **options)  # type: ignore[arg-type]


def _outcome(report: RunReport) -> tuple[object, ...]:
    data = report.to_json()
    return (data["findings"], data["scorecard"], data["operations"], data["conflicts"])


def _edit(path: Path, old: str, new: str) -> None:
    """A person's edit, saved a second after the file's last change."""
    before = path.stat().st_mtime_ns
    path.write_text(path.read_text("utf-8").replace(old, new, 1), "utf-8")
    os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))


def _settled(config: Path) -> RunReport:
    """The first sync writes; the second plans nothing and is remembered."""
    assert _sync(config).writes > 0
    second = _sync(config)
    assert (second.planned, second.unchanged) == (0, False)
    return second


def test_a_run_after_a_full_run_that_planned_nothing_reads_nothing_and_reports_the_same(
    acme: Path,
) -> None:
    full = _settled(acme)
    again = _sync(acme)
    assert again.unchanged and again.planned == 0 and again.writes == 0
    assert again.requests["local"] == {"reads": 0, "writes": 0}
    assert _outcome(again) == _outcome(full)
    assert again.to_json()["unchanged"] is True


def test_a_persons_edit_to_a_record_makes_the_next_run_a_full_one(acme: Path) -> None:
    _settled(acme)
    decision = acme.parent / "wiki" / "decisions" / "DEC-013.md"
    _edit(decision, "reviewed_on: 2026-10-20", "reviewed_on: 2026-10-21")
    after = _sync(acme)
    assert not after.unchanged and after.requests["local"]["reads"] > 0


@pytest.mark.parametrize(
    "change",
    ["touch", "add", "delete", "link", "tracker", "outbox", "page"],
)
def test_any_change_to_what_the_run_reads_makes_it_a_full_run(
    acme: Path, change: str, tmp_path: Path
) -> None:
    _settled(acme)
    root = acme.parent
    decision = root / "wiki" / "decisions" / "DEC-013.md"
    if change == "touch":
        later = decision.stat().st_mtime_ns + 1_000_000_000
        os.utime(decision, ns=(later, later))
    elif change == "add":
        (root / "wiki" / "decisions" / "DEC-099.md").write_text("---\nkey: DEC-099\n---\n")
    elif change == "delete":
        decision.unlink()
    elif change == "link":
        outside = tmp_path / "elsewhere.md"
        outside.write_text(decision.read_text("utf-8"), "utf-8")
        decision.unlink()
        decision.symlink_to(outside)
    elif change == "tracker":
        _edit(root / "tracker" / "releases.yaml", "ACME-121", "ACME-121")  # saved unchanged
    elif change == "outbox":
        next(p for p in (root / "outbox").rglob("*.md")).unlink()
    elif change == "page":
        page = next(p for p in (root / "pages").rglob("*.md"))
        _edit(page, "\n", "\n\n")
    assert not _sync(acme).unchanged


def _valid_until(config: Path) -> datetime:
    state = api.open_state(api.load_config(config))
    try:
        return datetime.fromisoformat(json.loads(state.get_meta(memo.MEMO) or "")["valid_until"])
    finally:
        state.close()


def test_the_memo_holds_until_the_next_deadline_the_rules_read(acme: Path) -> None:
    """At 15:00 on acme's Thursday the weekly update is due at 16:00 (a run after it
    decides whether it is late): a run at 15:59 is the remembered one, a run at 16:01
    decides again, as a full run does."""
    full = _settled(acme)
    assert _valid_until(acme) == datetime.fromisoformat("2026-12-03T16:00:00.000001-05:00")
    before = _sync(acme, NOW + timedelta(minutes=59))
    assert before.unchanged and _outcome(before) == _outcome(full)
    later = NOW + timedelta(minutes=61)
    after = _sync(acme, later)
    assert not after.unchanged
    assert _outcome(after) == _outcome(api.plan(acme, now=later, full=True))


def test_the_next_day_is_always_a_full_run(acme: Path) -> None:
    _settled(acme)
    assert NOW < _valid_until(acme) <= datetime.fromisoformat("2026-12-04T00:00:00-05:00")
    assert not _sync(acme, NOW + timedelta(days=1)).unchanged


def test_full_force_and_a_config_change_each_make_a_full_run(acme: Path) -> None:
    _settled(acme)
    assert not _sync(acme, full=True).unchanged
    assert not _sync(acme, force=True).unchanged
    assert api.plan(acme, now=NOW).unchanged  # a dry run may use the memo too
    text = acme.read_text("utf-8")
    acme.write_text(text.replace("reminder_hours_before = 3", "reminder_hours_before = 4"))
    assert not _sync(acme).unchanged


def test_a_damaged_memo_is_no_memo(acme: Path) -> None:
    _settled(acme)
    state = api.open_state(api.load_config(acme))
    state.set_meta(memo.MEMO, "{not json")
    state.commit()
    state.close()
    run = _sync(acme)
    assert not run.unchanged and run.planned == 0


@pytest.mark.parametrize(
    ("name", "value"), [("message", 7), ("record", None), ("field", ["f"]), ("level", "loud")]
)
def test_a_memo_whose_finding_has_a_value_of_the_wrong_type_is_no_memo(
    acme: Path, name: str, value: object
) -> None:
    # findings come back unvalidated (a large run remembers over 100,000): a damaged row
    # of the right shape must not be reported as a finding nobody can read
    _settled(acme)
    _sync(acme)  # remembered
    state = api.open_state(api.load_config(acme))
    kept = json.loads(state.get_meta(memo.MEMO) or "{}")
    assert kept["findings"]
    kept["findings"][0][name] = value
    state.set_meta(memo.MEMO, json.dumps(kept))
    state.commit()
    state.close()
    run = _sync(acme)
    assert not run.unchanged and run.planned == 0


def test_a_run_that_wrote_is_never_remembered(acme: Path) -> None:
    """Only a run that planned nothing proves the inputs settled: the run after a writing
    one reads everything (the writes changed the files it reads)."""
    assert _sync(acme).writes > 0
    assert not _sync(acme).unchanged


def test_files_changed_in_the_last_two_seconds_are_not_trusted(
    acme: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file saved in the same instant as the scan could change again without its stat
    changing (git's racy files): such a scan tells nothing, and the run is full."""
    monkeypatch.setattr(readcache, "RACY_NS", 2_000_000_000)
    monkeypatch.setattr(tracker, "RACY_NS", 2_000_000_000)
    _sync(acme)
    time.sleep(2.1)
    assert not _sync(acme).unchanged  # the full run that planned nothing
    decision = acme.parent / "wiki" / "decisions" / "DEC-013.md"
    decision.write_text(decision.read_text("utf-8"), "utf-8")  # saved again just now
    assert readcache.fingerprint([("decisions", decision.parent)]) is None
    assert not _sync(acme).unchanged
    time.sleep(2.1)
    assert not _sync(acme).unchanged  # the file's new stat is read once, fully
    assert _sync(acme).unchanged


def test_a_skipped_run_leaves_every_file_as_it_was(acme: Path) -> None:
    _settled(acme)
    before = files(acme.parent)
    assert _sync(acme).unchanged
    assert files(acme.parent) == before
