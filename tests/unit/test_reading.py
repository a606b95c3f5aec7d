"""Reading input (RULES.md "Reading input"): blank means missing, never an unreadable record;
enumerations take the pack's spellings in any case, and the organisation's aliases."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import MakeCtx, ny
from opsync.config import parse_config
from opsync.connectors.base import ReadResult, RecordState, TrackerRead
from opsync.connectors.records import to_record, to_release
from opsync.domain import (
    BundleState,
    Collection,
    Decision,
    Disposition,
    GoNoGo,
    InsightSource,
    RitualKind,
    Severity,
    Tier,
)
from opsync.engine.snapshot import build_snapshot
from opsync.errors import ConfigError
from opsync.rules import decisions
from opsync.rules.output import RuleOutput

HEAD = '[org]\nname = "Acme"\ntimezone = "America/New_York"\n'


def read(collection: Collection, **fields: Any) -> tuple[Any, list[str]]:
    model, findings = to_record(collection, "k-1", fields, "wiki/k-1.md")
    return model, [f"{f.code}:{f.field}" for f in findings]


def test_a_blank_rationale_is_a_missing_field_not_an_unreadable_decision(
    make_ctx: MakeCtx,
) -> None:
    decision, problems = read(
        Collection.DECISIONS,
        decided_on=date(2026, 9, 1),
        decision="Usage-based pricing",
        context="Seats stall expansion",
        options="Seats; usage",
        rationale=None,  # `rationale:` left empty in front matter
        owner="ana",
        review_date="  ",  # a blank cell in Confluence's details table
    )

    assert problems == []
    assert isinstance(decision, Decision)
    ctx = make_ctx(ny(2026, 12, 3, 9), decisions=(decision,))
    found = decisions.evaluate(ctx, RuleOutput()).findings
    assert sorted((f.code, f.field) for f in found) == [
        ("decisions.field-missing", "rationale"),
        ("decisions.field-missing", "review_date"),
    ]


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_a_blank_optional_value_of_any_type_is_simply_absent(blank: object) -> None:
    insight, problems = read(
        Collection.INSIGHTS,
        summary="Exports time out",
        severity=blank,
        source=blank,
        received_on=blank,
        disposition=blank,
        quote=blank,
        theme=blank,
    )

    assert problems == []
    assert (insight.severity, insight.source, insight.received_on) == (None, None, None)
    assert (insight.disposition, insight.quote, insight.theme) == (None, "", None)


def test_a_blank_field_the_record_cannot_be_without_is_said_missing_not_invalid() -> None:
    ritual, problems = to_record(
        Collection.RITUALS, "r-1", {"kind": "Insights Review", "held_on": ""}, "wiki/r-1.md"
    )

    assert ritual is None
    assert [(f.code, f.field, f.unreadable) for f in problems] == [
        ("record.field-missing", "held_on", True)
    ]
    assert "`held_on` is missing or blank" in problems[0].message


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("High", Severity.HIGH),
        ("HIGH", Severity.HIGH),
        ("High (blocking/churning)", Severity.HIGH),  # the pack's taxonomy table
        (" medium ", Severity.MEDIUM),
    ],
)
def test_severity_takes_the_packs_spelling_in_any_case(written: str, expected: Severity) -> None:
    insight, problems = read(Collection.INSIGHTS, summary="x", severity=written)

    assert problems == []
    assert insight.severity is expected


@pytest.mark.parametrize(
    ("field", "written", "expected"),
    [
        ("disposition", "Won’t do", Disposition.WONT_DO),
        ("disposition", "Needs more research", Disposition.NEEDS_RESEARCH),
        ("disposition", "Add to backlog", Disposition.BACKLOG),
        ("source", "CS/Sales notes", InsightSource.CS_SALES),
    ],
)
def test_other_insight_enumerations_take_the_packs_words(
    field: str, written: str, expected: object
) -> None:
    insight, problems = read(Collection.INSIGHTS, summary="x", **{field: written})

    assert problems == []
    assert getattr(insight, field) is expected


def test_release_enumerations_take_the_packs_words_and_blanks_are_missing() -> None:
    release, problems = to_release(
        "R-1",
        {"title": "SSO", "tier": "Tier 3 (High)", "pm": "", "launch_date": None},
        {"bundle_state": "Ready for Review", "go_no_go": "No-Go", "training_on": ""},
        "tracker / R-1",
    )

    assert problems == []
    assert release is not None
    assert (release.tier, release.pm, release.launch_date) == (Tier.HIGH, None, None)
    assert release.bundle.state is BundleState.READY_FOR_REVIEW
    assert release.readiness.go_no_go is GoNoGo.NO_GO
    assert release.readiness.training_on is None


def test_a_value_that_names_nothing_is_still_invalid_and_points_to_the_aliases() -> None:
    _, problems = to_record(Collection.INSIGHTS, "i-1", {"summary": "x", "severity": "P1"}, "w")

    assert [(f.code, f.field) for f in problems] == [("record.invalid", "severity")]
    assert "[aliases]" in problems[0].message


def test_configured_aliases_are_read_through_the_snapshot(tmp_path: Path) -> None:
    toml = (
        HEAD + '[aliases.severity]\nP1 = "High"\n[aliases.ritual_kind]\nMIR = "insights review"\n'
    )
    aliases = parse_config(tomllib.loads(toml), base_dir=tmp_path).aliases.table()
    wiki = ReadResult(
        records={
            "insights/i-1": RecordState("insights/i-1", "toy:i-1", {}),
            "rituals/r-1": RecordState("rituals/r-1", "toy:r-1", {}),
        },
        fields={
            "insights/i-1": {"summary": "x", "severity": "p1"},
            "rituals/r-1": {"kind": "mir", "held_on": date(2026, 12, 2)},
        },
    )

    snapshot, invalid = build_snapshot(TrackerRead(), wiki, (), (), aliases)

    assert invalid == []
    assert snapshot.insights[0].severity is Severity.HIGH
    assert snapshot.rituals[0].kind is RitualKind.INSIGHTS_REVIEW


def test_an_alias_for_a_value_that_does_not_exist_names_its_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(tomllib.loads(HEAD + '[aliases.severity]\nP1 = "urgent"\n'), base_dir=tmp_path)

    assert [p.key for p in caught.value.problems] == ["aliases.severity.P1"]
    assert "expected one of low, medium, high" in caught.value.message


def test_an_alias_that_is_already_a_pack_word_for_another_value_is_refused(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(tomllib.loads(HEAD + '[aliases.severity]\nHigh = "low"\n'), base_dir=tmp_path)

    assert 'aliases.severity: "High" already means "high"' in caught.value.message
