"""``opsync`` commands. Each one parses options, calls :mod:`opsync.api` and prints.

Exit codes (for cron): 0 completed (findings are normal) · 1 some operations failed ·
2 bad usage or config · 3 completed with conflicts waiting for a person · 4 another run
holds the lock · 5 completed, but some input could not be read · 7 a saved plan no longer
matches the targets (``opsync apply`` wrote nothing).
:func:`opsync.engine.report.exit_code` decides which; the commands only pass it what the
run gave (a report or the error that stopped it).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.core

from opsync import api
from opsync.cli import logs
from opsync.cli.consoles import escape, lazy_console
from opsync.cli.filters import FindingFilter
from opsync.cli.output import (
    ConsoleReporter,
    print_findings,
    print_plan,
    print_problems,
    print_summary,
)
from opsync.domain.findings import Level
from opsync.engine.report import RunReport, error_json, exit_code
from opsync.errors import ConfigError, OpsyncError

if TYPE_CHECKING:  # rich is imported when something is printed (opsync.cli.consoles)
    from rich.console import Console

    from opsync.engine.migrate import Item

EXIT_CODES = """Exit codes: 0 completed (findings are normal), 1 some operations failed,
2 bad usage or config, 3 completed with conflicts waiting for a person,
4 another run holds the lock, 5 completed but some input could not be read (the records
named by record.invalid findings were left out), 6 the disk refused a write,
7 a saved plan no longer matches the targets (apply wrote nothing)."""

#: What a bare ``--force`` (no KEY) stands for once :class:`_Commands` read it: everything.
EVERYTHING = "*"


class _Commands(typer.core.TyperGroup):
    """Reads a bare ``--force`` (the last word, or followed by another option) as "force
    everything", so that ``--force KEY`` and ``--force`` are one option."""

    # ctx: typer's own (vendored) click Context, which typer does not export
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        args = [
            f"--force={EVERYTHING}"
            if word == "--force" and (i + 1 == len(args) or args[i + 1].startswith("-"))
            else word
            for i, word in enumerate(args)
        ]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_Commands,
    help="Run the Product Ops operating system on the tools you already use.\n\n" + EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = lazy_console()
# errors are not wrapped: a long path cut across lines can be neither read nor pasted, and
# cron's mail and log collectors keep the line whole
err = lazy_console(stderr=True, soft_wrap=True)

ConfigOpt = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        help="Path of opsync.toml; relative paths in it resolve against its folder.",
    ),
]
NowOpt = Annotated[
    str | None,
    typer.Option("--now", help="The clock, ISO-8601 with offset, for reproducible runs."),
]
ReportOpt = Annotated[
    Path | None,
    typer.Option(
        "--report-json",
        help="Write the JSON report here; - writes it to stdout (and the rest to stderr).",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and conflicts.")]
ForceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--force",
        metavar="[KEY]",
        help="Regenerate this page's or record's content people edited, e.g. "
        "weekly-update/2026-W49 or decisions/D-12; repeat for more. Alone (no KEY): every "
        "owned region and record people edited (asks first on a terminal). Never touches "
        "text outside regions or regions with damaged markers.",
    ),
]
FullOpt = Annotated[
    bool,
    typer.Option(
        "--full",
        help="Read and plan everything, even when nothing changed since a run that found "
        "nothing to do (a no-op run is otherwise skipped).",
    ),
]
ForceOnlyOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--force-only",
        metavar="KEY",
        help="The same as --force KEY (kept for scripts written before --force took a KEY).",
    ),
]


def _force(force: list[str] | None, only: list[str] | None) -> bool | frozenset[str]:
    """What the run may overwrite: the keys --force (or --force-only) names, or everything
    with a bare --force."""
    keys = [*(force or ()), *(only or ())]
    if EVERYTHING in keys:
        if len(keys) > 1:
            raise ConfigError(
                "--force without a KEY and --force KEY both given",
                key="--force",
                hint="give --force alone (everything) or --force KEY (just those)",
            )
        return True
    return frozenset(k.strip().removesuffix(".md") for k in keys) if keys else False


def _interactive() -> bool:
    return sys.stdin.isatty()


def _confirm_force_all() -> None:
    """A bare --force typed at a terminal asks first; a cron job (no terminal) proceeds."""
    if not _interactive():
        return
    if not typer.confirm(
        "--force overwrites every hand edit inside opsync's regions and owned record fields "
        "(`opsync plan` lists them; --force-only KEY limits it to one page or record). "
        "Continue?",
        default=False,
    ):
        raise typer.Exit(2)


