"""What the last reads saw, kept in the state store between runs.

The connector's ``mirror`` holds the cursor (the newest ``updated`` seen, in epoch
milliseconds, UTC), when the last id-only full pass ran, each issue as last read, and each
release's launch date as last read with the moves seen so far (``history.py``). With
it a run asks Jira only for issues updated since the cursor minus the overlap, and still
returns every release: unchanged issues come from here. The mirror is a cache of Jira,
never a source of truth: losing it costs one full read, and the launch-date moves seen so
far (Jira keeps no history of a date field that opsync could read instead). It reaches the
store only when a writing run commits, whole and in one transaction with the others.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

FORMAT = 1
NAME = "mirror"  # its name in the connector's part of the state store


@dataclass
class Mirror:
    """The cache of one connector."""

    identity: str
    cursor_ms: int | None = None
    full_pass_at: datetime | None = None
    issues: dict[str, dict[str, Any]] = field(default_factory=dict)  # issue id -> issue
    dates: dict[str, dict[str, Any]] = field(default_factory=dict)  # release key -> dates

    @classmethod
    def load(cls, text: str | None, identity: str) -> Mirror:
        """The kept mirror, or an empty one when there is none or it was made for another
        project, filter or mapping (``identity``) or by another format."""
        empty = cls(identity)
        if text is None:
            return empty
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT or data.get("identity") != identity:
                return empty
            stamp = data.get("full_pass_at")
            return cls(
                identity,
                data.get("cursor_ms"),
                datetime.fromisoformat(stamp) if stamp else None,
                dict(data.get("issues") or {}),
                dict(data.get("dates") or {}),
            )
        except (ValueError, TypeError, AttributeError):
            return empty  # unreadable: read everything again

    def dump(self) -> str:
        data = {
            "format": FORMAT,
            "identity": self.identity,
            "cursor_ms": self.cursor_ms,
            "full_pass_at": self.full_pass_at.isoformat() if self.full_pass_at else None,
            "issues": self.issues,
            "dates": self.dates,
        }
        return json.dumps(data, sort_keys=True)
