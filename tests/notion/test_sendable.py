"""What the connector sends is what Notion takes (issue 14, "Trust"): no link Notion cannot
open, only documented code languages, no empty table, no select option with a comma, and
text measured in UTF-16 units. The emulator refuses each of these now
(tests/contract/test_notion_emulator_strict.py); these tests pin the connector's side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from opsync.config import parse_config
from opsync.connectors.context import ConnectorContext
from opsync.connectors.notion.blocks import (
    CODE_LANGUAGES,
    code_language,
    linkable,
    render_blocks,
    render_inline,
)
from opsync.connectors.notion.bootstrap import unwritable_keys
from opsync.connectors.notion.chunks import split_text, utf16_len
from opsync.connectors.notion.config import NotionConnectorConfig
from opsync.connectors.notion.factory import factory
from opsync.connectors.notion.properties import PropertyWriteError, build_value
from opsync.documents import model as doc
from opsync.domain.people import Person, ProductArea
from opsync.errors import ConfigError
from opsync.testing.emulators import notion_rich

DB = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    "url",
    [
        "weekly.md",
        "/pages/bundle/ACME-125",
        "../releases.md",
        "#summary",
        "https://",
        "zotero://select/items/1",
        "https://example.com/" + "😀" * 1000,  # 1020 characters, 2020 UTF-16 units
    ],
)
def test_a_link_notion_cannot_open_becomes_plain_text(url: str) -> None:
    assert not linkable(url)
    assert not notion_rich.valid_link(url) or utf16_len(url) > 2000  # refused either way
    run = render_inline(doc.Link(text="the weekly update", url=url))
    assert run == {"type": "text", "text": {"content": "the weekly update"}}


@pytest.mark.parametrize(
    "url", ["https://acme.example/weekly", "http://example.com", "mailto:pm@acme.example"]
)
def test_an_absolute_link_is_kept(url: str) -> None:
    assert linkable(url) and notion_rich.valid_link(url)
    assert render_inline(doc.Link(text="x", url=url))["text"]["link"] == {"url": url}


def test_code_languages_are_the_documented_ones_and_anything_else_is_plain_text() -> None:
    assert set(notion_rich.CODE_LANGUAGES) == CODE_LANGUAGES  # the emulator's list, the docs'
    assert code_language("Python") == "python"
    assert code_language("ts") == "typescript"
    assert code_language("sh") == "shell"
    assert code_language("brainfuck") == code_language(None) == "plain text"
    for name in ("", "text", "c++", "yml", "?"):
        assert code_language(name) in CODE_LANGUAGES


def test_the_renderer_sends_no_code_block_and_no_empty_table() -> None:
    nodes = (
        doc.heading(2, "h"),
        doc.para("p", doc.Link(text="l", url="weekly.md")),
        doc.bullets("a", "b"),
        doc.table((), []),
        doc.region("r", doc.table((), [])),
        doc.table(("A", "B"), [((doc.text("1"),),)]),
    )
    blocks = render_blocks(nodes)

    def kinds(payloads: list[dict[str, Any]]) -> list[str]:
        out = []
        for block in payloads:
            kind = block["type"]
            out.append(kind)
            out += kinds(block[kind].get("children", []))
        return out

    assert "code" not in kinds(blocks)
    tables = [b for b in blocks if b["type"] == "table"]
    assert len(tables) == 1  # the empty tables are left out
    rows = tables[0]["table"]["children"]
    assert rows and all(len(r["table_row"]["cells"]) == 2 for r in rows)  # padded to width


def test_long_text_is_cut_in_utf16_units_between_surrogate_pairs() -> None:
    pieces = split_text("a" + "🚀" * 1500)
    assert [utf16_len(p) for p in pieces] == [1999, 1002]
    assert all(not ("\ud800" <= p[-1] <= "\udfff") for p in pieces)  # no lone surrogate
    assert "".join(pieces) == "a" + "🚀" * 1500
    with pytest.raises(PropertyWriteError):
        build_value("url", "https://acme.example/" + "🚀" * 1000)  # 2021 units > 2000


def test_a_select_value_with_a_comma_is_not_sent() -> None:
    with pytest.raises(PropertyWriteError, match="commas"):
        build_value("select", "BI, Data")
    with pytest.raises(PropertyWriteError, match="commas"):
        build_value("multi_select", ["ok", "a,b"])


def load(tmp_path: Path, notion: dict[str, Any]) -> ConfigError:
    data = {
        "org": {"name": "Acme", "timezone": "America/New_York"},
        "connectors": {"local": {"type": "local"}, "notion": {"type": "notion", **notion}},
        "roles": {"tracker": "local", "wiki": "notion", "notifier": "local", "feeds": "local"},
    }
    with pytest.raises(ConfigError) as caught:
        parse_config(data, base_dir=tmp_path)
    return caught.value


def test_config_refuses_an_option_name_with_a_comma_and_names_its_key(tmp_path: Path) -> None:
    releases = {"database_id": DB, "options": {"tier": {"1": "Tier 1, strategic"}}}
    error = load(tmp_path, {"collections": {"releases": releases}})
    [problem] = error.problems
    assert problem.key == "connectors.notion.collections.releases.options.tier.1"
    assert "comma" in problem.message and '"Tier 1 / strategic"' in problem.hint


def test_bootstrap_and_sync_refuse_an_org_key_a_select_cannot_hold() -> None:
    people = (Person(key="maya", name="Maya"),)
    areas = (ProductArea(key="bi,data", name="BI and data", pm="maya"),)
    config = NotionConnectorConfig()
    [problem] = unwritable_keys(config, people, areas, "notion")
    assert problem.key == "org.product_areas[0].key"
    assert "comma" in problem.message
    assert 'product_area = { "bi,data" = "<name without a comma>" }' in problem.hint
    ctx = ConnectorContext(name="notion", settings=config, people=people, areas=areas)
    for make in (lambda: factory.create(ctx), lambda: factory.bootstrap(ctx, DB)):
        with pytest.raises(ConfigError) as caught:
            make()
        assert caught.value.key == "org.product_areas[0].key"
    renamed = {
        c: {"database_id": DB, "options": {"product_area": {"bi,data": "BI and data"}}}
        for c in ("releases", "insights", "roadmap_items", "decisions")
    }
    mapped = NotionConnectorConfig.model_validate({"collections": renamed})
    left = unwritable_keys(mapped, people, areas)
    assert all(p.key == "org.product_areas[0].key" for p in left)  # only unmapped collections
    fields_left = {p.message.split("(")[1].split(".")[0] for p in left}
    assert not fields_left & set(renamed)
