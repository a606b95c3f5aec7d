"""A generated organisation on the local workspace, sized by its number of releases.

Deterministic for a given size and seed, so two benchmark runs read the same files. The
proportions follow the benchmark brief: N releases over one quarter around ``now`` (about
half launched), N/10 decisions, N/2 insights, a weekly submission per area for this week and
last week, a few roadmap items per area, and a wiki record with people-owned fields for a
third of the releases (readiness, bundle state, post-launch dates), so the first sync both
creates records and edits existing ones in place.

Files are written with plain string formatting rather than a YAML dumper: generating 100,000
releases must take seconds, not the time the benchmark is meant to measure.
"""

from __future__ import annotations

import csv
import json
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from opsync.connectors.records import TRACKER_FIELDS

AREA_NAMES = (
    "Billing",
    "Onboarding",
    "Search",
    "Reporting",
    "Integrations",
    "Mobile",
    "Admin",
    "Notifications",
    "Payments",
    "Identity",
    "Analytics",
    "Collaboration",
    "Storage",
    "Marketplace",
    "Security",
    "Messaging",
    "Scheduling",
    "Compliance",
    "Growth",
    "Platform",
)
THEMES = tuple(
    f"{a} {b}"
    for a in ("Slow", "Confusing", "Missing", "Broken", "Costly")
    for b in ("export", "setup", "permissions", "search", "alerts", "invoices")
)
SEGMENTS = ("SMB", "Mid-market", "Enterprise")
SOURCES = (
    "cs/sales notes",
    "support tickets",
    "product analytics",
    "research/interviews",
    "community/social/reviews",
)
EVIDENCE = ("ticket", "call note", "metric", "interview", "review")
DISPOSITIONS = ("backlog", "needs research", "already addressed", "won't do")
# The tracker export's columns: the key, then what the local connector reads from a row
# (minus the URL, which the generator leaves out).
TRACKER_COLUMNS = ("key", *(f for f in TRACKER_FIELDS if f != "url"))


@dataclass(frozen=True)
class Org:
    """What the generator wrote: the folder, the org for the RunSpec and the file counts."""

    root: Path
    areas: list[dict[str, str]]
    people: list[dict[str, str]]
    counts: dict[str, int]

    @property
    def tracker(self) -> Path:
        return next((self.root / "tracker").iterdir())

    def manifest(self) -> dict[str, Any]:
        return {"areas": self.areas, "people": self.people, "counts": self.counts}


def area_count(releases: int) -> int:
    """6 areas for 1,000 releases, 13 for 10,000, 20 from 100,000 on."""
    return max(6, min(20, round(6 + 7 * math.log10(max(releases, 1) / 1000))))


def _front_matter(values: dict[str, Any], body: str = "") -> str:
    lines = ["---"]
    for key, value in values.items():
        if value is None or value == "":
            continue
        lines.append(f"{key}: {json.dumps(value) if isinstance(value, str) else value}")
    lines.append("---")
    return "\n".join(lines) + "\n" + body


