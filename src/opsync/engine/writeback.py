"""Write-back: the values opsync wants on each release in the tracker, and the plan for them.

Engineers and sellers open the tracker's issues every day, not the wiki, so a tracker
configured to write back (``TrackerSink.writes_back``) gets, on each release the rules
derived an enablement status for: that status, the next enablement deadline (the earliest
step not done whose deadline has not passed), and the bundle page's URL, in a field and as
a link object (a Jira remote link). They are owned as every derived field is: rewritten when
they change, and a person's change is a conflict, reported and left alone (per field: the
tracker tells which one was changed, so the others are still written).

The bundle page's URL is asked of the wiki before the plan; a page the run creates has
none yet, so its write names the page (``TrackerWrite.page``), runs after it, and the URL
is filled in at write time, as a message's link is (``engine/notify.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from opsync.calendar import BusinessCalendar
from opsync.connectors.base import RecordState, TrackerSink, TrackerWrite
from opsync.domain import Collection, Release, ref
from opsync.rules.enablement import Outcome, steps
from opsync.rules.output import RuleOutput
from opsync.rules.tiers import needs_enablement
from opsync.settings import EnablementSettings

LINKS = ("bundle_link", "bundle_page")
TARGET = "tracker/"  # a write-back target is tracker/<release key> (--force-only names it)


@dataclass(frozen=True)
class DesiredWriteBack:
    """What release ``key`` should hold in the tracker; ``page``: its bundle page is created
    by this run, so the link values are known only once it is written."""

    key: str
    values: Mapping[str, Any]
    page: str | None = None
    links: tuple[str, ...] = ()  # the link names filled in once ``page`` is written


def next_deadline(
    release: Release, today: date, calendar: BusinessCalendar, settings: EnablementSettings
) -> date | None:
    """The earliest deadline of a step not done yet whose deadline has not passed: what the
    team works towards now. None when every step is done or late, or none is required."""
    if not needs_enablement(release):
        return None
    pending = [
        c.due for c in steps(release, calendar, settings) if c.outcome(today) is Outcome.PENDING
    ]
    return min(pending, default=None)


def web_link(url: str | None) -> str | None:
    """Only a web address goes to the tracker: a folder workspace without a ``link_base_url``
    names its pages by file path, which means nothing to a person reading the issue."""
    return url if url is not None and url.startswith(("https://", "http://")) else None


def wanted(
    releases: tuple[Release, ...],
    output: RuleOutput,
    names: frozenset[str],
    *,
    today: date,
    calendar: BusinessCalendar,
    settings: EnablementSettings,
    page_url: Callable[[str], str | None],
    created: frozenset[str],
) -> dict[str, DesiredWriteBack]:
    """The write-back of every release the enablement rules derived a status for (a
    release outside the rollout, or without a tier, is left as it is). ``created``: the
    generated pages this run creates; ``page_url``: the URL of a page that exists."""
    bundles = {doc.key for doc in output.documents if doc.key.startswith("bundle/")}
    out: dict[str, DesiredWriteBack] = {}
    for release in releases:
        derived = output.derived.get(ref(Collection.RELEASES, release.key))
        if not derived or derived.get("enablement_status") is None:
            continue
        values: dict[str, Any] = {}
        if "enablement_status" in names:
            values["enablement_status"] = str(derived["enablement_status"])
        if "next_deadline" in names:
            values["next_deadline"] = next_deadline(release, today, calendar, settings)
        page = f"bundle/{release.key}"
        links = tuple(n for n in LINKS if n in names)
        if links and page in created:
            out[release.key] = DesiredWriteBack(release.key, values, page, links)
            continue
        url = web_link(page_url(page)) if links and page in bundles else None
        if url is not None:
            values.update(dict.fromkeys(links, url))
        out[release.key] = DesiredWriteBack(release.key, values)
    return out


def resolve(
    op: TrackerWrite, names: frozenset[str], page_url: Callable[[str], str | None]
) -> TrackerWrite:
    """``op`` with the URL of the page it waited for, now that the page exists."""
    if op.page is None:
        return op
    url = web_link(page_url(op.page))
    if url is None:
        return replace(op, page=None)
    values = {**op.values, **{n: url for n in LINKS if n in names}}
    return replace(op, values=values, page=None)


@dataclass(frozen=True)
class Planned:
    """One release's write (None: nothing to write) and the fields left as a person set them."""

    write: TrackerWrite | None
    changes: tuple[tuple[str, Any, Any], ...]
    conflicts: tuple[str, ...]


def plan_release(want: DesiredWriteBack, state: RecordState | None, force: bool) -> Planned:
    """What to write on one release: each value that differs, except one a person changed
    since opsync wrote it (unless forced); a value a person set to exactly what opsync
    wants is written too (the tracker then records it as opsync's, writing nothing)."""
    owned = state.owned if state is not None else {}
    edited = state.edited if state is not None else frozenset()
    values: dict[str, Any] = {}
    changes: list[tuple[str, Any, Any]] = []
    conflicts: list[str] = []
    for name, value in want.values.items():
        have = owned.get(name)
        if name in edited:
            if have != value and not force:
                conflicts.append(name)
                continue
            values[name] = value
        elif have != value:
            values[name] = value
        else:
            continue
        if have != value:
            changes.append((name, have, value))
    changes.extend((name, owned.get(name), f"<the URL of {want.page}>") for name in want.links)
    if not values and want.page is None:
        return Planned(None, (), tuple(conflicts))
    write = TrackerWrite(want.key, values, want.page)
    return Planned(write, tuple(changes), tuple(conflicts))


def writes_back(tracker: object) -> frozenset[str]:
    """What ``tracker`` writes back; nothing for a tracker that only reads."""
    return tracker.writes_back() if isinstance(tracker, TrackerSink) else frozenset()
