"""The state in a shared PostgreSQL: runners on several machines, and organisations sharing
one database.

- Two ``opsync sync`` processes of one organisation, each with a workspace folder of its
  own (two machines' disks) and one database, released at the same instant by a barrier
  file, 20 times: exactly one works, the other exits 4 having written nothing, refused by
  the advisory lock (nothing else could stop it: the folders are not shared).
- Three organisations synced at once against one database: none waits on another's lock,
  and none writes a row under another's key.
- A sync killed (SIGKILL) at a checkpoint of apply, then rerun, ends as a clean run, with
  the state kept or deleted: the killed run's advisory lock is released by the server.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from reliability_targets import EXAMPLE, NOW, LocalTarget, human_texts
from test_reliability_crash import checkpoints, launch, rerun

from opsync.config import load_config
from opsync.state.postgres import AdvisoryLock

ROUNDS = 20
LAUNCH = """
import sys, time
from pathlib import Path
from opsync.cli.app import main
ready, go, config, now = sys.argv[1:5]
Path(ready).touch()
while not Path(go).exists():
    time.sleep(0.001)
sys.argv = ["opsync", "sync", "--config", config, "--now", now, "--quiet"]
main()
"""


def _started(config: Path, ready: Path, go: Path, url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "OPSYNC_STATE_URL": url}
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCH, str(ready), str(go), str(config), NOW],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _released_together(configs: list[Path], url: str, folder: Path) -> list[tuple[int, str]]:
    """Start one sync per config, wait until every one is imported and waiting, then
    release them all at once; (exit code, stderr) of each."""
    folder.mkdir(parents=True, exist_ok=True)
    go = folder / "go"
    ready = [folder / f"ready-{i}" for i in range(len(configs))]
    procs = [_started(c, r, go, url) for c, r in zip(configs, ready, strict=True)]
    try:
        deadline = time.monotonic() + 60
        while not all(r.exists() for r in ready) and time.monotonic() < deadline:
            time.sleep(0.005)
        go.touch()
        return [(p.wait(timeout=120), p.communicate()[1]) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.communicate()  # closes its pipes


def _rows(url: str) -> dict[str, dict[str, int]]:
    """Rows per organisation key in each of opsync's tables."""
    found: dict[str, dict[str, int]] = {}
    with psycopg.connect(url) as conn:
        for table in ("opsync_runs", "opsync_journal", "opsync_mirrors", "opsync_meta"):
            for org, count in conn.execute(f"SELECT org, count(*) FROM {table} GROUP BY org"):
                found.setdefault(org, {})[table] = count
    return found


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _acme(folder: Path, name: str | None = None) -> Path:
    shutil.copytree(EXAMPLE, folder)
    config = folder / "opsync.toml"
    if name is not None:
        text = config.read_text(encoding="utf-8")
        config.write_text(
            text.replace('name = "Acme Analytics', f'name = "{name}', 1), encoding="utf-8"
        )
    return config


# Imports opsync once, then for each round forks one process per config (cheap, so 20
# rounds fit in CI's time); each waits for the round's barrier file and runs `opsync sync`
# with its own connections. Prints one JSON line per round: [[exit code, stderr], ...].
# So that the runs overlap however the machine schedules them (a no-op sync can end before
# a descheduled peer starts), each process marks that it tried the lock, and one that took
# it waits (at most 20 s) until every process of the round has tried, before its run goes on.
ROUNDS_LAUNCH = """
import json, os, sys, time
from pathlib import Path
from opsync.cli.app import main
from opsync.state.postgres import AdvisoryLock
folder, now, rounds, configs = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4:]
take = AdvisoryLock.__enter__
me = ""

def enter(self):
    try:
        return take(self)
    finally:
        (folder / f"tried-{me}").touch()
        round_ = me.split("-")[0]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(
            list(folder.glob(f"tried-{round_}-*"))
        ) < len(configs):
            time.sleep(0.001)

AdvisoryLock.__enter__ = enter
for round_ in range(rounds):
    go = folder / f"go-{round_}"
    children = []
    for i, config in enumerate(configs):
        err = folder / f"err-{round_}-{i}"
        pid = os.fork()
        if pid == 0:
            me = f"{round_}-{i}"
            fd = os.open(err, os.O_WRONLY | os.O_CREAT, 0o644)
            os.dup2(fd, 2)
            (folder / f"ready-{round_}-{i}").touch()
            while not go.exists():
                time.sleep(0.0005)
            sys.argv = ["opsync", "sync", "--config", config, "--now", now, "--quiet"]
            try:
                main()
                code = 0
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else 1
            sys.stderr.flush()
            os._exit(code)
        children.append((pid, err))
    while not all((folder / f"ready-{round_}-{i}").exists() for i in range(len(configs))):
        time.sleep(0.0005)
    go.touch()  # every process of the round released at the same instant
    codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid, _ in children]
    print(json.dumps([[c, e.read_text()] for c, (_, e) in zip(codes, children)]), flush=True)
"""


