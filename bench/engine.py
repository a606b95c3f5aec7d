"""Engine benchmark: read, plan and sync times, peak memory and the files a no-op sync touches.

Usage::

    .venv/bin/python -m bench.engine [--sizes 1000,10000,100000] [--tracker yaml|csv]

For each size an organisation is generated in a temporary folder (:mod:`bench.generate`),
then four phases run, each in a fresh subprocess so that its peak RSS (``ru_maxrss``) is
its own:

1. ``plan-fresh``: read the generated workspace, then plan on the in-memory snapshot;
2. ``sync-first``: the first ``sync`` (creates and edits thousands of files);
3. ``sync-noop``: a second ``sync`` with the same clock, which must write nothing; the parent
   checks that against every file's size, mtime and content hash, state folder included;
4. ``plan-synced``: read and plan again on the synced workspace: what every later cron run
   costs, with all the bundle pages and release records in place.

"plan" is :func:`opsync.engine.run.run` with ``write=False`` on a workspace whose ``read``
returns the snapshot read before (rules, desired state, plan and report, no I/O). Its
``tracemalloc`` peak is measured in a second, separate pass, since tracing slows it down.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bench.generate import generate
from opsync.calendar import BusinessCalendar
from opsync.connectors.base import ReadResult
from opsync.connectors.local.workspace import LocalWorkspace
from opsync.domain import Person, ProductArea
from opsync.engine.plan import Operation
from opsync.engine.run import RunSpec, run
from opsync.settings import RoadmapSettings, Settings

NOW = "2026-12-03T15:00:00-05:00"
PHASES = ("plan-fresh", "sync-first", "sync-noop", "plan-synced")
PLAN_TARGET_S = 2.0
PLAN_TARGET_MB = 400.0


class StageClock:
    """A Reporter that notes when each stage of a run starts."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = []

    def stage(self, name: str) -> None:
        self.marks.append((name, time.perf_counter()))

    def progress(self, done: int, total: int, op: Operation) -> None:
        return None

    def spans(self, end: float) -> dict[str, float]:
        out: dict[str, float] = {}
        for (name, start), (_, stop) in zip(
            self.marks, [*self.marks[1:], ("end", end)], strict=True
        ):
            out[name] = round(stop - start, 3)
        return out


class SnapshotWorkspace:
    """The local workspace with ``read`` answered from a snapshot already in memory."""

    def __init__(self, inner: LocalWorkspace, result: ReadResult) -> None:
        self._inner = inner
        self._result = result

    def read(self) -> ReadResult:
        return self._result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _spec(root: Path, workspace: Any = None) -> RunSpec:
    manifest = json.loads((root / "org.json").read_text(encoding="utf-8"))
    people = tuple(Person.model_validate(p) for p in manifest["people"])
    areas = tuple(ProductArea.model_validate(a) for a in manifest["areas"])
    tracker = next(p for p in (root / "tracker").iterdir() if p.suffix in (".yaml", ".csv"))
    local = LocalWorkspace(
        tracker=tracker,
        wiki=root / "wiki",
        pages=root / "pages",
        outbox=root / "outbox",
        people=people,
        product_areas=areas,
    )
    return RunSpec(
        workspace=workspace or local,
        calendar=BusinessCalendar("America/New_York", "US", "NY"),
        settings=Settings(roadmap=RoadmapSettings(first_review=date(2026, 1, 6))),
        state_dir=root / ".opsync",
        identity="bench",
        org_name="Bench Org",
    )


def _rss_mb() -> float:
    # Linux reports ru_maxrss in KiB.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _kinds(operations: tuple[Operation, ...]) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for op in operations:
        kinds[op.kind] = kinds.get(op.kind, 0) + 1
    return kinds


