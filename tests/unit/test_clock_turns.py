"""The rules read the clock only through RuleContext, which notes each instant at which a
decision turns: the run's memo (engine/memo.py) holds until the first of them."""

from __future__ import annotations

import ast
from datetime import datetime, time, timedelta
from pathlib import Path

from opsync.calendar import BusinessCalendar
from opsync.domain.snapshot import Snapshot
from opsync.rules.context import RuleContext

RULES = Path(__file__).resolve().parents[2] / "src" / "opsync" / "rules"


def _ctx(now: str) -> RuleContext:
    calendar = BusinessCalendar("America/New_York")
    return RuleContext(Snapshot(), datetime.fromisoformat(now), calendar)


def test_without_a_deadline_the_rules_hold_until_the_next_local_midnight() -> None:
    ctx = _ctx("2026-12-03T23:30:00-05:00")
    assert ctx.valid_until() == datetime.fromisoformat("2026-12-04T00:00:00-05:00")
    # 04:30 UTC is still Dec 3 in New York: midnight there, not in UTC
    assert _ctx("2026-12-04T04:30:00+00:00").valid_until() == datetime.fromisoformat(
        "2026-12-04T00:00:00-05:00"
    )


def test_a_deadline_compared_with_ends_the_validity_at_that_deadline() -> None:
    ctx = _ctx("2026-12-03T15:00:00-05:00")
    due = ctx.calendar.at(ctx.today, time(16))
    assert not ctx.reached(due)
    assert ctx.valid_until() == due


def test_a_deadline_missed_turns_just_after_it_and_past_ones_do_not_count() -> None:
    ctx = _ctx("2026-12-03T16:00:00-05:00")
    due = ctx.calendar.at(ctx.today, time(16))
    assert not ctx.after(due)  # at 16:00 exactly, not yet past it
    assert ctx.reached(due - timedelta(hours=3))  # long past: changes nothing later
    assert ctx.valid_until() == due + timedelta(microseconds=1)


def test_the_clock_written_into_the_output_holds_for_no_time() -> None:
    ctx = _ctx("2026-12-03T15:00:00-05:00")
    assert ctx.stamp() == ctx.now
    assert ctx.valid_until() == ctx.now + timedelta(microseconds=1)


def test_no_rule_reads_the_clock_but_through_the_context() -> None:
    """``ctx.now`` or ``local_now`` read directly would turn a decision at an instant no
    one notes, and a remembered run would be wrong until midnight."""
    offenders = []
    for path in sorted(RULES.glob("*.py")):
        if path.name == "context.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("now", "local_now"):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
