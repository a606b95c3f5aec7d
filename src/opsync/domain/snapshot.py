"""Everything one run read, in one immutable value: the only input of the rules."""

from __future__ import annotations

from opsync.domain.base import Model
from opsync.domain.decision import Decision
from opsync.domain.enablement import EnablementBundle
from opsync.domain.insight import Insight
from opsync.domain.intake import Friction, InsightAction, Request
from opsync.domain.people import Person, ProductArea
from opsync.domain.release import Release
from opsync.domain.ritual import RitualOccurrence
from opsync.domain.roadmap import RoadmapItem, RoadmapView
from opsync.domain.scorecard import ScorecardWeek
from opsync.domain.survey import PingAudit, PulseAnswer, SurveyAnswer
from opsync.domain.weekly import WeeklySubmission, WeeklyUpdate


class Snapshot(Model):
    people: tuple[Person, ...] = ()
    product_areas: tuple[ProductArea, ...] = ()
    releases: tuple[Release, ...] = ()
    bundles: tuple[EnablementBundle, ...] = ()
    weekly_submissions: tuple[WeeklySubmission, ...] = ()
    weekly_updates: tuple[WeeklyUpdate, ...] = ()
    roadmap_items: tuple[RoadmapItem, ...] = ()
    roadmap_views: tuple[RoadmapView, ...] = ()
    decisions: tuple[Decision, ...] = ()
    insights: tuple[Insight, ...] = ()
    survey_answers: tuple[SurveyAnswer, ...] = ()
    pulse_answers: tuple[PulseAnswer, ...] = ()
    ping_audits: tuple[PingAudit, ...] = ()
    rituals: tuple[RitualOccurrence, ...] = ()
    scorecard_history: tuple[ScorecardWeek, ...] = ()
    frictions: tuple[Friction, ...] = ()
    requests: tuple[Request, ...] = ()
    insight_actions: tuple[InsightAction, ...] = ()

    def area(self, key: str | None) -> ProductArea | None:
        return next((a for a in self.product_areas if a.key == key), None)

    def person_name(self, key: str | None) -> str:
        """A person's display name, or the key itself when the person is not configured."""
        if key is None:
            return "unassigned"
        person = next((p for p in self.people if p.key == key), None)
        return person.name if person else key
