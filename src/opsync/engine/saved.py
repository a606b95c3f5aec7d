"""A saved plan: ``opsync plan --out plan.json``, applied later by ``opsync apply plan.json``.

The file holds the plan as the JSON report shows it (operations with their field changes
and region diffs, conflicts), and what ``apply`` needs to apply exactly it: the config, the
clock and the force it was computed with, and its fingerprint (:meth:`Plan.fingerprint`:
every operation with all it writes or sends, and every conflict).

``apply`` reads the targets again and computes the plan again, with the saved clock and
force, under the run lock. The same fingerprint means the targets still call for exactly
the saved plan, and that plan is applied; another fingerprint means something the plan read
changed since in a way that changes what it would do (a tracker edit that moves a date, a
person's edit, another sync), and nothing is written (:class:`~opsync.errors.StalePlan`,
exit 7). A change to what the plan read that changes nothing it would do (a tracker field
no page shows, text outside opsync's regions) leaves the plan valid.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from opsync.engine.plan import Force, Plan
from opsync.engine.report import RunReport
from opsync.errors import ConfigError, StalePlan

FORMAT = "opsync-plan"
VERSION = 1


@dataclass(frozen=True)
class SavedPlan:
    """What ``apply`` checks and applies: the plan's fingerprint and operation keys, and the
    inputs it was computed with."""

    fingerprint: str
    keys: tuple[str, ...]
    now: datetime
    force: Force
    config: Path

    def check(self, plan: Plan) -> None:
        """Raise :class:`StalePlan` unless ``plan`` (computed now) is this saved plan."""
        if plan.fingerprint() == self.fingerprint:
            return
        now = [op.key for op in plan.operations]
        gone = [k for k in self.keys if k not in set(now)]
        new = [k for k in now if k not in set(self.keys)]
        differs = [*(f"no longer planned: {k}" for k in gone), *(f"now planned: {k}" for k in new)]
        detail = "; ".join(differs[:3]) + (
            f"; and {len(differs) - 3} more" if len(differs) > 3 else ""
        )
        raise StalePlan(
            "the targets changed since this plan was made, and the plan they call for now is "
            f"different ({detail or 'the same operations, with other content or conflicts'}); "
            "nothing was applied. Run `opsync plan --out` again, read it, and apply that plan"
        )


def to_json(report: RunReport, *, config: Path, force: Force) -> dict[str, Any]:
    """The saved plan of ``report`` (a dry run), as written to ``plan.json``."""
    data = report.to_json()
    return {
        "format": FORMAT,
        "version": VERSION,
        "fingerprint": report.plan.fingerprint(),
        "now": report.now,
        "force": sorted(force) if not isinstance(force, bool) else force,
        "config": str(config.resolve()),
        "operations": data["operations"],
        "conflicts": data["conflicts"],
        "findings": len(report.findings),
    }


def read(path: Path) -> SavedPlan:
    """The saved plan in ``path``; a file that is not one is a usage error (exit 2)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(
            f"{path}: cannot read a saved plan ({exc})",
            key="PLAN",
            hint="give the file `opsync plan --out` wrote",
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
        raise ConfigError(
            f"{path} is not a plan saved by `opsync plan --out` (format {FORMAT} {VERSION})",
            key="PLAN",
            hint="make one with `opsync plan --out plan.json`",
        )
    force = data["force"]
    return SavedPlan(
        fingerprint=str(data["fingerprint"]),
        keys=tuple(str(op["key"]) for op in data["operations"]),
        now=datetime.fromisoformat(str(data["now"])),
        force=force if isinstance(force, bool) else frozenset(str(k) for k in force),
        config=Path(str(data["config"])),
    )
