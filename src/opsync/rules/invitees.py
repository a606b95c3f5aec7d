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
from collections.abc import Iterable, Iterator
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


def invite(ctx: RuleContext, ritual: Ritual, release: Release | None = None) -> Invite:
    """The attendees of ``ritual`` (of ``release``, for a release's events) with an email,
    in the order of the pack's table and then of ``[[org.people]]``, each once, and its
    owner as organizer (the first of that role with an email)."""
    if not ctx.settings.cadence.attendees:
        return NOBODY
    seen: set[str] = set()
    attendees: list[Attendee] = []
    for who in AUDIENCE[ritual]:
        for person in _members(ctx, who, release):
            found = attendee(person)
            if found is not None and found.email.lower() not in seen:
                seen.add(found.email.lower())
                attendees.append(found)
    owner = Role.HEAD_OF_PRODUCT if ritual in _HEAD_OWNED else Role.PRODUCT_OPS
    organizer = next((a for a in map(attendee, _with_role(ctx, owner)) if a is not None), None)
    return Invite(tuple(attendees), organizer)


def attendee(person: Person) -> Attendee | None:
    """``person`` as an attendee, or None without a usable email address."""
    email = (person.email or "").strip()
    if not _EMAIL.fullmatch(email):
        return None
    # A double quote cannot stand in a parameter value (RFC 5545 3.1), so not in CN either.
    return Attendee(name=person.name.replace('"', "'"), email=email)


def _with_role(ctx: RuleContext, role: Role) -> Iterator[Person]:
    snapshot = ctx.snapshot
    keys: set[str] = set()
    if role is Role.PM:
        keys = {a.pm for a in snapshot.product_areas}
    elif role is Role.ENG_LEAD:
        keys = {a.eng_lead for a in snapshot.product_areas if a.eng_lead is not None}
    return (p for p in snapshot.people if p.role is role or p.key in keys)


def _members(ctx: RuleContext, who: _Who, release: Release | None) -> Iterable[Person]:
    if isinstance(who, Role):
        return _with_role(ctx, who)
    snapshot = ctx.snapshot
    if who is _Group.PILOT_PMS:
        areas = _pilot_areas(ctx)
        if areas is None:
            return _with_role(ctx, Role.PM)
        keys = {a.pm for a in snapshot.product_areas if a.key in areas}
        return (p for p in snapshot.people if p.key in keys)
    if release is None:
        return ()
    key = release.pm
    if who is _Group.RELEASE_ENG_LEAD:
        area = snapshot.area(release.product_area)
        key = release.eng_lead or (area.eng_lead if area is not None else None)
    return (p for p in snapshot.people if p.key == key)


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
