"""The local tracker: releases exported from a tracker as a YAML list or a CSV file.

CSV is what Jira and Linear export; YAML is what people write by hand. Both end as the same
rows keyed by release key. A row without a key, or a key used twice, is a finding on that
row; the other rows are still read.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import time
from pathlib import Path
from typing import Any

import yaml

from opsync.connectors.base import TrackerRead
from opsync.connectors.local import frontmatter
from opsync.connectors.local.readcache import RACY_NS
from opsync.domain import Collection, Finding, Level, ref
from opsync.errors import ConfigError


def _bad(record: str, field: str, message: str) -> Finding:
    return Finding(
        code="record.invalid", record=record, field=field, level=Level.ERROR, message=message
    )


#: Where a row sits in its file, for a person to find it: a CSV row's first line (a quoted
#: value may span several), a YAML list item's index (0-based, as ``releases[4]``).
Where = tuple[str, str]  # (the finding's record, the words naming it in a message)


def _csv_rows(text: str, path: Path) -> list[tuple[Where, Any]]:
    rows: list[tuple[Where, Any]] = []
    reader = csv.DictReader(io.StringIO(text))
    line = reader.line_num + 1
    for raw in reader:
        where = (f"{path.name}:{line}", f"{path}, line {line}")
        line = reader.line_num + 1
        row: dict[str, Any] = {k: (v if v != "" else None) for k, v in raw.items()}
        history = row.get("launch_date_history")
        if history:
            try:
                row["launch_date_history"] = yaml.load(history, Loader=frontmatter.SafeLoader)
            except yaml.YAMLError as exc:
                mark = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                row = {"__problem__": f"`launch_date_history` is not valid YAML ({mark})"}
        rows.append((where, row))
    return rows


def _rows(text: str, path: Path) -> list[tuple[Where, Any]]:
    if path.suffix.lower() == ".csv":
        return _csv_rows(text, path)
    try:
        loaded = yaml.load(text, Loader=frontmatter.TolerantLoader) or []
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"the tracker export {path} is not valid YAML: {exc}",
            key="connectors.local.tracker",
            hint="fix the file at the line shown (the tracker's export; opsync never writes it)",
        ) from None
    found = loaded.get("releases", []) if isinstance(loaded, dict) else loaded
    inside = ":releases" if isinstance(loaded, dict) else ""
    items = list(found) if isinstance(found, list) else []
    return [
        ((f"{path.name}{inside}[{i}]", f"{path}{inside}[{i}] (list item {i + 1})"), row)
        for i, row in enumerate(items)
    ]


def _key(row: Any) -> tuple[str, str | None]:
    """(the row's key, or "" and why it has none usable)."""
    if not isinstance(row, dict):
        return "", f"the row is a {type(row).__name__}, not a mapping of fields"
    if "__problem__" in row:
        return "", str(row["__problem__"])
    value = row.get("key")
    if isinstance(value, dict | list):
        kind = "mapping" if isinstance(value, dict) else "list"
        return "", f"its `key` is a {kind}, where a text like ACME-101 is expected"
    key = str(value if value is not None else "").strip()
    return key, None if key else "it has no `key`; add one"


def parse_tracker(text: str, path: Path) -> TrackerRead:
    """Rows of a tracker export by release key, with findings for rows that cannot be used:
    each names the file and the row (CSV line, YAML list index), and the other rows are
    still read."""
    read = TrackerRead(source=str(path))
    for (record, words), row in _rows(text, path):
        try:
            frontmatter.check_bounds(row)
        except frontmatter.FrontMatterError as exc:
            read.findings.append(_bad(record, "releases", f"{words}: tracker row: {exc}"))
            continue
        key, problem = _key(row)
        if problem is not None:
            read.findings.append(_bad(record, "key", f"{words}: tracker row skipped: {problem}"))
            continue
        if key in read.rows:
            read.findings.append(
                _bad(
                    ref(Collection.RELEASES, key),
                    "key",
                    f"{words}: release key {key!r} appears twice; the second row is ignored",
                )
            )
            continue
        read.rows[key] = row
    return read


def tracker_fingerprint(path: Path, encoding: str) -> str | None:
    """A digest of what a read of the tracker export depends on, from its ``stat`` (no
    file opened; through a link, as the read goes): path, size, ``mtime_ns``, inode,
    ``ctime_ns``, and the encoding it is read in. Equal digests: the read would see the
    same file unchanged. None (unknown) while the file's ``mtime`` is less than 2 s old: a
    rewrite within its timestamp's tick would keep its whole stat."""
    try:
        st = os.stat(path)
    except OSError:
        seen = "-"
    else:
        if st.st_mtime_ns + RACY_NS > time.time_ns():
            return None
        seen = f"{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\0{st.st_ctime_ns}"
    text = f"tracker\0{path}\0{encoding}\0{seen}"
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
