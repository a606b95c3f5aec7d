"""Find, check and splice opsync-owned regions inside a Markdown page.

A region is ``<!-- opsync:begin KEY sum=S page=P -->`` … ``<!-- opsync:end KEY -->``, where S
is the checksum of the content opsync wrote (see :mod:`opsync.documents.markdown`) and P the
key of the page that owns it. If the content no longer matches S, a person edited it since:
the engine reports a conflict instead of overwriting it (cog's "Output has been edited!").
Everything outside regions is left as is.

A region is opsync's only when it can prove it wrote it there (:func:`parse_regions`): a
well-formed pair of markers, each at the start of its own line, outside a fenced code block,
carrying this page's key (markers written before ``page=`` existed carry none and count as
the page's own, as they always did), and the first such pair of its key. Anything else that
looks like a region is the person's text, never rewritten or deleted, and a problem naming
its line:

- ``foreign``: a region of another page (``page=`` another key), copied here;
- ``duplicate``: a second pair of a key this page already has;
- ``quoted``: a marker inside a code fence, a block quote or a line of text;
- ``damaged``: a begin without its end, an end without its begin, a pair whose keys differ,
  a begin inside an open region. Its key is *damaged*: opsync neither writes that region
  nor adds a fresh copy of it until a person repairs the markers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

from opsync.documents.markdown import checksum

_BEGIN = re.compile(
    r"<!-- opsync:begin (?P<key>\S+) sum=(?P<sum>\S+?)(?: page=(?P<page>\S+))? -->\r?$"
)
_END = re.compile(r"<!-- opsync:end (?P<key>\S+) -->")
_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})")
_MENTION = re.compile(r"<!-- opsync:(?:begin|end) (?P<key>\S+)")


@dataclass(frozen=True)
class RegionSpan:
    key: str
    start: int
    end: int
    recorded_sum: str
    content: str
    line: int = 1  # of the begin marker, counted from 1 in the text parsed
    page: str | None = None  # the owning page named in the begin marker, if any

    @property
    def edited(self) -> bool:
        """True when the content differs from what opsync last wrote into it."""
        return checksum(self.content) != self.recorded_sum


@dataclass(frozen=True)
class MarkerProblem:
    """Something that looks like a region but that opsync cannot prove it wrote here."""

    kind: str  # foreign | duplicate | quoted | damaged
    key: str
    line: int
    message: str


@dataclass
class Regions:
    """A page's regions as :func:`parse_regions` reads them."""

    owned: dict[str, RegionSpan] = field(default_factory=dict)
    damaged: set[str] = field(default_factory=set)
    problems: list[MarkerProblem] = field(default_factory=list)


@dataclass(frozen=True)
class _Marker:
    begin: bool
    key: str
    line: int
    start: int  # offset of the marker's line
    after: int  # offset just past the marker (its line end included for a begin)
    sum: str = ""
    page: str | None = None


def _closed_fences(lines: list[str]) -> set[int]:
    """Indexes of the lines inside a closed code fence (the fence lines included). A fence
    never closed is taken as text: it would otherwise hide every marker after it, and a
    region appended at the end of the page would be hidden too."""
    inside: set[int] = set()
    opened: tuple[int, str] | None = None
    for number, line in enumerate(lines):
        fence = _FENCE.match(line)
        if opened is None:
            if fence:
                opened = (number, fence.group("fence"))
            continue
        if fence is None or line[fence.end() :].strip():
            continue
        closing = fence.group("fence")
        if closing[0] == opened[1][0] and len(closing) >= len(opened[1]):
            inside.update(range(opened[0], number + 1))
            opened = None
    return inside


def _markers(text: str, problems: list[MarkerProblem]) -> list[_Marker]:
    """The markers that stand on their own line outside code fences; the others (quoted)
    become problems."""
    lines = text.split("\n")
    fenced = _closed_fences(lines)
    found: list[_Marker] = []
    offset = 0
    for number, line in enumerate(lines):
        start, offset = offset, offset + len(line) + 1
        if "opsync:" not in line:
            continue
        begin, end = _BEGIN.match(line), _END.match(line)
        if number not in fenced and begin is not None and offset <= len(text):
            page = begin.group("page")
            found.append(
                _Marker(
                    True,
                    begin.group("key"),
                    number + 1,
                    start,
                    offset,
                    begin.group("sum"),
                    unquote(page) if page else None,
                )
            )
        elif number not in fenced and end is not None:
            found.append(_Marker(False, end.group("key"), number + 1, start, start + end.end()))
        else:
            for mention in _MENTION.finditer(line):
                where = "a code block" if number in fenced else "a quote or a line of text"
                problems.append(
                    MarkerProblem(
                        "quoted",
                        mention.group("key"),
                        number + 1,
                        f"line {number + 1}: a marker of region {mention.group('key')} inside "
                        f"{where} is the page's text; opsync leaves it as it is",
                    )
                )
    return found


def _damaged(key: str, line: int, what: str, fix: str) -> MarkerProblem:
    return MarkerProblem(
        "damaged",
        key,
        line,
        f"line {line}: {what}; opsync neither rewrites region {key} nor adds it again, and "
        f"leaves the page's text as it is (--force too). To fix: {fix}",
    )


