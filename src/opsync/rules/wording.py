"""Counting words for generated pages and messages: one helper, so no page says "1
decisions" or "1 decision is past their review date", and long lists end the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def plural(count: int, one: str, many: str | None = None) -> str:
    """``one`` for a count of 1, else ``many`` (default: ``one`` + "s"): the word alone, for
    verbs and pronouns that agree with a count ("is"/"are", "its"/"their")."""
    return one if count == 1 else (many if many is not None else f"{one}s")


def counted(count: int, one: str, many: str | None = None) -> str:
    """``1 decision``, ``1,204 decisions``: a count and its noun, in agreement."""
    return f"{count:,} {plural(count, one, many)}"


def capped(items: Sequence[T], limit: int) -> tuple[Sequence[T], int]:
    """The first ``limit`` items and how many are left out, so a page with 5,000 releases
    lists the first few and says "and 4,990 more" instead of growing to hundreds of KB."""
    return items[:limit], max(0, len(items) - limit)


def more(left_out: int) -> str:
    """The start of the line that ends a capped list, before where the rest is: ``and 4,990
    more — see ``."""
    return f"and {left_out:,} more — see "
