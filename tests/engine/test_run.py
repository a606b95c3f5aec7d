"""The engine on the local workspace with a fixed rule output: idempotency, ownership,
conflicts, identity in the target, the lock and bad records. The rules themselves are
tested in tests/unit; here a stub rule output keeps each case small and explicit.

Every test runs twice, with the state in SQLite and in a real PostgreSQL (``new_store``
in tests/conftest.py): the engine must not tell the backends apart."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from conftest import StoreFactory
from opsync.calendar import BusinessCalendar
from opsync.connectors.base import Message
from opsync.connectors.local.workspace import LocalWorkspace
from opsync.documents.model import Document, heading, para, region
from opsync.domain import Finding, Person, ProductArea, Role
from opsync.engine import run as run_module
from opsync.engine.plan import Conflict, Operation, Plan
from opsync.engine.report import (
    EXIT_CONFLICTS,
    EXIT_FAILED,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_USAGE,
    RunReport,
    exit_code,
)
from opsync.engine.run import RunSpec, run
from opsync.engine.snapshot import build_snapshot
from opsync.errors import ConfigError, ConflictError, LockHeld, OpsyncError, PermanentError
from opsync.rules.context import RuleContext
from opsync.rules.output import DocumentKind, GeneratedDocument, Notification, RuleOutput
from opsync.settings import Settings
from opsync.state import StateStore
from opsync.state.postgres import PostgresStateStore
from opsync.testing.reporters import EditWhenApplying

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=ZoneInfo("America/New_York"))
TRACKER = """\
- key: ACME-1
  title: Usage alerts
  tier: 2
  launch_date: 2026-12-10
  product_area: billing
  pm: ana
- key: ACME-2
  title: Dark mode
  tier: 1
  launch_date: 2026-12-01
  product_area: billing
  pm: ana
