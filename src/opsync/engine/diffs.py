"""Region diffs: a page write's change as a unified text diff, for people and the report.

One function for both readers of a plan: ``opsync plan`` prints (and colours) these lines,
the JSON report carries them, so what a person reads is what a monitor reads.
"""

from __future__ import annotations

import difflib

from opsync.engine.plan import RegionChange

CONTEXT = 2  # unchanged lines shown around each change


def region_diff(change: RegionChange) -> list[str]:
    """``change`` as unified diff lines (``---``/``+++`` headers, ``@@`` hunks); a region the
    target keeps no text of (new, or a fingerprint only) is all ``+`` lines."""
    before = change.before.splitlines() if change.before is not None else []
    after = change.after.splitlines()
    old = "on the page" if change.before is not None else "no earlier text to compare"
    return list(
        difflib.unified_diff(
            before,
            after,
            f"{change.region} ({old})",
            f"{change.region} (after this sync)",
            lineterm="",
            n=CONTEXT,
        )
    )