def _parse_now(value: str | None) -> datetime | None:
    """A bad ``--now`` is a usage error like a bad config: the same exit code and report."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        hint = "write it as ISO 8601, e.g. 2026-12-03T15:00:00-05:00"
        raise ConfigError(f"{value!r} is not a date-time", key="--now", hint=hint) from None
    if parsed.tzinfo is None:
        hint = f"add one, e.g. {value}-05:00"
        raise ConfigError(f"{value!r} has no UTC offset", key="--now", hint=hint)
    return parsed


def _write_json(path: Path, body: object) -> None:
    """The JSON report to ``path``; ``-`` means standard output, as Unix tools take it."""
    text = json.dumps(body, indent=2, default=str) + "\n"
    if str(path) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _to_stdout(report_json: Path | None) -> bool:
    return report_json is not None and str(report_json) == "-"


def _results(report_json: Path | None) -> Console:
    """Where a command prints its results: stdout, unless ``--report-json -`` gave stdout to
    the JSON report, so that a pipe (``| jq``) reads JSON only; then stderr."""
    return err if _to_stdout(report_json) else out


def _finish(report: RunReport, report_json: Path | None) -> None:
    if report_json is not None:
        _write_json(report_json, report.to_json())
    raise typer.Exit(exit_code(report))


def _guard(
    error: OpsyncError,
    report_json: Path | None = None,
    *,
    now: str | None = None,
    applied: bool = False,
) -> typer.Exit:
    """Print the error. The JSON report (the one shape, with ``error`` set) replaces the
    previous one only when the run had started (``error.started``): a run that never began
    (a bad config or ``--now``, a lock held by another run) leaves the last run's report as
    it was. To standard output it is always printed: there is nothing there to keep."""
    err.print(f"[red]error[/red]: {escape(str(error))}", highlight=False)
    if report_json is not None and (error.started or str(report_json) == "-"):
        _write_json(report_json, error_json(error, now=now, applied=applied))
    return typer.Exit(exit_code(error))


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")],
    example: Annotated[
        str | None, typer.Option("--example", help="Copy a bundled example, e.g. acme.")
    ] = None,
) -> None:
    """Scaffold a workspace and its opsync.toml (or copy a bundled example organisation)."""
    try:
        path = api.init_workspace(directory, example=example)
    except OpsyncError as error:
        raise _guard(error) from None
    out.print(f"created {path}; next: opsync sync --config {path}", highlight=False)


@app.command()
def plan(
    config: ConfigOpt = Path("opsync.toml"),
    now: NowOpt = None,
    report_json: ReportOpt = None,
    quiet: QuietOpt = False,
    force: ForceOpt = None,
    force_only: ForceOnlyOpt = None,
    full: FullOpt = False,
    detail: Annotated[
        bool,
        typer.Option("--detail", help="Show every operation, field, diff line and message."),
    ] = False,
    save: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Save the plan to this file, for `opsync apply FILE` to apply exactly it.",
        ),
    ] = None,
) -> None:
    """Dry run: show what a sync would change, grouped by collection, with reasons."""
    reporter = ConsoleReporter(err, quiet)
    try:
        forced = _force(force, force_only)
        report = api.plan(config, now=_parse_now(now), force=forced, reporter=reporter, full=full)
        if save is not None:
            api.save_plan(report, save, config_path=config, force=forced)
    except OpsyncError as error:
        raise _guard(error, report_json, now=now) from None
    if quiet:
        print_problems(err, report, quiet=True)
    else:
        print_plan(_results(report_json), report, detail=detail)
    _finish(report, report_json)


@app.command()
def sync(
    config: ConfigOpt = Path("opsync.toml"),
    now: NowOpt = None,
    report_json: ReportOpt = None,
    quiet: QuietOpt = False,
    force: ForceOpt = None,
    force_only: ForceOnlyOpt = None,
    full: FullOpt = False,
    accept_identity_change: Annotated[
        bool, typer.Option("--accept-identity-change", help="After moving records yourself.")
    ] = False,
) -> None:
    """Apply the plan: write derived fields, generated pages and messages."""
    reporter = ConsoleReporter(err, quiet)
    try:
        forced = _force(force, force_only)
        if forced is True:
            _confirm_force_all()
        report = api.sync(
            config,
            now=_parse_now(now),
            force=forced,
            accept_identity_change=accept_identity_change,
            reporter=reporter,
            full=full,
        )
    except OpsyncError as error:
        raise _guard(error, report_json, now=now, applied=True) from None
    if quiet:
        print_problems(err, report, quiet=True)
    else:
        print_summary(_results(report_json), report)
        print_problems(_results(report_json), report)
    _finish(report, report_json)


@app.command(name="apply")
def apply_plan(
    saved: Annotated[
        Path, typer.Argument(metavar="PLAN", help="A file `opsync plan --out` wrote.")
    ],
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Path of opsync.toml (default: the plan's)."),
    ] = None,
    report_json: ReportOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Apply a saved plan exactly; refuse (exit 7, nothing written) when the targets now call
    for another plan."""
    reporter = ConsoleReporter(err, quiet)
    try:
        report = api.apply(saved, config_path=config, reporter=reporter)
    except OpsyncError as error:
        raise _guard(error, report_json, applied=True) from None
    if quiet:
        print_problems(err, report, quiet=True)
    else:
        print_summary(_results(report_json), report)
        print_problems(_results(report_json), report)
    _finish(report, report_json)