def generate(root: Path, releases: int, now: date, *, tracker: str = "yaml", seed: int = 7) -> Org:
    """Write the organisation under ``root``; ``now`` is the org-local date of the benchmark."""
    rng = random.Random(seed)
    n_areas = area_count(releases)
    areas = [
        {
            "key": name.lower(),
            "name": name,
            "pm": f"pm-{name.lower()}",
            "eng_lead": f"eng-{name.lower()}",
        }
        for name in AREA_NAMES[:n_areas]
    ]
    people = [{"key": "hop", "name": "Hana Okafor", "role": "head_of_product"}]
    people.append({"key": "ops", "name": "Olga Berg", "role": "product_ops"})
    for area in areas:
        people.append({"key": area["pm"], "name": f"{area['name']} PM", "role": "pm"})
        people.append({"key": area["eng_lead"], "name": f"{area['name']} Eng", "role": "eng_lead"})
    for folder in ("tracker", "wiki", "pages", "outbox"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    counts = {"releases": releases}
    rows = _releases(rng, releases, areas, now)
    _write_tracker(root, rows, tracker)
    counts["release_records"] = _release_records(root, rng, rows, now)
    counts["decisions"] = _decisions(root, rng, releases // 10, areas, now)
    counts["insights"] = _insights(root, rng, releases // 2, areas, now)
    counts["weekly_submissions"] = _submissions(root, areas, now)
    counts["roadmap_items"] = _roadmap(root, rng, areas, now)
    return Org(root=root, areas=areas, people=people, counts=counts)


def _releases(
    rng: random.Random, count: int, areas: list[dict[str, str]], now: date
) -> list[dict[str, Any]]:
    """Launch dates spread over the 13 weeks around ``now``: about half have launched."""
    first = now - timedelta(days=45)
    rows = []
    for index in range(1, count + 1):
        area = areas[index % len(areas)]
        roll = rng.random()
        tier = 1 if roll < 0.55 else 2 if roll < 0.85 else 3 if roll < 0.98 else None
        launch = first + timedelta(days=rng.randrange(91))
        row: dict[str, Any] = {
            "key": f"REL-{index:06d}",
            "title": f"{area['name']} improvement {index}",
            "tier": tier,
            "launch_date": launch if rng.random() > 0.01 else None,
            "launch_date_history": None,
            "launched": True if launch < now and rng.random() < 0.3 else None,
            "product_area": area["key"],
            "pm": area["pm"],
            "eng_lead": area["eng_lead"],
            "description": f"Internal notes on change {index}.",
            "stakeholder_summary": f"Customers of {area['name']} get change {index}.",
        }
        if rng.random() < 0.05 and launch is not None:
            old = launch - timedelta(days=rng.randrange(3, 15))
            moved = min(now, launch - timedelta(days=rng.randrange(1, 10)))
            row["launch_date_history"] = [{"changed_on": moved, "old": old, "new": launch}]
        rows.append(row)
    return rows


def _history_text(history: list[dict[str, date]]) -> str:
    inner = ", ".join(
        f"{{changed_on: {h['changed_on']}, old: {h['old']}, new: {h['new']}}}" for h in history
    )
    return f"[{inner}]"


def _write_tracker(root: Path, rows: list[dict[str, Any]], kind: str) -> None:
    if kind == "csv":
        with (root / "tracker" / "releases.csv").open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(TRACKER_COLUMNS)
            for row in rows:
                values = dict(row)
                if values["launch_date_history"]:
                    values["launch_date_history"] = _history_text(values["launch_date_history"])
                writer.writerow(
                    ""
                    if values[c] is None
                    else str(values[c]).lower()
                    if isinstance(values[c], bool)
                    else str(values[c])
                    for c in TRACKER_COLUMNS
                )
        return
    parts: list[str] = []
    for row in rows:
        lines = [f"- key: {row['key']}"]
        for name in TRACKER_COLUMNS[1:]:
            value = row[name]
            if value is None:
                continue
            if name == "launch_date_history":
                value = _history_text(value)
            elif isinstance(value, bool):
                value = str(value).lower()
            elif isinstance(value, str):
                value = json.dumps(value)
            lines.append(f"  {name}: {value}")
        parts.append("\n".join(lines))
    (root / "tracker" / "releases.yaml").write_text("\n".join(parts) + "\n", encoding="utf-8")


def _release_records(root: Path, rng: random.Random, rows: list[dict[str, Any]], now: date) -> int:
    """People-owned fields on a third of the Tier 2/3 releases' wiki records."""
    folder = root / "wiki" / "releases"
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for row in rows:
        launch = row["launch_date"]
        if row["tier"] not in (2, 3) or launch is None or rng.random() > 0.33:
            continue
        early = launch - timedelta(days=rng.randrange(2, 20))
        done = early <= now
        values: dict[str, Any] = {
            "key": row["key"],
            "bundle_state": "published" if done else rng.choice(("drafting", "ready for review")),
            "bundle_handed_off_on": early - timedelta(days=3) if done else None,
            "bundle_published_on": early if done else None,
            "support_confirmed_on": early + timedelta(days=1) if done else None,
            "sales_confirmed_on": early + timedelta(days=1) if rng.random() < 0.8 else None,
            "go_no_go": "go" if done else None,
            "go_no_go_on": early + timedelta(days=1) if done else None,
            "day3_done_on": launch + timedelta(days=3)
            if launch + timedelta(days=3) < now
            else None,
        }
        body = "Notes from the PM.\n"
        (folder / f"{row['key']}.md").write_text(_front_matter(values, body), encoding="utf-8")
        written += 1
    return written


def _decisions(
    root: Path, rng: random.Random, count: int, areas: list[dict[str, str]], now: date
) -> int:
    folder = root / "wiki" / "decisions"
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(1, count + 1):
        area = areas[index % len(areas)]
        decided = now - timedelta(days=rng.randrange(1, 200))
        review = decided + timedelta(days=rng.randrange(30, 120))
        complete = rng.random() > 0.1
        values: dict[str, Any] = {
            "key": f"DEC-{index:06d}",
            "decided_on": decided,
            "decision": f"{area['name']}: adopt option {index % 3 + 1} for change {index}",
            "context": f"Customers asked for change {index}." if complete else "",
            "options": "A, B or C",
            "rationale": "Cheapest path with the same outcome." if complete else "",
            "owner": area["pm"],
            "review_date": review,
            "reviewed_on": review if review < now and rng.random() < 0.5 else None,
            "product_area": area["key"],
        }
        text = _front_matter(values, "Discussion notes.\n")
        (folder / f"DEC-{index:06d}.md").write_text(text, encoding="utf-8")
    return count


def _insights(
    root: Path, rng: random.Random, count: int, areas: list[dict[str, str]], now: date
) -> int:
    folder = root / "wiki" / "insights"
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(1, count + 1):
        area = areas[rng.randrange(len(areas))]
        tagged = rng.random() > 0.1
        decided = rng.random() < 0.5
        disposition = rng.choice(DISPOSITIONS) if decided else None
        values: dict[str, Any] = {
            "key": f"INS-{index:06d}",
            "summary": f"{area['name']} users report problem {index}",
            "source": rng.choice(SOURCES),
            "received_on": now - timedelta(days=rng.randrange(0, 120)),
            "theme": rng.choice(THEMES) if tagged else None,
            "segment": rng.choice(SEGMENTS),
            "severity": rng.choice(("low", "medium", "high")),
            "evidence_type": rng.choice(EVIDENCE),
            "product_area": area["key"],
            "quote": f"We lose time every week on problem {index}." if rng.random() < 0.3 else "",
            "account": f"Account {index % 997}",
            "disposition": disposition,
            "disposition_rationale": "Out of scope this year." if decided else "",
        }
        (folder / f"INS-{index:06d}.md").write_text(_front_matter(values), encoding="utf-8")
    return count


def _submissions(root: Path, areas: list[dict[str, str]], now: date) -> int:
    """Last week's from every area, this week's from all but the last two areas."""
    folder = root / "wiki" / "weekly_submissions"
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for weeks_back in (1, 0):
        day = now - timedelta(days=7 * weeks_back)
        year, week, _ = day.isocalendar()
        label = f"{year}-W{week:02d}"
        chosen = areas if weeks_back else areas[:-2]
        monday = day - timedelta(days=day.weekday())
        for area in chosen:
            values = {
                "key": f"{label}-{area['key']}",
                "week": label,
                "pm": area["pm"],
                "product_area": area["key"],
                "submitted_at": f"{monday + timedelta(days=2)}T11:00:00-05:00",
                "wins": f"Shipped the {area['name']} beta",
                "next": "Finish the rollout",
                "risks": "Waiting on Platform for the new API" if area is areas[0] else "",
                "metrics": "Activation 41% (+2)",
                "links": "https://example.com/prd",
            }
            path = folder / f"{label}-{area['key']}.md"
            path.write_text(_front_matter(values), encoding="utf-8")
            written += 1
    return written


def _roadmap(root: Path, rng: random.Random, areas: list[dict[str, str]], now: date) -> int:
    folder = root / "wiki" / "roadmap_items"
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for area in areas:
        for index in range(4):
            start = now + timedelta(days=rng.randrange(-30, 150))
            values = {
                "key": f"RM-{area['key']}-{index}",
                "title": f"{area['name']} theme {index + 1}",
                "product_area": area["key"],
                "start": start,
                "end": start + timedelta(days=rng.randrange(14, 60)),
                "status": rng.choice(("planned", "in progress", "at risk")),
                "stakeholder_description": f"What {area['name']} customers get next.",
            }
            path = folder / f"RM-{area['key']}-{index}.md"
            path.write_text(_front_matter(values), encoding="utf-8")
            written += 1
    return written
