"""What opsync migrate does with each record and page (engine/migrate.py), from two reads."""

from __future__ import annotations

from datetime import date

from opsync.connectors.base import PageState, PageWrite, ReadResult, RecordState, RecordWrite
from opsync.engine.migrate import Outcome, plan


def _read(fields: dict[str, dict[str, object]], pages: dict[str, str] | None = None) -> ReadResult:
    result = ReadResult()
    for record, values in fields.items():
        result.records[record] = RecordState(ref=record, path=record, owned={})
        result.fields[record] = values
    for key, text in (pages or {}).items():
        result.pages[key] = PageState(key=key, path=key, regions={}, text=text)
    return result


DECISION = {
    "key": "D-1",
    "decision": "Ship it",
    "decided_on": date(2026, 11, 2),
    "owner": "maya",
    "opsync_fields": ["review_due"],
    "review_due": date(2026, 12, 2),
}


def test_a_missing_record_is_created_with_people_fields_and_no_derived_ones() -> None:
    (step,) = plan(_read({"decisions/D-1": DECISION}), _read({}))
    assert step.item.outcome is Outcome.CREATE
    assert isinstance(step.write, RecordWrite) and step.write.create
    assert step.write.values == {}
    assert step.write.people == {
        "decision": "Ship it",
        "decided_on": date(2026, 11, 2),
        "owner": "maya",
    }


def test_a_publication_log_is_copied_as_opsyncs_own() -> None:
    log = {"week": "2026-W40", "published_at": "2026-10-01T16:05:00-04:00"}
    (step,) = plan(_read({"weekly_updates/2026-W40": log}), _read({}))
    assert isinstance(step.write, RecordWrite)
    assert step.write.people == {} and set(step.write.values) == {"week", "published_at"}


def test_the_same_record_spelt_otherwise_is_left_alone() -> None:
    there = {
        "decision": "Ship   it",
        "decided_on": "2026-11-02",
        "owner": "maya",
        "context": None,
    }
    (step,) = plan(_read({"decisions/D-1": DECISION}), _read({"decisions/D-1": there}))
    assert step.item.outcome is Outcome.SAME and step.write is None


def test_other_content_is_reported_and_only_overwritten_when_asked() -> None:
    there = {"decision": "Do not ship", "decided_on": "2026-11-02", "owner": "maya"}
    source, target = _read({"decisions/D-1": DECISION}), _read({"decisions/D-1": there})
    (kept,) = plan(source, target)
    assert kept.item.outcome is Outcome.DIFFERS and kept.write is None
    assert kept.item.detail == "differs in decision"
    (forced,) = plan(source, target, overwrite=True)
    assert forced.item.outcome is Outcome.OVERWRITE
    assert isinstance(forced.write, RecordWrite) and not forced.write.create
    assert forced.write.people["decision"] == "Ship it"


def test_an_unreadable_record_is_skipped_and_named() -> None:
    (step,) = plan(_read({"decisions/D-1": {"decided_on": "not a date"}}), _read({}))
    assert step.item.outcome is Outcome.SKIPPED and step.write is None
    assert "decided_on" in step.item.detail


def test_a_release_record_carries_only_the_fields_people_fill() -> None:
    release = {"title": "X", "tier": 2, "bundle_state": "drafting", "tier_label": "Medium"}
    (step,) = plan(_read({"releases/R-1": release}), _read({}))
    assert isinstance(step.write, RecordWrite)
    assert step.write.people == {"bundle_state": "drafting"}


BUNDLE = "# Bundle\n\n### What changed (1 paragraph)\n\nIt changed.\n"


def test_a_bundle_page_is_created_with_its_sections_and_compared_by_words() -> None:
    (step,) = plan(_read({}, {"bundle/R-1": BUNDLE}), _read({}))
    assert step.item.outcome is Outcome.CREATE
    assert isinstance(step.write, PageWrite) and step.write.document.title == "Bundle"
    notion_like = "### What changed (1 paragraph)\nIt  changed.\n"
    (same,) = plan(_read({}, {"bundle/R-1": BUNDLE}), _read({}, {"bundle/R-1": notion_like}))
    assert same.item.outcome is Outcome.SAME
    other = "### What changed (1 paragraph)\nSomething else.\n"
    (differs,) = plan(_read({}, {"bundle/R-1": BUNDLE}), _read({}, {"bundle/R-1": other}))
    assert differs.item.outcome is Outcome.DIFFERS and "What changed" in differs.item.detail


def test_fields_the_target_leaves_blank_are_filled_in_without_overwrite() -> None:
    """A release record a sync made in the target before the migration holds only opsync's
    fields: the people's fields are filled in, nothing anyone wrote is replaced."""
    source = _read({"releases/R-1": {"bundle_state": "drafting", "go_no_go": "go"}})
    target = _read({"releases/R-1": {"title": "X", "tier_label": "Medium", "go_no_go": "go"}})
    (step,) = plan(source, target)
    assert step.item.outcome is Outcome.FILL and step.item.detail == "filled in bundle_state"
    assert isinstance(step.write, RecordWrite) and not step.write.create
    assert step.write.people == {"bundle_state": "drafting"} and step.write.values == {}
