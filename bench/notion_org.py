"""Organisations for the Notion request benchmark: acme as the docs walk it, or a generated
one, bootstrapped into a running emulator with its wiki records already there.

A generated organisation (:mod:`bench.generate`) is a local folder; in Notion mode its
tracker stays a local file (as in ``examples/acme/opsync.notion.toml``) and its wiki records
(release records with people-owned fields, decisions, insights, weekly submissions, roadmap
items) are created in the emulator's databases before the first sync, written with the
emulator's *person* token so they look like what people typed. Without them the databases
of a "big" organisation would be empty and the reads would measure nothing.

The emulator stamps rows with :class:`PacedClock`: the time Notion would stamp had the
requests gone out at the connector's pace. The benchmark sends them far faster, and on a wall
clock a whole first sync would fall inside the two minutes the incremental read re-reads
(``mirror.OVERLAP``), which no real run does.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.generate import generate
from opsync.api import bootstrap as bootstrap_wiki
from opsync.api import load_config
from opsync.connectors.local.frontmatter import split
from opsync.connectors.notion.client import BASE_URL_ENV
from opsync.connectors.notion.config import NotionConnectorConfig
from opsync.connectors.notion.connector import NotionWiki
from opsync.connectors.notion.page_fields import fields_to_properties
from opsync.domain import Collection
from opsync.http import TokenBucket
from opsync.testing.emulators.notion import NotionEmulator

ACME = Path(__file__).resolve().parents[1] / "src" / "opsync" / "examples" / "acme"
CONFIG = "opsync.notion.toml"
PASTE_MARK = "# Paste into opsync.toml:"
TOKEN_ENV = "NOTION_TOKEN"
PERSON_TOKEN_ENV = "OPSYNC_BENCH_PERSON_TOKEN"
# The wiki folders of a generated organisation that are created in Notion (each is named
# after its collection).
SEEDED = ("releases", "decisions", "insights", "weekly_submissions", "roadmap_items")


class PacedClock:
    """Notion's clock as the emulator should read it: ``start`` plus ``1 / pace`` seconds per
    request the emulator has received, plus whatever :meth:`advance` added (a cron interval
    between two runs). Deterministic, and independent of how fast the benchmark runs."""

    def __init__(self, start: datetime, pace: float) -> None:
        self._base = start
        self._step = timedelta(seconds=1 / pace)
        self._received: Callable[[], int] = lambda: 0

    def follow(self, received: Callable[[], int]) -> None:
        self._received = received

    def __call__(self) -> datetime:
        return self._base + self._step * self._received()

    def reset_counts(self, emulator: NotionEmulator) -> None:
        """Zero the emulator's counts, keeping the time they had brought the clock to."""
        self._base = self()
        emulator.reset_counts()

    def advance(self, seconds: float) -> None:
        self._base += timedelta(seconds=seconds)


def start_emulator(start: datetime, pace: float) -> tuple[NotionEmulator, PacedClock]:
    """A running emulator without a rate limit, its clock paced at ``pace``."""
    clock = PacedClock(start, pace)
    emulator = NotionEmulator(rate_limit=None, clock=clock, seed=7)
    clock.follow(lambda: emulator.counts.total)
    return emulator.start(), clock


