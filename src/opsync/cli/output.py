"""Rich rendering of plans and reports, and the progress reporter for terminals and cron."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from opsync.cli.consoles import escape
from opsync.domain.findings import Finding
from opsync.engine.plan import Operation
from opsync.engine.report import RunReport

if TYPE_CHECKING:  # rich is imported where something is printed (opsync.cli.consoles)
    from rich.console import Console
    from rich.progress import Progress, TaskID


class ConsoleReporter:
    """A progress bar on a terminal; plain lines (one per stage) when not attached to one."""

    def __init__(self, console: Console, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def stage(self, name: str) -> None:
        if self.quiet:
            return
        if name == "apply" and self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._progress = Progress(
                TextColumn("applying"),
                BarColumn(),
                MofNCompleteColumn(),
                console=self.console,
                transient=True,
            )
            self._progress.start()
        elif not self.console.is_terminal:
            self.console.print(f"opsync: {name}", highlight=False)

    def progress(self, done: int, total: int, op: Operation) -> None:
        if self._progress is not None:
            if self._task is None:
                self._task = self._progress.add_task("apply", total=total)
            self._progress.update(self._task, completed=done)
            if done == total:
                self._progress.stop()
                self._progress = None
                self._task = None


def print_plan(console: Console, report: RunReport, *, detail: bool = False) -> None:
    """The plan (cli/plan_view.py), what else needs a person, and the summary line."""
    from opsync.cli import plan_view

    plan_view.print_plan(console, report, detail=detail)
    print_problems(console, report, conflicts=False)
    console.print(plan_view.plan_summary(report), highlight=False, soft_wrap=True)


# Lines that name files (conflicts, failures, findings) are printed unwrapped: a path cut
# across lines can be neither read whole nor pasted; the terminal wraps them instead.


def print_problems(
    console: Console, report: RunReport, *, conflicts: bool = True, quiet: bool = False
) -> None:
    """What needs a person: failed operations, conflicts (unless the plan view printed
    them), input that could not be read, an identity change."""
    for op, error in report.failed:
        console.print(f"[red]failed[/red] {op.target}: {error}", highlight=False, soft_wrap=True)
    for finding in report.findings:
        if finding.unreadable:
            console.print(
                f"[yellow]unreadable[/yellow] {escape(finding.record)}: {escape(finding.message)}",
                highlight=False,
                soft_wrap=True,
            )
    for op, why in report.waiting:
        console.print(
            f"[yellow]waiting[/yellow] {op.target}: {why}", highlight=False, soft_wrap=True
        )
    if conflicts:
        print_conflicts(console, report, quiet=quiet)
    if report.identity_change:
        console.print(
            f"[red]identity change[/red]: {report.identity_change}; `opsync sync` will refuse "
            "it until the records are moved and `--accept-identity-change` is given",
            highlight=False,
            soft_wrap=True,
        )


def print_conflicts(console: Console, report: RunReport, *, quiet: bool = False) -> None:
    """Each conflict; with ``quiet`` (cron), not those reported before and unchanged
    (``[run] on_conflict = "report"``): cron mails what is new only."""
    for conflict in report.conflicts:
        if quiet and conflict.reported:
            continue
        label = "conflict, not targeted" if conflict.not_targeted else "conflict"
        if conflict.reported:
            label += ", reported before"
        console.print(
            f"[yellow]{label}[/yellow] {conflict.target} ({conflict.part}): {conflict.message}",
            highlight=False,
            soft_wrap=True,
        )


def print_summary(console: Console, report: RunReport) -> None:
    verb = "applied" if report.applied else "planned"
    count = len(report.done) if report.applied else len(report.plan.operations)
    console.print(
        f"{verb} {count} operation(s); {len(report.failed)} failed; "
        f"{len(report.conflicts)} conflict(s); {len(report.findings)} finding(s)"
        + (UNCHANGED if report.unchanged else ""),
        highlight=False,
    )


# why a run read nothing: its inputs are as a full run that found nothing to do left them
UNCHANGED = " (nothing changed since the last full run; run with --full to read everything)"


def print_findings(
    console: Console, report: RunReport, keep: Callable[[Finding], bool] = lambda _: True
) -> None:
    """The findings ``keep`` selects (``opsync report``'s filters), then the scorecard."""
    from rich.table import Table

    shown = [f for f in report.findings if keep(f)]
    title = "Findings"
    if len(shown) < len(report.findings):
        title += f" ({len(shown)} of {len(report.findings)})"
    table = Table(title=title, show_lines=False)
    for column in ("record", "code", "message"):
        table.add_column(column, overflow="fold")
    for finding in shown:
        table.add_row(finding.record, finding.code, finding.message)
    console.print(table)
    if report.scorecard:
        score = Table(title="Scorecard")
        columns = ("metric", "target", "current", "status", "basis")  # the page's words
        for column in columns:
            score.add_column(column, overflow="fold")
        for row in report.scorecard:
            score.add_row(*(getattr(row, column) for column in columns))
        console.print(score)
