"""The pack's entities as immutable pydantic models. No I/O, no vendor knowledge."""

from opsync.domain.base import Collection, Model, ref
from opsync.domain.decision import Decision
from opsync.domain.enablement import (
    FULL_SECTIONS,
    LITE_SECTIONS,
    BundleKind,
    EnablementBundle,
    Section,
)
from opsync.domain.findings import Finding, Level
from opsync.domain.insight import Disposition, Insight, InsightSource, Severity
from opsync.domain.intake import Friction, InsightAction, Request, RequestStatus
from opsync.domain.people import Person, ProductArea, Role
from opsync.domain.release import (
    Bundle,
    BundleState,
    DateChange,
    GoNoGo,
    PostLaunch,
    Readiness,
    Release,
    Tier,
)
from opsync.domain.ritual import RitualKind, RitualOccurrence
from opsync.domain.roadmap import RoadmapItem, RoadmapStatus, RoadmapView, RoadmapViewEntry
from opsync.domain.scorecard import ScorecardWeek
from opsync.domain.snapshot import Snapshot
from opsync.domain.survey import PingAudit, PulseAnswer, SurveyAnswer
from opsync.domain.weekly import WeeklySubmission, WeeklyUpdate

__all__ = [
    "FULL_SECTIONS",
    "LITE_SECTIONS",
    "Bundle",
    "BundleKind",
    "BundleState",
    "Collection",
    "DateChange",
    "Decision",
    "Disposition",
    "EnablementBundle",
    "Finding",
    "Friction",
    "GoNoGo",
    "Insight",
    "InsightAction",
    "InsightSource",
    "Level",
    "Model",
    "Person",
    "PingAudit",
    "PostLaunch",
    "ProductArea",
    "PulseAnswer",
    "Readiness",
    "Release",
    "Request",
    "RequestStatus",
    "RitualKind",
    "RitualOccurrence",
    "RoadmapItem",
    "RoadmapStatus",
    "RoadmapView",
    "RoadmapViewEntry",
    "Role",
    "ScorecardWeek",
    "Section",
    "Severity",
    "Snapshot",
    "SurveyAnswer",
    "Tier",
    "WeeklySubmission",
    "WeeklyUpdate",
    "ref",
]
