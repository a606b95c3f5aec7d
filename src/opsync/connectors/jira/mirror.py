"""What the last reads saw, kept beside the state database between runs.

``<state>.jira-<name>.json`` holds the cursor (the newest ``updated`` seen, in epoch
milliseconds, UTC), when the last id-only full pass ran, and each issue as last read. With
it a run asks Jira only for issues updated since the cursor minus the overlap, and still
returns every release: unchanged issues come from here. The file is a cache of Jira, never
a source of truth: losing it costs one full read. It is written whole to a temporary file
and renamed, so a crash leaves the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

FORMAT = 1


@dataclass
class Mirror:
    """The cache of one connector; ``path`` None keeps it in memory for one run only."""

    path: Path | None
    identity: str
    cursor_ms: int | None = None
    full_pass_at: datetime | None = None
    issues: dict[str, dict[str, Any]] = field(default_factory=dict)  # issue id -> issue

    @classmethod
    def load(cls, path: Path | None, identity: str) -> Mirror:
        """The saved mirror, or an empty one when there is none or it was made for another
        project, filter or mapping (``identity``) or by another format."""
        empty = cls(path, identity)
        if path is None or not path.exists():
            return empty
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or data.get("identity") != identity:
                return empty
            stamp = data.get("full_pass_at")
            return cls(
                path,
                identity,
                data.get("cursor_ms"),
                datetime.fromisoformat(stamp) if stamp else None,
                dict(data.get("issues") or {}),
            )
        except (OSError, ValueError, TypeError, AttributeError):
            return empty  # unreadable: read everything again

    def save(self) -> None:
        if self.path is None:
            return
        data = {
            "format": FORMAT,
            "identity": self.identity,
            "cursor_ms": self.cursor_ms,
            "full_pass_at": self.full_pass_at.isoformat() if self.full_pass_at else None,
            "issues": self.issues,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
        os.replace(temporary, self.path)
