"""The Markdown tables docs/benchmarks.md quotes, from :mod:`bench.notion_requests`'s results."""

from __future__ import annotations

import math
from typing import Any

PHASES = ("first", "noop-1", "noop-2", "change", "noop-full", "change-2")
PAGE = 100  # rows per query page
TARGET_SHARE = 0.9
FEED = "rituals.ics"  # the calendar feed, a local file: changes with any launch date


def _phases(org: dict[str, Any]) -> list[str]:
    """The phases ``org`` ran (results written before ``change-2`` existed have five)."""
    return [p for p in PHASES if p in org]


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def query_pages(rows: dict[str, int]) -> int:
    """Query requests an incremental read of these rows per collection takes."""
    return sum(max(1, math.ceil(n / PAGE)) for n in rows.values())


def _collections(org: dict[str, Any]) -> int:
    return len(org["rows"])


# Every sync reads the write lease's row once (connectors/notion/lease.py): one GET.
LEASE_READS = 1


def _summary(org: dict[str, Any]) -> list[str]:
    out = [
        "| sync | Notion reads | Notion writes | report reads / writes | operations applied "
        "| full pass | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for phase in _phases(org):
        r = org[phase]
        rep = r["report_requests"]
        ops = sum(r["operations"].values())
        out.append(
            f"| {phase} | {r['reads']:,} | {r['writes']:,} | {rep.get('reads', 0):,} / "
            f"{rep.get('writes', 0):,} | {ops:,} | {'yes' if r['full_pass'] else 'no'} "
            f"| {r['sync_s']} |"
        )
    return out


def _endpoints(org: dict[str, Any]) -> list[str]:
    phases = _phases(org)
    names = sorted({e for phase in phases for e in org[phase]["endpoints"]})
    out = ["| endpoint | " + " | ".join(phases) + " |", "|---|" + "---|" * len(phases)]
    for name in names:
        cells = [f"{org[phase]['endpoints'].get(name, 0):,}" for phase in phases]
        out.append(f"| `{name}` | " + " | ".join(cells) + " |")
    statuses = sorted({s for phase in phases for s in org[phase]["statuses"]})
    for status in statuses:
        cells = [f"{org[phase]['statuses'].get(status, 0):,}" for phase in phases]
        out.append(f"| answered {status} | " + " | ".join(cells) + " |")
    return out


def _windows(org: dict[str, Any]) -> list[str]:
    """Rows per collection, and those the next incremental read returns after each sync."""
    shown = ("first", "noop-2")
    out = [
        "| collection | rows | re-read after first | after noop-2 |",
        "|---|---|---|---|",
    ]
    for name, rows in org["rows"].items():
        cells = [f"{org[p]['next_window'].get(name, 0):,}" for p in shown]
        out.append(f"| {name} | {rows:,} | " + " | ".join(cells) + " |")
    totals = [str(query_pages(org[p]["next_window"])) for p in shown]
    out.append(f"| query requests | {query_pages(org['rows'])} | " + " | ".join(totals) + " |")
    return out


def _issue_19(org: dict[str, Any]) -> list[tuple[str, str, int]]:
    """Issue 19's request targets: (what, phase, most requests)."""
    rows = [
        ("issue 19: a later no-op ≤ 12 requests", "noop-2", 12),
        ("issue 19: one change (a page's first update) ≤ 20 requests", "change", 20),
        ("issue 19: one change (a later update) ≤ 20 requests", "change-2", 20),
    ]
    if org["org"] == "1000":
        rows.insert(0, ("issue 19: first sync at 1,000 releases ≤ 2,200 requests", "first", 2200))
    return rows


def _targets(org: dict[str, Any]) -> list[str]:
    collections = _collections(org) + LEASE_READS
    full = query_pages(org["rows"]) + LEASE_READS
    rows = [
        (
            f"no-op right after the first sync: ≤ {collections} reads, 0 writes",
            org["noop-1"],
            collections,
        ),
        (f"later no-op: ≤ {collections} reads, 0 writes", org["noop-2"], collections),
        (f"no-op with a full pass due: ≤ {full} reads, 0 writes", org["noop-full"], full),
    ]
    out = ["| target | reads / writes | result |", "|---|---|---|"]
    for name, r, most in rows:
        ok = r["reads"] <= most and r["writes"] == 0 and not r["failed"]
        out.append(f"| {name} | {r['reads']} / {r['writes']} | {_met(ok)} |")
    for name, phase, most in _issue_19(org):
        if phase in org:
            r = org[phase]
            total = r["reads"] + r["writes"]
            ok = total <= most and not r["failed"]
            out.append(f"| {name} | {r['reads']} / {r['writes']} | {_met(ok)} ({total:,}) |")
    key = org["changed"]["release"]
    for phase, what in (("change", "one change"), ("change-2", "the same change again")):
        if phase not in org:
            continue
        r = org[phase]
        touched = [line for line in r["applied"] if key not in line and FEED not in line]
        out.append(
            f"| {what} ({key}): writes only what it touches | {r['reads']} / "
            f"{r['writes']} | {_met(not touched and not r['failed'])} |"
        )
    return out


def org_section(org: dict[str, Any]) -> str:
    name = "acme" if org["org"] == "acme" else f"{int(org['org']):,} releases"
    lines = [f"### {name}\n"]
    if "generated" in org:
        g, seeded = org["generated"], org["seeded"]
        lines.append(
            f"Generated: {g['releases']:,} releases; created in Notion before the first sync: "
            + ", ".join(f"{n:,} {k.replace('_', ' ')}" for k, n in seeded.items())
            + ".\n"
        )
    lines += [*_targets(org), "", *_summary(org), "", *_endpoints(org), ""]
    lines += [*_windows(org), ""]
    change = org["changed"]
    lines.append(f"One change: {change['release']} launch date {change['launch_date']}. Applied:\n")
    lines += [f"- {line}" for line in org["change"]["applied"]]
    lines.append(f"\n{org['wall_s']} s in all (setup {org['setup_s']} s).\n")
    return "\n".join(lines)


def pace_section(paces: list[dict[str, Any]]) -> str:
    out = [
        "| pace (req/s) | emulator limit | requests | sync s | write window s | requests/s in "
        "window | share of limit | writes/s in window | 429s | failed ops | target ≥ 90% |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in paces:
        a = p["apply"]
        ok = p["share_of_limit"] >= TARGET_SHARE and not p["failed"]
        out.append(
            f"| {p['pace']} | {p['limit']:g} | {p['requests']} | {p['sync_s']} | {a['seconds']} "
            f"| {a['requests_per_s']} | {p['share_of_limit']:.0%} | {a['writes_per_s']} "
            f"| {p['rate_limited_429']} | {len(p['failed'])} | {_met(ok)} |"
        )
    return "\n".join(out)


def markdown(results: dict[str, Any]) -> str:
    parts = [org_section(org) for org in results["orgs"]]
    if results["paces"]:
        heading = "### Pace against a rate-limited emulator\n\n"
        parts.append(heading + pace_section(results["paces"]))
    return "\n".join(parts)
