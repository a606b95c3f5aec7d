"""Micro-benchmarks of issue 19's "cheap steps": the calendar feed's writer and what switching
the garbage collector back on after a run costs.

Usage::

    .venv/bin/python -m bench.cheap_steps [--events 20916] [--objects 3000000] [--repeat 5]

It times whichever opsync is imported, so a before/after comparison runs it twice in the same
session, once with ``PYTHONPATH`` pointing at the older source tree::

    PYTHONPATH=/tmp/base/src .venv/bin/python -m bench.cheap_steps --json /tmp/before.json
    .venv/bin/python -m bench.cheap_steps --json /tmp/after.json

- ``ics_s``: :func:`opsync.documents.ics.render_ics` of ``--events`` events (a ritual-like mix:
  timed meetings with 2 to 6 attendees and an organizer, a fifth all-day launches, 100 to 400
  characters of description with commas and semicolons), without a previous feed.
- ``ics_previous_s``: the same with the feed just written as the previous one, as a no-op run
  does (the previous feed is read with ``icalendar`` in both versions).
- ``gc_resume_s``: with the collector paused as a run pauses it, ``--objects`` container
  objects are allocated and kept (a large run's records and document nodes), then
  :func:`opsync.engine.run._gc_paused` ends and the time to the end of the first collections
  that follow (1,000 more small allocations, then ``gc.collect(1)``) is measured.

- ``walk_s``: :func:`opsync.connectors.local.files.walk_md` listing ``--files`` Markdown
  files in 100 folders (plus hidden and other files, which it skips), the listing a read of
  the local workspace starts with.
- ``nodes_us``: microseconds to build one document node (a ``Text``, a two-part
  ``Paragraph``, a ``ListItem``) validated, as :mod:`opsync.documents.model` builds them, and
  with pydantic's ``model_construct``, which skips validation; and through the helpers the
  rules call (``para``, ``item``, a ``table`` of 50 rows), which build containers without
  validating their children again since issue 19.

Each figure is the median of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import opsync
from opsync.connectors.local.files import walk_md
from opsync.documents.ics import render_ics
from opsync.documents.model import ListItem, Paragraph, Text, cell, item, para, table
from opsync.engine.run import _gc_paused

ZONE = "America/New_York"
WORDS = ("review", "launch", "Tier 1", "readiness", "owner", "bundle", "PM", "Eng lead")


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class Event:
    uid: str
    summary: str
    start: datetime
    end: datetime
    description: str
    all_day: bool
    attendees: tuple[Person, ...]
    organizer: Person | None


def events(count: int, seed: int = 19) -> list[Event]:
    rng = random.Random(seed)
    tz = ZoneInfo(ZONE)
    people = [Person(f"Person {n} Example", f"person{n}@acme.example") for n in range(60)]
    found = []
    for n in range(count):
        day = datetime(2026, 9, 1, tzinfo=tz) + timedelta(days=rng.randint(0, 180))
        all_day = rng.random() < 0.2
        start = day if all_day else day.replace(hour=rng.randint(9, 16))
        end = start + (timedelta(days=1) if all_day else timedelta(minutes=45))
        words = [rng.choice(WORDS) for _ in range(rng.randint(15, 60))]
        found.append(
            Event(
                uid=f"event-{n}@opsync",
                summary=f"Launch Readiness Check: release {n}, {rng.choice(WORDS)}",
                start=start,
                end=end,
                description="; ".join(", ".join(words[i : i + 5]) for i in range(0, len(words), 5)),
                all_day=all_day,
                attendees=tuple(rng.sample(people, rng.randint(2, 6))),
                organizer=rng.choice(people),
            )
        )
    return found


def median_s(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 4)


def tree(root: Path, count: int) -> None:
    """``count`` empty Markdown files in 100 folders (a third of them one level deeper), with
    a hidden file and a text file in each folder."""
    for n in range(100):
        folder = root / f"area-{n}" / ("records" if n % 3 else "")
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(count // 100):
            (folder / f"r{k}.md").write_bytes(b"")
        (folder / ".opsync-x.tmp").write_bytes(b"")
        (folder / "notes.txt").write_bytes(b"")


def gc_resume(objects: int) -> float:
    """Seconds from the end of a paused run to the end of the collections that follow."""
    gc.unfreeze()
    gc.collect()
    gc.enable()
    with _gc_paused():
        held = [[n] for n in range(objects)]
        start = time.perf_counter()
    scratch = [[n] for n in range(1000)]
    gc.collect(1)
    took = time.perf_counter() - start
    del held, scratch
    gc.unfreeze()
    return took


def nodes_us(repeat: int) -> dict[str, float]:
    """Microseconds per node, validated and through ``model_construct``, and through the
    helpers rules build nodes with (:func:`opsync.documents.model.para`, ``item``, ``table``
    of 50 rows of 3 cells), whichever way those build them."""
    part = Text(text="a")
    rows = [(cell(part), cell(part), cell(part))] * 50
    builds: dict[str, Callable[[], object]] = {
        "text": lambda: Text(text="abc", bold=True),
        "text_construct": lambda: Text.model_construct(text="abc", bold=True),
        "paragraph": lambda: Paragraph(inlines=(part, part)),
        "paragraph_construct": lambda: Paragraph.model_construct(inlines=(part, part)),
        "list_item": lambda: ListItem(inlines=(part,)),
        "list_item_construct": lambda: ListItem.model_construct(inlines=(part,)),
        "para_helper": lambda: para(part, part),
        "item_helper": lambda: item(part),
        "table_50_rows_helper": lambda: table(("a", "b", "c"), rows),
    }
    count = 100_000

    def many(build: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            for _ in range(count):
                build()

        return run

    return {k: round(median_s(many(b), repeat) / count * 1e6, 2) for k, b in builds.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_916)  # as at 100,000 releases
    parser.add_argument("--objects", type=int, default=3_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument(
        "--steps", default="ics,gc,walk,nodes", help="which measures, comma-separated"
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    steps = set(args.steps.split(","))
    result: dict[str, object] = {"opsync": str(Path(opsync.__file__).parent)}
    if "ics" in steps:
        feed_events = events(args.events)
        stamp = datetime(2026, 12, 3, 20, tzinfo=UTC)
        feed = render_ics(feed_events, ZONE, generated_at=stamp)
        result["events"] = args.events
        result["feed_bytes"] = len(feed)
        result["ics_s"] = median_s(
            lambda: render_ics(feed_events, ZONE, generated_at=stamp), args.repeat
        )
        result["ics_previous_s"] = median_s(
            lambda: render_ics(feed_events, ZONE, generated_at=stamp, previous=feed), args.repeat
        )
    if "gc" in steps:
        result["objects"] = args.objects
        resumes = [gc_resume(args.objects) for _ in range(args.repeat)]
        result["gc_resume_s"] = round(statistics.median(resumes), 4)
    if "walk" in steps:
        with tempfile.TemporaryDirectory(prefix="opsync-walk-") as tmp:
            root = Path(tmp)
            tree(root, args.files)
            result["files"] = args.files
            result["walk_s"] = median_s(lambda: walk_md(root), args.repeat)
    if "nodes" in steps:
        result["nodes_us"] = nodes_us(args.repeat)
    json.dump(result, sys.stdout, indent=2)
    print()
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