"""


def _output(ctx: RuleContext) -> RuleOutput:
    """A stand-in for the rules: one derived field per release, a page, a message."""
    derived = {
        f"releases/{r.key}": {"enablement_status": f"tier {r.tier}"} for r in ctx.snapshot.releases
    }
    page = Document(
        title="Weekly Product Update",
        children=(
            heading(2, "Highlights"),
            region("weekly.highlights", para(f"{len(derived)} releases")),
        ),
    )
    return RuleOutput(
        derived=derived,
        documents=(
            GeneratedDocument(
                key="weekly-update/2026-W49", kind=DocumentKind.WEEKLY_UPDATE, document=page
            ),
        ),
        notifications=(
            Notification(
                key="weekly-update/2026-W49/slack",
                channel="#product-updates",
                text="Out now",
                reason="weekly",
            ),
        ),
        findings=(Finding(code="stub.finding", record="releases/ACME-1", message="stub"),),
    )


def _store(root: Path) -> StateStore:
    """The state store of the workspace ``root`` on the backend of the test being run."""
    raise AssertionError("set by the workspace fixture")


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, new_store: StoreFactory) -> Path:
    monkeypatch.setattr(run_module, "evaluate", _output)
    monkeypatch.setattr(sys.modules[__name__], "_store", new_store)
    (tmp_path / "tracker").mkdir()
    (tmp_path / "tracker" / "releases.yaml").write_text(TRACKER, encoding="utf-8")
    (tmp_path / "wiki" / "releases").mkdir(parents=True)
    return tmp_path


def _spec(root: Path, identity: str = "v1") -> RunSpec:
    ws = LocalWorkspace(
        tracker=root / "tracker" / "releases.yaml",
        wiki=root / "wiki",
        pages=root / "pages",
        outbox=root / "outbox",
    )
    return RunSpec(
        workspace=ws,
        calendar=BusinessCalendar("America/New_York", "US"),
        settings=Settings(),
        state=_store(root),
        identity=identity,
        people=(Person(key="ana", name="Ana Ruiz", role=Role.PM),),
        areas=(ProductArea(key="billing", name="Billing", pm="ana"),),
    )


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".opsync" not in p.parts
    }


Sync = Callable[..., object]


def test_first_sync_creates_then_second_sync_writes_nothing(workspace: Path) -> None:
    first = run(_spec(workspace), NOW, write=True)
    assert first.exit_code == EXIT_OK
    assert {op.kind for op in first.done} >= {"create_record", "create_page", "send", "write_file"}
    snapshot = _files(workspace)
    second = run(_spec(workspace), NOW, write=True)
    assert second.to_json()["writes"] == 0 and second.to_json()["planned"] == 0
    assert _files(workspace) == snapshot


def test_a_lost_state_store_creates_no_duplicate(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(_spec(workspace), NOW, write=True)
    snapshot = _files(workspace)
    for path in sorted((workspace / ".opsync").glob("*"), reverse=True):
        path.unlink()
    lost = _store(workspace)
    if isinstance(lost, PostgresStateStore):  # the organisation's rows gone: a key never used
        fresh = PostgresStateStore(lost.url, "a key never used")
        monkeypatch.setattr(sys.modules[__name__], "_store", lambda root: fresh)
    again = run(_spec(workspace), NOW, write=True)
    assert again.to_json()["writes"] == 0
    assert _files(workspace) == snapshot


def test_a_dry_run_writes_nothing_at_all(workspace: Path) -> None:
    before = sorted(p for p in workspace.rglob("*"))
    report = run(_spec(workspace), NOW, write=False)
    assert report.to_json()["planned"] > 0 and report.to_json()["writes"] == 0
    assert sorted(p for p in workspace.rglob("*")) == before


def test_person_owned_keys_and_text_survive_byte_for_byte(workspace: Path) -> None:
    run(_spec(workspace), NOW, write=True)
    record = workspace / "wiki" / "releases" / "ACME-1.md"
    text = record.read_text(encoding="utf-8")
    human = text.replace("---\n", "---\n# PM note\nbundle_state: drafting\n", 1) + "\nMy notes.\n"
    record.write_text(human, encoding="utf-8")
    page = workspace / "pages" / "weekly-update" / "2026-W49.md"
    page.write_text(
        page.read_text(encoding="utf-8") + "\nA person's paragraph.\n", encoding="utf-8"
    )
    report = run(_spec(workspace), NOW, write=True)
    assert report.conflicts == () and report.to_json()["writes"] == 0
    assert record.read_text(encoding="utf-8") == human
    assert page.read_text(encoding="utf-8").endswith("A person's paragraph.\n")


def _edit_the_highlights(workspace: Path) -> tuple[Path, str]:
    """A person's edit inside the weekly update's owned region, and a tracker change that
    makes opsync want to rewrite that region: (the page, its text as the person left it)."""
    page = workspace / "pages" / "weekly-update" / "2026-W49.md"
    edited = page.read_text(encoding="utf-8").replace("2 releases", "2 releases (and my edit)")
    page.write_text(edited, encoding="utf-8")
    tracker = workspace / "tracker" / "releases.yaml"
    tracker.write_text(TRACKER + "- key: ACME-3\n  title: New\n  tier: 1\n", encoding="utf-8")
    return page, edited


def test_an_edit_inside_an_owned_region_is_a_conflict_until_forced(workspace: Path) -> None:
    run(_spec(workspace), NOW, write=True)
    page, edited = _edit_the_highlights(workspace)
    report = run(_spec(workspace), NOW, write=True)
    assert report.exit_code == EXIT_CONFLICTS
    assert [c.part for c in report.conflicts] == ["region weekly.highlights"]
    assert page.read_text(encoding="utf-8") == edited
    forced = run(_spec(workspace), NOW, write=True, force=True)
    assert forced.exit_code == EXIT_OK
    assert "3 releases" in page.read_text(encoding="utf-8")
    assert "my edit" not in page.read_text(encoding="utf-8")


def test_a_persons_edit_on_a_page_a_killed_run_was_writing_is_kept(workspace: Path) -> None:
    """A run killed while writing a page leaves the journal saying the write started; a
    local page is written whole in one atomic replace, so an edited region on it is a
    person's, not that write cut short: it stays a conflict (found by the two-writer
    sweep, trial 8: two writers killed at one checkpoint, then the person's text gone)."""
    run(_spec(workspace), NOW, write=True)
    page, edited = _edit_the_highlights(workspace)
    store = _store(workspace)
    store.start_run("dead", NOW.isoformat())
    key = "update_page:weekly-update/2026-W49:x"
    store.journal("dead", key, "update_page", "weekly-update/2026-W49", "r", "started")
    store.close()
    report = run(_spec(workspace), NOW, write=True)
    assert report.exit_code == EXIT_CONFLICTS
    assert [c.part for c in report.conflicts] == ["region weekly.highlights"]
    assert page.read_text(encoding="utf-8") == edited