@app.command()
def report(
    config: ConfigOpt = Path("opsync.toml"),
    now: NowOpt = None,
    report_json: ReportOpt = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the JSON report (its findings filtered) instead of tables."
        ),
    ] = False,
    codes: Annotated[
        list[str] | None,
        typer.Option(
            "--code",
            metavar="CODE",
            help="Only findings with this code, a family of codes (enablement) or a pattern "
            "(enablement.*-late); repeat for more.",
        ),
    ] = None,
    records: Annotated[
        list[str] | None,
        typer.Option(
            "--record",
            metavar="REF",
            help="Only findings about this record (releases/ACME-121), a collection "
            "(releases) or a pattern (releases/ACME-12*); repeat for more.",
        ),
    ] = None,
    severity: Annotated[
        Level | None,
        typer.Option("--severity", help="Only findings of this level or above."),
    ] = None,
) -> None:
    """Findings and the scorecard as tables, or as JSON with --json (writes nothing)."""
    selected = FindingFilter(tuple(codes or ()), tuple(records or ()), severity)
    try:
        if as_json and _to_stdout(report_json):
            raise ConfigError(
                "--json and --report-json - both print to stdout",
                key="--json",
                hint="give --json alone (filtered) or --report-json - (the whole report)",
            )
        result = api.report(config, now=_parse_now(now))
    except OpsyncError as error:
        stop = _guard(error, report_json, now=now)
        if as_json and not _to_stdout(report_json):  # as --report-json - prints it
            _write_json(Path("-"), error_json(error, now=now, applied=False))
        raise stop from None
    if as_json:
        body = result.to_json()
        body["findings"] = [f for f in body["findings"] if selected.keeps_json(f)]
        _write_json(Path("-"), body)
    else:
        print_findings(_results(report_json), result, selected.keeps)
    _finish(result, report_json)


@app.command()
def doctor(
    config: ConfigOpt = Path("opsync.toml"),
    duplicates: Annotated[
        bool,
        typer.Option(
            "--duplicates",
            help="Also read the whole wiki and list what carries another's key (exit 1 if any).",
        ),
    ] = False,
) -> None:
    """Check credentials, sharing and schema of every connector; exit 1 on any problem
    (a warning, such as a person Slack cannot find, is printed and does not fail)."""
    try:
        problems = api.doctor(config)
        if duplicates and not any(f.level is Level.ERROR for f in problems):
            copies = api.duplicates(config)
            problems += [f.model_copy(update={"level": Level.ERROR}) for f in copies]
            if not copies:
                out.print("No duplicates: every key is carried once.", highlight=False)
    except OpsyncError as error:
        raise _guard(error) from None
    for finding in problems:
        # a message is text, not markup: "[[org.people]]" or "[roles]" must print as written
        text = f"{escape(finding.record)}: {escape(finding.message)}"
        mark = "[red]✗[/red]" if finding.level is Level.ERROR else "[yellow]![/yellow]"
        out.print(f"{mark} {text}", highlight=False, soft_wrap=True)  # paths stay whole
    if any(f.level is Level.ERROR for f in problems):
        raise typer.Exit(1)
    out.print("All connectors are ready." if not problems else "Ready, with the warnings above.")


_MIGRATED = {
    "create": "[green]create[/green]   ",
    "fill": "[green]fill[/green]     ",
    "same": "same     ",
    "differs": "[yellow]differs[/yellow]  ",
    "overwrite": "[yellow]overwrite[/yellow]",
    "skipped": "[red]skipped[/red]  ",
    "failed": "[red]failed[/red]   ",
}


