"""Rich text from either REST version reads as the same plain text."""

from __future__ import annotations

from opsync.connectors.jira.text import adf_text, plain_text, wiki_text


def test_adf_keeps_the_words_of_known_and_unknown_nodes() -> None:
    doc = {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "heading", "content": [{"type": "text", "text": "Why"}]},
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": "Ask ", "marks": [{"type": "strong"}]},
                    {"type": "mention", "attrs": {"id": "1", "text": "@Maya"}},
                    {"type": "hardBreak"},
                    {"type": "someFutureNode", "content": [{"type": "text", "text": "kept"}]},
                ],
            },
            {
                "type": "bulletList",
                "content": [
                    {"type": "listItem", "content": [{"type": "paragraph", "content": [
                        {"type": "text", "text": "one"}]}]},
                ],
            },
        ],
    }  # fmt: skip
    assert adf_text(doc) == "Why\nAsk @Maya\nkept\none"


def test_wiki_markup_loses_its_formatting_not_its_words() -> None:
    markup = "h2. Launch\n* *bold* and _italic_ [the doc|https://x.example]\n{{code}} by [~maya]"
    assert wiki_text(markup) == "Launch\nbold and italic the doc\ncode by @maya"


def test_empty_and_odd_values_are_none() -> None:
    assert plain_text(None) is None
    assert plain_text({"type": "doc", "version": 1, "content": []}) is None
    assert plain_text(42) is None
    assert plain_text("plain") == "plain"