def test_two_runners_of_one_organisation_started_at_once_exactly_one_works_each_time(
    postgres_url: str, tmp_path: Path
) -> None:
    # two machines: a workspace folder each, one database
    configs = [_acme(tmp_path / "machine-a"), _acme(tmp_path / "machine-b")]
    before = [_tree(c.parent) for c in configs]
    (tmp_path / "barriers").mkdir()
    ran = subprocess.run(
        [sys.executable, "-c", ROUNDS_LAUNCH, str(tmp_path / "barriers"), NOW, str(ROUNDS)]
        + [str(c) for c in configs],
        env={**os.environ, "OPSYNC_STATE_URL": postgres_url},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    rounds = [json.loads(line) for line in ran.stdout.splitlines() if line.startswith("[")]
    assert len(rounds) == ROUNDS, ran.stdout
    for round_, results in enumerate(rounds):
        assert sorted(code for code, _ in results) == [0, 4], (round_, results)
        loser = next(err for code, err in results if code == 4)
        assert "holds its lock in the state database" in " ".join(loser.split()), loser
    # a workspace changed only if its runner won a round: a loser writes nothing
    changed = [_tree(c.parent) != was for c, was in zip(configs, before, strict=True)]
    winners = {next(i for i, (code, _) in enumerate(r) if code == 0) for r in rounds}
    assert changed[rounds[0][0][0] != 0] and {i for i, c in enumerate(changed) if c} <= winners
    assert 1 <= sum(r.get("opsync_runs", 0) for r in _rows(postgres_url).values()) <= ROUNDS


def test_three_organisations_on_one_database_neither_wait_nor_write_into_each_other(
    postgres_url: str, tmp_path: Path
) -> None:
    names = ["Acme North", "Acme South", "Acme West"]
    configs = [_acme(tmp_path / n.replace(" ", "-").lower(), n) for n in names]
    assert [load_config(c).org.name for c in configs] == names
    results = _released_together(configs, postgres_url, tmp_path)
    assert [code for code, _ in results] == [0, 0, 0], results  # no one was locked out
    rows = _rows(postgres_url)
    assert sorted(rows) == sorted(names)
    for name in names:  # each organisation's rows are its own whole run's
        assert rows[name]["opsync_runs"] == 1 and rows[name]["opsync_journal"] > 10, rows
    assert len({tuple(sorted(r.items())) for r in rows.values()}) == 1  # the same work each
    # while one organisation holds its lock, the others' runs go ahead at once
    with AdvisoryLock(postgres_url, names[0]):
        again = _released_together(configs[1:], postgres_url, tmp_path / "again")
    assert [code for code, _ in again] == [0, 0], again


@pytest.fixture
def on_postgres(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPSYNC_STATE_URL", postgres_url)
    return postgres_url


class _Saved:
    """The state store's rows as the target's pristine copy had them, to restore with it."""

    TABLES = ("opsync_runs", "opsync_journal", "opsync_mirrors", "opsync_meta")

    def __init__(self, url: str) -> None:
        self.url = url
        with psycopg.connect(url) as conn:
            self.rows = {t: conn.execute(f"SELECT * FROM {t}").fetchall() for t in self.TABLES}

    def restore(self, *, empty: bool = False) -> None:
        with psycopg.connect(self.url) as conn:
            for table, rows in self.rows.items():
                conn.execute(f"DELETE FROM {table}")
                if rows and not empty:
                    marks = ", ".join(["%s"] * len(rows[0]))
                    with conn.cursor() as cursor:
                        cursor.executemany(
                            f"INSERT INTO {table} OVERRIDING SYSTEM VALUE VALUES ({marks})", rows
                        )


@pytest.fixture
def local_target(on_postgres: str, tmp_path: Path) -> Iterator[tuple[LocalTarget, _Saved]]:
    target = LocalTarget(tmp_path / "target")
    yield target, _Saved(on_postgres)


def test_a_sync_killed_in_apply_with_the_state_in_postgres_reruns_to_a_clean_end(
    local_target: tuple[LocalTarget, _Saved], tmp_path: Path
) -> None:
    target, saved = local_target
    trace = tmp_path / "trace.tsv"
    target.restore()
    saved.restore()
    assert launch(target, trace).returncode == 0
    labels = checkpoints(trace)
    assert len(labels) > 20, labels
    assert not (target.state() / "state.db").exists()  # the state is in the database
    reference = target.dump()
    assert all(t in repr(reference) for t in human_texts())
    failures = []
    # a handful of points (the SQLite sweep covers every kind of point; this, the backend)
    # the journal's checkpoints, where the backend is written: the first, the middle one
    # (then the state deleted) and the last
    journaled = [i + 1 for i, label in enumerate(labels) if label.startswith("journaled")]
    tries = [(journaled[0], False), (journaled[len(journaled) // 2], True), (journaled[-1], False)]
    for point, delete_state in tries:
        target.restore()
        saved.restore()
        killed = launch(target, trace, kill_at=point)
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-500:]
        if delete_state:
            saved.restore(empty=True)
        code, left = rerun(target)  # raises LockHeld if the killed run's lock was kept
        if (code, left, target.dump()) != (0, 0, reference):
            failures.append(f"point {point} ({labels[point - 1]}): exit {code}, {left} left")
    assert not failures, failures