def test_an_owned_field_edited_by_hand_is_a_conflict(workspace: Path) -> None:
    run(_spec(workspace), NOW, write=True)
    record = workspace / "wiki" / "releases" / "ACME-1.md"
    record.write_text(
        record.read_text(encoding="utf-8").replace(
            "launch_date: 2026-12-10", "launch_date: 2026-12-24"
        ),
        encoding="utf-8",
    )
    tracker = workspace / "tracker" / "releases.yaml"
    tracker.write_text(
        TRACKER.replace("title: Usage alerts", "title: Usage alerts v2"), encoding="utf-8"
    )
    report = run(_spec(workspace), NOW, write=True)
    assert [c.target for c in report.conflicts] == ["releases/ACME-1"]
    assert "2026-12-24" in record.read_text(encoding="utf-8")


def test_an_invalid_date_is_a_finding_and_everything_else_syncs(workspace: Path) -> None:
    (workspace / "wiki" / "releases" / "ACME-1.md").write_text(
        "---\nkey: ACME-1\nbundle_published_on: 2026-13-45\n---\n", encoding="utf-8"
    )
    report = run(_spec(workspace), NOW, write=True)
    bad = [f for f in report.findings if f.code == "record.invalid"]
    assert len(bad) == 1
    assert bad[0].record == "releases/ACME-1" and bad[0].field == "bundle_published_on"
    assert "ACME-1.md" in bad[0].message and "2026-13-45" in bad[0].message
    assert (workspace / "wiki" / "releases" / "ACME-2.md").is_file()
    assert "enablement_status" not in (workspace / "wiki" / "releases" / "ACME-1.md").read_text()


def test_a_second_run_while_one_holds_the_lock_fails_at_once(workspace: Path) -> None:
    with _store(workspace).lock(), pytest.raises(LockHeld):
        run(_spec(workspace), NOW, write=True)
    assert run(_spec(workspace), NOW, write=True).exit_code == EXIT_OK


