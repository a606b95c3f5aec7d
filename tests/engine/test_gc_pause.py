"""A run holds the cyclic garbage collector off, and freezes what it still holds before
switching it back on, so the collector's next pass does not walk the run's objects."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from opsync.engine.run import _gc_paused


@pytest.fixture
def collector() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.unfreeze()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.usefixtures("collector")
@pytest.mark.sqlite_state  # looks at the SQLite state file or its folder
def test_the_collector_is_paused_then_resumed_with_the_runs_objects_frozen() -> None:
    gc.enable()
    with _gc_paused():
        during = gc.isenabled()
        held = [[n] for n in range(10_000)]
    assert not during and gc.isenabled()
    assert gc.get_freeze_count() >= len(held)


@pytest.mark.usefixtures("collector")
def test_a_collector_that_was_off_stays_off_and_nothing_is_frozen() -> None:
    gc.disable()
    with _gc_paused():
        held = [[n] for n in range(1_000)]
    assert not gc.isenabled() and gc.get_freeze_count() == 0 and held


class _Cycle:
    """An object in a reference cycle: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


@pytest.mark.usefixtures("collector")
def test_the_cyclic_garbage_of_a_run_is_freed_by_the_next_run_in_the_same_process() -> None:
    gc.enable()
    with _gc_paused():
        garbage = _Cycle()
        gone = weakref.ref(garbage)
        del garbage  # still held by its cycle, and frozen with the run's objects
    gc.collect()
    assert gone() is not None  # a frozen cycle waits (one run's worth, never more)
    with _gc_paused():
        pass
    assert gone() is None
