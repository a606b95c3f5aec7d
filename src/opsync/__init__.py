"""opsync: the Product Ops operating system, run on top of the tools an organisation uses.

The library API (docs/library.md): give ``plan`` (dry run), ``sync`` (apply) or ``report``
a config (a path, or a :class:`Config` from ``load_config``/``parse_config``) and, if the
environment should not be read, a ``secrets`` mapping; each returns a typed
:class:`RunReport` (findings with due dates, :class:`ScoreRow` figures as numbers, the plan's
:class:`Operation` and :class:`Conflict` objects) and never prints. The rules can also be
used alone: build a :class:`Snapshot`, a :class:`RuleContext` and call :func:`evaluate`.
"""

from opsync._version import __version__
from opsync.api import init_workspace, load_config, plan, report, sync
from opsync.calendar import BusinessCalendar
from opsync.clock import Clock, FixedClock, SystemClock
from opsync.config import Config, parse_config
from opsync.domain import Finding, Snapshot
from opsync.engine.plan import Conflict, Operation
from opsync.engine.report import Reporter, RunReport
from opsync.errors import ConfigError, LockHeld, OpsyncError
from opsync.rules import RuleContext, RuleOutput, evaluate
from opsync.rules.output import ScoreRow
from opsync.settings import Settings

__all__ = [
    "BusinessCalendar",
    "Clock",
    "Config",
    "ConfigError",
    "Conflict",
    "Finding",
    "FixedClock",
    "LockHeld",
    "Operation",
    "OpsyncError",
    "Reporter",
    "RuleContext",
    "RuleOutput",
    "RunReport",
    "ScoreRow",
    "Settings",
    "Snapshot",
    "SystemClock",
    "__version__",
    "evaluate",
    "init_workspace",
    "load_config",
    "parse_config",
    "plan",
    "report",
    "sync",
]
