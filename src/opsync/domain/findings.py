"""Findings: what a rule noticed about one record, phrased as what a person should do."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from opsync.domain.base import Model

#: Codes of the findings that say some input could not be read (a value that does not fit
#: its field, or a field the record cannot be without left blank), so the record (or tracker
#: row) it names was left out of this run: its figures are missing from every page that
#: draws on its collection, and the run exits 5 instead of 0 (see ``Finding.unreadable``).
#: Every other finding is a rule's ordinary output (a late bundle) and never changes the
#: exit code.
UNREADABLE_CODES: frozenset[str] = frozenset({"record.invalid", "record.field-missing"})
#: The code of a thing that carries the key of another (see :func:`duplicate`).
DUPLICATE = "record.duplicate"
#: Generated pages are opsync's output, not input, except those whose text the rules read.
_PAGES, _INPUT_PAGES = "pages/", ("pages/bundle/",)


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Finding(Model):
    """One observation. ``code`` is stable (documented in docs/rules.md) so people can filter.

    ``record`` is ``collection/key`` (see :func:`opsync.domain.base.ref`); ``field`` names the
    property concerned when there is one. ``due`` is the day the owner was to act by, set by
    the rule that knows the deadline it checks (a bundle's ``publish_due``, a decision's
    review date): the action list (RULES.md R10) sorts and dates each owner's items by it.
    None when no deadline applies (a missing field, something already done late).
    """

    code: str
    record: str
    message: str
    level: Level = Level.WARNING
    field: str | None = None
    due: date | None = None

    @property
    def unreadable(self) -> bool:
        """True when this finding says input could not be read: its code is in
        :data:`UNREADABLE_CODES` and it names a record, a tracker row or a bundle page. A
        generated page that could not be read (a stray file among the pages, a copy of a
        page) is a finding too, but no figure is drawn from it."""
        if self.code not in UNREADABLE_CODES:
            return False
        return not self.record.startswith(_PAGES) or self.record.startswith(_INPUT_PAGES)


def duplicate(record: str, field: str, message: str) -> Finding:
    """Two things in the target carry one key (a copy, or a second writer's create): opsync
    keeps one and leaves the other alone. Said apart from unreadable input, since no figure
    is missing; ``opsync doctor --duplicates`` lists them."""
    return Finding(code=DUPLICATE, record=record, field=field, level=Level.WARNING, message=message)
