"""The local workspace's read alone, on a synced bench workspace: seconds, peak RSS and files
opened, in this process. Usage::

    .venv/bin/python -m bench.engine --sizes 10000 --keep /tmp/kept   # a synced workspace
    .venv/bin/python -m bench.read_cached /tmp/kept/opsync-bench-10000-*

Run it once per build to compare (``PYTHONPATH=<other checkout>/src`` for another build),
alternating, in fresh processes: VmHWM is the whole process's peak.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from opsync.connectors.local.workspace import LocalWorkspace
from opsync.state import SqliteStateStore


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path, help="a workspace bench.engine generated and synced")
    root = parser.parse_args().root
    tracker = next(p for p in (root / "tracker").iterdir() if p.suffix in (".yaml", ".csv"))
    store = SqliteStateStore(root / ".opsync" / "state.db")
    workspace = LocalWorkspace(
        tracker=tracker,
        wiki=root / "wiki",
        pages=root / "pages",
        outbox=root / "outbox",
        state=store.connector("local"),
    )
    start = time.perf_counter()
    workspace.read_releases()
    result = workspace.read()
    took = time.perf_counter() - start
    print(
        json.dumps(
            {
                "read_s": round(took, 3),
                "rss_mb": _rss_mb(),
                "files_opened": workspace.counts()["reads"],
                "records": len(result.records),
                "pages": len(result.pages),
            }
        )
    )


if __name__ == "__main__":
    main()
