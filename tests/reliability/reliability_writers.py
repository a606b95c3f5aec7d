"""Helpers of the two-writer sweep (``test_reliability_two_writers.py``): a second checkout
of a target's config, the writer processes, a person's edits while they run, and what the
target holds by key.

A second checkout is a folder of its own with a copy of the target's config whose local
folders (tracker, wiki, pages, outbox) are the first checkout's, by absolute path: the same
workspace (or, for Notion, the same databases and the same outbox) written from two state
stores, as a server and a laptop would.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from reliability_targets import NOW, LocalTarget, NotionTarget, Target

from opsync.connectors.local import frontmatter
from opsync.connectors.notion.config import property_names
from opsync.domain import Collection

LAUNCHER = Path(__file__).with_name("kill_launcher.py")
EDITS = ("outside a region", "owned region", "person-owned field")
# Where the person edits: pages and a record the sync at NOW rewrites.
OUTSIDE_PAGE = "decision-review/2026-12-08"
REGION_PAGE = "scorecard/2026-Q4"
FIELD = ("decisions/DEC-019", "rationale")
_SHARED = ("tracker", "wiki", "pages", "outbox")


def second_checkout(target: Target, folder: Path) -> Path:
    """A copy of the target's config in ``folder`` (its own state store there), writing into
    the target's folders."""
    folder.mkdir(parents=True, exist_ok=True)
    text = target.config.read_text(encoding="utf-8")
    head, section, rest = text.partition("[connectors.local]")
    assert section, f"no [connectors.local] in {target.config}"
    body, nxt, tail = rest.partition("\n[")

    def absolute(match: re.Match[str]) -> str:
        if match[1] not in _SHARED:
            return match[0]
        return f'{match[1]} = "{(target.work / match[2]).as_posix()}"'

    body, changed = re.subn(r'(?m)^(\w+) = "([^"]+)"$', absolute, body)
    assert changed >= 4, body
    config = folder / target.config.name
    body = "\nallow_outside = true" + body  # the shared folders are the first checkout's
    config.write_text(head + section + body + nxt + tail, encoding="utf-8")
    return config


def state_folder(config: Path) -> Path:
    return config.parent / ".opsync"


@dataclass
class Writer:
    """One ``opsync sync`` process (under the kill launcher), its output in files."""

    name: str
    config: Path
    proc: subprocess.Popen[str]
    report: Path
    err: IO[str]

    def poll(self) -> int | None:
        return self.proc.poll()

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.err.close()

    def writes(self) -> int:
        """Writes its JSON report counts (none when the run did not start: exit 4 at once)."""
        if not self.report.is_file():
            return 0
        import json

        return int(json.loads(self.report.read_text(encoding="utf-8")).get("writes") or 0)

    def stderr(self) -> str:
        return Path(self.err.name).read_text(encoding="utf-8", errors="replace")[-600:]


