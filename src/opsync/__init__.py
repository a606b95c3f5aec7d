"""opsync: the Product Ops operating system, run on top of the tools an organisation uses.

The library API: load a config, then ``plan`` (dry run), ``sync`` (apply) or ``report``;
each returns a :class:`RunReport` and never prints. The rules can also be used alone:
build a :class:`Snapshot`, a :class:`RuleContext` and call :func:`evaluate`.
"""

from opsync.api import init_workspace, load_config, plan, report, sync
from opsync.calendar import BusinessCalendar
from opsync.clock import Clock, FixedClock, SystemClock
from opsync.config import Config
from opsync.domain import Finding, Snapshot
from opsync.engine.report import Reporter, RunReport
from opsync.errors import ConfigError, LockHeld, OpsyncError
from opsync.rules import RuleContext, RuleOutput, evaluate
from opsync.settings import Settings

__version__ = "0.1.0"

__all__ = [
    "BusinessCalendar",
    "Clock",
    "Config",
    "ConfigError",
    "Finding",
    "FixedClock",
    "LockHeld",
    "OpsyncError",
    "Reporter",
    "RuleContext",
    "RuleOutput",
    "RunReport",
    "Settings",
    "Snapshot",
    "SystemClock",
    "__version__",
    "evaluate",
    "init_workspace",
    "load_config",
    "plan",
    "report",
    "sync",
]
