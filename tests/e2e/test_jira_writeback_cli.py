"""Write-back to Jira through the `opsync` command, on the acme Atlassian example: bootstrap
creates the custom fields, doctor checks them, a sync writes the enablement status, the next
deadline and the bundle link onto the release issues with a remote link to the bundle page;
a second sync writes nothing, a lost state store adds no second link, and a person's edit of
a written field is a conflict left as the person set it."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import ACME_NOW, Cli, acme_checkout

from opsync.rules.enablement import EnablementStatus
from opsync.testing.emulators.confluence import ConfluenceEmulator
from opsync.testing.emulators.jira import JiraEmulator
from opsync.testing.emulators.jira_model import World

MARK = "# Paste into opsync.toml:"
PUT = ("PUT", "/rest/api/3/issue/{issueIdOrKey}")
LINKS = ("POST", "/rest/api/3/issue/{issueIdOrKey}/remotelink")
STATUSES = {s.value for s in EnablementStatus}


@pytest.fixture
def acme(
    tmp_path: Path,
    cli: Cli,
    jira_emulator: JiraEmulator,
    confluence_emulator: ConfluenceEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """The acme Atlassian example, its Confluence space bootstrapped, write-back not set."""
    jira_emulator.seed_acme()
    monkeypatch.setenv("OPSYNC_JIRA_BASE_URL", jira_emulator.base_url)
    monkeypatch.setenv("JIRA_EMAIL", jira_emulator.email)
    monkeypatch.setenv("JIRA_API_TOKEN", jira_emulator.token)
    monkeypatch.setenv("OPSYNC_CONFLUENCE_BASE_URL", confluence_emulator.base_url)
    monkeypatch.setenv("CONFLUENCE_EMAIL", confluence_emulator.email)
    monkeypatch.setenv("CONFLUENCE_TOKEN", confluence_emulator.token)
    config = acme_checkout(tmp_path, "acme", "opsync.atlassian.toml")
    root = confluence_emulator.root_page_id
    made = cli("bootstrap", "confluence", "--parent", root, "--config", str(config))
    assert made.exit_code == 0, made.output
    config.write_text(config.read_text("utf-8") + made.output.split(MARK, 1)[1], "utf-8")
    return config


def _bootstrap_jira(cli: Cli, config: Path) -> str:
    made = cli("bootstrap", "jira", "--config", str(config))
    assert made.exit_code == 0, made.output
    block = made.output.split(MARK, 1)[1]
    config.write_text(config.read_text("utf-8") + block, "utf-8")
    return block


def _fields(world: World) -> dict[str, str]:
    """Write-back name → the id bootstrap gave its field."""
    names = {
        "Enablement status (opsync)": "enablement_status",
        "Next enablement deadline (opsync)": "next_deadline",
        "Enablement bundle (opsync)": "bundle_link",
    }
    return {names[n]: fid for fid, (n, _) in world.custom.items() if n in names}


def _links(world: World, key: str) -> list[dict[str, object]]:
    return world.remote_links.get(world.by_key(key).id, [])


def test_bootstrap_creates_the_fields_once_and_doctor_checks_them(
    cli: Cli, acme: Path, jira_emulator: JiraEmulator
) -> None:
    block = _bootstrap_jira(cli, acme)
    fields = _fields(jira_emulator.world)
    assert sorted(fields) == ["bundle_link", "enablement_status", "next_deadline"]
    for name, field_id in fields.items():
        assert f'{name} = "{field_id}"' in block
    kinds = {n: jira_emulator.world.custom[f][1] for n, f in fields.items()}
    assert kinds == {"enablement_status": "text", "next_deadline": "date", "bundle_link": "url"}
    again = cli("bootstrap", "jira", "--config", str(acme))
    assert again.exit_code == 0, again.output
    assert "created" not in again.output.split(MARK)[0]
    assert len(_fields(jira_emulator.world)) == 3
    checked = cli("doctor", "--config", str(acme))
    assert checked.exit_code == 0, checked.output

    # a field taken off the edit screen is named by doctor, with the fix
    jira_emulator.world.screen = {
        f for f in jira_emulator.world.custom if f != fields["next_deadline"]
    }
    checked = cli("doctor", "--config", str(acme))
    assert checked.exit_code == 1
    assert f"{fields['next_deadline']} is not on the edit screen" in checked.output


def test_bootstrap_without_the_permission_reports_what_to_create(
    cli: Cli, acme: Path, jira_emulator: JiraEmulator
) -> None:
    jira_emulator.world.admin = False
    made = cli("bootstrap", "jira", "--config", str(acme))
    assert made.exit_code == 1
    assert "Next enablement deadline (opsync)" in made.output and "Date picker" in made.output
    assert '# next_deadline = "customfield_<id of the Date picker field>"' in made.output
    assert _fields(jira_emulator.world) == {}


@pytest.mark.sqlite_state  # looks at the SQLite file or the lock file itself
def test_sync_writes_back_once_keeps_one_link_and_leaves_a_persons_edit(
    cli: Cli, acme: Path, jira_emulator: JiraEmulator, confluence_emulator: ConfluenceEmulator
) -> None:
    _bootstrap_jira(cli, acme)
    world = jira_emulator.world
    fields = _fields(world)
    preview = cli("plan", "--config", str(acme), "--now", ACME_NOW)
    assert preview.exit_code == 0, preview.output
    assert "What opsync writes back to the tracker changed: enablement status" in preview.output
    assert "(docs/rules.md#r2-enablement-timeline)" in preview.output
    jira_emulator.reset_counts()
    first = cli("sync", "--config", str(acme), "--now", ACME_NOW, "--quiet")
    assert first.exit_code == 0, first.output
    assert first.report["requests"]["jira"]["writes"] == jira_emulator.counts.writes > 0
    status = {i.key: i.values.get(fields["enablement_status"]) for i in world.issues.values()}
    assert {s for s in status.values() if s is not None} <= STATUSES
    assert "not required" in status.values() and "late" in status.values()
    linked = [i.key for i in world.issues.values() if i.values.get(fields["bundle_link"])]
    assert linked
    for key in linked:
        url = world.by_key(key).values[fields["bundle_link"]]
        assert url.startswith(confluence_emulator.base_url)
        (link,) = _links(world, key)
        assert link["globalId"] == f"opsync:bundle:{key}"
        assert link["object"] == {
            "url": url,
            "title": f"Launch enablement bundle: {world.by_key(key).values['summary']}",
        }
    deadlines = [i.values.get(fields["next_deadline"]) for i in world.issues.values()]
    assert any(d is not None and d >= "2026-12-03" for d in deadlines)
    assert all(d is None or d >= "2026-12-03" for d in deadlines)  # never one already passed
    assert all(notify is None for _, _, notify in world.edits)  # notify_users left as Jira's

    jira_emulator.reset_counts()
    second = cli("sync", "--config", str(acme), "--now", ACME_NOW, "--quiet")
    assert (second.exit_code, second.report["writes"], second.report["planned"]) == (0, 0, 0)
    # what opsync wrote is remembered, so a no-op costs what it cost before write-back
    assert (jira_emulator.counts.total, jira_emulator.counts.writes) == (2, 0)

    # the state store is lost: the fields are taken as they are, each link found by its
    # globalId and left as it is; nothing is written twice to Jira
    (acme.parent / ".opsync" / "atlassian-state.db").unlink()
    jira_emulator.reset_counts()
    third = cli("sync", "--config", str(acme), "--now", ACME_NOW, "--quiet")
    assert third.exit_code == 0, third.output
    assert jira_emulator.counts.writes == 0
    assert all(len(_links(world, key)) == 1 for key in linked)

    # a person edits a written field: a conflict, left as they set it; the rest is synced
    key = linked[0]
    world.update_issue(key, **{fields["enablement_status"]: "done, ask me"})
    jira_emulator.reset_counts()
    fourth = cli("sync", "--config", str(acme), "--now", ACME_NOW, "--quiet")
    assert fourth.exit_code == 3, fourth.output
    (conflict,) = fourth.report["conflicts"]
    assert conflict["target"] == f"tracker/{key}"
    assert "enablement_status" in conflict["part"]
    assert world.by_key(key).values[fields["enablement_status"]] == "done, ask me"
    assert jira_emulator.counts.of(*PUT) == 0

    forced = cli(
        "sync",
        "--config",
        str(acme),
        "--now",
        ACME_NOW,
        "--quiet",
        "--force-only",
        f"tracker/{key}",
    )
    assert forced.exit_code == 0, forced.output
    assert world.by_key(key).values[fields["enablement_status"]] == status[key]
    assert len(_links(world, key)) == 1
