"""Notion request benchmark: what a first, a no-op and a one-change sync ask of Notion.

Usage::

    .venv/bin/python -m bench.notion_requests [--orgs acme,1000,5000] [--paces 2.5,2.9]
                                              [--limit 3] [--json FILE]

For each organisation (``acme``: the example as docs/notion.md walks it, with empty
databases; a number: a generated organisation of that many releases, its wiki records
created in Notion first, see :mod:`bench.notion_org`) an emulator is started without a rate
limit, the databases are bootstrapped, and these syncs run one after the other, an hour of
Notion's clock apart (a cron interval), all with the same ``--now``:

1. ``first``: the first sync, into the bootstrapped (and seeded) databases;
2. ``noop-1``: nothing changed; the first incremental read after the first sync;
3. ``noop-2``: nothing changed again: what every later cron run costs;
4. ``change``: one release's launch date moved a week in the tracker file (one input);
5. ``noop-full``: nothing changed, with the periodic full pass due (``full_pass_hours``
   set to a second), which lists every row again to find the ones moved to the trash;
6. ``change-2``: the same release's launch date moved a week again: the second update of
   its bundle page, whose block ids the first update kept (the first update of a page made
   by one create request lists its blocks: the create's answer carries no block ids).

Counts come from the emulator (per endpoint, per status) and from the run report's
``requests``; the operations applied come from the report. The pace check (``--paces``)
then runs the acme first sync against the emulator with its rate limit on (``--limit``
requests a second, bursts of 5) and the connector's ``requests_per_second`` set to each
pace, and measures the requests a second achieved over the write window (the apply stage),
the 429s the emulator sent and the failed operations.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from bench import notion_org
from bench.notion_tables import markdown
from opsync.api import load_config, sync
from opsync.connectors.notion.config import NotionConnectorConfig
from opsync.connectors.notion.mirror import OVERLAP
from opsync.engine.plan import Operation
from opsync.state import SqliteStateStore
from opsync.testing.emulators.notion import NotionEmulator
from opsync.testing.emulators.notion_faults import Counts

NOW = "2026-12-03T15:00:00-05:00"
CRON_S = 3600.0
PHASES = ("first", "noop-1", "noop-2", "change", "noop-full", "change-2")
SHIFT_DAYS = 7
# The count runs: the emulator limits at COUNT_LIMIT, the connector paces just under it.
COUNT_LIMIT = 200.0
COUNT_PACE = 190.0
# The connector's default pace: the emulator's clock stamps rows as if requests went out at it.
DEFAULT_PACE = float(NotionConnectorConfig.model_fields["requests_per_second"].default)
FULL_PASS_NOW = 1e-6  # hours: a full pass is due on the next sync
FULL_PASS_HOURS = 24.0  # the default again, after noop-full


class Window:
    """A Reporter noting when the apply stage starts, with the emulator's counts then."""

    def __init__(self, counts: Callable[[], Counts]) -> None:
        self._counts = counts
        self.apply: tuple[float, Counts] | None = None

    def stage(self, name: str) -> None:
        if name == "apply":
            self.apply = (time.perf_counter(), self._counts())

    def progress(self, done: int, total: int, op: Operation) -> None:
        return None


def _endpoints(counts: Counts) -> dict[str, int]:
    return {f"{m} {t}": n for (m, t), n in sorted(counts.by_endpoint.items())}


def _applied(op: Operation) -> str:
    fields = f" ({', '.join(str(c[0]) for c in op.changes)})" if op.changes else ""
    return f"{op.kind} {op.target}: {op.reason}{fields}"


def _sync(config: Path, emulator: NotionEmulator) -> dict[str, Any]:
    """One sync through :func:`opsync.api.sync`, as ``opsync sync`` runs it."""
    window = Window(lambda: emulator.counts)
    start = time.perf_counter()
    report = sync(config, now=datetime.fromisoformat(NOW), reporter=window)
    end = time.perf_counter()
    counts = emulator.counts
    done: dict[str, int] = {}
    for op in report.done:
        done[f"{op.kind} {op.collection}"] = done.get(f"{op.kind} {op.collection}", 0) + 1
    result: dict[str, Any] = {
        "sync_s": round(end - start, 2),
        "reads": counts.reads,
        "writes": counts.writes,
        "report_requests": report.requests.get("notion", {}),
        "endpoints": _endpoints(counts),
        "statuses": {str(k): v for k, v in sorted(counts.by_status.items())},
        "operations": done,
        "applied": [_applied(op) for op in report.done],
        "failed": [f"{op.target}: {message}" for op, message in report.failed],
        "conflicts": len(report.plan.conflicts),
    }
    if window.apply is not None:
        began, before = window.apply
        seconds = end - began
        sent = counts.total - before.total
        writes = counts.writes - before.writes
        result["apply"] = {
            "seconds": round(seconds, 2),
            "requests": sent,
            "writes": writes,
            "requests_per_s": round(sent / seconds, 3) if seconds else None,
            "writes_per_s": round(writes / seconds, 3) if seconds else None,
        }
    return result


