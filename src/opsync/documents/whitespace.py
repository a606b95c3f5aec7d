"""Whitespace runs folded to one space, as every renderer folds record text (a newline inside
a list item or a table cell would break its structure), at the cost of a scan only where
there is something to fold."""

from __future__ import annotations

import re

_RUNS = re.compile(r"\s+")


def fold(value: str) -> str:
    """``re.sub(r"\\s+", " ", value)``, skipped when it would change nothing: every
    whitespace character but the ASCII space is unprintable, so printable text with no
    double space (most text) has no run to fold."""
    if "  " in value or not value.isprintable():
        return _RUNS.sub(" ", value)
    return value
