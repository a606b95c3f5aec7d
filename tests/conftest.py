"""Shared fixtures: a small organisation in New York with US holidays, a context factory,
and for end-to-end tests the CLI run in-process (`cli`) and a copy of the Acme example.

Tests build a Snapshot with the records they need and call ``make_ctx(snapshot, now)``;
``now`` is always explicit, so no test depends on the real time.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from opsync.calendar import BusinessCalendar
from opsync.cli.app import app
from opsync.domain import Person, ProductArea, Role, Snapshot
from opsync.engine.report import ReportSchema
from opsync.rules.context import RuleContext
from opsync.settings import Settings
from opsync.state import SqliteStateStore, StateStore

NY = ZoneInfo("America/New_York")
EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "opsync" / "examples"

PEOPLE = (
    Person(key="ana", name="Ana Ruiz", role=Role.PM),
    Person(key="ben", name="Ben Okafor", role=Role.PM),
    Person(key="chen", name="Chen Li", role=Role.PM),
    Person(key="dev", name="Dev Patel", role=Role.ENG_LEAD),
    Person(key="eve", name="Eve Martin", role=Role.ENG_LEAD),
)
AREAS = (
    ProductArea(key="billing", name="Billing", pm="ana", eng_lead="dev"),
    ProductArea(key="onboarding", name="Onboarding", pm="ben", eng_lead="eve"),
    ProductArea(key="reporting", name="Reporting", pm="chen", eng_lead="dev"),
)


#: Test files whose tests share a module-scoped world: under ``pytest -n`` each runs whole in
#: one worker, so the world is built once (tests/unit/test_suite_scheduler.py keeps this
#: list equal to the files that declare one).
SHARED_WORLDS = frozenset(
    {
        "tests/bench/test_notion_requests.py",
        "tests/e2e/test_simulated_quarter.py",
        "tests/e2e/test_unchanged_property.py",
        "tests/s3/test_s3_feed.py",
    }
)


def work_unit(nodeid: str) -> str:
    """What runs together in one worker: the reliability folder (it gathers its figures in
    one process and compares them in its last test), a file with a shared world, or else
    the test alone."""
    path = nodeid.split("::", 1)[0]
    if path.startswith("tests/reliability/"):
        return "tests/reliability"
    return path if path in SHARED_WORLDS else nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under ``pytest -n`` (xdist): the work units of :func:`work_unit`, largest first (the
    reliability folder starts at once instead of last). A scheduler of our own, because
    ``--dist loadgroup`` stopped grouping with pytest 9.2 (pytest-dev/pytest-xdist#1386)."""
    from xdist.scheduler import LoadScopeScheduling

    class ByWorkUnit(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return ByWorkUnit(config, log)


def ny(*args: int) -> datetime:
    """An aware datetime in the org timezone: ny(2026, 12, 3, 15)."""
    return datetime(*args, tzinfo=NY)  # type: ignore[misc]


@pytest.fixture
def calendar() -> BusinessCalendar:
    return BusinessCalendar(timezone="America/New_York", country="US")


@pytest.fixture
def org() -> Snapshot:
    return Snapshot(people=PEOPLE, product_areas=AREAS)


MakeCtx = Callable[..., RuleContext]


class CliResult:
    """What one CLI invocation gave: exit code, printed output, the JSON report."""

    def __init__(self, exit_code: int, output: str, report: dict[str, object]) -> None:
        self.exit_code = exit_code
        self.output = output
        self.report: dict[str, Any] = report


@pytest.fixture
def make_ctx(calendar: BusinessCalendar, org: Snapshot) -> MakeCtx:
    def build(now: datetime, settings: Settings | None = None, **records: object) -> RuleContext:
        snapshot = org.model_copy(update=records)
        return RuleContext(
            snapshot=snapshot, now=now, calendar=calendar, settings=settings or Settings()
        )

    return build


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., CliResult]:
    runner = CliRunner()

    def invoke(*args: str) -> CliResult:
        report_path = tmp_path / "report.json"
        report_path.unlink(missing_ok=True)
        extra = ["--report-json", str(report_path)] if args[0] in {"plan", "sync", "report"} else []
        result = runner.invoke(app, [*args, *extra])
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
        if report:  # every report a test sees has the one documented shape
            ReportSchema.model_validate(report)
        return CliResult(result.exit_code, result.output, report)

    return invoke


