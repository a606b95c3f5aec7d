"""Enablement bundles and their sections, as the pack's template lays them out."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from opsync.domain.base import Model


class BundleKind(StrEnum):
    LITE = "lite"
    FULL = "full"


class Section(StrEnum):
    """The nine sections of the pack's Launch Enablement Bundle template, in order."""

    WHAT_CHANGED = "What changed"
    WHO_IMPACTED = "Who's impacted"
    HOW_IT_WORKS = "How it works"
    FAQS = "FAQs + edge cases"
    SUPPORT_MACROS = "Support macros / troubleshooting"
    SALES_TALK_TRACK = "Sales talk track"
    MONITORING = "Monitoring + guardrails"
    ROLLBACK = "Rollback / mitigation"
    OWNER_ESCALATION = "Owner + escalation"


LITE_SECTIONS: tuple[Section, ...] = (
    Section.WHAT_CHANGED,
    Section.WHO_IMPACTED,
    Section.HOW_IT_WORKS,
    Section.FAQS,
    Section.SUPPORT_MACROS,
    Section.OWNER_ESCALATION,
)
FULL_SECTIONS: tuple[Section, ...] = tuple(Section)


class EnablementBundle(Model):
    """A bundle page's content, by section; text is what people wrote under each heading."""

    key: str
    release_key: str
    kind: BundleKind
    sections: dict[Section, str] = Field(default_factory=dict)
