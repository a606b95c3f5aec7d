"""The hostile records of tests/reliability/corpus synced into Notion (the emulator): bad
tracker rows and bad Notion rows are findings naming the record and field, every name lands
as the literal text it was (Notion rich text has no markup to escape into, so "escaped"
means: the same characters, no link or annotation made from them, long text split within
Notion's limits and whole when joined), and everything else syncs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import reliability_fixtures
import yaml
from reliability_results import Results
from reliability_targets import NotionTarget
from test_reliability_corpus import CORPUS, RECORDS, _sync

from opsync.testing.emulators.notion import NotionEmulator

# each trial restores or deletes the state store's folder: the state is the SQLite file
pytestmark = pytest.mark.sqlite_state

results = reliability_fixtures.results
seeded_emulator = reliability_fixtures.seeded_emulator
target = reliability_fixtures.target

MAX_TEXT = 2000  # characters of one rich text object (NOTES.md)
# Rows a person adds in Notion: two with one key, and a decision named with markup.
MARKUP = "<script>alert('opsync')</script> [link](javascript:alert(1)) **bold**"
NOTION_FINDINGS = {"decisions/DEC-NDUP": "key"}


def _hostile_rows() -> dict[str, str]:
    """Release key → title of the corpus rows that are valid releases (the others are
    findings), parsed without YAML's date typing (one date is impossible on purpose)."""
    text = (CORPUS / "records" / "releases.yaml").read_text(encoding="utf-8")
    rows = yaml.load(text, Loader=yaml.BaseLoader)
    skipped = {r.partition("/")[2] for r in RECORDS["findings"] if r.startswith("releases/")}
    return {r["key"]: r["title"] for r in rows if r["key"] not in skipped}


def _texts(value: Any) -> list[dict[str, Any]]:
    """Every rich text object anywhere in a JSON value."""
    if isinstance(value, dict):
        if value.get("type") == "text" and "plain_text" in value:
            return [value]
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def _person_rows(target: NotionTarget) -> None:
    from notion_client import Client

    source = target.settings.collections["decisions"].data_source_id  # type: ignore[index]
    emulator: NotionEmulator = target.emulator
    person = Client(auth=emulator.person_token, base_url=emulator.base_url, retry=False)
    try:
        schema = person.data_sources.retrieve(source)["properties"]
        [title] = [n for n, p in schema.items() if p["type"] == "title"]
        for name in ("First row of DEC-NDUP", MARKUP):
            key = "DEC-NDUP" if name.startswith("First") else "DEC-MARKUP"
            for _ in range(2 if key == "DEC-NDUP" else 1):
                person.pages.create(
                    parent={"type": "data_source_id", "data_source_id": source},
                    properties={
                        title: {"title": [{"text": {"content": name}}]},
                        "opsync key": {"rich_text": [{"text": {"content": key}}]},
                    },
                )
    finally:
        person.close()


@pytest.mark.parametrize("target", ["notion"], indirect=True)
def test_bad_records_through_notion_are_findings_or_literal_text_and_the_rest_syncs(
    target: NotionTarget, tmp_path: Path, results: Results
) -> None:
    target.restore()
    with target.session():
        _sync(target.config, tmp_path / "clean.json")
    clean = json.loads((tmp_path / "clean.json").read_text(encoding="utf-8"))
    target.restore()
    tracker = target.work / "tracker" / "releases.yaml"
    hostile = (CORPUS / "records" / "releases.yaml").read_text(encoding="utf-8")
    tracker.write_text(tracker.read_text(encoding="utf-8") + "\n" + hostile, encoding="utf-8")
    _person_rows(target)
    report_path = tmp_path / "report.json"
    with target.session():
        code, output = _sync(target.config, report_path)
    assert code == 5, output  # completed; some input could not be read
    report = json.loads(report_path.read_text(encoding="utf-8"))
    found = {(f["record"], f["field"], f["code"]) for f in report["findings"]}
    wanted = {(r, f, "record.invalid") for r, f in RECORDS["findings"].items() if "/REL-" in r}
    wanted |= {(r, f, "record.duplicate") for r, f in NOTION_FINDINGS.items()}
    wanted |= {(r, f, "record.untitled") for r, f in RECORDS["warnings"].items()}
    problems = [f"{r}: no {c} finding on {f}" for r, f, c in sorted(wanted - found)]

    world = target.dump()
    texts = _texts(world)
    problems += [f"a link was made from a name: {t['href']}" for t in texts if _hostile_link(t)]
    problems += [
        f"{len(t['text']['content'])} characters in one text object"
        for t in texts
        if len(t["text"]["content"]) > MAX_TEXT
    ]
    releases = {
        _joined(row["props"], "opsync key"): _title(row["props"]) for row in world["Releases"]
    }
    for key, title in _hostile_rows().items():
        if releases.get(key) != title:
            problems.append(
                f"{key}: its Notion title is not the tracker's, character for character"
            )
    # Whole inside one text object: not cut into pieces formatted as the markup said.
    for title in (MARKUP, *(t for k, t in _hostile_rows().items() if k != "REL-LONG" and t)):
        if not any(title in t["plain_text"] for t in texts):
            problems.append(f"{title[:40]!r} is not in Notion as written")
    tried = len(wanted) + len(_hostile_rows()) + 1
    results.add(
        "bad records",
        "notion",
        "bad dates, tiers, titles, markup, duplicate keys (tracker rows and Notion rows)",
        tried,
        tried - len(problems),
    )
    assert problems == [], "\n".join(problems)
    # The rest of the organisation synced: all a clean run writes, and the new releases
    assert report["failed"] == [] and report["writes"] > clean["writes"] > 0
    with target.session():
        code, output = _sync(target.config, report_path)
    again = json.loads(report_path.read_text(encoding="utf-8"))
    assert (code, again["writes"], again["conflicts"]) == (5, 0, []), output


def _hostile_link(text: dict[str, Any]) -> bool:
    link = str(text.get("href") or "") + str((text["text"].get("link") or {}).get("url") or "")
    return "javascript" in link or "alert(" in link


def _joined(props: dict[str, Any], name: str) -> str:
    prop = props.get(name) or {}
    return "".join(t["plain_text"] for t in prop.get(prop.get("type", ""), []) or [])


def _title(props: dict[str, Any]) -> str:
    [name] = [n for n, p in props.items() if p.get("type") == "title"]
    return _joined(props, name)
