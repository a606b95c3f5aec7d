"""Two writers, one target (issue 14, "one writer per target").

Each trial restores the target (Acme synced a week earlier, a person's text around the
regions and in person-owned fields) and runs two real ``opsync sync`` processes at ``NOW``
from two checkouts of one config, each with its own state store: the target's own (A) and
a second folder writing into the same workspace, or the same Notion databases and outbox
(B, whose state store starts empty, as a laptop's would). A person edits, at a random
moment, text outside a region of a page the sync rewrites, text inside an owned region, or
a person-owned field of a record the sync rewrites. Trials are seeded, one seed per trial:

- even trials: A and B start at a random offset of each other and race for the target;
- odd trials: A stops at a random moment of its run (before it takes the target's lease,
  after the read and the plan, or at a checkpoint of apply, as the crash sweep numbers
  them), its state store is deleted, and B and A again (on the empty store: a cron run
  after someone "cleaned up") start while it waits; it goes on after a random delay;
- every third trial: a writer is SIGKILLed at a checkpoint of apply (both carry the same
  kill point; whichever writes reaches it).

Then A and B run one after the other until a round where both exit 0 (3 when the person
edited an owned region) with no write. What must hold: no key twice in the target (wiki
records, pages, outbox copies; Notion rows by ``opsync key``), every piece of a person's
text still there verbatim, no temporary file left, and exit codes only 0, 4 (another
writer holds the target) or 3 (only after an owned region was edited, which is left as the
person wrote it); -9 only for the killed writer.

CI runs a few trials per target; OPSYNC_RELIABILITY_FULL=1 runs 50 per target
(OPSYNC_RELIABILITY_TWO_WRITERS=N another number; OPSYNC_RELIABILITY_TRIALS=3,17 only those).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import reliability_fixtures
from reliability_results import FULL, Results
from reliability_targets import LocalTarget, NotionTarget, Target, human_texts, leftovers
from reliability_writers import (
    EDITS,
    Writer,
    duplicates,
    edit,
    second_checkout,
    start,
    state_folder,
    text_of,
)

from opsync.testing.emulators.notion import NotionEmulator

# each trial restores or deletes the state store's folder: the state is the SQLite file
pytestmark = pytest.mark.sqlite_state

SEED = 20261214
CI_TRIALS = 4
COUNT = int(os.environ.get("OPSYNC_RELIABILITY_TWO_WRITERS") or (50 if FULL else CI_TRIALS))
ONLY = [int(t) for t in os.environ.get("OPSYNC_RELIABILITY_TRIALS", "").split(",") if t.strip()]
ROUNDS = 6  # reruns of both writers before the target must be quiet
STATS: dict[str, Counter[str]] = {}  # exit codes seen, per target (printed, not committed)

results = reliability_fixtures.results
seeded_emulator = reliability_fixtures.seeded_emulator


@pytest.fixture(scope="module", params=("local", "notion"))
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Target:
    root: Path = tmp_path_factory.mktemp(f"writers-{request.param}")
    if request.param == "local":
        return LocalTarget(root)
    emulator: NotionEmulator = request.getfixturevalue("seeded_emulator")
    return NotionTarget(root, emulator)


@dataclass(frozen=True)
class Trial:
    index: int
    delete: bool  # A's state store deleted while it runs
    pause: str  # where A waits for that: "claim" or a checkpoint number
    kill: int  # the checkpoint both writers die at (0: none)
    edit: str  # what the person edits
    edit_at: float  # seconds after A starts
    b_at: float  # seconds after A starts (after A stopped, in a deleting trial)
    resume_at: float  # seconds after A stopped

    def __str__(self) -> str:
        parts = [f"trial {self.index}", f"edit {self.edit!r} at {self.edit_at:.2f}s"]
        if self.delete:
            parts.append(f"state deleted at {self.pause}, A resumed after {self.resume_at:.2f}s")
        if self.kill:
            parts.append(f"kill at checkpoint {self.kill}")
        return ", ".join([*parts, f"B at {self.b_at:.2f}s"])


def make_trial(index: int, checkpoints: int, seconds: float) -> Trial:
    rng = random.Random(SEED * 1000 + index)
    delete, killing = index % 2 == 1, index % 3 == 2
    kill = rng.randint(checkpoints // 4, checkpoints * 3 // 4) if killing else 0
    pause = ""
    if delete:
        last = (kill - 1) if kill else checkpoints // 2
        points = [str(p) for p in range(1, last + 1)]
        pause = rng.choice(points) if killing or rng.random() < 0.6 else "claim"
    return Trial(
        index=index,
        delete=delete,
        pause=pause,
        kill=kill,
        edit=EDITS[(index + index // 3) % len(EDITS)],  # each kind with and without the rest
        edit_at=rng.uniform(0, seconds * 1.2),
        b_at=rng.uniform(0, seconds * 0.8),
        resume_at=rng.uniform(0, seconds * 2),
    )


def clean_run(target: Target, logs: Path) -> tuple[int, float]:
    """Checkpoints of a run alone, and how long it takes."""
    target.restore()
    trace = logs / "trace.tsv"
    trace.unlink(missing_ok=True)
    began = time.monotonic()
    alone = start(target, "clean", target.config, logs, OPSYNC_KILL_TRACE=str(trace))
    code = alone.wait(timeout=300)
    assert code == 0, alone.stderr()
    return len(trace.read_text(encoding="utf-8").splitlines()), time.monotonic() - began


def run_trial(target: Target, laptop: Path, trial: Trial, logs: Path) -> list[str]:
    """The problems this trial found (none: it held)."""
    target.restore()
    shutil.rmtree(state_folder(laptop), ignore_errors=True)
    flag = logs / "paused"
    flag.unlink(missing_ok=True)
    text = text_of(trial.edit, trial.index)
    common = {"OPSYNC_KILL_AT": str(trial.kill)} if trial.kill else {}
    own = {"OPSYNC_PAUSE_AT": trial.pause, "OPSYNC_PAUSE_FILE": str(flag)} if trial.delete else {}
    began = time.monotonic()
    writers = [start(target, "A", target.config, logs, **common, **own)]
    problems: list[str] = []
    due = {"edit": trial.edit_at} | ({} if trial.delete else {"B": trial.b_at})
    stopped = False
    while due or any(w.poll() is None for w in writers):
        now = time.monotonic() - began
        if now > 240:
            problems.append("the writers did not end within 240 s")
            for w in writers:
                if w.poll() is None:
                    w.proc.kill()
            break
        if trial.delete and not stopped and flag.exists():
            stopped = True  # A waits: its state store goes, others start meanwhile
            shutil.rmtree(state_folder(target.config), ignore_errors=True)
            writers.append(start(target, "A-again", target.config, logs, **common))
            due["B"], due["resume"] = now + trial.b_at, now + trial.resume_at
        elif trial.delete and not stopped and writers[0].poll() is not None:
            problems.append(f"A ended (exit {writers[0].poll()}) before {trial.pause}")
            break
        for what in [w for w, at in due.items() if at <= now]:
            del due[what]
            if what == "edit":
                edit(target, trial.edit, text)
            elif what == "B":
                writers.append(start(target, "B", laptop, logs, **common))
            else:
                flag.unlink(missing_ok=True)
        time.sleep(0.01)
    codes = {w.name: w.wait(timeout=60) for w in writers}
    print(f"{target.name} {trial}: {codes}")
    allowed = {0, 4} | ({3} if trial.edit == "owned region" else set())
    killed = [n for n, c in codes.items() if c == -signal.SIGKILL]
    for name, code in codes.items():
        STATS[target.name][f"{name} {code}"] += 1
        if code not in allowed and not (trial.kill and code == -signal.SIGKILL):
            problems.append(f"{name} exit {code}: {_writer(writers, name).stderr()}")
    if trial.kill and not killed:
        problems.append(f"no writer reached kill point {trial.kill}: {codes}")
    if not any(w.poll() == 0 or w.poll() == 3 for w in writers) and not killed:
        problems.append(f"no writer ran: {codes}")
    problems += _quiesce(target, laptop, logs, allowed - {4})
    problems += [f"duplicate {key}" for key in duplicates(target)]
    held = repr(target.dump())
    problems += [f"lost {t!r}" for t in [*human_texts(), text] if t not in held]
    if leftovers(target.work):
        problems.append(f"temporary files left: {leftovers(target.work)}")
    return problems


def _writer(writers: list[Writer], name: str) -> Writer:
    return next(w for w in writers if w.name == name)


def _quiesce(target: Target, laptop: Path, logs: Path, allowed: set[int]) -> list[str]:
    """A and B, one after the other, until both exit 0 (or 3) writing nothing."""
    for _ in range(ROUNDS):
        quiet = True
        for name, config in (("A", target.config), ("B", laptop)):
            writer = start(target, f"rerun-{name}", config, logs)
            code = writer.wait(timeout=300)
            STATS[target.name][f"rerun {code}"] += 1
            if code not in allowed:
                return [f"rerun of {name} exit {code}: {writer.stderr()}"]
            quiet = quiet and writer.writes() == 0
        if quiet:
            return []
    return [f"still writing after {ROUNDS} rounds of reruns"]


def test_two_writers_with_their_own_state_never_duplicate_or_lose_text(
    target: Target, tmp_path: Path, results: Results
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    laptop = second_checkout(target, tmp_path / "laptop")
    checkpoints, seconds = clean_run(target, logs)
    STATS[target.name] = Counter()
    began = time.monotonic()
    trials = [make_trial(i, checkpoints, seconds) for i in ONLY or range(COUNT)]
    failures: list[str] = []
    tally: Counter[str] = Counter()
    for trial in trials:
        problems = run_trial(target, laptop, trial, logs)
        if problems:
            failures.append(f"{trial}: {'; '.join(problems)}")
        kinds = ["all", f"edit {trial.edit}"]
        kinds += ["delete"] if trial.delete else []
        kinds += ["kill"] if trial.kill else []
        for kind in kinds:
            tally[f"{kind} tried"] += 1
            tally[f"{kind} held"] += 0 if problems else 1
    took = time.monotonic() - began
    print(
        f"\n{target.name}: {len(trials)} trials in {took:.0f} s ({seconds:.1f} s a run alone, "
        f"{checkpoints} checkpoints); exit codes {dict(sorted(STATS[target.name].items()))}"
    )
    rows = [
        (
            "all",
            "two writers (two checkouts, each its own state store) overlapping, a person "
            "editing meanwhile, then both rerun until neither writes",
        ),
        ("delete", "… of which the first writer's state store deleted while it ran"),
        ("kill", "… of which a writer SIGKILLed at a checkpoint of apply"),
        *[(f"edit {kind}", f"… of which the person edited {kind_text(kind)}") for kind in EDITS],
    ]
    for kind, what in rows:
        results.add("two writers", target.name, what, tally[f"{kind} tried"], tally[f"{kind} held"])
    assert not failures, "\n".join(failures)


def kind_text(kind: str) -> str:
    return {
        "outside a region": "a page outside its regions",
        "owned region": "inside an owned region (a conflict, left as written)",
        "person-owned field": "a person-owned field of a record",
    }[kind]
