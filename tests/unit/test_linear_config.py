"""`[connectors.<name>]` with `type = "linear"`: what a config may say, and what it means."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from opsync.connectors.linear import LinearConnectorConfig


def config(**overrides: Any) -> LinearConnectorConfig:
    return LinearConnectorConfig.model_validate({"team": "ENG", **overrides})


def test_releases_are_projects_by_default_and_their_pm_is_the_lead() -> None:
    made = config()
    assert (made.releases, made.person_field("pm"), made.person_field("eng_lead")) == (
        "projects",
        "lead",
        "",
    )
    assert config(releases="issues", label="Release").person_field("pm") == "assignee"


def test_issues_as_releases_need_the_label_that_marks_them() -> None:
    with pytest.raises(ValidationError, match="needs the label"):
        config(releases="issues")


@pytest.mark.parametrize(
    ("mapping", "problem"),
    [
        ({"group": "Tier", "prefix": "tier-"}, "exactly one of"),
        ({}, "exactly one of"),
        ({"field": "lead"}, 'tier cannot come from field "lead"'),
    ],
)
def test_a_field_mapping_names_one_source_that_fits_the_field(
    mapping: dict[str, str], problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        config(fields={"tier": mapping})


def test_only_the_team_and_the_mode_are_identity() -> None:
    first = config(label="Launch", fields={"tier": {"group": "Tier"}})
    second = config(base_url="http://127.0.0.1:1", fields={"tier": {"prefix": "t-"}})
    assert first.identity() == second.identity()
    assert config(releases="issues", label="R").identity() != first.identity()