@app.command(no_args_is_help=True)
def migrate(
    source: Annotated[Path, typer.Option("--from", help="opsync.toml of the wiki to copy from.")],
    target: Annotated[Path, typer.Option("--to", help="opsync.toml of the wiki to copy into.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read both wikis and print what would be copied.")
    ] = False,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            help="Replace a record the target holds with other content (default: report it).",
        ),
    ] = False,
    report_json: ReportOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Copy people's records, the publication logs and the bundle pages' text from one
    wiki to another, keyed: a rerun copies nothing twice. Exit 1 if a write failed, 3 if
    the target holds a record with other content (not overwritten), 5 if a record could
    not be read from the source."""

    def progress(item: Item) -> None:
        if quiet and item.outcome.value not in ("differs", "skipped", "failed"):
            return
        if item.outcome.value == "same" and not dry_run:
            return
        detail = f": {escape(item.detail)}" if item.detail else ""
        out.print(f"{_MIGRATED[item.outcome.value]} {escape(item.target)}{detail}", highlight=False)

    try:
        result = api.migrate(
            source, target, dry_run=dry_run, overwrite=overwrite, progress=progress
        )
    except OpsyncError as error:
        raise _guard(error) from None
    from opsync.engine.migrate import Outcome

    counts = {o.value: result.count(o) for o in Outcome}
    verb = "would create" if dry_run else "created"
    summary = (
        f"{verb} {counts['create']}, {'would fill' if dry_run else 'filled'} {counts['fill']}, "
        f"{counts['same']} already there"
        + (
            f", {'would overwrite' if dry_run else 'overwrote'} {counts['overwrite']}"
            if overwrite
            else ""
        )
        + f", {counts['differs']} differ (not overwritten), {counts['skipped']} unreadable in "
        f"the source, {counts['failed']} failed"
    )
    out.print(("Dry run: " if dry_run else "Migrated: ") + summary, highlight=False)
    sides = [
        f"{side} {n.get('reads', 0)} reads, {n.get('writes', 0)} writes"
        for side, n in result.requests.items()
    ]
    out.print("Requests: " + "; ".join(sides), highlight=False)
    if report_json is not None:
        _write_json(report_json, result.to_json())
    code = 1 if counts["failed"] else 3 if counts["differs"] else 5 if counts["skipped"] else 0
    raise typer.Exit(code)


@app.command(no_args_is_help=True)
def bootstrap(
    kind: Annotated[
        str,
        typer.Argument(
            metavar="TYPE",
            help="The wiki connector's type (notion, confluence), or jira (write-back fields).",
        ),
    ],
    parent: Annotated[
        str | None,
        typer.Option("--parent", help="Id (or Confluence URL) of the page to create them under."),
    ] = None,
    config: ConfigOpt = Path("opsync.toml"),
) -> None:
    """Create (or find, on a rerun) the databases, views or pages opsync works from under a
    page of the wiki, then print the config block to paste into opsync.toml."""
    try:
        result, block = api.bootstrap(kind, config, parent)
    except OpsyncError as error:
        raise _guard(error) from None
    for line in result.created:
        out.print(f"created {line}", highlight=False)
    for line in result.found:
        out.print(f"found   {line}", highlight=False)
    for line in result.problems:
        err.print(f"[red]problem[/red] {line}", highlight=False)
    out.print("\n# Paste into opsync.toml:\n" + block, highlight=False, markup=False)
    if result.problems:
        raise typer.Exit(1)


@app.command(
    no_args_is_help=True,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def emulate(
    ctx: typer.Context,
    kind: Annotated[
        str,
        typer.Argument(
            metavar="TYPE", help="The service: notion, jira, linear, confluence or slack."
        ),
    ],
) -> None:
    """Run a loopback emulator of a vendor API, to try opsync offline; prints its base URL
    and credentials. Options after TYPE go to the emulator: --port (0: any free one),
    --host, --rate (requests per second before 429s; 0 for none), and for jira
    --deployment cloud|datacenter and --seed-example acme, for linear --seed-example acme
    and --seed FILE, for confluence --space KEY, for slack --token, --seed FILE and
    --enforce-limits (`opsync emulate slack --help`)."""
    try:
        code = api.emulate(kind, ctx.args)
    except OpsyncError as error:
        raise _guard(error) from None
    raise typer.Exit(code)


def _print_version(asked: bool) -> None:
    if asked:
        out.print(f"opsync {installed_version('opsync')}", highlight=False)
        raise typer.Exit(0)


@app.callback()
def _options(
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the installed opsync's version and exit.",
        ),
    ] = False,
    log_level: Annotated[
        str | None,
        typer.Option(
            "--log-level",
            help="Log to stderr at this level: debug, info, warning or error (secrets masked).",
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log at debug level (as --log-level debug).")
    ] = False,
) -> None:
    """Options that apply to every command (give them before the command's name)."""
    level = "debug" if verbose else log_level
    if level is None:
        return
    if level.lower() not in logs.LEVELS:
        err.print(f"--log-level: {level!r} is not one of {', '.join(logs.LEVELS)}")
        raise typer.Exit(2)
    logs.configure(level)


def main() -> None:
    app()