def start(target: Target, name: str, config: Path, logs: Path, **env: str) -> Writer:
    report = logs / f"{name}.json"
    report.unlink(missing_ok=True)
    err = (logs / f"{name}.err").open("w", encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPSYNC_KILL", "OPSYNC_P"))}
    command = [sys.executable, str(LAUNCHER), "sync", "--config", str(config), "--now", NOW]
    proc = subprocess.Popen(
        [*command, "--quiet", "--report-json", str(report)],
        env={**clean, **target.env(), **env},
        stdout=subprocess.DEVNULL,
        stderr=err,
        text=True,
    )
    return Writer(name, config, proc, report, err)


def text_of(kind: str, trial: int) -> str:
    """The text a person types in trial ``trial``: searched for verbatim at the end."""
    return f"HUMAN-TW-{trial}-{kind.replace(' ', '-')}"


# A person's edit while the writers run ------------------------------------------------


def edit(target: Target, kind: str, text: str) -> None:
    if isinstance(target, LocalTarget):
        _edit_local(target.work, kind, text)
    else:
        assert isinstance(target, NotionTarget)
        _edit_notion(target, kind, text)


def _save(path: Path, text: str) -> None:
    """As an editor saves: a whole new file put in place (never a half-written one)."""
    temp = path.with_name(f".{path.name}.person-save")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def _edit_local(work: Path, kind: str, text: str) -> None:
    if kind == "person-owned field":
        path = work / "wiki" / f"{FIELD[0]}.md"
        _save(path, frontmatter.set_keys(path.read_text(encoding="utf-8"), {FIELD[1]: text}))
    elif kind == "owned region":
        path = work / "pages" / f"{REGION_PAGE}.md"
        page = path.read_text(encoding="utf-8")
        head, marker, rest = page.partition("<!-- opsync:begin")
        line_end = rest.index("\n") + 1
        _save(path, f"{head}{marker}{rest[:line_end]}{text}\n{rest[line_end:]}")
    else:
        path = work / "pages" / f"{OUTSIDE_PAGE}.md"
        _save(path, path.read_text(encoding="utf-8") + f"\n{text}\n")


def _edit_notion(target: NotionTarget, kind: str, text: str) -> None:
    from notion_client import Client

    person = Client(
        auth=target.emulator.person_token, base_url=target.emulator.base_url, retry=False
    )
    rich = [{"type": "text", "text": {"content": text}}]
    try:
        if kind == "person-owned field":
            collection, _, key = FIELD[0].partition("/")
            names = property_names(target.settings, Collection(collection))
            source = target.settings.collections[Collection(collection)].data_source_id
            row = person.data_sources.query(
                source, filter={"property": names["key"], "rich_text": {"equals": key}}
            )["results"][0]
            person.pages.update(row["id"], properties={names[FIELD[1]]: {"rich_text": rich}})
        elif kind == "owned region":
            _type_in_region(person, target._pages_by_key()[REGION_PAGE], rich)
        else:
            page = target._pages_by_key()[OUTSIDE_PAGE]
            paragraph = {"object": "block", "type": "paragraph", "paragraph": {"rich_text": rich}}
            person.blocks.children.append(page, children=[paragraph])
    finally:
        person.close()


def _type_in_region(person: Any, page: str, rich: list[dict[str, Any]]) -> None:
    """Type into the region's first block. Notion refuses an edit to a block that has just
    gone to the trash ("Can't edit block that is archived"): the person sees the block
    vanish and types again into what the region now holds, as they would in the app."""
    from notion_client import APIResponseError

    for attempt in range(5):
        blocks = person.blocks.children.list(page)["results"]
        callout = next(b for b in blocks if b["type"] == "callout")
        inner = person.blocks.children.list(callout["id"])["results"][0]
        try:
            person.blocks.update(inner["id"], **{inner["type"]: {"rich_text": rich}})
            return
        except APIResponseError as error:
            if "archived" not in str(error) or attempt == 4:
                raise


# What the target holds ----------------------------------------------------------------


def _key(path: Path, field: str) -> str | None:
    try:
        value = frontmatter.split(path.read_text(encoding="utf-8")).data.get(field)
    except Exception:  # a file a person broke: not opsync's to count
        return None
    return None if value is None else str(value)


def duplicates(target: Target) -> list[str]:
    """Keys held more than once: wiki records by their front-matter key (per collection),
    pages and outbox copies by ``opsync_key`` (copies per channel folder); for Notion, rows
    by ``opsync key`` (per data source) too."""
    keys: Counter[str] = Counter()
    work = target.work
    for folder, field in (("wiki", "key"), ("pages", "opsync_key"), ("outbox", "opsync_key")):
        root = work / folder
        for path in sorted(root.rglob("*.md")) if root.is_dir() else []:
            key = _key(path, field) or (path.stem if folder == "wiki" else None)
            if key is None:
                continue
            where = path.relative_to(root).parts[0]  # collection, page kind or channel
            keys[f"{folder}/{where}:{key}"] += 1
    found = sorted(k for k, n in keys.items() if n > 1)
    if isinstance(target, NotionTarget):
        dump: dict[str, Any] = target.dump()
        for source, rows in dump["duplicates"].items():
            found += [f"notion {source}:{key}" for key in rows]
    return found


__all__ = ["EDITS", "Writer", "duplicates", "edit", "second_checkout", "start", "text_of"]
