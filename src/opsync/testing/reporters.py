"""A run reporter for tests of edits made while a run is under way.

The engine tells its reporter when each stage starts; a person's edit made exactly when
apply starts lands after the read and the plan and before any write, the window that a
connector's write guard must catch. Tests hand this reporter to ``run()``.
"""

from __future__ import annotations

from collections.abc import Callable

from opsync.engine.plan import Operation


class EditWhenApplying:
    """A :class:`~opsync.engine.report.Reporter` that calls ``edit`` once, when apply
    starts."""

    def __init__(self, edit: Callable[[], None]) -> None:
        self.edit = edit

    def stage(self, name: str) -> None:
        if name == "apply":
            self.edit()

    def progress(self, done: int, total: int, op: Operation) -> None:
        return None


__all__ = ["EditWhenApplying"]
