"""`opsync doctor` on Linear: the key, the team, and each label the config maps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from linear_support import Builder, FakeSleep

from opsync.testing.emulators.linear import LinearEmulator


@pytest.fixture
def build(monkeypatch: pytest.MonkeyPatch) -> Iterator[Builder]:
    with LinearEmulator() as emulator:
        emulator.seed_acme()
        monkeypatch.setenv("OPSYNC_LINEAR_BASE_URL", emulator.base_url)
        builder = Builder(emulator, FakeSleep())
        yield builder
        builder.close()


def fields(findings: list[Any]) -> dict[str, str]:
    return {f.field: f.message for f in findings}


@pytest.mark.parametrize("releases", ["issues", "projects"])
def test_the_acme_mapping_checks_clean(build: Builder, releases: str) -> None:
    assert build(releases=releases).check() == []


def test_an_unknown_team_is_named_with_where_to_find_the_key(build: Builder) -> None:
    found = fields(build(team="ACNE").check())
    assert list(found) == ["team"] and "ACNE" in found["team"]


def test_each_missing_label_group_and_prefix_is_a_finding_of_its_own(build: Builder) -> None:
    mapping = {
        "tier": {"group": "Tiers"},
        "product_area": {"group": "Area"},
        "eng_lead": {"prefix": "lead-"},
    }
    found = fields(build(label="Launch", fields=mapping).check())
    assert set(found) == {"label", "fields.tier", "fields.eng_lead"}
    assert '"Launch"' in found["label"] and '"Tiers"' in found["fields.tier"]


def test_a_project_label_is_looked_for_among_project_labels(build: Builder) -> None:
    build.emulator.world.add_label("Launch")  # an issue label only
    found = fields(build(releases="projects", label="Launch").check())
    assert list(found) == ["label"] and "project label" in found["label"]


def test_a_refused_key_stops_the_checks_and_names_where_it_came_from(build: Builder) -> None:
    build.emulator.key = "lin_api_wrong"
    found = fields(build().check())
    assert list(found) == ["token"] and "$LINEAR_API_KEY" in found["token"]