def parse_regions(text: str, page: str | None = None) -> Regions:
    """The regions of ``text`` that are provably opsync's own for ``page`` (any page when
    ``None``), the keys whose markers are damaged, and a problem for everything else that
    looks like a region."""
    out = Regions()
    pairs: list[tuple[_Marker, _Marker]] = []
    opened: _Marker | None = None
    for marker in _markers(text, out.problems):
        if marker.begin:
            if opened is not None:  # the open region's end is missing (the new one may be fine)
                out.damaged.add(opened.key)
                out.problems.append(
                    _damaged(
                        opened.key,
                        opened.line,
                        f"region {opened.key} begins here and a second begin marker (region "
                        f"{marker.key}, line {marker.line}) comes before its end marker",
                        f"restore the end marker of {opened.key} where its region ends, or "
                        f"delete the begin marker on line {opened.line}",
                    )
                )
            opened = marker
            continue
        if opened is None:
            out.damaged.add(marker.key)
            out.problems.append(
                _damaged(
                    marker.key,
                    marker.line,
                    f"the end marker of region {marker.key} has no begin marker",
                    f"restore the begin marker, or delete the end marker on line {marker.line}",
                )
            )
        elif opened.key != marker.key:
            out.damaged.update({opened.key, marker.key})
            out.problems.append(
                _damaged(
                    opened.key,
                    opened.line,
                    f"region {opened.key} begins here but the end marker on line "
                    f"{marker.line} closes region {marker.key}",
                    f"restore the end marker of {opened.key} and the begin marker of "
                    f"{marker.key}, or delete the begin marker on line {opened.line} and the "
                    f"end marker on line {marker.line}",
                )
            )
        else:
            pairs.append((opened, marker))
        opened = None
    if opened is not None:
        out.damaged.add(opened.key)
        out.problems.append(
            _damaged(
                opened.key,
                opened.line,
                f"region {opened.key} begins here and has no end marker",
                f"restore the end marker `<!-- opsync:end {opened.key} -->` where the region "
                f"ends, or delete the begin marker on line {opened.line}",
            )
        )
    mine = [(b, e) for b, e in pairs if page is None or b.page in (None, page)]
    for begin, _ in pairs:
        if page is not None and begin.page not in (None, page):
            out.problems.append(
                MarkerProblem(
                    "foreign",
                    begin.key,
                    begin.line,
                    f"line {begin.line}: region {begin.key} is a copy from page {begin.page}; "
                    "it is the page's text here, and opsync leaves it as it is",
                )
            )
    # Of several pairs of one key, opsync's is the first naming this page (else the first
    # written before markers named their page) whose content is still what opsync wrote;
    # when every one of them was edited, none can be proved opsync's: the key is damaged.
    mine.sort(key=lambda pair: (pair[0].page is None, pair[0].start))
    spans: dict[str, list[RegionSpan]] = {}
    for begin, end in mine:
        if begin.key not in out.damaged:
            content = text[begin.after : end.start].removesuffix("\n")
            spans.setdefault(begin.key, []).append(
                RegionSpan(
                    begin.key, begin.start, end.after, begin.sum, content, begin.line, begin.page
                )
            )
    for key, copies in spans.items():
        if len(copies) == 1:
            out.owned[key] = copies[0]
            continue
        clean = [s for s in copies if not s.edited]
        lines = ", ".join(str(s.line) for s in copies)
        if not clean:
            out.damaged.add(key)
            out.problems.append(
                _damaged(
                    key,
                    copies[0].line,
                    f"region {key} appears {len(copies)} times (lines {lines}) and each copy "
                    "was edited, so none is provably opsync's",
                    "delete the copies you do not want, or move them outside the markers",
                )
            )
            continue
        out.owned[key] = clean[0]
        out.problems.extend(
            MarkerProblem(
                "duplicate",
                key,
                s.line,
                f"line {s.line}: a second copy of region {key} (opsync's is on line "
                f"{clean[0].line}); it is the page's text, and opsync leaves it as it is",
            )
            for s in copies
            if s is not clean[0]
        )
    out.owned = dict(sorted(out.owned.items(), key=lambda item: item[1].start))
    out.problems.sort(key=lambda p: p.line)
    return out


def find_regions(text: str, page: str | None = None) -> dict[str, RegionSpan]:
    """Every region of a page that is opsync's own, by key (see :func:`parse_regions`)."""
    return parse_regions(text, page).owned


def splice(
    text: str,
    replacements: Mapping[str, str | Sequence[str]],
    appended: list[str],
    page: str | None = None,
    owned: Mapping[str, tuple[int, int]] | None = None,
) -> str:
    """Replace the named regions with new rendered regions and append new ones at the end.

    ``replacements`` maps a region key to its whole new rendering (markers included), or
    the parts to join into it; an empty string removes the region. Only regions that are
    opsync's own for ``page`` are replaced; text between them (copies, quotes, damaged
    pairs included) is copied byte for byte. ``owned``: where :func:`parse_regions` found
    those regions in ``text`` already, each as its (start, end): a caller that parsed the
    page need not keep the regions' text alive for the splice.
    """
    if owned is None:
        owned = {k: (s.start, s.end) for k, s in find_regions(text, page).items()}
    spans = sorted((at, k) for k, at in owned.items() if k in replacements)
    out: list[str] = []
    cursor = 0
    for (start, end), key in spans:
        out.append(text[cursor:start])
        new = replacements[key]
        out.extend((new,) if isinstance(new, str) else new)
        cursor = end
    out.append(text[cursor:])
    result = "".join(out)
    for block in appended:
        result = result.rstrip("\n") + "\n\n" + block + "\n"
    return result
