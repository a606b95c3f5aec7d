"""Region diffs: a page write's change as a unified text diff, for people and the report.

One function for both readers of a plan: ``opsync plan`` prints (and colours) these lines,
the JSON report carries them, so what a person reads is what a monitor reads.
"""

from __future__ import annotations

import difflib

from opsync.engine.plan import RegionChange

CONTEXT = 2  # unchanged lines shown around each change


def region_diff(
    change: RegionChange, old: str = "on the page", new: str = "after this sync"
) -> list[str]:
    """``change`` as unified diff lines (``---``/``+++`` headers, ``@@`` hunks); a region the
    target keeps no text of (new, or a fingerprint only) is all ``+`` lines."""
    before = change.before.splitlines() if change.before is not None else []
    after = change.after.splitlines()
    if change.before is None:
        old = "no earlier text to compare"
    return list(
        difflib.unified_diff(
            before,
            after,
            f"{change.region} ({old})",
            f"{change.region} ({new})",
            lineterm="",
            n=CONTEXT,
        )
    )


def edit_diff(change: RegionChange) -> list[str]:
    """A conflict's region: what opsync would write against what a person made of it."""
    return region_diff(change, "what opsync would write", "on the page, as a person edited it")
