"""Engine benchmark: read, plan and sync times, peak memory, and what a no-op sync touches.

Usage::

    .venv/bin/python -m bench.engine [--sizes 1000,10000,100000] [--tracker yaml|csv]
                                     [--traced-max 10000] [--breakdown] [--json FILE]

For each size an organisation is generated in a temporary folder (:mod:`bench.generate`),
then each phase runs in a fresh subprocess, so that its peak RSS (VmHWM) is its own:

1. ``sync-first``: the first ``sync`` of the generated workspace (creates and edits many
   thousands of files). Its stages give the read and plan times of a fresh workspace.
2. ``sync-noop``: a second ``sync`` with the same clock, 2 s later (files younger than that
   are not trusted by their stat). Nothing changed since the first, so it must write nothing
   but its memo into the state store (docs/concepts.md, "Unchanged runs"): the parent
   compares every file's size, mtime and content hash before and after, the state folder
   included. Its stages give the read time (``read``) and the plan time (``rules`` +
   ``plan``: rules, desired state and plan on the snapshot in memory) of a synced workspace:
   what the first cron run after a change costs; its peak RSS is that of a read plus a
   plan.
2b. ``sync-unchanged``: a third ``sync``, 2 s later: what every later cron run costs while
   nothing changes (skipped on the memo the no-op saved). ``plan-full``: a dry run with
   ``full=True`` on the same workspace, which must plan nothing and find and score exactly
   what the skipped sync reported (the correctness check of the memo).
2c. ``sync-change`` (a YAML tracker): one release renamed in the tracker export, then a
   ``sync``: what the first cron run after an export costs. ``plan-change-full``, a full dry
   run after it, must plan nothing and decide as it did. ``sync-change-wiki`` and
   ``plan-change-wiki-full``: the same for one person's edit of a wiki record (an insight's
   summary).
3. ``plan-traced`` (sizes up to ``--traced-max``): the plan again on a snapshot read
   beforehand, under ``tracemalloc``, for the peak of the plan's own allocations. Tracing
   makes Python several times slower, so it is skipped for the largest sizes by default.
4. ``breakdown`` (with ``--breakdown``): seconds per rule, for the ICS feed, the desired
   state and the plan, on the synced workspace.

Stage times come from :class:`opsync.engine.run.run`'s reporter, so they are the engine's
own stages, not a re-implementation of them. The clock is fixed (``--now``).
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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bench.generate import generate
from opsync.calendar import BusinessCalendar
from opsync.connectors.base import Message, ReadResult, TrackerRead
from opsync.connectors.local.workspace import LocalWorkspace
from opsync.domain import Person, ProductArea
from opsync.engine.actual import Actual
from opsync.engine.plan import Operation
from opsync.engine.run import FEED_NAME, RunSpec, run
from opsync.engine.snapshot import build_snapshot
from opsync.settings import RoadmapSettings, Settings
from opsync.state import SqliteStateStore

NOW = "2026-12-03T15:00:00-05:00"
PHASES = (
    "sync-first",
    "sync-noop",
    "sync-unchanged",
    "plan-full",
    "sync-change",
    "plan-change-full",
    "sync-change-wiki",
    "plan-change-wiki-full",
    "plan-traced",
    "breakdown",
)
#: The one-change syncs: the phase that follows each edit, and the full dry run after it
#: that must plan nothing and decide as it did (the change's sync left a full rebuild's
#: outputs). A tracker title (the tracker export changed), then one person's wiki record.
CHANGES = {"sync-change": "tracker", "sync-change-wiki": "wiki"}
TARGET_SIZE = 100_000
PLAN_TARGET_S = 2.0
PLAN_TARGET_MB = 400.0
RACY_S = 2.1  # connectors/local/fingerprint.py: files changed within 2 s are not trusted


class StageClock:
    """A Reporter that notes when each stage of a run starts."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = []

    def stage(self, name: str) -> None:
        self.marks.append((name, time.perf_counter()))

    def progress(self, done: int, total: int, op: Operation) -> None:
        return None

    def spans(self, end: float) -> dict[str, float]:
        ends = [stop for _, stop in self.marks[1:]] + [end]
        return {
            name: round(stop - start, 3)
            for (name, start), stop in zip(self.marks, ends, strict=True)
        }