def _tracker(config: Path) -> Path:
    loaded = load_config(config)
    _, local = loaded.connector("tracker")
    return config.parent / str(local.model_dump()["tracker"])


def change_one(tracker: Path, today: str) -> dict[str, str]:
    """Move the launch date of one Tier 2 release due three weeks or more from ``today`` a
    week later, editing only that line of the tracker file (one input changes)."""
    rows = yaml.safe_load(tracker.read_text(encoding="utf-8"))
    day = datetime.fromisoformat(today).date()
    row = next(
        r
        for r in rows
        if r.get("tier") == 2 and r.get("launch_date") and (r["launch_date"] - day).days >= 21
    )
    old = row["launch_date"]
    new = old.fromordinal(old.toordinal() + SHIFT_DAYS)
    lines = tracker.read_text(encoding="utf-8").splitlines(keepends=True)
    at = lines.index(f"- key: {row['key']}\n")
    for i in range(at + 1, len(lines)):
        if lines[i].strip().startswith("launch_date:"):
            lines[i] = lines[i].replace(str(old), str(new))
            break
    tracker.write_text("".join(lines), encoding="utf-8")
    return {"release": str(row["key"]), "launch_date": f"{old} → {new}"}


@contextmanager
def prepared(
    org: str, base: Path, *, pace: float, limit: float | None
) -> Iterator[tuple[Path, NotionEmulator, notion_org.PacedClock, dict[str, Any]]]:
    """An organisation bootstrapped (and for a generated one, seeded) into a fresh emulator
    that limits at ``limit``, with the connector paced at ``pace``; counts at zero. The
    emulator is stopped, and the environment put back, on the way out."""
    today = datetime.fromisoformat(NOW)
    info: dict[str, Any] = {"org": org}
    folder = base / f"{org}-{pace:g}"
    if org == "acme":
        config = notion_org.acme(folder)
        notion_org.set_key(config, "requests_per_second", pace)
    else:
        config, info["generated"] = notion_org.generated(folder, int(org), today.date(), pace)
    emulator, clock = notion_org.start_emulator(today, pace=DEFAULT_PACE)
    with emulator, notion_org.pointed_at(emulator):
        started = time.perf_counter()
        emulator.set_rate_limit(None)  # setup is not measured
        notion_org.bootstrap(config, emulator)
        info["bootstrap"] = {"requests": emulator.counts.total}
        if org != "acme":
            info["seeded"] = notion_org.seed_wiki(config, config.parent / "wiki")
        info["setup_s"] = round(time.perf_counter() - started, 1)
        emulator.set_rate_limit(limit)  # a full bucket, as after an idle period
        clock.advance(CRON_S)
        clock.reset_counts(emulator)
        yield config, emulator, clock, info


def measure(org: str, base: Path) -> dict[str, Any]:
    """The six syncs of one organisation, the connector paced just under the emulator's
    high limit (request counts do not depend on the pace)."""
    with prepared(org, base, pace=COUNT_PACE, limit=COUNT_LIMIT) as (config, em, clock, result):
        full_at: str | None = None
        for phase in PHASES:
            if phase == "change":
                result["changed"] = change_one(_tracker(config), NOW)
            if phase == "noop-full":  # due at once: the connector's clock is wall time
                notion_org.set_key(config, "full_pass_hours", FULL_PASS_NOW)
            if phase == "change-2":  # the same release again (still three weeks ahead)
                notion_org.set_key(config, "full_pass_hours", FULL_PASS_HOURS)
                result["changed-2"] = change_one(_tracker(config), NOW)
            if phase != PHASES[0]:
                clock.advance(CRON_S)
                clock.reset_counts(em)
            result[phase] = _sync(config, em)
            result[phase]["full_pass"] = _full_at(config) != full_at
            result[phase]["next_window"] = _window(config)
            full_at = _full_at(config)
            print(f"  {org}: {phase} done ({result[phase]['sync_s']} s)", file=sys.stderr)
        result["rows"] = _rows(config)
    return result


