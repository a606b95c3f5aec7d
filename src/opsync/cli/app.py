"""``opsync`` commands. Each one parses options, calls :mod:`opsync.api` and prints.

Exit codes (for cron): 0 completed (findings are normal) · 1 some operations failed ·
2 bad usage or config · 3 completed with conflicts waiting for a person · 4 another run
holds the lock. :func:`opsync.engine.report.exit_code` decides which; the commands only
pass it what the run gave (a report or the error that stopped it).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from opsync import api
from opsync.cli import logs
from opsync.cli.output import (
    ConsoleReporter,
    print_findings,
    print_plan,
    print_problems,
    print_summary,
)
from opsync.engine.report import RunReport, exit_code
from opsync.errors import ConfigError, OpsyncError

EXIT_CODES = """Exit codes: 0 completed (findings are normal), 1 some operations failed,
2 bad usage or config, 3 completed with conflicts waiting for a person,
4 another run holds the lock."""

app = typer.Typer(
    help="Run the Product Ops operating system on the tools you already use.\n\n" + EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

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
    Path | None, typer.Option("--report-json", help="Write the JSON report here.")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and conflicts.")]


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


def _finish(report: RunReport, report_json: Path | None) -> None:
    if report_json is not None:
        report_json.parent.mkdir(parents=True, exist_ok=True)
        report_json.write_text(
            json.dumps(report.to_json(), indent=2, default=str) + "\n", encoding="utf-8"
        )
    raise typer.Exit(exit_code(report))


def _guard(error: OpsyncError, report_json: Path | None = None) -> typer.Exit:
    """Print the error; also replace the JSON report, so a monitor never reads a stale one."""
    err.print(f"[red]error[/red]: {error}", highlight=False)
    code = exit_code(error)
    if report_json is not None:
        report_json.parent.mkdir(parents=True, exist_ok=True)
        body = {"error": str(error), "kind": type(error).__name__, "exit_code": code}
        report_json.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return typer.Exit(code)


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
) -> None:
    """Dry run: show what a sync would change, grouped by collection, with reasons."""
    reporter = ConsoleReporter(err, quiet)
    try:
        report = api.plan(config, now=_parse_now(now), reporter=reporter)
    except OpsyncError as error:
        raise _guard(error, report_json) from None
    if quiet:
        print_problems(err, report)
    else:
        print_plan(out, report)
        print_summary(out, report)
    _finish(report, report_json)


@app.command()
def sync(
    config: ConfigOpt = Path("opsync.toml"),
    now: NowOpt = None,
    report_json: ReportOpt = None,
    quiet: QuietOpt = False,
    force: Annotated[
        bool, typer.Option("--force", help="Regenerate owned content people edited.")
    ] = False,
    accept_identity_change: Annotated[
        bool, typer.Option("--accept-identity-change", help="After moving records yourself.")
    ] = False,
) -> None:
    """Apply the plan: write derived fields, generated pages and messages."""
    reporter = ConsoleReporter(err, quiet)
    try:
        report = api.sync(
            config,
            now=_parse_now(now),
            force=force,
            accept_identity_change=accept_identity_change,
            reporter=reporter,
        )
    except OpsyncError as error:
        raise _guard(error, report_json) from None
    if quiet:
        print_problems(err, report)
    else:
        print_summary(out, report)
        print_problems(out, report)
    _finish(report, report_json)


@app.command()
def report(
    config: ConfigOpt = Path("opsync.toml"),
    now: NowOpt = None,
    report_json: ReportOpt = None,
) -> None:
    """Findings and the scorecard as tables (writes nothing)."""
    try:
        result = api.report(config, now=_parse_now(now))
    except OpsyncError as error:
        raise _guard(error, report_json) from None
    print_findings(out, result)
    _finish(result, report_json)


@app.command()
def doctor(config: ConfigOpt = Path("opsync.toml")) -> None:
    """Check credentials, sharing and schema of every connector; exit 1 on any problem."""
    try:
        problems = api.doctor(config)
    except OpsyncError as error:
        raise _guard(error) from None
    for finding in problems:
        out.print(f"[red]✗[/red] {finding.record}: {finding.message}", highlight=False)
    if problems:
        raise typer.Exit(1)
    out.print("All connectors are ready.")


bootstrap_app = typer.Typer(help="Create the databases and views opsync works from.")
app.add_typer(bootstrap_app, name="bootstrap")


@bootstrap_app.command("notion")
def bootstrap_notion(
    parent: Annotated[str, typer.Option("--parent", help="Id of the page to create them under.")],
    config: ConfigOpt = Path("opsync.toml"),
) -> None:
    """Create (or find, on a rerun) every database and view under a Notion page, then print
    the config block to paste into opsync.toml."""
    try:
        result, block = api.bootstrap_notion(config, parent)
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


@bootstrap_app.command("confluence")
def bootstrap_confluence(
    parent: Annotated[
        str | None,
        typer.Option("--parent", help="Id or URL of the page to create them under."),
    ] = None,
    config: ConfigOpt = Path("opsync.toml"),
) -> None:
    """Create (or find, on a rerun) the page of each collection and of the generated pages
    under a Confluence page, then print the config block to paste into opsync.toml."""
    try:
        result, block = api.bootstrap_confluence(config, parent)
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


emulate = typer.Typer(help="Run a loopback emulator of a vendor API, to try opsync offline.")
app.add_typer(emulate, name="emulate")


@emulate.command("notion")
def emulate_notion(
    port: Annotated[
        int, typer.Option("--port", help="Port on 127.0.0.1 (0: any free one).")
    ] = 8765,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    rate: Annotated[
        float, typer.Option("--rate", help="Requests per second before 429s; 0 for none.")
    ] = 3.0,
) -> None:
    """Serve a Notion API emulator until stopped; prints its base URL, token and root page."""
    from opsync.testing.emulators.notion import main as serve

    raise typer.Exit(serve(["--host", host, "--port", str(port), "--rate", str(rate)]))


@emulate.command("jira")
def emulate_jira(
    port: Annotated[
        int, typer.Option("--port", help="Port on 127.0.0.1 (0: any free one).")
    ] = 8766,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    deployment: Annotated[
        str, typer.Option("--deployment", help="cloud (REST v3) or datacenter (REST v2).")
    ] = "cloud",
    rate: Annotated[
        float, typer.Option("--rate", help="Requests per second before 429s; 0 for none.")
    ] = 10.0,
    seed_example: Annotated[
        str | None, typer.Option("--seed-example", help="Seed an example's releases: acme.")
    ] = None,
) -> None:
    """Serve a Jira emulator until stopped; prints its base URL, email and API token."""
    from opsync.testing.emulators.jira import main as serve

    args = ["--host", host, "--port", str(port), "--rate", str(rate)]
    args += ["--deployment", deployment] + (
        ["--seed-example", seed_example] if seed_example else []
    )
    raise typer.Exit(serve(args))


@emulate.command("confluence")
def emulate_confluence(
    port: Annotated[
        int, typer.Option("--port", help="Port on 127.0.0.1 (0: any free one).")
    ] = 8767,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    space: Annotated[str, typer.Option("--space", help="Key of the space served.")] = "OPS",
    rate: Annotated[
        float, typer.Option("--rate", help="Requests per second before 429s; 0 for none.")
    ] = 10.0,
) -> None:
    """Serve a Confluence emulator until stopped; prints its base URL, email, token, space
    key and root page id."""
    from opsync.testing.emulators.confluence import main as serve

    args = ["--host", host, "--port", str(port), "--space", space, "--rate", str(rate)]
    raise typer.Exit(serve(args))


@app.callback()
def _options(
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
