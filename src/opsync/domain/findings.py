"""Findings: what a rule noticed about one record, phrased as what a person should do."""

from __future__ import annotations

from enum import StrEnum

from opsync.domain.base import Model


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Finding(Model):
    """One observation. ``code`` is stable (documented in docs/rules.md) so people can filter.

    ``record`` is ``collection/key`` (see :func:`opsync.domain.base.ref`); ``field`` names the
    property concerned when there is one.
    """

    code: str
    record: str
    message: str
    level: Level = Level.WARNING
    field: str | None = None