def _toml(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else str(value)


def _table(header: str, values: Mapping[str, Any]) -> str:
    return "\n".join([header, *(f"{k} = {_toml(v)}" for k, v in values.items())]) + "\n"


def generated_config(root: Path, manifest: Mapping[str, Any], pace: float) -> Path:
    """``opsync.notion.toml`` for an organisation :func:`bench.generate.generate` wrote, with
    the same calendar and roadmap settings as ``bench.engine.spec_for``."""
    tracker = next(p for p in (root / "tracker").iterdir() if p.suffix in (".yaml", ".csv"))
    parts = [
        _table(
            "[org]",
            {"name": "Bench Org", "timezone": "America/New_York", "holiday_country": "US"},
        ),
        *(_table("[[org.people]]", p) for p in manifest["people"]),
        *(_table("[[org.product_areas]]", a) for a in manifest["areas"]),
        "[rules.roadmap]\nfirst_review = 2026-01-06\n",
        _table("[state]", {"path": ".opsync/notion-state.db"}),
        _table(
            "[connectors.local]",
            {
                "type": "local",
                "tracker": str(tracker.relative_to(root)),
                "wiki": "wiki",
                "pages": "pages",
                "outbox": "outbox",
            },
        ),
        _table(
            "[connectors.notion]",
            {"type": "notion", "token_env": TOKEN_ENV, "requests_per_second": pace},
        ),
        _table(
            "[roles]",
            {
                "tracker": "local",
                "wiki": "notion",
                "pages": "notion",
                "notifier": "local",
                "feeds": "local",
            },
        ),
    ]
    path = root / CONFIG
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def set_key(config: Path, key: str, value: float) -> None:
    """Set a numeric key of ``[connectors.notion]`` (pace, full pass) in the config."""
    lines = config.read_text(encoding="utf-8").splitlines()
    start = lines.index("[connectors.notion]")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
    kept = [ln for ln in lines[start + 1 : end] if not ln.startswith(f"{key} =")]
    lines[start + 1 : end] = [*kept, f"{key} = {value}"]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")


@contextmanager
def pointed_at(emulator: NotionEmulator) -> Iterator[None]:
    """The environment a sync reads its token and API root from, set to the emulator's
    (and the person token :func:`seed_wiki` uses), then put back as it was."""
    wanted = {
        TOKEN_ENV: emulator.token,
        BASE_URL_ENV: emulator.base_url,
        PERSON_TOKEN_ENV: emulator.person_token,
    }
    before = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def bootstrap(config: Path, emulator: NotionEmulator) -> None:
    """Create the databases under the emulator's root page and paste the printed block;
    inside :func:`pointed_at`."""
    _, block = bootstrap_wiki("notion", config, emulator.root_page_id)
    text = config.read_text(encoding="utf-8")
    config.write_text(f"{text}\n{PASTE_MARK}\n{block}\n", encoding="utf-8")


def seed_wiki(config: Path, wiki: Path) -> dict[str, int]:
    """Create a row for every record file under ``wiki/<collection>/``, as a person would
    (inside :func:`pointed_at`); returns the rows created per collection. A value Notion
    cannot take is an error here: the benchmark must not measure a workspace other than the
    one it describes."""
    loaded = load_config(config)
    name, settings = loaded.wiki_connector()
    assert isinstance(settings, NotionConnectorConfig)
    as_person = settings.model_copy(update={"token_env": PERSON_TOKEN_ENV})
    notion = NotionWiki(as_person, pages=settings.pages, name=name, bucket=TokenBucket(10_000, 100))
    created: dict[str, int] = {}
    try:
        for folder in SEEDED:
            collection = Collection(folder)
            schema = notion.catalog.schema(folder)
            parent = {"type": "data_source_id", "data_source_id": notion.catalog.source(folder)}
            files = sorted((wiki / folder).glob("*.md")) if (wiki / folder).is_dir() else []
            for path in files:
                values = split(path.read_text(encoding="utf-8")).data
                props, problems = fields_to_properties(values, schema, as_person, collection)
                if problems:
                    raise SystemExit(f"{path}: {'; '.join(p.message for p in problems)}")
                notion.api.call(notion.api.sdk.pages.create, parent=parent, properties=props)
            created[folder] = len(files)
    finally:
        notion.api.close()
    return created


def acme(base: Path) -> Path:
    """The acme example in a fresh folder, its Notion config as shipped."""
    shutil.copytree(ACME, base / "acme")
    return base / "acme" / CONFIG


def generated(base: Path, releases: int, today: date, pace: float) -> tuple[Path, dict[str, int]]:
    """A generated organisation of ``releases`` releases in Notion mode: its config path and
    what the generator wrote."""
    root = base / f"org-{releases}"
    org = generate(root, releases, today)
    return generated_config(root, org.manifest(), pace), org.counts