class SnapshotWorkspace:
    """The local workspace with its reads answered from what was read before, in memory."""

    def __init__(self, inner: LocalWorkspace, reads: Reads) -> None:
        self._inner = inner
        self._reads = reads

    def read_releases(self) -> TrackerRead:
        return self._reads.rows

    def read(self) -> ReadResult:
        return self._reads.wiki

    def sent(self, wanted: Sequence[Message], unsure: frozenset[str]) -> set[str]:
        """The outbox is read as the run asks for it: which messages it holds depends on
        which the rules want."""
        return self._inner.sent(wanted, unsure)

    def read_file(self, key: str) -> str | None:
        return self._reads.feed if key == FEED_NAME else self._inner.read_file(key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@dataclass
class Reads:
    """Everything a run reads, as :func:`opsync.engine.run.run` reads it."""

    rows: TrackerRead
    wiki: ReadResult
    feed: str | None

    def actual(self) -> Actual:
        actual = Actual.of(self.wiki)
        if self.feed is not None:
            actual.files[FEED_NAME] = self.feed
        return actual


def read_all(workspace: LocalWorkspace) -> Reads:
    return Reads(
        workspace.read_releases(),
        workspace.read(),
        workspace.read_file(FEED_NAME),
    )


def spec_for(root: Path, workspace: Any = None) -> RunSpec:
    """The RunSpec of a generated organisation, built as ``opsync.api`` builds one."""
    manifest = json.loads((root / "org.json").read_text(encoding="utf-8"))
    people = tuple(Person.model_validate(p) for p in manifest["people"])
    areas = tuple(ProductArea.model_validate(a) for a in manifest["areas"])
    tracker = next(p for p in (root / "tracker").iterdir() if p.suffix in (".yaml", ".csv"))
    state = SqliteStateStore(root / ".opsync" / "state.db")
    local = LocalWorkspace(
        tracker=tracker,
        wiki=root / "wiki",
        pages=root / "pages",
        outbox=root / "outbox",
        state=state.connector("local"),  # as opsync.api builds it: its read cache too
    )
    return RunSpec(
        workspace=workspace or local,
        calendar=BusinessCalendar("America/New_York", "US", "NY"),
        settings=Settings(roadmap=RoadmapSettings(first_review=date(2026, 1, 6))),
        state=state,
        identity="bench",
        config_digest="bench",  # the settings above are fixed: the run's memo applies
        org_name="Bench Org",
        people=people,
        areas=areas,
    )


def _rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB.

    VmHWM (Linux) starts afresh at exec; ``ru_maxrss`` does not (it keeps the parent's size
    at fork), so it is only the fallback elsewhere. Both count every page the process
    touched: interpreter, libraries, the snapshot and what the plan built.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def _kinds(operations: tuple[Operation, ...]) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for op in operations:
        kinds[op.kind] = kinds.get(op.kind, 0) + 1
    return kinds


def _sync(root: Path, now: datetime, *, write: bool = True, full: bool = False) -> dict[str, Any]:
    spec = spec_for(root)
    clock = StageClock()
    start = time.perf_counter()
    report = run(spec, now, write=write, reporter=clock, full=full)
    end = time.perf_counter()
    stages = clock.spans(end)
    counts = report.requests["local"]
    decided = json.dumps([report.to_json()[k] for k in ("findings", "scorecard")], sort_keys=True)
    return {
        "sync_s": round(end - start, 3),
        "stages_s": stages,
        "read_s": stages["read"],
        "plan_s": round(stages.get("rules", 0.0) + stages.get("plan", 0.0), 3),
        "unchanged": report.unchanged,
        "planned": len(report.plan.operations),
        "decided": hashlib.blake2b(decided.encode(), digest_size=16).hexdigest(),
        "apply_s": stages.get("apply", 0.0),
        "operations": _kinds(report.plan.operations),
        "done": len(report.done),
        "failed": [f"{op.target}: {message}" for op, message in report.failed[:5]],
        "conflicts": len(report.plan.conflicts),
        "findings": len(report.findings),
        "files_read": counts["reads"],
        "files_written": counts["writes"],
    }


def _traced(root: Path, now: datetime) -> dict[str, Any]:
    spec = spec_for(root)
    workspace = spec.workspace
    assert isinstance(workspace, LocalWorkspace)
    cached = spec_for(root, SnapshotWorkspace(workspace, read_all(workspace)))
    tracemalloc.start()
    run(cached, now, write=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"plan_traced_peak_mb": round(peak / 2**20, 1)}


def _breakdown(root: Path, now: datetime) -> dict[str, Any]:
    """Seconds per rule and per engine step, as :func:`opsync.engine.run.run` does them."""
    import gc

    from opsync.documents.ics import render_ics
    from opsync.engine.desired import build
    from opsync.engine.plan import make_plan
    from opsync.rules import _rules
    from opsync.rules.context import RuleContext
    from opsync.rules.output import RuleOutput

    spec = spec_for(root)
    workspace = spec.workspace
    assert isinstance(workspace, LocalWorkspace)
    gc.disable()  # as run() does
    start = time.perf_counter()
    reads = read_all(workspace)
    snapshot, _ = build_snapshot(reads.rows, reads.wiki, spec.people, spec.areas)
    actual = reads.actual()
    out: dict[str, Any] = {"read": round(time.perf_counter() - start, 3)}
    ctx = RuleContext(snapshot, now, spec.calendar, spec.settings)
    output = RuleOutput()
    for rule in _rules():
        start = time.perf_counter()
        output = output.merge(rule(ctx, output))
        out[rule.__module__.rsplit(".", 1)[-1]] = round(time.perf_counter() - start, 3)
    published = spec.targets().feeds.read_file(FEED_NAME)  # the feed as the last sync left it
    start = time.perf_counter()
    feed = render_ics(
        output.events,
        spec.calendar.timezone,
        name=f"{spec.org_name} rituals",
        previous=published.encode("utf-8") if published is not None else None,
    )
    out["ics feed"] = round(time.perf_counter() - start, 3)
    start = time.perf_counter()
    files = {FEED_NAME: feed.decode("utf-8")}
    desired = build(snapshot.releases, output, files, set(actual.records), spec.workspace.page_url)
    out["desired"] = round(time.perf_counter() - start, 3)
    start = time.perf_counter()
    make_plan(desired, actual, spec.workspace)
    out["make_plan"] = round(time.perf_counter() - start, 3)
    out["events"] = len(output.events)
    out["documents"] = len(output.documents)
    return out


def child(phase: str, root: Path, now: datetime) -> dict[str, Any]:
    """One phase, run in this (fresh) process; returns its measurements."""
    start_rss = _rss_mb()
    if phase == "plan-traced":
        result = _traced(root, now)
    elif phase == "breakdown":
        result = _breakdown(root, now)
    elif phase in ("plan-full", "plan-change-full", "plan-change-wiki-full"):
        result = _sync(root, now, write=False, full=True)
    else:
        result = _sync(root, now)
    return {"phase": phase, "rss_start_mb": start_rss, **result, "rss_peak_mb": _rss_mb()}


def edit(base: Path, size: int, kind: str) -> str:
    """Make one change a person or an export makes, in place; returns what changed."""
    if kind == "tracker":  # the export renames the release in the middle of the file
        path, key = base / "tracker" / "releases.yaml", f"REL-{size // 2:06d}"
        marker = f'- key: {key}\n  title: "'
    else:  # a PM rewrites an insight's summary
        path, key = base / "wiki" / "insights" / "INS-000001.md", "INS-000001"
        marker = 'summary: "'
    text = path.read_text(encoding="utf-8")
    at = text.index(marker) + len(marker)
    path.write_text(text[:at] + "Renamed: " + text[at:], encoding="utf-8")
    return f"{path.relative_to(base)}: {key}"


def _files(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under ``root``: (size, mtime_ns, content hash)."""
    found: dict[str, tuple[int, int, str]] = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            stat = os.stat(path)
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
    done = subprocess.run([*command, "--now", now], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"phase {phase} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(size: int, args: argparse.Namespace) -> dict[str, Any]:
    base = Path(tempfile.mkdtemp(prefix=f"opsync-bench-{size}-", dir=args.keep))
    try:
        start = time.perf_counter()
        org = generate(base, size, datetime.fromisoformat(args.now).date(), tracker=args.tracker)
        (base / "org.json").write_text(json.dumps(org.manifest()), encoding="utf-8")
        result: dict[str, Any] = {
            "size": size,
            "generated": org.counts,
            "generate_s": round(time.perf_counter() - start, 1),
        }
        phases = ["sync-first", "sync-noop", "sync-unchanged", "plan-full"]
        if args.tracker == "yaml":
            phases += ["sync-change", "plan-change-full", "sync-change-wiki"]
            phases += ["plan-change-wiki-full"]
        if size <= args.traced_max:
            phases.append("plan-traced")
        if args.breakdown:
            phases.append("breakdown")
        for phase in phases:
            if phase in ("sync-noop", "sync-unchanged"):
                # as cron's runs are minutes apart: files written less than 2 s ago are not
                # trusted by their stat, and a run then reads (and remembers) nothing
                time.sleep(RACY_S)
            if phase in CHANGES:
                time.sleep(RACY_S)  # cron's next run, minutes after the last
                result[f"{phase}-edit"] = edit(base, size, CHANGES[phase])
                time.sleep(RACY_S)
            before = _files(base) if phase in ("sync-noop", "sync-unchanged") else {}
            result[phase] = _spawn(phase, base, args.now)
            if phase in ("sync-noop", "sync-unchanged"):
                after = _files(base)
                changed = _changed(before, after)
                result["noop_files" if phase == "sync-noop" else "unchanged_files"] = {
                    "total": len(after),
                    **{k: len(v) for k, v in changed.items()},
                    # the state store is opsync's own: a full no-op run saves its memo there
                    "outside_state": sum(
                        not f.startswith(".opsync") for v in changed.values() for f in v
                    ),
                    "examples": {k: v[:5] for k, v in changed.items() if v},
                }
            print(f"  {size}: {phase} done", file=sys.stderr, flush=True)
        return result
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


def machine() -> dict[str, str]:
    import yaml

    model = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "pyyaml_libyaml": str(getattr(yaml, "__with_libyaml__", False)),
    }


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def markdown(results: list[dict[str, Any]]) -> str:
    """One table per size: the figures docs/benchmarks.md quotes."""
    out: list[str] = []
    for r in results:
        first, noop, nf, g = r["sync-first"], r["sync-noop"], r["noop_files"], r["generated"]
        traced = r.get("plan-traced", {}).get("plan_traced_peak_mb", "not measured")
        changed = nf.get("outside_state", nf["added"] + nf["removed"] + nf["modified"])
        out.append(
            f"### {r['size']:,} releases\n\n"
            f"Generated: {g['releases']:,} releases ({g['release_records']:,} with a wiki "
            f"record), {g['decisions']:,} decisions, {g['insights']:,} insights, "
            f"{g['weekly_submissions']} weekly submissions, {g['roadmap_items']} roadmap items; "
            f"{nf['total']:,} files after the first sync.\n"
        )
        rows = [
            ("read s (synced workspace; fresh)", f"{noop['read_s']}; {first['read_s']}"),
            ("plan s (synced workspace; fresh)", f"{noop['plan_s']}; {first['plan_s']}"),
            ("first sync s (of which apply)", f"{first['sync_s']} ({first['apply_s']})"),
            ("no-op sync s", f"{noop['sync_s']}"),
            ("peak RSS MB, no-op sync (read + plan)", f"{noop['rss_peak_mb']}"),
            ("peak RSS MB, first sync", f"{first['rss_peak_mb']}"),
            ("tracemalloc peak MB, plan alone", f"{traced}"),
            (
                "first sync: files read / written",
                f"{first['files_read']:,} / {first['files_written']:,}",
            ),
            (
                "no-op sync: files read / written",
                f"{noop['files_read']:,} / {noop['files_written']:,}",
            ),
            (
                "no-op sync: files added / removed / changed (size, mtime, hash)",
                f"{nf['added']} / {nf['removed']} / {nf['modified']} of {nf['total']:,}",
            ),
            (
                "target: a no-op sync writes no file (but its memo, in the state store)",
                _met(not noop["files_written"] and not changed),
            ),
        ]
        if "sync-unchanged" in r:
            same, check, uf = r["sync-unchanged"], r["plan-full"], r["unchanged_files"]
            touched = uf["added"] + uf["removed"] + uf["modified"]
            rows += [
                (
                    "unchanged sync s (skipped: " + str(same["unchanged"]).lower() + ")",
                    f"{same['sync_s']}",
                ),
                ("peak RSS MB, unchanged sync", f"{same['rss_peak_mb']}"),
                (
                    "unchanged sync: files read / written / changed",
                    f"{same['files_read']} / {same['files_written']} / {touched}",
                ),
                (
                    "unchanged sync decides as a full plan (0 operations, same findings)",
                    _met(check["planned"] == 0 and check["decided"] == same["decided"]),
                ),
            ]
        for phase, check, what in (
            ("sync-change", "plan-change-full", "a tracker title"),
            ("sync-change-wiki", "plan-change-wiki-full", "a wiki record"),
        ):
            if phase not in r:
                continue
            changed_run, full = r[phase], r[check]
            rows += [
                (
                    f"one-change sync s ({what}: read; rules + plan)",
                    f"{changed_run['sync_s']} ({changed_run['read_s']}; {changed_run['plan_s']})",
                ),
                (f"peak RSS MB, one-change sync ({what})", f"{changed_run['rss_peak_mb']}"),
                (
                    f"one-change sync ({what}): operations, files read",
                    f"{changed_run['planned']:,}, {changed_run['files_read']:,}",
                ),
                (
                    f"after it, a full plan has nothing to do and decides the same ({what})",
                    _met(full["planned"] == 0 and full["decided"] == changed_run["decided"]),
                ),
            ]
        if r["size"] >= TARGET_SIZE:  # the plan targets are set for 100,000 releases
            rows += [
                (f"target: plan < {PLAN_TARGET_S:g} s", _met(noop["plan_s"] < PLAN_TARGET_S)),
                (
                    f"target: peak RSS of read + plan < {PLAN_TARGET_MB:g} MB",
                    _met(noop["rss_peak_mb"] < PLAN_TARGET_MB),
                ),
            ]
        out.append("| measure | value |\n|---|---|")
        out.extend(f"| {name} | {value} |" for name, value in rows)
        out.append("")
        if "breakdown" in r:
            parts = {
                k: v
                for k, v in r["breakdown"].items()
                if isinstance(v, float) and not k.startswith("rss")
            }
            out.append("Seconds per step on the synced workspace (GC paused, as in a run):\n")
            out.append("| " + " | ".join(parts) + " |")
            out.append("|" + "---|" * len(parts))
            out.append("| " + " | ".join(str(v) for v in parts.values()) + " |\n")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--now", default=NOW, help="fixed clock, ISO 8601 with an offset")
    parser.add_argument("--tracker", choices=("yaml", "csv"), default="yaml")
    parser.add_argument(
        "--traced-max", type=int, default=10_000, help="largest size measured under tracemalloc"
    )
    parser.add_argument("--breakdown", action="store_true", help="also time each rule")
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
        results.append(measure(size, args))
        results[-1]["wall_s"] = round(time.perf_counter() - start, 1)
        print(f"  {size}: {results[-1]['wall_s']} s in all", file=sys.stderr, flush=True)
    if args.json:
        payload = {"machine": info, "argv": sys.argv[1:], "results": results}
        args.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