def _mirror(config: Path) -> dict[str, Any]:
    """The read mirror the last sync committed to the state database."""
    store = SqliteStateStore(load_config(config).state_path)
    try:
        text = store.load_mirror("notion", "mirror")
    finally:
        store.close()
    assert text is not None, "no sync committed a Notion mirror"
    data: dict[str, Any] = json.loads(text)
    return data


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _full_at(config: Path) -> str | None:
    """When the connector last read every row (a full pass), by its own clock."""
    return str(_mirror(config)["full_at"])


def _names(config: Path) -> dict[str, str]:
    """Data source id → collection name ("pages" for the generated pages' database)."""
    _, notion = load_config(config).wiki_connector()
    names = {str(m.data_source_id): str(c) for c, m in getattr(notion, "collections", {}).items()}
    pages = getattr(notion, "pages", None)
    if pages is not None:
        names[str(pages.data_source_id)] = "pages"
    return names


def _window(config: Path) -> dict[str, int]:
    """Rows per collection that the next incremental read returns, from the mirror: those
    stamped on or after the watermark less the overlap (one query page per 100 of them),
    but for the rows opsync edited last where the data source has a "last edited by"
    property (the query leaves those out)."""
    names = _names(config)
    mirror = _mirror(config)
    bot = mirror.get("bot") or ""
    found: dict[str, int] = {}
    for source, entry in mirror["sources"].items():
        mark = entry["watermark"]
        since = _when(mark) - OVERLAP if mark else None
        rows = list(entry["rows"].values())
        shown = rows[0]["properties"].values() if rows else ()
        filtered = since is not None and any(p["type"] == "last_edited_by" for p in shown)
        found[names.get(source, source)] = sum(
            1
            for r in rows
            if since is None
            or (
                _when(r["last_edited_time"]) >= since
                and not (filtered and r["last_edited_by"]["id"] == bot)
            )
        )
    return found


def _rows(config: Path) -> dict[str, int]:
    """Rows per data source in the mirror (what a full pass lists), by collection."""
    names = _names(config)
    sources = _mirror(config)["sources"]
    return {names.get(s, s): len(entry["rows"]) for s, entry in sources.items()}


def pace_check(base: Path, pace: float, limit: float, org: str = "acme") -> dict[str, Any]:
    """The first sync of ``org`` with the emulator limiting at ``limit`` and the connector
    paced at ``pace``: requests a second over the write window, 429s, failed operations."""
    with prepared(org, base, pace=pace, limit=limit) as (config, emulator, _clock, _info):
        first = _sync(config, emulator)
    apply = first["apply"]
    return {
        "org": org,
        "pace": pace,
        "limit": limit,
        "sync_s": first["sync_s"],
        "requests": first["reads"] + first["writes"],
        "apply": apply,
        "share_of_limit": round(apply["requests_per_s"] / limit, 3),
        "rate_limited_429": int(first["statuses"].get("429", 0)),
        "failed": first["failed"],
    }


def machine() -> dict[str, str]:
    import os

    model = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": str(os.cpu_count()), "cpu": model, "python": platform.python_version()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.notion_requests", description=__doc__)
    parser.add_argument("--orgs", default="acme,1000,5000")
    parser.add_argument("--paces", default="2.5,2.9", help="'' to skip the pace check")
    parser.add_argument("--limit", type=float, default=3.0, help="emulator limit, requests/s")
    parser.add_argument("--keep", type=Path, help="work under this folder and keep it")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--tables", type=Path, help="only print the tables of a --json file")
    args = parser.parse_args(argv)
    if args.tables:
        print(markdown(json.loads(args.tables.read_text(encoding="utf-8"))))
        return 0
    base = Path(tempfile.mkdtemp(prefix="opsync-nbench-", dir=args.keep))
    info = machine()
    print(f"machine: {json.dumps(info)}", file=sys.stderr)
    results: dict[str, Any] = {"machine": info, "argv": sys.argv[1:], "orgs": [], "paces": []}
    try:
        for org in (o.strip() for o in args.orgs.split(",") if o.strip()):
            started = time.perf_counter()
            results["orgs"].append(measure(org, base))
            results["orgs"][-1]["wall_s"] = round(time.perf_counter() - started, 1)
        for pace in (float(p) for p in args.paces.split(",") if p.strip()):
            results["paces"].append(pace_check(base, pace, args.limit))
            print(f"  pace {pace}: done", file=sys.stderr)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print(markdown(results))
    return 0


__all__ = ["change_one", "main", "measure", "pace_check", "prepared"]

if __name__ == "__main__":
    raise SystemExit(main())
