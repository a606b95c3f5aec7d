"""Run the ``opsync`` command in this process and SIGKILL it at checkpoint N of apply.

Used by the crash-safety tests as ``python kill_launcher.py sync --config ...``; nothing in
opsync itself knows about it. In this child process only, it wraps the places where apply
touches the world (the journal, each HTTP request to a service, each file the local
workspace puts in place) so that each passage is a numbered checkpoint. Checkpoints count
from the first journal entry, so the read and plan phases are not swept.

Environment:
    OPSYNC_KILL_AT: the checkpoint to die at (1-based); 0 or unset runs to the end.
    OPSYNC_KILL_TRACE: a file each checkpoint's number and label are appended to, so a
        clean run enumerates them and a killed run names where it died.
    OPSYNC_PAUSE_AT: a checkpoint number, or ``claim`` (after the read and the plan, before
        the run takes the target's write lease), to stop at until OPSYNC_PAUSE_FILE, which
        the process creates there, is removed (at most 120 s): the two-writer sweep deletes
        the state store and starts other writers meanwhile.
"""

from __future__ import annotations

import os
import signal
import smtplib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from opsync.cli.app import main
from opsync.state import SqliteStateStore, StateStore
from opsync.state.postgres import PostgresStateStore

KILL_AT = int(os.environ.get("OPSYNC_KILL_AT") or 0)
TRACE = os.environ.get("OPSYNC_KILL_TRACE")
PAUSE_AT = os.environ.get("OPSYNC_PAUSE_AT") or ""
PAUSE_FILE = os.environ.get("OPSYNC_PAUSE_FILE") or ""


def pause() -> None:
    """Stop until the pause file this creates is removed (by the test driving the run)."""
    if not PAUSE_FILE:
        return
    flag = Path(PAUSE_FILE)
    flag.write_text(str(os.getpid()), encoding="utf-8")
    deadline = time.monotonic() + 120
    while flag.exists() and time.monotonic() < deadline:
        time.sleep(0.01)


class Checkpoints:
    def __init__(self) -> None:
        self.armed = False
        self.seen = 0

    def hit(self, label: str) -> None:
        if not self.armed:
            return
        self.seen += 1
        if TRACE:
            with open(TRACE, "a", encoding="utf-8") as trace:
                trace.write(f"{self.seen}\t{label}\n")
        if str(self.seen) == PAUSE_AT:
            pause()
        if self.seen == KILL_AT:
            os.kill(os.getpid(), signal.SIGKILL)


POINTS = Checkpoints()


def _journal(original: Callable[..., None]) -> Callable[..., None]:
    def journal(self: StateStore, run_id: str, op_key: str, kind: str, *rest: Any) -> None:
        status = rest[2]
        POINTS.armed = True
        if status in ("done", "failed"):
            POINTS.hit(f"written, not journaled: {op_key}")
        original(self, run_id, op_key, kind, *rest)
        if status != "planned":
            POINTS.hit(f"journaled {status}: {op_key}")

    return journal


def _finish(original: Callable[..., None]) -> Callable[..., None]:
    def finish_run(self: StateStore, run_id: str, status: str) -> None:
        POINTS.hit("every operation journaled, run not closed")
        original(self, run_id, status)

    return finish_run


def _send(original: Callable[..., httpx.Response]) -> Callable[..., httpx.Response]:
    def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        what = f"{request.method} {request.url.path}"
        POINTS.hit(f"before request: {what}")
        response = original(self, request)
        POINTS.hit(f"answered {response.status_code}, answer not read: {what}")
        return response

    return handle_request


def _replace(original: Callable[..., None]) -> Callable[..., None]:
    def replace(source: Any, target: Any, *args: Any, **kwargs: Any) -> None:
        POINTS.hit(f"temporary file written, not in place: {os.fspath(target)}")
        original(source, target, *args, **kwargs)

    return replace


def _data(original: Callable[..., tuple[int, bytes]]) -> Callable[..., tuple[int, bytes]]:
    def data(self: smtplib.SMTP, msg: Any) -> tuple[int, bytes]:
        POINTS.hit("before SMTP DATA")
        answer = original(self, msg)
        POINTS.hit(f"SMTP DATA answered {answer[0]}, not recorded")
        return answer

    return data


def _claim(original: Callable[..., None]) -> Callable[..., None]:
    def claim(self: Any) -> None:
        pause()
        original(self)

    return claim


def install() -> None:
    if PAUSE_AT == "claim":
        from opsync.connectors.local.workspace import LocalWorkspace
        from opsync.connectors.notion.connector import NotionWiki

        LocalWorkspace.claim = _claim(LocalWorkspace.claim)  # type: ignore[method-assign]
        NotionWiki.claim = _claim(NotionWiki.claim)  # type: ignore[method-assign]
    for store in (SqliteStateStore, PostgresStateStore):  # whichever the config's state is in
        store.journal = _journal(store.journal)  # type: ignore[method-assign]
        store.finish_run = _finish(store.finish_run)  # type: ignore[method-assign]
    httpx.HTTPTransport.handle_request = _send(  # type: ignore[method-assign]
        httpx.HTTPTransport.handle_request
    )
    os.replace = _replace(os.replace)
    smtplib.SMTP.data = _data(smtplib.SMTP.data)  # type: ignore[method-assign]


if __name__ == "__main__":
    install()
    sys.argv = ["opsync", *sys.argv[1:]]
    main()
