"""``opsync report``'s finding filters: ``--code``, ``--record`` and ``--severity``.

A finding is shown when it matches every option given, and, for an option given several
times, any one of its values. A code or a record is matched as written, as a prefix
that ends at a separator (``enablement`` for every ``enablement.*`` code, ``releases`` for
every ``releases/*`` record), or as a shell-style pattern when it holds ``*``, ``?`` or
``[``. A severity keeps that level and those above it (``warning``: warnings and errors),
as a log level does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from opsync.domain.findings import Finding, Level

_RANK = {level: rank for rank, level in enumerate(Level)}  # info < warning < error


def _matches(value: str, wanted: str, separator: str) -> bool:
    if any(c in wanted for c in "*?["):
        return fnmatchcase(value, wanted)
    return value == wanted or value.startswith(wanted.rstrip(separator) + separator)


@dataclass(frozen=True)
class FindingFilter:
    codes: tuple[str, ...] = ()
    records: tuple[str, ...] = ()
    severity: Level | None = None

    def _keeps(self, code: str, record: str, level: Level) -> bool:
        if self.codes and not any(_matches(code, c, ".") for c in self.codes):
            return False
        if self.records and not any(_matches(record, r, "/") for r in self.records):
            return False
        return self.severity is None or _RANK[level] >= _RANK[self.severity]

    def keeps(self, finding: Finding) -> bool:
        return self._keeps(finding.code, finding.record, finding.level)

    def keeps_json(self, finding: Mapping[str, Any]) -> bool:
        """The same test on a finding as the JSON report holds it."""
        return self._keeps(finding["code"], finding["record"], Level(finding["level"]))


__all__ = ["FindingFilter"]
