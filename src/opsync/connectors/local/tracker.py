"""The local tracker: releases exported from a tracker as a YAML list or a CSV file.

CSV is what Jira and Linear export; YAML is what people write by hand. Both end as the same
rows keyed by release key. A row without a key, or a key used twice, is a finding on that
row; the other rows are still read.

Parsing YAML is most of a large read (about 12 s for 100,000 releases), and a tracker file
changes a few rows at a time, so the read keeps its rows (the workspace's read cache) and
:func:`parse_tracker_again` parses only the list items whose text changed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import time
from pathlib import Path
from typing import Any

import yaml

from opsync.connectors.base import TrackerRead
from opsync.connectors.local import frontmatter, readcache
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
    return _tracker_read(_rows(text, path), path)[0]


def _tracker_read(rows: list[tuple[Where, Any]], path: Path) -> tuple[TrackerRead, bool]:
    """The read of ``rows``, and whether every row is within bounds (a row that is not,
    an alias for one, reads back from the cache as a plain row: such a file is not kept)."""
    read = TrackerRead(source=str(path))
    bounded = True
    for (record, words), row in rows:
        try:
            frontmatter.check_bounds(row)
        except frontmatter.FrontMatterError as exc:
            read.findings.append(_bad(record, "releases", f"{words}: tracker row: {exc}"))
            bounded = False
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
    return read, bounded


#: A line that starts a top-level list item, and a line at column 0 that neither starts one
#: nor is blank or a comment (a document marker, a directive, a mapping, a flow list, a
#: byte order mark): with one of those the file is parsed whole.
_ITEM = re.compile(r"^-(?=[ \t\r\n]|$)", re.M)
_OTHER = re.compile(r"^(?!-[ \t\r\n]|-$|[ \t\r\n#]|$)", re.M)


def split_items(text: str) -> list[str] | None:
    """The top-level items of a YAML list, each with the blank and comment lines after it,
    when the file is one block list with its items at column 0 (what exports and people
    write); None otherwise. Each item's text then parses alone to what it is in the file,
    which :func:`parse_tracker_again` checks: an item that does not parse alone to one
    item (a quoted value running over a line that starts with ``- ``, an alias of an
    anchor in another item) has the whole file parsed."""
    if _OTHER.search(text):
        return None
    starts = [m.start() for m in _ITEM.finditer(text)]
    if not starts:
        return None
    head = text[: starts[0]]
    if any(line.strip() and not line.lstrip().startswith("#") for line in head.splitlines()):
        return None
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


def _item_digest(item: str) -> str:
    return hashlib.blake2b(item.encode(), digest_size=16).hexdigest()


def _list_item(index: int, path: Path) -> Where:
    return (f"{path.name}[{index}]", f"{path}[{index}] (list item {index + 1})")


def _encoded(rows: list[tuple[Where, Any]], digests: list[str] | None) -> Any:
    """What the read cache keeps of a parse: each list item's digest and row (a YAML list
    split into items), or each row with where it sits (CSV, a ``releases:`` mapping, a list
    whose items could not be split); None when a value cannot be kept exactly."""
    try:
        if digests is not None:
            return {
                "items": [[d, readcache.encode(r)] for d, (_, r) in zip(digests, rows, strict=True)]
            }
        return {"rows": [[record, words, readcache.encode(r)] for (record, words), r in rows]}
    except readcache.Uncacheable:
        return None


def tracker_from_kept(kept: Any, path: Path) -> TrackerRead | None:
    """The read of a tracker file whose stat is the one its kept parse was made from (the
    read cache's payload); None when the payload is not one this version made."""
    try:
        if "items" in kept:
            rows = [(_list_item(i, path), row) for i, (_, row) in enumerate(kept["items"])]
        else:
            rows = [((record, words), row) for record, words, row in kept["rows"]]
    except (TypeError, ValueError, KeyError):
        return None
    return _tracker_read(rows, path)[0]


def parse_tracker_again(text: str, path: Path, kept: Any) -> tuple[TrackerRead, Any]:
    """:func:`parse_tracker`, and what to keep for the next read. Of a YAML list, only the
    items whose text is not among the ``kept`` ones (the previous read's payload, or None)
    are parsed, each alone; the result is the whole file's parse (tests/unit/
    test_tracker_items.py checks this against random edits)."""
    items = None if path.suffix.lower() == ".csv" else split_items(text)
    if items is None:
        return _kept_read(_rows(text, path), None, path)
    digests = [_item_digest(item) for item in items]
    known: dict[str, Any] = {}
    if isinstance(kept, dict) and isinstance(kept.get("items"), list):
        try:
            known = {d: row for d, row in kept["items"] if isinstance(d, str)}
        except (TypeError, ValueError):
            known = {}  # a damaged row: the file is parsed whole
    rows = _items_again(items, digests, known, path) if known else None
    if rows is None:  # the first read, or an item that does not parse alone
        rows = _rows(text, path)
        if len(rows) != len(items):  # a line starting with `- ` that starts no item
            return _kept_read(rows, None, path)
    return _kept_read(rows, digests, path)


def _kept_read(
    rows: list[tuple[Where, Any]], digests: list[str] | None, path: Path
) -> tuple[TrackerRead, Any]:
    read, bounded = _tracker_read(rows, path)
    return read, _encoded(rows, digests) if bounded else None


def _items_again(
    items: list[str], digests: list[str], known: dict[str, Any], path: Path
) -> list[tuple[Where, Any]] | None:
    rows: list[tuple[Where, Any]] = []
    for index, (item, item_digest) in enumerate(zip(items, digests, strict=True)):
        if item_digest in known:
            row = known[item_digest]
        else:
            try:
                loaded = yaml.load(item, Loader=frontmatter.TolerantLoader)
            except yaml.YAMLError:
                return None
            if not isinstance(loaded, list) or len(loaded) != 1:
                return None
            row = loaded[0]
        rows.append((_list_item(index, path), row))
    return rows


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
