"""The local tracker: releases exported from a tracker as a YAML list or a CSV file.

CSV is what Jira and Linear export; YAML is what people write by hand. Both end as the same
rows keyed by release key. A row without a key, or a key used twice, is a finding on that
row; the other rows are still read.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import yaml

from opsync.connectors.base import TrackerRead
from opsync.connectors.local import frontmatter
from opsync.domain import Collection, Finding, Level, ref
from opsync.errors import ConfigError


def _bad(record: str, field: str, message: str) -> Finding:
    return Finding(
        code="record.invalid", record=record, field=field, level=Level.ERROR, message=message
    )


def _rows(text: str, path: Path) -> list[Any]:
    if path.suffix.lower() == ".csv":
        rows: list[Any] = [
            {k: (v if v != "" else None) for k, v in r.items()}
            for r in csv.DictReader(io.StringIO(text))
        ]
        for row in rows:
            if row.get("launch_date_history"):
                row["launch_date_history"] = yaml.load(
                    row["launch_date_history"], Loader=frontmatter.SafeLoader
                )
        return rows
    try:
        loaded = yaml.load(text, Loader=frontmatter.TolerantLoader) or []
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"the tracker export {path} is not valid YAML: {exc}",
            key="connectors.local.tracker",
            hint="fix the file at the line shown (the tracker's export; opsync never writes it)",
        ) from None
    found = loaded.get("releases", []) if isinstance(loaded, dict) else loaded
    return list(found) if isinstance(found, list) else []


def parse_tracker(text: str, path: Path) -> TrackerRead:
    """Rows of a tracker export by release key, with findings for rows that cannot be used."""
    read = TrackerRead(source=str(path))
    source = str(path)
    for index, row in enumerate(_rows(text, path)):
        try:
            frontmatter.check_bounds(row)
        except frontmatter.FrontMatterError as exc:
            read.findings.append(_bad(f"{source}#{index + 1}", "releases", f"tracker row: {exc}"))
            continue
        key = str(row.get("key") or "").strip() if isinstance(row, dict) else ""
        if not key:
            read.findings.append(
                _bad(f"{source}#{index + 1}", "releases", "tracker row has no `key`; add one")
            )
            continue
        if key in read.rows:
            read.findings.append(
                _bad(
                    ref(Collection.RELEASES, key),
                    "key",
                    f"{source}: release key {key!r} appears twice; the second row is ignored",
                )
            )
            continue
        read.rows[key] = row
    return read
