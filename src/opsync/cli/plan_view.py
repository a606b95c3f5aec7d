"""``opsync plan`` as a person reads it: grouped by collection, values as the target shows
them, page regions as unified diffs, messages previewed, reasons citing docs/rules.md, and a
summary. Everything here is read off the plan the engine applies (``RunReport.plan``); the
region diffs are the JSON report's (:func:`opsync.engine.diffs.region_diff`).

A long plan (a first sync) is collapsed to one line per collection and its reasons;
``--detail`` shows every operation. A short plan shows everything, each collection cut at
``GROUP_LIMIT`` operations and each diff at ``DIFF_LIMIT`` lines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from rich.console import Console
from rich.text import Text

from opsync.connectors.base import Message
from opsync.connectors.records import DEFAULT_OPTIONS
from opsync.domain import Collection
from opsync.engine.diffs import edit_diff, region_diff
from opsync.engine.plan import Conflict, Operation
from opsync.engine.report import RunReport
from opsync.rules.wording import counted

LONG_PLAN = 25  # operations above which the plan is collapsed to one line per collection
GROUP_LIMIT = 5  # operations shown per collection before "… and N more"
DIFF_LIMIT = 40  # diff lines shown per region before "… N more lines"
PREVIEW_LINES = 8  # lines of a message shown
REASONS_SHOWN = 2  # distinct reasons shown for a collapsed collection

_VERBS = {
    "create_record": "to create",
    "create_page": "to create",
    "update_record": "to update",
    "update_page": "to update",
    "update_tracker": "to update",
    "write_file": "to write",
    "send": "to send",
}
_MARKS = {
    "create_record": ("+", "green"),
    "create_page": ("+", "green"),
    "update_record": ("~", "yellow"),
    "update_page": ("~", "yellow"),
    "update_tracker": ("~", "yellow"),
    "write_file": ("~", "yellow"),
    "send": ("→", "cyan"),
}
_DIFF_STYLES = {"+": "green", "-": "red", "@": "cyan"}


def show(value: Any, names: Mapping[str, str], options: Mapping[str, str] | None = None) -> str:
    """A field's value as the target shows it: ISO dates, option names, people's names, a
    list as its items, and ``(empty)`` for nothing; never a Python repr."""
    if value is None or value == "" or value == []:
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if options and str(value) in options:
        return options[str(value)]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list | tuple):
        if all(isinstance(v, dict) for v in value):
            return counted(len(value), "entry", "entries")
        return ", ".join(show(v, names) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {show(v, names)}" for k, v in value.items())
    return str(value)


def _entries(value: Any, names: Mapping[str, str]) -> list[str]:
    """The entries of a list of objects (a roadmap view's items), one line each."""
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        return []
    return [show(entry, names) for entry in value]


def _summary(ops: Sequence[Operation]) -> str:
    counts = Counter(_VERBS[op.kind] for op in ops)
    order = ("to create", "to update", "to write", "to send")
    return ", ".join(f"{counts[verb]} {verb}" for verb in order if counts[verb])


def _options(collection: str) -> Mapping[str, Mapping[str, str]]:
    try:
        return DEFAULT_OPTIONS.get(Collection(collection), {})
    except ValueError:
        return {}


class PlanView:
    """Prints one report's plan; ``detail`` shows every operation and line in full."""

    def __init__(self, console: Console, report: RunReport, *, detail: bool) -> None:
        self.console = console
        self.report = report
        self.detail = detail
        self.collapsed = not detail and len(report.plan.operations) > LONG_PLAN

    def line(self, text: str | Text, indent: int = 0) -> None:
        body = text if isinstance(text, Text) else Text(text)
        self.console.print(Text(" " * indent) + body, soft_wrap=True, highlight=False)

    def print(self) -> None:
        groups = self.report.plan.by_collection()
        if not groups and not self.report.conflicts:
            self.line("Nothing to do: every target already matches.")
        elif not groups:
            self.line("Nothing to write; the conflicts below wait for a person.")
        for collection, ops in sorted(groups.items()):
            self.group(collection, ops)
        if self.report.conflicts:
            self.conflicts(self.report.conflicts)
        if self.collapsed:
            self.line(
                f"(collapsed: {counted(len(self.report.plan.operations), 'operation')}; "
                "`opsync plan --detail` shows each one)"
            )

    def group(self, collection: str, ops: Sequence[Operation]) -> None:
        title = Text(collection, style="bold") + Text(f" — {_summary(ops)}")
        self.line(title)
        if self.collapsed:
            reasons = Counter(op.reason for op in ops)
            for reason, _ in reasons.most_common(REASONS_SHOWN):
                self.line(reason, 4)
            if len(reasons) > REASONS_SHOWN:
                others = len(reasons) - REASONS_SHOWN
                self.line(f"… and {counted(others, 'other reason')}", 4)
            return
        shown = ops if self.detail else ops[:GROUP_LIMIT]
        for op in shown:
            self.operation(op)
        if len(ops) > len(shown):
            self.line(f"… and {len(ops) - len(shown)} more (--detail lists them)", 2)

    def operation(self, op: Operation) -> None:
        mark, style = _MARKS[op.kind]
        head = Text(f"{mark} ", style=style) + Text(op.target, style="bold")
        if isinstance(op.payload, Message):
            head += Text(f" to {op.payload.channel}")
        self.line(head, 2)
        self.line(Text(op.reason, style="dim"), 4)
        self.fields(op)
        for change in op.regions:
            self.diff(region_diff(change))
        if isinstance(op.payload, Message):
            self.preview(op.payload)

    def fields(self, op: Operation) -> None:
        if not op.changes:
            return
        names = self.report.names
        options = _options(op.collection)
        created = op.kind == "create_record"
        width = max(len(name) for name, _, _ in op.changes)
        for name, old, new in op.changes:
            after = show(new, names, options.get(name))
            if created:
                self.line(f"{name:<{width}}  {after}", 6)
            else:
                before = show(old, names, options.get(name))
                self.line(f"{name:<{width}}  {before} → {after}", 6)
            if self.detail:
                for entry in _entries(new, names):
                    self.line(f"- {entry}", 8 + width)

    def diff(self, lines: Sequence[str]) -> None:
        shown = lines if self.detail else lines[:DIFF_LIMIT]
        for line in shown:
            self.line(Text(line, style=_DIFF_STYLES.get(line[:1], "")), 6)
        if len(lines) > len(shown):
            self.line(f"… {len(lines) - len(shown)} more diff lines (--detail shows them)", 6)

    def preview(self, message: Message) -> None:
        """The message as its recipient first reads it: the plain text, cut short."""
        lines = [line for line in message.text.splitlines() if line.strip()]
        shown = lines if self.detail else lines[:PREVIEW_LINES]
        for line in shown:
            self.line(f"│ {line}", 6)
        if len(lines) > len(shown):
            self.line(f"│ … {len(lines) - len(shown)} more line(s)", 6)
        if message.announces:
            self.line(f"│ (links to the page {message.announces})", 6)

    def conflicts(self, conflicts: Sequence[Conflict]) -> None:
        self.line(Text("conflicts", style="bold") + Text(f" — {len(conflicts)} kept as they are"))
        for conflict in conflicts:
            label = "! conflict, not targeted" if conflict.not_targeted else "! conflict"
            if conflict.reported:
                label += ", reported before"
            self.line(
                Text(f"{label} ", style="yellow")
                + Text(f"{conflict.target} ({conflict.part})", style="bold"),
                2,
            )
            self.line(conflict.message, 4)
            if conflict.edit is not None:
                self.diff(edit_diff(conflict.edit))


def plan_summary(report: RunReport) -> str:
    """``Plan: 3 to create, 5 to update, 2 messages to send, 1 conflict, 48 findings.``"""
    ops = report.plan.operations
    counts = Counter(_VERBS[op.kind] for op in ops)
    sends = counts["to send"]
    parts = [
        f"{counts['to create']} to create",
        f"{counts['to update'] + counts['to write']} to update",
        f"{counted(sends, 'message')} to send",
        counted(len(report.conflicts), "conflict"),
        counted(len(report.findings), "finding"),
    ]
    unchanged = " Nothing changed since the last full run (--full reads everything)."
    return "Plan: " + ", ".join(parts) + "." + (unchanged if report.unchanged else "")


def print_plan(console: Console, report: RunReport, *, detail: bool = False) -> None:
    PlanView(console, report, detail=detail).print()
