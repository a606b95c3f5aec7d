"""Write-back to Linear through the `opsync` command, on examples/acme/opsync.linear.toml with
its write-back block uncommented: doctor names the status label group opsync will create, a
sync sets each release issue's status label and attaches its bundle page; a second sync
writes nothing, a lost state store adds no second attachment, and a person's change of the
status label is a conflict left as the person set it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from support import ACME_NOW, Cli, acme_checkout

from opsync.rules.enablement import EnablementStatus
from opsync.testing.emulators.linear import LinearEmulator

SITE = "https://wiki.acme-analytics.example"
STATUSES = {s.value for s in EnablementStatus}


@pytest.fixture
def acme(tmp_path: Path, linear_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    linear_emulator.seed_acme()
    monkeypatch.setenv("OPSYNC_LINEAR_BASE_URL", linear_emulator.base_url)
    monkeypatch.setenv("LINEAR_API_KEY", linear_emulator.key)
    config = acme_checkout(tmp_path, "acme", "opsync.linear.toml")
    text = config.read_text("utf-8")
    for line in (
        f'# link_base_url = "{SITE}"',
        "# [connectors.linear.write_back]",
        '# label_group = "Enablement"',
        "# bundle_attachment = true",
    ):
        assert line in text, line
        text = text.replace(line, line.removeprefix("# "))
    config.write_text(text, "utf-8")
    return config


def _status(emulator: LinearEmulator) -> dict[str, list[str]]:
    """Release key → the names of its labels in the group Enablement."""
    labels = emulator.world.issue_labels
    out = {}
    for item in emulator.world.issues.values():
        found = [labels[i] for i in item.labels]
        out[item.fields["identifier"]] = sorted(
            lb.name for lb in found if lb.parent is not None and lb.parent.name == "Enablement"
        )
    return out


def _attachments(emulator: LinearEmulator) -> dict[str, list[Any]]:
    return {
        item.fields["identifier"]: emulator.world.attachments_of(item.id)
        for item in emulator.world.issues.values()
    }


@pytest.mark.sqlite_state  # looks at the SQLite state file or its folder
def test_sync_writes_back_once_keeps_one_attachment_and_leaves_a_persons_label(
    cli: Cli, acme: Path, linear_emulator: LinearEmulator
) -> None:
    linear_emulator.reset_counts()
    checked = cli("doctor", "--config", str(acme))
    assert checked.exit_code == 0, checked.output
    assert linear_emulator.operations[6:] == ["OpsyncStatusLabels"]  # docs/benchmarks.md
    assert 'no label group "Enablement"' in checked.output
    assert "opsync creates them in team ACME" in checked.output

    linear_emulator.reset_counts()
    first = cli("sync", "--config", str(acme), "--now", ACME_NOW, "--quiet")
    assert first.exit_code == 0, first.output
    assert first.report["requests"]["linear"]["writes"] == len(linear_emulator.mutations) > 0
    status = _status(linear_emulator)
    written = {k: v for k, v in status.items() if v}
    attached = {k: a for k, a in _attachments(linear_emulator).items() if a}
    # the counts docs/benchmarks.md gives: the group and its 7 labels, one update per
    # release the rules cover, one attachment per bundle page
    assert Counter(linear_emulator.mutations) == {
        "issueLabelCreate": 8,
        "issueUpdate": len(written),
        "attachmentCreate": len(attached),
    }
    assert (len(written), len(attached)) == (39, 11)
    assert all(len(v) == 1 and v[0] in STATUSES for v in written.values())
    assert {"late", "not required"} <= {v[0] for v in written.values()}
    records = acme.parent / "wiki" / "releases"
    for key, (label,) in written.items():
        record = (records / f"{key}.md").read_text("utf-8")
        assert f"enablement_status: {label}" in record
    assert set(attached) <= set(written)
    for key, (attachment,) in attached.items():
        assert attachment.url.startswith(SITE) and attachment.url.endswith(f"{key}.md")
        assert attachment.title == "Enablement bundle"
        assert attachment.subtitle == f"Enablement status: {written[key][0]}"
    # the other labels are as they were: Release, Tier, Area, eng-...
    assert all(
        any(linear_emulator.world.issue_labels[i].name == "Release" for i in item.labels)
        for item in linear_emulator.world.issues.values()
    )

    linear_emulator.reset_counts()
    second = cli("sync", "--config", str(acme), "--now", ACME_NOW, "--quiet")
    assert (second.exit_code, second.report["writes"], second.report["planned"]) == (0, 0, 0)
    # what opsync wrote is remembered, so a no-op costs what it cost before write-back
    assert linear_emulator.operations == ["OpsyncReadIssues"]
    assert linear_emulator.mutations == []

    # the state store is lost: the labels are taken as they are, each attachment found by
    # its URL and left as it is; nothing is written twice to Linear
    (acme.parent / ".opsync" / "linear-state.db").unlink()
    linear_emulator.reset_counts()
    third = cli("sync", "--config", str(acme), "--now", ACME_NOW, "--quiet")
    assert third.exit_code == 0, third.output
    assert linear_emulator.mutations == []
    assert linear_emulator.operations.count("OpsyncAttachments") == len(attached)
    assert {k: len(a) for k, a in _attachments(linear_emulator).items() if a} == dict.fromkeys(
        attached, 1
    )
    assert _status(linear_emulator) == status

    # a person sets another status label: a conflict, left as they set it
    key = next(iter(attached))
    mine = linear_emulator.world.label_ids([f"Enablement/{written[key][0]}"])
    theirs = "published" if written[key][0] != "published" else "drafting"
    linear_emulator.world.relabel(
        key, linear_emulator.world.label_ids([f"Enablement/{theirs}"]), mine
    )
    linear_emulator.reset_counts()
    fourth = cli("sync", "--config", str(acme), "--now", ACME_NOW, "--quiet")
    assert fourth.exit_code == 3, fourth.output
    (conflict,) = fourth.report["conflicts"]
    assert conflict["target"] == f"tracker/{key}"
    assert "enablement_status" in conflict["part"]
    assert _status(linear_emulator)[key] == [theirs]
    assert linear_emulator.mutations == []

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
    assert _status(linear_emulator)[key] == written[key]
    assert len(linear_emulator.world.attachments_of(key)) == 1
