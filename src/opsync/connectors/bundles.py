"""Read the sections people wrote in an enablement bundle page back into the domain (the
page's text outside opsync's regions, as Markdown; every wiki connector reads it this way).

The bundle page is generated once as the pack's template; from then on its section text is
the PM's. Completeness (R1) is judged on what is under each section heading, outside any
opsync-owned region.
"""

from __future__ import annotations

import re

from opsync.domain import BundleKind, EnablementBundle, Section

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
_REGION = re.compile(r"<!-- opsync:begin .*?<!-- opsync:end \S+ -->", re.DOTALL)
PREFIX = "bundle/"


def _section_of(title: str) -> Section | None:
    plain = title.replace("\\", "").strip().lower()
    for section in Section:
        if plain.startswith(section.value.lower()):
            return section
    return None


def reads_text(page_key: str) -> bool:
    """Whether the rules read this page's text (a wiki connector returns it in the page's
    state only then, so a read keeps no other page's text)."""
    return page_key.startswith(PREFIX)


def parse_bundle(page_key: str, body: str) -> EnablementBundle | None:
    """The bundle held by page ``bundle/<release key>``, or None for any other page."""
    if not page_key.startswith(PREFIX):
        return None
    release_key = page_key[len(PREFIX) :]
    sections: dict[Section, list[str]] = {}
    current: Section | None = None
    for line in _REGION.sub("", body).splitlines():
        match = _HEADING.match(line)
        if match:
            current = _section_of(match.group(2))
            if current is not None:
                sections[current] = []
            continue
        if current is not None:
            sections[current].append(line)
    kind = BundleKind.FULL if Section.SALES_TALK_TRACK in sections else BundleKind.LITE
    return EnablementBundle(
        key=release_key,
        release_key=release_key,
        kind=kind,
        sections={s: "\n".join(lines).strip() for s, lines in sections.items()},
    )
