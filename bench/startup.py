"""Cron start-up: wall time of ``opsync --help`` and of a no-op sync of the acme example, each
in a fresh interpreter, and what their imports cost (``python -X importtime``).

Usage::

    .venv/bin/python -m bench.startup [--runs 9] [--json FILE] [--compare SRC] [--src SRC]

The acme example is copied to a temporary folder and synced once (the first sync); then
each command runs ``--runs`` times and the median, minimum and maximum wall times are
reported, like ``hyperfine`` does. With ``--compare SRC`` (an older ``src`` tree, e.g. from
``git archive <commit> src``), the same commands also run with ``PYTHONPATH=SRC``, each
run of one interleaved with a run of the other, so both see the same machine load; the
first sync is then made by the older tree, ``--src`` names the newer one (default: the
installed opsync), and each tree's runs find the feed and files
the other left, which are the same bytes.

``import_ms`` is the sum of the top-level imports' cumulative times from one
``-X importtime`` run of each command; ``modules`` the number of modules it imported.
``cpu_median_s`` is the median of the runs' CPU time (user + system), which other work on a
shared machine disturbs less than the wall time.

Each tree's modules are compiled to bytecode before the runs (``compileall``), as ``pip
install`` compiles an installed package, and ``PYTHONDONTWRITEBYTECODE`` is cleared for the
runs: with it set and an editable install, every run compiled opsync's hundred-odd modules
from source again (about 0.2 s), which a cron host never does. ``--no-compile`` measures
that way instead, as figures before issue 19's start-up work were measured.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

NOW = "2026-12-03T15:00:00-05:00"
ACME = Path(__file__).resolve().parent.parent / "src" / "opsync" / "examples" / "acme"


def commands(config: Path) -> dict[str, list[str]]:
    opsync = [sys.executable, "-m", "opsync"]
    return {
        "help": [*opsync, "--help"],
        "noop_sync": [*opsync, "sync", "--config", str(config), "--now", NOW, "--quiet"],
    }


def environment(src: Path | None, compiled: bool = True) -> dict[str, str]:
    env = dict(os.environ)
    if compiled:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    else:
        env.pop("PYTHONPATH", None)
    return env


def wall(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def compile_tree(src: Path | None) -> None:
    """Bytecode for every module of the tree (the installed opsync without ``src``)."""
    if src is None:
        spec = importlib.util.find_spec("opsync")
        assert spec is not None and spec.submodule_search_locations
        src = Path(next(iter(spec.submodule_search_locations))).parent
    compileall.compile_dir(src, quiet=1)


def imports(command: list[str], env: dict[str, str]) -> dict[str, float]:
    """Top-level import time (ms) and module count from one ``-X importtime`` run."""
    ran = subprocess.run(
        [command[0], "-X", "importtime", *command[1:]],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    rows = re.findall(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", ran.stderr)
    top = sum(int(cumulative) for cumulative, indent, _ in rows if len(indent) == 1)
    return {"import_ms": round(top / 1000, 1), "modules": len(rows)}


def summary(times: list[float]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--compare", type=Path, help="an older src tree to run interleaved")
    parser.add_argument("--src", type=Path, help="the src tree to measure (default: installed)")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--no-compile",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE and compile nothing beforehand",
    )
    args = parser.parse_args(argv)
    compiled = not args.no_compile
    src = args.src.resolve() if args.src is not None else None
    trees: dict[str, Path | None] = {"after": src}
    if args.compare is not None:
        trees = {"before": args.compare.resolve(), "after": src}
    with tempfile.TemporaryDirectory(prefix="opsync-startup-") as tmp:
        folder = Path(tmp) / "acme"
        shutil.copytree(ACME, folder)
        config = folder / "opsync.toml"
        if compiled:
            for root in trees.values():
                compile_tree(root)
        first = next(iter(trees.values()))
        subprocess.run(commands(config)["noop_sync"], env=environment(first, compiled), check=True)
        times: dict[str, dict[str, list[tuple[float, float]]]] = {t: {} for t in trees}
        with open("/proc/loadavg") as load:
            load_before = load.read().split()[:3]
        for _ in range(args.runs):
            for name, command in commands(config).items():
                for tree, src in trees.items():
                    runs = times[tree].setdefault(name, [])
                    runs.append(wall(command, environment(src, compiled)))
        with open("/proc/loadavg") as load:
            load_after = load.read().split()[:3]
        result: dict[str, Any] = {
            "runs": args.runs,
            "compiled": compiled,
            "loadavg_before": load_before,
            "loadavg_after": load_after,
        }
        for tree, src in trees.items():
            result[tree] = {
                name: {
                    **summary([w for w, _ in times[tree][name]]),
                    "cpu_median_s": round(statistics.median(c for _, c in times[tree][name]), 3),
                    **imports(command, environment(src, compiled)),
                }
                for name, command in commands(config).items()
            }
    json.dump(result, sys.stdout, indent=2)
    print()
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
