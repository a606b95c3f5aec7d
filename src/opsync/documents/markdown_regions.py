"""Find, check and splice opsync-owned regions inside a Markdown page.

A region is ``<!-- opsync:begin KEY sum=S -->`` … ``<!-- opsync:end KEY -->``, where S is the
checksum of the content opsync wrote (see :mod:`opsync.documents.markdown`). If the content no
longer matches S, a person edited it since: the engine reports a conflict instead of
overwriting it (cog's "Output has been edited!"). Everything outside regions is left as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from opsync.documents.markdown import checksum

_REGION = re.compile(
    r"<!-- opsync:begin (?P<key>\S+) sum=(?P<sum>\S+) -->\n(?P<content>.*?)\n?"
    r"<!-- opsync:end (?P=key) -->",
    re.DOTALL,
)


@dataclass(frozen=True)
class RegionSpan:
    key: str
    start: int
    end: int
    recorded_sum: str
    content: str

    @property
    def edited(self) -> bool:
        """True when the content differs from what opsync last wrote into it."""
        return checksum(self.content) != self.recorded_sum


def find_regions(text: str) -> dict[str, RegionSpan]:
    """Every owned region of a page by key; a repeated key keeps the first occurrence."""
    spans: dict[str, RegionSpan] = {}
    for match in _REGION.finditer(text):
        key = match.group("key")
        if key not in spans:
            spans[key] = RegionSpan(
                key, match.start(), match.end(), match.group("sum"), match.group("content")
            )
    return spans


def splice(text: str, replacements: dict[str, str], appended: list[str]) -> str:
    """Replace the named regions with new rendered regions and append new ones at the end.

    ``replacements`` maps a region key to its whole new rendering (markers included); an
    empty string removes the region. Text between regions is copied byte for byte.
    """
    spans = sorted(
        (s for k, s in find_regions(text).items() if k in replacements), key=lambda s: s.start
    )
    out: list[str] = []
    cursor = 0
    for span in spans:
        out.append(text[cursor : span.start])
        out.append(replacements[span.key])
        cursor = span.end
    out.append(text[cursor:])
    result = "".join(out)
    for block in appended:
        result = result.rstrip("\n") + "\n\n" + block + "\n"
    return result
