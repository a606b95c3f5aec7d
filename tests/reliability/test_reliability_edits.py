"""A person edits while opsync runs: between its read and its first write (a Reporter hook
at the "apply" stage), they change text inside an owned page region, a person-owned field,
an owned field opsync is about to write, or trash a record opsync is about to update.
Nothing of theirs may be lost: their text is still there after the run, and the run says so
(a conflict or a failed operation naming the record, or a conflict on the next run).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
import reliability_fixtures
from reliability_atlassian import AtlassianTarget
from reliability_results import Results
from reliability_slack import SlackTarget
from reliability_targets import NOW, LocalTarget, NotionTarget, Target

from opsync import api
from opsync.connectors.local import frontmatter
from opsync.connectors.notion.config import property_names
from opsync.domain import Collection
from opsync.testing.reporters import EditWhenApplying

results = reliability_fixtures.results
seeded_emulator = reliability_fixtures.seeded_emulator
target = reliability_fixtures.target
atlassian_emulators = reliability_fixtures.atlassian_emulators
messaging = reliability_fixtures.messaging

TEXT = "HUMAN-DURING-RUN"
EDITS = {  # edit → (record or page it touches, operation the run has planned for it)
    "owned page region": "pages/scorecard/2026-Q4",
    "person-owned field": "decisions/DEC-017",
    "owned field opsync is writing": "decisions/DEC-019",
    "record trashed": "decisions/DEC-021",
}
WRITTEN: dict[str, tuple[str, str, Any]] = {}  # Notion: row id, property, value set


def _local_edit(target: LocalTarget | SlackTarget, kind: str) -> Callable[[], None]:
    wiki, pages = target.work / "wiki", target.work / "pages"

    def edit() -> None:
        if kind == "owned page region":
            path = pages / "scorecard" / "2026-Q4.md"
            text = path.read_text(encoding="utf-8")
            head, marker, rest = text.partition("<!-- opsync:begin")
            line_end = rest.index("\n") + 1
            path.write_text(f"{head}{marker}{rest[:line_end]}{TEXT}\n{rest[line_end:]}", "utf-8")
        elif kind == "record trashed":
            (wiki / "decisions" / "DEC-021.md").unlink()
        else:
            ref = EDITS[kind]
            field = "rationale" if kind == "person-owned field" else "review_due"
            path = wiki / f"{ref}.md"
            text = frontmatter.set_keys(path.read_text(encoding="utf-8"), {field: TEXT})
            path.write_text(text, encoding="utf-8")

    return edit


def _notion_edit(target: NotionTarget, kind: str) -> Callable[[], None]:
    from notion_client import Client

    def edit() -> None:
        person = Client(
            auth=target.emulator.person_token, base_url=target.emulator.base_url, retry=False
        )
        try:
            if kind == "owned page region":
                page = target._pages_by_key()["scorecard/2026-Q4"]
                blocks = person.blocks.children.list(page)["results"]
                callout = next(b for b in blocks if b["type"] == "callout")
                inner = person.blocks.children.list(callout["id"])["results"][0]
                kind_ = inner["type"]
                rich = [{"type": "text", "text": {"content": TEXT}}]
                person.blocks.update(inner["id"], **{kind_: {"rich_text": rich}})
                return
            collection, _, key = EDITS[kind].partition("/")
            names = property_names(target.settings, Collection(collection))
            source = target.settings.collections[Collection(collection)].data_source_id
            row = person.data_sources.query(
                source, filter={"property": names["key"], "rich_text": {"equals": key}}
            )["results"][0]
            if kind == "record trashed":
                person.pages.update(row["id"], in_trash=True)
                return
            field = "rationale" if kind == "person-owned field" else "review_due"
            prop = row["properties"][names[field]]
            value: Any = (
                {"checkbox": not prop["checkbox"]}
                if prop["type"] == "checkbox"
                else {"rich_text": [{"type": "text", "text": {"content": TEXT}}]}
            )
            person.pages.update(row["id"], properties={names[field]: value})
            WRITTEN[kind] = (row["id"], names[field], value)
        finally:
            person.close()

    return edit


def _atlassian_edit(target: AtlassianTarget, kind: str) -> Callable[[], None]:
    """A person's save in the Confluence editor (a new page version), between opsync's
    read of the page and its write."""

    def edit() -> None:
        if kind == "owned page region":
            page = target.generated_id("scorecard/2026-Q4")
            start = '<ac:parameter ac:name="opsync-region">scorecard</ac:parameter>'
            start += "<ac:rich-text-body>"
            body = target.body(page)
            assert start in body, body[:300]
            target.confluence.edit(page, body.replace(start, f"{start}<p>{TEXT}</p>", 1))
        elif kind == "record trashed":
            with target.confluence.world.lock:
                target.confluence.world.pages[target.record_page(EDITS[kind])].status = "trashed"
        else:
            field = "rationale" if kind == "person-owned field" else "review_due"
            target.set_cell(EDITS[kind], field, TEXT)

    return edit


def _kept(target: Target, kind: str) -> bool:
    """Whether the person's edit is still there after the run."""
    dump = repr(target.dump())
    if kind == "record trashed":
        if isinstance(target, AtlassianTarget):
            return "Decisions DEC-021" not in dump
        if isinstance(target, LocalTarget | SlackTarget):
            return not (target.work / "wiki" / "decisions" / "DEC-021.md").exists()
        return "DEC-021" not in dump.split("'Decisions'")[1].split("'Insights'")[0]
    if kind == "owned field opsync is writing" and isinstance(target, NotionTarget):
        row, name, value = WRITTEN[kind]
        world = target.emulator._world
        props = world.page_json(world.pages[row])["properties"]
        return bool(props[name]["checkbox"] == value["checkbox"])
    return TEXT in dump


@pytest.mark.parametrize("kind", list(EDITS))
def test_a_person_editing_between_read_and_write_loses_nothing(
    target: Target, kind: str, results: Results
) -> None:
    target.restore()
    if isinstance(target, LocalTarget | SlackTarget):
        edit = _local_edit(target, kind)
    elif isinstance(target, AtlassianTarget):
        edit = _atlassian_edit(target, kind)
    else:
        edit = _notion_edit(target, kind)  # type: ignore[arg-type]
    now = datetime.fromisoformat(NOW)
    with target.session():
        report = api.sync(target.config, now=now, reporter=EditWhenApplying(edit))
        kept = _kept(target, kind)
        named = {op.target for op, _ in report.failed} | {c.target for c in report.conflicts}
        said = EDITS[kind].removeprefix("pages/") in named
        if not said:  # or the next run shows it as a conflict
            after = api.plan(target.config, now=now)
            said = any(c.target in EDITS[kind] for c in after.plan.conflicts)
    held = kept and (said or kind == "person-owned field")
    results.add("edits during a run", target.name, kind, 1, int(held))
    assert held, (kind, kept, said, report.failed)