@pytest.fixture
def acme(tmp_path: Path) -> Path:
    """A copy of examples/acme in a temporary folder; returns its config path."""
    target = tmp_path / "acme"
    shutil.copytree(EXAMPLES / "acme", target)
    return target / "opsync.toml"


@pytest.fixture
def confluence_pages(confluence_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The Confluence connector on the emulator's space, generated pages under its root
    page, retrying without sleeping (imported here only when a test asks for it)."""
    from opsync.connectors.confluence.config import ConfluenceConnectorConfig
    from opsync.connectors.confluence.connector import ConfluenceWiki
    from opsync.http import RetryPolicy

    monkeypatch.setenv("OPSYNC_CONFLUENCE_BASE_URL", confluence_emulator.base_url)
    monkeypatch.setenv("CONFLUENCE_EMAIL", confluence_emulator.email)
    monkeypatch.setenv("CONFLUENCE_TOKEN", confluence_emulator.token)
    config = ConfluenceConnectorConfig(space="OPS", pages_parent=confluence_emulator.root_page_id)
    connector = ConfluenceWiki(config, policy=RetryPolicy(sleep=lambda _: None))
    yield connector
    connector.close()


# ------------------------------------------------------------------ the state store backends

STATE_ENV = "OPSYNC_TEST_STATE"  # "postgres": every config's state in Postgres (the full suite)
StoreFactory = Callable[[Path], StateStore]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """A real PostgreSQL server for the session (tests/postgres_server.py says where it
    comes from); skips the test when there is none, unless OPSYNC_REQUIRE_POSTGRES is set."""
    import postgres_server as pg

    try:
        with pg.server() as server:
            yield server
    except pg.Unavailable as why:
        if os.environ.get(pg.REQUIRE_ENV):
            pytest.fail(f"{pg.REQUIRE_ENV} is set but no PostgreSQL server: {why}")
        pytest.skip(f"no PostgreSQL server for the shared state store's tests: {why}")


@pytest.fixture
def postgres_url(postgres_server: Any) -> Iterator[str]:
    """The URL of a fresh schema of its own in the session's server, for this test."""
    with postgres_server.schema() as url:
        yield url


@pytest.fixture(autouse=True)
def _state_backend_of_configs(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Configs keep their state where the suite was told: SQLite (the default), or with
    OPSYNC_TEST_STATE=postgres a fresh schema of the session's server per test, through
    OPSYNC_STATE_URL (subprocesses inherit it). A URL in the caller's environment never
    leaks into a test."""
    monkeypatch.delenv("OPSYNC_STATE_URL", raising=False)
    if os.environ.get(STATE_ENV) == "postgres" and "sqlite_state" not in request.keywords:
        monkeypatch.setenv("OPSYNC_STATE_URL", request.getfixturevalue("postgres_url"))


@pytest.fixture(params=["sqlite", "postgres"])
def new_store(request: pytest.FixtureRequest) -> Iterator[StoreFactory]:
    """Makes the state store of a workspace folder, on each backend in turn: every call
    for one test reaches the same stored state, as successive runs of one config do. Each
    store made is closed after the test (a connection left to the collector warns)."""
    made: list[StateStore] = []
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else ""

    def make(root: Path) -> StateStore:
        if request.param == "sqlite":
            store: StateStore = SqliteStateStore(root / ".opsync" / "state.db")
        else:
            from opsync.state.postgres import PostgresStateStore

            store = PostgresStateStore(url, "Test Org")
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()
