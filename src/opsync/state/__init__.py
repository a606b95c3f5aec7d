"""Local run state: the journal of operations, cursors, what opsync last wrote, the run lock.

Losing it costs a slower run, never a duplicate: identity lives in the targets.
"""

from opsync.state.lock import RunLock
from opsync.state.sqlite import StateStore

__all__ = ["RunLock", "StateStore"]
