"""opsync: the Product Ops operating system, run on top of the tools an organisation uses."""

from opsync.calendar import BusinessCalendar
from opsync.clock import Clock, FixedClock, SystemClock
from opsync.domain import Finding, Snapshot
from opsync.rules import RuleContext, RuleOutput, evaluate
from opsync.settings import Settings

__version__ = "0.1.0"

__all__ = [
    "BusinessCalendar",
    "Clock",
    "Finding",
    "FixedClock",
    "RuleContext",
    "RuleOutput",
    "Settings",
    "Snapshot",
    "SystemClock",
    "__version__",
    "evaluate",
]
