"""The ranked top-frictions list (pack sections 1, 2 and 8) and the rituals it keeps alive.

Product Ops keeps a quarterly "top frictions" list; every request is triaged against it and
"every ritual and artifact must map to one of the top 3 friction points ... if it doesn't
reduce surprise, status overhead, or enablement gaps, cut it" (pack section 8). A friction
record names the rituals and artifacts that reduce it in ``reduced_by``, in a fixed
vocabulary (:data:`RITUALS`): the pack's five rituals and the three artifacts the rituals
do not already stand for. Names are read in any letter case, with hyphens, underscores and
spaces alike, and by the pack's full names ("Weekly Product Update"); a name outside the
vocabulary is a finding, since it would keep no ritual from being flagged for pruning.

The list is ranked by ``rank`` (1 first); a friction with no rank comes after the ranked
ones, and ties go by key, so the order never depends on how the records were read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from opsync.domain.base import Collection, ref
from opsync.domain.findings import Finding
from opsync.domain.intake import Friction
from opsync.domain.reading import spelling
from opsync.rules.context import RuleContext
from opsync.settings import RuleFamily

CODE_RITUAL_UNKNOWN = "frictions.ritual-unknown"


@dataclass(frozen=True)
class Ritual:
    """One ritual or artifact a friction may name: ``key`` is the vocabulary's word."""

    key: str
    name: str
    family: RuleFamily  # the rule family that runs it: off everywhere, it is not running
    spellings: tuple[str, ...] = ()


#: The vocabulary of ``reduced_by``, in the pack's order (section 3 rituals, then the
#: artifacts of section 4 and the capture of section 6 that stand on their own).
RITUALS: tuple[Ritual, ...] = (
    Ritual("weekly update", "Weekly Product Update", RuleFamily.WEEKLY),
    Ritual("roadmap review", "Biweekly Roadmap Review", RuleFamily.ROADMAP),
    Ritual("readiness check", "Launch Readiness Check", RuleFamily.ENABLEMENT),
    Ritual("insights review", "Monthly Insights Review", RuleFamily.INSIGHTS),
    Ritual(
        "quarterly planning",
        "Quarterly Planning/QBR",
        RuleFamily.CADENCE,
        ("qbr", "quarterly planning qbr", "quarterly planning/qbr", "planning"),
    ),
    Ritual("roadmap view", "Stakeholder Roadmap View", RuleFamily.ROADMAP),
    Ritual(
        "enablement bundle",
        "Launch Enablement Bundle",
        RuleFamily.ENABLEMENT,
        ("bundle",),
    ),
    Ritual(
        "post-launch capture",
        "Post-launch capture",
        RuleFamily.POST_LAUNCH,
        ("post launch", "post launch retro"),
    ),
)


def _index() -> dict[str, Ritual]:
    found: dict[str, Ritual] = {}
    for ritual in RITUALS:
        for name in (ritual.key, ritual.name, *ritual.spellings):
            found[spelling(name)] = ritual
    return found


_BY_SPELLING = _index()


def ritual_named(name: str) -> Ritual | None:
    """The ritual ``name`` stands for, in any of its spellings; None when it is none."""
    return _BY_SPELLING.get(spelling(name))


def ranked(frictions: Sequence[Friction]) -> list[Friction]:
    """The list in rank order: ranked ones by rank, then the unranked, ties by key."""
    return sorted(frictions, key=lambda f: (f.rank is None, f.rank or 0, f.key))


def reducers(friction: Friction) -> list[Ritual]:
    """The known rituals ``friction`` names, each once, in the order it names them."""
    found = [r for r in map(ritual_named, friction.reduced_by) if r is not None]
    return list(dict.fromkeys(found))


def friction_named(frictions: Sequence[Friction], key: str) -> Friction | None:
    """The friction whose key is ``key``, in any letter case (people type keys by hand)."""
    wanted = key.strip().casefold()
    return next((f for f in frictions if f.key.casefold() == wanted), None)


def label(friction: Friction) -> str:
    """``Surprise launches (rank 1)``, or the title alone when unranked."""
    if friction.rank is None:
        return friction.title
    return f"{friction.title} (rank {friction.rank})"


def findings(ctx: RuleContext) -> Iterator[Finding]:
    """A name in ``reduced_by`` outside the vocabulary, once per friction and name."""
    known = ", ".join(r.key for r in RITUALS)
    for friction in sorted(ctx.snapshot.frictions, key=lambda f: f.key):
        unknown = [n for n in friction.reduced_by if n.strip() and ritual_named(n) is None]
        for name in dict.fromkeys(unknown):
            yield Finding(
                code=CODE_RITUAL_UNKNOWN,
                record=ref(Collection.FRICTIONS, friction.key),
                field="reduced_by",
                message=(
                    f"Friction {friction.key} ({friction.title}) is reduced by {name!r}, which "
                    f"is not a ritual opsync knows; use one of: {known}. Until then it keeps "
                    "no ritual off the QBR's pruning list."
                ),
            )