def child(phase: str, root: Path, now: datetime) -> dict[str, Any]:
    """One phase, run in this (fresh) process; returns its measurements."""
    spec = _spec(root)
    workspace = spec.workspace
    assert isinstance(workspace, LocalWorkspace)
    out: dict[str, Any] = {"phase": phase, "rss_start_mb": _rss_mb()}
    if phase.startswith("plan"):
        start = time.perf_counter()
        actual = workspace.read()
        out["read_s"] = round(time.perf_counter() - start, 3)
        out["rss_after_read_mb"] = _rss_mb()
        out["files_read"] = workspace.counts()["reads"]
        out["snapshot"] = {
            "releases": len(actual.snapshot.releases),
            "bundles": len(actual.snapshot.bundles),
            "decisions": len(actual.snapshot.decisions),
            "insights": len(actual.snapshot.insights),
            "records": len(actual.records),
            "pages": len(actual.pages),
            "read_findings": len(actual.findings),
        }
        cached = _spec(root, SnapshotWorkspace(workspace, actual))
        clock = StageClock()
        start = time.perf_counter()
        report = run(cached, now, write=False, reporter=clock)
        end = time.perf_counter()
        out["plan_s"] = round(end - start, 3)
        out["plan_stages_s"] = clock.spans(end)
        out["rss_after_plan_mb"] = _rss_mb()
        out["operations"] = _kinds(report.plan.operations)
        out["conflicts"] = len(report.plan.conflicts)
        out["findings"] = len(report.findings)
        del report
        tracemalloc.start()
        run(cached, now, write=False)
        out["plan_traced_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    else:
        clock = StageClock()
        start = time.perf_counter()
        report = run(spec, now, write=True, reporter=clock)
        end = time.perf_counter()
        out["sync_s"] = round(end - start, 3)
        out["sync_stages_s"] = clock.spans(end)
        out["operations"] = _kinds(report.plan.operations)
        out["done"] = len(report.done)
        out["failed"] = [f"{op.target}: {message}" for op, message in report.failed[:5]]
        out["conflicts"] = len(report.plan.conflicts)
        counts = report.requests[workspace.name]
        out["files_read"], out["files_written"] = counts["reads"], counts["writes"]
    out["rss_peak_mb"] = _rss_mb()
    return out


def _files(root: Path, *, hashes: bool) -> dict[str, tuple[int, int, str]]:
    """Every file under ``root``: (size, mtime_ns, content hash or "")."""
    found: dict[str, tuple[int, int, str]] = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            stat = os.stat(path)
            digest = ""
            if hashes:
                with open(path, "rb") as stream:
                    digest = hashlib.blake2b(stream.read(), digest_size=16).hexdigest()
            found[os.path.relpath(path, root)] = (stat.st_size, stat.st_mtime_ns, digest)
    return found


def _changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[str]]:
    return {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "modified": sorted(k for k in before.keys() & after.keys() if before[k] != after[k]),
    }


