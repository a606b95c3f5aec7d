"""What the targets hold now, as the plan compares it with the desired state.

The wiki reports its records and pages, the notifier the messages it already sent, the feed
store the feeds; the journal adds what only it can know: a page whose last write a run
started and never finished may hold that write half done, which the page alone cannot tell
from a person's edit (Notion regions are written by several requests).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from opsync.connectors.base import Ownership, PageState, ReadResult, RecordState


@dataclass
class Actual:
    records: dict[str, RecordState] = field(default_factory=dict)
    pages: dict[str, PageState] = field(default_factory=dict)
    sent: set[str] = field(default_factory=set)
    files: dict[str, str] = field(default_factory=dict)
    # what each release holds of what opsync writes back to the tracker (TrackerRead.owned)
    tracker: dict[str, RecordState] = field(default_factory=dict)

    @classmethod
    def of(cls, wiki: ReadResult) -> Actual:
        """What the wiki holds; messages and feeds are added by whoever read them."""
        return cls(records=wiki.records, pages=wiki.pages)


def settle(pages: Mapping[str, PageState], unfinished: frozenset[str]) -> dict[str, PageState]:
    """The pages, with the regions that read as edited on a page whose last write the
    journal shows started and not finished taken for that write (``INTERRUPTED``):
    finishing it is not overwriting a person. A region the target shows a person edited
    (``by_person``) stays theirs: a person may type into a page while the killed run's
    write is unfinished."""
    settled = dict(pages)
    for key in unfinished & settled.keys():
        page = settled[key]
        regions = {
            name: replace(region, ownership=Ownership.INTERRUPTED)
            if region.ownership is Ownership.EDITED and not region.by_person
            else region
            for name, region in page.regions.items()
        }
        settled[key] = replace(page, regions=regions)
    return settled
