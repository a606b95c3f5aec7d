"""Who each ritual on the calendar involves (pack section 3's table, section 7's retros), as
attendees with an email address and the ritual's owner as organizer.

People are found by their role in ``[[org.people]]`` and, for PMs and Eng leads, by the
product areas they own too; a release's own events name its PM and Eng lead (the area's
Eng lead when the release names none). Someone without a usable email address is left out:
the feed must never hold a ``mailto:`` a client cannot use. ``[rules.cadence] attendees =
false`` keeps every address out of the feed.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import NamedTuple

from opsync.domain.people import Person, Role
from opsync.domain.release import Release
from opsync.rules.context import RuleContext
from opsync.rules.output import Attendee

# One address, as a mail client takes it: no spaces, brackets, quotes or separators, and a
# domain with a dot (a name alone, "ana", or a typo "ana@acme" would be an unusable mailto).
_EMAIL = re.compile(
    r"[^@\s<>()\[\],;:\"\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+"
)


class Ritual(StrEnum):
    WEEKLY_UPDATE = "weekly update"
    ROADMAP_REVIEW = "roadmap review"
    READINESS_CHECK = "readiness check"
    INSIGHTS_REVIEW = "insights review"
    QUARTERLY_PLANNING = "quarterly planning"
    LAUNCH = "launch"  # the launch day, the Tier 3 training and the Day 14 sync
    RETRO_WEEK_4 = "week-4"  # the keys of rules/rollout.py's retros
    RETRO_WEEK_8 = "week-8"
    RETRO_WEEK_12 = "week-12"


class _Group(StrEnum):
    """Who a ritual involves besides the people of one role."""

    RELEASE_PM = "the release's PM"
    RELEASE_ENG_LEAD = "the release's Eng lead"
    PILOT_PMS = "the pilot pod's PMs"


_Who = Role | _Group
_PARTNERS = (Role.SALES, Role.CS, Role.SUPPORT)
_RELEASE = (_Group.RELEASE_PM, _Group.RELEASE_ENG_LEAD, Role.SUPPORT, Role.SALES)

# Pack section 3 ("Attendees") and section 7 (each retro's audience).
AUDIENCE: dict[Ritual, tuple[_Who, ...]] = {
    Ritual.WEEKLY_UPDATE: (Role.PM,),
    Ritual.ROADMAP_REVIEW: (Role.HEAD_OF_PRODUCT, Role.PM, Role.ENG_LEAD, Role.PRODUCT_OPS),
    Ritual.READINESS_CHECK: (*_RELEASE, Role.PRODUCT_OPS),
    Ritual.INSIGHTS_REVIEW: (Role.PM, Role.CS, Role.SUPPORT, Role.DATA, Role.PRODUCT_OPS),
    Ritual.QUARTERLY_PLANNING: (
        Role.PM,
        Role.ENG_LEAD,
        *_PARTNERS,
        Role.PRODUCT_OPS,
        Role.HEAD_OF_PRODUCT,
    ),
    Ritual.LAUNCH: _RELEASE,
    Ritual.RETRO_WEEK_4: (_Group.PILOT_PMS,),
    Ritual.RETRO_WEEK_8: (*_PARTNERS, Role.ENG_LEAD),
    Ritual.RETRO_WEEK_12: (
        Role.PM,
        Role.HEAD_OF_PRODUCT,
        *_PARTNERS,
        Role.ENG_LEAD,
        Role.DATA,
        Role.PRODUCT_OPS,
    ),
}
# The ritual's owner (pack section 3); Product Ops runs the rest.
_HEAD_OWNED = frozenset({Ritual.ROADMAP_REVIEW, Ritual.QUARTERLY_PLANNING})


class Invite(NamedTuple):
    attendees: tuple[Attendee, ...] = ()
    organizer: Attendee | None = None


NOBODY = Invite()


class Roster:
    """The organisation's people by role, with their addresses, built once per run: the
    calendar asks for the attendees of every event, tens of thousands in a large
    organisation, and a scan of ``[[org.people]]`` per event and role cost seconds."""

    def __init__(self, ctx: RuleContext) -> None:
        self.on = ctx.settings.cadence.attendees
        snapshot = ctx.snapshot
        self._people = {p.key: attendee(p) for p in snapshot.people}
        owners = {
            Role.PM: {a.pm for a in snapshot.product_areas},
            Role.ENG_LEAD: {a.eng_lead for a in snapshot.product_areas if a.eng_lead},
        }
        self._roles = {
            role: tuple(
                p.key for p in snapshot.people if p.role is role or p.key in owners.get(role, ())
            )
            for role in Role
        }
        pilot = _pilot_areas(ctx)
        self._pilot = (
            self._roles[Role.PM]
            if pilot is None
            else tuple(
                p.key
                for p in snapshot.people
                if p.key in {a.pm for a in snapshot.product_areas if a.key in pilot}
            )
        )
        self._area_eng = {a.key: a.eng_lead for a in snapshot.product_areas}
        self._org: dict[Ritual, Invite] = {}

    def invite(self, ritual: Ritual, release: Release | None = None) -> Invite:
        """The attendees of ``ritual`` (of ``release``, for a release's events) with an
        email, in the order of the pack's table and then of ``[[org.people]]``, each once,
        and its owner as organizer (the first of that role with an email)."""
        if not self.on:
            return NOBODY
        if release is None and ritual in self._org:
            return self._org[ritual]
        seen: set[str] = set()
        attendees: list[Attendee] = []
        for who in AUDIENCE[ritual]:
            for key in self._members(who, release):
                found = self._people.get(key) if key is not None else None
                if found is not None and found.email.lower() not in seen:
                    seen.add(found.email.lower())
                    attendees.append(found)
        owner = Role.HEAD_OF_PRODUCT if ritual in _HEAD_OWNED else Role.PRODUCT_OPS
        organizer = next(
            (a for a in (self._people[k] for k in self._roles[owner]) if a is not None), None
        )
        result = Invite(tuple(attendees), organizer)
        if release is None:
            self._org[ritual] = result
        return result

    def _members(self, who: _Who, release: Release | None) -> tuple[str | None, ...]:
        if isinstance(who, Role):
            return self._roles[who]
        if who is _Group.PILOT_PMS:
            return self._pilot
        if release is None:
            return ()
        if who is _Group.RELEASE_PM:
            return (release.pm,)
        return (release.eng_lead or self._area_eng.get(release.product_area or ""),)


def attendee(person: Person) -> Attendee | None:
    """``person`` as an attendee, or None without a usable email address."""
    email = (person.email or "").strip()
    if not _EMAIL.fullmatch(email):
        return None
    # A double quote cannot stand in a parameter value (RFC 5545 3.1), so not in CN either.
    return Attendee(name=person.name.replace('"', "'"), email=email)


def _pilot_areas(ctx: RuleContext) -> set[str] | None:
    """The pilot pod: the areas of the phases that start the rollout with every rule (the
    pack's "pilot the whole system with one pod"); None when that is every area."""
    phases = ctx.settings.rollout
    if not phases:
        return None
    first = min(p.starts_on for p in phases)
    starting = [p for p in phases if p.starts_on == first]
    pods = [p for p in starting if "*" in p.rules] or starting
    areas = {a for p in pods for a in p.areas}
    return None if "*" in areas else areas