def test_an_identity_change_is_refused_until_accepted(workspace: Path) -> None:
    run(_spec(workspace, identity="v1"), NOW, write=True)
    (workspace / "tracker" / "releases.yaml").write_text(
        TRACKER + "- key: ACME-9\n  title: X\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="changes where or under which keys"):
        run(_spec(workspace, identity="v2"), NOW, write=True)
    assert not (workspace / "wiki" / "releases" / "ACME-9.md").exists()
    accepted = run(_spec(workspace, identity="v2"), NOW, write=True, accept_identity_change=True)
    assert accepted.exit_code == EXIT_OK


def test_release_records_mirror_the_tracker(workspace: Path) -> None:
    run(_spec(workspace), NOW, write=True)
    text = (workspace / "wiki" / "releases" / "ACME-1.md").read_text(encoding="utf-8")
    assert "launch_date: 2026-12-10\n" in text and "enablement_status: tier 2\n" in text
    assert date(2026, 12, 10).isoformat() in text


def test_every_applied_operation_is_journaled_done(workspace: Path) -> None:
    report = run(_spec(workspace), NOW, write=True)
    store = _store(workspace)
    rows = store.journal_rows()
    store.close()
    assert sorted(k for k, _ in rows) == sorted(op.key for op in report.done)
    assert {status for _, status in rows} == {"done"}


def test_operations_left_by_a_killed_run_are_marked_interrupted(workspace: Path) -> None:
    store = _store(workspace)
    store.start_run("dead", NOW.isoformat())
    store.journal("dead", "create_page:x", "create_page", "x", "r", "planned")
    store.journal("dead", "send:y", "send", "y", "r", "started")
    store.close()
    report = run(_spec(workspace), NOW, write=True)
    assert report.interrupted == 2 and report.to_json()["interrupted_before"] == 2
    store = _store(workspace)
    statuses = dict(store.journal_rows("dead"))
    store.close()
    assert statuses == {"create_page:x": "interrupted", "send:y": "interrupted"}


def test_a_plan_shows_an_identity_change_without_failing(workspace: Path) -> None:
    run(_spec(workspace, identity="v1"), NOW, write=True)
    (workspace / "tracker" / "releases.yaml").write_text(
        TRACKER + "- key: ACME-9\n  title: X\n", encoding="utf-8"
    )
    report = run(_spec(workspace, identity="v2"), NOW, write=False)
    assert report.identity_change is not None
    assert report.to_json()["identity_change"] == report.identity_change


def test_a_csv_tracker_export_reads_like_the_yaml_one(workspace: Path) -> None:
    csv_path = workspace / "tracker" / "releases.csv"
    csv_path.write_text(
        "key,title,tier,launch_date,product_area,pm,launch_date_history\n"
        'ACME-1,"Usage alerts, v2",2,2026-12-10,billing,ana,'
        '"[{changed_on: 2026-11-20, old: 2026-12-17, new: 2026-12-10}]"\n'
        "ACME-2,Dark mode,1,,billing,ana,\n",
        encoding="utf-8",
    )
    spec = _spec(workspace)
    assert isinstance(spec.workspace, LocalWorkspace)
    spec.workspace.tracker = csv_path
    rows = spec.workspace.read_releases()
    snapshot, invalid = build_snapshot(rows, spec.workspace.read(), (), ())
    assert rows.findings == [] and invalid == []
    first, second = snapshot.releases
    assert first.title == "Usage alerts, v2" and first.launch_date == date(2026, 12, 10)
    assert first.launch_date_history[0].old == date(2026, 12, 17)
    assert second.launch_date is None and second.tier == 1


def _journal(root: Path) -> dict[str, str]:
    store = _store(root)
    try:
        return dict(store.journal_rows())
    finally:
        store.close()


def test_a_region_edited_between_read_and_write_is_a_conflict_exit_3(workspace: Path) -> None:
    run(_spec(workspace), NOW, write=True)
    tracker = workspace / "tracker" / "releases.yaml"
    tracker.write_text(TRACKER + "- key: ACME-3\n  title: New\n  tier: 1\n", encoding="utf-8")
    page = workspace / "pages" / "weekly-update" / "2026-W49.md"
    mine = page.read_text(encoding="utf-8").replace("2 releases", "2 releases (my edit)")
    report = run(
        _spec(workspace),
        NOW,
        write=True,
        reporter=EditWhenApplying(lambda: page.write_text(mine, encoding="utf-8")),
    )
    assert report.plan.conflicts == () and report.failed == []
    assert [(c.target, c.part) for c in report.conflicts] == [
        ("weekly-update/2026-W49", "region weekly.highlights")
    ]
    assert report.exit_code == EXIT_CONFLICTS
    assert report.to_json()["conflicts"][0]["target"] == "weekly-update/2026-W49"
    assert report.to_json()["exit_code"] == EXIT_CONFLICTS
    # every other operation still ran
    assert len(report.done) == len(report.plan.operations) - 1
    assert (workspace / "wiki" / "releases" / "ACME-3.md").is_file()
    assert page.read_text(encoding="utf-8") == mine
    statuses = _journal(workspace)
    assert [s for k, s in statuses.items() if k.startswith("update_page:")] == ["conflict"]
    # Journaled as a failure, the next run would take the page for one opsync left half
    # written and regenerate the region: the person's edit must survive it as a conflict.
    again = run(_spec(workspace), NOW, write=True)
    assert [c.part for c in again.plan.conflicts] == ["region weekly.highlights"]
    assert again.exit_code == EXIT_CONFLICTS
    assert page.read_text(encoding="utf-8") == mine


def test_an_owned_field_edited_between_read_and_write_is_a_conflict_exit_3(
    workspace: Path,
) -> None:
    run(_spec(workspace), NOW, write=True)
    tracker = workspace / "tracker" / "releases.yaml"
    tracker.write_text(TRACKER.replace("Usage alerts", "Usage alerts v2"), encoding="utf-8")
    record = workspace / "wiki" / "releases" / "ACME-1.md"
    mine = record.read_text(encoding="utf-8").replace("Usage alerts", "Usage alerts (mine)")
    report = run(
        _spec(workspace),
        NOW,
        write=True,
        reporter=EditWhenApplying(lambda: record.write_text(mine, encoding="utf-8")),
    )
    assert [(c.target, c.part) for c in report.conflicts] == [("releases/ACME-1", "fields title")]
    assert report.failed == [] and report.exit_code == EXIT_CONFLICTS
    assert record.read_text(encoding="utf-8") == mine
    assert run(_spec(workspace), NOW, write=True).exit_code == EXIT_CONFLICTS
    assert record.read_text(encoding="utf-8") == mine


def test_a_failed_operation_exits_1_and_the_others_still_run(workspace: Path) -> None:
    (workspace / "outbox").mkdir()
    (workspace / "outbox" / "product-updates").write_text("not a folder", encoding="utf-8")
    report = run(_spec(workspace), NOW, write=True)
    assert [op.kind for op, _ in report.failed] == ["send"]
    assert report.exit_code == EXIT_FAILED == report.to_json()["exit_code"]
    assert len(report.done) == len(report.plan.operations) - 1


def _report(failed: bool = False, planned: bool = False, applying: bool = False) -> RunReport:
    conflict = Conflict(target="weekly-update/2026-W49", part="region r", message="edited")
    message = Message(key="x", channel="#c", text="t")
    op = Operation(
        kind="send", key="send:x", collection="m", target="x", reason="r", payload=message
    )
    return RunReport(
        now=NOW.isoformat(),
        applied=True,
        plan=Plan(conflicts=(conflict,) if planned else ()),
        findings=[Finding(code="f", record="releases/ACME-1", message="normal")],
        failed=[(op, "PermanentError: no")] if failed else [],
        conflicted=[conflict] if applying else [],
    )


@pytest.mark.parametrize(
    ("outcome", "code"),
    [
        (_report(), EXIT_OK),
        (_report(failed=True), EXIT_FAILED),
        (_report(planned=True), EXIT_CONFLICTS),
        (_report(applying=True), EXIT_CONFLICTS),
        (_report(failed=True, planned=True, applying=True), EXIT_FAILED),
        (ConfigError("bad", key="org"), EXIT_USAGE),
        (LockHeld("held"), EXIT_LOCKED),
        (ConflictError("edited"), EXIT_CONFLICTS),
        (PermanentError("refused"), EXIT_FAILED),
    ],
)
def test_one_function_decides_the_exit_code(outcome: RunReport | OpsyncError, code: int) -> None:
    assert exit_code(outcome) == code
    if isinstance(outcome, RunReport):
        assert outcome.exit_code == outcome.to_json()["exit_code"] == code
