"""opsync's own state: the journal of operations, the connectors' read mirrors, the run
lock and the config's identity, behind one interface (:class:`StateStore`).

Losing it costs a slower run, never a duplicate: identity lives in the targets.
"""

from opsync.state.base import ConnectorState, StateStore
from opsync.state.lock import RunLock
from opsync.state.memory import MemoryStateStore
from opsync.state.sqlite import SqliteStateStore

__all__ = ["ConnectorState", "MemoryStateStore", "RunLock", "SqliteStateStore", "StateStore"]