def _spawn(phase: str, root: Path, now: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.engine", "--child", phase, "--root", str(root)]
    done = subprocess.run(
        [*command, "--now", now], check=True, capture_output=True, text=True, cwd=Path.cwd()
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(size: int, now: str, tracker: str, keep: Path | None) -> dict[str, Any]:
    base = Path(tempfile.mkdtemp(prefix=f"opsync-bench-{size}-", dir=keep))
    try:
        start = time.perf_counter()
        org = generate(base, size, datetime.fromisoformat(now).date(), tracker=tracker)
        (base / "org.json").write_text(json.dumps(org.manifest()), encoding="utf-8")
        result: dict[str, Any] = {
            "size": size,
            "generated": org.counts,
            "generate_s": round(time.perf_counter() - start, 1),
        }
        for phase in PHASES:
            if phase == "sync-noop":
                before = _files(base, hashes=True)
            result[phase] = _spawn(phase, base, now)
            if phase == "sync-noop":
                after = _files(base, hashes=True)
                changed = _changed(before, after)
                result["noop_files"] = {
                    "total": len(after),
                    **{k: len(v) for k, v in changed.items()},
                    "examples": {k: v[:5] for k, v in changed.items() if v},
                }
            print(f"  {size}: {phase} done", file=sys.stderr, flush=True)
        result["files_total"] = len(_files(base, hashes=False))
        return result
    finally:
        if keep is None:
            shutil.rmtree(base, ignore_errors=True)


def machine() -> dict[str, str]:
    model = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    import yaml

    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libyaml": str(getattr(yaml, "__with_libyaml__", False)),
    }


def markdown(results: list[dict[str, Any]]) -> str:
    """One table per size, the figures the docs quote."""
    out: list[str] = []
    for r in results:
        fresh, first, noop, synced = (r[p] for p in PHASES)
        nf = r["noop_files"]
        plan_ok = synced["plan_s"] < PLAN_TARGET_S and synced["rss_peak_mb"] < PLAN_TARGET_MB
        noop_ok = noop["files_written"] == 0 and not (nf["added"] or nf["removed"] or nf["modified"])
        g = r["generated"]
        out.append(
            f"### {r['size']:,} releases\n\n"
            f"Generated: {g['releases']:,} releases ({g['release_records']:,} with a wiki record), "
            f"{g['decisions']:,} decisions, {g['insights']:,} insights, "
            f"{g['weekly_submissions']} weekly submissions, {g['roadmap_items']} roadmap items; "
            f"{r['files_total']:,} files after the first sync.\n"
        )
        rows = [
            ("read s (synced workspace / fresh)", f"{synced['read_s']} / {fresh['read_s']}"),
            ("plan s (synced / fresh)", f"{synced['plan_s']} / {fresh['plan_s']}"),
            ("first sync s", f"{first['sync_s']}"),
            ("no-op sync s", f"{noop['sync_s']}"),
            (
                "peak RSS MB, read + plan (synced / fresh)",
                f"{synced['rss_peak_mb']} / {fresh['rss_peak_mb']}",
            ),
            (
                "tracemalloc peak MB of plan alone (synced / fresh)",
                f"{synced['plan_traced_peak_mb']} / {fresh['plan_traced_peak_mb']}",
            ),
            ("peak RSS MB, first sync / no-op sync", f"{first['rss_peak_mb']} / {noop['rss_peak_mb']}"),
            ("first sync: files read / written", f"{first['files_read']:,} / {first['files_written']:,}"),
            ("no-op sync: files read / written", f"{noop['files_read']:,} / {noop['files_written']:,}"),
            (
                "no-op sync: files added / removed / changed (size, mtime, hash)",
                f"{nf['added']} / {nf['removed']} / {nf['modified']} of {nf['total']:,}",
            ),
            ("plan target (< 2 s, < 400 MB)", "met" if plan_ok else "NOT met"),
            ("no-op target (writes no file)", "met" if noop_ok else "NOT met"),
        ]
        out.append("| measure | value |\n|---|---|")
        out.extend(f"| {name} | {value} |" for name, value in rows)
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--now", default=NOW, help="fixed clock, ISO 8601 with an offset")
    parser.add_argument("--tracker", choices=("yaml", "csv"), default="yaml")
    parser.add_argument("--keep", type=Path, help="generate under this folder and keep it")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--child", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.root, datetime.fromisoformat(args.now))))
        return 0
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    info = machine()
    print(f"machine: {json.dumps(info)}", file=sys.stderr)
    results = []
    for size in sizes:
        start = time.perf_counter()
        results.append(measure(size, args.now, args.tracker, args.keep))
        results[-1]["wall_s"] = round(time.perf_counter() - start, 1)
        print(f"  {size}: {results[-1]['wall_s']} s in all", file=sys.stderr, flush=True)
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "results": results}, indent=2))
    command = " ".join(["python -m bench.engine", *(argv if argv is not None else sys.argv[1:])])
    print(f"<!-- {command} -->")
    print(markdown(results))
    print(json.dumps(results, indent=1), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
