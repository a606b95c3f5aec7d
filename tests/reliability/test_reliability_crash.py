"""Crash safety: ``opsync sync`` killed (SIGKILL) at checkpoints of apply, then run again.

A clean run through the launcher enumerates the checkpoints (before and after each request,
each file put in place, each journal entry). Each trial restores the target, kills a sync
at one checkpoint, optionally deletes the state store (journal, mirror, lock), and syncs
again: the end state must be the clean run's, byte for byte once ids and timestamps are set
aside, with no duplicate and every piece of a person's text still there; one more plan must
have nothing to do. CI sweeps a seeded sample per target; OPSYNC_RELIABILITY_FULL=1 sweeps
every checkpoint, each with and without the state store.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import reliability_fixtures
from reliability_results import FULL, Results
from reliability_targets import NOW, Target, human_texts, leftovers

from opsync import api
from opsync.errors import LockHeld

# each trial restores or deletes the state store's folder: the state is the SQLite file
pytestmark = pytest.mark.sqlite_state

LAUNCHER = Path(__file__).with_name("kill_launcher.py")
CI_POINTS = 8
# OPSYNC_RELIABILITY_POINTS=77,78 tries only those kill points (each state kept and deleted):
# for going back to the points a full sweep reported
POINTS = [int(p) for p in os.environ.get("OPSYNC_RELIABILITY_POINTS", "").split(",") if p.strip()]
SEED = 20261203

results = reliability_fixtures.results
seeded_emulator = reliability_fixtures.seeded_emulator
target = reliability_fixtures.target
atlassian_emulators = reliability_fixtures.atlassian_emulators
messaging = reliability_fixtures.messaging


def launch(target: Target, trace: Path, kill_at: int = 0) -> subprocess.CompletedProcess[str]:
    trace.unlink(missing_ok=True)
    env = {
        **os.environ,
        **target.env(),
        "OPSYNC_KILL_AT": str(kill_at),
        "OPSYNC_KILL_TRACE": str(trace),
    }
    command = [sys.executable, str(LAUNCHER), "sync", "--config", str(target.config)]
    return subprocess.run(
        [*command, "--now", NOW, "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def checkpoints(trace: Path) -> list[str]:
    if not trace.is_file():
        return []
    return [line.split("\t", 1)[1] for line in trace.read_text(encoding="utf-8").splitlines()]


def rerun(target: Target) -> tuple[int, int]:
    """A normal sync, then a plan: (sync exit code, operations the plan still has)."""
    with target.session():
        report = api.sync(target.config, now=_now())
        after = api.plan(target.config, now=_now())
    return report.exit_code, len(after.plan.operations)


def _now() -> Any:
    from datetime import datetime

    return datetime.fromisoformat(NOW)


def trials(count: int) -> list[tuple[int, bool]]:
    """(kill point, delete the state store?) pairs to try."""
    if POINTS:
        return [(k, d) for k in POINTS if k <= count for d in (False, True)]
    if FULL:
        return [(k, d) for k in range(1, count + 1) for d in (False, True)]
    points = sorted(random.Random(SEED).sample(range(1, count + 1), min(CI_POINTS, count)))
    return [(k, i % 2 == 1) for i, k in enumerate(points)]


def test_a_sync_killed_at_any_checkpoint_then_rerun_ends_as_a_clean_run(
    target: Target, tmp_path: Path, results: Results
) -> None:
    trace = tmp_path / "trace.tsv"
    target.restore()
    clean = launch(target, trace)
    assert clean.returncode == 0, clean.stderr
    labels = checkpoints(trace)
    assert len(labels) > 20, labels
    reference = target.dump()
    text = repr(reference)
    assert all(t in text for t in human_texts()), "the clean run lost a person's text"

    failures: list[str] = []
    resent: list[str] = []  # the one window email cannot close (see _mail_window)
    tried = held = deleted = recovered = 0
    for point, delete_state in trials(len(labels)):
        target.restore()
        killed = launch(target, trace, kill_at=point)
        state = "deleted" if delete_state else "kept"
        where = f"kill point {point} ({labels[point - 1]}), state {state}"
        if killed.returncode != -signal.SIGKILL:
            failures.append(
                f"{where}: not reached, exit {killed.returncode} {killed.stderr[-300:]}"
            )
            continue
        tried += 1
        if delete_state:
            deleted += 1
            shutil.rmtree(target.state(), ignore_errors=True)
        try:
            code, left = rerun(target)
        except LockHeld:
            failures.append(f"{where}: the killed run's lock was not released")
            continue
        recovered += 1
        end = target.dump()
        problems = []
        if code != 0:
            problems.append(f"rerun exit {code}")
        if left:
            problems.append(f"{left} operations still planned after the rerun")
        if end != reference:
            problems.append(_difference(reference, end))
        if leftovers(target.work):
            problems.append(f"temporary files left: {leftovers(target.work)}")
        if problems and _mail_window(labels[point - 1], problems):
            resent.append(where)
        elif problems:
            failures.append(f"{where}: {'; '.join(problems)}")
        else:
            held += 1
    if resent or target.name == "slack":
        results.add(
            "crash",
            target.name,
            "… of which killed after the mail server accepted an email and before opsync "
            "recorded it (sent again, same Message-ID)",
            len(resent),
            0,
        )
    results.add(
        "crash",
        target.name,
        f"SIGKILL at a checkpoint of apply, then rerun ({len(labels)} checkpoints in a clean run)",
        tried,
        held,
    )
    results.add(
        "crash",
        target.name,
        "… of which with the state store deleted before the rerun",
        deleted,
        deleted - sum("deleted" in f for f in [*failures, *resent]),
    )
    results.add(
        "concurrency", target.name, "lock left by a killed run taken by the rerun", tried, recovered
    )
    assert not failures, "\n".join(failures)


def _mail_window(label: str, problems: list[str]) -> bool:
    """A trial killed between an SMTP server's ``250`` to DATA and the record of that send
    (the journal, or the outbox copy put in place), whose only difference is one more email.

    SMTP cannot be asked whether a message was delivered, so a send nobody recorded is sent
    again, under the same Message-ID (docs/email.md). Every other difference is a failure.
    """
    window = label.startswith("SMTP DATA answered 250") or (
        label.startswith("temporary file written") and "/outbox/email-" in label
    )
    return window and len(problems) == 1 and problems[0].startswith("email: ")


def _difference(expected: dict[str, Any], actual: dict[str, Any]) -> str:
    for part in sorted(set(expected) | set(actual)):
        want, got = expected.get(part), actual.get(part)
        if want == got:
            continue
        if isinstance(want, dict) and isinstance(got, dict):
            extra = sorted(set(got) - set(want))
            missing = sorted(set(want) - set(got))
            changed = sorted(k for k in set(want) & set(got) if want[k] != got[k])
            return f"{part}: extra {extra[:5]} missing {missing[:5]} changed {changed[:5]}"
        if isinstance(want, list) and isinstance(got, list):
            return f"{part}: {len(want)} rows expected, {len(got)} found" + (
                "" if len(want) != len(got) else f"; first difference {_first(want, got)}"
            )
        return f"{part} differs"
    return "no difference"


def _first(want: list[Any], got: list[Any]) -> str:
    for a, b in zip(want, got, strict=True):
        if a != b:
            return _where(a, b)
    return ""


def _where(a: Any, b: Any, path: str = "") -> str:
    """The innermost place two rows differ, with both values."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        return "; ".join(_where(a.get(k), b.get(k), f"{path}/{k}") for k in keys)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple) and len(a) == len(b):
        return "; ".join(
            _where(x, y, f"{path}[{i}]")
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            if x != y
        )
    if isinstance(a, str) and isinstance(b, str):
        at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
        near = slice(max(0, at - 60), at + 200)
        return f"{path} at {at}: …{a[near]!r} != …{b[near]!r}"
    return f"{path}: {repr(a)[:300]} != {repr(b)[:300]}"
