"""Launch date history of Jira releases, kept in the mirror as the dates are seen to move.

Jira records no history of a version's release date (it is not in any issue's changelog),
and reading the changelog of a date field would make every search page carry each issue's
whole history. So the mirror remembers each release's launch date as last read; when a
run reads another date, the move is noted with the day of that run (UTC). It costs no
request, and a no-op run notes nothing. The history starts with the first run that keeps a
mirror and goes with it (a lost mirror or a remapped connector starts a new one).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from opsync.connectors.base import TrackerRead
from opsync.connectors.jira.mirror import Mirror


def _text(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, date) else (str(value) if value else None)


def note_moves(mirror: Mirror, read: TrackerRead, today: date) -> None:
    """Give each row its ``launch_date_history``, noting a move since the last run.

    Releases that are skipped this run (a finding names them) keep their history; releases
    gone from Jira lose it.
    """
    named = {f.record.partition("/")[2] for f in read.findings}
    for key, row in read.rows.items():
        current = _text(row.get("launch_date"))
        seen = mirror.dates.get(key)
        if seen is None:
            seen = mirror.dates[key] = {"date": current, "changes": []}
        elif seen.get("date") != current:
            change = {"changed_on": today.isoformat(), "old": seen.get("date"), "new": current}
            seen["changes"] = [*seen.get("changes", []), change]
            seen["date"] = current
        row["launch_date_history"] = [dict(c) for c in seen.get("changes", [])]
    for key in set(mirror.dates) - set(read.rows) - named:
        del mirror.dates[key]
