"""Write-back onto Linear issues, against the Linear emulator: the enablement status as the
one label of a label group (swapped without touching other labels), the bundle page as one
attachment per URL, a person's label change as a conflict, and a lost state store that
writes nothing twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from linear_support import Builder, FakeSleep
from pydantic import ValidationError

from opsync.connectors.base import TrackerWrite
from opsync.connectors.linear import LinearConnectorConfig
from opsync.connectors.linear.doctor import STATUSES
from opsync.errors import ConflictError, PermanentError, TransientError
from opsync.rules.enablement import EnablementStatus
from opsync.testing.emulators.linear import LinearEmulator
from opsync.testing.emulators.linear_model import Item

KEY = "ACME-101"
URL = "https://wiki.example/bundle/ACME-101"
WRITE_BACK = {"write_back": {"label_group": "Enablement"}}


@pytest.fixture
def acme(monkeypatch: pytest.MonkeyPatch) -> Iterator[LinearEmulator]:
    with LinearEmulator() as emulator:
        emulator.seed_acme()
        monkeypatch.setenv("OPSYNC_LINEAR_BASE_URL", emulator.base_url)
        yield emulator


@pytest.fixture
def build(acme: LinearEmulator, tmp_path: Path) -> Iterator[Builder]:
    builder = Builder(acme, FakeSleep(), state=tmp_path / "state.db")
    yield builder
    builder.close()


def _labels(item: Item, acme: LinearEmulator) -> list[str]:
    labels = acme.world.issue_labels
    names = []
    for label_id in item.labels:
        label = labels[label_id]
        names.append(f"{label.parent.name}/{label.name}" if label.parent else label.name)
    return sorted(names)


def _status(acme: LinearEmulator, key: str = KEY) -> list[str]:
    return [n for n in _labels(acme.world.find(key), acme) if n.startswith("Enablement/")]


def _write(build: Builder, **values: Any) -> None:
    tracker = build(**WRITE_BACK)
    tracker.read_releases()
    tracker.write_release(TrackerWrite(KEY, values))


def test_the_status_label_is_swapped_and_every_other_label_kept(
    acme: LinearEmulator, build: Builder
) -> None:
    before = [n for n in _labels(acme.world.find(KEY), acme) if not n.startswith("Enablement/")]
    _write(build, enablement_status="drafting", bundle_page=URL)
    assert _status(acme) == ["Enablement/drafting"]
    group = [lb for lb in acme.world.issue_labels.values() if lb.name == "Enablement"]
    assert len(group) == 1 and group[0].is_group and group[0].team is not None
    assert group[0].team.key == "ACME"

    _write(build, enablement_status="late")
    assert _status(acme) == ["Enablement/late"]
    others = [n for n in _labels(acme.world.find(KEY), acme) if not n.startswith("Enablement/")]
    assert others == before
    # the status changed, so the attachment's subtitle did; still one attachment
    (attachment,) = acme.world.attachments_of(KEY)
    assert (attachment.url, attachment.title) == (URL, "Enablement bundle")
    assert attachment.subtitle == "Enablement status: late"
    assert acme.mutations.count("issueLabelCreate") == 3  # the group, drafting, late


def test_a_second_read_sees_opsyncs_label_and_a_persons_change_is_a_conflict(
    acme: LinearEmulator, build: Builder
) -> None:
    _write(build, enablement_status="drafting", bundle_page=URL)
    state = build(**WRITE_BACK).read_releases().owned[KEY]
    assert state.owned == {"enablement_status": "drafting", "bundle_page": URL}
    assert not state.edited

    late = acme.world.label_ids(["Enablement/late"])
    drafting = acme.world.label_ids(["Enablement/drafting"])
    acme.world.relabel(KEY, late, drafting)  # a person picks another status
    state = build(**WRITE_BACK).read_releases().owned[KEY]
    assert state.owned["enablement_status"] == "late"
    assert state.edited == frozenset({"enablement_status"})


def test_a_label_changed_after_the_read_is_left_alone(acme: LinearEmulator, build: Builder) -> None:
    tracker = build(**WRITE_BACK)
    tracker.read_releases()
    acme.world.relabel(KEY, acme.world.label_ids(["Enablement/published"]), [])
    acme.reset_counts()
    with pytest.raises(ConflictError) as raised:
        tracker.write_release(TrackerWrite(KEY, {"enablement_status": "drafting"}))
    assert raised.value.target == f"tracker/{KEY}"
    assert acme.mutations == []
    assert _status(acme) == ["Enablement/published"]


def test_a_lost_state_store_reads_the_attachment_and_writes_nothing_twice(
    acme: LinearEmulator, build: Builder, tmp_path: Path
) -> None:
    _write(build, enablement_status="drafting", bundle_page=URL)
    build.commit()
    build.state = tmp_path / "new-state.db"
    tracker = build(**WRITE_BACK)
    state = tracker.read_releases().owned[KEY]
    assert state.owned == {"enablement_status": "drafting", "bundle_page": None}
    assert not state.edited  # taken as it is
    acme.reset_counts()
    tracker.write_release(TrackerWrite(KEY, {"bundle_page": URL}))
    assert acme.operations == ["OpsyncAttachments"] and acme.mutations == []
    assert len(acme.world.attachments_of(KEY)) == 1

    # an attachment created again with the same URL updates the one there
    tracker.writer.memory.issues.clear()  # type: ignore[union-attr]
    tracker.write_release(TrackerWrite(KEY, {"bundle_page": URL, "enablement_status": "late"}))
    (attachment,) = acme.world.attachments_of(KEY)
    assert attachment.subtitle == "Enablement status: late"


def test_without_create_labels_a_missing_status_label_names_the_fix(
    acme: LinearEmulator, build: Builder
) -> None:
    tracker = build(write_back={"create_labels": False})
    tracker.read_releases()
    with pytest.raises(PermanentError, match='no label "drafting" in the label group'):
        tracker.write_release(TrackerWrite(KEY, {"enablement_status": "drafting"}))
    assert acme.mutations == []


def test_a_failed_mutation_is_not_repeated_by_the_policy(
    acme: LinearEmulator, build: Builder
) -> None:
    _write(build, enablement_status="drafting", bundle_page=URL)
    tracker = build(**WRITE_BACK)
    tracker.read_releases()
    acme.reset_counts()
    acme.faults.fail(502)
    with pytest.raises(TransientError):
        tracker.write_release(TrackerWrite(KEY, {"bundle_page": URL + "?v=2"}))
    assert acme.counts.total == 1  # the attachmentCreate, sent once
    assert [a.url for a in acme.world.attachments_of(KEY)] == [URL]


def test_write_back_needs_release_issues() -> None:
    with pytest.raises(ValidationError, match='write_back needs releases = "issues"'):
        LinearConnectorConfig.model_validate(
            {"team": "ACME", "releases": "projects", "write_back": {}}
        )


def test_doctor_names_a_missing_status_group_as_an_error_or_a_warning_by_create_labels(
    acme: LinearEmulator, build: Builder
) -> None:
    (refused,) = build(write_back={"create_labels": False}).check()
    assert (refused.field, refused.level) == ("write_back.label_group", "error")
    assert 'Linear has no label group "Enablement" with one label per status' in refused.message
    assert (
        "create_labels = true" in refused.message and "launched without bundle" in refused.message
    )
    (warned,) = build(**WRITE_BACK).check()
    assert warned.level == "warning" and "opsync creates them in team ACME" in warned.message

    for status in STATUSES[:-1]:
        acme.world.add_label(status, group="Enablement")
    (partial,) = build(write_back={"create_labels": False}).check()
    assert 'no label launched without bundle in the label group "Enablement"' in partial.message
    acme.world.add_label("launched without bundle", group="Enablement")
    assert build(write_back={"create_labels": False}).check() == []


def test_doctor_lists_the_statuses_the_rules_derive() -> None:
    assert tuple(s.value for s in EnablementStatus) == STATUSES
